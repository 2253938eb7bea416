//! A set of roles of one type, as sorted runs of consecutive role numbers.
//!
//! Runs rather than a bitset keep the role closure linear in the policy: in an include chain
//! `n` deep, each role implies (and is implied by) one run of roles, so the closure and the
//! per-role plans take O(n) memory where bitsets took O(n^2) bits (issue 19: a 10,000-deep
//! chain kept ~47 MB). A set of scattered roles costs 8 bytes a run; a set of one run (one role,
//! or a role and the chain below it: most sets of a policy) is held inline, without an
//! allocation of its own.

use super::RoleId;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use smallvec::{SmallVec, smallvec};

/// Sorted, disjoint, non-adjacent half-open runs `[start, end)` (a canonical form: two equal
/// sets have equal runs, so `Eq` and `Hash` are derived).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct RoleSet(SmallVec<[(u32, u32); 1]>);

impl RoleSet {
    /// The empty set.
    pub fn new() -> RoleSet {
        RoleSet(SmallVec::new())
    }

    /// The set of the one role `r`.
    pub fn single(r: RoleId) -> RoleSet {
        RoleSet(smallvec![(r.0, r.0 + 1)])
    }

    /// Adds `r`; whether it was new.
    pub fn insert(&mut self, r: RoleId) -> bool {
        let x = r.0;
        // The first run that ends at or after x.
        let i = self.0.partition_point(|&(_, e)| e < x);
        if let Some(&(s, e)) = self.0.get(i) {
            if s <= x && x < e {
                return false;
            }
            if e == x {
                // Extends run i to the right, maybe joining run i + 1.
                self.0[i].1 = x + 1;
                if let Some(&(s2, e2)) = self.0.get(i + 1)
                    && s2 == x + 1
                {
                    self.0[i].1 = e2;
                    self.0.remove(i + 1);
                }
                return true;
            }
            if s == x + 1 {
                self.0[i].0 = x;
                return true;
            }
        }
        self.0.insert(i, (x, x + 1));
        true
    }

    /// Whether `r` is in the set (a binary search over the runs).
    #[inline]
    pub fn contains(&self, r: RoleId) -> bool {
        let x = r.0;
        match self.0.as_slice() {
            [] => false,
            [(s, e)] => *s <= x && x < *e,
            runs => {
                let i = runs.partition_point(|&(_, e)| e <= x);
                runs.get(i).is_some_and(|&(s, _)| s <= x)
            }
        }
    }

    /// Adds every role of `other` to this set.
    pub fn union_with(&mut self, other: &RoleSet) {
        if other.0.is_empty() {
            return;
        }
        if self.0.is_empty() {
            self.0.clone_from(&other.0);
            return;
        }
        let mut out: SmallVec<[(u32, u32); 1]> =
            SmallVec::with_capacity(self.0.len() + other.0.len());
        let (mut a, mut b) = (self.0.iter().peekable(), other.0.iter().peekable());
        loop {
            let next = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) => {
                    if x.0 <= y.0 {
                        a.next()
                    } else {
                        b.next()
                    }
                }
                (Some(_), None) => a.next(),
                (None, Some(_)) => b.next(),
                (None, None) => break,
            };
            let Some(&(s, e)) = next else { break };
            match out.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => out.push((s, e)),
            }
        }
        out.shrink_to_fit();
        self.0 = out;
    }

    /// Whether the two sets share a role.
    pub fn intersects(&self, other: &RoleSet) -> bool {
        let (mut i, mut j) = (0, 0);
        while let (Some(&(s1, e1)), Some(&(s2, e2))) = (self.0.get(i), other.0.get(j)) {
            if s1 < e2 && s2 < e1 {
                return true;
            }
            if e1 <= e2 {
                i += 1;
            } else {
                j += 1;
            }
        }
        false
    }

    /// Whether every role of the set is numbered below `n` (artifact validation).
    pub fn below(&self, n: usize) -> bool {
        self.0.last().is_none_or(|&(_, e)| e as usize <= n)
    }

    /// Whether the set holds no role.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many roles the set holds.
    pub fn len(&self) -> usize {
        self.0.iter().map(|&(s, e)| (e - s) as usize).sum()
    }

    /// The roles, in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = RoleId> + '_ {
        self.0.iter().flat_map(|&(s, e)| (s..e).map(RoleId))
    }
}

impl FromIterator<RoleId> for RoleSet {
    fn from_iter<I: IntoIterator<Item = RoleId>>(iter: I) -> RoleSet {
        let mut s = RoleSet::new();
        for r in iter {
            s.insert(r);
        }
        s
    }
}

/// Serialized as the sorted list of its role numbers.
impl Serialize for RoleSet {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        ser.collect_seq(self.iter().map(|r| r.0))
    }
}

impl<'de> Deserialize<'de> for RoleSet {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<RoleSet, D::Error> {
        let ids = Vec::<u32>::deserialize(de)?;
        Ok(ids.into_iter().map(RoleId).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn set(ids: &[u32]) -> RoleSet {
        ids.iter().map(|&i| RoleId(i)).collect()
    }

    proptest! {
        /// Every operation agrees with a `BTreeSet` of the same numbers.
        #[test]
        fn runs_agree_with_a_plain_set(
            a in proptest::collection::vec(0u32..200, 0..60),
            b in proptest::collection::vec(0u32..200, 0..60),
            probe in 0u32..210,
        ) {
            let (ra, rb) = (set(&a), set(&b));
            let (sa, sb): (BTreeSet<u32>, BTreeSet<u32>) =
                (a.iter().copied().collect(), b.iter().copied().collect());
            prop_assert_eq!(ra.iter().map(|r| r.0).collect::<Vec<_>>(), sa.iter().copied().collect::<Vec<_>>());
            prop_assert_eq!(ra.len(), sa.len());
            prop_assert_eq!(ra.contains(RoleId(probe)), sa.contains(&probe));
            prop_assert_eq!(ra.intersects(&rb), !sa.is_disjoint(&sb));
            prop_assert_eq!(ra.below(probe as usize), sa.iter().all(|x| *x < probe));
            let mut u = ra.clone();
            u.union_with(&rb);
            prop_assert_eq!(&u, &set(&sa.union(&sb).copied().collect::<Vec<_>>()));
            // Canonical: the same set built in another order is equal.
            let mut rev = a.clone();
            rev.reverse();
            prop_assert_eq!(&ra, &set(&rev));
            let mut fresh = ra.clone();
            prop_assert_eq!(fresh.insert(RoleId(probe)), !sa.contains(&probe));
        }
    }
}

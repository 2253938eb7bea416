//! A set of roles of one type, as a bitset.

use super::RoleId;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RoleSet(Vec<u64>);

impl RoleSet {
    pub fn new() -> RoleSet {
        RoleSet(Vec::new())
    }

    pub fn single(r: RoleId) -> RoleSet {
        let mut s = RoleSet::new();
        s.insert(r);
        s
    }

    pub fn insert(&mut self, r: RoleId) -> bool {
        let (w, b) = (r.index() / 64, r.index() % 64);
        if self.0.len() <= w {
            self.0.resize(w + 1, 0);
        }
        let was = self.0[w] & (1 << b) != 0;
        self.0[w] |= 1 << b;
        !was
    }

    #[inline]
    pub fn contains(&self, r: RoleId) -> bool {
        let (w, b) = (r.index() / 64, r.index() % 64);
        self.0.get(w).is_some_and(|x| x & (1 << b) != 0)
    }

    pub fn union_with(&mut self, other: &RoleSet) {
        if self.0.len() < other.0.len() {
            self.0.resize(other.0.len(), 0);
        }
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a |= b;
        }
    }

    pub fn intersects(&self, other: &RoleSet) -> bool {
        self.0.iter().zip(&other.0).any(|(a, b)| a & b != 0)
    }

    /// Whether every role of the set is numbered below `n` (artifact validation).
    pub fn below(&self, n: usize) -> bool {
        self.iter().all(|r| r.index() < n)
    }

    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }

    pub fn len(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }

    pub fn iter(&self) -> impl Iterator<Item = RoleId> + '_ {
        self.0.iter().enumerate().flat_map(|(w, bits)| {
            (0..64)
                .filter(move |b| bits & (1u64 << b) != 0)
                .map(move |b| RoleId((w * 64 + b) as u32))
        })
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

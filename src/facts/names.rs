//! Entity names: stored once, one after the other in a single string, and indexed by type and
//! name. Compared with a map from `Arc<str>` names, finding a name reads a small table of ids
//! and a dense string instead of an allocation per name, hashes the name once when it is new,
//! and takes a fraction of the memory.

use super::EntityId;
use crate::compiled::TypeId;
use hashbrown::HashTable;
use hashbrown::hash_table::Entry;
use rustc_hash::FxBuildHasher;
use std::hash::BuildHasher;

#[derive(Clone, Debug, Default)]
pub(super) struct Names {
    /// Every name, in the order of the ids: entity `i`'s is `text[ends[i - 1]..ends[i]]`.
    text: String,
    ends: Vec<usize>,
    /// Per type, the ids of its entities, hashed by name.
    by_type: Vec<HashTable<Slot>>,
}

/// An entity in its type's table, with its name: a name of up to 8 bytes is kept in the slot
/// itself, a longer one as where it lies in `text`. A lookup then reads the table (and the text
/// only for a long name), not also `ends`: on a large set each of those reads was a cache miss,
/// and a third of `polc eval`'s time at 100,000 assignments went to them.
#[derive(Clone, Copy, Debug)]
struct Slot {
    id: EntityId,
    len: u32,
    /// The name's bytes when `len <= 8`; otherwise its start in `text`, little-endian.
    data: [u8; 8],
}

const INLINE: usize = 8;

impl Slot {
    fn new(id: EntityId, name: &str, start: usize) -> Slot {
        let mut data = [0; INLINE];
        match name.as_bytes() {
            b if b.len() <= INLINE => data[..b.len()].copy_from_slice(b),
            _ => data = (start as u64).to_le_bytes(),
        }
        Slot {
            id,
            len: name.len() as u32,
            data,
        }
    }

    /// The name's bytes: from the slot, or from `text` (where `text` was made from `str`s, so
    /// the bytes are whole UTF-8 either way).
    fn bytes<'a>(&'a self, text: &'a str) -> &'a [u8] {
        let len = self.len as usize;
        if len <= INLINE {
            return &self.data[..len];
        }
        let start = u64::from_le_bytes(self.data) as usize;
        text.as_bytes().get(start..start + len).unwrap_or_default()
    }
}

fn hash(name: &[u8]) -> u64 {
    FxBuildHasher.hash_one(name)
}

/// The name of `id` in `text` and `ends`.
fn name_in<'a>(text: &'a str, ends: &[usize], id: EntityId) -> &'a str {
    let i = id.index();
    let start = match i.checked_sub(1) {
        Some(p) => ends.get(p).copied().unwrap_or(0),
        None => 0,
    };
    let end = ends.get(i).copied().unwrap_or(start);
    text.get(start..end).unwrap_or_default()
}

impl Names {
    pub(super) fn shrink(&mut self) {
        self.text.shrink_to_fit();
        self.ends.shrink_to_fit();
    }

    pub(super) fn get(&self, id: EntityId) -> Option<&str> {
        (id.index() < self.ends.len()).then(|| name_in(&self.text, &self.ends, id))
    }

    pub(super) fn lookup(&self, ty: TypeId, name: &str) -> Option<EntityId> {
        let text = &self.text;
        self.by_type
            .get(ty.index())?
            .find(hash(name.as_bytes()), |s| s.bytes(text) == name.as_bytes())
            .map(|s| s.id)
    }

    /// The id of `name` among the entities of `ty`: `Ok` if it was known, `Err` with the next
    /// id, now given to it, if it is new.
    pub(super) fn intern(&mut self, ty: TypeId, name: &str) -> Result<EntityId, EntityId> {
        if self.by_type.len() <= ty.index() {
            self.by_type.resize(ty.index() + 1, HashTable::new());
        }
        let text = &self.text;
        let entry = self.by_type[ty.index()].entry(
            hash(name.as_bytes()),
            |s| s.bytes(text) == name.as_bytes(),
            |s| hash(s.bytes(text)),
        );
        match entry {
            Entry::Occupied(o) => Ok(o.get().id),
            Entry::Vacant(v) => {
                let id = EntityId(self.ends.len() as u32);
                v.insert(Slot::new(id, name, self.text.len()));
                self.text.push_str(name);
                self.ends.push(self.text.len());
                Err(id)
            }
        }
    }

    /// The ids of the entities of `ty`, in no order.
    pub(super) fn of_type(&self, ty: TypeId) -> impl Iterator<Item = EntityId> + '_ {
        self.by_type
            .get(ty.index())
            .into_iter()
            .flat_map(|t| t.iter().map(|s| s.id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_found_by_type_short_and_long() {
        let mut n = Names::default();
        let (a, b) = (TypeId(0), TypeId(1));
        let alice = n.intern(a, "alice").unwrap_err();
        let bob = n.intern(a, "bob").unwrap_err();
        let alice_b = n.intern(b, "alice").unwrap_err();
        assert_eq!(n.intern(a, "alice"), Ok(alice));
        assert_eq!(n.lookup(a, "alice"), Some(alice));
        assert_eq!(n.lookup(a, "bob"), Some(bob));
        assert_eq!(n.lookup(b, "alice"), Some(alice_b));
        assert_eq!(n.lookup(b, "bob"), None);
        assert_eq!(n.lookup(TypeId(7), "bob"), None);
        assert_eq!(n.get(bob), Some("bob"));
        // Longer names than a slot holds are read from the text.
        let long = n.intern(a, "a-name-longer-than-a-slot").unwrap_err();
        let long_b = n.intern(b, "another-name-longer-than-a-slot").unwrap_err();
        assert_eq!(n.lookup(a, "a-name-longer-than-a-slot"), Some(long));
        assert_eq!(n.lookup(b, "another-name-longer-than-a-slot"), Some(long_b));
        assert_eq!(n.lookup(a, "a-name-longer-than-a-slou"), None);
        assert_eq!(n.lookup(a, "12345678"), None);
        let eight = n.intern(a, "12345678").unwrap_err();
        assert_eq!(n.lookup(a, "12345678"), Some(eight));
        assert_eq!(n.lookup(a, "1234567"), None);
        assert_eq!(n.get(long), Some("a-name-longer-than-a-slot"));
    }

    proptest::proptest! {
        /// The table agrees with a map of (type, name) to id, for short, long and repeated names.
        #[test]
        fn agrees_with_a_map(ops in proptest::collection::vec((0u32..3, "[a-c]{0,3}|[a-c]{7,10}|[a-z0-9]{12,30}"), 0..200)) {
            let mut n = Names::default();
            let mut model = std::collections::HashMap::new();
            for (ty, name) in &ops {
                let got = n.intern(TypeId(*ty), name);
                match model.get(&(*ty, name.clone())) {
                    Some(id) => proptest::prop_assert_eq!(got, Ok(*id)),
                    None => {
                        let id = got.unwrap_err();
                        model.insert((*ty, name.clone()), id);
                    }
                }
            }
            for ((ty, name), id) in &model {
                proptest::prop_assert_eq!(n.lookup(TypeId(*ty), name), Some(*id));
                proptest::prop_assert_eq!(n.get(*id), Some(name.as_str()));
                proptest::prop_assert_eq!(n.lookup(TypeId(*ty), &format!("{name}x")), model.get(&(*ty, format!("{name}x"))).copied());
            }
        }
    }
}

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
    by_type: Vec<HashTable<EntityId>>,
}

fn hash(name: &str) -> u64 {
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
        let (text, ends) = (&self.text, &self.ends);
        self.by_type
            .get(ty.index())?
            .find(hash(name), |id| name_in(text, ends, *id) == name)
            .copied()
    }

    /// The id of `name` among the entities of `ty`: `Ok` if it was known, `Err` with the next
    /// id, now given to it, if it is new.
    pub(super) fn intern(&mut self, ty: TypeId, name: &str) -> Result<EntityId, EntityId> {
        if self.by_type.len() <= ty.index() {
            self.by_type.resize(ty.index() + 1, HashTable::new());
        }
        let (text, ends) = (&self.text, &self.ends);
        let entry = self.by_type[ty.index()].entry(
            hash(name),
            |id| name_in(text, ends, *id) == name,
            |id| hash(name_in(text, ends, *id)),
        );
        match entry {
            Entry::Occupied(o) => Ok(*o.get()),
            Entry::Vacant(v) => {
                let id = EntityId(self.ends.len() as u32);
                v.insert(id);
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
            .flat_map(|t| t.iter().copied())
    }
}

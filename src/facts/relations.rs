//! Relations and attributes of the facts' entities.

use super::{EntityId, Facts, Value};
use crate::compiled::{AttrId, RelId};

/// A relation slot whose relation is not set.
pub(super) const UNSET: u32 = u32::MAX;
/// A relation slot with this bit refers to `rel_many` (lists, and the rare entity id that has
/// the bit itself); without it, the slot is the single target.
const MANY: u32 = 1 << 31;

impl Facts {
    /// Sets (replaces) a relation's targets.
    pub fn set_relation(&mut self, e: EntityId, rel: RelId, targets: Vec<EntityId>) {
        if e.index() >= self.rel0.len() {
            return;
        }
        let old = self.rel_slot(e, rel).map_or(UNSET, |s| s.0);
        let slot = match targets.as_slice() {
            [one] if one.0 & MANY == 0 => *one,
            _ if old != UNSET && old & MANY != 0 => {
                self.rel_many[(old & !MANY) as usize] = targets;
                EntityId(old)
            }
            _ => {
                self.rel_many.push(targets);
                EntityId((self.rel_many.len() - 1) as u32 | MANY)
            }
        };
        if rel.0 == 0 {
            self.rel0[e.index()] = slot;
        } else {
            self.rel_more.insert((e, rel), slot);
        }
    }

    /// The slot of `e`'s relation `rel`, if set.
    #[inline]
    fn rel_slot(&self, e: EntityId, rel: RelId) -> Option<&EntityId> {
        if rel.0 == 0 {
            self.rel0.get(e.index()).filter(|s| s.0 != UNSET)
        } else {
            self.rel_more.get(&(e, rel))
        }
    }

    #[inline]
    fn targets<'a>(&'a self, slot: &'a EntityId) -> &'a [EntityId] {
        if slot.0 & MANY == 0 {
            std::slice::from_ref(slot)
        } else {
            self.rel_many
                .get((slot.0 & !MANY) as usize)
                .map_or(&[], Vec::as_slice)
        }
    }

    /// The targets of relation `rel` of entity `e` (empty when it has none).
    #[inline]
    pub fn relation(&self, e: EntityId, rel: RelId) -> &[EntityId] {
        self.rel_slot(e, rel).map_or(&[], |s| self.targets(s))
    }

    /// Whether entity `e` has relation `rel` set (`has` in conditions).
    pub fn has_relation(&self, e: EntityId, rel: RelId) -> bool {
        self.rel_slot(e, rel).is_some()
    }

    /// Removes a relation: the entity no longer has it (`has` is false).
    pub fn unset_relation(&mut self, e: EntityId, rel: RelId) {
        if rel.0 == 0 {
            if let Some(slot) = self.rel0.get_mut(e.index()) {
                *slot = EntityId(UNSET);
            }
        } else {
            self.rel_more.remove(&(e, rel));
        }
    }

    /// Removes an attribute; returns its value.
    pub fn remove_attribute(&mut self, e: EntityId, attr: AttrId) -> Option<Value> {
        self.attributes.remove(&(e, attr))
    }

    /// Sets attribute `attr` of entity `e` to `v`, unchecked (the caller typed it), replacing any value.
    pub fn set_attribute(&mut self, e: EntityId, attr: AttrId, v: Value) {
        self.attributes.insert((e, attr), v);
    }

    /// The value of attribute `attr` of entity `e`, if set.
    pub fn attribute(&self, e: EntityId, attr: AttrId) -> Option<&Value> {
        self.attributes.get(&(e, attr))
    }

    /// Every relation fact.
    pub fn relations(&self) -> impl Iterator<Item = (EntityId, RelId, &[EntityId])> {
        let first = self
            .rel0
            .iter()
            .enumerate()
            .filter(|(_, s)| s.0 != UNSET)
            .map(|(e, s)| (EntityId(e as u32), RelId(0), self.targets(s)));
        let more = self
            .rel_more
            .iter()
            .map(|((e, r), s)| (*e, *r, self.targets(s)));
        first.chain(more)
    }

    /// Every attribute fact.
    pub fn attributes(&self) -> impl Iterator<Item = (EntityId, AttrId, &Value)> {
        self.attributes.iter().map(|((e, a), v)| (*e, *a, v))
    }
}

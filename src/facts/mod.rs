//! Facts: the assignment, relation and attribute data that decisions read. Loaded from `.pol`
//! facts ([`pol`]) or JSON ([`json`]), always checked against the policy first ([`check`]): a
//! bad fact is a diagnostic, and a file with any bad fact loads nothing.

pub mod check;
pub mod json;
/// The data lints moved above the evaluator they call (`polc::lints::data`); this path stays.
pub use crate::lints::data as lints;
mod assignment;
mod load;
mod names;
pub mod pol;
mod relations;
mod value;
pub mod write;
mod write_json;

use crate::compiled::{AttrId, Policy, RelId, RoleId, TypeId};
use assignment::{Chain, NONE, RETRACTED, Slot};
use relations::UNSET;
use rustc_hash::FxHashMap;

pub use crate::entity::{EntityRef, RefError, SubjectRef};
pub(crate) use assignment::Summary;
pub use assignment::{Assignment, Subject};
pub use check::{CheckedAssignment, CheckedFact, FactValue, SubjectName};
pub use load::load_data;
pub use value::Value;

/// An entity named in the facts (or in a request), numbered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntityId(pub u32);

impl EntityId {
    /// The id as an index into the facts' per-entity tables.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// The facts, indexed for decisions: one hash lookup finds an actor's assignments on an entity.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    /// Each entity's type, dense (read on the decision path), and its name, with the index by
    /// type and name.
    entity_types: Vec<TypeId>,
    names: names::Names,
    /// Assignments with their chain links; retracted ones stay, marked (see [`Slot`]).
    slots: Vec<Slot>,
    /// How many of `slots` are retracted: what rebuilding the facts would give back.
    retracted: usize,
    /// (actor, resource) -> the newest assignment naming the actor itself (older ones follow
    /// through the slots' `next`), and a summary of the chain ([`Summary`]) that answers most
    /// decisions without reading the assignments. One entry per key: this map has an entry per
    /// assignment, so its entry size is most of the index's memory.
    direct: FxHashMap<(EntityId, EntityId), (u32, Summary)>,
    /// The chain of userset and wildcard assignments on each entity: its head in `sets_first`
    /// (by entity: an array read on the decision path), its tail in `sets_last` (only needed to
    /// append; few entities have any, so a map). Most entities have none: a bit per entity in
    /// `has_sets`, which stays in cache, says so before `sets_first` is read.
    sets_first: Vec<u32>,
    sets_last: FxHashMap<EntityId, u32>,
    has_sets: Vec<u64>,
    /// Per entity, the types (bit `type % 32`) of the entities it has assignments of its own
    /// on; and the types of the entities that have userset or wildcard assignments. Bits are
    /// only ever set (a retraction leaves them): a clear bit means "none", which lets a
    /// decision skip probes and whole walks that cannot find anything.
    actor_types: Vec<u32>,
    set_types: u32,
    /// resource -> the chain of every assignment on it.
    on: Vec<Chain>,
    /// Relations. A slot is [`UNSET`], a single target, or [`MANY`] and an index into
    /// `rel_many`. The first relation of each type (most types have one: their parent) has its
    /// slot in `rel0`, by entity, so following it is one array read; the others are in
    /// `rel_more`. Most relations have one target, held in the slot itself.
    rel0: Vec<EntityId>,
    rel_more: FxHashMap<(EntityId, RelId), EntityId>,
    rel_many: Vec<Vec<EntityId>>,
    attributes: FxHashMap<(EntityId, AttrId), Value>,
    /// Context set in the facts (`context.now = ...;` in a test or the REPL).
    pub context: Vec<Option<Value>>,
    /// Action properties set in the facts (`action.soft = true;` in a test or the REPL), by index
    /// in the policy's `action` declarations: every request made from these facts carries them.
    pub action: Vec<Option<Value>>,
    /// How many entities come from the policy's conditions (they are numbered first).
    policy_entities: usize,
    /// Those of them a fact names too.
    mentioned: rustc_hash::FxHashSet<EntityId>,
}

impl Facts {
    /// Empty facts for a policy. Entities named in the policy's conditions are known from the
    /// start, so that conditions can compare with them.
    pub fn new(policy: &Policy) -> Facts {
        let mut f = Facts {
            context: vec![None; policy.context.len()],
            action: vec![None; policy.action.len()],
            ..Facts::default()
        };
        for rule in &policy.rules {
            if let Some((_, e)) = &rule.condition {
                e.visit_entities(&mut |ty, id| {
                    f.entity(ty, id);
                });
            }
        }
        // INVARIANT: these first entities are the policy's literals; they count as named by the
        // facts only once a fact names them (`mentioned`).
        f.policy_entities = f.entity_types.len();
        f.mentioned.clear();
        f
    }

    /// The id of an entity, creating it if it is new.
    pub fn entity(&mut self, ty: TypeId, name: &str) -> EntityId {
        let id = match self.names.intern(ty, name) {
            Ok(id) => {
                if id.index() < self.policy_entities {
                    self.mentioned.insert(id);
                }
                return id;
            }
            Err(new) => new,
        };
        self.entity_types.push(ty);
        // Indexed by entity: an array read, not a hash probe, on the decision path.
        self.actor_types.push(0);
        self.sets_first.push(NONE);
        if self.has_sets.len() * 64 <= id.index() {
            self.has_sets.push(0);
        }
        self.on.push(Chain::EMPTY);
        self.rel0.push(EntityId(UNSET));
        id
    }

    /// The id of the entity `ty:name`, if the facts (or the policy's conditions) name it.
    pub fn lookup(&self, ty: TypeId, name: &str) -> Option<EntityId> {
        self.names.lookup(ty, name)
    }

    /// The type of entity `id`; `None` when `id` is not one of these facts'.
    pub fn entity_type(&self, id: EntityId) -> Option<TypeId> {
        self.entity_types.get(id.index()).copied()
    }

    /// The name of entity `id` within its type; `None` when `id` is not one of these facts'.
    pub fn entity_name(&self, id: EntityId) -> Option<&str> {
        self.names.get(id)
    }

    /// `type:id` as written in Pol (quoted when it is not a plain identifier).
    pub fn display(&self, policy: &Policy, id: EntityId) -> String {
        match (self.entity_type(id), self.entity_name(id)) {
            (Some(ty), Some(name)) => display_entity(policy.type_name(ty), name),
            _ => format!("#{}", id.0),
        }
    }

    /// How many entities are numbered, those the policy's conditions name included.
    pub fn entity_count(&self) -> usize {
        self.entity_types.len()
    }

    /// The entities of a type the facts name, as [`Facts::entities_of`], in no particular order
    /// (the same for the same facts) and without collecting them: for a bounded search, such as
    /// the nearest name to a misspelt one.
    pub fn entities_of_unordered(&self, ty: TypeId) -> impl Iterator<Item = EntityId> + '_ {
        self.names
            .of_type(ty)
            .filter(|id| id.index() >= self.policy_entities || self.mentioned.contains(id))
    }

    /// Whether a fact names the entity (not only the policy's conditions): the entities
    /// [`Facts::entities_of`] lists.
    pub fn is_named(&self, id: EntityId) -> bool {
        id.index() < self.entity_types.len()
            && (id.index() >= self.policy_entities || self.mentioned.contains(&id))
    }

    /// Every entity of a type the facts name (not those only named by the policy's conditions).
    pub fn entities_of(&self, ty: TypeId) -> Vec<EntityId> {
        let mut v: Vec<EntityId> = self
            .names
            .of_type(ty)
            .filter(|id| id.index() >= self.policy_entities || self.mentioned.contains(id))
            .collect();
        v.sort();
        v
    }

    /// Adds an assignment, unchecked (the caller resolved it against the policy), and returns its
    /// index, by which [`Facts::assignment`] reads it until it is retracted.
    pub fn assign(&mut self, a: Assignment) -> u32 {
        let idx = self.slots.len() as u32;
        let mut next = NONE;
        match a.subject {
            Subject::Actor(actor) => {
                // Newest first: the new assignment becomes the head.
                let (head, summary) = self
                    .direct
                    .entry((actor, a.on))
                    .or_insert((NONE, Summary(0)));
                next = *head;
                *head = idx;
                summary.0 |= Summary::of(&a);
                if let (Some(mask), Some(ty)) = (
                    self.actor_types.get_mut(actor.index()),
                    self.entity_types.get(a.on.index()),
                ) {
                    *mask |= type_bit(*ty);
                }
            }
            Subject::Userset(..) | Subject::Wildcard(_) => {
                if let Some(word) = self.has_sets.get_mut(a.on.index() / 64) {
                    *word |= 1 << (a.on.index() % 64);
                }
                if let Some(ty) = self.entity_types.get(a.on.index()) {
                    self.set_types |= type_bit(*ty);
                }
                match self.sets_last.insert(a.on, idx) {
                    Some(tail) => self.slots[tail as usize].next = idx,
                    None => {
                        if let Some(first) = self.sets_first.get_mut(a.on.index()) {
                            *first = idx;
                        }
                    }
                }
            }
        }
        let on = &mut self.on[a.on.index()];
        if let Some(tail) = on.push(idx) {
            self.slots[tail as usize].next_on = idx;
        }
        self.slots.push(Slot {
            a,
            next,
            next_on: NONE,
        });
        idx
    }

    /// Gives back the room the arrays grew beyond what they hold (after a load: they grow by
    /// doubling, so up to half of each would be spare).
    pub(crate) fn shrink(&mut self) {
        self.slots.shrink_to_fit();
        self.entity_types.shrink_to_fit();
        self.actor_types.shrink_to_fit();
        self.on.shrink_to_fit();
        self.rel0.shrink_to_fit();
        self.has_sets.shrink_to_fit();
        self.sets_first.shrink_to_fit();
        self.names.shrink();
    }

    /// Removes the assignment a checked `Assign` fact names (its `until` aside); returns how
    /// many were removed: 0 when the facts hold no such assignment or the fact is no `Assign`.
    pub fn retract_fact(&mut self, fact: &CheckedFact) -> usize {
        let CheckedFact::Assign {
            subject, role, on, ..
        } = fact
        else {
            return 0;
        };
        let subject = match subject {
            SubjectName::Actor(ty, name) => self.lookup(*ty, name).map(Subject::Actor),
            SubjectName::Userset(ty, name, r) => {
                self.lookup(*ty, name).map(|e| Subject::Userset(e, *r))
            }
            SubjectName::Wildcard(ty) => Some(Subject::Wildcard(*ty)),
        };
        match (subject, self.lookup(on.0, &on.1)) {
            (Some(s), Some(e)) => self.retract(s, *role, e),
            _ => 0,
        }
    }

    /// Removes every assignment equal to `(subject, role, on)`; returns how many. (The slots
    /// stay in their chains, marked retracted.)
    pub fn retract(&mut self, subject: Subject, role: RoleId, on: EntityId) -> usize {
        let ids: Vec<u32> = self
            .on(on)
            .filter(|i| {
                self.assignment(*i)
                    .is_some_and(|a| a.subject == subject && a.role == role)
            })
            .collect();
        for i in &ids {
            self.slots[*i as usize].a.until = RETRACTED;
        }
        self.retracted += ids.len();
        if let Subject::Actor(actor) = subject
            && !ids.is_empty()
        {
            // The chain's summary, anew from what is left of it.
            let summary = self
                .direct(actor, on)
                .filter_map(|i| self.assignment(i))
                .fold(0, |s, a| s | Summary::of(a));
            if let Some(entry) = self.direct.get_mut(&(actor, on)) {
                entry.1 = Summary(summary);
            }
        }
        ids.len()
    }

    /// The assignment at index `idx`; `None` when out of range or retracted.
    pub fn assignment(&self, idx: u32) -> Option<&Assignment> {
        self.slots.get(idx as usize).and_then(Slot::get)
    }

    /// Every assignment, with its index.
    pub fn assignments(&self) -> impl Iterator<Item = (u32, &Assignment)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.get().map(|a| (i as u32, a)))
    }

    /// How many assignments there are (retracted ones not counted).
    pub fn assignment_count(&self) -> usize {
        self.slots.iter().filter(|s| s.get().is_some()).count()
    }

    /// How many retracted assignments the facts still hold in their chains (a delete, a
    /// replaced `until`, a change judged and undone): the room that building the facts anew
    /// from the live ones gives back. Counted as they are retracted, so it costs nothing to ask.
    pub fn retracted_count(&self) -> usize {
        self.retracted
    }

    /// How many assignment slots the facts hold, live or retracted.
    pub fn slot_count(&self) -> usize {
        self.slots.len()
    }

    /// Assignments naming `actor` itself on `on`, newest first.
    #[inline]
    pub fn direct(&self, actor: EntityId, on: EntityId) -> impl Iterator<Item = u32> + '_ {
        self.walk(self.direct_head(actor, on).0, |l| l.next)
    }

    /// The newest assignment naming `actor` itself on `on` (an index past the slots if none);
    /// the chain continues through [`Facts::chained`]. The decision path without reasons walks
    /// chains with these.
    #[inline]
    pub(crate) fn direct_head(&self, actor: EntityId, on: EntityId) -> (u32, Summary) {
        self.direct
            .get(&(actor, on))
            .copied()
            .unwrap_or((NONE, Summary(0)))
    }

    /// The types (bit per [`type_bit`]) of the entities `actor` may have assignments of its own
    /// on (a superset: bits are never cleared).
    #[inline]
    pub(crate) fn actor_types(&self, actor: EntityId) -> u32 {
        self.actor_types.get(actor.index()).copied().unwrap_or(0)
    }

    /// The types of the entities that may have userset or wildcard assignments (a superset).
    #[inline]
    pub(crate) fn set_types(&self) -> u32 {
        self.set_types
    }

    /// The first userset or wildcard assignment on `on` (an index past the slots if none); the
    /// chain continues through [`Facts::chained`].
    #[inline]
    pub(crate) fn sets_head(&self, on: EntityId) -> u32 {
        let marked = self
            .has_sets
            .get(on.index() / 64)
            .is_some_and(|w| w & (1 << (on.index() % 64)) != 0);
        if marked {
            self.sets_first.get(on.index()).copied().unwrap_or(NONE)
        } else {
            NONE
        }
    }

    /// Assignment `i` and the next in its `direct` or `sets` chain (past the slots at the end);
    /// a retracted assignment is returned too, never live. `None` past the slots.
    #[inline]
    pub(crate) fn chained(&self, i: u32) -> Option<(&Assignment, u32)> {
        self.slots.get(i as usize).map(|s| (&s.a, s.next))
    }

    /// Userset and wildcard assignments on `on`.
    #[inline]
    pub fn sets(&self, on: EntityId) -> impl Iterator<Item = u32> + '_ {
        self.walk(self.sets_head(on), |l| l.next)
    }

    /// Every userset and wildcard assignment, with its index, entity by entity (not in index
    /// order). Entities without any are passed over a bit at a time, so this costs the number
    /// of such assignments, not the number of assignments.
    pub fn set_assignments(&self) -> impl Iterator<Item = (u32, &Assignment)> + '_ {
        self.has_sets
            .iter()
            .enumerate()
            .filter(|(_, w)| **w != 0)
            .flat_map(|(k, w)| {
                let w = *w;
                (0..64)
                    .filter(move |b| w & (1u64 << b) != 0)
                    .map(move |b| EntityId((k * 64 + b) as u32))
            })
            .flat_map(|on| self.sets(on))
            .filter_map(|i| self.assignment(i).map(|a| (i, a)))
    }

    /// Every assignment on `on`.
    pub fn on(&self, on: EntityId) -> impl Iterator<Item = u32> + '_ {
        let head = self.on.get(on.index()).map_or(NONE, |c| c.head);
        self.walk(head, |l| l.next_on)
    }

    /// Follows a chain of assignment indices, skipping retracted slots.
    #[inline]
    fn walk(&self, head: u32, next: fn(&Slot) -> u32) -> impl Iterator<Item = u32> + '_ {
        std::iter::successors((head != NONE).then_some(head), move |i| {
            let n = self.slots.get(*i as usize).map_or(NONE, next);
            (n != NONE).then_some(n)
        })
        .filter(|i| {
            self.slots
                .get(*i as usize)
                .is_some_and(|s| s.get().is_some())
        })
    }
}

pub(crate) use crate::compiled::fast::type_bit;

/// `type:id`, quoting the id unless it is a plain identifier.
pub fn display_entity(ty: &str, id: &str) -> String {
    let plain = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if plain {
        format!("{ty}:{id}")
    } else {
        format!("{ty}:{id:?}")
    }
}

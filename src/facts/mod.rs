//! Facts: the assignment, relation and attribute data that decisions read. Loaded from `.pol`
//! facts ([`pol`]) or JSON ([`json`]), always checked against the policy first ([`check`]): a
//! bad fact is a diagnostic, and a file with any bad fact loads nothing.

pub mod check;
pub mod json;
/// The data lints moved above the evaluator they call (`polc::lints::data`); this path stays.
pub use crate::lints::data as lints;
mod names;
pub mod pol;
pub mod write;
mod write_json;

use crate::compiled::{AttrId, Policy, RelId, RoleId, TypeId};
use crate::diag::Diagnostic;
use crate::source::{SourceMap, Span};
use rustc_hash::FxHashMap;
use std::path::Path;
use std::sync::Arc;

pub use crate::entity::{EntityRef, RefError, SubjectRef};
pub use check::{CheckedAssignment, CheckedFact, FactValue, SubjectName};

/// An entity named in the facts (or in a request), numbered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntityId(pub u32);

impl EntityId {
    /// The id as an index into the facts' per-entity tables.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A value of an attribute, a context field, or of an expression at decision time.
///
/// INVARIANT: a `List` is a set, its items sorted and without repeats, and a `Record`'s fields
/// are sorted by name: build them with [`Value::set`] and [`Value::record`], so that the derived
/// equality is set equality (`[a, b] == [b, a]`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Value {
    /// A `bool`.
    Bool(bool),
    /// An `int`.
    Int(i64),
    /// A `string` or an enumeration's value.
    Str(Arc<str>),
    /// Microseconds since the Unix epoch.
    Time(i64),
    /// Microseconds.
    Duration(i64),
    /// An entity the facts name.
    Entity(EntityId),
    /// A list (a set: sorted, no repeats; see the invariant above).
    List(Arc<[Value]>),
    /// A record: its fields sorted by name.
    Record(Arc<[(Arc<str>, Value)]>),
}

impl Value {
    /// A set of the items: sorted, repeats removed.
    pub fn set(mut items: Vec<Value>) -> Value {
        items.sort_unstable();
        items.dedup();
        Value::List(items.into())
    }

    /// A record of the fields, sorted by name (names are unique: the checker saw to it).
    pub fn record(mut fields: Vec<(Arc<str>, Value)>) -> Value {
        fields.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Value::Record(fields.into())
    }

    /// The field `name` of a record.
    pub fn field(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Record(fs) => fs
                .binary_search_by(|(n, _)| (**n).cmp(name))
                .ok()
                .map(|i| &fs[i].1),
            _ => None,
        }
    }
}

/// Who an assignment is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Subject {
    /// The actor itself.
    Actor(EntityId),
    /// Everyone holding `role` on the entity (`team:core#member`).
    Userset(EntityId, RoleId),
    /// Every actor of the type (`user:*`).
    Wildcard(TypeId),
}

/// A role assignment. Kept small (40 bytes): there are millions of them.
#[derive(Clone, Debug, PartialEq)]
pub struct Assignment {
    /// Who holds the role.
    pub subject: Subject,
    /// The role, on the type of `on`.
    pub role: RoleId,
    /// The entity the role is held on.
    pub on: EntityId,
    /// Live while `now < until` (microseconds); `i64::MAX` for no `until`.
    until: i64,
    /// Where the fact was written; `file` is `u32::MAX` when it was not written anywhere.
    span: Span,
}

impl Assignment {
    /// An assignment; `until` in microseconds since the Unix epoch (`None`: it never expires),
    /// `span` where it was written (`None`: nowhere).
    pub fn new(
        subject: Subject,
        role: RoleId,
        on: EntityId,
        until: Option<i64>,
        span: Option<Span>,
    ) -> Assignment {
        let none = Span {
            file: crate::source::FileId(u32::MAX),
            start: 0,
            end: 0,
        };
        Assignment {
            subject,
            role,
            on,
            // INVARIANT: `i64::MIN` marks a retracted slot (see `Slot`), never a real `until`.
            until: until.map_or(i64::MAX, |u| u.max(i64::MIN + 1)),
            span: span.unwrap_or(none),
        }
    }

    /// Whether the assignment holds at `now` (microseconds since the Unix epoch): `now < until`.
    #[inline]
    pub fn live(&self, now: i64) -> bool {
        now < self.until
    }

    /// The `until` time (microseconds), if the assignment has one.
    pub fn until(&self) -> Option<i64> {
        (self.until != i64::MAX).then_some(self.until)
    }

    /// Where the fact was written, in the sources it was loaded with.
    pub fn span(&self) -> Option<Span> {
        (self.span.file.0 != u32::MAX).then_some(self.span)
    }
}

/// The end of a chain.
const NONE: u32 = u32::MAX;

/// An assignment and where its chains continue (indices of slots, [`NONE`] at the end): the
/// next one in its `direct` or `sets` chain, and in its `on` chain. Kept together so that
/// walking a chain reads one place per assignment. A retracted slot stays in its chains with
/// `until` set to [`RETRACTED`]: never live, and skipped by every reader.
#[derive(Clone, Debug)]
struct Slot {
    a: Assignment,
    next: u32,
    next_on: u32,
}

/// What the assignments of one (actor, resource) chain give, without reading them: bit `r` for
/// each role `r` below 31 held by an assignment without `until` (live whatever the time), and
/// [`Summary::OTHERS`] when the chain also has assignments with an `until` or a role numbered
/// 31 or more (which only the chain can tell about).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Summary(pub(crate) u32);

impl Summary {
    pub(crate) const OTHERS: u32 = 1 << 31;

    fn of(a: &Assignment) -> u32 {
        if a.until == i64::MAX && a.role.index() < 31 {
            1 << a.role.index()
        } else {
            Summary::OTHERS
        }
    }
}

/// The `until` of a retracted slot.
const RETRACTED: i64 = i64::MIN;

impl Slot {
    #[inline]
    fn get(&self) -> Option<&Assignment> {
        (self.a.until != RETRACTED).then_some(&self.a)
    }
}

/// The first and last assignment of a chain: most chains hold one assignment, so an index pair
/// in the map costs less than a list per key.
#[derive(Clone, Copy, Debug)]
struct Chain {
    head: u32,
    tail: u32,
}

impl Chain {
    const EMPTY: Chain = Chain {
        head: NONE,
        tail: NONE,
    };

    /// Appends `idx`; returns the previous tail, whose link must point to `idx`.
    fn push(&mut self, idx: u32) -> Option<u32> {
        let prev = (self.tail != NONE).then_some(self.tail);
        if self.head == NONE {
            self.head = idx;
        }
        self.tail = idx;
        prev
    }
}

/// A relation slot whose relation is not set.
const UNSET: u32 = u32::MAX;
/// A relation slot with this bit refers to `rel_many` (lists, and the rare entity id that has
/// the bit itself); without it, the slot is the single target.
const MANY: u32 = 1 << 31;

/// The facts, indexed for decisions: one hash lookup finds an actor's assignments on an entity.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    /// Each entity's type, dense (read on the decision path), and its name, with the index by
    /// type and name.
    entity_types: Vec<TypeId>,
    names: names::Names,
    /// Assignments with their chain links; retracted ones stay, marked (see [`Slot`]).
    slots: Vec<Slot>,
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

    /// Applies checked facts, reserving room for their assignments first (a large load then
    /// allocates once instead of doubling).
    pub fn apply_all(&mut self, facts: &[CheckedFact]) {
        let n = facts
            .iter()
            .filter(|f| matches!(f, CheckedFact::Assign { .. }))
            .count();
        self.slots.reserve_exact(n);
        for f in facts {
            self.apply(f);
        }
    }

    /// Applies a checked fact.
    pub fn apply(&mut self, fact: &CheckedFact) {
        match fact {
            CheckedFact::Assign {
                subject,
                role,
                on,
                until,
                span,
            } => {
                self.apply_assignment(&CheckedAssignment {
                    subject: subject.as_deref(),
                    role: *role,
                    on: (on.0, &on.1),
                    until: *until,
                    span: *span,
                });
            }
            CheckedFact::Relation {
                entity,
                rel,
                targets,
            } => {
                let e = self.entity(entity.0, &entity.1);
                let t: Vec<EntityId> = targets.iter().map(|(ty, n)| self.entity(*ty, n)).collect();
                self.set_relation(e, *rel, t);
            }
            CheckedFact::Attribute {
                entity,
                attr,
                value,
            } => {
                let e = self.entity(entity.0, &entity.1);
                let v = self.value(value);
                self.set_attribute(e, *attr, v);
            }
            CheckedFact::Context { field, value } => {
                let v = self.value(value);
                if self.context.len() <= *field {
                    self.context.resize(*field + 1, None);
                }
                self.context[*field] = Some(v);
            }
            CheckedFact::Action { field, value } => {
                let v = self.value(value);
                if self.action.len() <= *field {
                    self.action.resize(*field + 1, None);
                }
                self.action[*field] = Some(v);
            }
        }
    }

    /// Applies a checked assignment: interns its entities (the subject first) and adds it.
    pub fn apply_assignment(&mut self, a: &CheckedAssignment<'_>) -> u32 {
        let subject = match a.subject {
            SubjectName::Actor(ty, name) => Subject::Actor(self.entity(ty, name)),
            SubjectName::Userset(ty, name, r) => Subject::Userset(self.entity(ty, name), r),
            SubjectName::Wildcard(ty) => Subject::Wildcard(ty),
        };
        let on = self.entity(a.on.0, a.on.1);
        self.assign(Assignment::new(subject, a.role, on, a.until, a.span))
    }

    /// Interns the entities of a checked value.
    pub fn value(&mut self, v: &FactValue) -> Value {
        match v {
            FactValue::Bool(b) => Value::Bool(*b),
            FactValue::Int(i) => Value::Int(*i),
            FactValue::Str(s) => Value::Str(s.as_str().into()),
            FactValue::Time(t) => Value::Time(*t),
            FactValue::Duration(d) => Value::Duration(*d),
            FactValue::Entity(ty, name) => Value::Entity(self.entity(*ty, name)),
            FactValue::List(items) => Value::set(items.iter().map(|i| self.value(i)).collect()),
            FactValue::Record(fields) => Value::record(
                fields
                    .iter()
                    .map(|(n, v)| (n.as_str().into(), self.value(v)))
                    .collect(),
            ),
        }
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

impl Facts {
    /// Facts written in Pol (bare facts and `facts` blocks), checked against the policy. The text
    /// is added to `sources` as `name`, so diagnostics can be rendered.
    pub fn from_pol_str(
        policy: &Policy,
        sources: &mut SourceMap,
        name: &str,
        text: &str,
    ) -> Result<Facts, Vec<Diagnostic>> {
        let file = sources.add(name, text);
        load_text(policy, file, text, false)
    }

    /// Facts as JSON (docs/language.md, "Facts"), checked against the policy.
    pub fn from_json_str(
        policy: &Policy,
        sources: &mut SourceMap,
        name: &str,
        text: &str,
    ) -> Result<Facts, Vec<Diagnostic>> {
        let file = sources.add(name, text);
        load_text(policy, file, text, true)
    }

    /// Facts as JSON text, without a source map: the spans of the diagnostics point into `text`
    /// as file 0 (add it to a fresh [`SourceMap`] to render them).
    pub fn from_json(policy: &Policy, text: &str) -> Result<Facts, Vec<Diagnostic>> {
        load_text(policy, crate::source::FileId(0), text, true)
    }

    /// Facts as Pol text (bare facts and `facts` blocks), without a source map; spans as in
    /// [`Facts::from_json`].
    pub fn from_pol(policy: &Policy, text: &str) -> Result<Facts, Vec<Diagnostic>> {
        load_text(policy, crate::source::FileId(0), text, false)
    }

    /// Facts as JSON read from `reader` (up to [`crate::loader::MAX_FILE_BYTES`]).
    pub fn from_json_reader(
        policy: &Policy,
        reader: impl std::io::Read,
    ) -> Result<Facts, Vec<Diagnostic>> {
        use crate::diag::Code;
        use std::io::Read;
        let limit = crate::loader::MAX_FILE_BYTES;
        let mut bytes = Vec::new();
        reader
            .take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| {
                vec![Diagnostic::new(
                    Code::E0001,
                    format!("cannot read the facts: {e}"),
                )]
            })?;
        if bytes.len() as u64 > limit {
            return Err(vec![Diagnostic::new(
                Code::E0003,
                format!("the facts are more than the limit of {limit} bytes"),
            )]);
        }
        let text = String::from_utf8(bytes).map_err(|_| {
            vec![Diagnostic::new(
                Code::E0002,
                "the facts are not valid UTF-8",
            )]
        })?;
        Facts::from_json(policy, &text)
    }

    /// Adds facts written in Pol (`user:bob is viewer on workspace:ml;`) to these facts: all of
    /// them, or none when one does not fit the policy (spans as in [`Facts::from_json`]).
    pub fn add_pol(&mut self, policy: &Policy, text: &str) -> Result<(), Vec<Diagnostic>> {
        let (ast, diags) = crate::syntax::parse_file(crate::source::FileId(0), text);
        if diags.iter().any(Diagnostic::is_error) {
            return Err(diags);
        }
        pol::load(policy, self, pol::file_facts(&ast))
    }

    /// Facts from a JSON value already parsed. It is written back to text once, so that every
    /// diagnostic keeps a place (in that text, as file 0).
    pub fn from_json_value(
        policy: &Policy,
        value: &serde_json::Value,
    ) -> Result<Facts, Vec<Diagnostic>> {
        Facts::from_json(policy, &value.to_string())
    }
}

/// Facts from a file's text, JSON or Pol: all of them, or the diagnostics.
fn load_text(
    policy: &Policy,
    file: crate::source::FileId,
    text: &str,
    is_json: bool,
) -> Result<Facts, Vec<Diagnostic>> {
    if is_json {
        return json::load(policy, file, text);
    }
    let mut facts = Facts::new(policy);
    let (ast, diags) = crate::syntax::parse_file(file, text);
    if diags.iter().any(Diagnostic::is_error) {
        return Err(diags);
    }
    pol::load(policy, &mut facts, pol::file_facts(&ast))?;
    facts.shrink();
    Ok(facts)
}

/// Loads a data file (`.json`, or Pol facts in any other file) into new facts. The file is added
/// to `sources` so diagnostics and assignment spans point into it. All or nothing.
pub fn load_data(
    policy: &Policy,
    sources: &mut SourceMap,
    path: &Path,
) -> Result<Facts, Vec<Diagnostic>> {
    let file = crate::loader::read_file_as(sources, path, crate::loader::Kind::Data)
        .map_err(|d| vec![d])?;
    let text = sources
        .get(file)
        .map(|f| f.text.clone())
        .unwrap_or_default();
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    load_text(policy, file, &text, is_json)
}

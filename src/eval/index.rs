//! A reverse index of the facts for searches: "who of type T can do A on R" (the AuthZEN
//! subject search) and "which T can S do A on" (the resource search) without deciding once per
//! entity of the type.
//!
//! Built once from the facts ([`SearchIndex::new`]), it answers one question: which entities
//! can be in the answer at all. For the subject search these are the actors assigned on the
//! resource, on anything its relations reach (the ends of `from` paths) and on the groups of its
//! usersets, transitively; for the resource search, the entities the subject (or a group it
//! is in) is assigned on and everything whose relations or usersets lead there. Each candidate
//! is then decided by [`super::decide_with`] in name order, and a page stops as soon as it is
//! full: the first page of a resource with 100,000 holders decides about a page's worth of
//! candidates. The lists both searches walk (the holders on an entity, the holdings of an actor
//! or group, the reverse of relations) are sorted by (type, rank in the name order), so the
//! candidates after a key are a merge of one slice per list met, never a set of every holding
//! sorted anew: the first page of a user who holds a role on 100,000 resources reads about a
//! page of them (and walks the holdings once, a bit per entity, for those that lead further). The candidates are a superset of the answer, never a guess: when a `permit` rule
//! can give the action (a rule can allow anyone) or a wildcard assignment is met, every named
//! entity of the type is a candidate. `tests/search_index.rs` holds the answers to the brute
//! force ones ([`super::query::actors_who_can`], [`super::query::entities_which`]).

use super::{Context, Entity, Request};
use crate::compiled::{PermId, Policy, TypeId};
use crate::facts::{EntityId, Facts, Subject};
use crate::lang::Effect;
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::BinaryHeap;
use std::time::Instant;

/// The reverse index of one [`Facts`] (rebuild it when the facts change).
#[derive(Debug, Default)]
pub struct SearchIndex {
    /// Per entity: its position in the name order of its type (`u32::MAX` when not named).
    rank: Vec<u32>,
    /// Per type: the entities the facts name, in name order.
    by_name: Vec<Vec<EntityId>>,
    /// Per entity: the actors assigned a role on it, by (type, rank).
    actors_on: FxHashMap<EntityId, Vec<EntityId>>,
    /// Per entity: the groups of the usersets assigned on it (`team:core` of `team:core#member`).
    sets_on: FxHashMap<EntityId, Vec<EntityId>>,
    /// Per entity: the actor types with a wildcard assignment on it.
    wildcard_on: FxHashMap<EntityId, Vec<TypeId>>,
    /// Per entity: the targets of its relations, and the reverse (by type, rank).
    forward: FxHashMap<EntityId, Vec<EntityId>>,
    backward: FxHashMap<EntityId, Vec<EntityId>>,
    /// Per actor or group: the entities it is assigned on (for a group: as a userset), by
    /// type, rank.
    held: FxHashMap<EntityId, Vec<EntityId>>,
    /// Per actor type: the entities with a wildcard assignment of it, by type, rank.
    wildcard_entities: FxHashMap<TypeId, Vec<EntityId>>,
    /// Per entity: whether a resource search goes on from it (it has an entry in `backward`
    /// or `held`). A bit per entity, so that a list of 100,000 holdings is walked without a
    /// hash lookup per entry.
    leads: Vec<bool>,
}

/// One page of a search.
#[derive(Debug, Default, PartialEq)]
pub struct Page {
    /// The entities allowed, in name order, after the key asked for.
    pub found: Vec<Entity>,
    /// Whether more entities are allowed after the last one.
    pub more: bool,
    /// Errors met deciding the candidates (each decision fails closed), deduplicated.
    pub errors: Vec<String>,
    /// Subject search: an actor of the type that the facts do not name would be allowed (a
    /// wildcard assignment or a rule gives the action to every actor of the type).
    pub everyone: bool,
    /// The search stopped at the deadline; the page is incomplete and must not be given out.
    pub timed_out: bool,
}

fn push<K: std::hash::Hash + Eq, V>(m: &mut FxHashMap<K, Vec<V>>, k: K, v: V) {
    m.entry(k).or_default().push(v);
}

impl SearchIndex {
    /// Builds the index of `facts` (one pass over the entities, assignments and relations).
    /// It describes these facts only: rebuild it after they change.
    pub fn new(policy: &Policy, facts: &Facts) -> SearchIndex {
        let mut ix = SearchIndex {
            rank: vec![u32::MAX; facts.entity_count()],
            by_name: vec![Vec::new(); policy.types.len()],
            ..SearchIndex::default()
        };
        for i in 0..policy.types.len() {
            let ty = TypeId(i as u32);
            let mut named: Vec<(&str, EntityId)> = facts
                .entities_of(ty)
                .into_iter()
                .filter_map(|e| Some((facts.entity_name(e)?, e)))
                .collect();
            named.sort_unstable();
            for (r, (_, e)) in named.iter().enumerate() {
                if let Some(slot) = ix.rank.get_mut(e.index()) {
                    *slot = r as u32;
                }
            }
            ix.by_name[i] = named.into_iter().map(|(_, e)| e).collect();
        }
        for (_, a) in facts.assignments() {
            match a.subject {
                Subject::Actor(e) => {
                    push(&mut ix.actors_on, a.on, e);
                    push(&mut ix.held, e, a.on);
                }
                Subject::Userset(g, _) => {
                    push(&mut ix.sets_on, a.on, g);
                    push(&mut ix.held, g, a.on);
                }
                Subject::Wildcard(t) => {
                    push(&mut ix.wildcard_on, a.on, t);
                    push(&mut ix.wildcard_entities, t, a.on);
                }
            }
        }
        for (e, _, targets) in facts.relations() {
            for t in targets {
                push(&mut ix.forward, e, *t);
                push(&mut ix.backward, *t, e);
            }
        }
        let key = |rank: &[u32], facts: &Facts, e: EntityId| {
            (
                facts.entity_type(e).map_or(u32::MAX, |t| t.0),
                rank.get(e.index()).copied().unwrap_or(u32::MAX),
                e,
            )
        };
        // The lists the searches walk in name order are sorted by (type, rank), so that the
        // entities of one type after a key are one slice of each.
        for m in [&mut ix.actors_on, &mut ix.backward, &mut ix.held] {
            for v in m.values_mut() {
                v.sort_unstable_by_key(|e| key(&ix.rank, facts, *e));
                v.dedup();
            }
        }
        for v in ix.wildcard_entities.values_mut() {
            v.sort_unstable_by_key(|e| key(&ix.rank, facts, *e));
            v.dedup();
        }
        for m in [&mut ix.sets_on, &mut ix.forward] {
            for v in m.values_mut() {
                v.sort_unstable();
                v.dedup();
            }
        }
        ix.leads = vec![false; facts.entity_count()];
        for e in ix.backward.keys().chain(ix.held.keys()) {
            if let Some(b) = ix.leads.get_mut(e.index()) {
                *b = true;
            }
        }
        ix
    }

    /// Adds to the index what changes applied to `facts` added (`facts` is after them): new
    /// entities take their place in the name order, new assignments and relation targets their
    /// entries. What a change removed stays in the index: the candidates stay a superset of the
    /// answers (each is decided against the facts), and a reload builds the index anew.
    pub fn add_changes(
        &mut self,
        policy: &Policy,
        facts: &Facts,
        changes: &[crate::facts::write::CheckedChange],
    ) {
        use crate::facts::check::{CheckedFact, SubjectName};
        use crate::facts::write::CheckedChange;
        if self.by_name.len() < policy.types.len() {
            self.by_name.resize(policy.types.len(), Vec::new());
        }
        let id = |e: &(TypeId, String)| facts.lookup(e.0, &e.1);
        // First the entities: every entity a change names that has no rank yet.
        let mut fresh: Vec<EntityId> = Vec::new();
        let mut note = |e: Option<EntityId>, ix: &SearchIndex| {
            if let Some(e) = e
                && ix.rank(e) == u32::MAX
                && !fresh.contains(&e)
            {
                fresh.push(e);
            }
        };
        for c in changes {
            if let CheckedChange::Put(f) = c {
                match f {
                    CheckedFact::Assign { subject, on, .. } => {
                        match subject {
                            SubjectName::Actor(ty, n) | SubjectName::Userset(ty, n, _) => {
                                note(facts.lookup(*ty, n), self)
                            }
                            SubjectName::Wildcard(_) => {}
                        }
                        note(id(on), self);
                    }
                    CheckedFact::Relation {
                        entity, targets, ..
                    } => {
                        note(id(entity), self);
                        for t in targets {
                            note(id(t), self);
                        }
                    }
                    CheckedFact::Attribute { entity, .. } => note(id(entity), self),
                    CheckedFact::Context { .. } | CheckedFact::Action { .. } => {}
                }
            }
        }
        if self.rank.len() < facts.entity_count() {
            self.rank.resize(facts.entity_count(), u32::MAX);
        }
        if self.leads.len() < facts.entity_count() {
            self.leads.resize(facts.entity_count(), false);
        }
        let mut types: Vec<TypeId> = Vec::new();
        for e in fresh {
            let (Some(ty), Some(name)) = (facts.entity_type(e), facts.entity_name(e)) else {
                continue;
            };
            let list = &mut self.by_name[ty.index()];
            let at = list.partition_point(|x| facts.entity_name(*x).is_some_and(|n| n < name));
            list.insert(at, e);
            if !types.contains(&ty) {
                types.push(ty);
            }
        }
        // Ranks anew for the types that gained entities (the order of the others is kept, so
        // the lists sorted by rank stay sorted).
        for ty in types {
            for (r, e) in self.by_name[ty.index()].iter().enumerate() {
                if let Some(slot) = self.rank.get_mut(e.index()) {
                    *slot = r as u32;
                }
            }
        }
        let key = |rank: &[u32], e: EntityId| {
            (
                facts.entity_type(e).map_or(u32::MAX, |t| t.0),
                rank.get(e.index()).copied().unwrap_or(u32::MAX),
                e,
            )
        };
        let lead = |leads: &mut Vec<bool>, e: EntityId| {
            if let Some(b) = leads.get_mut(e.index()) {
                *b = true;
            }
        };
        fn insert_sorted<K: Ord>(v: &mut Vec<EntityId>, e: EntityId, key: impl Fn(EntityId) -> K) {
            let k = key(e);
            let at = v.partition_point(|x| key(*x) < k);
            if v.get(at) != Some(&e) {
                v.insert(at, e);
            }
        }
        for c in changes {
            let CheckedChange::Put(f) = c else { continue };
            match f {
                CheckedFact::Assign { subject, on, .. } => {
                    let Some(on) = id(on) else { continue };
                    match subject {
                        SubjectName::Actor(ty, n) => {
                            let Some(a) = facts.lookup(*ty, n) else {
                                continue;
                            };
                            let rank = &self.rank;
                            insert_sorted(self.actors_on.entry(on).or_default(), a, |x| {
                                key(rank, x)
                            });
                            insert_sorted(self.held.entry(a).or_default(), on, |x| key(rank, x));
                            lead(&mut self.leads, a);
                        }
                        SubjectName::Userset(ty, n, _) => {
                            let Some(g) = facts.lookup(*ty, n) else {
                                continue;
                            };
                            insert_sorted(self.sets_on.entry(on).or_default(), g, |x| x);
                            let rank = &self.rank;
                            insert_sorted(self.held.entry(g).or_default(), on, |x| key(rank, x));
                            lead(&mut self.leads, g);
                        }
                        SubjectName::Wildcard(t) => {
                            let w = self.wildcard_on.entry(on).or_default();
                            if !w.contains(t) {
                                w.push(*t);
                            }
                            let rank = &self.rank;
                            insert_sorted(self.wildcard_entities.entry(*t).or_default(), on, |x| {
                                key(rank, x)
                            });
                        }
                    }
                }
                CheckedFact::Relation {
                    entity, targets, ..
                } => {
                    let Some(e) = id(entity) else { continue };
                    for t in targets.iter().filter_map(id) {
                        insert_sorted(self.forward.entry(e).or_default(), t, |x| x);
                        let rank = &self.rank;
                        insert_sorted(self.backward.entry(t).or_default(), e, |x| key(rank, x));
                        lead(&mut self.leads, t);
                    }
                }
                _ => {}
            }
        }
    }

    /// The part of a list sorted by (type, rank) that is of `ty`, named, from rank `from` on.
    fn of_type<'a>(
        &self,
        facts: &Facts,
        v: &'a [EntityId],
        ty: TypeId,
        from: u32,
    ) -> &'a [EntityId] {
        let key = |e: EntityId| (facts.entity_type(e).map_or(u32::MAX, |t| t.0), self.rank(e));
        let lo = v.partition_point(|e| key(*e) < (ty.0, from));
        let hi = v.partition_point(|e| key(*e) < (ty.0, u32::MAX));
        &v[lo..hi.max(lo)]
    }

    /// The candidates of a resource search, in name order: the entities of `ty` that the
    /// principal's assignments (and its type's wildcards) lead to, through the reverse of
    /// relations and the usersets of groups. Each list met is sorted by (type, rank), so the
    /// candidates are a merge of one slice per list: the first page of a principal with
    /// 100,000 holdings reads a page's worth of them, and walks the holdings once only to find
    /// those that lead further (a bit per entity).
    fn resource_candidates<'a>(
        &'a self,
        facts: &Facts,
        ty: TypeId,
        principal: &Entity,
        from: u32,
    ) -> Box<dyn Iterator<Item = EntityId> + 'a> {
        let mut lists: Vec<&'a [EntityId]> = Vec::new();
        let mut seen: FxHashSet<EntityId> = FxHashSet::default();
        let mut todo: Vec<EntityId> = Vec::new();
        let mut visit = |l: &'a [EntityId], todo: &mut Vec<EntityId>| {
            let part = self.of_type(facts, l, ty, from);
            if !part.is_empty() {
                lists.push(part);
            }
            for &y in l {
                if self.leads.get(y.index()).copied().unwrap_or(false) && seen.insert(y) {
                    todo.push(y);
                }
            }
        };
        let starts = principal
            .id
            .and_then(|p| self.held.get(&p))
            .into_iter()
            .chain(self.wildcard_entities.get(&principal.ty));
        for l in starts {
            visit(l, &mut todo);
        }
        while let Some(x) = todo.pop() {
            // What reaches `x` by a relation (the start of a `from` path ending here), and
            // where `x`'s holders hold as a userset.
            for l in self.backward.get(&x).into_iter().chain(self.held.get(&x)) {
                visit(l, &mut todo);
            }
        }
        // Many short lists (a holding on each of many folders): one sort beats a heap as wide.
        if lists.len() > 64 {
            let mut all: Vec<EntityId> = lists.concat();
            all.sort_unstable_by_key(|e| self.rank(*e));
            all.dedup();
            return Box::new(all.into_iter());
        }
        Box::new(Merge::new(self, lists))
    }

    fn rank(&self, e: EntityId) -> u32 {
        self.rank.get(e.index()).copied().unwrap_or(u32::MAX)
    }

    /// The first position in `ty`'s name order after `after`.
    fn start(&self, facts: &Facts, ty: TypeId, after: Option<&str>) -> u32 {
        let names = &self.by_name[ty.index()];
        match after {
            None => 0,
            Some(a) => {
                names.partition_point(|e| facts.entity_name(*e).is_some_and(|n| n <= a)) as u32
            }
        }
    }

    /// `who of type ty can do action on resource`: a page of at most `limit` actors the facts
    /// name, in name order, after the name `after`. Wildcard holders are every named actor of
    /// the type (listed) and any other (`everyone`).
    #[allow(clippy::too_many_arguments)]
    pub fn subjects(
        &self,
        policy: &Policy,
        facts: &Facts,
        ctx: &Context,
        ty: TypeId,
        action: PermId,
        resource: &Entity,
        after: Option<&str>,
        limit: usize,
        deadline: Option<Instant>,
    ) -> Page {
        let mut req = Request {
            principal: Entity {
                ty,
                id: None,
                name: "*".into(),
            },
            action,
            resource: resource.clone(),
            context: ctx.clone(),
            errors: Vec::new(),
        };
        // An actor the facts do not name: allowed only by wildcards or rules, and then every
        // actor of the type is. Its errors are not the answer's: it has no attributes, so a
        // rule that reads one (as it may where the attribute is required) fails for it alone;
        // it is then not allowed (fail-closed), and the named actors' decisions below report
        // errors of their own.
        let anon = super::decide_with(policy, facts, &req, false);
        let mut errors = Vec::new();
        let everyone = anon.allowed;
        let from = self.start(facts, ty, after);
        let all = &self.by_name[ty.index()];
        let mut lists: Vec<&[EntityId]> = Vec::new();
        let mut every = everyone || permits(policy, resource.ty, action) || resource.id.is_none();
        if !every && let Some(r) = resource.id {
            let mut seen: FxHashSet<EntityId> = FxHashSet::default();
            let mut todo = vec![r];
            seen.insert(r);
            while let Some(x) = todo.pop() {
                if self.wildcard_on.get(&x).is_some_and(|ts| ts.contains(&ty)) {
                    every = true;
                    break;
                }
                if let Some(v) = self.actors_on.get(&x) {
                    // The actors of `ty` in the list, from the first after the key.
                    let lo = v.partition_point(|e| {
                        facts.entity_type(*e).is_some_and(|t| t.0 < ty.0)
                            || (facts.entity_type(*e) == Some(ty) && self.rank(*e) < from)
                    });
                    let hi =
                        v.partition_point(|e| facts.entity_type(*e).is_some_and(|t| t.0 <= ty.0));
                    if lo < hi {
                        lists.push(&v[lo..hi]);
                    }
                }
                let next = self.forward.get(&x).into_iter().chain(self.sets_on.get(&x));
                for &y in next.flatten() {
                    if seen.insert(y) {
                        todo.push(y);
                    }
                }
            }
        }
        if every {
            lists = vec![&all[(from as usize).min(all.len())..]];
        }
        let mut found = Vec::new();
        let mut more = false;
        let mut timed_out = false;
        let merged = Merge::new(self, lists);
        let mut n = 0usize;
        for e in merged {
            n += 1;
            if n.is_multiple_of(32) && deadline.is_some_and(|d| Instant::now() > d) {
                timed_out = true;
                break;
            }
            if self.rank(e) == u32::MAX {
                continue;
            }
            let Some(p) = Entity::known(facts, e) else {
                continue;
            };
            req.principal = p;
            let d = super::decide_with(policy, facts, &req, false);
            errors.extend(d.errors);
            if d.allowed {
                if found.len() == limit {
                    more = true;
                    break;
                }
                found.push(std::mem::replace(
                    &mut req.principal,
                    Entity {
                        ty,
                        id: None,
                        name: String::new(),
                    },
                ));
            }
        }
        Page {
            found,
            more,
            errors: super::query::dedup(errors),
            everyone,
            timed_out,
        }
    }

    /// `which entities of type ty can principal do action on`: a page of at most `limit`, in
    /// name order, after the name `after`.
    #[allow(clippy::too_many_arguments)]
    pub fn resources(
        &self,
        policy: &Policy,
        facts: &Facts,
        ctx: &Context,
        ty: TypeId,
        principal: &Entity,
        action: PermId,
        after: Option<&str>,
        limit: usize,
        deadline: Option<Instant>,
    ) -> Page {
        let from = self.start(facts, ty, after);
        let all = &self.by_name[ty.index()];
        let candidates: Box<dyn Iterator<Item = EntityId> + '_> =
            if permits(policy, ty, action) || principal.id.is_none() {
                Box::new(all[(from as usize).min(all.len())..].iter().copied())
            } else {
                self.resource_candidates(facts, ty, principal, from)
            };
        let mut req = Request {
            principal: principal.clone(),
            action,
            resource: principal.clone(),
            context: ctx.clone(),
            errors: Vec::new(),
        };
        let mut page = Page::default();
        for (n, e) in candidates.enumerate() {
            if n % 32 == 31 && deadline.is_some_and(|d| Instant::now() > d) {
                page.timed_out = true;
                break;
            }
            let Some(r) = Entity::known(facts, e) else {
                continue;
            };
            req.resource = r;
            let d = super::decide_with(policy, facts, &req, false);
            page.errors.extend(d.errors);
            if d.allowed {
                if page.found.len() == limit {
                    page.more = true;
                    break;
                }
                page.found.push(req.resource.clone());
            }
        }
        page.errors = super::query::dedup(std::mem::take(&mut page.errors));
        page
    }
}

/// Whether a `permit` rule can give `action` on `ty` (and so may allow any actor).
fn permits(policy: &Policy, ty: TypeId, action: PermId) -> bool {
    policy
        .rules
        .iter()
        .any(|r| r.effect == Effect::Permit && r.resource == ty && r.actions.contains(&action))
}

/// The union of lists sorted by rank, in rank order, each entity once.
struct Merge<'a> {
    ix: &'a SearchIndex,
    lists: Vec<&'a [EntityId]>,
    heap: BinaryHeap<std::cmp::Reverse<(u32, usize)>>,
    pos: Vec<usize>,
    last: Option<u32>,
}

impl<'a> Merge<'a> {
    fn new(ix: &'a SearchIndex, lists: Vec<&'a [EntityId]>) -> Merge<'a> {
        let mut heap = BinaryHeap::new();
        for (i, l) in lists.iter().enumerate() {
            if let Some(e) = l.first() {
                heap.push(std::cmp::Reverse((ix.rank(*e), i)));
            }
        }
        let pos = vec![0; lists.len()];
        Merge {
            ix,
            lists,
            heap,
            pos,
            last: None,
        }
    }
}

impl Iterator for Merge<'_> {
    type Item = EntityId;

    fn next(&mut self) -> Option<EntityId> {
        loop {
            let std::cmp::Reverse((rank, i)) = self.heap.pop()?;
            let e = self.lists[i][self.pos[i]];
            self.pos[i] += 1;
            if let Some(n) = self.lists[i].get(self.pos[i]) {
                self.heap.push(std::cmp::Reverse((self.ix.rank(*n), i)));
            }
            if self.last == Some(rank) {
                continue;
            }
            self.last = Some(rank);
            return Some(e);
        }
    }
}

//! Whether an actor holds a set of roles on an entity, following a precomputed plan, with the
//! derivation when asked for.

use super::{Context, DEPTH_LIMIT, Entity, Request, STEP_LIMIT};
use crate::compiled::{PlanId, Policy, RelId, RoleId, TypeId};
use crate::facts::{EntityId, Facts, Subject};

/// One step of a derivation, from an assignment up to the role that grants.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// The actor's own assignment (index in the facts).
    Assigned(u32),
    /// A wildcard assignment (`user:* is viewer on ...`).
    Wildcard(u32),
    /// A userset assignment (`team:core#member is admin on ...`): `via` shows the actor holds
    /// the userset's role.
    Member {
        /// The userset assignment's index in the facts.
        assignment: u32,
        /// How the actor holds the userset's role.
        via: Derivation,
    },
    /// `role` on `entity` through the `from` edge number `edge` of `role`.
    From {
        /// The type of `entity`, which declares `role`.
        ty: TypeId,
        /// The role given.
        role: RoleId,
        /// The index of the edge in `role`'s [`crate::compiled::Role::from`].
        edge: u32,
        /// The entity the role is held on.
        entity: EntityId,
    },
    /// `role` on `entity` because `by` includes it.
    Included {
        /// The type of `entity`, which declares both roles.
        ty: TypeId,
        /// The role given.
        role: RoleId,
        /// The role held that includes it.
        by: RoleId,
        /// The entity the roles are held on.
        entity: EntityId,
    },
}

/// How an actor came to hold a role: steps from an assignment to the role.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Derivation(pub Vec<Step>);

impl Derivation {
    /// The role the derivation ends at (the one its last step gives).
    pub fn end_role(&self, facts: &Facts) -> Option<RoleId> {
        match self.0.last()? {
            Step::Assigned(i) | Step::Wildcard(i) | Step::Member { assignment: i, .. } => {
                facts.assignment(*i).map(|a| a.role)
            }
            Step::From { role, .. } | Step::Included { role, .. } => Some(*role),
        }
    }

    /// The derivation in words, its steps joined by ` -> `
    /// (`user:alice is admin on organization:acme -> owner on workspace:ml (from admin on organization)`).
    pub fn render(&self, policy: &Policy, facts: &Facts) -> String {
        let mut parts = Vec::new();
        for step in &self.0 {
            parts.push(match step {
                Step::Assigned(i) | Step::Wildcard(i) => assignment_text(policy, facts, *i),
                Step::Member { assignment, via } => {
                    let a = facts.assignment(*assignment);
                    let head = a.map_or(String::new(), |a| {
                        let t = policy.ty(facts.entity_type(a.on).unwrap_or(TypeId(0)));
                        format!(
                            "{} on {}",
                            t.roles[a.role.index()].name,
                            facts.display(policy, a.on)
                        )
                    });
                    format!(
                        "{} -> {head} ({})",
                        via.render(policy, facts),
                        assignment_text(policy, facts, *assignment)
                    )
                }
                Step::From {
                    ty,
                    role,
                    edge,
                    entity,
                } => {
                    let r = &policy.ty(*ty).roles[role.index()];
                    let e = &r.from[*edge as usize];
                    let kind = if e.default { "default from" } else { "from" };
                    format!(
                        "{} on {} ({kind} {} on {})",
                        r.name,
                        facts.display(policy, *entity),
                        policy.ty(e.target).roles[e.role.index()].name,
                        e.path_text
                    )
                }
                Step::Included {
                    ty,
                    role,
                    by,
                    entity,
                } => {
                    let t = policy.ty(*ty);
                    format!(
                        "{} on {} (included by {})",
                        t.roles[role.index()].name,
                        facts.display(policy, *entity),
                        t.roles[by.index()].name
                    )
                }
            });
        }
        parts.join(" -> ")
    }
}

/// `user:alice is admin on organization:acme [until ...] (file:line)`
pub fn assignment_text(policy: &Policy, facts: &Facts, idx: u32) -> String {
    let Some(a) = facts.assignment(idx) else {
        return format!("assignment #{idx}");
    };
    let on_ty = facts.entity_type(a.on).unwrap_or(TypeId(0));
    let subject = match a.subject {
        Subject::Actor(e) => facts.display(policy, e),
        Subject::Userset(e, r) => {
            let t = facts.entity_type(e).unwrap_or(TypeId(0));
            format!(
                "{}#{}",
                facts.display(policy, e),
                policy.ty(t).roles[r.index()].name
            )
        }
        Subject::Wildcard(t) => format!("{}:*", policy.type_name(t)),
    };
    let mut s = format!(
        "{subject} is {} on {}",
        policy.ty(on_ty).roles[a.role.index()].name,
        facts.display(policy, a.on)
    );
    if let Some(u) = a.until() {
        s.push_str(&format!(" until \"{}\"", crate::time::format(u)));
    }
    s
}

/// Steps after which failed questions are remembered.
const MEMO_AFTER: usize = 32;

/// The questions being answered, for cycle detection: inline up to [`INLINE`] entries (deeper
/// than usual data goes), so that a decision does not allocate.
struct Stack {
    inline: [(EntityId, PlanId); INLINE],
    len: usize,
    spill: Vec<(EntityId, PlanId)>,
}

const INLINE: usize = 8;

impl Default for Stack {
    fn default() -> Stack {
        Stack {
            inline: [(EntityId(0), PlanId(0)); INLINE],
            len: 0,
            spill: Vec::new(),
        }
    }
}

impl Stack {
    #[inline]
    fn len(&self) -> usize {
        self.len + self.spill.len()
    }

    #[inline]
    fn push(&mut self, x: (EntityId, PlanId)) {
        if self.len < INLINE {
            self.inline[self.len] = x;
            self.len += 1;
        } else {
            self.spill.push(x);
        }
    }

    #[inline]
    fn pop(&mut self) {
        if self.spill.pop().is_none() {
            self.len = self.len.saturating_sub(1);
        }
    }

    #[inline]
    fn contains(&self, x: &(EntityId, PlanId)) -> bool {
        self.inline[..self.len].contains(x) || self.spill.contains(x)
    }

    fn to_vec(&self) -> Vec<(EntityId, PlanId)> {
        let mut v = self.inline[..self.len].to_vec();
        v.extend_from_slice(&self.spill);
        v
    }
}

/// The state of one decision: the cycle stack, the step budget and the errors met.
pub(crate) struct Walk<'a> {
    pub policy: &'a Policy,
    pub facts: &'a Facts,
    pub principal: &'a Entity,
    pub resource: &'a Entity,
    pub context: &'a Context,
    pub explain: bool,
    stack: Stack,
    steps: usize,
    /// Set when the walk was cut short by a limit: the answer is then unknown.
    cut: Option<String>,
    /// Cycles met so far (a failure that met none can be remembered).
    cycles: usize,
    /// Questions answered "no" (see [`Walk::holds_id`]).
    failed: rustc_hash::FxHashSet<(TypeId, Option<EntityId>, EntityId, PlanId)>,
    pub errors: Vec<String>,
}

impl<'a> Walk<'a> {
    pub fn new(policy: &'a Policy, facts: &'a Facts, req: &'a Request, explain: bool) -> Walk<'a> {
        Walk::scoped(
            policy,
            facts,
            &req.principal,
            &req.resource,
            &req.context,
            explain,
        )
    }

    pub fn scoped(
        policy: &'a Policy,
        facts: &'a Facts,
        principal: &'a Entity,
        resource: &'a Entity,
        context: &'a Context,
        explain: bool,
    ) -> Walk<'a> {
        Walk {
            policy,
            facts,
            principal,
            resource,
            context,
            explain,
            stack: Stack::default(),
            steps: 0,
            cut: None,
            cycles: 0,
            failed: Default::default(),
            errors: Vec::new(),
        }
    }

    fn now(&self) -> i64 {
        self.context.now
    }

    /// Does `actor` (of type `actor_ty`; `None` when the facts do not name it) hold one of the
    /// plan's roles on `entity`?
    pub fn holds(
        &mut self,
        actor: &super::Entity,
        entity: Option<EntityId>,
        plan: PlanId,
    ) -> Option<Derivation> {
        self.holds_id(actor.ty, actor.id, entity?, plan)
    }

    pub fn holds_id(
        &mut self,
        actor_ty: TypeId,
        actor: Option<EntityId>,
        entity: EntityId,
        plan_id: PlanId,
    ) -> Option<Derivation> {
        // Large walks (groups of groups, many-valued relations) can reach the same question by
        // many paths: a question answered "no" without meeting a cycle is "no" on every path, so
        // it is remembered. Small walks, the usual case, never allocate the memo.
        let key = (actor_ty, actor, entity, plan_id);
        if self.steps >= MEMO_AFTER && self.failed.contains(&key) {
            return None;
        }
        let cycles = self.cycles;
        let found = self.holds_walk(actor_ty, actor, entity, plan_id);
        if found.is_none()
            && self.steps >= MEMO_AFTER
            && self.cycles == cycles
            && self.cut.is_none()
        {
            self.failed.insert(key);
        }
        found
    }

    fn holds_walk(
        &mut self,
        actor_ty: TypeId,
        actor: Option<EntityId>,
        entity: EntityId,
        plan_id: PlanId,
    ) -> Option<Derivation> {
        self.steps += 1;
        if self.steps > STEP_LIMIT || self.stack.len() >= DEPTH_LIMIT {
            if self.cut.is_none() {
                let msg = if self.steps > STEP_LIMIT {
                    format!(
                        "evaluation stopped after {STEP_LIMIT} steps: the data is too deeply connected"
                    )
                } else if self.explain
                    && let Some(cycle) = super::cycles::beyond(
                        self.policy,
                        self.facts,
                        self.now(),
                        &self.stack.to_vec(),
                        actor,
                        (entity, plan_id),
                    )
                {
                    // A cycle longer than the limit: said as what it is, and still a cut (the
                    // decision fails closed). Only looked for in explained decisions (one
                    // request, `eval`, `can`): list queries decide thousands of candidates
                    // without reasons, and the search costs up to the size of the data.
                    format!("cycle in the data: {cycle}")
                } else {
                    format!(
                        "evaluation stopped at a chain of {DEPTH_LIMIT} relations and groups: the data nests too deeply"
                    )
                };
                self.errors.push(msg.clone());
                self.cut = Some(msg);
            }
            return None;
        }
        if self.stack.contains(&(entity, plan_id)) {
            self.report_cycle(entity, plan_id);
            return None;
        }
        let policy = self.policy;
        let facts = self.facts;
        let plan = policy.plan(plan_id);
        let now = self.now();
        // The actor's own assignments on the entity: one hash lookup.
        if let Some(actor) = actor {
            for i in facts.direct(actor, entity) {
                if let Some(a) = facts.assignment(i)
                    && a.live(now)
                    && plan.direct.contains(a.role)
                {
                    return Some(self.finish(
                        self.step(|| Step::Assigned(i)),
                        plan.ty,
                        a.role,
                        entity,
                        plan_id,
                    ));
                }
            }
        }
        // Usersets and wildcards assigned on the entity.
        for i in facts.sets(entity) {
            let Some(a) = facts.assignment(i) else {
                continue;
            };
            if !a.live(now) || !plan.direct.contains(a.role) {
                continue;
            }
            match a.subject {
                Subject::Wildcard(t) if t == actor_ty => {
                    return Some(self.finish(
                        self.step(|| Step::Wildcard(i)),
                        plan.ty,
                        a.role,
                        entity,
                        plan_id,
                    ));
                }
                Subject::Userset(group, role) => {
                    let Some(gty) = facts.entity_type(group) else {
                        continue;
                    };
                    let sub = policy.ty(gty).role_plans[role.index()];
                    self.stack.push((entity, plan_id));
                    let via = self.holds_id(actor_ty, actor, group, sub);
                    self.stack.pop();
                    if let Some(via) = via {
                        return Some(self.finish(
                            self.step(|| Step::Member { assignment: i, via }),
                            plan.ty,
                            a.role,
                            entity,
                            plan_id,
                        ));
                    }
                }
                _ => {}
            }
        }
        // `from` edges that can give one of the roles.
        let mut own: Option<bool> = None;
        for edge in &plan.edges {
            if edge.default {
                let has_own = *own.get_or_insert_with(|| {
                    actor.is_some_and(|a| {
                        facts
                            .direct(a, entity)
                            .any(|i| facts.assignment(i).is_some_and(|x| x.live(now)))
                    })
                });
                if has_own {
                    continue;
                }
            }
            self.stack.push((entity, plan_id));
            let found = self.along(actor_ty, actor, entity, &edge.path, edge.plan);
            self.stack.pop();
            if let Some(mut d) = found {
                if !self.explain {
                    return Some(d);
                }
                // The derivation ends at one of the merged edges' source roles: the first edge
                // with that source is the one followed.
                let end = d.end_role(facts);
                let via = edge
                    .via
                    .iter()
                    .find(|v| Some(v.source) == end)
                    .or(edge.via.first())?;
                d.0.push(Step::From {
                    ty: plan.ty,
                    role: via.role,
                    edge: via.edge,
                    entity,
                });
                return Some(self.finish(d.0, plan.ty, via.role, entity, plan_id));
            }
        }
        None
    }

    /// Follows a relation path (fanning out over many-valued relations) and asks the plan at
    /// each end.
    fn along(
        &mut self,
        actor_ty: TypeId,
        actor: Option<EntityId>,
        entity: EntityId,
        path: &[RelId],
        plan: PlanId,
    ) -> Option<Derivation> {
        let Some((first, rest)) = path.split_first() else {
            return self.holds_id(actor_ty, actor, entity, plan);
        };
        let facts = self.facts;
        for &next in facts.relation(entity, *first) {
            if let Some(d) = self.along(actor_ty, actor, next, rest, plan) {
                return Some(d);
            }
        }
        None
    }

    /// The first step of a derivation, only built when explaining (a decision without
    /// explanation allocates nothing).
    #[inline]
    fn step(&self, s: impl FnOnce() -> Step) -> Vec<Step> {
        if self.explain { vec![s()] } else { Vec::new() }
    }

    /// Completes a derivation with the include steps from the held role to a role of the plan.
    fn finish(
        &self,
        mut steps: Vec<Step>,
        ty: TypeId,
        held: RoleId,
        entity: EntityId,
        plan: PlanId,
    ) -> Derivation {
        if !self.explain {
            return Derivation(Vec::new());
        }
        let t = self.policy.ty(ty);
        let targets = &self.policy.plan(plan).roles;
        // Breadth-first over includes, remembering how each role was reached.
        let mut prev: Vec<Option<RoleId>> = vec![None; t.roles.len()];
        let mut queue = std::collections::VecDeque::from([held]);
        let mut seen = crate::compiled::RoleSet::single(held);
        let mut end = None;
        while let Some(r) = queue.pop_front() {
            if targets.contains(r) {
                end = Some(r);
                break;
            }
            for inc in &t.roles[r.index()].includes {
                if seen.insert(*inc) {
                    prev[inc.index()] = Some(r);
                    queue.push_back(*inc);
                }
            }
        }
        let mut chain = Vec::new();
        let mut cur = end;
        while let Some(r) = cur {
            match prev[r.index()] {
                Some(by) => {
                    chain.push(Step::Included {
                        ty,
                        role: r,
                        by,
                        entity,
                    });
                    cur = Some(by);
                }
                None => cur = None,
            }
        }
        chain.reverse();
        steps.extend(chain);
        Derivation(steps)
    }

    fn report_cycle(&mut self, entity: EntityId, plan: PlanId) {
        self.cycles += 1;
        let stack = self.stack.to_vec();
        let start = stack.iter().position(|x| *x == (entity, plan)).unwrap_or(0);
        let mut names: Vec<String> = stack[start..]
            .iter()
            .map(|(e, _)| self.facts.display(self.policy, *e))
            .collect();
        names.dedup();
        names.push(self.facts.display(self.policy, entity));
        let msg = format!("cycle in the data: {}", names.join(" -> "));
        if !self.errors.contains(&msg) {
            self.errors.push(msg);
        }
    }
}

impl<'a> super::expr::Env<'a> for Walk<'a> {
    fn policy(&self) -> &Policy {
        self.policy
    }
    fn facts(&self) -> &'a Facts {
        self.facts
    }
    fn principal(&self) -> &Entity {
        self.principal
    }
    fn resource(&self) -> &Entity {
        self.resource
    }
    fn context(&self) -> &'a Context {
        self.context
    }
    fn holds_role(
        &mut self,
        actor_ty: TypeId,
        actor: Option<EntityId>,
        entity: EntityId,
        ty: TypeId,
        role: RoleId,
    ) -> Result<bool, String> {
        let plan = self.policy.ty(ty).role_plans[role.index()];
        let explain = std::mem::replace(&mut self.explain, false);
        let held = self.holds_id(actor_ty, actor, entity, plan).is_some();
        self.explain = explain;
        // A data cycle met on the way is reported but loses nothing: every derivation has one
        // without a cycle, so "not held" is the answer. Only a walk cut short by a limit
        // leaves the answer unknown (and the limit may have been hit before this call).
        if let (false, Some(msg)) = (held, &self.cut) {
            return Err(msg.clone());
        }
        Ok(held)
    }
}

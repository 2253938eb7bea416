//! Data cycles longer than the depth limit: the walk meets a cycle by finding a question on its
//! stack, which a cycle longer than the stack never shows. When the walk is cut at the limit,
//! [`beyond`] looks past it for a way back.

use crate::compiled::{PlanId, Policy};
use crate::facts::{EntityId, Facts, Subject};
use rustc_hash::FxHashSet;

/// A question of the walk: does the actor hold one of the plan's roles on the entity?
type Question = (EntityId, PlanId);

/// How many questions the search asks at most.
const PROBE_LIMIT: usize = 50_000;

/// The questions the walk asks next after `(entity, plan)`: the groups of live usersets whose
/// role the plan takes, and the ends of its `from` edges, as `Walk::holds_walk` follows them.
fn next_questions(
    policy: &Policy,
    facts: &Facts,
    now: i64,
    actor: Option<EntityId>,
    (entity, plan_id): Question,
) -> Vec<Question> {
    let plan = policy.plan(plan_id);
    let mut out = Vec::new();
    for i in facts.sets(entity) {
        if let Some(a) = facts.assignment(i)
            && a.live(now)
            && plan.direct.contains(a.role)
            && let Subject::Userset(group, role) = a.subject
            && let Some(gty) = facts.entity_type(group)
        {
            out.push((group, policy.ty(gty).role_plans[role.index()]));
        }
    }
    let own = actor.is_some_and(|a| {
        facts
            .direct(a, entity)
            .any(|i| facts.assignment(i).is_some_and(|x| x.live(now)))
    });
    for edge in plan.edges.iter().filter(|e| !(e.default && own)) {
        let mut ends = vec![entity];
        for rel in &edge.path {
            ends = ends
                .iter()
                .flat_map(|e| facts.relation(*e, *rel).iter().copied())
                .collect();
        }
        out.extend(ends.into_iter().map(|e| (e, edge.plan)));
    }
    out
}

/// Whether the questions beyond `start` (where the walk was cut) lead back to one on `stack`
/// or loop among themselves: a data cycle longer than the limit, as text (`a -> b -> a`, the
/// middle of a long one elided). A bounded depth-first search ([`PROBE_LIMIT`] questions).
pub(super) fn beyond(
    policy: &Policy,
    facts: &Facts,
    now: i64,
    stack: &[Question],
    actor: Option<EntityId>,
    start: Question,
) -> Option<String> {
    let next_of = |q: Question| next_questions(policy, facts, now, actor, q);
    let on_stack: FxHashSet<Question> = stack.iter().copied().collect();
    let mut seen = FxHashSet::default();
    let mut on_path = FxHashSet::default();
    // The path so far and, per question on it, the questions left to ask.
    let mut path = vec![start];
    let mut todo = vec![next_of(start)];
    seen.insert(start);
    on_path.insert(start);
    let mut budget = PROBE_LIMIT;
    let cycle: Vec<EntityId> = loop {
        let Some(next) = todo.last_mut()?.pop() else {
            todo.pop();
            if let Some(q) = path.pop() {
                on_path.remove(&q);
            }
            if todo.is_empty() {
                return None;
            }
            continue;
        };
        if on_stack.contains(&next)
            && let Some(at) = stack.iter().position(|q| *q == next)
        {
            break stack[at..].iter().chain(&path).map(|q| q.0).collect();
        }
        if on_path.contains(&next)
            && let Some(at) = path.iter().position(|q| *q == next)
        {
            break path[at..].iter().map(|q| q.0).collect();
        }
        budget = budget.checked_sub(1)?;
        if seen.insert(next) {
            todo.push(next_of(next));
            path.push(next);
            on_path.insert(next);
        }
    };
    let mut names: Vec<String> = cycle.iter().map(|e| facts.display(policy, *e)).collect();
    names.dedup();
    if let Some(first) = names.first().cloned() {
        names.push(first);
    }
    if names.len() > 12 {
        let hidden = names.len() - 8;
        names.splice(4..names.len() - 4, [format!("({hidden} more)")]);
    }
    Some(names.join(" -> "))
}

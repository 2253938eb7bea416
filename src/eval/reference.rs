//! The reference evaluator: a direct reading of the definitions (docs/language.md, "Evaluation semantics"),
//! with no precomputed plans. It computes every role the actor holds anywhere as a least
//! fixpoint over the assignments, includes and `from` clauses, then applies the rules, reading
//! their conditions with its own tree walk (`reference/condition.rs`, no code shared with the
//! fast evaluator). Slow and obviously right: property tests require the fast evaluator to
//! agree with it.

mod condition;

use super::Request;
use crate::compiled::{Policy, RoleId, TypeId};
use crate::facts::{EntityId, Facts, Subject};
use crate::lang::{ConditionKind, Effect};
use std::collections::HashSet;

/// Every (entity, role) the actor holds, by fixpoint.
pub fn roles_held(
    policy: &Policy,
    facts: &Facts,
    actor_ty: TypeId,
    actor: Option<EntityId>,
    now: i64,
) -> HashSet<(EntityId, RoleId)> {
    let mut held: HashSet<(EntityId, RoleId)> = HashSet::new();
    let entities: Vec<EntityId> = (0..facts.entity_count() as u32).map(EntityId).collect();
    // Whether the actor has a live assignment naming itself on an entity (which turns off the
    // `default from` clauses there).
    let own = |e: EntityId| {
        actor.is_some_and(|a| {
            facts
                .assignments()
                .any(|(_, x)| x.on == e && x.subject == Subject::Actor(a) && x.live(now))
        })
    };
    loop {
        let before = held.len();
        for (_, a) in facts.assignments() {
            if !a.live(now) {
                continue;
            }
            let applies = match a.subject {
                Subject::Actor(x) => Some(x) == actor,
                Subject::Wildcard(t) => t == actor_ty,
                Subject::Userset(g, r) => held.contains(&(g, r)),
            };
            if applies {
                held.insert((a.on, a.role));
            }
        }
        let snapshot: Vec<(EntityId, RoleId)> = held.iter().copied().collect();
        for (e, r) in snapshot {
            let Some(ty) = facts.entity_type(e) else {
                continue;
            };
            for inc in &policy.ty(ty).roles[r.index()].includes {
                held.insert((e, *inc));
            }
        }
        for &e in &entities {
            let Some(ty) = facts.entity_type(e) else {
                continue;
            };
            for (k, role) in policy.ty(ty).roles.iter().enumerate() {
                for edge in &role.from {
                    if edge.default && own(e) {
                        continue;
                    }
                    let mut frontier = vec![e];
                    for rel in &edge.path {
                        frontier = frontier
                            .iter()
                            .flat_map(|x| facts.relation(*x, *rel).iter().copied())
                            .collect();
                    }
                    if frontier.iter().any(|t| held.contains(&(*t, edge.role))) {
                        held.insert((e, RoleId(k as u32)));
                    }
                }
            }
        }
        if held.len() == before {
            return held;
        }
    }
}

/// Allow or deny, by the definitions: some role or `permit` gives the action, and no `forbid`
/// applies (a forbid whose condition errs applies; a permit whose condition errs does not).
pub fn decide(policy: &Policy, facts: &Facts, req: &Request) -> bool {
    if !req.errors.is_empty() {
        return false;
    }
    let t = policy.ty(req.resource.ty);
    let by_role = req.resource.id.is_some_and(|r| {
        roles_held(
            policy,
            facts,
            req.principal.ty,
            req.principal.id,
            req.context.now,
        )
        .iter()
        .any(|(e, role)| *e == r && t.roles[role.index()].grants.contains(&req.action))
    });
    let applies = |effect: Effect| {
        policy
            .rules
            .iter()
            .filter(|rule| {
                rule.effect == effect
                    && rule.resource == req.resource.ty
                    && rule.actions.contains(&req.action)
            })
            .any(|rule| match &rule.condition {
                None => true,
                Some((kind, c)) => match (condition::holds(policy, facts, req, c), kind) {
                    (Ok(v), ConditionKind::When) => v,
                    (Ok(v), ConditionKind::Unless) => !v,
                    (Err(_), _) => effect == Effect::Forbid,
                },
            })
    };
    (by_role || applies(Effect::Permit)) && !applies(Effect::Forbid)
}

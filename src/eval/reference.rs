//! The reference evaluator: a direct reading of the definitions (LANGUAGE.md sections 1 and 6),
//! with no precomputed plans. It computes every role the actor holds anywhere as a least
//! fixpoint over the assignments, includes and `from` clauses, then applies the rules. Slow and
//! obviously right: property tests require the fast evaluator to agree with it.

use super::expr::{Env, eval_condition};
use super::{Context, Entity, Request};
use crate::compiled::{Policy, RoleId, TypeId};
use crate::facts::{EntityId, Facts, Subject};
use crate::syntax::ast::{ConditionKind, Effect};
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

struct RefEnv<'a> {
    policy: &'a Policy,
    facts: &'a Facts,
    req: &'a Request,
}

impl<'a> Env<'a> for RefEnv<'a> {
    fn policy(&self) -> &Policy {
        self.policy
    }
    fn facts(&self) -> &'a Facts {
        self.facts
    }
    fn principal(&self) -> &Entity {
        &self.req.principal
    }
    fn resource(&self) -> &Entity {
        &self.req.resource
    }
    fn context(&self) -> &'a Context {
        &self.req.context
    }
    fn holds_role(
        &mut self,
        actor_ty: TypeId,
        actor: Option<EntityId>,
        entity: EntityId,
        _ty: TypeId,
        role: RoleId,
    ) -> Result<bool, String> {
        Ok(roles_held(
            self.policy,
            self.facts,
            actor_ty,
            actor,
            self.req.context.now,
        )
        .contains(&(entity, role)))
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
    let mut env = RefEnv { policy, facts, req };
    let mut applies = |effect: Effect| {
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
                Some((kind, c)) => match (eval_condition(&mut env, c), kind) {
                    (Ok(v), ConditionKind::When) => v,
                    (Ok(v), ConditionKind::Unless) => !v,
                    (Err(_), _) => effect == Effect::Forbid,
                },
            })
    };
    (by_role || applies(Effect::Permit)) && !applies(Effect::Forbid)
}

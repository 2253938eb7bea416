//! Decisions without reasons, on the flattened plans ([`crate::compiled::fast`]): role sets are
//! masks, there is no derivation, no cycle stack and no memo.
//!
//! It answers whether roles give the action only where it can answer exactly as the general walk
//! ([`super::holds`]) would, and gives up ([`Bail`]) otherwise: a chain deeper than [`DEPTH`]
//! (which is also how a cycle in the data shows here), more than [`STEPS`] questions, or a type
//! of more than 64 roles. It asks its questions in the walk's order, so that where the walk
//! would meet a cycle or a limit (and report it), this path has given up before answering.
//! When rules must then decide (a `forbid` on an allow, a `permit` on a deny), it says so and
//! the caller evaluates them. `tests/eval_agrees.rs` holds it to the walk (same decisions, same
//! errors) and to the reference evaluator.

use crate::compiled::fast::FastIndex;
use crate::compiled::{PlanId, Policy, TypeId};
use crate::facts::{EntityId, Facts, Subject, Summary};

use super::Request;

/// Deeper chains of relations and groups take the general walk.
const DEPTH: u32 = 24;
/// Larger walks take the general walk (it remembers failed questions).
const STEPS: u32 = 256;

/// This path cannot answer; the general walk must.
pub(crate) struct Bail;

/// What the path found.
pub(crate) enum Fast {
    /// Allowed or denied: no rule can change it.
    Decided(bool),
    /// Roles give the action (`held`) or not, exactly as the walk finds; rules must decide.
    Rules { held: bool },
    /// The walk must decide.
    Walk,
}

/// Allow or deny when roles alone decide; whether roles give the action when rules must decide
/// too; or nothing, when the walk must take the request.
#[inline]
pub(crate) fn decide(policy: &Policy, facts: &Facts, req: &Request) -> Fast {
    match roles(policy, facts, req) {
        Ok((held, needs_rules)) if needs_rules => Fast::Rules { held },
        Ok((held, _)) => Fast::Decided(held),
        Err(Bail) => Fast::Walk,
    }
}

/// Whether roles give the action, and whether rules must then be evaluated.
#[inline]
fn roles(policy: &Policy, facts: &Facts, req: &Request) -> Result<(bool, bool), Bail> {
    let ix = &policy.fast;
    let start = *ix.action_start.get(req.resource.ty.index()).ok_or(Bail)?;
    let action = ix
        .actions
        .get(start as usize + req.action.index())
        .ok_or(Bail)?;
    let held = match req.resource.id {
        Some(entity) => {
            let mine = req.principal.id.map_or(0, |a| facts.actor_types(a));
            Walk {
                policy,
                ix,
                facts,
                actor_ty: req.principal.ty,
                actor: req.principal.id,
                mine,
                found_on: mine | facts.set_types(),
                now: req.context.now,
                steps: 0,
            }
            .holds(entity, action.plan, 0)?
        }
        None => false,
    };
    Ok((held, (held && action.forbids) || (!held && action.permits)))
}

struct Walk<'a> {
    policy: &'a Policy,
    ix: &'a FastIndex,
    facts: &'a Facts,
    actor_ty: TypeId,
    actor: Option<EntityId>,
    /// The types of the entities the actor has assignments of its own on ([`Facts`] masks).
    mine: u32,
    /// Those, and the types of the entities with userset or wildcard assignments: where
    /// anything can be found.
    found_on: u32,
    now: i64,
    steps: u32,
}

impl Walk<'_> {
    fn holds(
        &mut self,
        mut entity: EntityId,
        mut plan: PlanId,
        mut depth: u32,
    ) -> Result<bool, Bail> {
        // The last question a plan asks is asked by looping, not recursing: a chain of
        // relations (deployment -> workspace -> organization) is one loop.
        'ask: loop {
            self.steps += 1;
            if depth > DEPTH || self.steps > STEPS {
                return Err(Bail);
            }
            let facts = self.facts;
            let p = *self.ix.plans.get(plan.index()).ok_or(Bail)?;
            if !p.usable {
                return Err(Bail);
            }
            if p.chain && self.found_on & p.reach == 0 {
                // Nothing on the way can give a role (see `FastPlan::chain`).
                return Ok(false);
            }
            // The actor's own assignments; whether one is live also decides `default` edges.
            let mut own = false;
            if let Some(actor) = self.actor
                && self.mine & p.ty_bit != 0
            {
                let (mut i, summary) = facts.direct_head(actor, entity);
                if u64::from(summary.0 & !Summary::OTHERS) & p.direct != 0 {
                    // An assignment without `until` of a role that is enough.
                    return Ok(true);
                }
                own = summary.0 != 0;
                if summary.0 & Summary::OTHERS != 0 {
                    // Assignments the summary cannot speak for: read them.
                    own = false;
                    while let Some((a, next)) = facts.chained(i) {
                        if a.live(self.now) {
                            if p.direct & (1 << (a.role.index() % 64)) != 0 {
                                return Ok(true);
                            }
                            own = true;
                        }
                        i = next;
                    }
                }
            }
            // Usersets and wildcards on the entity.
            let mut i = facts.sets_head(entity);
            while let Some((a, next)) = facts.chained(i) {
                i = next;
                if a.live(self.now) && p.direct & (1 << (a.role.index() % 64)) != 0 {
                    match a.subject {
                        Subject::Wildcard(t) if t == self.actor_ty => return Ok(true),
                        Subject::Userset(group, role) => {
                            let sub = facts
                                .entity_type(group)
                                .and_then(|t| self.policy.ty(t).role_plans.get(role.index()));
                            if let Some(&sub) = sub
                                && self.holds(group, sub, depth + 1)?
                            {
                                return Ok(true);
                            }
                        }
                        _ => {}
                    }
                }
            }
            // The merged `from` edges.
            let (first, end) = p.edges;
            for k in first..end {
                let e = self.ix.edges[k as usize];
                if e.default && own {
                    continue;
                }
                if let Some(rel) = e.hop {
                    // One relation (the usual edge): its targets are asked directly.
                    let targets = facts.relation(entity, rel);
                    if k + 1 == end
                        && let Some((last, rest)) = targets.split_last()
                    {
                        for &next in rest {
                            if self.holds(next, e.plan, depth + 1)? {
                                return Ok(true);
                            }
                        }
                        entity = *last;
                        plan = e.plan;
                        depth += 1;
                        continue 'ask;
                    }
                    for &next in targets {
                        if self.holds(next, e.plan, depth + 1)? {
                            return Ok(true);
                        }
                    }
                } else {
                    let path = &self.ix.paths[e.path.0 as usize..e.path.1 as usize];
                    if self.along(entity, path, e.plan, depth + 1)? {
                        return Ok(true);
                    }
                }
            }
            return Ok(false);
        }
    }

    fn along(
        &mut self,
        entity: EntityId,
        path: &[crate::compiled::RelId],
        plan: PlanId,
        depth: u32,
    ) -> Result<bool, Bail> {
        let Some((first, rest)) = path.split_first() else {
            return self.holds(entity, plan, depth);
        };
        for &next in self.facts.relation(entity, *first) {
            if self.along(next, rest, plan, depth)? {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

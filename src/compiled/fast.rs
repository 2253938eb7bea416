//! The plans flattened for decisions without reasons: role sets as 64-bit masks, edges and paths
//! in flat arrays, one record per (type, action). Derived from [`Plan`]s when a policy is
//! compiled or loaded (never serialized), read by `eval::fast`.
//!
//! A plan over a type with more than 64 roles has no mask (`usable` is false): decisions that
//! reach it take the general walk.

use super::{Plan, PlanId, RelId, TypeDef};

/// One plan: the roles whose direct assignment is enough, as a mask, and its edges
/// (`edges[start..end]` of [`FastIndex`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct FastPlan {
    pub direct: u64,
    pub usable: bool,
    pub edges: (u32, u32),
}

/// One merged `from` edge: the relation path (`paths[start..end]`), whether it is a `default`
/// edge, and the plan asked at its end.
#[derive(Clone, Copy, Debug)]
pub struct FastEdge {
    pub path: (u32, u32),
    pub default: bool,
    pub plan: PlanId,
}

/// What a (type, action) needs: the plan, and whether rules can change the answer (a `permit`
/// when roles do not give the action, a `forbid` when they do).
#[derive(Clone, Copy, Debug)]
pub struct FastAction {
    pub plan: PlanId,
    pub permits: bool,
    pub forbids: bool,
}

#[derive(Clone, Debug, Default)]
pub struct FastIndex {
    pub plans: Vec<FastPlan>,
    pub edges: Vec<FastEdge>,
    pub paths: Vec<RelId>,
    /// Per type, where its actions start in `actions`.
    pub action_start: Vec<u32>,
    pub actions: Vec<FastAction>,
}

impl FastIndex {
    pub fn build(types: &[TypeDef], plans: &[Plan]) -> FastIndex {
        let mut ix = FastIndex::default();
        for plan in plans {
            let roles = types
                .get(plan.ty.index())
                .map_or(usize::MAX, |t| t.roles.len());
            let usable = roles <= 64;
            let direct = if usable {
                plan.direct
                    .iter()
                    .fold(0u64, |m, r| m | 1 << (r.index() % 64))
            } else {
                0
            };
            let start = ix.edges.len() as u32;
            for e in &plan.edges {
                let p0 = ix.paths.len() as u32;
                ix.paths.extend_from_slice(&e.path);
                ix.edges.push(FastEdge {
                    path: (p0, ix.paths.len() as u32),
                    default: e.default,
                    plan: e.plan,
                });
            }
            ix.plans.push(FastPlan {
                direct,
                usable,
                edges: (start, ix.edges.len() as u32),
            });
        }
        for t in types {
            ix.action_start.push(ix.actions.len() as u32);
            for (a, plan) in t.action_plans.iter().enumerate() {
                ix.actions.push(FastAction {
                    plan: *plan,
                    permits: t.permits.get(a).is_none_or(|r| !r.is_empty()),
                    forbids: t.forbids.get(a).is_none_or(|r| !r.is_empty()),
                });
            }
        }
        ix
    }
}

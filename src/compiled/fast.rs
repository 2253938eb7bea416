//! The plans flattened for decisions without reasons: role sets as 64-bit masks, edges and paths
//! in flat arrays, one record per (type, action). Derived from [`Plan`]s when a policy is
//! compiled or loaded (never serialized), read by `eval::fast`.
//!
//! A plan over a type with more than 64 roles has no mask (`usable` is false): decisions that
//! reach it take the general walk.

use super::{Plan, PlanId, RelId, TypeDef, TypeId};

/// A type's bit in the type masks of the facts (`facts::Facts`; types beyond 32 share bits: the
/// masks are supersets).
#[inline]
pub(crate) fn type_bit(ty: TypeId) -> u32 {
    1 << (ty.index() % 32)
}

/// One plan: the roles whose direct assignment is enough, as a mask, and its edges
/// (`edges[start..end]` of [`FastIndex`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct FastPlan {
    pub direct: u64,
    pub usable: bool,
    pub edges: (u32, u32),
    /// The plan's type, as a bit of the facts' type masks ([`type_bit`]).
    pub ty_bit: u32,
    /// The types (bits) of every entity a walk from this plan can ask about, through its
    /// `from` edges (usersets aside).
    pub reach: u32,
    /// Whether a walk from this plan is a bounded chain: its plans form no cycle, every edge
    /// follows single-valued relations, and it is at most [`SKIP_DEPTH`] deep. Such a walk
    /// can meet no cycle and no limit, so when the actor has no assignment on any type of
    /// `reach` and no entity of those types has userset or wildcard assignments, it is known
    /// to find nothing without taking it.
    pub chain: bool,
}

/// The depth up to which a chain walk may be skipped (well inside the walk's depth limit).
pub const SKIP_DEPTH: u32 = 24;

/// One merged `from` edge: the relation path (`paths[start..end]`), whether it is a `default`
/// edge, and the plan asked at its end.
#[derive(Clone, Copy, Debug)]
pub struct FastEdge {
    pub path: (u32, u32),
    /// The relation, when the path is one relation long.
    pub hop: Option<RelId>,
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
    /// Fills `reach` and `chain` of every plan: over the strongly connected components of the
    /// plan graph, sinks first (Tarjan's order), so that each plan is visited once whatever
    /// the shape of the graph (no fixpoint passes, no recursion on long chains).
    fn close(&mut self, types: &[TypeDef], plans: &[Plan]) {
        // Chain depth per plan; `None`: not a bounded chain.
        let mut depth: Vec<Option<u32>> = vec![None; plans.len()];
        let (comp, order) = super::scc::components(plans.len(), |i| {
            plans[i]
                .edges
                .iter()
                .map(|e| e.plan.index())
                .filter(|&p| p < plans.len())
                .collect()
        });
        let mut sccs: Vec<Vec<usize>> = vec![Vec::new(); order.len()];
        for (i, &c) in comp.iter().enumerate() {
            sccs[c].push(i);
        }
        for &c in &order {
            let members = &sccs[c];
            let cyclic = members.len() > 1
                || members
                    .iter()
                    .any(|&m| plans[m].edges.iter().any(|e| e.plan.index() == m));
            let mut reach = 0;
            for &m in members {
                reach |= self.plans[m].ty_bit;
                for e in &plans[m].edges {
                    if comp.get(e.plan.index()) != Some(&c) {
                        reach |= self.plans.get(e.plan.index()).map_or(0, |p| p.reach);
                    }
                }
            }
            for &m in members {
                self.plans[m].reach = reach;
                if cyclic {
                    continue;
                }
                let mut d = Some(1u32);
                for e in &plans[m].edges {
                    let mut cur = plans[m].ty;
                    for r in &e.path {
                        match types
                            .get(cur.index())
                            .and_then(|t| t.relations.get(r.index()))
                        {
                            Some(rel) if !rel.many => cur = rel.target,
                            _ => d = None,
                        }
                    }
                    let sub = depth.get(e.plan.index()).copied().flatten();
                    d = match (d, sub) {
                        (Some(d), Some(s)) if s < SKIP_DEPTH => Some(d.max(s + 1)),
                        _ => None,
                    };
                }
                depth[m] = d;
                self.plans[m].chain = d.is_some();
            }
        }
    }

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
                    hop: match e.path.as_slice() {
                        [one] => Some(*one),
                        _ => None,
                    },
                    default: e.default,
                    plan: e.plan,
                });
            }
            ix.plans.push(FastPlan {
                direct,
                usable,
                edges: (start, ix.edges.len() as u32),
                ty_bit: type_bit(plan.ty),
                reach: 0,
                chain: false,
            });
        }
        ix.close(types, plans);
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

//! The decision index: for each (type, set of roles), the roles whose direct assignment is enough
//! and the `from` edges to follow. Built once at compile time, so that a decision never walks
//! role definitions.

use super::{
    EdgeSource, PermId, Plan, PlanEdge, PlanId, RelId, Role, RoleId, RoleSet, Rule, RuleId,
    TypeDef, TypeId,
};
use crate::lang::Effect;
use rustc_hash::FxHashMap;

struct Builder<'t> {
    types: &'t [TypeDef],
    /// Per type, the roles that have `from` edges, in order: a plan walks these rather than
    /// every role of `direct` (in a chain `n` deep, `direct` holds up to `n` roles per plan).
    from_roles: Vec<Vec<RoleId>>,
    plans: Vec<Plan>,
    memo: FxHashMap<(TypeId, RoleSet), PlanId>,
}

/// `from` edges of one plan that share a path and `default`-ness, being merged.
struct Group {
    path: Vec<RelId>,
    default: bool,
    target: TypeId,
    roles: RoleSet,
    via: Vec<EdgeSource>,
}

/// A plan whose edges are being built: its groups, the next one to take, the edges so far.
struct Frame {
    id: PlanId,
    groups: std::vec::IntoIter<Group>,
    edges: Vec<PlanEdge>,
}

impl Builder<'_> {
    /// The plan of `roles` on `ty`, with the plans its edges lead to.
    ///
    /// Without recursion: a chain of `from` edges across types declared later (`t0` from `t1`
    /// from ... `t20000`) builds one plan per type before the first one is done, so the walk
    /// keeps its own stack of plans being built (`tests/deep_shapes.rs`). The plans are
    /// numbered in the order a depth-first walk registers them, as the recursive walk did.
    fn plan(&mut self, ty: TypeId, roles: RoleSet) -> PlanId {
        if let Some(id) = self.memo.get(&(ty, roles.clone())) {
            return *id;
        }
        let (root, groups) = self.register(ty, roles);
        let mut stack = vec![Frame {
            id: root,
            groups: groups.into_iter(),
            edges: Vec::new(),
        }];
        while let Some(top) = stack.last_mut() {
            let Some(g) = top.groups.next() else {
                let Some(done) = stack.pop() else { break };
                self.plans[done.id.index()].edges = done.edges;
                continue;
            };
            let known = self.memo.get(&(g.target, g.roles.clone())).copied();
            let (plan, child) = match known {
                Some(id) => (id, None),
                None => {
                    let (id, groups) = self.register(g.target, g.roles);
                    (id, Some(groups))
                }
            };
            top.edges.push(PlanEdge {
                path: g.path,
                default: g.default,
                plan,
                via: g.via,
            });
            if let Some(groups) = child {
                stack.push(Frame {
                    id: plan,
                    groups: groups.into_iter(),
                    edges: Vec::new(),
                });
            }
        }
        root
    }

    /// Registers the plan of `roles` on `ty` (edges still empty) and returns its number with
    /// the groups of `from` edges its edges are to be built from.
    fn register(&mut self, ty: TypeId, roles: RoleSet) -> (PlanId, Vec<Group>) {
        let id = PlanId(self.plans.len() as u32);
        let t = &self.types[ty.index()];
        let mut direct = RoleSet::new();
        for r in roles.iter() {
            direct.union_with(&t.roles[r.index()].implied_by);
        }
        // The edges of every role of `direct`, merged by (path, default): the entity at the end
        // of a path is asked once, for the union of the source roles, however many roles of
        // this plan point there.
        let mut groups: Vec<Group> = Vec::new();
        let from_roles = &self.from_roles[ty.index()];
        let with_edges: Vec<RoleId> = if from_roles.len() < direct.len() {
            from_roles
                .iter()
                .copied()
                .filter(|r| direct.contains(*r))
                .collect()
        } else {
            direct
                .iter()
                .filter(|r| !t.roles[r.index()].from.is_empty())
                .collect()
        };
        for r in with_edges {
            for (k, e) in t.roles[r.index()].from.iter().enumerate() {
                let source = EdgeSource {
                    role: r,
                    edge: k as u32,
                    source: e.role,
                };
                match groups
                    .iter_mut()
                    .find(|g| g.path == e.path && g.default == e.default)
                {
                    Some(g) => {
                        g.roles.insert(e.role);
                        g.via.push(source);
                    }
                    None => groups.push(Group {
                        path: e.path.clone(),
                        default: e.default,
                        target: e.target,
                        roles: RoleSet::single(e.role),
                        via: vec![source],
                    }),
                }
            }
        }
        // INVARIANT: the plan is registered before its edges are built, so that `from` edges
        // that walk back to the same type (folder -> parent folder) end in this plan.
        self.plans.push(Plan {
            ty,
            roles: roles.clone(),
            direct,
            edges: Vec::new(),
        });
        self.memo.insert((ty, roles), id);
        (id, groups)
    }
}

/// Fills `action_plans` and `role_plans` of every type and returns the plan table.
pub fn build(types: &mut [TypeDef]) -> Vec<Plan> {
    let from_roles = types
        .iter()
        .map(|t| {
            (0..t.roles.len())
                .filter(|&r| !t.roles[r].from.is_empty())
                .map(|r| RoleId(r as u32))
                .collect()
        })
        .collect();
    let mut b = Builder {
        types,
        from_roles,
        plans: Vec::new(),
        memo: FxHashMap::default(),
    };
    let mut action_plans = Vec::new();
    let mut role_plans = Vec::new();
    for (i, t) in b.types.iter().enumerate() {
        let ty = TypeId(i as u32);
        // The roles that grant each permission themselves; the plan adds the roles that include
        // them, so a derivation ends at the role whose grant gave the permission.
        let per_action: Vec<RoleSet> = (0..t.permissions.len())
            .map(|p| {
                t.roles
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| r.grants.iter().any(|x| x.index() == p))
                    .map(|(k, _)| RoleId(k as u32))
                    .collect()
            })
            .collect();
        action_plans.push(per_action);
        role_plans.push(
            (0..t.roles.len())
                .map(|r| (ty, RoleSet::single(RoleId(r as u32))))
                .collect::<Vec<_>>(),
        );
    }
    let action_plans: Vec<Vec<PlanId>> = action_plans
        .into_iter()
        .enumerate()
        .map(|(i, sets)| {
            sets.into_iter()
                .map(|s| b.plan(TypeId(i as u32), s))
                .collect()
        })
        .collect();
    let role_plans: Vec<Vec<PlanId>> = role_plans
        .into_iter()
        .map(|v| v.into_iter().map(|(ty, s)| b.plan(ty, s)).collect())
        .collect();
    let mut plans = b.plans;
    plans.shrink_to_fit();
    for (t, (a, r)) in types
        .iter_mut()
        .zip(action_plans.into_iter().zip(role_plans))
    {
        t.action_plans = a;
        t.role_plans = r;
    }
    plans
}

/// `implies`, `implied_by` and `effective` of every role of one type, from `includes` and
/// `grants`: what the resolver computes for its checks and what loading an artifact rebuilds.
/// `includes` may form a cycle here (the resolver reports it); the walk still ends.
///
/// Near-linear: the roles are grouped into strongly connected components of `includes`
/// (iteratively, so no depth of chain can overflow a stack), and each component's sets are the
/// union of its successors' (`implies`, `effective`) or predecessors' (`implied_by`) sets, so an
/// include chain `n` deep costs O(n) run merges where a walk from every role cost O(n^2)
/// (issue 19: a 10,000-deep chain).
pub fn close_roles(roles: &mut [Role]) {
    let n = roles.len();
    let succ = |r: usize| -> &[RoleId] { &roles[r].includes };
    let (comp, order) = super::scc::components(n, |r| {
        succ(r)
            .iter()
            .map(|x| x.index())
            .filter(|&x| x < n)
            .collect()
    });
    // `order` lists the components so that every component comes after the ones it includes.
    let ncomp = order.len();
    let mut members: Vec<Vec<u32>> = vec![Vec::new(); ncomp];
    for (r, &c) in comp.iter().enumerate() {
        members[c].push(r as u32);
    }
    let mut implies: Vec<RoleSet> = vec![RoleSet::new(); ncomp];
    let mut effective: Vec<Vec<PermId>> = vec![Vec::new(); ncomp];
    for &c in &order {
        let mut set: RoleSet = members[c].iter().map(|&r| RoleId(r)).collect();
        let mut perms: Vec<PermId> = Vec::new();
        for &r in &members[c] {
            perms.extend_from_slice(&roles[r as usize].grants);
            for inc in succ(r as usize) {
                let Some(&d) = comp.get(inc.index()) else {
                    continue;
                };
                if d != c {
                    set.union_with(&implies[d]);
                    perms.extend_from_slice(&effective[d]);
                }
            }
        }
        perms.sort();
        perms.dedup();
        implies[c] = set;
        effective[c] = perms;
    }
    // `implied_by`: the same walk in the other direction (includers before the included).
    let mut preds: Vec<Vec<u32>> = vec![Vec::new(); ncomp];
    for (r, role) in roles.iter().enumerate() {
        for inc in &role.includes {
            if let Some(&d) = comp.get(inc.index())
                && d != comp[r]
            {
                preds[d].push(comp[r] as u32);
            }
        }
    }
    let mut implied_by: Vec<RoleSet> = vec![RoleSet::new(); ncomp];
    for &c in order.iter().rev() {
        let mut set: RoleSet = members[c].iter().map(|&r| RoleId(r)).collect();
        for &p in &preds[c] {
            set.union_with(&implied_by[p as usize]);
        }
        implied_by[c] = set;
    }
    for (r, role) in roles.iter_mut().enumerate() {
        let c = comp[r];
        role.implies = implies[c].clone();
        role.implied_by = implied_by[c].clone();
        role.effective = effective[c].clone();
    }
}

/// Fills `permits` and `forbids` of every type from the rules: each rule sits in the list of
/// its own effect, on its own type, under each of its actions (and nowhere else).
pub fn index_rules(types: &mut [TypeDef], rules: &[Rule]) {
    for t in types.iter_mut() {
        t.permits = vec![Vec::new(); t.permissions.len()];
        t.forbids = vec![Vec::new(); t.permissions.len()];
    }
    for (i, rule) in rules.iter().enumerate() {
        let Some(t) = types.get_mut(rule.resource.index()) else {
            continue;
        };
        let list = match rule.effect {
            Effect::Permit => &mut t.permits,
            Effect::Forbid => &mut t.forbids,
        };
        for a in &rule.actions {
            if let Some(l) = list.get_mut(a.index()) {
                l.push(RuleId(i as u32));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compiled::Location;
    use proptest::prelude::*;

    fn role(includes: Vec<RoleId>, grants: Vec<PermId>) -> Role {
        Role {
            name: String::new(),
            doc: None,
            location: Location::default(),
            grants,
            includes,
            from: Vec::new(),
            requires: Vec::new(),
            sealed: false,
            elevated: false,
            review: None,
            min: None,
            max: None,
            implies: RoleSet::new(),
            implied_by: RoleSet::new(),
            effective: Vec::new(),
        }
    }

    /// The walk `close_roles` replaced: from every role, every role it reaches.
    fn reference(roles: &[Role]) -> Vec<(Vec<u32>, Vec<u32>, Vec<PermId>)> {
        let n = roles.len();
        let reach: Vec<Vec<bool>> = (0..n)
            .map(|r| {
                let mut seen = vec![false; n];
                seen[r] = true;
                let mut stack = vec![r];
                while let Some(x) = stack.pop() {
                    for inc in &roles[x].includes {
                        if inc.index() < n && !seen[inc.index()] {
                            seen[inc.index()] = true;
                            stack.push(inc.index());
                        }
                    }
                }
                seen
            })
            .collect();
        (0..n)
            .map(|r| {
                let implies: Vec<u32> = (0..n as u32).filter(|&x| reach[r][x as usize]).collect();
                let implied_by: Vec<u32> =
                    (0..n as u32).filter(|&x| reach[x as usize][r]).collect();
                let mut eff: Vec<PermId> = implies
                    .iter()
                    .flat_map(|&x| roles[x as usize].grants.iter().copied())
                    .collect();
                eff.sort();
                eff.dedup();
                (implies, implied_by, eff)
            })
            .collect()
    }

    proptest! {
        /// On any graph of includes (cycles, self-includes, out-of-range numbers as a tampered
        /// artifact might hold), the closure is what walking from every role gives.
        #[test]
        fn closure_agrees_with_walking_from_every_role(
            graph in proptest::collection::vec(
                (proptest::collection::vec(0u32..24, 0..4), proptest::collection::vec(0u32..6, 0..3)),
                0..20,
            )
        ) {
            let mut roles: Vec<Role> = graph
                .into_iter()
                .map(|(inc, gr)| role(inc.into_iter().map(RoleId).collect(), gr.into_iter().map(PermId).collect()))
                .collect();
            let want = reference(&roles);
            close_roles(&mut roles);
            for (r, (implies, implied_by, eff)) in want.into_iter().enumerate() {
                prop_assert_eq!(roles[r].implies.iter().map(|x| x.0).collect::<Vec<_>>(), implies);
                prop_assert_eq!(roles[r].implied_by.iter().map(|x| x.0).collect::<Vec<_>>(), implied_by);
                prop_assert_eq!(&roles[r].effective, &eff);
            }
        }
    }

    /// A chain 10,000 deep closes in linear time and on a small stack (a 2 MiB thread).
    #[test]
    fn a_deep_chain_closes_on_a_small_stack() {
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(|| {
                let n = 10_000u32;
                let mut roles: Vec<Role> = (0..n)
                    .map(|i| {
                        let inc = if i + 1 < n {
                            vec![RoleId(i + 1)]
                        } else {
                            vec![]
                        };
                        role(inc, if i + 1 == n { vec![PermId(0)] } else { vec![] })
                    })
                    .collect();
                // And a cycle back to the start.
                roles[n as usize - 1].includes.push(RoleId(0));
                close_roles(&mut roles);
                assert_eq!(roles[0].implies.len(), n as usize);
                assert_eq!(roles[5_000].implied_by.len(), n as usize);
                assert_eq!(roles[17].effective, vec![PermId(0)]);
            })
            .unwrap()
            .join()
            .unwrap();
    }
}

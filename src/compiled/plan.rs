//! The decision index: for each (type, set of roles), the roles whose direct assignment is enough
//! and the `from` edges to follow. Built once at compile time, so that a decision never walks
//! role definitions.

use super::{
    EdgeSource, PermId, Plan, PlanEdge, PlanId, RelId, Role, RoleId, RoleSet, Rule, RuleId,
    TypeDef, TypeId,
};
use crate::syntax::ast::Effect;
use rustc_hash::FxHashMap;

struct Builder<'t> {
    types: &'t [TypeDef],
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

impl Builder<'_> {
    fn plan(&mut self, ty: TypeId, roles: RoleSet) -> PlanId {
        if let Some(id) = self.memo.get(&(ty, roles.clone())) {
            return *id;
        }
        let id = PlanId(self.plans.len() as u32);
        let t = &self.types[ty.index()];
        let mut direct = RoleSet::new();
        for r in roles.iter() {
            direct.union_with(&t.roles[r.index()].implied_by);
        }
        // INVARIANT: the plan is registered before its edges are built, so that `from` edges
        // that walk back to the same type (folder -> parent folder) end in this plan.
        self.plans.push(Plan {
            ty,
            roles: roles.clone(),
            direct: direct.clone(),
            edges: Vec::new(),
        });
        self.memo.insert((ty, roles), id);
        // The edges of every role of `direct`, merged by (path, default): the entity at the end
        // of a path is asked once, for the union of the source roles, however many roles of
        // this plan point there.
        let mut groups: Vec<Group> = Vec::new();
        for r in direct.iter() {
            for (k, e) in self.types[ty.index()].roles[r.index()]
                .from
                .iter()
                .enumerate()
            {
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
        let mut edges = Vec::new();
        for g in groups {
            let plan = self.plan(g.target, g.roles);
            edges.push(PlanEdge {
                path: g.path,
                default: g.default,
                plan,
                via: g.via,
            });
        }
        self.plans[id.index()].edges = edges;
        id
    }
}

/// Fills `action_plans` and `role_plans` of every type and returns the plan table.
pub fn build(types: &mut [TypeDef]) -> Vec<Plan> {
    let mut b = Builder {
        types,
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
    let plans = b.plans;
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
pub fn close_roles(roles: &mut [Role]) {
    let n = roles.len();
    let implies: Vec<RoleSet> = (0..n)
        .map(|r| {
            let mut set = RoleSet::single(RoleId(r as u32));
            let mut stack = vec![RoleId(r as u32)];
            while let Some(x) = stack.pop() {
                for inc in roles.get(x.index()).map_or(&[][..], |x| &x.includes) {
                    if inc.index() < n && set.insert(*inc) {
                        stack.push(*inc);
                    }
                }
            }
            set
        })
        .collect();
    for role in roles.iter_mut() {
        role.implied_by = RoleSet::new();
    }
    for (r, set) in implies.iter().enumerate() {
        let mut effective: Vec<PermId> = set
            .iter()
            .flat_map(|x| roles[x.index()].grants.iter().copied())
            .collect();
        effective.sort();
        effective.dedup();
        roles[r].effective = effective;
        for x in set.iter() {
            roles[x.index()].implied_by.insert(RoleId(r as u32));
        }
    }
    for (r, set) in implies.into_iter().enumerate() {
        roles[r].implies = set;
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

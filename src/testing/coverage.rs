//! What the tests exercised: grants, `from` edges and rules. `polc test --coverage` lists what no
//! test reached.

use crate::compiled::{PermId, Policy, RoleId, RuleId, TypeId};
use crate::eval::query::Answer;
use crate::eval::{Derivation, Reason, Step};
use crate::facts::Facts;
use crate::syntax::ast::Query;
use std::collections::BTreeSet;

/// What a test run exercised, to report what no test did (`polc test --coverage`).
#[derive(Clone, Debug, Default)]
pub struct Coverage {
    /// The grants used by some allowed decision: (type, role, permission).
    pub grants: BTreeSet<(TypeId, RoleId, PermId)>,
    /// The `from` edges followed by some derivation: (type, role, index in the role's `from`).
    pub edges: BTreeSet<(TypeId, RoleId, u32)>,
    /// The rules that applied in some decision.
    pub rules: BTreeSet<RuleId>,
}

/// Something a policy declares that no test exercised.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Gap {
    /// The file that declares it.
    pub file: String,
    /// The line of the declaration, from 1.
    pub line: usize,
    /// What it is, in words (``grant `view` of role `viewer` on `workspace` ``).
    pub what: String,
}

impl Coverage {
    /// Records what an answer to a query used.
    pub fn record(&mut self, policy: &Policy, facts: &Facts, query: &Query, answer: &Answer) {
        let fixed_action = match query {
            Query::Can {
                action, resource, ..
            }
            | Query::WhoCan {
                action, resource, ..
            } => policy
                .type_id(&resource.ty.name)
                .and_then(|t| policy.ty(t).permission(&action.name).map(|p| (t, p))),
            Query::Which { ty, action, .. } => policy
                .type_id(&ty.name)
                .and_then(|t| policy.ty(t).permission(&action.name).map(|p| (t, p))),
            _ => None,
        };
        match answer {
            Answer::Decision { decision, .. } => {
                for r in &decision.reasons {
                    self.reason(policy, facts, fixed_action, r);
                }
            }
            Answer::Assign { decision, .. } => {
                for (req, d) in &decision.tried {
                    let action = Some((req.resource.ty, req.action));
                    for r in &d.reasons {
                        self.reason(policy, facts, action, r);
                    }
                }
            }
            Answer::Role {
                derivation: Some(d),
                ..
            } => self.derivation(d),
            Answer::Role { .. } => {}
            Answer::List { items, .. } => {
                for item in items {
                    let action = match (fixed_action, query) {
                        (Some(a), _) => Some(a),
                        (None, Query::WhatCan { resource, .. }) => policy
                            .type_id(&resource.ty.name)
                            .and_then(|t| policy.ty(t).permission(&item.name).map(|p| (t, p))),
                        _ => None,
                    };
                    if let Some(r) = &item.detail {
                        self.reason(policy, facts, action, r);
                    }
                }
            }
        }
    }

    fn reason(
        &mut self,
        policy: &Policy,
        facts: &Facts,
        action: Option<(TypeId, PermId)>,
        r: &Reason,
    ) {
        match r {
            Reason::Granted(d) => {
                self.derivation(d);
                if let (Some((ty, p)), Some(role)) = (action, final_role(facts, d)) {
                    let t = policy.ty(ty);
                    for held in t.roles[role.index()].implies.iter() {
                        if t.roles[held.index()].grants.contains(&p) {
                            self.grants.insert((ty, held, p));
                        }
                    }
                }
            }
            Reason::Permitted(rule) | Reason::Forbidden { rule, .. } => {
                self.rules.insert(*rule);
            }
            Reason::NoGrant | Reason::InvalidRequest => {}
        }
    }

    fn derivation(&mut self, d: &Derivation) {
        for step in &d.0 {
            match step {
                Step::From { ty, role, edge, .. } => {
                    self.edges.insert((*ty, *role, *edge));
                }
                Step::Member { via, .. } => self.derivation(via),
                _ => {}
            }
        }
    }

    /// Grants, `from` edges and rules of the policy that nothing exercised, per file.
    pub fn gaps(&self, policy: &Policy) -> Vec<Gap> {
        let mut out = Vec::new();
        for (i, t) in policy.types.iter().enumerate() {
            let ty = TypeId(i as u32);
            for (k, role) in t.roles.iter().enumerate() {
                let rid = RoleId(k as u32);
                for p in &role.grants {
                    if !self.grants.contains(&(ty, rid, *p)) {
                        out.push(Gap {
                            file: role.location.file.clone(),
                            line: role.location.line,
                            what: format!(
                                "grant `{}` of role `{}` on `{}`",
                                t.permissions[p.index()].name,
                                role.name,
                                t.name
                            ),
                        });
                    }
                }
                for (e, edge) in role.from.iter().enumerate() {
                    if !self.edges.contains(&(ty, rid, e as u32)) {
                        let kind = if edge.default { "default from" } else { "from" };
                        out.push(Gap {
                            file: role.location.file.clone(),
                            line: role.location.line,
                            what: format!(
                                "`{kind} {} on {}` of role `{}` on `{}`",
                                policy.ty(edge.target).roles[edge.role.index()].name,
                                edge.path_text,
                                role.name,
                                t.name
                            ),
                        });
                    }
                }
            }
        }
        for (i, rule) in policy.rules.iter().enumerate() {
            if !self.rules.contains(&RuleId(i as u32)) {
                out.push(Gap {
                    file: rule.location.file.clone(),
                    line: rule.location.line,
                    what: format!("rule `{}`", rule.text),
                });
            }
        }
        out.sort();
        out
    }

    /// `(exercised, total)` for grants, edges and rules.
    pub fn totals(&self, policy: &Policy) -> [(usize, usize); 3] {
        let grants: usize = policy
            .types
            .iter()
            .flat_map(|t| &t.roles)
            .map(|r| r.grants.len())
            .sum();
        let edges: usize = policy
            .types
            .iter()
            .flat_map(|t| &t.roles)
            .map(|r| r.from.len())
            .sum();
        [
            (self.grants.len(), grants),
            (self.edges.len(), edges),
            (self.rules.len(), policy.rules.len()),
        ]
    }

    /// The share of grants, edges and rules together that some test exercised, in percent
    /// (100 for a policy that declares none).
    pub fn percent(&self, policy: &Policy) -> f64 {
        let (hit, all) = self
            .totals(policy)
            .iter()
            .fold((0, 0), |(h, a), (x, y)| (h + x, a + y));
        if all == 0 {
            100.0
        } else {
            hit as f64 * 100.0 / all as f64
        }
    }
}

/// The role the derivation ends in.
fn final_role(facts: &Facts, d: &Derivation) -> Option<RoleId> {
    match d.0.last()? {
        Step::Assigned(i) | Step::Wildcard(i) | Step::Member { assignment: i, .. } => {
            facts.assignment(*i).map(|a| a.role)
        }
        Step::From { role, .. } | Step::Included { role, .. } => Some(*role),
    }
}

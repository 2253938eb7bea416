#![deny(missing_docs)]
//! `:why`: the full explanation of the last answer: every step of each derivation on its own
//! line, with where each assignment was written, the rules that decided, and what would grant
//! an action that nothing grants.

use crate::compiled::{Policy, TypeId};
use crate::eval::query::Answer;
use crate::eval::{Derivation, Reason, Step, rule_name};
use crate::facts::Facts;
use crate::source::SourceMap;
use crate::syntax::ast::Query;

/// The last answer, as `:why` needs it.
#[derive(Debug)]
pub struct LastAnswer {
    /// The query, parsed.
    pub query: Query,
    /// The query as typed.
    pub text: String,
    /// What it answered.
    pub answer: Answer,
}

/// Explains `last`, read against the facts it was answered from.
pub fn explain(policy: &Policy, facts: &Facts, sources: &SourceMap, last: &LastAnswer) -> String {
    let w = Why {
        policy,
        facts,
        sources,
    };
    let mut out = format!("{}\n", last.text.trim().trim_end_matches(';'));
    match &last.answer {
        Answer::Decision {
            request, decision, ..
        } => {
            let t = policy.ty(request.resource.ty);
            let action = t
                .permissions
                .get(request.action.index())
                .map_or("?", |p| p.name.as_str());
            out.push_str(if decision.allowed {
                "allow\n"
            } else {
                "deny\n"
            });
            let resource = crate::facts::display_entity(
                policy.type_name(request.resource.ty),
                &request.resource.name,
            );
            for r in &decision.reasons {
                w.reason(&mut out, r, Some(action), request.resource.ty, &resource);
            }
            w.errors(&mut out, &decision.errors);
        }
        Answer::Assign {
            decision, reasons, ..
        } => {
            out.push_str(if decision.allowed {
                "allow\n"
            } else {
                "deny\n"
            });
            if decision.tried.is_empty() {
                for r in reasons {
                    out.push_str(&format!("  {r}\n"));
                }
            }
            for (request, d) in &decision.tried {
                let t = policy.ty(request.resource.ty);
                let action = t.permissions[request.action.index()].name.as_str();
                let role = &t.roles[decision.role.index()].name;
                out.push_str(&format!(
                    "  `{action}` assigns `{role}`: {}\n",
                    if d.allowed { "allowed" } else { "denied" }
                ));
                let resource = crate::facts::display_entity(
                    policy.type_name(request.resource.ty),
                    &request.resource.name,
                );
                for r in &d.reasons {
                    w.reason(&mut out, r, Some(action), request.resource.ty, &resource);
                }
                w.errors(&mut out, &d.errors);
            }
            if decision.conflict.is_some()
                && let Some(r) = reasons.last()
            {
                out.push_str(&format!("  {r}\n"));
            }
        }
        Answer::Role {
            holds,
            reason,
            derivation,
            errors,
        } => {
            out.push_str(if *holds { "yes\n" } else { "no\n" });
            match derivation {
                Some(d) => w.derivation(&mut out, d, 1),
                None => out.push_str(&format!("  {reason}\n")),
            }
            w.errors(&mut out, errors);
        }
        Answer::List { items, errors } => {
            if items.is_empty() {
                out.push_str("(none)\n");
            }
            let (action, ty) = match &last.query {
                Query::WhoCan {
                    action, resource, ..
                } => (
                    Some(action.name.as_str()),
                    policy.type_id(&resource.ty.name),
                ),
                Query::Which { action, ty, .. } => {
                    (Some(action.name.as_str()), policy.type_id(&ty.name))
                }
                Query::WhatCan { resource, .. } => (None, policy.type_id(&resource.ty.name)),
                _ => (None, None),
            };
            let what_can = matches!(last.query, Query::WhatCan { .. });
            for item in items {
                out.push_str(&format!("{}\n", item.name));
                let action = if what_can {
                    Some(item.name.as_str())
                } else {
                    action
                };
                if let Some(r) = &item.detail {
                    w.reason(&mut out, r, action, ty.unwrap_or(TypeId(0)), &item.name);
                } else {
                    out.push_str(&format!("  {}\n", item.reason));
                }
            }
            w.errors(&mut out, errors);
        }
    }
    out
}

struct Why<'a> {
    policy: &'a Policy,
    facts: &'a Facts,
    sources: &'a SourceMap,
}

impl Why<'_> {
    fn reason(
        &self,
        out: &mut String,
        r: &Reason,
        action: Option<&str>,
        ty: TypeId,
        resource: &str,
    ) {
        match r {
            Reason::Granted(d) => {
                self.derivation(out, d, 1);
                if let Some(a) = action {
                    out.push_str(&format!("  -> grants {a}\n"));
                }
            }
            Reason::Permitted(rule) => {
                let rule = self.policy.rule(*rule);
                out.push_str(&format!(
                    "  permitted by {} ({})\n    {}\n",
                    rule_name(rule),
                    rule.location,
                    rule.text
                ));
            }
            Reason::Forbidden { rule, error } => {
                let rule = self.policy.rule(*rule);
                out.push_str(&format!(
                    "  forbidden by {} ({})\n    {}\n",
                    rule_name(rule),
                    rule.location,
                    rule.text
                ));
                if let Some(e) = error {
                    out.push_str(&format!(
                        "    its condition could not be evaluated ({e}), so it applies\n"
                    ));
                }
            }
            Reason::InvalidRequest => {
                out.push_str("  the request is invalid, so it is denied (see the errors)\n");
            }
            Reason::NoGrant => {
                let action = action.unwrap_or("?");
                out.push_str(&format!("  no role grants {action} on {resource}\n"));
                let t = self.policy.ty(ty);
                let Some(p) = t.permission(action) else {
                    return;
                };
                let roles: Vec<&str> = t
                    .roles
                    .iter()
                    .filter(|r| r.effective.contains(&p))
                    .map(|r| r.name.as_str())
                    .collect();
                if roles.is_empty() {
                    out.push_str(&format!("  no role of `{}` grants {action}\n", t.name));
                } else {
                    out.push_str(&format!(
                        "  roles of `{}` that grant {action}: {}\n",
                        t.name,
                        roles.join(", ")
                    ));
                }
                for rule in &t.permits[p.index()] {
                    let rule = self.policy.rule(*rule);
                    out.push_str(&format!(
                        "  permit rule that did not apply: {} ({})\n",
                        rule_name(rule),
                        rule.location
                    ));
                }
            }
        }
    }

    /// One line per step, the first without an arrow.
    fn derivation(&self, out: &mut String, d: &Derivation, indent: usize) {
        let pad = "  ".repeat(indent);
        for (i, step) in d.0.iter().enumerate() {
            let arrow = if i == 0 { "" } else { "-> " };
            match step {
                Step::Assigned(a) | Step::Wildcard(a) => {
                    out.push_str(&format!("{pad}{arrow}{}\n", self.assignment(*a)));
                }
                Step::Member { assignment, via } => {
                    self.derivation(out, via, indent);
                    let head = self.facts.assignment(*assignment).map(|a| {
                        let t = self
                            .policy
                            .ty(self.facts.entity_type(a.on).unwrap_or(TypeId(0)));
                        format!(
                            "{} on {}",
                            t.roles.get(a.role.index()).map_or("?", |r| r.name.as_str()),
                            self.facts.display(self.policy, a.on)
                        )
                    });
                    out.push_str(&format!(
                        "{pad}-> {} (through {})\n",
                        head.unwrap_or_default(),
                        self.assignment(*assignment)
                    ));
                }
                Step::From { .. } | Step::Included { .. } => {
                    let text = Derivation(vec![step.clone()]).render(self.policy, self.facts);
                    out.push_str(&format!("{pad}{arrow}{text}\n"));
                }
            }
        }
    }

    /// An assignment as Pol, with where it was written.
    fn assignment(&self, idx: u32) -> String {
        let Some(a) = self.facts.assignment(idx) else {
            return format!("assignment #{idx} (retracted)");
        };
        let text = super::text::assignment(self.policy, self.facts, a);
        match a.span() {
            Some(s) => format!("{text}   [{}]", self.sources.location(s)),
            None => text,
        }
    }

    fn errors(&self, out: &mut String, errors: &[String]) {
        for e in errors {
            out.push_str(&format!("  error: {e}\n"));
        }
    }
}

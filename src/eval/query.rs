//! The query forms of docs/language.md, "Queries": `can`, `is`, `who can`, `who is`, `what can`,
//! `which`, and `can P assign R on E to A` ([`super::assign`]). Each answer carries its reasons.

use super::holds::{Derivation, Walk};
use super::request::{self, Context, Entity, Request};
use super::{Decision, Explainer, decide};
use crate::compiled::{Kind, Policy, TypeId};
use crate::diag::{Code, Diagnostic};
use crate::facts::{Facts, Subject};
use crate::syntax::ast::{self, Query};
use serde_json::json;

/// Who is in an answer: an actor the facts name, or `T:*` (every actor of the type, through a
/// wildcard assignment).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Who {
    /// An actor the facts name, as `type:name`.
    Actor(String),
    /// Every actor of the named type (shown as `type:*`).
    Everyone(String),
}

impl std::fmt::Display for Who {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Who::Actor(s) => write!(f, "{s}"),
            Who::Everyone(t) => write!(f, "{t}:*"),
        }
    }
}

/// One item of a list answer: what it is (`user:alice`, `view`, `workspace:ml`) and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    /// The item as written in Pol: `user:alice`, `view`, `workspace:ml`, `user:*`.
    pub name: String,
    /// Why it is in the answer, in words (as [`Explainer`] words reasons).
    pub reason: String,
    /// The structured reason (for coverage and tools).
    pub detail: Option<super::Reason>,
}

/// The answer to a [`Query`], by the kind of question asked.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    /// `can`: a decision.
    Decision {
        /// The request the question stands for.
        request: Box<Request>,
        /// Its decision, with reasons.
        decision: Decision,
        /// The reasons in words, one line each.
        reasons: Vec<String>,
    },
    /// `can P assign R on E to A`: an assignment decision.
    Assign {
        /// The assignment decision.
        decision: Box<super::assign::AssignDecision>,
        /// Why it is allowed or denied, one line each.
        reasons: Vec<String>,
        /// Evaluation errors met on the way, deduplicated.
        errors: Vec<String>,
    },
    /// `is`: role membership.
    Role {
        /// Whether the actor holds the role on the entity.
        holds: bool,
        /// Why, in words (the derivation, or why none was found).
        reason: String,
        /// How the actor holds it, when it does.
        derivation: Option<Derivation>,
        /// Evaluation errors met on the way.
        errors: Vec<String>,
    },
    /// `who can`, `who is`, `what can`, `which`: the matching items.
    List {
        /// The matching items, sorted by name.
        items: Vec<Item>,
        /// Evaluation errors met deciding the candidates (each fails closed), deduplicated.
        errors: Vec<String>,
    },
}

impl Answer {
    /// `true` / `false` for `can` and `is`.
    pub fn holds(&self) -> Option<bool> {
        match self {
            Answer::Decision { decision, .. } => Some(decision.allowed),
            Answer::Assign { decision, .. } => Some(decision.allowed),
            Answer::Role { holds, .. } => Some(*holds),
            Answer::List { .. } => None,
        }
    }

    /// The names of a list answer.
    pub fn names(&self) -> Vec<String> {
        match self {
            Answer::List { items, .. } => items.iter().map(|i| i.name.clone()).collect(),
            _ => Vec::new(),
        }
    }

    /// For people: the answer, then one reason per line.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let errors = match self {
            Answer::Decision {
                decision, reasons, ..
            } => {
                out.push_str(if decision.allowed {
                    "allow\n"
                } else {
                    "deny\n"
                });
                for r in reasons {
                    out.push_str(&format!("  because {r}\n"));
                }
                &decision.errors
            }
            Answer::Assign {
                decision,
                reasons,
                errors,
            } => {
                out.push_str(if decision.allowed {
                    "allow\n"
                } else {
                    "deny\n"
                });
                for r in reasons {
                    out.push_str(&format!("  because {r}\n"));
                }
                errors
            }
            Answer::Role {
                holds,
                reason,
                errors,
                ..
            } => {
                out.push_str(if *holds { "yes\n" } else { "no\n" });
                out.push_str(&format!("  because {reason}\n"));
                errors
            }
            Answer::List { items, errors } => {
                if items.is_empty() {
                    out.push_str("(none)\n");
                }
                for i in items {
                    out.push_str(&format!("{}\n  because {}\n", i.name, i.reason));
                }
                errors
            }
        };
        for e in errors {
            out.push_str(&format!("  error: {e}\n"));
        }
        out
    }

    /// The answer as JSON, as `polc query --format json` prints it: `{"decision", "reasons",
    /// "errors"}` for `can`, `{"holds", "reasons", "errors"}` for `is`, `{"items": [{"name",
    /// "reason"}], "errors"}` for lists.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Answer::Decision {
                decision, reasons, ..
            } => json!({
                "decision": if decision.allowed { "allow" } else { "deny" },
                "reasons": reasons,
                "errors": decision.errors,
            }),
            Answer::Assign {
                decision,
                reasons,
                errors,
            } => json!({
                "decision": if decision.allowed { "allow" } else { "deny" },
                "reasons": reasons,
                "errors": errors,
            }),
            Answer::Role {
                holds,
                reason,
                errors,
                ..
            } => json!({"holds": holds, "reasons": [reason], "errors": errors}),
            Answer::List { items, errors } => json!({
                "items": items.iter().map(|i| json!({"name": i.name, "reason": i.reason})).collect::<Vec<_>>(),
                "errors": errors,
            }),
        }
    }
}

fn entity(policy: &Policy, facts: &Facts, e: &ast::EntityRef) -> Result<Entity, Diagnostic> {
    Entity::new(policy, facts, &e.ty.name, &e.id.value, e.ty.span)
}

fn actor(policy: &Policy, facts: &Facts, e: &ast::EntityRef) -> Result<Entity, Diagnostic> {
    let a = entity(policy, facts, e)?;
    if policy.ty(a.ty).kind != Kind::Actor {
        return Err(
            Diagnostic::new(Code::E0502, format!("`{}` is not an actor type", e.ty.name))
                .primary(e.span, "only actors can be asked about")
                .help("ask about an actor, such as a `user`"),
        );
    }
    Ok(a)
}

/// Answers a query against the facts, in a context.
pub fn run(policy: &Policy, facts: &Facts, ctx: &Context, q: &Query) -> Result<Answer, Diagnostic> {
    let x = Explainer { policy, facts };
    match q {
        Query::Can {
            principal,
            action,
            resource,
            with,
            ..
        } => {
            let p = actor(policy, facts, principal)?;
            let r = entity(policy, facts, resource)?;
            let mut req = Request::resolved(policy, facts, p, &action.name, r, action.span)?;
            req.context = ctx.clone();
            req.apply_data(policy, facts, with)?;
            let decision = decide(policy, facts, &req);
            let reasons = decision.reasons.iter().map(|r| x.reason(&req, r)).collect();
            Ok(Answer::Decision {
                request: Box::new(req),
                decision,
                reasons,
            })
        }
        Query::Assign {
            principal,
            role,
            resource,
            assignee,
            ..
        } => {
            let p = actor(policy, facts, principal)?;
            let r = entity(policy, facts, resource)?;
            let role_id = crate::facts::check::Checker::new(policy).role(r.ty, named(role))?;
            let b = actor(policy, facts, assignee)?;
            let decision = super::assign::decide_assign(policy, facts, ctx, &p, role_id, &r, &b);
            let reasons = decision.reasons(policy, facts, &p, &r);
            let errors = decision.errors();
            Ok(Answer::Assign {
                decision: Box::new(decision),
                reasons,
                errors,
            })
        }
        Query::Is {
            principal,
            role,
            resource,
            ..
        } => {
            let p = actor(policy, facts, principal)?;
            let r = entity(policy, facts, resource)?;
            let role_id = crate::facts::check::Checker::new(policy).role(r.ty, named(role))?;
            let (held, errors) = holds_role(policy, facts, ctx, &p, &r, role_id, true);
            let holds = held.is_some();
            let reason = match &held {
                Some(d) => d.render(policy, facts),
                None => format!(
                    "nothing gives {} the role {} on {}",
                    x.entity(&p),
                    role.name,
                    x.entity(&r)
                ),
            };
            Ok(Answer::Role {
                holds,
                reason,
                derivation: held,
                errors,
            })
        }
        Query::WhoCan {
            action, resource, ..
        } => {
            let r = entity(policy, facts, resource)?;
            let act = request::action(policy, r.ty, &action.name, action.span)?;
            let asks = candidates(policy, facts)
                .into_iter()
                .map(|(who, p)| (who, p, act, r.clone()));
            Ok(decide_all(policy, facts, ctx, asks, true))
        }
        Query::WhoIs { role, resource, .. } => {
            let r = entity(policy, facts, resource)?;
            let role_id = crate::facts::check::Checker::new(policy).role(r.ty, named(role))?;
            let mut items = Vec::new();
            let mut errors = Vec::new();
            for (who, p) in candidates(policy, facts) {
                let (held, errs) = holds_role(policy, facts, ctx, &p, &r, role_id, true);
                errors.extend(errs);
                if let Some(d) = held {
                    items.push((
                        who,
                        d.render(policy, facts),
                        Some(super::Reason::Granted(d)),
                    ));
                }
            }
            Ok(list(items, errors))
        }
        Query::WhatCan {
            principal,
            resource,
            ..
        } => {
            let p = actor(policy, facts, principal)?;
            let r = entity(policy, facts, resource)?;
            // In the order the permissions are declared.
            let asks = policy
                .ty(r.ty)
                .permissions
                .iter()
                .enumerate()
                .map(|(i, perm)| {
                    (
                        perm.name.clone(),
                        p.clone(),
                        crate::compiled::PermId(i as u32),
                        r.clone(),
                    )
                });
            Ok(decide_all(policy, facts, ctx, asks, false))
        }
        Query::Which {
            ty,
            principal,
            action,
            ..
        } => {
            let t = crate::facts::check::Checker::new(policy).ty(named(ty))?;
            let p = actor(policy, facts, principal)?;
            let act = request::action(policy, t, &action.name, action.span)?;
            let asks = facts.entities_of(t).into_iter().filter_map(|e| {
                Entity::known(facts, e).map(|r| (facts.display(policy, e), p.clone(), act, r))
            });
            Ok(decide_all(policy, facts, ctx, asks, true))
        }
    }
}

fn named(i: &ast::Ident) -> crate::facts::check::Named<'_> {
    crate::facts::check::Named {
        name: &i.name,
        span: i.span,
    }
}

pub(crate) fn dedup(mut v: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    v.retain(|e| seen.insert(e.clone()));
    v
}

fn list(mut items: Vec<(Who, String, Option<super::Reason>)>, errors: Vec<String>) -> Answer {
    items.sort_by(|a, b| a.0.cmp(&b.0));
    Answer::List {
        items: items
            .into_iter()
            .map(|(w, reason, detail)| Item {
                name: w.to_string(),
                reason,
                detail,
            })
            .collect(),
        errors: dedup(errors),
    }
}

/// Decides every request of a list query and lists the allowed ones (named by their key), with
/// the reason of each; sorted by key when `sort`.
fn decide_all<K: Ord + std::fmt::Display>(
    policy: &Policy,
    facts: &Facts,
    ctx: &Context,
    asks: impl Iterator<Item = (K, Entity, crate::compiled::PermId, Entity)>,
    sort: bool,
) -> Answer {
    let x = Explainer { policy, facts };
    let mut items = Vec::new();
    let mut errors = Vec::new();
    for (key, principal, action, resource) in asks {
        let req = Request {
            principal,
            action,
            resource,
            context: ctx.clone(),
            errors: Vec::new(),
        };
        let d = decide_then_explain(policy, facts, &req);
        errors.extend(d.errors.iter().cloned());
        if d.allowed {
            let reason = d
                .reasons
                .first()
                .map(|r| x.reason(&req, r))
                .unwrap_or_default();
            items.push((key, reason, d.reasons.into_iter().next()));
        }
    }
    if sort {
        items.sort_by(|a, b| a.0.cmp(&b.0));
    }
    let items = items
        .into_iter()
        .map(|(k, reason, detail)| Item {
            name: k.to_string(),
            reason,
            detail,
        })
        .collect();
    Answer::List {
        items,
        errors: dedup(errors),
    }
}

/// Decides without building reasons, then again with them only when the answer is allow: list
/// queries explain what they list, and most candidates are not listed.
fn decide_then_explain(policy: &Policy, facts: &Facts, req: &Request) -> Decision {
    let quick = super::decide_with(policy, facts, req, false);
    if quick.allowed {
        decide(policy, facts, req)
    } else {
        quick
    }
}

/// Does the actor hold the role on the entity? The derivation when it does, and any errors.
pub fn holds_role(
    policy: &Policy,
    facts: &Facts,
    ctx: &Context,
    actor: &Entity,
    on: &Entity,
    role: crate::compiled::RoleId,
    explain: bool,
) -> (Option<Derivation>, Vec<String>) {
    let mut w = Walk::scoped(policy, facts, actor, on, ctx, explain);
    let plan = policy.ty(on.ty).role_plans[role.index()];
    let d = on
        .id
        .and_then(|id| w.holds_id(actor.ty, actor.id, id, plan));
    (d, w.errors)
}

/// The actors `who` queries consider: every actor the facts name, and `T:*` for every actor type
/// with a wildcard assignment.
pub fn candidates(policy: &Policy, facts: &Facts) -> Vec<(Who, Entity)> {
    let mut out = Vec::new();
    for (i, t) in policy.types.iter().enumerate() {
        if t.kind != Kind::Actor {
            continue;
        }
        let ty = TypeId(i as u32);
        for e in facts.entities_of(ty) {
            if let Some(ent) = Entity::known(facts, e) {
                out.push((Who::Actor(facts.display(policy, e)), ent));
            }
        }
    }
    out.extend(wildcard_candidates(policy, facts));
    out
}

/// The `T:*` entries of [`candidates`]: an actor of type `T` the facts do not name, for every
/// type with a wildcard assignment, in the order of the first such assignment. Costs the
/// userset and wildcard assignments, not all of them.
pub fn wildcard_candidates(policy: &Policy, facts: &Facts) -> Vec<(Who, Entity)> {
    let mut first: Vec<(u32, TypeId)> = Vec::new();
    for (i, a) in facts.set_assignments() {
        if let Subject::Wildcard(t) = a.subject {
            match first.iter_mut().find(|(_, ty)| *ty == t) {
                Some(f) => f.0 = f.0.min(i),
                None => first.push((i, t)),
            }
        }
    }
    first.sort();
    first
        .into_iter()
        .map(|(_, t)| {
            // An actor of the type that the facts do not name: it holds only what wildcards give.
            let anon = Entity {
                ty: t,
                id: None,
                name: "*".into(),
            };
            (Who::Everyone(policy.type_name(t).to_string()), anon)
        })
        .collect()
}

/// Decides without reasons; the allowed ones, with the errors met on the way.
fn allowed<T>(
    policy: &Policy,
    facts: &Facts,
    ctx: &Context,
    asks: impl Iterator<Item = (T, Entity, crate::compiled::PermId, Entity)>,
) -> (Vec<T>, Vec<String>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (key, principal, action, resource) in asks {
        let req = Request {
            principal,
            action,
            resource,
            context: ctx.clone(),
            errors: Vec::new(),
        };
        let d = super::decide_with(policy, facts, &req, false);
        errors.extend(d.errors);
        if d.allowed {
            out.push(key);
        }
    }
    (out, dedup(errors))
}

/// `who can ACTION RESOURCE` restricted to the actors of one type that the facts name, as
/// entities sorted by name (the AuthZEN subject search). Wildcard holders (`T:*`) are not one
/// actor and are not listed.
pub fn actors_who_can(
    policy: &Policy,
    facts: &Facts,
    ctx: &Context,
    ty: TypeId,
    action: crate::compiled::PermId,
    resource: &Entity,
) -> (Vec<Entity>, Vec<String>) {
    let asks = facts
        .entities_of(ty)
        .into_iter()
        .filter_map(|e| Entity::known(facts, e))
        .map(|p| (p.clone(), p, action, resource.clone()));
    let (mut found, errors) = allowed(policy, facts, ctx, asks);
    found.sort_by(|a, b| a.name.cmp(&b.name));
    (found, errors)
}

/// `which TYPE PRINCIPAL can ACTION`, as entities sorted by name (the AuthZEN resource search).
pub fn entities_which(
    policy: &Policy,
    facts: &Facts,
    ctx: &Context,
    ty: TypeId,
    principal: &Entity,
    action: crate::compiled::PermId,
) -> (Vec<Entity>, Vec<String>) {
    let asks = facts
        .entities_of(ty)
        .into_iter()
        .filter_map(|e| Entity::known(facts, e))
        .map(|r| (r.clone(), principal.clone(), action, r));
    let (mut found, errors) = allowed(policy, facts, ctx, asks);
    found.sort_by(|a, b| a.name.cmp(&b.name));
    (found, errors)
}

/// `what can PRINCIPAL do on RESOURCE`: the permissions in the order they are declared (the
/// AuthZEN action search).
pub fn permissions_what_can(
    policy: &Policy,
    facts: &Facts,
    ctx: &Context,
    principal: &Entity,
    resource: &Entity,
) -> (Vec<crate::compiled::PermId>, Vec<String>) {
    let n = policy.ty(resource.ty).permissions.len();
    let asks = (0..n).map(|i| {
        let p = crate::compiled::PermId(i as u32);
        (p, principal.clone(), p, resource.clone())
    });
    allowed(policy, facts, ctx, asks)
}

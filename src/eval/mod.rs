//! Stage 4, evaluate: a compiled [`Policy`] and [`Facts`] answer [`Request`]s with a
//! [`Decision`] and its reasons.
//!
//! The hot path ([`decide`]) follows the precomputed plans: a hash lookup for the actor's own
//! assignments on the resource, one per userset or wildcard assignment there, and one per `from`
//! edge that can give the action. It never scans roles or rules that cannot apply.

pub mod assign;
mod cycles;
pub(crate) mod expr;
mod fast;
pub mod hints;
mod holds;
pub mod index;
mod plain;
pub mod query;
pub mod reference;
pub mod request;

pub use holds::{Derivation, Step};
pub use request::{Context, Entity, Request, RequestError};

use crate::compiled::{Policy, RuleId};
use crate::facts::Facts;
use crate::lang::{ConditionKind, Effect};
use holds::Walk;
use serde_json::json;

/// Why a decision came out as it did.
#[derive(Clone, Debug, PartialEq)]
pub enum Reason {
    /// Roles give the action: the derivation from an assignment to the grant.
    Granted(Derivation),
    /// A `permit` rule gives the action.
    Permitted(RuleId),
    /// A `forbid` rule applies; `error` is set when its condition could not be evaluated (which
    /// counts as applying: evaluation fails closed).
    Forbidden {
        /// The rule.
        rule: RuleId,
        /// Why its condition could not be evaluated, if it could not.
        error: Option<String>,
    },
    /// Nothing gives the action.
    NoGrant,
    /// The request itself is invalid (an undeclared context field): denied without evaluation.
    InvalidRequest,
}

/// The answer to a request.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    /// Whether the action is allowed. Any error on the way denies (fails closed).
    pub allowed: bool,
    /// Why: when allowed, the roles' grant or the first `permit` that applies; when denied, the
    /// `forbid`s that apply, [`Reason::NoGrant`] or [`Reason::InvalidRequest`]. Empty from
    /// [`decide_with`] without `explain`.
    pub reasons: Vec<Reason>,
    /// Evaluation errors met on the way (absent attributes, data cycles, bad context).
    pub errors: Vec<String>,
}

/// The limit on steps of one decision (a guard against pathological data; `docs/security.md`).
pub const STEP_LIMIT: usize = 100_000;

/// The limit on the depth of one derivation: relations followed and groups entered (a guard
/// against stack exhaustion on very long chains; `docs/security.md`).
pub const DEPTH_LIMIT: usize = 256;

/// Decides a request, with reasons.
pub fn decide(policy: &Policy, facts: &Facts, req: &Request) -> Decision {
    decide_with(policy, facts, req, true)
}

/// Decides a request; reasons are only built when `explain` is set (allow/deny and errors are
/// the same either way). Without them, a decision allocates nothing on the usual paths.
pub fn decide_with(policy: &Policy, facts: &Facts, req: &Request, explain: bool) -> Decision {
    // Without reasons, the flattened plans answer most requests; the walk below takes the rest
    // (rules to evaluate, large or cyclic data) and every explained decision.
    if !explain && req.errors.is_empty() {
        match fast::decide(policy, facts, req) {
            fast::Fast::Decided(allowed) => {
                return Decision {
                    allowed,
                    reasons: Vec::new(),
                    errors: Vec::new(),
                };
            }
            // Roles are settled; the rules are evaluated as the walk would (with a fresh step
            // budget for the `is` questions of their conditions).
            fast::Fast::Rules { held } => {
                let walk = Walk::new(policy, facts, req, false);
                return apply_rules(walk, req, held, Vec::new());
            }
            fast::Fast::Walk => {}
        }
    }
    decide_walk(policy, facts, req, explain)
}

/// [`decide_with`] without its path for decisions without reasons: every request takes the
/// general walk. For tests that hold the two paths to the same answers (allow/deny and
/// errors).
#[doc(hidden)]
pub fn decide_walk(policy: &Policy, facts: &Facts, req: &Request, explain: bool) -> Decision {
    let mut walk = Walk::new(policy, facts, req, explain);
    let mut reasons = Vec::new();
    if !req.errors.is_empty() {
        return Decision {
            allowed: false,
            reasons: vec![Reason::InvalidRequest],
            errors: req.errors.clone(),
        };
    }
    let t = policy.ty(req.resource.ty);
    let a = req.action.index();
    let mut given = false;
    if let Some(d) = walk.holds(&req.principal, req.resource.id, t.action_plans[a]) {
        given = true;
        if explain {
            reasons.push(Reason::Granted(d));
        }
    }
    apply_rules(walk, req, given, reasons)
}

/// The rules part of a decision, once roles have given the action (`given`) or not: the
/// `permit`s when they have not, then the `forbid`s.
fn apply_rules(
    mut walk: Walk<'_>,
    req: &Request,
    mut given: bool,
    mut reasons: Vec<Reason>,
) -> Decision {
    let explain = walk.explain;
    let t = walk.policy.ty(req.resource.ty);
    let a = req.action.index();
    if !given {
        for rule in &t.permits[a] {
            if let Ok(true) = walk.rule_applies(*rule) {
                given = true;
                if explain {
                    reasons.push(Reason::Permitted(*rule));
                }
                break;
            }
        }
    }
    if !given {
        return Decision {
            allowed: false,
            reasons: if explain {
                vec![Reason::NoGrant]
            } else {
                Vec::new()
            },
            errors: walk.errors,
        };
    }
    let mut forbidden = Vec::new();
    for rule in &t.forbids[a] {
        match walk.rule_applies(*rule) {
            Ok(false) => {}
            Ok(true) => forbidden.push(Reason::Forbidden {
                rule: *rule,
                error: None,
            }),
            Err(e) => forbidden.push(Reason::Forbidden {
                rule: *rule,
                error: Some(e),
            }),
        }
        if !forbidden.is_empty() && !explain {
            break;
        }
    }
    if forbidden.is_empty() {
        Decision {
            allowed: true,
            reasons,
            errors: walk.errors,
        }
    } else {
        Decision {
            allowed: false,
            reasons: forbidden,
            errors: walk.errors,
        }
    }
}

impl Walk<'_> {
    /// Whether a rule applies: `when C` where C is true, `unless C` where C is false; `Err` when
    /// C could not be evaluated.
    fn rule_applies(&mut self, rule: RuleId) -> Result<bool, String> {
        let r = self.policy.rule(rule);
        let Some((kind, cond)) = &r.condition else {
            return Ok(true);
        };
        let v = expr::eval_condition(self, cond);
        let v = v.map_err(|e| {
            let msg = format!("{} at {}: {e}", effect_word(r.effect), r.location);
            self.errors.push(msg);
            e
        })?;
        Ok(match kind {
            ConditionKind::When => v,
            ConditionKind::Unless => !v,
        })
    }
}

fn effect_word(e: Effect) -> &'static str {
    match e {
        Effect::Permit => "permit",
        Effect::Forbid => "forbid",
    }
}

/// How many names of an entity's type [`nearest_entity`] compares it with, at most: the search
/// stays bounded (a few milliseconds) whatever the size of the facts.
pub const NEAREST_ENTITY_CANDIDATES: usize = 20_000;

/// `did you mean `folder:eng`?` for an entity the facts do not know (`folder:engg`): the nearest
/// name of its type (the names compared without the type, which they share), among at most
/// [`NEAREST_ENTITY_CANDIDATES`] of them, shown as written in Pol; `None` when no name is near.
/// Used by explanations and by `polc eval`'s W0122.
pub fn nearest_entity(policy: &Policy, facts: &Facts, e: &Entity) -> Option<String> {
    let names = facts
        .entities_of_unordered(e.ty)
        .take(NEAREST_ENTITY_CANDIDATES)
        .filter_map(|id| facts.entity_name(id));
    let best = crate::diag::nearest(&e.name, names)?;
    let shown = crate::facts::display_entity(policy.type_name(e.ty), best);
    Some(format!("did you mean `{shown}`?"))
}

/// Renders reasons and decisions for people and programs.
pub struct Explainer<'a> {
    /// The policy the decisions were made with.
    pub policy: &'a Policy,
    /// The facts the decisions were made with.
    pub facts: &'a Facts,
}

impl Explainer<'_> {
    /// The entity as written in Pol: `type:name`, the name quoted when it needs it.
    pub fn entity(&self, e: &Entity) -> String {
        crate::facts::display_entity(self.policy.type_name(e.ty), &e.name)
    }

    /// `folder:engg appears nowhere in the facts; did you mean folder:eng?` for an entity the
    /// facts do not know (the nearest name of its type, see [`nearest_entity`]).
    fn unknown_entity(&self, e: &Entity) -> String {
        let mut s = format!("{} appears nowhere in the facts", self.entity(e));
        if let Some(hint) = nearest_entity(self.policy, self.facts, e) {
            s.push_str(&format!(" ({hint})"));
        }
        s
    }

    /// One line: `user:alice is admin on organization:acme -> owner on workspace:ml (from admin on
    /// organization) -> grants delete`.
    pub fn reason(&self, req: &Request, r: &Reason) -> String {
        let t = self.policy.ty(req.resource.ty);
        let action = &t.permissions[req.action.index()].name;
        match r {
            Reason::Granted(d) => {
                format!("{} -> grants {action}", d.render(self.policy, self.facts))
            }
            Reason::Permitted(rule) => {
                let rule = self.policy.rule(*rule);
                format!("permitted by {} ({})", rule_name(rule), rule.location)
            }
            Reason::Forbidden { rule, error } => {
                let r = self.policy.rule(*rule);
                let mut s = format!("forbidden by {} ({})", rule_name(r), r.location);
                if let Some(e) = error {
                    s.push_str(&format!(
                        "; its condition could not be evaluated ({e}), so it applies"
                    ));
                }
                s
            }
            Reason::NoGrant => {
                let mut s = format!("no role grants {action} on {}", self.entity(&req.resource));
                // Say so when the principal's own assignments there have expired: that is
                // usually the question behind a surprising deny.
                if let (Some(p), Some(r)) = (req.principal.id, req.resource.id) {
                    let expired: Vec<String> = self
                        .facts
                        .direct(p, r)
                        .filter_map(|i| self.facts.assignment(i))
                        .filter(|a| !a.live(req.context.now))
                        .map(|a| {
                            format!(
                                "{} expired at {}",
                                t.roles[a.role.index()].name,
                                a.until().map(crate::time::format).unwrap_or_default()
                            )
                        })
                        .collect();
                    if !expired.is_empty() {
                        s.push_str(&format!(
                            " ({}'s assignment as {})",
                            self.entity(&req.principal),
                            expired.join(", ")
                        ));
                    }
                }
                // Where the action is given by `permit` rules, name those that did not apply.
                let permits = t
                    .permits
                    .get(req.action.index())
                    .map_or(&[][..], Vec::as_slice);
                if !permits.is_empty() {
                    let rules: Vec<String> = permits
                        .iter()
                        .map(|id| {
                            let rule = self.policy.rule(*id);
                            format!("{} ({})", rule_name(rule), rule.location)
                        })
                        .collect();
                    let what = if rules.len() == 1 {
                        "the rule"
                    } else {
                        "none of the rules"
                    };
                    let verb = if rules.len() == 1 {
                        "does not apply"
                    } else {
                        "applies"
                    };
                    s.push_str(&format!(", and {what} {} {verb}", rules.join(", ")));
                }
                // An entity the facts never name is usually a typo: say so, with the nearest
                // name of its type.
                for e in [&req.principal, &req.resource] {
                    if e.id.is_none() {
                        s.push_str(&format!("; {}", self.unknown_entity(e)));
                    }
                }
                s
            }
            Reason::InvalidRequest => "the request is invalid, so it is denied (see errors)".into(),
        }
    }

    /// The decision JSON of docs/language.md, "Requests and decisions".
    pub fn decision_json(&self, req: &Request, d: &Decision) -> serde_json::Value {
        json!({
            "decision": if d.allowed { "allow" } else { "deny" },
            "reasons": d.reasons.iter().map(|r| self.reason(req, r)).collect::<Vec<_>>(),
            "errors": d.errors,
        })
    }
}

/// A rule as reasons name it: its doc comment, else its text.
pub fn rule_name(rule: &crate::compiled::Rule) -> String {
    match &rule.doc {
        Some(doc) => format!("\"{}\"", doc.lines().next().unwrap_or("").trim()),
        None => format!("`{}`", rule.text),
    }
}

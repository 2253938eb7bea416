#![deny(missing_docs)]
//! What-if: the permissions and constraint violations that changed between two states of the
//! facts (before `:assume`, and now).

use crate::compiled::{PermId, Policy, TypeId};
use crate::diag::Diagnostic;
use crate::diag::render::{self, HumanStyle};
use crate::eval::query::candidates;
use crate::eval::{Context, Entity, Request, decide_with};
use crate::facts::Facts;
use crate::lints::data as lints;
use crate::source::SourceMap;
use std::collections::BTreeSet;

/// Every permission the facts give: `user:bob can delete workspace:ml`, for every actor the
/// facts name (and `T:*` where a wildcard applies) and every resource entity they name.
pub fn permissions(policy: &Policy, facts: &Facts) -> BTreeSet<String> {
    let ctx = Context::from_facts(policy, facts);
    let actors = candidates(policy, facts);
    let mut out = BTreeSet::new();
    for (i, t) in policy.types.iter().enumerate() {
        // Every type with permissions: an actor type can have some too.
        if t.permissions.is_empty() {
            continue;
        }
        for e in facts.entities_of(TypeId(i as u32)) {
            let Some(resource) = Entity::known(facts, e) else {
                continue;
            };
            let name = facts.display(policy, e);
            for (who, actor) in &actors {
                for (p, perm) in t.permissions.iter().enumerate() {
                    let req = Request {
                        principal: actor.clone(),
                        action: PermId(p as u32),
                        resource: resource.clone(),
                        context: ctx.clone(),
                        errors: Vec::new(),
                    };
                    if decide_with(policy, facts, &req, false).allowed {
                        out.insert(format!("{who} can {} {name}", perm.name));
                    }
                }
            }
        }
    }
    out
}

/// The data lints of the facts, at the facts' `context.now` (or the current time).
pub fn violations(policy: &Policy, facts: &Facts) -> Vec<Diagnostic> {
    let now = Context::from_facts(policy, facts).now;
    lints::run(policy, facts, now)
}

/// What changed from `before` to `after`.
#[derive(Debug, Default)]
pub struct Diff {
    /// `+ user:bob can delete workspace:ml` and `- ...`, sorted by the permission.
    pub permissions: Vec<String>,
    /// Violations of `after` that `before` did not have.
    pub caused: Vec<Diagnostic>,
    /// Violations of `before` that `after` no longer has.
    pub resolved: Vec<Diagnostic>,
}

/// What changes from `before` to `after` (`:diff`): every (actor, permission, resource) that
/// is allowed in one and not the other, and the data constraint violations caused and resolved.
pub fn diff(policy: &Policy, before: &Facts, after: &Facts) -> Diff {
    let was = permissions(policy, before);
    let now = permissions(policy, after);
    let mut lines: Vec<(&String, char)> = now
        .difference(&was)
        .map(|p| (p, '+'))
        .chain(was.difference(&now).map(|p| (p, '-')))
        .collect();
    lines.sort();
    let old = violations(policy, before);
    let new = violations(policy, after);
    let key = |d: &Diagnostic| (d.code, d.message.clone());
    let old_keys: BTreeSet<_> = old.iter().map(key).collect();
    let new_keys: BTreeSet<_> = new.iter().map(key).collect();
    Diff {
        permissions: lines.into_iter().map(|(p, s)| format!("{s} {p}")).collect(),
        caused: new
            .iter()
            .filter(|d| !old_keys.contains(&key(d)))
            .cloned()
            .collect(),
        resolved: old
            .into_iter()
            .filter(|d| !new_keys.contains(&key(d)))
            .collect(),
    }
}

impl Diff {
    /// For people: the permission lines, then the violations caused (as full diagnostics: they
    /// point at the assumed facts) and those resolved (one line each).
    pub fn render(&self, sources: &SourceMap, style: HumanStyle) -> String {
        let mut out = String::new();
        if self.permissions.is_empty() {
            out.push_str("no permission gained or lost\n");
        }
        for p in &self.permissions {
            out.push_str(p);
            out.push('\n');
        }
        if self.caused.is_empty() {
            out.push_str("no new constraint violation\n");
        } else {
            out.push_str(&format!(
                "{} new constraint violation{}:\n",
                self.caused.len(),
                if self.caused.len() == 1 { "" } else { "s" }
            ));
            for d in &self.caused {
                out.push_str(&render::human(d, sources, style));
            }
        }
        for d in &self.resolved {
            out.push_str(&format!("resolved: {} {}\n", d.code, d.message));
        }
        out
    }
}

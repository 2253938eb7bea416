//! What a review acts on: elevated roles without an `until` or beyond their review period
//! (W0204, W0205, W0207), and holders a fixed `from` already implies (W0206).

use super::with_span;
use crate::compiled::Policy;
use crate::diag::{Code, Diagnostic};
use crate::eval::query::holds_role;
use crate::eval::{Context, Entity};
use crate::facts::{Facts, Subject};

pub(super) fn elevated(policy: &Policy, facts: &Facts, now: i64, out: &mut Vec<Diagnostic>) {
    for (_, a) in facts.assignments() {
        let Some(ty) = facts.entity_type(a.on) else {
            continue;
        };
        let role = &policy.ty(ty).roles[a.role.index()];
        if !role.elevated || !a.live(now) {
            continue;
        }
        if let Subject::Wildcard(actor_ty) = a.subject {
            let d = Diagnostic::new(
                Code::W0207,
                format!(
                    "elevated role `{}` is assigned to every `{}` (`{}:*`)",
                    role.name,
                    policy.ty(actor_ty).name,
                    policy.ty(actor_ty).name
                ),
            )
            .help("assign an elevated role to named actors, each with `until`, so that each holder is reviewed");
            out.push(with_span(d, a.span(), "every actor of the type"));
        }
        match (a.until(), role.review) {
            (None, review) => {
                let help = match review {
                    Some(secs) => {
                        format!("add `until` no later than {} from now", days(secs))
                    }
                    None => "add `until` so that the assignment is re-approved".into(),
                };
                let d = Diagnostic::new(
                    Code::W0204,
                    format!("elevated role `{}` is assigned without `until`", role.name),
                )
                .help(help);
                out.push(with_span(d, a.span(), "never expires"));
            }
            (Some(until), Some(secs))
                if until.saturating_sub(now) > (secs as i64).saturating_mul(1_000_000) =>
            {
                let d = Diagnostic::new(
                    Code::W0205,
                    format!(
                        "elevated role `{}` is assigned until {}, beyond its review period of {}",
                        role.name,
                        crate::time::format(until),
                        days(secs)
                    ),
                )
                .help(format!(
                    "shorten it to at most {}",
                    crate::time::format(now + secs as i64 * 1_000_000)
                ));
                out.push(with_span(d, a.span(), "too long"));
            }
            _ => {}
        }
    }
}

/// Whether the derivation rests on assignment `i` (directly or through a userset).
fn rests_on(d: &crate::eval::Derivation, i: u32) -> bool {
    use crate::eval::Step;
    d.0.iter().any(|s| match s {
        Step::Assigned(j) | Step::Wildcard(j) => *j == i,
        Step::Member { assignment, via } => *assignment == i || rests_on(via, i),
        Step::From { .. } | Step::Included { .. } => false,
    })
}

pub(super) fn implied(policy: &Policy, facts: &Facts, ctx: &Context, out: &mut Vec<Diagnostic>) {
    for (index, a) in facts.assignments() {
        let Subject::Actor(actor_id) = a.subject else {
            continue;
        };
        let (Some(ty), Some(actor)) = (facts.entity_type(a.on), Entity::known(facts, actor_id))
        else {
            continue;
        };
        let t = policy.ty(ty);
        'roles: for giver in t.roles[a.role.index()].implied_by.iter() {
            for edge in t.roles[giver.index()].from.iter().filter(|e| !e.default) {
                let mut frontier = vec![a.on];
                for rel in &edge.path {
                    frontier = frontier
                        .iter()
                        .flat_map(|x| facts.relation(*x, *rel).iter().copied())
                        .collect();
                }
                for target in frontier {
                    let Some(on) = Entity::known(facts, target) else {
                        continue;
                    };
                    // A derivation that rests on this very assignment (folders that are each
                    // other's parent) is no reason to remove it: removing it loses the access.
                    if let (Some(d), _) =
                        holds_role(policy, facts, ctx, &actor, &on, edge.role, true)
                        && !rests_on(&d, index)
                    {
                        let msg = format!(
                            "{} already holds `{}` on {} through `from {} on {}`",
                            facts.display(policy, actor_id),
                            t.roles[a.role.index()].name,
                            facts.display(policy, a.on),
                            policy.ty(edge.target).roles[edge.role.index()].name,
                            edge.path_text
                        );
                        let diag = Diagnostic::new(Code::W0206, msg).help(format!(
                            "the assignment adds nothing: {}; remove it",
                            d.render(policy, facts)
                        ));
                        out.push(with_span(diag, a.span(), "redundant assignment"));
                        break 'roles;
                    }
                }
            }
        }
    }
}

/// `1 day`, `90 days`, or hours when under a day.
fn days(secs: u64) -> String {
    match secs {
        s if s >= 86_400 && s / 86_400 == 1 => "1 day".into(),
        s if s >= 86_400 => format!("{} days", s / 86_400),
        s if s / 3_600 == 1 => "1 hour".into(),
        s => format!("{} hours", s / 3_600),
    }
}

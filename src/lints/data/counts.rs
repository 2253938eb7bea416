//! `min` / `max` holders of a role (W0201, W0202) and separation of duties (W0203).

use super::{Actors, Scope, reached, with_span};
use crate::compiled::{Policy, RoleId, TypeId};
use crate::diag::{Code, Diagnostic};
use crate::eval::query::holds_role;
use crate::eval::{Context, Entity};
use crate::facts::{Facts, Subject};

/// `min` and `max` count holders: the concrete actors the live direct assignments reach, with
/// usersets expanded to the actors the facts name who belong to them. A wildcard reaches no
/// named actor, so it never satisfies `min`, and it exceeds any `max`.
pub(super) fn min_max(
    policy: &Policy,
    facts: &Facts,
    ctx: &Context,
    scope: &Scope,
    out: &mut Vec<Diagnostic>,
) {
    let now = ctx.now;
    let actors = Actors::new();
    for (i, t) in policy.types.iter().enumerate() {
        let ty = TypeId(i as u32);
        if t.roles.iter().all(|r| r.min.is_none() && r.max.is_none()) {
            continue;
        }
        for e in scope.entities_of(facts, ty) {
            for (k, role) in t.roles.iter().enumerate() {
                if role.min.is_none() && role.max.is_none() {
                    continue;
                }
                let live: Vec<u32> = facts
                    .on(e)
                    .filter(|x| {
                        facts
                            .assignment(*x)
                            .is_some_and(|a| a.role == RoleId(k as u32) && a.live(now))
                    })
                    .collect();
                // Distinct holders: the same actor reached twice counts once.
                let mut holders = std::collections::HashSet::new();
                let mut wildcard = None;
                for x in &live {
                    let Some(a) = facts.assignment(*x) else {
                        continue;
                    };
                    if matches!(a.subject, Subject::Wildcard(_)) {
                        wildcard.get_or_insert(*x);
                    }
                    holders.extend(reached(policy, facts, ctx, &actors, a.subject));
                }
                let n = holders.len() as u32;
                let name = format!("`{}`", facts.display(policy, e));
                if let Some(min) = role.min.filter(|m| n < *m) {
                    // Point at an assignment of the entity if there is one (an expired one of
                    // this role, or any other).
                    let span = facts
                        .on(e)
                        .filter_map(|x| facts.assignment(x))
                        .max_by_key(|a| a.role == RoleId(k as u32))
                        .and_then(|a| a.span());
                    let d = Diagnostic::new(
                        Code::W0201,
                        format!(
                            "{name} has {n} {} (the policy requires at least {min})",
                            plural(n, &role.name)
                        ),
                    )
                    .help(format!(
                        "assign `{}` on {name} to a named actor (a wildcard or an empty userset counts no one)",
                        role.name
                    ));
                    let label = format!(
                        "no live `{}` assignment to a named actor on {name}",
                        role.name
                    );
                    out.push(with_span(d, span, &label));
                }
                if let Some(max) = role.max {
                    let (over, span) = match wildcard {
                        Some(x) => (true, facts.assignment(x).and_then(|a| a.span())),
                        None => (
                            n > max,
                            live.get(max as usize)
                                .and_then(|x| facts.assignment(*x))
                                .and_then(|a| a.span()),
                        ),
                    };
                    if !over {
                        continue;
                    }
                    let count = if wildcard.is_some() {
                        format!("every actor of a type as {}", plural(2, &role.name))
                    } else {
                        format!("{n} {}", plural(n, &role.name))
                    };
                    let d = Diagnostic::new(
                        Code::W0202,
                        format!("{name} has {count} (the policy allows at most {max})"),
                    )
                    .help(format!("remove an assignment of `{}` on {name}", role.name));
                    let label = if wildcard.is_some() {
                        "a wildcard: no upper bound"
                    } else {
                        "one too many"
                    };
                    out.push(with_span(d, span, label));
                }
            }
        }
    }
}

fn plural(n: u32, role: &str) -> String {
    if n == 1 {
        format!("holder of `{role}`")
    } else {
        format!("holders of `{role}`")
    }
}

pub(super) fn separation(
    policy: &Policy,
    facts: &Facts,
    ctx: &Context,
    scope: &Scope,
    out: &mut Vec<Diagnostic>,
) {
    if policy.types.iter().all(|t| t.separations.is_empty()) {
        return;
    }
    let mut actors = scope.actors_of(policy, facts);
    actors.retain(|(_, a)| scope.actor(a));
    for (i, t) in policy.types.iter().enumerate() {
        let ty = TypeId(i as u32);
        for sep in &t.separations {
            for e in scope.entities_of(facts, ty) {
                let Some(on) = Entity::known(facts, e) else {
                    continue;
                };
                for (who, actor) in &actors {
                    let held: Vec<RoleId> = sep
                        .roles
                        .iter()
                        .copied()
                        .filter(|r| {
                            holds_role(policy, facts, ctx, actor, &on, *r, false)
                                .0
                                .is_some()
                        })
                        .collect();
                    if held.len() < 2 {
                        continue;
                    }
                    let names: Vec<String> = held
                        .iter()
                        .map(|r| format!("`{}`", t.roles[r.index()].name))
                        .collect();
                    let span = actor.id.and_then(|a| {
                        facts.direct(a, e).find_map(|x| {
                            facts
                                .assignment(x)
                                .filter(|x| held.contains(&x.role))
                                .and_then(|x| x.span())
                        })
                    });
                    let d = Diagnostic::new(
                        Code::W0203,
                        format!(
                            "`{who}` holds {} on `{}`: a `separate` declaration forbids holding both",
                            names.join(" and "),
                            facts.display(policy, e),
                        ),
                    )
                    .help(format!("give one of these roles to someone else (the separation is declared at {})", sep.location));
                    out.push(with_span(d, span, "this assignment"));
                }
            }
        }
    }
}

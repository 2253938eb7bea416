//! The periodic access review (`polc audit access`): a report over a compiled policy and its
//! facts, at a time `now`.
//!
//! - **holdings**: per resource of the facts, every actor (and `T:*` for wildcard holders) and
//!   the roles it holds there, each with the path that gives it (its derivation) and, for a
//!   direct assignment, its `until`. A role held only because another role held on the same
//!   entity includes it is not listed again;
//! - **elevated**: every live assignment of an `elevated` role, with its expiry and review period
//!   and a status (`ok`, `no expiry`, `beyond review period`);
//! - **expiring**: every live assignment whose `until` falls within `expiring_days` of `now`;
//! - **findings**: the data checks an auditor acts on (`polc::lints::data`): review overdue
//!   (W0204 no `until` on an elevated role, W0205 `until` beyond the review period, W0207 an
//!   elevated role given to every actor of a type), holders a fixed `from` already implies
//!   (W0206), separation-of-duties conflicts (W0203), and `min`/`max`/`requires` (W0201, W0202,
//!   W0208).
//!
//! **Decision:** the facts record no review dates, so "not reviewed within the role's period"
//! is read from what forces a review: an elevated assignment that has no `until`, or whose
//! `until` lies beyond the review period, will not come up for re-approval within the period.
//!
//! Rendered as markdown, a self-contained HTML page (tables and the role graph as inline SVG),
//! CSV (one table, a `section` column first) and JSON.

use crate::compiled::{Kind, Policy, RoleId, TypeId};
use crate::diag::{Code, Diagnostic};
use crate::eval::query::{Who, candidates, holds_role};
use crate::eval::{Context, Entity};
use crate::facts::{Assignment, Facts, Subject};
use crate::source::SourceMap;
use serde::Serialize;
use svg::RoleGraph;

mod render;
mod svg;

/// Who holds what on one resource, and through which path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Holding {
    /// The resource, `type:id`.
    pub resource: String,
    /// The actor, `type:id` (or `type:*` for a wildcard).
    pub actor: String,
    /// The role held, on the resource's type.
    pub role: String,
    /// Held by an assignment of the actor's own on the resource.
    pub direct: bool,
    /// The derivation: `user:alice is admin on organization:acme -> owner on workspace:ml (from
    /// admin on organization)`.
    pub path: String,
    /// The `until` of the direct assignment, if it has one.
    pub until: Option<String>,
    /// Whether the role is `elevated`.
    pub elevated: bool,
}

/// One assignment of the facts, as the report lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AssignmentRow {
    /// `user:alice`, `team:core#member`, `user:*`
    pub subject: String,
    /// The role assigned.
    pub role: String,
    /// The resource, `type:id`.
    pub resource: String,
    /// When the assignment expires (RFC 3339 UTC); `None`: never.
    pub until: Option<String>,
    /// Whole days from `now` to `until`.
    pub days_left: Option<i64>,
    /// The role's review period (`90d`), for elevated roles.
    pub review: Option<String>,
    /// `ok`, `no expiry`, `beyond review period` (elevated rows); `expiring` otherwise.
    pub status: String,
    /// Where the fact was written.
    pub location: Option<String>,
}

/// A data check in the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReportFinding {
    /// The code of the data check (`W0201` ...).
    pub code: String,
    /// `review overdue`, `implied by from`, `separation of duties`, ...
    pub section: String,
    /// The diagnostic's message.
    pub message: String,
    /// The diagnostic's help, if any.
    pub help: Option<String>,
    /// Where the offending fact was written (`file:line:column`), when it was.
    pub location: Option<String>,
}

/// The access review.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AccessReport {
    /// The time of the review (RFC 3339 UTC).
    pub now: String,
    /// The horizon of the expiring list, in days from `now`.
    pub expiring_days: u32,
    /// Sorted by resource, then actor (or by actor first, see [`Grouping`]).
    pub holdings: Vec<Holding>,
    /// The assignments of elevated roles, with their review status.
    pub elevated: Vec<AssignmentRow>,
    /// The assignments that expire within `expiring_days` of `now`.
    pub expiring: Vec<AssignmentRow>,
    /// The data checks' findings, by section.
    pub findings: Vec<ReportFinding>,
    /// The role graph, for the HTML page.
    #[serde(skip)]
    graph: RoleGraph,
}

/// How the holdings are grouped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grouping {
    /// By resource, then actor.
    ByResource,
    /// By actor, then resource.
    ByActor,
}

/// The review of `facts` against `policy` at `now` (microseconds), listing assignments that
/// expire within `expiring_days`. `sources` names the places facts were written.
pub fn access(
    policy: &Policy,
    facts: &Facts,
    now: i64,
    expiring_days: u32,
    grouping: Grouping,
    sources: Option<&SourceMap>,
) -> AccessReport {
    let mut ctx = Context::from_facts(policy, facts);
    ctx.now = now;
    let location = |a: &Assignment| a.span().and_then(|s| sources.map(|m| m.location(s)));
    let mut holdings = holdings(policy, facts, &ctx);
    if grouping == Grouping::ByActor {
        holdings.sort_by(|a, b| {
            (&a.actor, &a.resource, &a.role).cmp(&(&b.actor, &b.resource, &b.role))
        });
    }
    let horizon = now.saturating_add(i64::from(expiring_days) * 86_400 * 1_000_000);
    let mut elevated = Vec::new();
    let mut expiring = Vec::new();
    for (_, a) in facts.assignments() {
        let Some(ty) = facts.entity_type(a.on) else {
            continue;
        };
        if !a.live(now) {
            continue;
        }
        let role = &policy.ty(ty).roles[a.role.index()];
        let days_left = a.until().map(|u| (u - now).div_euclid(86_400 * 1_000_000));
        let row = |status: &str| AssignmentRow {
            subject: subject(policy, facts, a.subject),
            role: role.name.clone(),
            resource: facts.display(policy, a.on),
            until: a.until().map(crate::time::format),
            days_left,
            review: role.review.map(duration),
            status: status.to_string(),
            location: location(a),
        };
        if role.elevated {
            let status = match (a.until(), role.review) {
                (None, _) => "no expiry",
                (Some(u), Some(secs))
                    if u.saturating_sub(now) > (secs as i64).saturating_mul(1_000_000) =>
                {
                    "beyond review period"
                }
                _ => "ok",
            };
            elevated.push(row(status));
        }
        if a.until().is_some_and(|u| u <= horizon) {
            expiring.push(row("expiring"));
        }
    }
    let key = |r: &AssignmentRow| (r.resource.clone(), r.subject.clone(), r.role.clone());
    elevated.sort_by_key(key);
    expiring.sort_by_key(|r| (r.days_left, key(r)));
    let findings = crate::lints::data::run(policy, facts, now)
        .into_iter()
        .filter_map(|d| finding(&d, sources))
        .collect();
    AccessReport {
        now: crate::time::format(now),
        expiring_days,
        holdings,
        elevated,
        expiring,
        findings,
        graph: RoleGraph::new(policy),
    }
}

fn finding(d: &Diagnostic, sources: Option<&SourceMap>) -> Option<ReportFinding> {
    let section = match d.code {
        Code::W0204 | Code::W0205 | Code::W0207 => "review overdue",
        Code::W0206 => "implied by a fixed from",
        Code::W0203 => "separation of duties",
        Code::W0201 | Code::W0202 => "holder count",
        Code::W0208 => "missing requirement",
        _ => return None,
    };
    let location = d
        .labels
        .iter()
        .find(|l| l.primary)
        .and_then(|l| sources.map(|m| m.location(l.span)));
    Some(ReportFinding {
        code: d.code.as_str().to_string(),
        section: section.to_string(),
        message: d.message.clone(),
        help: d.help.clone(),
        location,
    })
}

fn subject(policy: &Policy, facts: &Facts, s: Subject) -> String {
    match s {
        Subject::Actor(a) => facts.display(policy, a),
        Subject::Userset(e, r) => {
            let role = facts
                .entity_type(e)
                .map_or("?", |t| policy.ty(t).roles[r.index()].name.as_str());
            format!("{}#{role}", facts.display(policy, e))
        }
        Subject::Wildcard(t) => format!("{}:*", policy.type_name(t)),
    }
}

/// `90d`, `12h`, or seconds.
fn duration(secs: u64) -> String {
    if secs.is_multiple_of(86_400) {
        format!("{}d", secs / 86_400)
    } else if secs.is_multiple_of(3_600) {
        format!("{}h", secs / 3_600)
    } else {
        format!("{secs}s")
    }
}

fn holdings(policy: &Policy, facts: &Facts, ctx: &Context) -> Vec<Holding> {
    let actors = candidates(policy, facts);
    let mut out = Vec::new();
    for (ti, t) in policy.types.iter().enumerate() {
        if t.kind != Kind::Resource || t.roles.is_empty() {
            continue;
        }
        let ty = TypeId(ti as u32);
        let mut entities: Vec<(String, Entity)> = facts
            .entities_of(ty)
            .into_iter()
            .filter_map(|e| Entity::known(facts, e).map(|x| (facts.display(policy, e), x)))
            .collect();
        entities.sort_by(|a, b| a.0.cmp(&b.0));
        for (ename, on) in &entities {
            let mut rows: Vec<(Who, Holding)> = Vec::new();
            for (who, actor) in &actors {
                let held: Vec<(RoleId, crate::eval::Derivation)> = (0..t.roles.len())
                    .filter_map(|r| {
                        let r = RoleId(r as u32);
                        holds_role(policy, facts, ctx, actor, on, r, true)
                            .0
                            .map(|d| (r, d))
                    })
                    .collect();
                for (r, d) in &held {
                    // Implied by another role held here: listed under that one.
                    let implied = held.iter().any(|(s, _)| {
                        s != r
                            && t.roles[s.index()].implies.contains(*r)
                            && !t.roles[r.index()].implies.contains(*s)
                    });
                    if implied {
                        continue;
                    }
                    let own = match (actor.id, on.id) {
                        (Some(a), Some(e)) => facts
                            .direct(a, e)
                            .filter_map(|i| facts.assignment(i))
                            .find(|x| x.role == *r && x.live(ctx.now)),
                        _ => None,
                    };
                    let role = &t.roles[r.index()];
                    rows.push((
                        who.clone(),
                        Holding {
                            resource: ename.clone(),
                            actor: who.to_string(),
                            role: role.name.clone(),
                            direct: own.is_some(),
                            path: d.render(policy, facts),
                            until: own.and_then(|a| a.until()).map(crate::time::format),
                            elevated: role.elevated,
                        },
                    ));
                }
            }
            rows.sort_by(|a, b| (&a.0, &a.1.role).cmp(&(&b.0, &b.1.role)));
            out.extend(rows.into_iter().map(|(_, h)| h));
        }
    }
    out
}

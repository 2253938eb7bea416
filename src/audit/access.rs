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

// ---------------------------------------------------------------------------------------------
// Rendering

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn opt(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("")
}

impl AccessReport {
    /// Whether the review found something to act on (a finding, or an elevated assignment that
    /// is not `ok`).
    pub fn needs_action(&self) -> bool {
        !self.findings.is_empty() || self.elevated.iter().any(|r| r.status != "ok")
    }

    /// The report as JSON, the fields as named here (`polc audit access --format json`).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    /// A markdown document: a summary, then one table per section.
    pub fn markdown(&self, grouping: Grouping) -> String {
        let mut out = format!("# Access review\n\nAt {}.\n\n", self.now);
        out.push_str(&format!(
            "- {} holdings\n- {} elevated assignments ({} to act on)\n- {} assignments expiring within {} days\n- {} findings\n\n",
            self.holdings.len(),
            self.elevated.len(),
            self.elevated.iter().filter(|r| r.status != "ok").count(),
            self.expiring.len(),
            self.expiring_days,
            self.findings.len()
        ));
        out.push_str("## Who holds what\n\n");
        let mut current = None;
        for h in &self.holdings {
            let (head, other) = match grouping {
                Grouping::ByResource => (&h.resource, &h.actor),
                Grouping::ByActor => (&h.actor, &h.resource),
            };
            if current != Some(head) {
                let col = match grouping {
                    Grouping::ByResource => "actor",
                    Grouping::ByActor => "resource",
                };
                out.push_str(&format!(
                    "### {}\n\n| {col} | role | direct | until | path |\n|---|---|---|---|---|\n",
                    md_cell(head)
                ));
                current = Some(head);
            }
            out.push_str(&format!(
                "| {} | {}{} | {} | {} | {} |\n",
                md_cell(other),
                md_cell(&h.role),
                if h.elevated { " (elevated)" } else { "" },
                if h.direct { "yes" } else { "no" },
                md_cell(opt(&h.until)),
                md_cell(&h.path)
            ));
            if self
                .holdings
                .iter()
                .skip_while(|x| !std::ptr::eq(*x, h))
                .nth(1)
                .is_none_or(|n| match grouping {
                    Grouping::ByResource => n.resource != h.resource,
                    Grouping::ByActor => n.actor != h.actor,
                })
            {
                out.push('\n');
            }
        }
        if self.holdings.is_empty() {
            out.push_str("No one holds a role on a resource of the data.\n\n");
        }
        let rows = |out: &mut String, title: &str, rows: &[AssignmentRow], empty: &str| {
            out.push_str(&format!("## {title}\n\n"));
            if rows.is_empty() {
                out.push_str(&format!("{empty}\n\n"));
                return;
            }
            out.push_str("| resource | subject | role | until | days left | review | status | where |\n|---|---|---|---|---|---|---|---|\n");
            for r in rows {
                out.push_str(&format!(
                    "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
                    md_cell(&r.resource),
                    md_cell(&r.subject),
                    md_cell(&r.role),
                    md_cell(r.until.as_deref().unwrap_or("never")),
                    r.days_left.map(|d| d.to_string()).unwrap_or_default(),
                    md_cell(opt(&r.review)),
                    md_cell(&r.status),
                    md_cell(opt(&r.location))
                ));
            }
            out.push('\n');
        };
        rows(
            &mut out,
            "Elevated assignments",
            &self.elevated,
            "No live assignment of an elevated role.",
        );
        rows(
            &mut out,
            &format!("Expiring within {} days", self.expiring_days),
            &self.expiring,
            "No assignment expires in that time.",
        );
        out.push_str("## Findings\n\n");
        if self.findings.is_empty() {
            out.push_str("None.\n");
        } else {
            out.push_str("| code | what | finding | help | where |\n|---|---|---|---|---|\n");
            for f in &self.findings {
                out.push_str(&format!(
                    "| {} | {} | {} | {} | {} |\n",
                    f.code,
                    md_cell(&f.section),
                    md_cell(&f.message),
                    md_cell(opt(&f.help)),
                    md_cell(opt(&f.location))
                ));
            }
        }
        out
    }

    /// One CSV table (RFC 4180 quoting): `section, resource, subject, role, direct, until,
    /// days_left, review, status, path_or_message, code, location`.
    pub fn csv(&self) -> String {
        let mut out = String::from(
            "section,resource,subject,role,direct,until,days_left,review,status,detail,code,location\r\n",
        );
        let mut line = |cells: [&str; 12]| {
            let cells: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
            out.push_str(&cells.join(","));
            out.push_str("\r\n");
        };
        for h in &self.holdings {
            line([
                "holding",
                &h.resource,
                &h.actor,
                &h.role,
                if h.direct { "yes" } else { "no" },
                opt(&h.until),
                "",
                "",
                if h.elevated { "elevated" } else { "" },
                &h.path,
                "",
                "",
            ]);
        }
        for (section, rows) in [("elevated", &self.elevated), ("expiring", &self.expiring)] {
            for r in rows {
                let days = r.days_left.map(|d| d.to_string()).unwrap_or_default();
                line([
                    section,
                    &r.resource,
                    &r.subject,
                    &r.role,
                    "",
                    opt(&r.until),
                    &days,
                    opt(&r.review),
                    &r.status,
                    "",
                    "",
                    opt(&r.location),
                ]);
            }
        }
        for f in &self.findings {
            line([
                "finding",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                &f.section,
                &f.message,
                &f.code,
                opt(&f.location),
            ]);
        }
        out
    }

    /// A self-contained HTML page: the tables of [`AccessReport::markdown`] and the role graph
    /// as inline SVG (no script, no external resource).
    pub fn html(&self, grouping: Grouping) -> String {
        let mut out = String::from(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Access review</title>\n<style>\nbody{font-family:system-ui,sans-serif;margin:2em;color:#222}\ntable{border-collapse:collapse;margin:0.5em 0 1.5em}\nth,td{border:1px solid #bbb;padding:0.25em 0.6em;text-align:left;vertical-align:top}\nth{background:#eee}\n.warn{background:#fde8e8}\ncode{font-size:0.95em}\n</style>\n</head>\n<body>\n",
        );
        out.push_str(&format!(
            "<h1>Access review</h1>\n<p>At {}: {} holdings, {} elevated assignments ({} to act on), {} expiring within {} days, {} findings.</p>\n",
            esc(&self.now),
            self.holdings.len(),
            self.elevated.len(),
            self.elevated.iter().filter(|r| r.status != "ok").count(),
            self.expiring.len(),
            self.expiring_days,
            self.findings.len()
        ));
        out.push_str("<h2>Who holds what</h2>\n");
        let (first, second) = match grouping {
            Grouping::ByResource => ("resource", "actor"),
            Grouping::ByActor => ("actor", "resource"),
        };
        out.push_str(&format!(
            "<table>\n<tr><th>{first}</th><th>{second}</th><th>role</th><th>direct</th><th>until</th><th>path</th></tr>\n"
        ));
        for h in &self.holdings {
            let (a, b) = match grouping {
                Grouping::ByResource => (&h.resource, &h.actor),
                Grouping::ByActor => (&h.actor, &h.resource),
            };
            out.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                esc(a),
                esc(b),
                esc(&h.role),
                if h.elevated { " (elevated)" } else { "" },
                if h.direct { "yes" } else { "no" },
                esc(opt(&h.until)),
                esc(&h.path)
            ));
        }
        out.push_str("</table>\n");
        let rows = |out: &mut String, title: &str, rows: &[AssignmentRow]| {
            out.push_str(&format!("<h2>{}</h2>\n", esc(title)));
            if rows.is_empty() {
                out.push_str("<p>None.</p>\n");
                return;
            }
            out.push_str("<table>\n<tr><th>resource</th><th>subject</th><th>role</th><th>until</th><th>days left</th><th>review</th><th>status</th><th>where</th></tr>\n");
            for r in rows {
                let class = if r.status == "ok" || r.status == "expiring" {
                    ""
                } else {
                    " class=\"warn\""
                };
                out.push_str(&format!(
                    "<tr{class}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                    esc(&r.resource),
                    esc(&r.subject),
                    esc(&r.role),
                    esc(r.until.as_deref().unwrap_or("never")),
                    r.days_left.map(|d| d.to_string()).unwrap_or_default(),
                    esc(opt(&r.review)),
                    esc(&r.status),
                    esc(opt(&r.location))
                ));
            }
            out.push_str("</table>\n");
        };
        rows(&mut out, "Elevated assignments", &self.elevated);
        rows(
            &mut out,
            &format!("Expiring within {} days", self.expiring_days),
            &self.expiring,
        );
        out.push_str("<h2>Findings</h2>\n");
        if self.findings.is_empty() {
            out.push_str("<p>None.</p>\n");
        } else {
            out.push_str("<table>\n<tr><th>code</th><th>what</th><th>finding</th><th>help</th><th>where</th></tr>\n");
            for f in &self.findings {
                out.push_str(&format!(
                    "<tr class=\"warn\"><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                    esc(&f.code),
                    esc(&f.section),
                    esc(&f.message),
                    esc(opt(&f.help)),
                    esc(opt(&f.location))
                ));
            }
            out.push_str("</table>\n");
        }
        out.push_str("<h2>Role graph</h2>\n<p>Solid: <code>includes</code>; blue: <code>from</code> (dashed: <code>default from</code>); red, dotted: <code>assigns</code>. Each arrow points from the role held to the role it gives or hands out.</p>\n");
        out.push_str(&self.graph.svg());
        out.push_str("\n</body>\n</html>\n");
        out
    }
}

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

// ---------------------------------------------------------------------------------------------
// The role graph as SVG: a column per type that has roles, a box per role, straight arrows.

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct RoleGraph {
    /// Per column: the type's name and its roles (name, elevated or sealed).
    columns: Vec<(String, Vec<(String, bool)>)>,
    /// (from column, from row, to column, to row, kind): 0 includes, 1 from, 2 default from,
    /// 3 assigns.
    edges: Vec<(usize, usize, usize, usize, u8)>,
}

const BOX_W: usize = 150;
const BOX_H: usize = 28;
const COL_GAP: usize = 90;
const ROW_GAP: usize = 22;
const TOP: usize = 40;

impl RoleGraph {
    fn new(policy: &Policy) -> RoleGraph {
        let mut column_of = vec![None; policy.types.len()];
        let mut columns = Vec::new();
        for (i, t) in policy.types.iter().enumerate() {
            if t.roles.is_empty() {
                continue;
            }
            column_of[i] = Some(columns.len());
            columns.push((
                t.name.clone(),
                t.roles
                    .iter()
                    .map(|r| (r.name.clone(), r.elevated || r.sealed))
                    .collect(),
            ));
        }
        let mut edges = Vec::new();
        for (i, t) in policy.types.iter().enumerate() {
            let Some(c) = column_of[i] else { continue };
            for (ri, r) in t.roles.iter().enumerate() {
                for inc in &r.includes {
                    edges.push((c, ri, c, inc.index(), 0));
                }
                for f in &r.from {
                    if let Some(fc) = column_of[f.target.index()] {
                        edges.push((fc, f.role.index(), c, ri, if f.default { 2 } else { 1 }));
                    }
                }
                for p in &r.effective {
                    for q in &t.permissions[p.index()].assigns {
                        if q.index() != ri {
                            edges.push((c, ri, c, q.index(), 3));
                        }
                    }
                }
            }
        }
        edges.sort_unstable();
        edges.dedup();
        RoleGraph { columns, edges }
    }

    fn at(&self, col: usize, row: usize) -> (usize, usize) {
        (20 + col * (BOX_W + COL_GAP), TOP + row * (BOX_H + ROW_GAP))
    }

    fn svg(&self) -> String {
        let rows = self.columns.iter().map(|c| c.1.len()).max().unwrap_or(0);
        let width = 40 + self.columns.len() * (BOX_W + COL_GAP);
        let height = TOP + rows * (BOX_H + ROW_GAP) + 20;
        let mut s = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\">\n<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#555\"/></marker></defs>\n"
        );
        for (c, (name, roles)) in self.columns.iter().enumerate() {
            let (x, _) = self.at(c, 0);
            s.push_str(&format!(
                "<text x=\"{}\" y=\"22\" font-weight=\"bold\" text-anchor=\"middle\">{}</text>\n",
                x + BOX_W / 2,
                esc(name)
            ));
            for (r, (role, marked)) in roles.iter().enumerate() {
                let (x, y) = self.at(c, r);
                s.push_str(&format!(
                    "<rect x=\"{x}\" y=\"{y}\" width=\"{BOX_W}\" height=\"{BOX_H}\" rx=\"5\" fill=\"{}\" stroke=\"#555\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                    if *marked { "#fde8e8" } else { "#f4f4f4" },
                    x + BOX_W / 2,
                    y + BOX_H / 2 + 4,
                    esc(role)
                ));
            }
        }
        for &(fc, fr, tc, tr, kind) in &self.edges {
            let (fx, fy) = self.at(fc, fr);
            let (tx, ty) = self.at(tc, tr);
            let (x1, y1, x2, y2) = if fc == tc {
                // Within a column: from the right side (includes) or the left (assigns), bent.
                let (side, bend) = if kind == 3 {
                    (fx, fx.saturating_sub(30))
                } else {
                    (fx + BOX_W, fx + BOX_W + 30)
                };
                let (y1, y2) = (fy + BOX_H / 2, ty + BOX_H / 2);
                let style = edge_style(kind);
                s.push_str(&format!(
                    "<path d=\"M{side},{y1} C{bend},{y1} {bend},{y2} {side},{y2}\" fill=\"none\" {style} marker-end=\"url(#arrow)\"/>\n"
                ));
                continue;
            } else if fc < tc {
                (fx + BOX_W, fy + BOX_H / 2, tx, ty + BOX_H / 2)
            } else {
                (fx, fy + BOX_H / 2, tx + BOX_W, ty + BOX_H / 2)
            };
            s.push_str(&format!(
                "<line x1=\"{x1}\" y1=\"{y1}\" x2=\"{x2}\" y2=\"{y2}\" {} marker-end=\"url(#arrow)\"/>\n",
                edge_style(kind)
            ));
        }
        s.push_str("</svg>");
        s
    }
}

fn edge_style(kind: u8) -> &'static str {
    match kind {
        0 => "stroke=\"#555\"",
        1 => "stroke=\"#2a6ad0\"",
        2 => "stroke=\"#2a6ad0\" stroke-dasharray=\"5,3\"",
        _ => "stroke=\"#c03030\" stroke-dasharray=\"2,3\"",
    }
}

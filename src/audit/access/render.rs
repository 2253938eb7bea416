//! The access review rendered: markdown, CSV, a self-contained HTML page, JSON.

use super::{AccessReport, AssignmentRow, Grouping};

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn opt(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("")
}

impl AssignmentRow {
    /// The row's cells in the markdown and HTML tables (resource, subject, role, until or
    /// `never`, days left, review, status, where), unescaped.
    fn cells(&self) -> [String; 8] {
        [
            self.resource.clone(),
            self.subject.clone(),
            self.role.clone(),
            self.until.clone().unwrap_or_else(|| "never".into()),
            self.days_left.map(|d| d.to_string()).unwrap_or_default(),
            opt(&self.review).to_string(),
            self.status.clone(),
            opt(&self.location).to_string(),
        ]
    }
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
                let cells: Vec<String> = r.cells().iter().map(|c| md_cell(c)).collect();
                out.push_str(&format!("| {} |\n", cells.join(" | ")));
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
                let cells: String = r
                    .cells()
                    .iter()
                    .map(|c| format!("<td>{}</td>", esc(c)))
                    .collect();
                out.push_str(&format!("<tr{class}>{cells}</tr>\n"));
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

pub(super) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

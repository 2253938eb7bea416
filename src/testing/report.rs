//! Rendering test reports: human, JSON, JUnit XML.

use super::{Report, TestResult};
use crate::compiled::Policy;
use serde_json::json;

/// For people: failures in full, a line per passing test, the coverage gaps when asked, and the
/// closing `N passed, N failed`.
pub fn human(report: &Report, policy: &Policy, coverage: bool) -> String {
    let mut out = String::new();
    for t in &report.tests {
        if t.passed() {
            let noun = if t.assertions == 1 {
                "assertion"
            } else {
                "assertions"
            };
            out.push_str(&format!("ok    {} ({} {noun})\n", t.name, t.assertions));
            continue;
        }
        out.push_str(&format!("FAIL  {} ({})\n", t.name, t.location));
        for f in &t.failures {
            out.push_str(&format!("  {}: {}\n", f.location, f.statement));
            out.push_str(&format!("    expected: {}\n", f.expected));
            out.push_str(&format!("    got:      {}\n", f.actual));
            for w in &f.why {
                out.push_str(&format!("    because:  {w}\n"));
            }
        }
    }
    if coverage {
        out.push_str(&coverage_text(report, policy));
    }
    out.push_str(&format!(
        "{} passed, {} failed\n",
        report.passed(),
        report.failed()
    ));
    out
}

/// The coverage summary of `polc test --coverage`: the totals of grants, `from` edges and rules
/// exercised, then every gap by file and line.
pub fn coverage_text(report: &Report, policy: &Policy) -> String {
    let mut out = String::new();
    let [g, e, r] = report.coverage.totals(policy);
    out.push_str(&format!(
        "coverage: {}/{} grants, {}/{} from edges, {}/{} rules\n",
        g.0, g.1, e.0, e.1, r.0, r.1
    ));
    let mut file = String::new();
    for gap in report.coverage.gaps(policy) {
        if gap.file != file {
            out.push_str(&format!("  {}:\n", gap.file));
            file = gap.file.clone();
        }
        out.push_str(&format!(
            "    line {}: {} is not exercised by any test\n",
            gap.line, gap.what
        ));
    }
    out
}

fn test_json(t: &TestResult) -> serde_json::Value {
    json!({
        "name": t.name,
        "location": t.location,
        "passed": t.passed(),
        "assertions": t.assertions,
        "failures": t.failures.iter().map(|f| json!({
            "location": f.location,
            "statement": f.statement,
            "expected": f.expected,
            "actual": f.actual,
            "why": f.why,
        })).collect::<Vec<_>>(),
    })
}

/// The report as `polc test --format json` prints it: every test with its failures, the
/// counts, and with `coverage` the totals and the gaps.
pub fn json(report: &Report, policy: &Policy, coverage: bool) -> String {
    let mut doc = json!({
        "tests": report.tests.iter().map(test_json).collect::<Vec<_>>(),
        "passed": report.passed(),
        "failed": report.failed(),
    });
    if coverage {
        let [g, e, r] = report.coverage.totals(policy);
        doc["coverage"] = json!({
            "grants": {"exercised": g.0, "total": g.1},
            "from_edges": {"exercised": e.0, "total": e.1},
            "rules": {"exercised": r.0, "total": r.1},
            "gaps": report.coverage.gaps(policy).iter().map(|g| json!({"file": g.file, "line": g.line, "what": g.what})).collect::<Vec<_>>(),
        });
    }
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// Text as XML 1.0 character data or attribute value: the five specials escaped, and the
/// characters XML 1.0 cannot carry at all, even escaped (control characters other than tab,
/// newline and carriage return, which a Pol string may hold through `\u{..}`), written as
/// U+FFFD, so that no test name or failure text makes the report unreadable.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// JUnit XML: a test suite per file, a test case per test.
///
/// Written here rather than with the `quick-junit` crate (issue 13.12 asks for the crate unless
/// the hand version is better): the report is one fixed shape of three elements, the escaping
/// above is all XML needs of it, and `quick-junit` would bring `quick-xml`, `chrono`, `uuid`,
/// `newtype-uuid` and `strip-ansi-escapes` into the library (this module is part of it, for
/// `polc test` and for programs that run a policy's tests), which a default-features-off build
/// must stay lean of.
pub fn junit(report: &Report) -> String {
    let mut files: Vec<&str> = report.tests.iter().map(|t| t.file.as_str()).collect();
    files.dedup();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"polc\" tests=\"{}\" failures=\"{}\">\n",
        report.tests.len(),
        report.failed()
    ));
    let mut seen = Vec::new();
    for file in files {
        if seen.contains(&file) {
            continue;
        }
        seen.push(file);
        let tests: Vec<&TestResult> = report.tests.iter().filter(|t| t.file == file).collect();
        let failures = tests.iter().filter(|t| !t.passed()).count();
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\">\n",
            xml(file),
            tests.len(),
            failures
        ));
        for t in tests {
            out.push_str(&format!(
                "    <testcase name=\"{}\" classname=\"{}\"",
                xml(&t.name),
                xml(file)
            ));
            if t.passed() {
                out.push_str("/>\n");
                continue;
            }
            out.push_str(">\n");
            // JUnit allows one <failure> per test case: every failed assertion goes in its body.
            let mut body = String::new();
            for f in &t.failures {
                body.push_str(&format!(
                    "{}: {}\nexpected: {}\ngot: {}\n",
                    f.location, f.statement, f.expected, f.actual
                ));
                for w in &f.why {
                    body.push_str(&format!("because: {w}\n"));
                }
            }
            let message = match t.failures.as_slice() {
                [f] => format!("{}: expected {}, got {}", f.statement, f.expected, f.actual),
                fs => format!("{} assertions failed", fs.len()),
            };
            out.push_str(&format!(
                "      <failure message=\"{}\" type=\"assertion\">{}</failure>\n",
                xml(&message),
                xml(&body)
            ));
            out.push_str("    </testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::xml;

    #[test]
    fn xml_escapes_specials_and_replaces_what_xml_cannot_carry() {
        assert_eq!(
            xml("a<b & \"c\" 'd'>\u{1}\te\u{FFFF}"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;\u{FFFD}\te\u{FFFD}"
        );
    }
}

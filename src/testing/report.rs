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

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// JUnit XML: a test suite per file, a test case per test.
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

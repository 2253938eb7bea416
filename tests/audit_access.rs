//! `polc audit access`: the periodic access review, run as a user runs it, in every format, over
//! a fixture with elevated, expiring, overdue, implied and conflicting assignments.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Output};

const FIXTURE: &str = "tests/fixtures/audit/review.pol";
const NOW: &str = "2026-11-23T10:00:00Z";

fn polc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("the polc binary runs")
}

fn review(extra: &[&str]) -> Output {
    let mut args = vec!["audit", "access", FIXTURE, "--data", FIXTURE, "--now", NOW];
    args.extend_from_slice(extra);
    polc(&args)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn the_markdown_report_reads_as_an_auditor_needs_it() {
    let o = review(&[]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = stdout(&o);
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("audit_access_markdown", text);
    });
}

#[test]
fn the_json_report_has_every_section() {
    let o = review(&["--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["now"], NOW);
    assert_eq!(v["expiring_days"], 30);
    let holdings = v["holdings"].as_array().unwrap();
    // alice's owner role on ops comes from `from admin on organization`, not an assignment.
    let alice_ops = holdings
        .iter()
        .find(|h| h["actor"] == "user:alice" && h["resource"] == "workspace:ops")
        .unwrap();
    assert_eq!(alice_ops["role"], "owner");
    assert_eq!(alice_ops["direct"], false);
    assert!(
        alice_ops["path"]
            .as_str()
            .unwrap()
            .contains("from admin on organization")
    );
    // vera holds viewer through the userset.
    assert!(holdings.iter().any(|h| h["actor"] == "user:vera"
        && h["resource"] == "workspace:ops"
        && h["role"] == "viewer"));
    // An expired assignment is no holding; an implied role (viewer under operator) is not listed
    // again.
    assert!(!holdings.iter().any(|h| h["actor"] == "user:eve"));
    assert!(
        !holdings
            .iter()
            .any(|h| h["actor"] == "user:olga" && h["role"] == "viewer")
    );
    let status: Vec<(&str, &str)> = v["elevated"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["subject"].as_str().unwrap(),
                r["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(status.contains(&("user:olga", "no expiry")));
    assert!(status.contains(&("user:pete", "beyond review period")));
    assert!(status.contains(&("user:omar", "ok")));
    let expiring: Vec<i64> = v["expiring"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["days_left"].as_i64().unwrap())
        .collect();
    assert_eq!(expiring, vec![7, 7, 26]);
    let codes: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, vec!["W0203", "W0204", "W0205", "W0206"]);
}

#[test]
fn expiring_days_widens_the_window() {
    let o = review(&["--format", "json", "--expiring-days", "200"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["expiring"].as_array().unwrap().len(), 4);
    let o = review(&["--format", "json", "--expiring-days", "0"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["expiring"].as_array().unwrap().len(), 0);
}

#[test]
fn the_csv_is_one_quoted_table_with_a_section_column() {
    let o = review(&["--format", "csv"]);
    let text = stdout(&o);
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines[0],
        "section,resource,subject,role,direct,until,days_left,review,status,detail,code,location"
    );
    let count = |s: &str| lines.iter().filter(|l| l.starts_with(s)).count();
    assert_eq!(count("holding,"), 10);
    assert_eq!(count("elevated,"), 5);
    assert_eq!(count("expiring,"), 3);
    assert_eq!(count("finding,"), 4);
    // A path with a comma-free but quoted value, and a message with a comma, are quoted.
    assert!(
        lines.iter().any(
            |l| l.starts_with("holding,workspace:ml,user:omar,operator,yes,")
                && l.contains(
                    "\"user:omar is operator on workspace:ml until \"\"2026-12-20T00:00:00Z\"\"\""
                )
        ),
        "{text}"
    );
    assert!(lines.iter().any(|l| l.contains(
        "\"elevated role `approver` is assigned until 2027-06-01T00:00:00Z, beyond its review period of 90 days\""
    )));
}

#[test]
fn the_html_page_is_self_contained_with_the_role_graph() {
    let o = review(&["--format", "html"]);
    let text = stdout(&o);
    assert!(text.starts_with("<!DOCTYPE html>"));
    assert!(text.trim_end().ends_with("</html>"));
    assert!(text.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    // No script, stylesheet or image from elsewhere: usable offline.
    assert!(!text.contains("<script"));
    assert!(!text.contains("<link"));
    assert!(!text.contains("src="));
    assert_eq!(text.matches("http").count(), 1, "only the SVG namespace");
    // Every role is drawn; the tables are there; text is escaped.
    for role in ["owner", "operator", "approver", "viewer", "admin", "member"] {
        assert!(text.contains(&format!(">{role}</text>")), "{role}");
    }
    assert!(text.contains("<h2>Elevated assignments</h2>"));
    assert!(text.contains("until &quot;2026-12-20T00:00:00Z&quot;"));
}

#[test]
fn by_actor_groups_the_holdings_per_actor() {
    let o = review(&["--by", "actor"]);
    let text = stdout(&o);
    let alice = text.find("### user:alice").expect("an actor heading");
    let omar = text.find("### user:omar").expect("an actor heading");
    assert!(alice < omar);
    assert!(text.contains("| resource | role | direct | until | path |"));
}

#[test]
fn exit_statuses() {
    assert_eq!(review(&["--fail-on-findings"]).status.code(), Some(1));
    let o = polc(&[
        "audit", "access", FIXTURE, "--data", FIXTURE, "--now", "tomorrow",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not an RFC 3339 time"));
    // --data is required.
    let o = polc(&["audit", "access", FIXTURE]);
    assert_eq!(o.status.code(), Some(2));
    // A clean review passes --fail-on-findings.
    let o = polc(&[
        "audit",
        "access",
        "tests/fixtures/ok/assign_questions.pol",
        "--data",
        "tests/fixtures/ok/assign_questions.pol",
        "--fail-on-findings",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

//! The CLI edges a CI user hits (issue 13.9, 13.13): `test --filter` matching nothing,
//! `test --fail-under`, several `query -q`, `query --fail-on-deny`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output};

const FIXTURE: &str = "tests/fixtures/ok/language_facts_and_groups.pol";
const POLICY: &str =
    "actor user;\n\nresource doc {\n  permissions view;\n  role viewer { grants view; }\n}\n";

fn polc(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap()
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
}

fn temp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("polc_edges_{name}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("p.pol"), POLICY).unwrap();
    std::fs::write(d.join("data.pol"), "user:a is viewer on doc:b;\n").unwrap();
    d
}

#[test]
fn a_filter_that_matches_no_test_fails() {
    let o = polc(&["test", FIXTURE, "--filter", "no such test"], root());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("no test name contains `no such test`"),
        "{}",
        text(&o)
    );
    let o = polc(&["test", FIXTURE, "--filter", "section 4"], root());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

#[test]
fn fail_under_compares_the_coverage_with_the_threshold() {
    let o = polc(&["test", FIXTURE, "--fail-under", "100"], root());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("under `--fail-under 100`"),
        "{}",
        text(&o)
    );
    assert!(text(&o).contains("coverage:"), "{}", text(&o));
    let o = polc(&["test", FIXTURE, "--fail-under", "1"], root());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = polc(&["test", FIXTURE, "--fail-under", "101"], root());
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

#[test]
fn several_queries_are_answered_in_order() {
    let d = temp("several");
    let o = polc(
        &[
            "query",
            "p.pol",
            "--data",
            "data.pol",
            "--format",
            "json",
            "-q",
            "can user:a view doc:b",
            "-q",
            "who can view doc:b",
            "-q",
            "can user:z view doc:b",
        ],
        &d,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{}", text(&o));
    assert_eq!(lines[0]["decision"], "allow");
    assert_eq!(lines[2]["decision"], "deny");
}

#[test]
fn fail_on_deny_gives_a_deny_its_own_status() {
    let d = temp("deny");
    let allow = [
        "query",
        "p.pol",
        "--data",
        "data.pol",
        "--fail-on-deny",
        "can user:a view doc:b",
    ];
    assert_eq!(polc(&allow, &d).status.code(), Some(0));
    let deny = [
        "query",
        "p.pol",
        "--data",
        "data.pol",
        "--fail-on-deny",
        "can user:z view doc:b",
    ];
    let o = polc(&deny, &d);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    // Without the flag a deny is an answer like any other.
    let o = polc(
        &deny[..4]
            .iter()
            .chain(&deny[5..])
            .copied()
            .collect::<Vec<_>>(),
        &d,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // An error is still 1, not 3.
    let o = polc(
        &[
            "query",
            "p.pol",
            "--fail-on-deny",
            "-q",
            "can user:z view doc:b",
            "-q",
            "can nonsense",
        ],
        &d,
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
}

const UGLY: &str =
    "actor user;\nresource doc {\npermissions view;\n  role viewer { grants view; }\n}\n";

#[test]
fn fmt_dash_reads_stdin_and_writes_stdout() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(["fmt", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(UGLY.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(out.contains("\n  permissions view;\n"), "{out}");
    assert_eq!(out, out.replace("\npermissions", "\n  permissions"));
}

#[test]
fn fmt_diff_shows_the_change_and_writes_nothing() {
    let d = temp("fmtdiff");
    std::fs::write(d.join("ugly.pol"), UGLY).unwrap();
    let o = polc(&["fmt", "--diff", "ugly.pol"], &d);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("--- ugly.pol\n+++ ugly.pol\n"), "{out}");
    assert!(
        out.contains("\n-permissions view;\n+  permissions view;\n"),
        "{out}"
    );
    assert_eq!(std::fs::read_to_string(d.join("ugly.pol")).unwrap(), UGLY);
    let o = polc(&["fmt", "--diff", "p.pol"], &d);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(o.stdout.is_empty());
}

#[test]
fn the_summary_says_when_warnings_made_the_exit_fail() {
    let d = temp("deny_warnings");
    // `Doc` is not snake_case: a warning.
    std::fs::write(
        d.join("p.pol"),
        POLICY.replace("role viewer", "role Viewer").replace(
            "grants view; }",
            "grants view; }\n  role editor { includes Viewer; }",
        ),
    )
    .unwrap();
    let o = polc(&["check", "--color", "never", "p.pol"], &d);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("0 errors, 1 warning"), "{}", text(&o));
    assert!(!text(&o).contains("--deny-warnings"), "{}", text(&o));
    let o = polc(
        &["check", "--color", "never", "--deny-warnings", "p.pol"],
        &d,
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("failed: the warnings count as errors under `--deny-warnings`"),
        "{}",
        text(&o)
    );
}

const FOLDERS: &str = "actor user;\n\nresource folder {\n  relation parent: folder;\n  permissions view;\n  role owner { grants view; from owner on parent; }\n}\n";

#[test]
fn w0206_never_advises_removing_an_assignment_a_data_cycle_rests_on() {
    let d = temp("w0206");
    std::fs::write(d.join("f.pol"), FOLDERS).unwrap();
    // a and b are each other's parent: the owner of b holds owner on a only through b.
    let cycle = "folder:a.parent = folder:b;\nfolder:b.parent = folder:a;\nuser:ann is owner on folder:a;\n";
    std::fs::write(d.join("cycle.pol"), cycle).unwrap();
    let o = polc(
        &["check", "--color", "never", "f.pol", "--data", "cycle.pol"],
        &d,
    );
    assert!(!text(&o).contains("W0206"), "{}", text(&o));
    // The cycle itself is what is reported.
    assert!(
        text(&o).contains("W0121") && text(&o).contains("folder:a -> folder:b -> folder:a"),
        "{}",
        text(&o)
    );
    // A real redundancy is still reported: ann owns the parent b and is assigned on a too.
    let real = "folder:a.parent = folder:b;\nuser:ann is owner on folder:b;\nuser:ann is owner on folder:a;\n";
    std::fs::write(d.join("real.pol"), real).unwrap();
    let o = polc(
        &["check", "--color", "never", "f.pol", "--data", "real.pol"],
        &d,
    );
    assert!(text(&o).contains("W0206"), "{}", text(&o));
}

#[test]
fn query_says_that_facts_blocks_of_the_policy_are_not_loaded() {
    let d = temp("factsblocks");
    let with_facts = format!("{POLICY}\nfacts demo {{\n  user:a is viewer on doc:b;\n}}\n");
    std::fs::write(d.join("q.pol"), &with_facts).unwrap();
    let o = polc(&["query", "q.pol", "can user:a view doc:b"], &d);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("`facts` blocks of the policy files are not loaded"),
        "{}",
        text(&o)
    );
    // With the file as data the facts are there, and nothing is said.
    let o = polc(
        &["query", "q.pol", "--data", "q.pol", "can user:a view doc:b"],
        &d,
    );
    assert!(!text(&o).contains("not loaded"), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).starts_with("allow"),
        "{}",
        text(&o)
    );
    let o = polc(&["query", "p.pol", "can user:a view doc:b"], &d);
    assert!(!text(&o).contains("not loaded"), "{}", text(&o));
}

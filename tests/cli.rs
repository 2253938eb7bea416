//! The `polc` binary as a user runs it: exit statuses, output formats, `explain`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Output};

fn polc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .output()
        .expect("the polc binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const MINIMAL: &str = "tests/fixtures/ok/minimal.pol";

#[test]
fn a_clean_policy_exits_0_with_a_summary() {
    let o = polc(&["check", MINIMAL]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(stdout(&o), "checked 1 file: 0 errors, 0 warnings\n");
}

/// E0001 cannot be a fixture file: a path that does not exist is the fixture.
#[test]
fn a_missing_path_is_e0001_and_exits_2() {
    let o = polc(&["check", "tests/fixtures/no_such_file.pol"]);
    assert_eq!(o.status.code(), Some(2));
    let out = stdout(&o);
    assert!(out.contains("E0001"), "{out}");
    assert!(out.contains("no_such_file.pol"), "{out}");
    assert!(out.ends_with("error: 1 error, 0 warnings\n"), "{out}");
}

#[test]
fn a_folder_without_policies_is_e0001_and_exits_2() {
    let o = polc(&["check", "src/bin"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).contains("E0001"), "{}", stdout(&o));
}

#[test]
fn a_file_that_is_not_utf8_is_e0002_and_exits_2() {
    let o = polc(&["check", "tests/fixtures/err/E0002_not_utf8.pol"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).contains("E0002"), "{}", stdout(&o));
}

#[test]
fn io_errors_are_printed_in_the_chosen_format() {
    let o = polc(&[
        "check",
        "--format",
        "json",
        "tests/fixtures/no_such_file.pol",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(doc["diagnostics"][0]["code"], "E0001");
    assert_eq!(doc["errors"], 1);

    let o = polc(&[
        "check",
        "--format",
        "github",
        "tests/fixtures/no_such_file.pol",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stdout(&o).starts_with("::error title=polc%3A%3AE0001::"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn json_output_is_valid_json_even_without_diagnostics() {
    let o = polc(&["check", "--format", "json", MINIMAL]);
    assert_eq!(o.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(doc["diagnostics"], serde_json::json!([]));
    assert_eq!(doc["errors"], 0);
    assert_eq!(doc["warnings"], 0);
}

#[test]
fn sarif_output_is_valid_json_even_without_diagnostics() {
    let o = polc(&["check", "--format", "sarif", MINIMAL]);
    assert_eq!(o.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(doc["version"], "2.1.0");
    assert_eq!(doc["runs"][0]["tool"]["driver"]["name"], "polc");
    assert_eq!(doc["runs"][0]["results"], serde_json::json!([]));
}

#[test]
fn github_output_is_empty_without_diagnostics() {
    let o = polc(&["check", "--format", "github", MINIMAL]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "");
}

#[test]
fn output_to_a_pipe_has_no_colour_unless_asked() {
    let plain = polc(&["check", "tests/fixtures/no_such_file.pol"]);
    assert!(!stdout(&plain).contains('\u{1b}'), "{}", stdout(&plain));
    let coloured = polc(&[
        "--color",
        "always",
        "check",
        "tests/fixtures/no_such_file.pol",
    ]);
    assert!(
        stdout(&coloured).contains('\u{1b}'),
        "{}",
        stdout(&coloured)
    );
}

#[test]
fn a_bad_option_is_a_usage_error() {
    let o = polc(&["check", "--format", "xml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("xml"), "{}", stderr(&o));
}

#[test]
fn explain_prints_the_explanation() {
    for spelling in ["E0101", "e0101", "polc::E0101"] {
        let o = polc(&["explain", spelling]);
        assert_eq!(o.status.code(), Some(0), "{spelling}: {}", stderr(&o));
        assert!(
            stdout(&o).starts_with("# E0101: syntax error\n"),
            "{spelling}: {}",
            stdout(&o)
        );
        assert!(stdout(&o).contains("## How to fix"));
    }
}

#[test]
fn explain_of_an_unknown_code_exits_2_with_hints() {
    let o = polc(&["explain", "E9999"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stdout(&o), "");
    assert!(
        stderr(&o).contains("unknown diagnostic code `E9999`"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("polc explain --list"), "{}", stderr(&o));

    let o = polc(&["explain", "E0202x"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("did you mean `E0202`?"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn explain_list_names_every_code() {
    let o = polc(&["explain", "--list"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    for code in polc::diag::Code::ALL {
        assert!(
            out.contains(&format!("{}  ", code.as_str())),
            "{} missing from:\n{out}",
            code.as_str()
        );
    }
    assert!(out.contains("E0202  error    unknown role\n"), "{out}");
    assert!(
        out.contains("W0107  warning  name not in snake_case\n"),
        "{out}"
    );
}

#[test]
fn explain_needs_a_code_or_list() {
    let o = polc(&["explain"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn debug_ast_prints_json() {
    let o = polc(&["debug", "ast", MINIMAL]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(doc["items"].is_array(), "{doc}");
}

#[test]
fn debug_ast_of_a_missing_file_exits_2() {
    let o = polc(&["debug", "ast", "tests/fixtures/no_such_file.pol"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("E0001"), "{}", stderr(&o));
}

#[test]
fn version_and_help() {
    let o = polc(&["--version"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), format!("polc {}\n", env!("CARGO_PKG_VERSION")));
    for args in [
        &["--help"][..],
        &["check", "--help"],
        &["explain", "--help"],
        &["debug", "ast", "--help"],
    ] {
        let o = polc(args);
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        assert!(
            stdout(&o).contains("Example"),
            "{args:?} has no examples:\n{}",
            stdout(&o)
        );
    }
}

// The subcommands that run policies: test, eval, query, compile, check --data, debug graph.

/// A fresh folder under the system's temporary folder, unique to this test and process.
fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("polc-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

/// Facts for the shipped `policies/deeploy/` model.
const DEEPLOY_DATA: &str = "\
user:alice is admin on organization:acme;
user:gina is governance_manager on organization:acme;
user:omar is operator on workspace:ml;
workspace:ml.organization = organization:acme;
";

fn last_line(text: &str) -> &str {
    text.trim_end().lines().last().unwrap_or("")
}

fn passed_count(out: &str) -> usize {
    let last = last_line(out);
    assert!(last.ends_with(" passed, 0 failed"), "{out}");
    last.split(' ').next().unwrap().parse().unwrap()
}

#[test]
fn polc_test_runs_the_policies_own_tests() {
    let o = polc(&["test", "policies/"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(passed_count(&stdout(&o)) > 0, "{}", stdout(&o));
}

/// Each ok/ fixture is a policy of its own, so each is tested alone.
#[test]
fn polc_test_runs_the_ok_fixtures_tests() {
    let mut total = 0;
    for entry in std::fs::read_dir("tests/fixtures/ok").unwrap() {
        let path = entry.unwrap().path();
        let o = polc(&["test", path.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
        total += passed_count(&stdout(&o));
    }
    assert!(total > 0);
}

const FAILING: &str = r#"actor user;
resource doc {
  permissions view, edit;
  role viewer { grants view; }
  role editor { includes viewer; grants edit; }
}
test "viewers" {
  user:a is viewer on doc:d;
  assert can user:a edit doc:d;
  assert cannot user:a view doc:d;
}
"#;

#[test]
fn a_failing_test_exits_1_and_says_where_and_why() {
    let dir = temp_dir("failing");
    let file = write(&dir, "failing.pol", FAILING);
    let o = polc(&["test", &file]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains(&format!("{file}:9:")), "{out}");
    assert!(out.contains("expected: allow"), "{out}");
    assert!(out.contains("got:      deny"), "{out}");
    assert!(out.contains("no role grants edit on doc:d"), "{out}");
    // The wrong `assert cannot` shows how the access was derived.
    assert!(out.contains(&format!("{file}:10:")), "{out}");
    assert!(
        out.contains("user:a is viewer on doc:d -> grants view"),
        "{out}"
    );
    assert_eq!(last_line(&out), "0 passed, 1 failed");
}

#[test]
fn polc_test_json_junit_and_coverage() {
    let dir = temp_dir("formats");
    let file = write(&dir, "failing.pol", FAILING);
    let o = polc(&["test", "--format", "json", &file]);
    assert_eq!(o.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(doc["passed"], 0);
    assert_eq!(doc["failed"], 1);

    let o = polc(&["test", "--format", "junit", &file]);
    let out = stdout(&o);
    assert!(out.starts_with("<?xml"), "{out}");
    assert!(out.contains("<testsuite"), "{out}");

    // `edit` of `editor` is granted but no test exercises it.
    let o = polc(&["test", "--coverage", &file]);
    let out = stdout(&o);
    assert!(
        out.contains("grant `edit` of role `editor` on `doc` is not exercised"),
        "{out}"
    );
}

fn json_lines(out: &str) -> Vec<serde_json::Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn polc_eval_prints_one_decision_per_request() {
    let dir = temp_dir("eval");
    let data = write(&dir, "data.pol", DEEPLOY_DATA);
    let o = polc(&[
        "eval",
        "policies/deeploy/",
        "--data",
        &data,
        "--request",
        r#"{"principal": "user:alice", "action": "delete", "resource": "workspace:ml"}"#,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let lines = json_lines(&stdout(&o));
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["decision"], "allow");
    assert!(lines[0]["reasons"].is_array() && lines[0]["errors"].is_array());

    let requests = write(
        &dir,
        "requests.jsonl",
        concat!(
            r#"{"principal": "user:omar", "action": "delete", "resource": "workspace:ml"}"#,
            "\n",
            r#"{"principal": "user:omar", "action": "view", "resource": "workspace:ml"}"#,
            "\n",
            r#"{"principal": "user:alice", "action": "view", "resource": "workspace:ml", "context": {"bogus": true}}"#,
            "\n"
        ),
    );
    let o = polc(&[
        "eval",
        "policies/deeploy/",
        "--data",
        &data,
        "--requests",
        &requests,
    ]);
    // A deny is an answer, not a failure.
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let lines = json_lines(&stdout(&o));
    assert_eq!(lines.len(), 3, "{}", stdout(&o));
    assert_eq!(lines[0]["decision"], "deny");
    assert_eq!(lines[1]["decision"], "allow");
    // An undeclared context field denies the request and says why.
    assert_eq!(lines[2]["decision"], "deny");
    assert!(
        lines[2]["errors"].to_string().contains("bogus"),
        "{}",
        lines[2]
    );
}

#[test]
fn polc_eval_of_an_unknown_permission_exits_1() {
    let o = polc(&[
        "eval",
        "policies/deeploy/",
        "--request",
        r#"{"principal": "user:alice", "action": "delet", "resource": "workspace:ml"}"#,
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("E0203"), "{err}");
    assert!(err.contains("did you mean `delete`?"), "{err}");
}

#[test]
fn a_compiled_artifact_answers_like_the_sources() {
    let dir = temp_dir("compile");
    let data = write(&dir, "data.pol", DEEPLOY_DATA);
    let artifact = dir.join("policy.json").to_string_lossy().into_owned();
    let o = polc(&["compile", "policies/deeploy/", "-o", &artifact]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let request = r#"{"principal": "user:gina", "action": "view", "resource": "workspace:ml"}"#;
    for (args, what) in [
        (vec!["eval", "--data", &data, "--request", request], "eval"),
        (
            vec!["query", "--data", &data, "who can delete workspace:ml"],
            "query",
        ),
        (
            vec![
                "query",
                "--data",
                &data,
                "what can user:omar do on workspace:ml",
            ],
            "what can",
        ),
    ] {
        let run = |policy: &str| {
            let mut a = vec![args[0], policy];
            a.extend(&args[1..]);
            let o = polc(&a);
            assert_eq!(o.status.code(), Some(0), "{what}: {}", stderr(&o));
            stdout(&o)
        };
        assert_eq!(run("policies/deeploy/"), run(&artifact), "{what}");
    }
}

#[test]
fn polc_query_answers_every_form_in_human_and_json() {
    let dir = temp_dir("query");
    let data = write(&dir, "data.pol", DEEPLOY_DATA);
    let query = |q: &str, json: bool| {
        let mut args = vec!["query", "policies/deeploy/", "--data", &data];
        if json {
            args.extend(["--format", "json"]);
        }
        args.push(q);
        let o = polc(&args);
        assert_eq!(o.status.code(), Some(0), "{q}: {}", stderr(&o));
        stdout(&o)
    };
    let json = |q: &str| -> serde_json::Value { serde_json::from_str(&query(q, true)).unwrap() };

    let q = "who can delete workspace:ml";
    let out = query(q, false);
    assert!(out.starts_with("user:alice\n"), "{out}");
    assert!(
        out.contains("because user:alice is admin on organization:acme"),
        "{out}"
    );
    assert_eq!(json(q)["items"][0]["name"], "user:alice");

    let q = "can user:omar delete workspace:ml";
    assert!(query(q, false).starts_with("deny\n"));
    assert_eq!(json(q)["decision"], "deny");

    let q = "is user:alice owner on workspace:ml";
    let out = query(q, false);
    assert!(out.starts_with("yes\n"), "{out}");
    assert!(out.contains("(from admin on organization)"), "{out}");
    assert_eq!(json(q)["holds"], true);

    let q = "what can user:omar do on workspace:ml";
    let out = query(q, false);
    assert!(out.contains("create_deployments\n"), "{out}");
    assert!(!out.contains("\ndelete\n"), "{out}");
    let names: Vec<String> = json(q)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_string())
        .collect();
    assert!(
        names.contains(&"create_deployments".to_string()),
        "{names:?}"
    );

    let q = "which workspace can user:alice delete";
    assert!(query(q, false).starts_with("workspace:ml\n"));
    assert_eq!(json(q)["items"][0]["name"], "workspace:ml");
}

#[test]
fn a_query_with_a_typo_exits_1_with_a_suggestion() {
    let o = polc(&["query", "policies/deeploy/", "who can delet workspace:ml"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("did you mean `delete`?"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn check_with_data_reports_data_lints_at_the_data_file() {
    let dir = temp_dir("lints");
    // Two owners of one deployment break `max 1`.
    let data = write(
        &dir,
        "data.pol",
        "user:alice is owner on deployment:d1;\nuser:bob is owner on deployment:d1;\n",
    );
    let o = polc(&[
        "check",
        "policies/deeploy/",
        "--data",
        &data,
        "--now",
        "2026-11-25T00:00:00Z",
    ]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("polc::W0202"), "{out}");
    assert!(out.contains(&format!("{data}:2:")), "{out}");
}

#[test]
fn check_with_a_bad_fact_exits_1_and_names_the_fact() {
    let dir = temp_dir("bad-fact");
    let data = write(
        &dir,
        "data.pol",
        "workspace:ml.organization = organization:acme;\nuser:alice is admn on organization:acme;\n",
    );
    let o = polc(&["check", "policies/deeploy/", "--data", &data]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("E0202"), "{out}");
    assert!(out.contains(&format!("{data}:2:")), "{out}");
    assert!(out.contains("`admn`"), "{out}");
}

#[test]
fn debug_graph_shows_from_edges() {
    let o = polc(&["debug", "graph", "policies/deeploy/"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("from admin on organization"),
        "{}",
        stdout(&o)
    );
}

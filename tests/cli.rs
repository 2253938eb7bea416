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

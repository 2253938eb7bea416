//! `can A assign R on E to B`: through `polc query` (the binary), the library's query answer, the
//! test runner (a failing assertion names why) and the formatter.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Output};

const FIXTURE: &str = "tests/fixtures/ok/assign_questions.pol";

fn polc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("the polc binary runs")
}

fn out(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn ask(q: &str) -> Output {
    polc(&["query", FIXTURE, "--data", FIXTURE, q])
}

#[test]
fn an_allowed_assignment_names_the_permission_and_the_role_path() {
    let o = ask("can user:max assign reviewer on project:p to user:rob");
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert_eq!(
        out(&o),
        "allow\n  because user:max may `manage_members` on project:p, which assigns `reviewer`: \
         user:max is maintainer on project:p -> grants manage_members\n"
    );
}

#[test]
fn a_role_no_permission_of_the_holder_assigns_is_denied() {
    let o = polc(&[
        "query",
        FIXTURE,
        "--data",
        FIXTURE,
        "--fail-on-deny",
        "can user:max assign admin on project:p to user:rob",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", out(&o));
    let text = out(&o);
    assert!(text.starts_with("deny\n"), "{text}");
    assert!(
        text.contains(
            "`manage_admins` (assigns `admin`): no role grants manage_admins on project:p"
        ),
        "{text}"
    );
}

#[test]
fn a_forbid_on_the_assigning_permission_stops_a_self_assignment() {
    let o = ask("can user:ann assign admin on project:p to user:ann");
    let text = out(&o);
    assert!(text.starts_with("deny\n"), "{text}");
    assert!(
        text.contains("forbidden by \"Nobody hands a role to themselves.\""),
        "{text}"
    );
    // The same question about someone else is allowed.
    let o = ask("can user:ann assign admin on project:p to user:max");
    assert!(out(&o).starts_with("allow\n"), "{}", out(&o));
}

#[test]
fn a_separation_the_assignee_would_break_denies_with_the_declaration() {
    let o = ask("can user:max assign approver on project:p to user:ann");
    let text = out(&o);
    assert!(text.starts_with("deny\n"), "{text}");
    assert!(
        text.contains("but user:ann already holds `maintainer` on project:p, and `separate maintainer, approver`"),
        "{text}"
    );
}

#[test]
fn a_type_whose_permissions_assign_nothing_says_so() {
    let dir = std::env::temp_dir().join(format!("polc-assign-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("p.pol");
    std::fs::write(
        &p,
        "actor user;\nresource doc { permissions view; role owner { grants view; } }\n",
    )
    .unwrap();
    let p = p.to_string_lossy().into_owned();
    let o = polc(&[
        "query",
        &p,
        "can user:a assign owner on doc:d to user:b",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["decision"], "deny");
    assert_eq!(
        v["reasons"][0],
        "no permission of `doc` assigns `owner` (`permissions P assigns owner;` states one)"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn unknown_roles_and_non_actor_assignees_are_errors() {
    let o = ask("can user:max assign ownr on project:p to user:rob");
    assert_eq!(o.status.code(), Some(1));
    assert!(out(&o).contains("E0202"), "{}", out(&o));
    let o = ask("can user:max assign reviewer on project:p to project:p");
    assert_eq!(o.status.code(), Some(1));
    assert!(out(&o).contains("E0502"), "{}", out(&o));
}

#[test]
fn the_fixture_tests_pass_and_a_failing_assertion_explains() {
    let o = polc(&["test", FIXTURE]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let text = std::fs::read_to_string(FIXTURE).unwrap().replace(
        "assert cannot user:max assign admin on project:p to user:rob;",
        "assert can user:max assign admin on project:p to user:rob;",
    );
    let c = polc::compile_str("assign.pol", &text);
    let policy = c.policy.as_ref().expect("compiles");
    let report = polc::testing::run(policy, &c.files, &c.sources, None);
    assert_eq!(report.failed(), 1);
    let f = &report.tests[0].failures[0];
    assert_eq!((f.expected.as_str(), f.actual.as_str()), ("allow", "deny"));
    assert!(
        f.why[0].contains("`manage_admins` (assigns `admin`)"),
        "{:?}",
        f.why
    );
}

#[test]
fn the_formatter_keeps_assignment_assertions() {
    let text = std::fs::read_to_string(FIXTURE).unwrap();
    let formatted =
        polc::tools::fmt::format_source(polc::source::FileId(0), &text).expect("formats");
    assert_eq!(formatted, text, "the fixture is formatted");
    assert!(formatted.contains("assert can user:max assign reviewer on project:p to user:rob;"));
    assert!(formatted.contains("assert cannot user:max assign admin on project:p to user:rob;"));
}

//! Assignment questions in `polc eval` request lines: the action `{"name": "assign",
//! "properties": {"role": R, "assignee": B}}`, piped to the real binary, decided as `can A
//! assign R on E to B` is (the fixture `tests/fixtures/ok/assign_questions.pol`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};
use std::io::Write;
use std::process::{Command, Stdio};

const FIXTURE: &str = "tests/fixtures/ok/assign_questions.pol";

const DATA: &str = "user:ann is admin on project:p;
user:max is maintainer on project:p;
user:rob is reviewer on project:p;
";

/// Pipes `lines` to `polc eval FIXTURE --data ... --requests - ARGS`; the answers (one JSON
/// value per line), standard error and the exit status.
fn eval(name: &str, lines: &[Value], args: &[&str]) -> (Vec<Value>, String, i32) {
    let dir = std::env::temp_dir().join(format!("polc-eval-assign-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let data = dir.join("d.pol");
    std::fs::write(&data, DATA).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(["eval", FIXTURE, "--data"])
        .arg(&data)
        .args(["--requests", "-"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = String::new();
    for l in lines {
        input.push_str(&l.to_string());
        input.push('\n');
    }
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let answers = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    (
        answers,
        String::from_utf8(out.stderr).unwrap(),
        out.status.code().unwrap_or(-1),
    )
}

fn ask(id: u32, who: &str, role: &str, assignee: Value) -> Value {
    json!({
        "id": id,
        "principal": who,
        "action": {"name": "assign", "properties": {"role": role, "assignee": assignee}},
        "resource": "project:p",
    })
}

#[test]
fn assignment_questions_are_decided_with_their_reasons() {
    let (a, err, status) = eval(
        "decide",
        &[
            ask(1, "user:max", "reviewer", json!("user:rob")),
            // The AuthZEN form of the assignee; the forbid stops the self-assignment.
            ask(
                2,
                "user:max",
                "approver",
                json!({"type": "user", "id": "max"}),
            ),
            // Maintainers do not hand out admin.
            ask(3, "user:max", "admin", json!("user:rob")),
            // `separate maintainer, approver`: ann is a maintainer through admin.
            ask(4, "user:max", "approver", json!("user:ann")),
            ask(5, "user:ann", "admin", json!("user:max")),
        ],
        &["--explain"],
    );
    assert_eq!(status, 0, "{err}");
    let decisions: Vec<(&Value, &str)> = a
        .iter()
        .map(|v| (&v["id"], v["decision"].as_str().unwrap()))
        .collect();
    assert_eq!(
        decisions,
        [
            (&json!(1), "allow"),
            (&json!(2), "deny"),
            (&json!(3), "deny"),
            (&json!(4), "deny"),
            (&json!(5), "allow"),
        ]
    );
    assert_eq!(
        a[0]["reasons"],
        json!([
            "user:max may `manage_members` on project:p, which assigns `reviewer`: user:max is maintainer on project:p -> grants manage_members"
        ])
    );
    let r2 = a[1]["reasons"][0].as_str().unwrap();
    assert!(
        r2.starts_with("`manage_members` (assigns `approver`): forbidden by"),
        "{r2}"
    );
    assert_eq!(
        a[2]["reasons"],
        json!(["`manage_admins` (assigns `admin`): no role grants manage_admins on project:p"])
    );
    let r4 = a[3]["reasons"][1].as_str().unwrap();
    assert!(
        r4.starts_with("but user:ann already holds `maintainer` on project:p, and `separate maintainer, approver`"),
        "{r4}"
    );
    // Without --explain: the same decisions, no reasons.
    let (plain, _, _) = eval(
        "plain",
        &[ask(1, "user:max", "reviewer", json!("user:rob"))],
        &[],
    );
    assert_eq!(
        plain,
        [json!({"id": 1, "decision": "allow", "reasons": [], "errors": []})]
    );
}

#[test]
fn a_permission_named_assign_is_still_a_permission() {
    let line = |who: &str| json!({"principal": who, "action": "assign", "resource": "project:p"});
    let (a, err, status) = eval(
        "permission",
        &[
            line("user:max"),
            line("user:rob"),
            json!({"principal": "user:max", "action": {"name": "assign"}, "resource": "project:p"}),
        ],
        &[],
    );
    assert_eq!(status, 0, "{err}");
    let d: Vec<&str> = a.iter().map(|v| v["decision"].as_str().unwrap()).collect();
    assert_eq!(d, ["allow", "deny", "allow"]);
}

#[test]
fn bad_assignment_questions_are_diagnostics_and_denies() {
    let (a, err, status) = eval(
        "bad",
        &[
            ask(1, "user:max", "reviewr", json!("user:rob")),
            json!({"id": 2, "principal": "user:max", "action": {"name": "assign", "properties": {"assignee": "user:rob"}}, "resource": "project:p"}),
            ask(3, "user:max", "reviewer", json!("project:p")),
            ask(4, "user:max", "reviewer", json!(7)),
            // An undeclared context field denies the question, as it denies any request.
            {
                let mut q = ask(5, "user:max", "reviewer", json!("user:rob"));
                q["context"] = json!({"bogus": true});
                q
            },
            ask(6, "user:max", "reviewer", json!("user:rob")),
        ],
        &[],
    );
    assert_eq!(status, 1, "a malformed request fails the run");
    assert_eq!(a.len(), 6);
    let errors: Vec<String> = a[..5]
        .iter()
        .map(|v| {
            assert_eq!(v["decision"], "deny", "{v}");
            v["errors"][0].as_str().unwrap_or("").to_string()
        })
        .collect();
    assert_eq!(errors[0], "polc::E0202: `project` has no role `reviewr`");
    assert_eq!(
        errors[1],
        "polc::E0501: malformed request JSON: `action.properties.role` is missing: name the role to assign"
    );
    assert_eq!(errors[2], "polc::E0502: `project` is not an actor type");
    assert!(
        errors[3].starts_with(
            "polc::E0501: malformed request JSON: `action.properties.assignee` must be an actor"
        ),
        "{}",
        errors[3]
    );
    assert_eq!(errors[4], "undeclared context field `bogus`");
    // The next line is decided as usual.
    assert_eq!(a[5]["decision"], "allow");
    // The unknown role is reported with the nearest name.
    assert!(err.contains("did you mean `reviewer`?"), "{err}");
}

#[test]
fn other_action_properties_are_checked_like_any_request() {
    // The fixture declares no action properties: `polc eval` refuses an unknown one (E0406).
    let mut q = ask(1, "user:max", "reviewer", json!("user:rob"));
    q["action"]["properties"]["reason"] = json!("onboarding");
    let (a, err, status) = eval("props", &[q], &[]);
    assert_eq!(status, 1);
    let e = a[0]["errors"][0].as_str().unwrap();
    assert!(
        e.starts_with("polc::E0406: `action.properties.reason`"),
        "{e}"
    );
    assert!(err.contains("E0406"), "{err}");
}

//! `polc audit blast-radius ACTOR`: what one actor's credentials could do and grant, including
//! through the assignments it can make to itself, run as a user runs it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Output};

const FIXTURE: &str = "tests/fixtures/audit/blast.pol";

fn polc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("the polc binary runs")
}

fn blast(actor: &str, format: &str) -> Output {
    polc(&[
        "audit",
        "blast-radius",
        actor,
        FIXTURE,
        "--data",
        FIXTURE,
        "--now",
        "2026-11-23T10:00:00Z",
        "--format",
        format,
    ])
}

fn json(actor: &str) -> serde_json::Value {
    let o = blast(actor, "json");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("json")
}

#[test]
fn a_helpdesk_account_reaches_ownership_through_a_chain_of_self_assignments() {
    let v = json("user:hal");
    assert_eq!(v["known"], true);
    assert_eq!(v["holds"], serde_json::json!(["helpdesk on workspace:ml"]));
    assert_eq!(
        v["can_do"],
        serde_json::json!([{"resource": "workspace:ml", "permissions": ["support", "view"]}])
    );
    let grants = v["can_grant"].as_array().unwrap();
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0]["role"], "operator");
    assert_eq!(grants[0]["via"], "support");
    assert_eq!(grants[0]["to_self"], true);
    // operator first (through `support`), then owner (through operator's `manage_members`).
    assert_eq!(
        v["self_assignments"],
        serde_json::json!(["operator on workspace:ml", "owner on workspace:ml"])
    );
    // The gain crosses to the runs of the workspace through `from owner on workspace`.
    assert_eq!(
        v["gained"],
        serde_json::json!([
            {"resource": "workspace:ml", "permissions": ["delete", "deploy", "manage_members"]},
            {"resource": "run:r1", "permissions": ["cancel", "read"]}
        ])
    );
    let esc: Vec<&str> = v["escalation"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert!(esc[0].starts_with("W0701: `helpdesk` on `workspace` -> `support` assigns `operator`"));
    assert!(esc[1].starts_with("W0702: "));
}

#[test]
fn a_forbid_on_self_assignment_limits_the_radius_to_what_it_can_grant_others() {
    let v = json("user:ada");
    assert_eq!(v["can_grant"][0]["role"], "admin");
    assert_eq!(v["can_grant"][0]["to_self"], false);
    assert_eq!(v["self_assignments"], serde_json::json!([]));
    assert_eq!(v["gained"], serde_json::json!([]));
}

#[test]
fn the_human_report_names_each_part() {
    let o = blast("user:hal", "human");
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        text.starts_with("blast radius of user:hal at 2026-11-23T10:00:00Z\n"),
        "{text}"
    );
    assert!(
        text.contains("can do (2 actions on 1 resource):\n  workspace:ml: support, view\n"),
        "{text}"
    );
    assert!(text.contains(
        "  operator on workspace:ml (through `support`; also to itself) -> gives deploy, manage_members, support, view\n"
    ), "{text}");
    assert!(text.contains(
        "through its own assignments (2): operator on workspace:ml, owner on workspace:ml\n  + workspace:ml: delete, deploy, manage_members\n  + run:r1: cancel, read\n"
    ), "{text}");
    assert!(
        text.ends_with("blast radius: 2 actions, 7 after self-assignment, 1 role it can grant\n"),
        "{text}"
    );
}

#[test]
fn an_actor_the_data_does_not_name_reaches_nothing_and_says_so() {
    let v = json("user:nobody");
    assert_eq!(v["known"], false);
    assert_eq!(v["can_do"], serde_json::json!([]));
    let o = blast("user:nobody", "human");
    assert!(String::from_utf8_lossy(&o.stdout).contains("the data does not name user:nobody"));
}

#[test]
fn a_resource_or_a_malformed_actor_is_an_error() {
    let o = blast("workspace:ml", "human");
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("E0502"));
    let o = blast("hal", "human");
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("E0401"));
    let o = blast("usr:hal", "human");
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("E0201"));
}

/// An actor type with permissions is a resource too: what an actor can do on other actors
/// (reading their profiles) is part of its radius.
#[test]
fn what_an_actor_can_do_on_other_actors_is_in_its_radius() {
    let o = polc(&[
        "audit",
        "blast-radius",
        "user:alice",
        "tests/fixtures/diff/actor_as_resource/new.pol",
        "--data",
        "tests/fixtures/diff/actor_as_resource/data.json",
        "--format",
        "json",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("user:bob") && text.contains("read_profile") && text.contains("team:core"),
        "{text}"
    );
}

//! The AuthZEN interop Todo scenario (openid/authzen, `interop/authzen-todo-backend`: its
//! decisions for the Authorization API 1.0, `test/decisions-1.0-implementers-draft.json`) against
//! the real server on `examples/authzen-todo/`: every one of the 40 single evaluations (five
//! users, eight requests each), the same as one `/evaluations` batch per user, and a subject
//! search that follows from the roles.

#![cfg(feature = "serve")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common_serve;

use common_serve::{Server, start};
use polc::serve::{Limits, Sources};
use serde_json::{Value, json};
use std::path::PathBuf;

async fn todo_server() -> Server {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/authzen-todo");
    let sources = Sources {
        policy: vec![dir.join("policy.pol")],
        data: Some(dir.join("data.pol")),
    };
    start(sources, Limits::default(), |_| {}).await
}

/// The cast: the identity the IdP gives (the request's subject id), the email, and what the
/// scenario expects of the role: create, change another's todo, change one's own.
const CAST: [(&str, &str, bool, bool, bool); 5] = [
    (
        "CiRmZDA2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs",
        "rick@the-citadel.com",
        true,
        true,
        true,
    ),
    (
        "CiRmZDE2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs",
        "morty@the-citadel.com",
        true,
        false,
        true,
    ),
    (
        "CiRmZDI2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs",
        "summer@the-smiths.com",
        true,
        false,
        true,
    ),
    (
        "CiRmZDM2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs",
        "beth@the-smiths.com",
        false,
        false,
        false,
    ),
    (
        "CiRmZDQ2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs",
        "jerry@the-smiths.com",
        false,
        false,
        false,
    ),
];

const TODO: &str = "7240d0db-8ff0-41ec-98b2-34a096273b9f";

/// The scenario's eight requests for one user, with the expected decisions, as the interop's
/// decision file writes them.
fn cases(pid: &str, email: &str, create: bool, others: bool, own: bool) -> Vec<(Value, bool)> {
    let subject = json!({"type": "user", "id": pid});
    let other_owner = if email == "rick@the-citadel.com" {
        "morty@the-citadel.com"
    } else {
        "rick@the-citadel.com"
    };
    let todo = |owner: &str| json!({"type": "todo", "id": TODO, "properties": {"ownerID": owner}});
    let req = |action: &str, resource: Value| json!({"subject": subject, "action": {"name": action}, "resource": resource});
    vec![
        (
            req(
                "can_read_user",
                json!({"type": "user", "id": "beth@the-smiths.com"}),
            ),
            true,
        ),
        (
            req("can_read_user", json!({"type": "user", "id": email})),
            true,
        ),
        (
            req("can_read_todos", json!({"type": "todo", "id": "todo-1"})),
            true,
        ),
        (
            req("can_create_todo", json!({"type": "todo", "id": "todo-1"})),
            create,
        ),
        (req("can_update_todo", todo(other_owner)), others),
        (req("can_update_todo", todo(email)), own),
        (req("can_delete_todo", todo(other_owner)), others),
        (req("can_delete_todo", todo(email)), own),
    ]
}

#[tokio::test]
async fn every_decision_of_the_todo_scenario() {
    let s = todo_server().await;
    let mut run = 0;
    for (pid, email, create, others, own) in CAST {
        let cases = cases(pid, email, create, others, own);
        for (request, expected) in &cases {
            let (st, v) = s.post("/access/v1/evaluation", request.clone()).await;
            assert_eq!(st, 200, "{request}: {v}");
            assert_eq!(v["decision"], *expected, "{request}: {v}");
            run += 1;
        }
        // The same eight as one batch: the subject as the top-level default.
        let items: Vec<Value> = cases
            .iter()
            .map(|(r, _)| json!({"action": r["action"], "resource": r["resource"]}))
            .collect();
        let (st, v) = s
            .post(
                "/access/v1/evaluations",
                json!({"subject": {"type": "user", "id": pid}, "evaluations": items}),
            )
            .await;
        assert_eq!(st, 200, "{v}");
        let got: Vec<&Value> = v["evaluations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| &e["decision"])
            .collect();
        let want: Vec<Value> = cases.iter().map(|(_, e)| json!(e)).collect();
        assert_eq!(got, want.iter().collect::<Vec<_>>(), "{pid}");
    }
    assert_eq!(run, 40);
}

#[tokio::test]
async fn who_may_create_todos_is_the_admins_and_editors() {
    let s = todo_server().await;
    let (st, v) = s
        .post(
            "/access/v1/search/subject",
            json!({"subject": {"type": "user"}, "action": {"name": "can_create_todo"}, "resource": {"type": "todo", "id": "todo-1"}}),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    let mut ids: Vec<&str> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    let mut want = vec![CAST[0].0, CAST[1].0, CAST[2].0];
    want.sort_unstable();
    assert_eq!(ids, want, "{v}");
}

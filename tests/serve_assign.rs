//! Assignment questions through `polc serve`: an AuthZEN evaluation whose action is
//! `{"name": "assign", "properties": {"role": R, "assignee": {"type": T, "id": I}}}`, asked over
//! HTTP by a real client of the real server on 127.0.0.1 (port 0), decided as `can A assign R
//! on E to B` is (the fixture `tests/fixtures/ok/assign_questions.pol`).

#![cfg(feature = "serve")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common_serve;

use common_serve::{Server, start};
use polc::serve::{Limits, Sources};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

const DATA: &str = "user:ann is admin on project:p;
user:max is maintainer on project:p;
user:rob is reviewer on project:p;
";

#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Log {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn server(name: &str, log: Option<Log>) -> Server {
    let dir = std::env::temp_dir().join(format!("polc-serve-assign-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("d.pol"), DATA).unwrap();
    let sources = Sources {
        policy: vec![
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/ok/assign_questions.pol"),
        ],
        data: Some(dir.join("d.pol")),
    };
    start(sources, Limits::default(), move |sh| {
        if let Some(l) = log {
            sh.decision_log = Some(Mutex::new(Box::new(l)));
        }
    })
    .await
}

fn ask(who: &str, role: &str, assignee: Value) -> Value {
    json!({
        "subject": {"type": "user", "id": who},
        "action": {"name": "assign", "properties": {"role": role, "assignee": assignee}},
        "resource": {"type": "project", "id": "p"},
    })
}

fn user(id: &str) -> Value {
    json!({"type": "user", "id": id})
}

#[tokio::test]
async fn assignment_questions_are_evaluations() {
    let s = server("decide", None).await;
    let cases = [
        (ask("max", "reviewer", user("rob")), true),
        // The forbid on `manage_members` stops a self-assignment.
        (ask("max", "approver", user("max")), false),
        // Maintainers do not hand out admin; admins do.
        (ask("max", "admin", user("rob")), false),
        (ask("ann", "admin", user("max")), true),
        // `separate maintainer, approver`.
        (ask("max", "approver", user("ann")), false),
        // The `"type:id"` text is read too.
        (ask("max", "reviewer", json!("user:rob")), true),
    ];
    for (body, want) in cases {
        let (status, v) = s.post("/access/v1/evaluation", body.clone()).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v, json!({"decision": want}), "{body}");
    }
    // A permission named `assign` is still a permission (no `assignee` property).
    let plain = json!({
        "subject": user("max"),
        "action": {"name": "assign"},
        "resource": {"type": "project", "id": "p"},
    });
    let (_, v) = s.post("/access/v1/evaluation", plain).await;
    assert_eq!(v, json!({"decision": true}));
}

#[tokio::test]
async fn reasons_come_in_the_context_and_the_log_names_the_assignment() {
    let log = Log::default();
    let s = server("explain", Some(log.clone())).await;
    let mut body = ask("max", "approver", user("ann"));
    body["options"] = json!({"explain": true});
    let (status, v) = s.post("/access/v1/evaluation", body).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["decision"], false);
    let reasons = v["context"]["reasons"].as_array().unwrap();
    assert_eq!(
        reasons[0],
        "user:max may `manage_members` on project:p, which assigns `approver`: user:max is maintainer on project:p -> grants manage_members"
    );
    assert!(
        reasons[1]
            .as_str()
            .unwrap()
            .starts_with("but user:ann already holds `maintainer` on project:p"),
        "{v}"
    );
    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    let line: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(line["action"], "assign");
    assert_eq!(line["role"], "approver");
    assert_eq!(line["assignee"], "user:ann");
    assert_eq!(line["subject"], "user:max");
    assert_eq!(line["decision"], false);
}

#[tokio::test]
async fn bad_assignment_questions_fail_closed_with_the_diagnostic() {
    let s = server("bad", None).await;
    // An unknown role: a deny of something that does not exist, with the nearest name.
    let (status, v) = s
        .post("/access/v1/evaluation", ask("max", "reviewr", user("rob")))
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["decision"], false);
    assert_eq!(v["context"]["error"]["code"], "E0202");
    assert_eq!(v["context"]["error"]["status"], 404);
    assert_eq!(v["context"]["error"]["help"], "did you mean `reviewer`?");
    // A resource as the assignee.
    let (_, v) = s
        .post(
            "/access/v1/evaluation",
            ask("max", "reviewer", json!({"type": "project", "id": "p"})),
        )
        .await;
    assert_eq!(v["decision"], false);
    assert_eq!(v["context"]["error"]["code"], "E0502");
    // No role: the caller's mistake, 400.
    let body = json!({
        "subject": user("max"),
        "action": {"name": "assign", "properties": {"assignee": user("rob")}},
        "resource": {"type": "project", "id": "p"},
    });
    let (status, v) = s.post("/access/v1/evaluation", body).await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["error"]["code"], "E0501");
    // Unknown action properties are ignored, as AuthZEN asks.
    let mut body = ask("max", "reviewer", user("rob"));
    body["action"]["properties"]["ticket"] = json!("CHG-1");
    let (_, v) = s.post("/access/v1/evaluation", body).await;
    assert_eq!(v, json!({"decision": true}));
}

#[tokio::test]
async fn batches_ask_assignment_questions_item_by_item() {
    let s = server("batch", None).await;
    let body = json!({
        "subject": user("max"),
        "resource": {"type": "project", "id": "p"},
        "evaluations": [
            {"action": {"name": "assign", "properties": {"role": "reviewer", "assignee": user("rob")}}},
            {"action": {"name": "assign", "properties": {"role": "admin", "assignee": user("rob")}}},
            {"action": {"name": "view"}},
            {"action": {"name": "assign", "properties": {"role": "nobody", "assignee": user("rob")}}},
        ],
    });
    let (status, v) = s.post("/access/v1/evaluations", body).await;
    assert_eq!(status, 200, "{v}");
    let d: Vec<&Value> = v["evaluations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["decision"])
        .collect();
    assert_eq!(
        d,
        [&json!(true), &json!(false), &json!(true), &json!(false)]
    );
    assert_eq!(v["evaluations"][3]["context"]["error"]["code"], "E0202");
}

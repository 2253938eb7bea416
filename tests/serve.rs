//! `polc serve` against the AuthZEN certification scenario: the real server on 127.0.0.1, port
//! 0, with the fixture of `examples/authzen/`, asked over HTTP by a real client.

#![cfg(feature = "serve")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common_serve;

use common_serve::{Server, fixture};
use serde_json::{Value, json};

async fn decision(s: &Server, body: Value) -> bool {
    let (status, v) = s.post("/access/v1/evaluation", body).await;
    assert_eq!(status, 200, "{v}");
    v["decision"]
        .as_bool()
        .unwrap_or_else(|| panic!("no boolean decision in {v}"))
}

fn req(subject: &str, action: &str, resource: &str) -> Value {
    json!({
        "subject": {"type": "user", "id": subject},
        "action": {"name": action},
        "resource": {"type": "record", "id": resource},
    })
}

#[tokio::test]
async fn the_fixture_decisions_that_identifiers_decide() {
    let s = fixture().await;
    assert!(decision(&s, req("alice", "read", "record-1")).await);
    assert!(decision(&s, req("alice", "write", "record-1")).await);
    assert!(decision(&s, req("bob", "read", "record-1")).await);
    assert!(!decision(&s, req("bob", "write", "record-1")).await);
    // Rules 5 to 8, with the properties the harness sends.
    let mut r5 = req("alice", "write", "record-2");
    r5["resource"]["properties"] = json!({"status": "archived"});
    assert!(!decision(&s, r5).await);
    let mut r6 = req("bob", "write", "record-2");
    r6["subject"]["properties"] = json!({"role": "admin"});
    r6["resource"]["properties"] = json!({"status": "archived"});
    assert!(decision(&s, r6).await);
    let mut r7 = req("alice", "delete", "record-1");
    r7["action"]["properties"] = json!({"soft": true});
    assert!(decision(&s, r7).await);
    let mut r8 = req("alice", "delete", "record-1");
    r8["action"]["properties"] = json!({"soft": false});
    assert!(!decision(&s, r8).await);
    // Idempotency.
    for _ in 0..5 {
        assert!(decision(&s, req("alice", "read", "record-1")).await);
    }
}

#[tokio::test]
async fn context_additional_properties_and_unknown_fields_are_accepted() {
    let s = fixture().await;
    let mut r = req("alice", "read", "record-1");
    r["context"] = json!({"time": "2025-06-27T18:03-07:00", "ip": "192.168.1.1"});
    assert!(decision(&s, r).await);
    let r = json!({
        "subject": {"type": "user", "id": "alice", "properties": {"department": "Sales", "role": "manager"}},
        "action": {"name": "read", "properties": {"method": "GET"}},
        "resource": {"type": "record", "id": "record-1", "properties": {"status": "active", "owner": "bob"}},
    });
    assert!(decision(&s, r).await);
    let mut r = req("alice", "read", "record-1");
    r["foo"] = json!("bar");
    r["futureField"] = json!({"nested": true});
    assert!(decision(&s, r).await);
}

/// Scenario 2-2-6 and 2-2-7 (rules 7 and 8): the action's `properties.soft` decides a delete,
/// read against the policy's `action { soft?: bool; }`; in batches per item, in searches too.
#[tokio::test]
async fn action_properties_decide_soft_deletes() {
    let s = fixture().await;
    let delete = |soft: Option<Value>| {
        let mut r = req("alice", "delete", "record-1");
        if let Some(v) = soft {
            r["action"]["properties"] = json!({"soft": v});
        }
        r
    };
    // 2-2-6: permit based on action properties.
    let (status, v) = s
        .post("/access/v1/evaluation", delete(Some(json!(true))))
        .await;
    assert_eq!((status, v), (200, json!({"decision": true})));
    // 2-2-7: deny based on action properties.
    let (status, v) = s
        .post("/access/v1/evaluation", delete(Some(json!(false))))
        .await;
    assert_eq!((status, v), (200, json!({"decision": false})));
    // No `soft`: a hard delete, refused; an undeclared property beside it is ignored.
    assert!(!decision(&s, delete(None)).await);
    let mut r = delete(Some(json!(true)));
    r["action"]["properties"]["method"] = json!("DELETE");
    assert!(decision(&s, r).await);
    // Bob holds no role that grants delete, soft or not.
    let mut r = delete(Some(json!(true)));
    r["subject"]["id"] = json!("bob");
    assert!(!decision(&s, r).await);
    // A declared property of the wrong type is the caller's mistake.
    let (status, v) = s
        .post("/access/v1/evaluation", delete(Some(json!("yes"))))
        .await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["error"]["code"], "E0401", "{v}");
    // Per item in a batch, and from the batch's default action.
    let v = batch(&s, json!({
        "subject": {"type": "user", "id": "alice"}, "resource": {"type": "record", "id": "record-1"},
        "action": {"name": "delete", "properties": {"soft": true}},
        "evaluations": [
            {},
            {"action": {"name": "delete", "properties": {"soft": false}}},
            {"action": {"name": "delete"}},
            {"action": {"name": "read"}},
        ],
    })).await;
    assert_eq!(decisions(&v), [true, false, false, true]);
    // A subject search with the action's properties.
    let (_, v) = s.post("/access/v1/search/subject", json!({
        "subject": {"type": "user"}, "action": {"name": "delete", "properties": {"soft": true}},
        "resource": {"type": "record", "id": "record-1"},
    })).await;
    assert_eq!(ids(&v, "id"), ["alice"]);
    let (_, v) = s
        .post(
            "/access/v1/search/subject",
            json!({
                "subject": {"type": "user"}, "action": {"name": "delete"},
                "resource": {"type": "record", "id": "record-1"},
            }),
        )
        .await;
    assert_eq!(ids(&v, "id"), Vec::<String>::new());
    let (_, v) = s.post("/access/v1/search/resource", json!({
        "subject": {"type": "user", "id": "alice"}, "action": {"name": "delete", "properties": {"soft": true}},
        "resource": {"type": "record"},
    })).await;
    assert_eq!(ids(&v, "id"), ["record-1", "record-2"]);
}

#[tokio::test]
async fn malformed_requests_are_400_with_a_json_error() {
    let s = fixture().await;
    let bad = [
        json!({"action": {"name": "read"}, "resource": {"type": "record", "id": "record-1"}}),
        json!({"subject": {"type": "user", "id": "alice"}, "resource": {"type": "record", "id": "record-1"}}),
        json!({"subject": {"type": "user", "id": "alice"}, "action": {"name": "read"}}),
        json!({"subject": {"id": "alice"}, "action": {"name": "read"}, "resource": {"type": "record", "id": "record-1"}}),
        json!({"subject": {"type": "user"}, "action": {"name": "read"}, "resource": {"type": "record", "id": "record-1"}}),
        json!({"subject": {"type": "user", "id": "alice"}, "action": {}, "resource": {"type": "record", "id": "record-1"}}),
        json!({"subject": {"type": "user", "id": "alice"}, "action": {"name": "read"}, "resource": {"id": "record-1"}}),
        json!({"subject": {"type": "user", "id": "alice"}, "action": {"name": "read"}, "resource": {"type": "record"}}),
        json!({"subject": "alice", "action": {"name": "read"}, "resource": {"type": "record", "id": "record-1"}}),
        json!({"subject": {"type": "user", "id": "alice"}, "action": {"name": 123}, "resource": {"type": "record", "id": "record-1"}}),
    ];
    for b in bad {
        let (status, v) = s.post("/access/v1/evaluation", b.clone()).await;
        assert_eq!(status, 400, "{b} gave {v}");
        assert!(v["error"]["message"].is_string(), "{v}");
    }
    for (ct, body) in [
        (
            "text/plain",
            r#"{"subject": {"type": "user", "id": "alice"}}"#,
        ),
        ("application/json", "{not json"),
        ("application/json", ""),
        ("application/json", "[1, 2]"),
    ] {
        let (status, v) = s.raw("/access/v1/evaluation", ct, body.into()).await;
        assert_eq!(status, 400, "{ct} {body:?} gave {v}");
        assert!(v["error"]["message"].is_string());
    }
}

#[tokio::test]
async fn names_the_policy_does_not_know_are_a_deny_with_the_error() {
    let s = fixture().await;
    let (status, v) = s
        .post(
            "/access/v1/evaluation",
            json!({"subject": {"type": "spaceship", "id": "x"}, "action": {"name": "read"}, "resource": {"type": "record", "id": "record-1"}}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(v["decision"], false);
    assert_eq!(v["context"]["error"]["code"], "E0201", "{v}");
    let (_, v) = s
        .post("/access/v1/evaluation", req("alice", "fly", "record-1"))
        .await;
    assert_eq!(v["decision"], false);
    assert_eq!(v["context"]["error"]["code"], "E0203", "{v}");
}

#[tokio::test]
async fn reasons_come_in_the_context_when_asked() {
    let s = fixture().await;
    let mut r = req("alice", "write", "record-1");
    r["options"] = json!({"explain": true});
    let (_, v) = s.post("/access/v1/evaluation", r).await;
    assert_eq!(v["decision"], true);
    let reasons = v["context"]["reasons"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(reasons.len(), 1, "{v}");
    assert!(reasons[0].as_str().unwrap_or("").contains("editor"), "{v}");
    let (_, v) = s
        .post("/access/v1/evaluation", req("alice", "write", "record-1"))
        .await;
    assert_eq!(v, json!({"decision": true}));
}

#[tokio::test]
async fn x_request_id_is_echoed() {
    let s = fixture().await;
    let r = s
        .client
        .post(s.url("/access/v1/evaluation"))
        .header("x-request-id", "bfe9eb29-ab87")
        .json(&req("alice", "read", "record-1"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.headers()["x-request-id"], "bfe9eb29-ab87");
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("application/json")
    );
    // Errors echo it too.
    let r = s
        .client
        .post(s.url("/access/v1/evaluation"))
        .header("x-request-id", "r2")
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["x-request-id"], "r2");
}

async fn batch(s: &Server, body: Value) -> Vec<Value> {
    let (status, v) = s.post("/access/v1/evaluations", body).await;
    assert_eq!(status, 200, "{v}");
    v["evaluations"].as_array().cloned().unwrap_or_default()
}

fn decisions(items: &[Value]) -> Vec<bool> {
    items
        .iter()
        .map(|i| i["decision"].as_bool().unwrap_or_else(|| panic!("{i}")))
        .collect()
}

#[tokio::test]
async fn batches_merge_defaults_and_keep_order() {
    let s = fixture().await;
    let v = batch(&s, json!({
        "subject": {"type": "user", "id": "alice"}, "action": {"name": "read"},
        "evaluations": [{"resource": {"type": "record", "id": "record-1"}}, {"resource": {"type": "record", "id": "record-2"}}],
    })).await;
    assert_eq!(v.len(), 2);
    let v = batch(&s, json!({
        "subject": {"type": "user", "id": "bob"}, "resource": {"type": "record", "id": "record-1"},
        "evaluations": [{"action": {"name": "read"}}, {"action": {"name": "write"}}],
    })).await;
    assert_eq!(decisions(&v), [true, false]);
    let v = batch(&s, json!({
        "subject": {"type": "user", "id": "alice"}, "action": {"name": "write"},
        "evaluations": [
            {"resource": {"type": "record", "id": "record-1", "properties": {"status": "active"}}},
            {"resource": {"type": "record", "id": "record-2", "properties": {"status": "archived"}}},
        ],
    })).await;
    assert_eq!(decisions(&v), [true, false]);
    let v = batch(&s, json!({
        "action": {"name": "write"}, "resource": {"type": "record", "id": "record-2", "properties": {"status": "archived"}},
        "evaluations": [
            {"subject": {"type": "user", "id": "alice"}},
            {"subject": {"type": "user", "id": "bob", "properties": {"role": "admin"}}},
        ],
    })).await;
    assert_eq!(decisions(&v), [false, true]);
    let v = batch(
        &s,
        json!({"evaluations": [req("alice", "read", "record-1"), req("bob", "write", "record-1")]}),
    )
    .await;
    assert_eq!(decisions(&v), [true, false]);
    let v = batch(&s, json!({
        "subject": {"type": "user", "id": "alice"}, "action": {"name": "read"},
        "context": {"time": "2025-06-27T18:03-07:00"},
        "evaluations": [
            {"resource": {"type": "record", "id": "record-1"}},
            {"resource": {"type": "record", "id": "record-2"}, "context": {"time": "2025-06-27T19:00-07:00", "source": "batch-override"}},
        ],
    })).await;
    assert_eq!(v.len(), 2);
    // Entity-level replacement, with `type` taken from the default.
    let v = batch(&s, json!({
        "subject": {"type": "user", "id": "alice"}, "action": {"name": "write"}, "resource": {"type": "record"},
        "evaluations": [
            {"resource": {"id": "record-1", "properties": {"status": "active"}}},
            {"resource": {"type": "record", "id": "record-2", "properties": {"status": "archived"}}},
        ],
    })).await;
    assert_eq!(decisions(&v), [true, false]);
}

#[tokio::test]
async fn a_bad_item_is_a_deny_of_that_item_only() {
    let s = fixture().await;
    let v = batch(
        &s,
        json!({
            "subject": {"type": "user", "id": "alice"}, "action": {"name": "read"},
            "evaluations": [{"resource": {"type": "record", "id": "record-1"}}, {}, 7],
        }),
    )
    .await;
    assert_eq!(decisions(&v), [true, false, false]);
    assert_eq!(v[1]["context"]["error"]["status"], 400, "{}", v[1]);
}

#[tokio::test]
async fn batches_without_evaluations_are_single_evaluations() {
    let s = fixture().await;
    let (status, v) = s
        .post("/access/v1/evaluations", req("alice", "read", "record-1"))
        .await;
    assert_eq!((status, v), (200, json!({"decision": true})));
    let mut r = req("alice", "read", "record-1");
    r["evaluations"] = json!([]);
    let (status, v) = s.post("/access/v1/evaluations", r).await;
    assert_eq!((status, v), (200, json!({"decision": true})));
    let (status, _) = s
        .post("/access/v1/evaluations", json!({"evaluations": []}))
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn evaluation_semantics_stop_where_they_say() {
    let s = fixture().await;
    let items = json!([
        {"resource": {"type": "record", "id": "record-1"}, "action": {"name": "read"}},
        {"resource": {"type": "record", "id": "record-1"}, "action": {"name": "write"}},
        {"resource": {"type": "record", "id": "record-2"}, "action": {"name": "read"}},
    ]);
    let body = |sem: &str| json!({"subject": {"type": "user", "id": "bob"}, "options": {"evaluations_semantic": sem}, "evaluations": items});
    assert_eq!(
        decisions(&batch(&s, body("execute_all")).await),
        [true, false, true]
    );
    assert_eq!(
        decisions(&batch(&s, body("deny_on_first_deny")).await),
        [true, false]
    );
    assert_eq!(
        decisions(&batch(&s, body("permit_on_first_permit")).await),
        [true]
    );
    let (status, _) = s.post("/access/v1/evaluations", body("some_of_them")).await;
    assert_eq!(status, 400);
}

fn ids(v: &Value, key: &str) -> Vec<String> {
    v["results"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|r| r[key].as_str().unwrap_or("").to_string())
        .collect()
}

#[tokio::test]
async fn searches_answer_the_fixture() {
    let s = fixture().await;
    let (st, v) = s.post("/access/v1/search/subject", json!({
        "subject": {"type": "user"}, "action": {"name": "read"}, "resource": {"type": "record", "id": "record-1"},
        "context": {"time": "2025-06-27T18:03-07:00"},
    })).await;
    assert_eq!(st, 200);
    assert_eq!(ids(&v, "id"), ["alice", "bob"]);
    assert!(
        v["results"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|r| r["type"] == "user")
    );
    assert_eq!(v["page"]["next_token"], "");
    let (_, v) = s.post("/access/v1/search/subject", json!({
        "subject": {"type": "user"}, "action": {"name": "write"},
        "resource": {"type": "record", "id": "record-2", "properties": {"status": "archived"}},
    })).await;
    assert_eq!(ids(&v, "id"), ["bob"]);
    let (_, v) = s.post("/access/v1/search/resource", json!({
        "subject": {"type": "user", "id": "alice"}, "action": {"name": "read"}, "resource": {"type": "record"},
    })).await;
    assert_eq!(ids(&v, "id"), ["record-1", "record-2"]);
    let (_, v) = s.post("/access/v1/search/resource", json!({
        "subject": {"type": "user", "id": "bob", "properties": {"role": "admin"}}, "action": {"name": "write"}, "resource": {"type": "record"},
    })).await;
    assert_eq!(ids(&v, "id"), ["record-2"]);
    let (_, v) = s.post("/access/v1/search/action", json!({
        "subject": {"type": "user", "id": "alice"}, "resource": {"type": "record", "id": "record-1"}, "context": {},
    })).await;
    assert_eq!(ids(&v, "name"), ["read", "write"]);
    let (_, v) = s.post("/access/v1/search/action", json!({
        "subject": {"type": "user", "id": "bob", "properties": {"role": "admin"}},
        "resource": {"type": "record", "id": "record-2", "properties": {"status": "archived"}},
    })).await;
    assert_eq!(ids(&v, "name"), ["read", "write"]);
}

#[tokio::test]
async fn searches_page_with_opaque_tokens() {
    let s = fixture().await;
    let q = json!({"subject": {"type": "user"}, "action": {"name": "read"}, "resource": {"type": "record", "id": "record-1"}, "page": {"limit": 1}});
    let (_, first) = s.post("/access/v1/search/subject", q.clone()).await;
    assert_eq!(ids(&first, "id"), ["alice"]);
    let token = first["page"]["next_token"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(!token.is_empty());
    let mut q2 = q.clone();
    q2["page"] = json!({"token": token});
    let (_, second) = s.post("/access/v1/search/subject", q2).await;
    assert_eq!(ids(&second, "id"), ["bob"]);
    assert_eq!(second["page"]["next_token"], "");
    let mut q3 = q;
    q3["page"] = json!({"token": "forged"});
    let (st, _) = s.post("/access/v1/search/subject", q3).await;
    assert_eq!(st, 400);
}

#[tokio::test]
async fn searches_for_unknown_names_are_empty_and_missing_fields_400() {
    let s = fixture().await;
    for (path, body) in [
        (
            "/access/v1/search/action",
            json!({"subject": {"type": "user", "id": "nonexistent-user"}, "resource": {"type": "record", "id": "record-1"}}),
        ),
        (
            "/access/v1/search/subject",
            json!({"subject": {"type": "spaceship"}, "action": {"name": "read"}, "resource": {"type": "record", "id": "record-1"}}),
        ),
    ] {
        let (st, v) = s.post(path, body).await;
        assert_eq!(st, 200);
        assert_eq!(v["results"], json!([]));
    }
    for (path, body) in [
        (
            "/access/v1/search/subject",
            json!({"subject": {"type": "user"}, "resource": {"type": "record", "id": "record-1"}}),
        ),
        (
            "/access/v1/search/resource",
            json!({"action": {"name": "read"}, "resource": {"type": "record"}}),
        ),
        (
            "/access/v1/search/action",
            json!({"subject": {"type": "user", "id": "alice"}}),
        ),
        (
            "/access/v1/search/subject",
            json!({"subject": {"type": "user"}, "action": {"name": "read"}, "resource": {"type": "record"}}),
        ),
        (
            "/access/v1/search/resource",
            json!({"subject": {"type": "user"}, "action": {"name": "read"}, "resource": {"type": "record"}}),
        ),
    ] {
        let (st, v) = s.post(path, body.clone()).await;
        assert_eq!(st, 400, "{path} {body} gave {v}");
    }
}

#[tokio::test]
async fn the_metadata_names_every_endpoint() {
    let s = fixture().await;
    let (st, v) = s.get("/.well-known/authzen-configuration").await;
    assert_eq!(st, 200);
    let base = format!("http://{}", s.addr);
    assert_eq!(v["policy_decision_point"], base.as_str());
    assert_eq!(
        v["access_evaluation_endpoint"],
        format!("{base}/access/v1/evaluation")
    );
    assert_eq!(
        v["search_action_endpoint"],
        format!("{base}/access/v1/search/action")
    );
    let (st, v) = s.get("/nowhere").await;
    assert_eq!(st, 404);
    assert!(v["error"]["message"].is_string());
}

#[tokio::test]
async fn request_properties_override_the_stored_facts_for_that_request() {
    let s = fixture().await;
    // record-1 is stored as "active"; the request says it is archived.
    let mut r = req("alice", "write", "record-1");
    r["resource"]["properties"] = json!({"status": "archived"});
    assert!(!decision(&s, r).await);
    // Only for that request.
    assert!(decision(&s, req("alice", "write", "record-1")).await);
    // alice is no admin in the facts; the request makes her one.
    let mut r = req("alice", "write", "record-2");
    r["subject"]["properties"] = json!({"role": "admin"});
    assert!(decision(&s, r).await);
    // Entities the facts never name can carry properties too.
    let mut r = req("carol", "write", "record-9");
    r["subject"]["properties"] = json!({"role": "admin"});
    r["resource"]["properties"] = json!({"status": "archived"});
    assert!(decision(&s, r).await);
}

#[tokio::test]
async fn an_ill_typed_property_is_a_400_naming_it() {
    let s = fixture().await;
    let mut r = req("alice", "write", "record-1");
    r["resource"]["properties"] = json!({"status": 5});
    let (st, v) = s.post("/access/v1/evaluation", r.clone()).await;
    assert_eq!(st, 400, "{v}");
    let msg = v["error"]["message"].as_str().unwrap_or("");
    assert!(msg.contains("resource.properties.status"), "{v}");
    // In a batch, the item alone is denied.
    let body = json!({"evaluations": [r, req("alice", "read", "record-1")]});
    let v = batch(&s, body).await;
    assert_eq!(decisions(&v), [false, true]);
    assert_eq!(v[0]["context"]["error"]["code"], "E0401", "{}", v[0]);
}

/// A batch is read in place (`src/serve/batch.rs`) when it is well-formed, and by the generic
/// path over JSON values otherwise: escapes, duplicate keys (the last one wins), `null`s and
/// unknown fields answer as the generic path says, item by item, in order.
#[tokio::test]
async fn batches_read_in_place_answer_as_the_generic_path() {
    let s = fixture().await;
    let post =
        |body: &'static str| s.raw("/access/v1/evaluations", "application/json", body.into());
    // Escaped names: the same entities.
    let (st, v) = post(r#"{"subject":{"type":"user","id":"al\u0069ce"},"evaluations":[{"action":{"name":"re\u0061d"},"resource":{"type":"record","id":"record-1"}}]}"#).await;
    assert_eq!(
        (st, decisions(v["evaluations"].as_array().unwrap())),
        (200, vec![true]),
        "{v}"
    );
    // A duplicate key at the top or in an item: the last one is the one read.
    let (st, v) = post(r#"{"subject":{"type":"user","id":"bob"},"subject":{"type":"user","id":"alice"},"action":{"name":"write"},"evaluations":[{"resource":{"type":"record","id":"record-1"}}]}"#).await;
    assert_eq!(
        (st, decisions(v["evaluations"].as_array().unwrap())),
        (200, vec![true]),
        "{v}"
    );
    let (st, v) = post(r#"{"action":{"name":"write"},"evaluations":[{"subject":{"type":"user","id":"alice"},"resource":{"type":"record","id":"record-1"},"subject":{"type":"user","id":"bob"}}]}"#).await;
    assert_eq!(
        (st, decisions(v["evaluations"].as_array().unwrap())),
        (200, vec![false]),
        "{v}"
    );
    // Items that cannot be read between items that can: each answered in its place.
    let (st, v) = post(r#"{"subject":{"type":"user","id":"alice"},"action":{"name":"read"},"x":{"y":[1,2]},"evaluations":[{"resource":{"type":"record","id":"record-1"},"extra":true},{"resource":{"type":"record","id":null}},{"resource":null},7,{"resource":{"type":"record","id":"record-2","properties":{"unknown":1}}}]}"#).await;
    assert_eq!(st, 200, "{v}");
    let items = v["evaluations"].as_array().unwrap();
    assert_eq!(decisions(items), [true, false, false, false, true]);
    assert_eq!(
        items[1]["context"]["error"]["message"],
        "`resource.id` must be a string"
    );
    assert_eq!(
        items[2]["context"]["error"]["message"],
        "`resource` must be an object"
    );
    assert_eq!(
        items[3]["context"]["error"]["message"],
        "an evaluation must be an object"
    );
    // A top-level default of the wrong type is the whole request's error.
    let (st, v) = post(r#"{"subject":null,"evaluations":[{"action":{"name":"read"},"resource":{"type":"record","id":"record-1"}}]}"#).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        v["evaluations"][0]["context"]["error"]["message"],
        "`subject` must be an object"
    );
    let (st, v) = post(r#"{"options":7,"evaluations":[{"subject":{"type":"user","id":"alice"},"action":{"name":"read"},"resource":{"type":"record","id":"record-1"}}]}"#).await;
    assert_eq!(st, 400, "{v}");
    assert_eq!(v["error"]["message"], "`options` must be an object");
    // Reasons when asked, on the items read in place.
    let (st, v) = post(r#"{"options":{"explain":true},"subject":{"type":"user","id":"alice"},"action":{"name":"read"},"evaluations":[{"resource":{"type":"record","id":"record-1"}}]}"#).await;
    assert_eq!(st, 200, "{v}");
    assert!(
        v["evaluations"][0]["context"]["reasons"]
            .as_array()
            .is_some_and(|r| !r.is_empty()),
        "{v}"
    );
}

/// A single evaluation is read in place when it is complete and well-formed, and by the generic
/// path otherwise; either way its answer is the generic path's. `/evaluations` without
/// `evaluations` is the backwards-compatible single form, which the generic path always reads:
/// each body gets the same status and the same body from both endpoints.
#[tokio::test]
async fn single_evaluations_read_in_place_answer_as_the_generic_path() {
    let s = fixture().await;
    let bodies = [
        // Plain, and with unknown members anywhere.
        r#"{"subject":{"type":"user","id":"alice"},"action":{"name":"read"},"resource":{"type":"record","id":"record-1"}}"#,
        r#"{"subject":{"type":"user","id":"alice","x":1},"action":{"name":"write","y":[]},"resource":{"type":"record","id":"record-2"},"z":{"a":null}}"#,
        // Escapes in names.
        r#"{"subject":{"type":"user","id":"al\u0069ce"},"action":{"name":"re\u0061d"},"resource":{"type":"record","id":"record-1"}}"#,
        // Properties: declared and read, undeclared and ignored, ill-typed (400).
        r#"{"subject":{"type":"user","id":"bob","properties":{"role":"admin"}},"action":{"name":"write"},"resource":{"type":"record","id":"record-2","properties":{"status":"archived","unknown":1}}}"#,
        r#"{"subject":{"type":"user","id":"alice"},"action":{"name":"delete","properties":{"soft":true}},"resource":{"type":"record","id":"record-1"}}"#,
        r#"{"subject":{"type":"user","id":"alice"},"action":{"name":"delete","properties":{"soft":"yes"}},"resource":{"type":"record","id":"record-1"}}"#,
        r#"{"subject":{"type":"user","id":"bob","properties":{"role":7}},"action":{"name":"write"},"resource":{"type":"record","id":"record-2"}}"#,
        // Reasons when asked; a context.
        r#"{"options":{"explain":true},"subject":{"type":"user","id":"alice"},"action":{"name":"read"},"resource":{"type":"record","id":"record-1"}}"#,
        r#"{"context":{"time":"2026-01-01T00:00:00Z"},"subject":{"type":"user","id":"bob"},"action":{"name":"read"},"resource":{"type":"record","id":"record-1"}}"#,
        // Unknown entities and actions: a deny, not an error.
        r#"{"subject":{"type":"user","id":"nobody"},"action":{"name":"read"},"resource":{"type":"record","id":"record-1"}}"#,
        r#"{"subject":{"type":"user","id":"alice"},"action":{"name":"fly"},"resource":{"type":"record","id":"record-1"}}"#,
        // What only the generic path reads: duplicates (the last wins), nulls, wrong types,
        // missing members, not an object.
        r#"{"subject":{"type":"user","id":"bob"},"subject":{"type":"user","id":"alice"},"action":{"name":"write"},"resource":{"type":"record","id":"record-1"}}"#,
        r#"{"subject":null,"action":{"name":"read"},"resource":{"type":"record","id":"record-1"}}"#,
        r#"{"subject":{"type":"user","id":7},"action":{"name":"read"},"resource":{"type":"record","id":"record-1"}}"#,
        r#"{"subject":{"type":"user"},"action":{"name":"read"},"resource":{"type":"record","id":"record-1"}}"#,
        r#"{"action":{"name":"read"},"resource":{"type":"record","id":"record-1"}}"#,
        r#"{"options":7,"subject":{"type":"user","id":"alice"},"action":{"name":"read"},"resource":{"type":"record","id":"record-1"}}"#,
        r#"{"context":[],"subject":{"type":"user","id":"alice"},"action":{"name":"read"},"resource":{"type":"record","id":"record-1"}}"#,
        r#"[1,2]"#,
        r#"{"subject":"#,
    ];
    let mut allowed = 0;
    for body in bodies {
        let one = s
            .raw("/access/v1/evaluation", "application/json", body.into())
            .await;
        let generic = s
            .raw("/access/v1/evaluations", "application/json", body.into())
            .await;
        assert_eq!(one, generic, "{body}");
        allowed += usize::from(one.1["decision"] == true);
    }
    // The list decides both ways: it is not all errors or all denies.
    assert!((3..bodies.len() - 5).contains(&allowed), "{allowed}");
}

/// A subject search also decides for an actor the facts do not name (is every actor allowed?).
/// That actor has no attributes: a rule reading a required one fails for it alone, which leaves
/// it out (fail-closed) without putting its error in the answer; the named actors are decided
/// and listed as usual.
#[tokio::test]
async fn the_unnamed_actor_probe_of_a_subject_search_reports_no_error_of_its_own() {
    let dir = std::env::temp_dir().join(format!("polc-serve-probe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("policy.pol"),
        "actor user { attribute role: string; }\nresource doc {\n  permissions view;\n  permit view when principal.role == \"manager\";\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("data.pol"),
        "user:alice.role = \"manager\";\nuser:bob.role = \"staff\";\n",
    )
    .unwrap();
    let s = common_serve::start(
        polc::serve::Sources {
            policy: vec![dir.join("policy.pol")],
            data: Some(dir.join("data.pol")),
        },
        polc::serve::Limits::default(),
        |_| {},
    )
    .await;
    let (st, v) = s
        .post(
            "/access/v1/search/subject",
            json!({"subject": {"type": "user"}, "action": {"name": "view"}, "resource": {"type": "doc", "id": "d1"}}),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        v["results"],
        json!([{"type": "user", "id": "alice"}]),
        "{v}"
    );
    assert!(v.get("context").is_none(), "{v}");
    // A user the facts do not name is still decided, and fails closed with its error.
    let (_, v) = s
        .post(
            "/access/v1/evaluation",
            json!({"subject": {"type": "user", "id": "carol"}, "action": {"name": "view"}, "resource": {"type": "doc", "id": "d1"}}),
        )
        .await;
    assert_eq!(v["decision"], false, "{v}");
    assert!(
        v["context"]["errors"]
            .as_array()
            .is_some_and(|e| !e.is_empty()),
        "{v}"
    );
    std::fs::remove_dir_all(dir).ok();
}

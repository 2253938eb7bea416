//! `polc serve` operations: reload (good, bad, under load), bearer tokens, limits, health,
//! metrics and the decision log.

#![cfg(feature = "serve")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common_serve;

use common_serve::{Server, fixture, fixture_sources, start};
use polc::serve::{Limits, Sources};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

fn alice_writes_1() -> Value {
    json!({"subject": {"type": "user", "id": "alice"}, "action": {"name": "write"}, "resource": {"type": "record", "id": "record-1"}})
}

/// A copy of the fixture in a fresh folder, to change under the server.
fn scratch(name: &str) -> (std::path::PathBuf, Sources) {
    let dir = std::env::temp_dir().join(format!("polc-serve-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = fixture_sources();
    std::fs::copy(&src.policy[0], dir.join("policy.pol")).unwrap();
    std::fs::copy(src.data.as_ref().unwrap(), dir.join("data.pol")).unwrap();
    let sources = Sources {
        policy: vec![dir.join("policy.pol")],
        data: Some(dir.join("data.pol")),
    };
    (dir, sources)
}

async fn decide(s: &Server, body: Value) -> bool {
    let (st, v) = s.post("/access/v1/evaluation", body).await;
    assert_eq!(st, 200, "{v}");
    v["decision"].as_bool().unwrap()
}

#[tokio::test]
async fn a_good_reload_is_installed_and_a_bad_one_is_not() {
    let (dir, sources) = scratch("reload");
    let s = start(sources, Limits::default(), |_| {}).await;
    assert!(decide(&s, alice_writes_1()).await);
    let (_, before) = s.get("/health").await;

    // Good: alice loses her role on record-1.
    let data = std::fs::read_to_string(dir.join("data.pol")).unwrap();
    let changed = data.replace("user:alice is editor on record:\"record-1\";", "");
    std::fs::write(dir.join("data.pol"), changed).unwrap();
    s.shared.reload().unwrap();
    assert!(!decide(&s, alice_writes_1()).await);
    let (_, after) = s.get("/health").await;
    assert_ne!(before["facts_revision"], after["facts_revision"]);
    assert_eq!(after["last_reload_error"], Value::Null);

    // Bad: a policy that does not compile. The old one keeps serving; /health says why.
    std::fs::write(
        dir.join("policy.pol"),
        "actor user; resource record { role x { grants nope; } }",
    )
    .unwrap();
    let err = s.shared.reload().unwrap_err();
    assert!(err.contains("nope"), "{err}");
    assert!(!decide(&s, alice_writes_1()).await);
    let (_, h) = s.get("/health").await;
    assert_eq!(h["policy_revision"], after["policy_revision"]);
    assert!(
        h["last_reload_error"]
            .as_str()
            .unwrap_or("")
            .contains("nope"),
        "{h}"
    );
    let (_, m) = s.get("/metrics").await;
    let m = m.as_str().unwrap_or("").to_string();
    assert!(m.contains("polc_reloads_total{result=\"ok\"} 1"), "{m}");
    assert!(m.contains("polc_reloads_total{result=\"failed\"} 1"), "{m}");
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reloads_under_load_never_show_half_a_policy() {
    let (dir, sources) = scratch("load");
    let s = Arc::new(start(sources, Limits::default(), |_| {}).await);
    let data = std::fs::read_to_string(dir.join("data.pol")).unwrap();
    // Each version either grants both of alice's roles or neither: a request that saw half a
    // reload would find one without the other.
    let without = data
        .replace("user:alice is editor on record:\"record-1\";", "")
        .replace("user:alice is editor on record:\"record-2\";", "");
    let both = json!({
        "subject": {"type": "user", "id": "alice"}, "action": {"name": "read"},
        "evaluations": [{"resource": {"type": "record", "id": "record-1"}}, {"resource": {"type": "record", "id": "record-2"}}],
    });
    let mut load = Vec::new();
    for _ in 0..4 {
        let s = s.clone();
        let both = both.clone();
        load.push(tokio::spawn(async move {
            for _ in 0..100 {
                let (st, v) = s.post("/access/v1/evaluations", both.clone()).await;
                assert_eq!(st, 200);
                assert_eq!(
                    v["evaluations"][0]["decision"], v["evaluations"][1]["decision"],
                    "{v}"
                );
            }
        }));
    }
    for i in 0..20 {
        let text = if i % 2 == 0 { &without } else { &data };
        std::fs::write(dir.join("data.pol"), text).unwrap();
        let sh = s.shared.clone();
        tokio::task::spawn_blocking(move || sh.reload())
            .await
            .unwrap()
            .unwrap();
    }
    for l in load {
        l.await.unwrap();
    }
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn a_bearer_token_is_required_when_configured() {
    let s = start(fixture_sources(), Limits::default(), |sh| {
        sh.token = Some(b"s3cret".to_vec());
    })
    .await;
    let url = s.url("/access/v1/evaluation");
    for auth in [
        None,
        Some("Bearer wrong"),
        Some("Basic s3cret"),
        Some("Bearer s3cret2"),
    ] {
        let mut r = s.client.post(&url).json(&alice_writes_1());
        if let Some(a) = auth {
            r = r.header("authorization", a);
        }
        let r = r.send().await.unwrap();
        assert_eq!(r.status(), 401, "{auth:?}");
        let v: Value = r.json().await.unwrap();
        assert!(v["error"]["message"].is_string());
    }
    let r = s
        .client
        .post(&url)
        .header("authorization", "Bearer s3cret")
        .json(&alice_writes_1())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Health stays open for probes.
    let (st, _) = s.get("/health").await;
    assert_eq!(st, 200);
}

#[tokio::test]
async fn limits_give_json_errors() {
    let limits = Limits {
        body_bytes: 512,
        batch: 2,
        page_default: 1,
        page_max: 1,
        ..Limits::default()
    };
    let s = start(fixture_sources(), limits, |_| {}).await;
    let mut big = alice_writes_1();
    big["context"] = json!({"pad": "x".repeat(1000)});
    let (st, v) = s.post("/access/v1/evaluation", big).await;
    assert_eq!(st, 413, "{v}");
    assert!(v["error"]["message"].as_str().unwrap_or("").contains("512"));
    let item = json!({"resource": {"type": "record", "id": "record-1"}});
    let (st, v) = s
        .post(
            "/access/v1/evaluations",
            json!({
                "subject": {"type": "user", "id": "alice"}, "action": {"name": "read"},
                "evaluations": [item, item, item],
            }),
        )
        .await;
    assert_eq!(st, 400, "{v}");
    // A page larger than the limit is cut to it.
    let (_, v) = s.post("/access/v1/search/subject", json!({
        "subject": {"type": "user"}, "action": {"name": "read"}, "resource": {"type": "record", "id": "record-1"}, "page": {"limit": 50},
    })).await;
    assert_eq!(v["results"].as_array().map(Vec::len), Some(1));
    assert_ne!(v["page"]["next_token"], "");
}

#[tokio::test]
async fn metrics_count_decisions_and_the_log_has_a_line_for_each() {
    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buf = Buf::default();
    let b2 = buf.clone();
    let s = start(fixture_sources(), Limits::default(), move |sh| {
        sh.decision_log = Some(Mutex::new(Box::new(b2)));
    })
    .await;
    assert!(decide(&s, alice_writes_1()).await);
    let bob = json!({"subject": {"type": "user", "id": "bob"}, "action": {"name": "write"}, "resource": {"type": "record", "id": "record-1"}});
    assert!(!decide(&s, bob).await);
    let (st, m) = s.get("/metrics").await;
    assert_eq!(st, 200);
    let m = m.as_str().unwrap_or("").to_string();
    assert!(
        m.contains("polc_decisions_total{result=\"allow\"} 1"),
        "{m}"
    );
    assert!(m.contains("polc_decisions_total{result=\"deny\"} 1"), "{m}");
    assert!(m.contains("polc_request_seconds_count"), "{m}");
    let log = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{log}");
    assert_eq!(lines[0]["decision"], true);
    assert_eq!(lines[0]["subject"], "user:alice");
    assert!(
        lines[0]["reasons"][0]
            .as_str()
            .unwrap_or("")
            .contains("editor"),
        "{log}"
    );
    assert!(lines[1]["policy_revision"].is_string());
    assert!(lines[1]["facts_revision"].is_string());
    let (_, h) = s.get("/health").await;
    assert_eq!(h["ready"], true);
}

#[tokio::test]
async fn fixture_server_is_quick_to_start() {
    let s = fixture().await;
    let (st, _) = s.get("/health").await;
    assert_eq!(st, 200);
}

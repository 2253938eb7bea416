//! The per-request time limit (E0801) and page tokens across reloads (E0802), on the real
//! server on 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common_serve;

use common_serve::start;
use polc::serve::{Limits, Sources};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Duration;

const CHAIN: &str = "actor user;

resource folder {
  relation parent: folder;
  permissions read;
  role viewer { grants read; from viewer on parent; }
}
";

/// A folder chain `f0 <- f1 <- ... <- f(n-1)`, alice viewer on `f0`: deciding on the deepest
/// folder walks the whole chain.
fn chain(name: &str, n: usize) -> (PathBuf, Sources) {
    let dir = std::env::temp_dir().join(format!("polc-limits-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("policy.pol"), CHAIN).unwrap();
    let mut data = String::from("facts chain {\n  user:alice is viewer on folder:f0;\n");
    for i in 1..n {
        data.push_str(&format!("  folder:f{i}.parent = folder:f{};\n", i - 1));
    }
    data.push_str("}\n");
    std::fs::write(dir.join("data.pol"), data).unwrap();
    let sources = Sources {
        policy: vec![dir.join("policy.pol")],
        data: Some(dir.join("data.pol")),
    };
    (dir, sources)
}

fn deepest(n: usize) -> Value {
    json!({"subject": {"type": "user", "id": "alice"}, "action": {"name": "read"},
           "resource": {"type": "folder", "id": format!("f{}", n - 1)}})
}

fn is_time_limit_error(st: u16, v: &Value) {
    assert_eq!(st, 503, "{v}");
    assert_eq!(v["error"]["status"], 503, "{v}");
    assert_eq!(v["error"]["code"], "E0801", "{v}");
    assert!(v.get("decision").is_none(), "{v}");
    assert!(v.get("evaluations").is_none(), "{v}");
}

#[tokio::test]
async fn a_request_past_the_time_limit_is_503_never_an_allow() {
    let n = 200;
    let (dir, sources) = chain("slow", n);
    // The same request within a generous limit is an allow: the 503 below is the limit's.
    let roomy = Limits {
        time_limit: Duration::from_secs(30),
        ..Limits::default()
    };
    let s = start(sources.clone(), roomy, |_| {}).await;
    let (st, v) = s.post("/access/v1/evaluation", deepest(n)).await;
    assert_eq!((st, &v["decision"]), (200, &json!(true)), "{v}");
    drop(s);

    let tiny = Limits {
        time_limit: Duration::from_nanos(1),
        ..Limits::default()
    };
    let s = start(sources, tiny, |_| {}).await;
    let (st, v) = s.post("/access/v1/evaluation", deepest(n)).await;
    is_time_limit_error(st, &v);
    let items: Vec<Value> = (0..50).map(|_| deepest(n)).collect();
    let (st, v) = s
        .post("/access/v1/evaluations", json!({"evaluations": items}))
        .await;
    is_time_limit_error(st, &v);
    let (st, v) = s
        .post(
            "/access/v1/search/subject",
            json!({"subject": {"type": "user"}, "action": {"name": "read"},
                   "resource": {"type": "folder", "id": format!("f{}", n - 1)}}),
        )
        .await;
    is_time_limit_error(st, &v);
    // Nothing was counted as a decision.
    let m = &s.shared.metrics;
    assert_eq!(m.allow.load(std::sync::atomic::Ordering::Relaxed), 0);
    std::fs::remove_dir_all(dir).unwrap();
}

fn scratch(name: &str, policy: &str, data: &str) -> (PathBuf, Sources) {
    let dir = std::env::temp_dir().join(format!("polc-limits-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("policy.pol"), policy).unwrap();
    std::fs::write(dir.join("data.pol"), data).unwrap();
    let sources = Sources {
        policy: vec![dir.join("policy.pol")],
        data: Some(dir.join("data.pol")),
    };
    (dir, sources)
}

const DOCS: &str = "actor user {
  attribute level: int;
}

resource doc {
  permissions read;
  role viewer { grants read; }
  permit read when principal.level > 3;
}
";

fn ids(v: &Value) -> Vec<String> {
    v["results"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| r["id"].as_str().unwrap_or("").to_string())
        .collect()
}

#[tokio::test]
async fn page_tokens_carry_the_key_and_the_revision() {
    let data = "facts f {
  user:a is viewer on doc:d;
  user:b is viewer on doc:d;
  user:c is viewer on doc:d;
  user:a.level = 1;
  user:b.level = 1;
  user:c.level = 1;
}
";
    let (dir, sources) = scratch("tokens", DOCS, data);
    let s = start(sources, Limits::default(), |_| {}).await;
    let q = json!({"subject": {"type": "user"}, "action": {"name": "read"},
                   "resource": {"type": "doc", "id": "d"}, "page": {"limit": 1}});
    let (st, first) = s.post("/access/v1/search/subject", q.clone()).await;
    assert_eq!((st, ids(&first)), (200, vec!["a".to_string()]), "{first}");
    let token = first["page"]["next_token"].as_str().unwrap().to_string();
    let mut q2 = q.clone();
    q2["page"] = json!({"token": token, "limit": 1});
    let (_, second) = s.post("/access/v1/search/subject", q2.clone()).await;
    assert_eq!(ids(&second), ["b"], "{second}");
    // A reload (user:a is gone, user:aa is new): the old token is refused with E0802, and a
    // fresh search pages the new answer.
    std::fs::write(
        dir.join("data.pol"),
        data.replace("user:a is", "user:aa is")
            .replace("user:a.level", "user:aa.level"),
    )
    .unwrap();
    s.shared.reload().unwrap();
    let (st, v) = s.post("/access/v1/search/subject", q2).await;
    assert_eq!(st, 400, "{v}");
    assert_eq!(v["error"]["code"], "E0802", "{v}");
    assert!(v.get("results").is_none(), "{v}");
    let (_, fresh) = s.post("/access/v1/search/subject", q).await;
    assert_eq!(ids(&fresh), ["aa"], "{fresh}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn searches_report_evaluation_errors_and_wildcard_holders() {
    // erin has no `level`: the permit cannot be evaluated for her (a fail-closed deny with an
    // error that the response carries).
    let data = "facts f {
  user:alice is viewer on doc:d;
  user:bob.level = 5;
  user:erin is viewer on doc:other;
  user:zed is viewer on doc:w;
  user:* is viewer on doc:w;
}
";
    let (dir, sources) = scratch("errors", DOCS, data);
    let s = start(sources, Limits::default(), |_| {}).await;
    let (st, v) = s
        .post(
            "/access/v1/search/subject",
            json!({"subject": {"type": "user"}, "action": {"name": "read"},
                   "resource": {"type": "doc", "id": "d"}}),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(ids(&v), ["alice", "bob"], "{v}");
    let errors = v["context"]["errors"].to_string();
    assert!(errors.contains("`user:erin` has no `level`"), "{v}");
    // Everyone holds viewer on doc:w: every named user is listed, and `everyone` says that
    // any other user is allowed too.
    let (_, v) = s
        .post(
            "/access/v1/search/subject",
            json!({"subject": {"type": "user"}, "action": {"name": "read"},
                   "resource": {"type": "doc", "id": "w"}}),
        )
        .await;
    assert_eq!(ids(&v), ["alice", "bob", "erin", "zed"], "{v}");
    assert_eq!(v["context"]["everyone"], true, "{v}");
    std::fs::remove_dir_all(dir).unwrap();
}

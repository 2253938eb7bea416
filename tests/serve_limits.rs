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

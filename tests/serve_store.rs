//! `polc serve --store sqlite:PATH`: the real server on 127.0.0.1:0 with a real HTTP client.
//! Writes through `POST /facts/v1/write`, decisions and searches at a revision
//! (`X-Polc-Revision`), another writer followed in revision order, the decision log's revision,
//! and acknowledged writes surviving a kill -9 of the server process.
#![cfg(all(feature = "serve", feature = "sqlite"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use polc::facts::write::{Constraints, Revision};
use polc::serve::{Limits, Shared, Sources, StoreState};
use polc::store::Store;
use polc::store::sqlite::SqliteStore;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const POLICY: &str = r#"
actor user;

resource org {
  permissions manage, view;
  role admin { includes member; grants manage; min 1; }
  role member { grants view; }
}

resource doc {
  relation parent: folder;
  permissions read;
  role viewer { grants read; from viewer on parent; }
}

resource folder {
  permissions read;
  role viewer { grants read; }
}
"#;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("polc-serve-store-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("policy.pol"), POLICY).unwrap();
    dir
}

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

struct Server {
    addr: std::net::SocketAddr,
    client: reqwest::Client,
    shared: Arc<Shared>,
    log: Buf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

async fn start(dir: &Path, constraints: Constraints, wait: Duration) -> Server {
    start_with(dir, constraints, wait, Limits::default()).await
}

async fn start_with(
    dir: &Path,
    constraints: Constraints,
    wait: Duration,
    limits: Limits,
) -> Server {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.join("polc.db")).unwrap());
    let st = StoreState::new(store, constraints, wait, Revision(0));
    let sources = Sources {
        policy: vec![dir.join("policy.pol")],
        data: None,
    };
    let engine = polc::serve::load_from_store(&sources, &st).unwrap();
    let mut shared = Shared::new(engine, sources, limits);
    shared.store = Some(st);
    let log = Buf::default();
    shared.decision_log = Some(Mutex::new(Box::new(log.clone())));
    let shared = Arc::new(shared);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let s = shared.clone();
    tokio::spawn(async move {
        let _ = polc::serve::serve(listener, s, async {
            let _ = rx.await;
        })
        .await;
    });
    Server {
        addr,
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap(),
        shared,
        log,
        stop: Some(tx),
    }
}

impl Server {
    async fn post(
        &self,
        path: &str,
        body: Value,
        revision: Option<u64>,
    ) -> (u16, Value, Option<u64>) {
        let mut r = self
            .client
            .post(format!("http://{}{path}", self.addr))
            .header("content-type", "application/json")
            .body(body.to_string());
        if let Some(n) = revision {
            r = r.header("x-polc-revision", n.to_string());
        }
        let r = r.send().await.unwrap();
        let status = r.status().as_u16();
        let at = r
            .headers()
            .get("x-polc-revision")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
            at,
        )
    }

    async fn write(&self, tx: Value) -> (u16, Value) {
        let (s, v, _) = self.post("/facts/v1/write", tx, None).await;
        (s, v)
    }

    async fn can(
        &self,
        who: &str,
        action: &str,
        ty: &str,
        id: &str,
        at: Option<u64>,
    ) -> (u16, Value, Option<u64>) {
        self.post(
            "/access/v1/evaluation",
            json!({"subject": {"type": "user", "id": who}, "action": {"name": action}, "resource": {"type": ty, "id": id}}),
            at,
        )
        .await
    }
}

fn assign(who: &str, role: &str, on: &str) -> Value {
    json!({"writes": {"assignments": [{"actor": format!("user:{who}"), "role": role, "on": on}]}})
}

#[tokio::test]
async fn a_write_returns_its_revision_and_the_next_decision_sees_it() {
    let dir = scratch("write");
    let s = start(&dir, Constraints::Warn, Duration::from_secs(1)).await;
    let (_, v, at) = s.can("ann", "manage", "org", "acme", None).await;
    assert_eq!(v["decision"], false);
    assert_eq!(at, Some(0));
    let (status, v) = s.write(assign("ann", "admin", "org:acme")).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["revision"], 1);
    assert_eq!(v["warnings"], json!([]));
    let (_, v, at) = s.can("ann", "manage", "org", "acme", Some(1)).await;
    assert_eq!(v["decision"], true);
    assert_eq!(at, Some(1));
    // Relations too, and the search index learns the new entities.
    let (status, v) = s
        .write(json!({"writes": {
            "assignments": [{"actor": "user:bob", "role": "viewer", "on": "folder:f"}],
            "relations": [{"from": "doc:d1", "relation": "parent", "to": "folder:f"}]}}))
        .await;
    assert_eq!((status, v["revision"].clone()), (200, json!(2)));
    assert_eq!(
        s.can("bob", "read", "doc", "d1", Some(2)).await.1["decision"],
        true
    );
    let (_, v, _) = s
        .post(
            "/access/v1/search/subject",
            json!({"subject": {"type": "user"}, "action": {"name": "read"}, "resource": {"type": "doc", "id": "d1"}}),
            Some(2),
        )
        .await;
    assert_eq!(v["results"], json!([{"type": "user", "id": "bob"}]), "{v}");
    let (_, v, _) = s
        .post(
            "/access/v1/search/resource",
            json!({"subject": {"type": "user", "id": "bob"}, "action": {"name": "read"}, "resource": {"type": "doc"}}),
            None,
        )
        .await;
    assert_eq!(v["results"], json!([{"type": "doc", "id": "d1"}]), "{v}");
    // Deleting the folder's viewer takes the document away.
    let (status, _) = s
        .write(json!({"deletes": {"assignments": [{"actor": "user:bob", "role": "viewer", "on": "folder:f"}]}}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        s.can("bob", "read", "doc", "d1", Some(3)).await.1["decision"],
        false
    );
    let (_, v, _) = s
        .post(
            "/access/v1/search/subject",
            json!({"subject": {"type": "user"}, "action": {"name": "read"}, "resource": {"type": "doc", "id": "d1"}}),
            None,
        )
        .await;
    assert_eq!(v["results"], json!([]), "{v}");
    // Every decision log line carries the revision it was decided at.
    let log = String::from_utf8(s.log.0.lock().unwrap().clone()).unwrap();
    let revisions: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["revision"].clone())
        .collect();
    assert_eq!(revisions, [json!(0), json!(1), json!(2), json!(3)], "{log}");
    let h: Value = s
        .client
        .get(format!("http://{}/health", s.addr))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(h["store"]["backend"], "sqlite");
    assert_eq!(h["store"]["revision"], 3);
    assert_eq!(h["status"], "ok");
}

#[tokio::test]
async fn bad_facts_are_400_with_the_diagnostic_and_nothing_is_written() {
    let dir = scratch("bad");
    let s = start(&dir, Constraints::Warn, Duration::from_secs(1)).await;
    let (status, v) = s
        .write(json!({"writes": {"assignments": [
            {"actor": "user:ann", "role": "admin", "on": "org:acme"},
            {"actor": "user:bob", "role": "admni", "on": "org:acme"}]}}))
        .await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["error"]["code"], "E0202");
    assert_eq!(v["error"]["message"], "`org` has no role `admni`");
    assert_eq!(v["error"]["help"], "did you mean `admin`?");
    assert!(
        v["error"]["diagnostics"][0]["rendered"]
            .as_str()
            .unwrap()
            .contains("admni")
    );
    let (status, v) = s.write(json!({"writes": [1]})).await;
    assert_eq!(status, 400);
    assert_eq!(v["error"]["code"], "E0601", "{v}");
    assert_eq!(
        s.shared.store.as_ref().unwrap().store.revision().unwrap(),
        Revision(0)
    );
    assert_eq!(
        s.can("ann", "manage", "org", "acme", None).await.1["decision"],
        false
    );
}

#[tokio::test]
async fn preconditions_are_409_and_412_and_constraints_409() {
    let dir = scratch("preconditions");
    let s = start(&dir, Constraints::Enforce, Duration::from_secs(1)).await;
    assert_eq!(s.write(assign("ann", "admin", "org:acme")).await.0, 200);
    let mut tx = assign("bob", "member", "org:acme");
    tx["preconditions"] =
        json!([{"absent": {"actor": "user:ann", "role": "admin", "on": "org:acme"}}]);
    let (status, v) = s.write(tx).await;
    assert_eq!(
        (status, v["error"]["code"].clone()),
        (409, json!("E0603")),
        "{v}"
    );
    let mut tx = assign("bob", "member", "org:acme");
    tx["preconditions"] = json!([{"revision": 0}]);
    let (status, v) = s.write(tx).await;
    assert_eq!(
        (status, v["error"]["code"].clone()),
        (412, json!("E0604")),
        "{v}"
    );
    let (status, v) = s
        .write(json!({"deletes": {"assignments": [{"actor": "user:ann", "role": "admin", "on": "org:acme"}]}}))
        .await;
    assert_eq!(status, 409, "{v}");
    assert_eq!(v["error"]["code"], "E0605");
    assert_eq!(v["error"]["diagnostics"][1]["code"], "W0201");
    assert_eq!(
        s.shared.store.as_ref().unwrap().store.revision().unwrap(),
        Revision(1)
    );
    let mut tx = assign("bob", "member", "org:acme");
    tx["preconditions"] = json!([{"revision": 1}, {"exists": {"actor": "user:ann", "role": "admin", "on": "org:acme"}}]);
    let (status, v) = s.write(tx).await;
    assert_eq!((status, v["revision"].clone()), (200, json!(2)), "{v}");
}

#[tokio::test]
async fn a_revision_not_reached_is_a_clear_error_never_older_data() {
    let dir = scratch("ahead");
    let s = start(&dir, Constraints::Warn, Duration::from_millis(300)).await;
    let started = Instant::now();
    let (status, v, _) = s.can("ann", "manage", "org", "acme", Some(5)).await;
    assert_eq!(status, 503, "{v}");
    assert_eq!(v["error"]["code"], "E0610");
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "it waited for the bound"
    );
    let (status, _, _) = s
        .post(
            "/access/v1/search/subject",
            json!({"subject": {"type": "user"}, "action": {"name": "view"}, "resource": {"type": "org", "id": "acme"}}),
            Some(5),
        )
        .await;
    assert_eq!(status, 503);
    let r = s
        .client
        .post(format!("http://{}/access/v1/evaluation", s.addr))
        .header("content-type", "application/json")
        .header("x-polc-revision", "soon")
        .body(json!({"subject": {"type": "user", "id": "a"}, "action": {"name": "view"}, "resource": {"type": "org", "id": "x"}}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
}

#[tokio::test]
async fn another_writer_is_followed_in_revision_order_and_waited_for() {
    let dir = scratch("follow");
    let s = start(&dir, Constraints::Warn, Duration::from_secs(5)).await;
    // Another process's writes, to the same file.
    let other = SqliteStore::open(&dir.join("polc.db")).unwrap();
    let p = polc::compile_str("policy.pol", POLICY).policy.unwrap();
    let mut f = polc::store::load_facts(&other, &p).unwrap();
    let now = polc::time::now();
    for (i, who) in ["ann", "bob", "cy"].iter().enumerate() {
        let text = assign(who, "admin", "org:acme").to_string();
        let tx =
            polc::facts::write::transaction_from_json(&p, polc::source::FileId(0), &text).unwrap();
        let w = polc::store::commit(&other, &p, &mut f, &tx, Constraints::Warn, now).unwrap();
        assert_eq!(w.revision, Revision(i as u64 + 1));
    }
    let text = json!({"deletes": {"assignments": [{"actor": "user:ann", "role": "admin", "on": "org:acme"}]}}).to_string();
    let tx = polc::facts::write::transaction_from_json(&p, polc::source::FileId(0), &text).unwrap();
    polc::store::commit(&other, &p, &mut f, &tx, Constraints::Warn, now).unwrap();
    // Asked at revision 4, the server waits for its follower, then answers at 4 or later.
    let (status, v, at) = s.can("cy", "manage", "org", "acme", Some(4)).await;
    assert_eq!((status, v["decision"].clone()), (200, json!(true)), "{v}");
    assert!(at.unwrap() >= 4);
    assert_eq!(
        s.can("ann", "manage", "org", "acme", Some(4)).await.1["decision"],
        false
    );
    // A write through the server after the other writer's lands after them.
    let (status, v) = s.write(assign("dan", "member", "org:acme")).await;
    assert_eq!((status, v["revision"].clone()), (200, json!(5)), "{v}");
}

/// `polc serve` as a process over a store.
struct Proc {
    child: std::process::Child,
    addr: String,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(dir: &Path) -> Proc {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_polc"))
        .args([
            "serve",
            "policy.pol",
            "--store",
            "sqlite:polc.db",
            "--listen",
            "127.0.0.1:0",
        ])
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take();
    let mut proc = Proc {
        child,
        addr: String::new(),
    };
    let stderr = stderr.unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("the server says where it listens");
        if let Some(rest) = line.split("http://").nth(1) {
            let addr: String = rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
                .collect();
            proc.addr = addr.trim_end_matches(':').to_string();
            return proc;
        }
    }
}

#[tokio::test]
async fn acknowledged_writes_survive_kill_9_and_a_restart_rebuilds_from_the_store() {
    let dir = scratch("kill9");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let p = spawn(&dir);
    let post = |addr: String, path: &'static str, body: Value| {
        let c = client.clone();
        async move {
            let r = c
                .post(format!("http://{addr}{path}"))
                .header("content-type", "application/json")
                .body(body.to_string())
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let n = 40;
    let mut acked = Vec::new();
    for i in 0..n {
        let (status, v) = post(
            p.addr.clone(),
            "/facts/v1/write",
            assign(&format!("u{i}"), "member", "org:acme"),
        )
        .await;
        assert_eq!(status, 200, "{v}");
        acked.push(v["revision"].as_u64().unwrap());
    }
    // The last answer is in; the process dies at once, with no chance to flush anything.
    let mut p = p;
    p.child.kill().unwrap();
    p.child.wait().unwrap();
    assert_eq!(acked, (1..=n).collect::<Vec<u64>>());
    let q = spawn(&dir);
    let h: Value = client
        .get(format!("http://{}/health", q.addr))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(h["store"]["revision"], n, "{h}");
    for i in 0..n {
        let (status, v) = post(
            q.addr.clone(),
            "/access/v1/evaluation",
            json!({"subject": {"type": "user", "id": format!("u{i}")}, "action": {"name": "view"}, "resource": {"type": "org", "id": "acme"}}),
        )
        .await;
        assert_eq!(
            (status, v["decision"].clone()),
            (200, json!(true)),
            "u{i}: {v}"
        );
    }
    // And it goes on writing after the last revision.
    let (status, v) = post(
        q.addr.clone(),
        "/facts/v1/write",
        assign("last", "member", "org:acme"),
    )
    .await;
    assert_eq!((status, v["revision"].clone()), (200, json!(n + 1)));
}

/// Deletes, replaced `until`s and judged writes leave retracted assignments in the served
/// facts; past `compact_min` and the live count, the server builds its facts anew from the
/// store, off the request path, and the answers stay those of the store.
#[tokio::test]
async fn retracted_assignments_are_dropped_by_building_the_facts_anew_from_the_store() {
    let dir = scratch("compact");
    let limits = Limits {
        compact_min: 20,
        ..Limits::default()
    };
    let s = start_with(&dir, Constraints::Enforce, Duration::from_secs(5), limits).await;
    assert_eq!(s.write(assign("ann", "admin", "org:acme")).await.0, 200);
    // Each write is judged against `min 1` (applied and undone), then applied: every one
    // leaves retracted slots; the deletes retract the members again.
    let mut revision = 1;
    for i in 0..15 {
        let (st, v) = s
            .write(assign(&format!("m{i}"), "member", "org:acme"))
            .await;
        assert_eq!(st, 200, "{v}");
        revision = v["revision"].as_u64().unwrap();
    }
    for i in 0..10 {
        let (st, v) = s
            .write(json!({"deletes": {"assignments": [{"actor": format!("user:m{i}"), "role": "member", "on": "org:acme"}]}}))
            .await;
        assert_eq!(st, 200, "{v}");
        revision = v["revision"].as_u64().unwrap();
    }
    // The follower notices and rebuilds, within seconds.
    let deadline = Instant::now() + Duration::from_secs(20);
    let compactions = |s: &Server| {
        s.shared
            .metrics
            .compactions
            .load(std::sync::atomic::Ordering::Relaxed)
    };
    let retracted = |s: &Server| {
        let current = s.shared.engine.load();
        let e = current.read();
        (e.facts.retracted_count(), e.facts.slot_count())
    };
    // Before any compaction there were more than 20 (each write is judged, then applied).
    while compactions(&s) == 0 || retracted(&s).0 > 20 {
        assert!(
            Instant::now() < deadline,
            "not compacted: {} compactions, {:?} (retracted, slots)",
            compactions(&s),
            retracted(&s)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The answers are the store's, at its revision: the deleted members are gone, the others
    // and the admin are there.
    for i in 0..15 {
        let (_, v, at) = s
            .can(&format!("m{i}"), "view", "org", "acme", Some(revision))
            .await;
        assert_eq!(v["decision"], i >= 10, "m{i}: {v}");
        assert_eq!(at, Some(revision));
    }
    assert_eq!(
        s.can("ann", "manage", "org", "acme", None).await.1["decision"],
        true
    );
    let metrics = s
        .client
        .get(format!("http://{}/metrics", s.addr))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("polc_compactions_total ") && !l.ends_with(" 0")),
        "{metrics}"
    );
    std::fs::remove_dir_all(dir).ok();
}

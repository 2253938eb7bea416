//! `polc serve --store postgres://...`: real server processes (127.0.0.1, port 0) over one
//! PostgreSQL database (`POLC_TEST_POSTGRES`, a database of the test's own). Writes through one
//! replica are decided at their revision on another (`X-Polc-Revision`), and a database that
//! goes away (a TCP proxy between a replica and PostgreSQL, cut and restored) leaves the replica
//! serving its last revision with `/health` degraded and writes answered 503, until it is back
//! and the replica catches up. Without the variable each test says it was skipped.
#![cfg(all(feature = "serve", feature = "postgres"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common_pg;

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const POLICY: &str = r#"
actor user;

resource org {
  permissions manage, view;
  role admin { includes member; grants manage; }
  role member { grants view; }
}
"#;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("polc-serve-pg-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("policy.pol"), POLICY).unwrap();
    dir
}

/// `polc serve` as a process.
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

fn spawn(dir: &Path, url: &str) -> Proc {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_polc"))
        .args([
            "serve",
            "policy.pol",
            "--store",
            url,
            "--listen",
            "127.0.0.1:0",
            "--revision-wait",
            "5000",
        ])
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut proc = Proc {
        child,
        addr: String::new(),
    };
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

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

async fn post(
    c: &reqwest::Client,
    addr: &str,
    path: &str,
    body: Value,
    at: Option<u64>,
) -> (u16, Value, Option<u64>) {
    let mut r = c
        .post(format!("http://{addr}{path}"))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(n) = at {
        r = r.header("x-polc-revision", n.to_string());
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let revision = r
        .headers()
        .get("x-polc-revision")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
        revision,
    )
}

async fn health(c: &reqwest::Client, addr: &str) -> Value {
    c.get(format!("http://{addr}/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn assign(who: &str, role: &str) -> Value {
    json!({"writes": {"assignments": [{"actor": format!("user:{who}"), "role": role, "on": "org:acme"}]}})
}

fn unassign(who: &str, role: &str) -> Value {
    json!({"deletes": {"assignments": [{"actor": format!("user:{who}"), "role": role, "on": "org:acme"}]}})
}

fn can(who: &str, action: &str) -> Value {
    json!({"subject": {"type": "user", "id": who}, "action": {"name": action}, "resource": {"type": "org", "id": "acme"}})
}

#[tokio::test]
async fn two_replicas_over_one_database_see_each_others_writes_at_their_revision() {
    let Some(db) = common_pg::fresh("two_replicas") else {
        return;
    };
    let dir = scratch("two");
    let a = spawn(&dir, &db.url);
    let b = spawn(&dir, &db.url);
    let c = client();
    // Interleaved: a write on A, then a read on B at the revision A returned, and back.
    for i in 0..15 {
        let who = format!("u{i}");
        let (status, v, _) =
            post(&c, &a.addr, "/facts/v1/write", assign(&who, "member"), None).await;
        assert_eq!(status, 200, "{v}");
        let r = v["revision"].as_u64().unwrap();
        assert_eq!(r, 2 * i + 1, "gap-free revisions across the replicas");
        let (status, v, at) = post(
            &c,
            &b.addr,
            "/access/v1/evaluation",
            can(&who, "view"),
            Some(r),
        )
        .await;
        assert_eq!(
            (status, v["decision"].clone()),
            (200, json!(true)),
            "{who} on B: {v}"
        );
        assert!(at.unwrap() >= r);
        // And B writes: A sees it at B's revision.
        let (status, v, _) = post(
            &c,
            &b.addr,
            "/facts/v1/write",
            unassign(&who, "member"),
            None,
        )
        .await;
        assert_eq!(status, 200, "{v}");
        let r = v["revision"].as_u64().unwrap();
        assert_eq!(r, 2 * i + 2);
        let (status, v, _) = post(
            &c,
            &a.addr,
            "/access/v1/evaluation",
            can(&who, "view"),
            Some(r),
        )
        .await;
        assert_eq!(
            (status, v["decision"].clone()),
            (200, json!(false)),
            "{who} on A: {v}"
        );
    }
    // Both at the last revision, with nothing asked; the backend says which it is.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (ha, hb) = (health(&c, &a.addr).await, health(&c, &b.addr).await);
        if ha["store"]["revision"] == 30 && hb["store"]["revision"] == 30 {
            assert_eq!(ha["store"]["backend"], "postgres");
            assert_eq!(hb["status"], "ok", "{hb}");
            break;
        }
        assert!(Instant::now() < deadline, "{ha} {hb}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A revision nobody wrote: a clear error after the bound, never older data.
    let (status, v, _) = post(
        &c,
        &b.addr,
        "/access/v1/evaluation",
        can("u1", "view"),
        Some(1000),
    )
    .await;
    assert_eq!(
        (status, v["error"]["code"].clone()),
        (503, json!("E0610")),
        "{v}"
    );
}

/// A TCP proxy on 127.0.0.1 to PostgreSQL that the test can cut (closing every connection and
/// refusing new ones) and restore.
struct Proxy {
    port: u16,
    cut: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let cut = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let open: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (c, s, o) = (cut.clone(), stop.clone(), open.clone());
        std::thread::spawn(move || {
            // Ends when the test drops the proxy (`stop`), or after 5 minutes at most.
            let deadline = Instant::now() + Duration::from_secs(300);
            while !s.load(Ordering::Relaxed) && Instant::now() < deadline {
                let Ok((down, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                };
                if c.load(Ordering::Relaxed) {
                    let _ = down.shutdown(Shutdown::Both);
                    continue;
                }
                let _ = down.set_nonblocking(false);
                let Ok(up) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let mut g = o.lock().unwrap();
                for (from, to) in [(&down, &up), (&up, &down)] {
                    let (mut from, mut to) = (from.try_clone().unwrap(), to.try_clone().unwrap());
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(Shutdown::Both);
                        let _ = from.shutdown(Shutdown::Both);
                    });
                }
                g.push(down);
                g.push(up);
            }
        });
        Proxy {
            port,
            cut,
            stop,
            open,
        }
    }

    fn cut(&self) {
        self.cut.store(true, Ordering::Relaxed);
        for s in self.open.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    fn restore(&self) {
        self.cut.store(false, Ordering::Relaxed);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.cut();
    }
}

#[tokio::test]
async fn a_replica_whose_database_goes_away_serves_its_last_revision_and_catches_up() {
    let Some(db) = common_pg::fresh("db_away") else {
        return;
    };
    let dir = scratch("away");
    let proxy = Proxy::start(common_pg::host_port(&db.url));
    let through = db.url.replacen(
        &common_pg::host_port(&db.url),
        &format!("127.0.0.1:{}", proxy.port),
        1,
    );
    let direct = spawn(&dir, &db.url);
    let replica = spawn(&dir, &through);
    let c = client();
    let (status, v, _) = post(
        &c,
        &direct.addr,
        "/facts/v1/write",
        assign("ann", "admin"),
        None,
    )
    .await;
    assert_eq!((status, v["revision"].clone()), (200, json!(1)), "{v}");
    let (_, v, _) = post(
        &c,
        &replica.addr,
        "/access/v1/evaluation",
        can("ann", "manage"),
        Some(1),
    )
    .await;
    assert_eq!(v["decision"], true, "{v}");
    assert_eq!(health(&c, &replica.addr).await["status"], "ok");

    proxy.cut();
    // The replica notices (its listening connection is closed) and says so.
    let deadline = Instant::now() + Duration::from_secs(20);
    let h = loop {
        let h = health(&c, &replica.addr).await;
        if h["status"] == "degraded" {
            break h;
        }
        assert!(Instant::now() < deadline, "never degraded: {h}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(h["store"]["revision"], 1, "{h}");
    assert!(
        h["store"]["error"]
            .as_str()
            .unwrap()
            .contains("cannot be reached"),
        "{h}"
    );
    // Decisions go on at the last revision; a write is a 503 with a JSON error, not written.
    let (status, v, at) = post(
        &c,
        &replica.addr,
        "/access/v1/evaluation",
        can("ann", "manage"),
        None,
    )
    .await;
    assert_eq!(
        (status, v["decision"].clone(), at),
        (200, json!(true), Some(1)),
        "{v}"
    );
    let (status, v, _) = post(
        &c,
        &replica.addr,
        "/facts/v1/write",
        assign("bob", "member"),
        None,
    )
    .await;
    assert_eq!(status, 503, "{v}");
    assert_eq!(v["error"]["code"], "E0621", "{v}");
    // Meanwhile the other replica writes.
    let (status, v, _) = post(
        &c,
        &direct.addr,
        "/facts/v1/write",
        unassign("ann", "admin"),
        None,
    )
    .await;
    assert_eq!((status, v["revision"].clone()), (200, json!(2)), "{v}");
    let (status, v, _) = post(
        &c,
        &direct.addr,
        "/facts/v1/write",
        assign("cy", "member"),
        None,
    )
    .await;
    assert_eq!((status, v["revision"].clone()), (200, json!(3)), "{v}");
    // Still revision 1 on the cut replica (ann still admin there), and a request at 3 waits its
    // bound and fails clearly.
    let (_, v, at) = post(
        &c,
        &replica.addr,
        "/access/v1/evaluation",
        can("ann", "manage"),
        None,
    )
    .await;
    assert_eq!((v["decision"].clone(), at), (json!(true), Some(1)));

    proxy.restore();
    // Back: it catches up with what was committed meanwhile, in order, and writes again.
    let (status, v, at) = post(
        &c,
        &replica.addr,
        "/access/v1/evaluation",
        can("cy", "view"),
        Some(3),
    )
    .await;
    assert_eq!((status, v["decision"].clone()), (200, json!(true)), "{v}");
    assert_eq!(at, Some(3));
    let (_, v, _) = post(
        &c,
        &replica.addr,
        "/access/v1/evaluation",
        can("ann", "manage"),
        Some(3),
    )
    .await;
    assert_eq!(v["decision"], false);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let h = health(&c, &replica.addr).await;
        if h["status"] == "ok" {
            break;
        }
        assert!(Instant::now() < deadline, "still degraded: {h}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (status, v, _) = post(
        &c,
        &replica.addr,
        "/facts/v1/write",
        assign("bob", "member"),
        None,
    )
    .await;
    assert_eq!((status, v["revision"].clone()), (200, json!(4)), "{v}");
    let (_, v, _) = post(
        &c,
        &direct.addr,
        "/access/v1/evaluation",
        can("bob", "view"),
        Some(4),
    )
    .await;
    assert_eq!(v["decision"], true, "{v}");
}

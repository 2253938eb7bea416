//! `polc serve` as a process: it starts on port 0 and says where, reloads on SIGHUP and on a
//! file change, and drains then exits 0 on SIGTERM.

#![cfg(feature = "serve")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Proc {
    child: Child,
    addr: String,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(dir: &std::path::Path, extra: &[&str]) -> Proc {
    let mut child = Command::new(env!("CARGO_BIN_EXE_polc"))
        .args([
            "serve",
            "policy.pol",
            "--data",
            "data.pol",
            "--listen",
            "127.0.0.1:0",
        ])
        .args(extra)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
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
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("the server says where it listens");
        if let Some(rest) = line.split("http://").nth(1) {
            let addr: String = rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
                .collect();
            assert!(line.contains("plain HTTP"), "{line}");
            proc.addr = addr.trim_end_matches(':').to_string();
            return proc;
        }
    }
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("polc-serve-proc-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ex = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/authzen");
    std::fs::copy(ex.join("policy.pol"), dir.join("policy.pol")).unwrap();
    std::fs::copy(ex.join("data.pol"), dir.join("data.pol")).unwrap();
    dir
}

fn signal(p: &Proc, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &p.child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
}

async fn health(client: &reqwest::Client, p: &Proc) -> Value {
    client
        .get(format!("http://{}/health", p.addr))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn until_revision_changes(client: &reqwest::Client, p: &Proc, from: &Value) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let h = health(client, p).await;
        if h["facts_revision"] != *from || Instant::now() > deadline {
            return h;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn reloads_on_sighup_and_on_file_change_then_drains_on_sigterm() {
    let dir = scratch("life");
    let mut p = spawn(&dir, &[]);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let h0 = health(&client, &p).await;
    assert_eq!(h0["ready"], true);

    // A change of the data file is noticed and installed.
    let data = std::fs::read_to_string(dir.join("data.pol")).unwrap();
    std::fs::write(
        dir.join("data.pol"),
        format!("{data}\nuser:carol is viewer on record:\"record-1\";\n"),
    )
    .unwrap();
    let h1 = until_revision_changes(&client, &p, &h0["facts_revision"]).await;
    assert_ne!(h1["facts_revision"], h0["facts_revision"], "{h1}");

    // A broken policy and SIGHUP: not installed, /health says why.
    std::fs::write(
        dir.join("policy.pol"),
        "actor user; resource record { role r { grants nope; } }",
    )
    .unwrap();
    signal(&p, "-HUP");
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut h = health(&client, &p).await;
    while h["last_reload_error"].is_null() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
        h = health(&client, &p).await;
    }
    assert!(
        h["last_reload_error"]
            .as_str()
            .unwrap_or("")
            .contains("nope"),
        "{h}"
    );
    assert_eq!(h["policy_revision"], h1["policy_revision"]);
    let r: Value = client
        .post(format!("http://{}/access/v1/evaluation", p.addr))
        .json(&json!({"subject": {"type": "user", "id": "carol"}, "action": {"name": "read"}, "resource": {"type": "record", "id": "record-1"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        r["decision"], true,
        "the last good policy and facts keep serving"
    );

    signal(&p, "-TERM");
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = p.child.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    std::fs::remove_dir_all(dir).ok();
}

/// The request threads of a server process (tokio names them `tokio-rt-worker`).
fn workers(p: &Proc) -> usize {
    std::fs::read_dir(format!("/proc/{}/task", p.child.id()))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|t| {
            std::fs::read_to_string(t.path().join("comm"))
                .is_ok_and(|c| c.trim_end() == "tokio-rt-worker")
        })
        .count()
}

#[tokio::test]
async fn threads_sets_the_request_threads_and_zero_is_refused() {
    let dir = scratch("threads");
    let p = spawn(&dir, &["--threads", "1"]);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    assert_eq!(health(&client, &p).await["ready"], true);
    assert_eq!(workers(&p), 1);
    drop(p);
    let p = spawn(&dir, &["--threads", "3"]);
    assert_eq!(health(&client, &p).await["ready"], true);
    assert_eq!(workers(&p), 3);
    drop(p);
    let o = Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(["serve", "policy.pol", "--threads", "0"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--threads"));
    std::fs::remove_dir_all(dir).ok();
}

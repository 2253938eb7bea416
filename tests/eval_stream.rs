//! `polc eval --requests -` as a co-process: each line is answered before the next is written,
//! ids are echoed, explanations only with `--explain`, unknown fields warned or refused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

const POLICY: &str = r#"
actor user;
context { mfa: bool; }
resource workspace {
  permissions view, delete;
  role owner { includes viewer; grants delete; }
  role viewer { grants view; }
  forbid delete when !context.mfa;
}
"#;

const DATA: &str = "user:alice is owner on workspace:ml;\n";

/// A running `polc eval`, its stdin, and its stdout lines as they come.
struct CoProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
}

impl CoProcess {
    fn start(name: &str, extra: &[&str]) -> CoProcess {
        let dir =
            std::env::temp_dir().join(format!("polc-eval-stream-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("p.pol"), POLICY).unwrap();
        std::fs::write(dir.join("d.pol"), DATA).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_polc"))
            .arg("eval")
            .arg(dir.join("p.pol"))
            .arg("--data")
            .arg(dir.join("d.pol"))
            .args(["--requests", "-"])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        CoProcess {
            stdin: child.stdin.take(),
            child,
            lines,
        }
    }

    /// Writes one line and waits (bounded) for its answer: the stream stays open, so an answer
    /// only comes if polc answers each line as it arrives.
    fn ask(&mut self, line: &str) -> serde_json::Value {
        let stdin = self.stdin.as_mut().unwrap();
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
        let answer = self
            .lines
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("no answer to {line} within 20 s"));
        serde_json::from_str(&answer).unwrap()
    }

    /// Closes stdin; the exit status and standard error.
    fn finish(mut self) -> (Option<i32>, String) {
        drop(self.stdin.take());
        let out = self.child.wait_with_output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

#[test]
fn each_line_is_answered_before_the_next_is_written() {
    let mut p = CoProcess::start("stream", &[]);
    let a = p.ask(
        r#"{"id": 1, "principal": "user:alice", "action": "view", "resource": "workspace:ml"}"#,
    );
    assert_eq!(
        a,
        serde_json::json!({"id": 1, "decision": "allow", "reasons": [], "errors": []})
    );
    let b = p.ask(
        r#"{"principal": "user:bob", "action": "view", "resource": "workspace:ml", "id": "b-2"}"#,
    );
    assert_eq!(b["id"], "b-2");
    assert_eq!(b["decision"], "deny");
    // The context of a line applies to that line only.
    let c = p.ask(r#"{"principal": "user:alice", "action": "delete", "resource": "workspace:ml", "context": {"mfa": true}}"#);
    assert_eq!(c["decision"], "allow");
    assert!(c.get("id").is_none());
    let d = p.ask(r#"{"principal": "user:alice", "action": "delete", "resource": "workspace:ml"}"#);
    assert_eq!(d["decision"], "deny");
    let e = p.ask(r#"{"principal": "user:alice", "action": "view", "resource": "workspace:ml", "trace": true}"#);
    assert_eq!(e["decision"], "allow");
    let f = p.ask(
        r#"{"id": 6, "principal": "user:alice", "action": "delet", "resource": "workspace:ml"}"#,
    );
    assert_eq!(f["decision"], "deny");
    assert_eq!(f["id"], 6);
    assert!(f["errors"][0].as_str().unwrap().contains("E0203"), "{f}");
    let g = p.ask("{not json");
    assert_eq!(g["decision"], "deny");
    let (status, stderr) = p.finish();
    assert_eq!(status, Some(1), "a malformed line fails the run: {stderr}");
    assert!(
        stderr.contains("W0120") && stderr.contains("unknown request field `trace` ignored"),
        "{stderr}"
    );
    assert!(stderr.contains("<stdin> line 5"), "{stderr}");
    assert!(stderr.contains("<stdin> line 6"), "{stderr}");
    assert!(stderr.contains("did you mean `delete`?"), "{stderr}");
}

#[test]
fn explanations_only_with_explain() {
    let mut p = CoProcess::start("explain", &["--explain"]);
    let a = p.ask(r#"{"principal": "user:alice", "action": "view", "resource": "workspace:ml"}"#);
    assert_eq!(
        a["reasons"],
        serde_json::json!([
            "user:alice is owner on workspace:ml -> viewer on workspace:ml (included by owner) -> grants view"
        ])
    );
    assert_eq!(p.finish().0, Some(0));
}

#[test]
fn strict_refuses_unknown_fields() {
    let mut p = CoProcess::start("strict", &["--strict"]);
    let a = p.ask(r#"{"principal": "user:alice", "action": "view", "resource": "workspace:ml", "trace": 1, "id": 3}"#);
    assert_eq!(a["decision"], "deny");
    assert_eq!(a["id"], 3);
    assert!(
        a["errors"][0]
            .as_str()
            .unwrap()
            .contains("unknown field `trace`"),
        "{a}"
    );
    assert_eq!(p.finish().0, Some(1));
}

#[test]
fn context_option_is_the_default_of_every_request() {
    let mut p = CoProcess::start(
        "context",
        &["--context", r#"{"mfa": true}"#, "--fail-on-deny"],
    );
    let a = p.ask(r#"{"principal": "user:alice", "action": "delete", "resource": "workspace:ml"}"#);
    assert_eq!(a["decision"], "allow");
    let b = p.ask(r#"{"principal": "user:alice", "action": "delete", "resource": "workspace:ml", "context": {"mfa": false}}"#);
    assert_eq!(b["decision"], "deny");
    assert_eq!(
        p.finish().0,
        Some(1),
        "--fail-on-deny: a deny fails the run"
    );
    let mut p = CoProcess::start(
        "context-allow",
        &["--context", r#"{"mfa": true}"#, "--fail-on-deny"],
    );
    assert_eq!(
        p.ask(r#"{"principal": "user:alice", "action": "view", "resource": "workspace:ml"}"#)["decision"],
        "allow"
    );
    assert_eq!(p.finish().0, Some(0), "every request allowed");
    let (status, stderr) =
        CoProcess::start("context-bad", &["--context", r#"{"mfaa": true}"#]).finish();
    assert_eq!(status, Some(2), "{stderr}");
    assert!(
        stderr.contains("undeclared context field `mfaa`"),
        "{stderr}"
    );
}

/// W0122: a denied line naming an entity the facts do not know is warned about on standard
/// error, with the nearest name; lines about known entities (allowed or denied) are not, and
/// the decisions are those without the warning.
#[test]
fn unknown_entity_of_a_denied_line_is_hinted() {
    let out = folders_eval(
        "hint",
        "user:alice is viewer on folder:eng;\nuser:carol is viewer on folder:hr;\n",
        concat!(
            r#"{"principal": "user:alice", "action": "view", "resource": "folder:engg"}"#,
            "\n",
            r#"{"principal": "user:alice", "action": "view", "resource": "folder:eng"}"#,
            "\n",
            r#"{"principal": "user:carol", "action": "view", "resource": "folder:eng"}"#,
            "\n",
        ),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let decisions: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let shape = |d: &str| serde_json::json!({"decision": d, "reasons": [], "errors": []});
    assert_eq!(decisions, [shape("deny"), shape("allow"), shape("deny")]);
    assert_eq!(stderr.matches("W0122").count(), 1, "{stderr}");
    assert!(
        stderr.contains("folder:engg appears nowhere in the facts")
            && stderr.contains("did you mean `folder:eng`?")
            && stderr.contains("<stdin> line 1"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("line 2") && !stderr.contains("line 3"),
        "{stderr}"
    );
}

/// W0122 over a stream: each unknown entity is hinted about once, at most
/// `polc::eval::hints::HINT_LIMIT` of them, and one closing warning counts the denied lines
/// that got no hint of their own (a repeat, or past the limit); the decisions are unchanged.
#[test]
fn unknown_entities_are_hinted_once_each_up_to_a_limit() {
    let limit = polc::eval::hints::HINT_LIMIT;
    // `limit + 5` unknown users, each asked about twice, and one known line.
    let unknown = limit + 5;
    let mut input = String::new();
    for round in 0..2 {
        for i in 0..unknown {
            input.push_str(&format!(
                "{{\"principal\": \"user:stranger{i}\", \"action\": \"view\", \"resource\": \"folder:eng\", \"id\": {}}}\n",
                round * unknown + i
            ));
        }
    }
    input.push_str(r#"{"principal": "user:alice", "action": "view", "resource": "folder:eng"}"#);
    input.push('\n');
    let out = folders_eval("hints", "user:alice is viewer on folder:eng;\n", &input);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let decisions: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(decisions.len(), 2 * unknown + 1);
    assert!(
        decisions[..2 * unknown]
            .iter()
            .all(|d| d["decision"] == "deny")
    );
    assert_eq!(decisions[2 * unknown]["decision"], "allow");
    // One hint per entity for the first `limit` strangers, none for the others or the repeats.
    let hints = stderr.matches("appears nowhere in the facts").count();
    assert_eq!(hints, limit, "{stderr}");
    for i in 0..limit {
        assert_eq!(
            stderr.matches(&format!("user:stranger{i} appears")).count(),
            1,
            "{stderr}"
        );
    }
    assert!(
        !stderr.contains(&format!("user:stranger{limit} appears")),
        "{stderr}"
    );
    // The closing warning: `limit` repeats and 10 lines past the limit (5 strangers, twice).
    let more = 2 * unknown - limit;
    // The renderer wraps long messages: compare the words.
    let words = stderr
        .split_whitespace()
        .filter(|w| *w != "|")
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        words.contains(&format!(
            "{more} more denied requests named entities the facts do not know"
        )) && words.contains(&format!("{limit} named an entity already hinted about"))
            && words.contains("10 named other unknown entities"),
        "{stderr}"
    );
}

/// `polc eval --requests -` on a folder policy (`view` through `viewer`) with the facts `data`,
/// `input` written to its standard input; the files are under a folder named after `name`.
fn folders_eval(name: &str, data: &str, input: &str) -> std::process::Output {
    let dir = std::env::temp_dir().join(format!("polc-eval-stream-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("p.pol"),
        "actor user;\nresource folder {\n  permissions view;\n  role viewer { grants view; }\n}\n",
    )
    .unwrap();
    std::fs::write(dir.join("d.pol"), data).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_polc"))
        .arg("eval")
        .arg(dir.join("p.pol"))
        .arg("--data")
        .arg(dir.join("d.pol"))
        .args(["--requests", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.as_bytes()).unwrap();
    drop(stdin);
    child.wait_with_output().unwrap()
}

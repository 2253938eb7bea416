//! `polc lsp` driven over stdio, as an editor drives it: JSON-RPC with `Content-Length`
//! framing, every read bounded in time.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(20);

const A: &str = r#"actor user;

/// An organization.
resource organization {
  permissions manage, view;
  /// Runs the organization.
  role admin { includes member; grants manage; }
  role member { grants view; }
}
"#;

const B: &str = r#"resource workspace {
  relation organization: organization;
  attribute impact: "low" | "high";
  attribute notes?: string;
  permissions view, delete, users.view, users.edit;
  role owner { includes viewer; grants delete; from admin on organization; }
  role viewer { grants view, users.*; }
  forbid delete when resource.impact == "high";
}

facts acme {
  user:alice is admin on organization:acme;
  workspace:ml.organization = organization:acme;
  workspace:ml.impact = "low";
}

test "admins own workspaces" {
  use acme;
  assert can user:alice delete workspace:ml;
  assert user:alice is owner on workspace:ml;
}
"#;

struct Client {
    child: Child,
    stdin: ChildStdin,
    rx: Receiver<Value>,
    next_id: i64,
    /// Notifications received while waiting for answers.
    notes: Vec<Value>,
    root: PathBuf,
}

fn workspace(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("polc-lsp-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a.pol"), A).unwrap();
    std::fs::write(dir.join("b.pol"), B).unwrap();
    dir
}

fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

impl Client {
    fn start(root: PathBuf, env: &[(&str, &str)]) -> Client {
        // `POLC_LSP_BIN` measures another build (the timing test); `POLC_LSP_STDERR` shows
        // the server's log.
        let bin = std::env::var("POLC_LSP_BIN").unwrap_or(env!("CARGO_BIN_EXE_polc").into());
        let mut cmd = Command::new(bin);
        cmd.arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(if std::env::var_os("POLC_LSP_STDERR").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            });
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            loop {
                let mut len = 0usize;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("Content-Length:") {
                        len = v.trim().parse().unwrap();
                    }
                }
                let mut body = vec![0; len];
                if r.read_exact(&mut body).is_err() {
                    return;
                }
                if tx.send(serde_json::from_slice(&body).unwrap()).is_err() {
                    return;
                }
            }
        });
        Client {
            child,
            stdin,
            rx,
            next_id: 0,
            notes: Vec::new(),
            root,
        }
    }

    fn raw(&mut self, bytes: &[u8]) {
        self.stdin.write_all(bytes).unwrap();
        self.stdin.flush().unwrap();
    }

    fn send(&mut self, msg: Value) {
        let body = msg.to_string();
        self.raw(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
    }

    fn recv(&mut self, deadline: Instant) -> Value {
        let left = deadline.saturating_duration_since(Instant::now());
        self.rx
            .recv_timeout(left)
            .expect("the server answers in time")
    }

    /// The whole response (`result` or `error`).
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let deadline = Instant::now() + WAIT;
        loop {
            let m = self.recv(deadline);
            if m.get("id") == Some(&json!(id)) && m.get("method").is_none() {
                return m;
            }
            self.notes.push(m);
        }
    }

    fn result(&mut self, method: &str, params: Value) -> Value {
        let r = self.call(method, params);
        assert!(r.get("error").is_none(), "{method}: {r}");
        r["result"].clone()
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn init(&mut self) {
        let root = uri(&self.root);
        let r = self.result(
            "initialize",
            json!({"processId": null, "rootUri": root, "capabilities": {}}),
        );
        assert_eq!(r["capabilities"]["hoverProvider"], json!(true));
        self.notify("initialized", json!({}));
    }

    fn file(&self, name: &str) -> String {
        uri(&self.root.join(name))
    }

    /// The next diagnostics published for `file` that pass `keep`.
    fn diagnostics(&mut self, file: &str, keep: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let target = self.file(file);
        let deadline = Instant::now() + WAIT;
        let mut seen = std::mem::take(&mut self.notes);
        loop {
            while let Some(pos) = seen.iter().position(|m| {
                m["method"] == "textDocument/publishDiagnostics"
                    && m["params"]["uri"] == target.as_str()
            }) {
                let m = seen.remove(pos);
                let d = m["params"]["diagnostics"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                if keep(&d) {
                    self.notes = seen;
                    return d;
                }
            }
            seen.push(self.recv(deadline));
        }
    }

    fn open(&mut self, name: &str, text: &str) {
        let u = self.file(name);
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": u, "languageId": "pol", "version": 1, "text": text}}),
        );
    }

    fn change(&mut self, name: &str, text: &str) {
        let u = self.file(name);
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": u, "version": 2}, "contentChanges": [{"text": text}]}),
        );
    }

    /// The position of the `n`th character after the first `marker` in `text`.
    fn pos(text: &str, marker: &str, n: usize) -> Value {
        let at = text.find(marker).unwrap() + n;
        let line = text[..at].matches('\n').count();
        // LSP columns count UTF-16 units.
        let col = text[text[..at].rfind('\n').map_or(0, |i| i + 1)..at]
            .encode_utf16()
            .count();
        json!({"line": line, "character": col})
    }

    fn at(&self, name: &str, text: &str, marker: &str, n: usize) -> Value {
        json!({"textDocument": {"uri": self.file(name)}, "position": Client::pos(text, marker, n)})
    }

    fn stop(mut self) {
        let r = self.call("shutdown", Value::Null);
        assert_eq!(r["result"], Value::Null);
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "exit after shutdown is status 0");
                break;
            }
            assert!(Instant::now() < deadline, "the server exits");
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn codes(d: &[Value]) -> Vec<String> {
    d.iter()
        .map(|x| x["code"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn diagnostics_follow_edits_across_files() {
    let mut c = Client::start(workspace("diag"), &[]);
    c.init();
    // The folder is the workspace: both files are checked, and they are clean.
    assert!(c.diagnostics("a.pol", |_| true).is_empty());
    assert!(c.diagnostics("b.pol", |_| true).is_empty());
    c.open("b.pol", B);
    // A typo in b.pol: the code, the message and the help of `polc check`.
    let typo = B.replace("includes viewer", "includes viewr");
    c.change("b.pol", &typo);
    let d = c.diagnostics("b.pol", |d| !d.is_empty());
    assert_eq!(codes(&d), ["E0202"], "{d:?}");
    assert!(
        d[0]["message"]
            .as_str()
            .unwrap()
            .contains("did you mean `viewer`?"),
        "{d:?}"
    );
    assert_eq!(d[0]["range"]["start"], Client::pos(&typo, "viewr", 0));
    assert_eq!(d[0]["source"], "polc");
    // Hover over the diagnostic: its code's explanation.
    let h = c.result("textDocument/hover", c.at("b.pol", &typo, "viewr", 2));
    let text = h["contents"]["value"].as_str().unwrap();
    assert!(text.contains("**E0202**: unknown role"), "{text}");
    // The quick fix takes the help's suggestion.
    let mut at = c.at("b.pol", &typo, "viewr", 0);
    at["range"] = json!({"start": at["position"], "end": at["position"]});
    at["context"] = json!({"diagnostics": []});
    let actions = c.result("textDocument/codeAction", at);
    assert_eq!(
        actions[0]["title"], "replace `viewr` with `viewer`",
        "{actions}"
    );
    let edit = &actions[0]["edit"]["changes"][c.file("b.pol")][0];
    assert_eq!(edit["newText"], "viewer");
    // Columns in UTF-16 units, after characters of two and four bytes.
    let wide = B.replace("includes viewer", "/* \u{e9}\u{1F600} */ includes viewr");
    c.change("b.pol", &wide);
    let d = c.diagnostics("b.pol", |d| {
        d.iter()
            .any(|x| x["range"]["start"]["character"] != json!(23))
    });
    assert_eq!(
        d[0]["range"]["start"],
        Client::pos(&wide, "viewr", 0),
        "{d:?}"
    );
    // 33 characters, 36 bytes, 34 UTF-16 units.
    assert_eq!(d[0]["range"]["start"]["character"], json!(34));
    // A read of an optional attribute without `has`: the guard as a fix.
    let unguarded = B.replace("resource.impact == \"high\"", "resource.notes == \"x\"");
    c.change("b.pol", &unguarded);
    let d = c.diagnostics("b.pol", |d| codes(d) == ["E0402"]);
    let mut at = c.at("b.pol", &unguarded, "resource.notes", 0);
    at["range"] = d[0]["range"].clone();
    at["context"] = json!({"diagnostics": []});
    let actions = c.result("textDocument/codeAction", at);
    assert_eq!(
        actions[0]["title"], "guard the read with `resource has notes`",
        "{actions}"
    );
    let edit = &actions[0]["edit"]["changes"][c.file("b.pol")][0];
    assert_eq!(
        edit["newText"],
        "(resource has notes && resource.notes == \"x\")"
    );
    // Fixed in b.pol; then a change in a.pol breaks b.pol: diagnostics of the other file follow.
    c.change("b.pol", B);
    assert!(c.diagnostics("b.pol", |d| d.is_empty()).is_empty());
    c.open("a.pol", A);
    c.change("a.pol", &A.replace("role admin", "role boss"));
    let d = c.diagnostics("b.pol", |d| !d.is_empty());
    assert!(codes(&d).contains(&"E0202".to_string()), "{d:?}");
    // A syntax error: the missing `;` and its fix.
    let broken = A.replace("manage, view;", "manage, view");
    c.change("a.pol", &broken);
    let d = c.diagnostics("a.pol", |d| codes(d).contains(&"E0101".to_string()));
    assert!(
        d[0]["message"].as_str().unwrap().contains("add `;`"),
        "{d:?}"
    );
    let mut at = c.at("a.pol", &broken, "manage, view", 12);
    at["range"] = d[0]["range"].clone();
    at["context"] = json!({"diagnostics": []});
    let actions = c.result("textDocument/codeAction", at);
    assert_eq!(actions[0]["title"], "add `;`", "{actions}");
    c.stop();
}

#[test]
fn hover_definition_references_and_completion() {
    let mut c = Client::start(workspace("nav"), &[]);
    c.init();
    c.open("b.pol", B);
    // A role from another file: its doc comment, effective permissions, the roles above it.
    let h = c.result("textDocument/hover", c.at("b.pol", B, "from admin", 5));
    let text = h["contents"]["value"].as_str().unwrap();
    assert!(text.contains("Runs the organization."), "{text}");
    assert!(
        text.contains("effective permissions: `manage`, `view`"),
        "{text}"
    );
    let h = c.result("textDocument/hover", c.at("b.pol", B, "grants view,", 7));
    let text = h["contents"]["value"].as_str().unwrap();
    assert!(
        text.contains("granted by roles: `owner`, `viewer`"),
        "{text}"
    );
    let h = c.result("textDocument/hover", c.at("b.pol", B, "resource.impact", 9));
    assert!(
        h["contents"]["value"]
            .as_str()
            .unwrap()
            .contains(r#""low" | "high""#),
        "{h}"
    );
    let h = c.result(
        "textDocument/hover",
        c.at("b.pol", B, "includes viewer", 11),
    );
    assert!(
        h["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("implied by: `owner`"),
        "{h}"
    );
    // Definition across files, references inside facts and tests.
    let d = c.result("textDocument/definition", c.at("b.pol", B, "is admin", 3));
    assert_eq!(d[0]["uri"], c.file("a.pol"));
    assert_eq!(d[0]["range"]["start"], Client::pos(A, "admin {", 0));
    let mut p = c.at("b.pol", B, "role owner", 5);
    p["context"] = json!({"includeDeclaration": true});
    let r = c.result("textDocument/references", p);
    assert_eq!(
        r.as_array().unwrap().len(),
        2,
        "declaration and the test: {r}"
    );
    let d = c.result("textDocument/definition", c.at("b.pol", B, "use acme", 4));
    assert_eq!(d[0]["range"]["start"], Client::pos(B, "acme {", 0));
    // Completion by position.
    let edited = B.replace(
        "role viewer { grants view, users.*; }",
        "role viewer { includes o; }\n  forbid view when resource.",
    );
    c.change("b.pol", &edited);
    let labels = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|i| i["label"].as_str().unwrap().to_string())
            .collect()
    };
    let got = c.result(
        "textDocument/completion",
        c.at("b.pol", &edited, "includes o;", 10),
    );
    assert_eq!(labels(&got), ["owner"]);
    let got = c.result(
        "textDocument/completion",
        c.at("b.pol", &edited, "when resource.", 14),
    );
    assert_eq!(labels(&got), ["impact", "notes", "organization"]);
    let got = c.result(
        "textDocument/completion",
        c.at("b.pol", B, "from admin on organization", 14),
    );
    assert!(labels(&got).contains(&"organization".to_string()), "{got}");
    // After `from`: only the roles of types a relation path reaches (workspace -> organization),
    // not workspace's own roles.
    let got = c.result(
        "textDocument/completion",
        c.at("b.pol", B, "from admin on organization", 5),
    );
    assert_eq!(labels(&got), ["admin", "member"], "{got}");
    let got = c.result(
        "textDocument/completion",
        c.at("b.pol", &edited, "alice is admin", 9),
    );
    assert!(labels(&got).contains(&"admin".to_string()), "{got}");
    c.stop();
}

/// Action properties are condition roots like the context: hover shows the declared type,
/// completion after `action.` lists the properties, and `action` is offered in a rule.
#[test]
fn action_properties_hover_and_complete() {
    const C: &str = r#"/// What a request says about its action.
action {
  soft?: bool;
  reason: string;
}

extend resource workspace {
  forbid delete unless action has soft && action.soft;
}
"#;
    let mut c = Client::start(workspace("action"), &[]);
    c.init();
    c.open("c.pol", C);
    let h = c.result("textDocument/hover", c.at("c.pol", C, "action.soft", 8));
    let text = h["contents"]["value"].as_str().unwrap();
    assert!(
        text.contains("**action property** `soft`: `bool`"),
        "{text}"
    );
    let d = c.result(
        "textDocument/definition",
        c.at("c.pol", C, "action.soft", 8),
    );
    assert_eq!(d[0]["range"]["start"], Client::pos(C, "soft?", 0));
    let edited = C.replace("action has soft && action.soft;", "action.");
    c.change("c.pol", &edited);
    let got = c.result(
        "textDocument/completion",
        c.at("c.pol", &edited, "unless action.", 14),
    );
    let labels: Vec<&str> = got
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["reason", "soft"], "{got}");
    c.stop();
}

#[test]
fn rename_formatting_symbols_and_tests() {
    let mut c = Client::start(workspace("edit"), &[]);
    c.init();
    c.open("b.pol", B);
    let p = |c: &Client, m: &str, n: usize, new: &str| {
        let mut p = c.at("b.pol", B, m, n);
        p["newName"] = json!(new);
        p
    };
    let r = c.result("textDocument/rename", p(&c, "role viewer", 5, "reader"));
    let edits = r["changes"][c.file("b.pol")].as_array().unwrap().clone();
    assert_eq!(edits.len(), 2, "{r}");
    assert!(edits.iter().all(|e| e["newText"] == "reader"));
    // Refused where it would change meaning.
    let e = c.call("textDocument/rename", p(&c, "role viewer", 5, "owner"));
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("already has a role `owner`"),
        "{e}"
    );
    let e = c.call("textDocument/rename", p(&c, "users.view", 0, "list"));
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("the pattern `users.*`"),
        "{e}"
    );
    let e = c.call("textDocument/rename", p(&c, "role viewer", 5, "not a name"));
    assert!(e["error"].is_object(), "{e}");
    // Renaming a role of a.pol from its use in b.pol edits both files.
    let r = c.result("textDocument/rename", p(&c, "from admin", 5, "boss"));
    assert_eq!(
        r["changes"][c.file("a.pol")].as_array().unwrap().len(),
        1,
        "{r}"
    );
    assert_eq!(
        r["changes"][c.file("b.pol")].as_array().unwrap().len(),
        2,
        "{r}"
    );
    // Formatting: the canonical layout as one edit; none when already formatted.
    let messy = "resource   doc {permissions view; role r {grants view;}}\n";
    c.open("c.pol", messy);
    let f = c.result("textDocument/formatting", json!({"textDocument": {"uri": c.file("c.pol")}, "options": {"tabSize": 2, "insertSpaces": true}}));
    let formatted = f[0]["newText"].as_str().unwrap().to_string();
    assert!(formatted.starts_with("resource doc {\n"), "{formatted}");
    c.change("c.pol", &formatted);
    let f = c.result("textDocument/formatting", json!({"textDocument": {"uri": c.file("c.pol")}, "options": {"tabSize": 2, "insertSpaces": true}}));
    assert_eq!(f, json!([]));
    c.change("c.pol", "actor user");
    let e = c.call("textDocument/formatting", json!({"textDocument": {"uri": c.file("c.pol")}, "options": {"tabSize": 2, "insertSpaces": true}}));
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("syntax errors"),
        "{e}"
    );
    c.change("c.pol", &formatted);
    // The outline and semantic tokens.
    let s = c.result(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": c.file("b.pol")}}),
    );
    assert_eq!(s[0]["name"], "workspace");
    let children: Vec<&str> = s[0]["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert!(
        children.contains(&"owner") && children.contains(&"impact"),
        "{children:?}"
    );
    let t = c.result(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": c.file("b.pol")}}),
    );
    let data = t["data"].as_array().unwrap();
    assert_eq!(data.len() % 5, 0);
    // The first token is `resource` (keyword, 0), then `workspace` (type, 1).
    assert_eq!(
        &data[..10],
        &[
            json!(0),
            json!(0),
            json!(8),
            json!(0),
            json!(0),
            json!(0),
            json!(9),
            json!(9),
            json!(1),
            json!(0)
        ]
    );
    // The code lens above the test runs it.
    let lenses = c.result(
        "textDocument/codeLens",
        json!({"textDocument": {"uri": c.file("b.pol")}}),
    );
    let cmd = lenses[0]["command"].clone();
    assert_eq!(cmd["command"], "polc.runTests");
    let r = c.result(
        "workspace/executeCommand",
        json!({"command": cmd["command"], "arguments": cmd["arguments"]}),
    );
    assert_eq!(r["passed"], 1, "{r}");
    assert_eq!(r["tests"][0]["name"], "admins own workspaces");
    let failing = B.replace(
        "assert can user:alice delete",
        "assert cannot user:alice delete",
    );
    c.change("b.pol", &failing);
    let r = c.result(
        "workspace/executeCommand",
        json!({"command": "polc.runTests", "arguments": [c.file("b.pol")]}),
    );
    assert_eq!(r["failed"], 1, "{r}");
    assert_eq!(r["tests"][0]["passed"], false);
    c.stop();
}

#[test]
fn test_lenses_mark_each_test_and_each_failed_step() {
    let mut c = Client::start(workspace("marks"), &[]);
    let root = uri(&c.root);
    let r = c.result(
        "initialize",
        json!({"processId": null, "rootUri": root,
               "capabilities": {"workspace": {"codeLens": {"refreshSupport": true}}}}),
    );
    assert!(r["capabilities"]["codeLensProvider"].is_object());
    c.notify("initialized", json!({}));
    let two = format!(
        "{B}\ntest \"viewers cannot delete\" {{\n  use acme;\n  assert can user:alice view workspace:ml;\n  assert can user:bob delete workspace:ml;\n}}\n"
    );
    c.open("b.pol", &two);
    let lens = |c: &mut Client| {
        c.result(
            "textDocument/codeLens",
            json!({"textDocument": {"uri": c.file("b.pol")}}),
        )
        .as_array()
        .unwrap()
        .clone()
    };
    let titles = |l: &[Value]| -> Vec<String> {
        l.iter()
            .map(|x| x["command"]["title"].as_str().unwrap().to_string())
            .collect()
    };
    // Before any run: a run lens per test, and one that runs the file.
    let before = lens(&mut c);
    assert_eq!(
        titles(&before),
        [
            "\u{25b6} run test",
            "\u{25b6} run all 2 tests",
            "\u{25b6} run test"
        ]
    );
    assert_eq!(
        before[1]["command"]["arguments"].as_array().unwrap().len(),
        1
    );
    // Run the file: each test gets its own mark, and the failed step its own lens.
    let r = c.result(
        "workspace/executeCommand",
        json!({"command": "polc.runTests", "arguments": [c.file("b.pol")]}),
    );
    assert_eq!(
        (r["passed"].clone(), r["failed"].clone()),
        (json!(1), json!(1)),
        "{r}"
    );
    // The server asks the client to fetch the lenses again.
    let deadline = Instant::now() + WAIT;
    let asked = loop {
        if let Some(i) = c
            .notes
            .iter()
            .position(|m| m["method"] == "workspace/codeLens/refresh")
        {
            break c.notes.remove(i);
        }
        let m = c.recv(deadline);
        c.notes.push(m);
    };
    assert!(asked["id"].is_string(), "a request, with an id: {asked}");
    let after = lens(&mut c);
    let t = titles(&after);
    assert_eq!(
        t[0], "\u{2714} passed (2 assertions) \u{00b7} run again",
        "{t:?}"
    );
    assert_eq!(t[1], "1 of 2 tests passed \u{00b7} run all", "{t:?}");
    assert_eq!(
        t[2], "\u{2718} failed: 1 of 2 assertions \u{00b7} run again",
        "{t:?}"
    );
    assert_eq!(t.len(), 4, "{t:?}");
    assert!(
        t[3].starts_with("\u{2718} expected allow, got deny"),
        "{t:?}"
    );
    // The failure's lens sits on the failed assertion's line.
    let line = two
        .lines()
        .position(|l| l.contains("user:bob delete"))
        .unwrap();
    assert_eq!(after[3]["range"]["start"]["line"], json!(line));
    // An edit drops the marks: they were for the text that ran.
    c.change("b.pol", &two.replace("user:bob", "user:alice"));
    assert_eq!(titles(&lens(&mut c))[0], "\u{25b6} run test");
    c.stop();
}

#[test]
fn broken_and_hostile_input_never_ends_the_session() {
    let mut c = Client::start(
        workspace("hostile"),
        &[("POLC_LSP_TEST_PANIC", "textDocument/hover")],
    );
    // Before `initialize`: refused, not a crash.
    let e = c.call("textDocument/hover", json!({}));
    assert_eq!(e["error"]["code"], -32002);
    c.init();
    // Garbage: a body that is not JSON, a bad header; each gets a parse error.
    c.raw(b"Content-Length: 5\r\n\r\n{{{{{");
    c.raw(b"Content-Length: nope\r\n\r\n");
    let deadline = Instant::now() + WAIT;
    let mut parse_errors = 0;
    while parse_errors < 2 {
        let m = c.recv(deadline);
        if m["error"]["code"] == -32700 {
            parse_errors += 1;
        }
    }
    let e = c.call("no/such/method", json!({}));
    assert_eq!(e["error"]["code"], -32601);
    let e = c.call("textDocument/definition", json!({"textDocument": 7}));
    assert_eq!(e["error"]["code"], -32602);
    let e = c.call("textDocument/definition", json!({"textDocument": {"uri": "file:///nowhere.pol"}, "position": {"line": 0, "character": 0}}));
    assert!(e["error"].is_object(), "{e}");
    // Hostile text: deep nesting, stray bytes, huge positions.
    let hostile = format!(
        "{}\u{0}\u{FEFF}\"open {}",
        "(".repeat(5000),
        "é😀".repeat(100)
    );
    c.open("h.pol", &hostile);
    let r = c.result("textDocument/definition", json!({"textDocument": {"uri": c.file("h.pol")}, "position": {"line": 999999, "character": 4294967295u32}}));
    assert_eq!(r, json!([]));
    let r = c.result("textDocument/completion", json!({"textDocument": {"uri": c.file("h.pol")}, "position": {"line": 0, "character": 5003}}));
    assert!(r.is_array());
    let r = c.result(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": c.file("h.pol")}}),
    );
    assert!(r["data"].is_array());
    let d = c.diagnostics("h.pol", |d| !d.is_empty());
    assert!(!d.is_empty());
    // A handler that panics: an internal error, and the server answers the next request.
    let e = c.call("textDocument/hover", c.at("b.pol", B, "role owner", 5));
    assert_eq!(e["error"]["code"], -32603, "{e}");
    let r = c.result("textDocument/definition", c.at("b.pol", B, "role owner", 5));
    assert!(r.is_array());
    c.stop();
}

/// The publications for `file` among the notifications received so far.
fn published_for(c: &Client, file: &str) -> Vec<Vec<Value>> {
    let target = c.file(file);
    c.notes
        .iter()
        .filter(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == target.as_str()
        })
        .map(|m| {
            m["params"]["diagnostics"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .collect()
}

/// The codes `polc check ROOT --format json` reports for the file whose path ends with `name`.
fn check_codes(root: &Path, name: &str) -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_polc"))
        .arg("check")
        .arg(root)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["file"].as_str().is_some_and(|f| f.ends_with(name)))
        .map(|d| d["code"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn a_folder_of_policies_is_checked_one_policy_at_a_time() {
    const TYPES: &str =
        "actor user;\n\nresource doc {\n  permissions view;\n  role reader { grants view; }\n}\n";
    const FOLDERS: &str = "resource folder {\n  relation doc: doc;\n  permissions open;\n  role opener { grants open; from reader on doc; }\n}\n";
    // The same type names as `one/`: compiled together, they would be declared twice.
    const TWO: &str =
        "actor user;\n\nresource doc {\n  permissions edit;\n  role writer { grants edit; }\n}\n";
    let root = std::env::temp_dir().join(format!("polc-lsp-policies-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("one")).unwrap();
    std::fs::create_dir_all(root.join("two")).unwrap();
    std::fs::write(root.join("one/types.pol"), TYPES).unwrap();
    std::fs::write(root.join("one/folders.pol"), FOLDERS).unwrap();
    std::fs::write(root.join("two/main.pol"), TWO).unwrap();
    // `polc check` splits the folder into two policies, each clean.
    assert!(check_codes(&root, ".pol").is_empty());
    let mut c = Client::start(root.clone(), &[]);
    c.init();
    for f in ["one/types.pol", "one/folders.pol", "two/main.pol"] {
        assert!(c.diagnostics(f, |_| true).is_empty(), "{f}");
    }
    // A change in one file of `one/` reaches the other file of `one/`, not `two/`.
    c.open("one/types.pol", TYPES);
    let renamed = TYPES.replace("role reader", "role readr");
    c.change("one/types.pol", &renamed);
    let d = c.diagnostics("one/folders.pol", |d| !d.is_empty());
    assert_eq!(codes(&d), ["E0202"], "{d:?}");
    // A request after the publication: every notification of that refresh has arrived.
    let _ = c.result(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": c.file("one/types.pol")}}),
    );
    assert!(
        published_for(&c, "two/main.pol").is_empty(),
        "{:?}",
        c.notes
    );
    c.notes.clear();
    // A mistake in `two/`: its own diagnostics, nothing more for `one/`.
    c.open("two/main.pol", TWO);
    let typo = TWO.replace("grants edit", "grants edt");
    c.change("two/main.pol", &typo);
    let d = c.diagnostics("two/main.pol", |d| !d.is_empty());
    assert_eq!(codes(&d), ["E0203"], "{d:?}");
    let _ = c.result(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": c.file("two/main.pol")}}),
    );
    assert!(
        published_for(&c, "one/folders.pol").is_empty(),
        "{:?}",
        c.notes
    );
    assert!(
        published_for(&c, "one/types.pol").is_empty(),
        "{:?}",
        c.notes
    );
    // Both fixed.
    c.change("one/types.pol", TYPES);
    assert!(
        c.diagnostics("one/folders.pol", |d| d.is_empty())
            .is_empty()
    );
    c.change("two/main.pol", TWO);
    assert!(c.diagnostics("two/main.pol", |d| d.is_empty()).is_empty());
    // A `.pol` file of the folder's own makes the folder one policy (the rule of `polc
    // check`): the two policies' declarations now meet, as `polc check` reports them.
    std::fs::write(root.join("shared.pol"), "actor robot;\n").unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": c.file("shared.pol"), "type": 1}]}),
    );
    let d = c.diagnostics("two/main.pol", |d| !d.is_empty());
    assert_eq!(codes(&d), ["E0206", "E0206"], "{d:?}");
    assert_eq!(codes(&d), check_codes(&root, "two/main.pol"));
    // It goes: two policies again, each clean.
    std::fs::remove_file(root.join("shared.pol")).unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": c.file("shared.pol"), "type": 3}]}),
    );
    assert!(c.diagnostics("two/main.pol", |d| d.is_empty()).is_empty());
    assert!(check_codes(&root, "two/main.pol").is_empty());
    c.stop();
}

#[path = "../benches/common/big_policy.rs"]
mod big_policy;

/// How long diagnostics take on a 100,000-line workspace (10 files), from an edit to the
/// published list, and how long requests wait. Prints the figures (medians of 5 edits):
/// `cargo test --release --test lsp -- --ignored --nocapture` (the figures in
/// docs/performance.md). `POLC_LSP_BIN=path` measures another build of polc.
#[test]
#[ignore]
fn diagnostics_on_a_large_workspace() {
    let text = big_policy::big_policy(100_000);
    let dir = std::env::temp_dir().join(format!("polc-lsp-big-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // Ten files, split between top-level items (a line that starts a declaration).
    let lines: Vec<&str> = text.lines().collect();
    let mut cuts = vec![0];
    for k in 1..10 {
        let mut at = lines.len() * k / 10;
        while at < lines.len() && !lines[at].starts_with("resource") {
            at += 1;
        }
        cuts.push(at);
    }
    cuts.push(lines.len());
    for k in 0..10 {
        let body = lines[cuts[k]..cuts[k + 1]].join("\n");
        std::fs::write(dir.join(format!("f{k}.pol")), body + "\n").unwrap();
    }
    let median = |mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    // The name index alone: every refresh builds it again from the ASTs of all the files of
    // the policy (docs/editors.md, "Performance").
    let mut sources = polc::source::SourceMap::new();
    for k in 0..10 {
        let name = format!("f{k}.pol");
        sources.add(
            name.clone(),
            std::fs::read_to_string(dir.join(&name)).unwrap(),
        );
    }
    let compiled = polc::compile_sources(sources);
    let mut builds = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let ix = polc::lsp::index::Index::new(&compiled.files, |s| {
            compiled.sources.slice(s).to_string()
        });
        builds.push(t.elapsed());
        assert!(!ix.occurrences.is_empty());
    }
    println!(
        "name index of 100,000 lines (all ten files): {:?}",
        median(builds)
    );
    let started = Instant::now();
    let mut c = Client::start(dir.clone(), &[]);
    c.init();
    let d = c.diagnostics("f9.pol", |_| true);
    assert!(d.is_empty(), "{d:?}");
    println!(
        "first diagnostics of 100,000 lines: {:?}",
        started.elapsed()
    );
    let f5 = std::fs::read_to_string(dir.join("f5.pol")).unwrap();
    c.open("f5.pol", &f5);
    let broken = f5.replacen("includes", "includes nosuchrole,", 1);
    // An edit that breaks the policy, then one that fixes it: each publishes.
    let (mut edits, mut fixes) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        let t = Instant::now();
        c.change("f5.pol", &broken);
        let d = c.diagnostics("f5.pol", |d| !d.is_empty());
        edits.push(t.elapsed());
        assert_eq!(codes(&d), ["E0202"]);
        let t = Instant::now();
        c.change("f5.pol", &f5);
        c.diagnostics("f5.pol", |d| d.is_empty());
        fixes.push(t.elapsed());
    }
    println!(
        "diagnostics after an edit (150 ms debounce included): {:?} (breaking), {:?} (fixing)",
        median(edits),
        median(fixes)
    );
    // A code action compiles pending edits before it answers: the compile alone.
    let action = |c: &Client| {
        json!({"textDocument": {"uri": c.file("f5.pol")},
               "range": {"start": {"line": 3, "character": 0}, "end": {"line": 3, "character": 0}},
               "context": {"diagnostics": []}})
    };
    let (mut compiles, mut layouts, mut completions) = (Vec::new(), Vec::new(), Vec::new());
    for k in 0..5 {
        let edited = f5.replacen("p0", &format!("p0 {}", "\n".repeat(k % 2)), 1);
        let edited = edited.replacen("includes", "includes nosuchrole,", k % 2);
        c.change("f5.pol", &edited);
        let t = Instant::now();
        let _ = c.result("textDocument/codeAction", action(&c));
        compiles.push(t.elapsed());
        // Layout only: a comment and blank lines.
        let commented = format!("// edit {k}\n\n{edited}");
        c.change("f5.pol", &commented);
        let t = Instant::now();
        let _ = c.result("textDocument/codeAction", action(&c));
        layouts.push(t.elapsed());
        // Completion right after an edit does not wait for its compile.
        let typed = commented.replacen("includes", "includes r", 1);
        c.change("f5.pol", &typed);
        let t = Instant::now();
        let got = c.result(
            "textDocument/completion",
            c.at("f5.pol", &typed, "includes r", 10),
        );
        completions.push(t.elapsed());
        assert!(!got.as_array().unwrap().is_empty(), "{got}");
    }
    println!(
        "compile after an edit (no debounce): {:?}; after a layout-only edit: {:?}; \
         completion right after an edit: {:?}",
        median(compiles),
        median(layouts),
        median(completions)
    );
    let t = Instant::now();
    let _ = c.result(
        "textDocument/hover",
        json!({"textDocument": {"uri": c.file("f5.pol")}, "position": {"line": 3, "character": 8}}),
    );
    println!("hover: {:?}", t.elapsed());
    c.stop();
}

/// The editor shows what `polc check` reports: the project's `polc.toml` levels (a warning
/// turned off, one raised to an error) and the inline allows apply to the published
/// diagnostics, and a change of the text is judged under them too.
#[test]
fn published_diagnostics_follow_polc_toml_and_inline_allows() {
    const DOC: &str = "actor user;\n\nresource doc {\n  permissions view, share;\n  role Viewer { grants view; }\n  // polc: allow W0107\n  role Editor { grants view; }\n}\n";
    let dir = std::env::temp_dir().join(format!("polc-lsp-levels-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("doc.pol"), DOC).unwrap();
    std::fs::write(
        dir.join("polc.toml"),
        "[severity]\nW0101 = \"off\"\nW0107 = \"error\"\n",
    )
    .unwrap();
    // `polc check` in that folder: the same judgement.
    let check = Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(["check", "doc.pol", "--color", "never"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&check.stderr).to_string()
        + &String::from_utf8_lossy(&check.stdout);
    assert!(
        out.contains("W0107") && !out.contains("W0101") && out.contains("1 error"),
        "{out}"
    );
    let mut c = Client::start(dir, &[]);
    c.init();
    let d = c.diagnostics("doc.pol", |d| !d.is_empty());
    assert_eq!(codes(&d), ["W0107"], "{d:?}");
    assert_eq!(d[0]["severity"], 1, "raised to an error: {d:?}");
    assert_eq!(d[0]["range"]["start"], Client::pos(DOC, "Viewer", 0));
    // An edit: the new name is allowed inline too, and nothing is left.
    c.open("doc.pol", DOC);
    let fixed = DOC.replace("  role Viewer", "  // polc: allow W0107\n  role Viewer");
    c.change("doc.pol", &fixed);
    let d = c.diagnostics("doc.pol", |d| d.is_empty());
    assert!(d.is_empty());
    c.stop();
}

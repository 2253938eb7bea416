//! `polc lsp`: the Language Server Protocol over stdio, for a workspace of `.pol` files.
//!
//! A thin adapter over the library: diagnostics are [`crate::compile_sources`]'s, completion
//! is the REPL's ([`crate::repl::complete`]) where facts and queries are written, formatting is
//! [`crate::tools::fmt`], tests run through [`crate::testing`]. The names and where they are
//! written come from [`index::Index`], built from the ASTs so that it works while the policy has
//! errors. Everything is synchronous: one thread reads stdin, the main loop answers in order.
//! Diagnostics are computed once the edits have paused ([`DEBOUNCE`]), incrementally
//! ([`crate::incremental`]: only changed files are parsed again, only changed policies compiled).
//! Completion, and hover and the like on a document whose text is the one last compiled, are
//! answered from the last analysis without waiting (`features::answers_now`); other requests
//! compile pending edits first, so that their edits and positions match the latest text. A handler that panics is logged and
//! answered with an error; the server keeps going.

mod completion;
mod features;
mod fixes;
pub mod index;
pub mod position;
mod roles;
mod symbols;
pub mod transport;
pub mod workspace;

use lsp_server::{Message, Notification, Request, RequestId, Response};
use serde_json::Value;
use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};
use transport::Incoming;
use workspace::Workspace;

/// How long edits must pause before diagnostics are computed.
pub const DEBOUNCE: Duration = Duration::from_millis(150);

/// An error answer: a JSON-RPC code and a message for the author.
#[derive(Debug)]
pub struct Failure {
    /// The JSON-RPC error code (`-32803` RequestFailed, `-32602` InvalidParams).
    pub code: i32,
    /// What went wrong, for the author (the editor shows it).
    pub message: String,
}

impl Failure {
    /// `RequestFailed`: the request was understood but cannot be done (a refused rename).
    pub fn refused(message: impl Into<String>) -> Failure {
        Failure {
            code: -32803,
            message: message.into(),
        }
    }

    /// `InvalidParams`: the request's parameters do not fit (a position outside the document).
    pub fn invalid_params(message: impl Into<String>) -> Failure {
        Failure {
            code: -32602,
            message: message.into(),
        }
    }
}

struct Server<W: Write> {
    out: W,
    workspace: Option<Workspace>,
    shutdown: bool,
    /// When the pending diagnostics are due.
    due: Option<Instant>,
    /// Requests sent to the client so far (their ids).
    sent: u64,
}

fn log(message: &str) {
    eprintln!("polc lsp: {message}");
}

/// Runs the server on stdin/stdout until `exit`. Returns the process exit status: 0 after a
/// `shutdown`, 1 when the input ended or `exit` came without one.
pub fn run_stdio() -> i32 {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || transport::read_loop(std::io::stdin().lock(), tx));
    let mut server = Server {
        out: std::io::stdout().lock(),
        workspace: None,
        shutdown: false,
        due: None,
        sent: 0,
    };
    loop {
        let next = match server.due {
            Some(due) => rx.recv_timeout(due.saturating_duration_since(Instant::now())),
            None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        match next {
            Err(RecvTimeoutError::Timeout) => server.publish(),
            Err(RecvTimeoutError::Disconnected) | Ok(Incoming::Closed) => {
                return i32::from(!server.shutdown);
            }
            Ok(Incoming::Malformed(why)) => {
                log(&why);
                if transport::write_parse_error(&mut server.out, &why).is_err() {
                    return 1;
                }
            }
            Ok(Incoming::Message(Message::Request(req))) => server.request(req),
            Ok(Incoming::Message(Message::Notification(n))) => {
                if n.method == "exit" {
                    return i32::from(!server.shutdown);
                }
                server.notification(n);
            }
            // Answers to requests the server sent: nothing waits for them.
            Ok(Incoming::Message(Message::Response(_))) => {}
        }
    }
}

impl<W: Write> Server<W> {
    fn send(&mut self, m: Message) {
        if transport::write(&mut self.out, &m).is_err() {
            log("cannot write to standard output");
        }
    }

    fn notify(&mut self, method: &str, params: impl serde::Serialize) {
        self.send(Message::Notification(Notification::new(
            method.into(),
            params,
        )));
    }

    fn answer(&mut self, id: RequestId, result: Result<Value, Failure>) {
        let r = match result {
            Ok(v) => Response::new_ok(id, v),
            Err(f) => Response::new_err(id, f.code, f.message),
        };
        self.send(Message::Response(r));
    }

    /// Computes and sends the diagnostics that changed.
    fn publish(&mut self) {
        self.due = None;
        let Some(ws) = self.workspace.as_mut() else {
            return;
        };
        let changed = match catch_unwind(AssertUnwindSafe(|| ws.refresh())) {
            Ok(c) => c,
            Err(_) => {
                log("computing diagnostics failed (a bug: please report it)");
                return;
            }
        };
        for (name, reuse, took) in &ws.last {
            log(&format!(
                "compiled the policy of `{name}` in {took:.1?}: {} files parsed, {} kept, {}",
                reuse.parsed,
                reuse.kept,
                if reuse.checked {
                    "checked"
                } else {
                    "layout only: checks carried over"
                }
            ));
        }
        for (uri, diagnostics) in changed {
            self.notify(
                "textDocument/publishDiagnostics",
                lsp_types::PublishDiagnosticsParams {
                    uri,
                    diagnostics,
                    version: None,
                },
            );
        }
    }

    fn request(&mut self, req: Request) {
        let Request { id, method, params } = req;
        if method == "initialize" {
            let result = self.initialize(params);
            self.answer(id, result);
            return;
        }
        if self.workspace.is_none() {
            let f = Failure {
                code: -32002,
                message: "the server is not initialized: send `initialize` first".into(),
            };
            return self.answer(id, Err(f));
        }
        if self.shutdown {
            let f = Failure {
                code: -32600,
                message: "the server is shut down: only `exit` is accepted".into(),
            };
            return self.answer(id, Err(f));
        }
        if method == "shutdown" {
            self.shutdown = true;
            return self.answer(id, Ok(Value::Null));
        }
        if self
            .workspace
            .as_ref()
            .is_some_and(|ws| ws.is_dirty() && !features::answers_now(ws, &method, &params))
        {
            self.publish();
        }
        let Some(ws) = self.workspace.as_mut() else {
            return;
        };
        let result = catch_unwind(AssertUnwindSafe(|| {
            test_panic(&method);
            features::request(ws, &method, params)
        }));
        let result = match result {
            Ok(Ok((value, notes))) => {
                for note in notes {
                    match note {
                        features::Outgoing::Notification(method, params) => {
                            self.notify(&method, params)
                        }
                        features::Outgoing::Request(method, params) => {
                            self.sent += 1;
                            let id = RequestId::from(format!("polc-{}", self.sent));
                            self.send(Message::Request(Request::new(id, method, params)));
                        }
                    }
                }
                Ok(value)
            }
            Ok(Err(f)) => Err(f),
            Err(_) => {
                log(&format!(
                    "the handler of `{method}` failed (a bug: please report it)"
                ));
                Err(Failure {
                    code: -32603,
                    message: format!(
                        "internal error in `{method}`: the server logged it and goes on"
                    ),
                })
            }
        };
        self.answer(id, result);
    }

    fn initialize(&mut self, params: Value) -> Result<Value, Failure> {
        if self.workspace.is_some() {
            return Err(Failure {
                code: -32600,
                message: "`initialize` was already sent".into(),
            });
        }
        let params: lsp_types::InitializeParams = serde_json::from_value(params)
            .map_err(|e| Failure::invalid_params(format!("bad `initialize` parameters: {e}")))?;
        let mut roots: Vec<PathBuf> = params
            .workspace_folders
            .unwrap_or_default()
            .iter()
            .filter_map(|f| f.uri.to_file_path().ok())
            .collect();
        #[allow(deprecated)]
        if roots.is_empty()
            && let Some(root) = params.root_uri.and_then(|u| u.to_file_path().ok())
        {
            roots.push(root);
        }
        let mut ws = Workspace::new(roots);
        ws.lens_refresh = params
            .capabilities
            .workspace
            .as_ref()
            .and_then(|w| w.code_lens.as_ref())
            .and_then(|c| c.refresh_support)
            .unwrap_or(false);
        self.workspace = Some(ws);
        self.due = Some(Instant::now());
        Ok(serde_json::json!({
            "capabilities": features::capabilities(),
            "serverInfo": { "name": "polc", "version": env!("CARGO_PKG_VERSION") },
        }))
    }

    fn notification(&mut self, n: Notification) {
        let Some(ws) = self.workspace.as_mut() else {
            return;
        };
        let method = n.method.clone();
        let r = catch_unwind(AssertUnwindSafe(|| features::notification(ws, n)));
        match r {
            Ok(Ok(true)) => self.due = Some(Instant::now() + DEBOUNCE),
            Ok(Ok(false)) => {}
            Ok(Err(f)) => log(&format!("`{method}`: {}", f.message)),
            Err(_) => log(&format!(
                "the handler of `{method}` failed (a bug: please report it)"
            )),
        }
    }
}

/// A test seam: `POLC_LSP_TEST_PANIC=METHOD` makes the handler of METHOD panic, so that the
/// tests can see the server survive one.
#[allow(clippy::panic)]
fn test_panic(method: &str) {
    if std::env::var("POLC_LSP_TEST_PANIC").is_ok_and(|m| m == method) {
        panic!("POLC_LSP_TEST_PANIC: `{method}`");
    }
}

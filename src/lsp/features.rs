//! The requests and notifications the server answers, dispatched by method.

use super::position::LineIndex;
use super::workspace::{Analysis, Workspace};
use super::{Failure, completion, fixes, symbols};
use crate::source::FileId;
use lsp_server::Notification;
use lsp_types::{self as lsp, Url};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// The command that runs the `test` blocks of a file (a code lens above each test runs it).
pub const RUN_TESTS: &str = "polc.runTests";

pub fn capabilities() -> Value {
    json!({
        "textDocumentSync": { "openClose": true, "change": 1, "save": { "includeText": false } },
        "hoverProvider": true,
        "definitionProvider": true,
        "referencesProvider": true,
        "renameProvider": { "prepareProvider": true },
        "completionProvider": { "triggerCharacters": [".", ":", " "] },
        "documentFormattingProvider": true,
        "codeActionProvider": { "codeActionKinds": ["quickfix"] },
        "documentSymbolProvider": true,
        "semanticTokensProvider": {
            "legend": { "tokenTypes": symbols::TOKEN_TYPES, "tokenModifiers": [] },
            "full": true,
        },
        "codeLensProvider": { "resolveProvider": false },
        "executeCommandProvider": { "commands": [RUN_TESTS] },
    })
}

fn parse<P: DeserializeOwned>(params: Value) -> Result<P, Failure> {
    serde_json::from_value(params)
        .map_err(|e| Failure::invalid_params(format!("bad parameters: {e}")))
}

/// A message the server sends to the client along with an answer.
pub enum Outgoing {
    Notification(String, Value),
    /// A request whose answer nothing waits for (`workspace/codeLens/refresh`).
    Request(String, Value),
}

/// Messages to send along with an answer.
pub type Notes = Vec<Outgoing>;

/// The analysis of a document, or a failure that says why there is none.
fn analysis<'a>(ws: &'a Workspace, uri: &Url) -> Result<(&'a Analysis, FileId), Failure> {
    ws.find(uri).ok_or_else(|| {
        Failure::refused(format!(
            "`{uri}` is not a `.pol` file of the workspace: open it first"
        ))
    })
}

fn at<'a>(
    ws: &'a Workspace,
    p: &lsp::TextDocumentPositionParams,
) -> Result<(&'a Analysis, FileId, usize), Failure> {
    let (a, f) = analysis(ws, &p.text_document.uri)?;
    let offset = a.offset(f, p.position);
    Ok((a, f, offset))
}

/// A request that can be answered from the last analysis while edits wait to be compiled:
/// completion (from the current text and the last names), and requests about a document
/// whose last analysis has its current text. The others (rename, code actions, running
/// tests, ...) see every edit compiled first.
pub fn answers_now(ws: &Workspace, method: &str, params: &Value) -> bool {
    let Some(uri) = params
        .pointer("/textDocument/uri")
        .and_then(Value::as_str)
        .and_then(|u| Url::parse(u).ok())
    else {
        return false;
    };
    match method {
        "textDocument/completion" => ws.find(&uri).is_some(),
        "textDocument/hover"
        | "textDocument/definition"
        | "textDocument/references"
        | "textDocument/documentSymbol"
        | "textDocument/semanticTokens/full"
        | "textDocument/codeLens"
        | "textDocument/formatting" => ws.is_current(&uri),
        _ => false,
    }
}

/// Answers a request: its result, and notifications to send with it.
pub fn request(ws: &mut Workspace, method: &str, params: Value) -> Result<(Value, Notes), Failure> {
    let plain = |v: Value| Ok((v, Vec::new()));
    match method {
        "textDocument/hover" => {
            let p: lsp::HoverParams = parse(params)?;
            let (a, f, off) = at(ws, &p.text_document_position_params)?;
            plain(json!(symbols::hover(a, f, off)))
        }
        "textDocument/definition" => {
            let p: lsp::GotoDefinitionParams = parse(params)?;
            let (a, f, off) = at(ws, &p.text_document_position_params)?;
            plain(json!(symbols::definition(a, f, off)))
        }
        "textDocument/references" => {
            let p: lsp::ReferenceParams = parse(params)?;
            let (a, f, off) = at(ws, &p.text_document_position)?;
            plain(json!(symbols::references(
                a,
                f,
                off,
                p.context.include_declaration
            )))
        }
        "textDocument/prepareRename" => {
            let p: lsp::TextDocumentPositionParams = parse(params)?;
            let (a, f, off) = at(ws, &p)?;
            plain(json!(symbols::prepare_rename(a, f, off)?))
        }
        "textDocument/rename" => {
            let p: lsp::RenameParams = parse(params)?;
            let (a, f, off) = at(ws, &p.text_document_position)?;
            plain(json!(symbols::rename(a, f, off, &p.new_name)?))
        }
        "textDocument/completion" => {
            let p: lsp::CompletionParams = parse(params)?;
            let doc = &p.text_document_position;
            let (a, f) = analysis(ws, &doc.text_document.uri)?;
            // The text as it is now, which edits not yet compiled may have changed.
            let items = match ws.text(&doc.text_document.uri) {
                Some(now) if now != a.text(f) => {
                    let lines = LineIndex::new(now);
                    completion::complete(a, now, &lines, doc.position)
                }
                _ => match a.lines.get(f.0 as usize) {
                    Some(lines) => completion::complete(a, a.text(f), lines, doc.position),
                    None => Vec::new(),
                },
            };
            plain(json!(items))
        }
        "textDocument/formatting" => {
            let p: lsp::DocumentFormattingParams = parse(params)?;
            let (a, f) = analysis(ws, &p.text_document.uri)?;
            plain(json!(format(a, f)?))
        }
        "textDocument/codeAction" => {
            let p: lsp::CodeActionParams = parse(params)?;
            let (a, f) = analysis(ws, &p.text_document.uri)?;
            let start = a.offset(f, p.range.start);
            let end = a.offset(f, p.range.end);
            plain(json!(fixes::code_actions(a, f, start, end)))
        }
        "textDocument/documentSymbol" => {
            let p: lsp::DocumentSymbolParams = parse(params)?;
            let (a, f) = analysis(ws, &p.text_document.uri)?;
            plain(json!(symbols::document_symbols(a, f)))
        }
        "textDocument/semanticTokens/full" => {
            let p: lsp::SemanticTokensParams = parse(params)?;
            let (a, f) = analysis(ws, &p.text_document.uri)?;
            plain(json!(symbols::semantic_tokens(a, f)))
        }
        "textDocument/codeLens" => {
            let p: lsp::CodeLensParams = parse(params)?;
            let (a, f) = analysis(ws, &p.text_document.uri)?;
            plain(json!(code_lenses(a, f)))
        }
        "workspace/executeCommand" => {
            let p: lsp::ExecuteCommandParams = parse(params)?;
            if p.command != RUN_TESTS {
                return Err(Failure::invalid_params(format!(
                    "unknown command `{}`",
                    p.command
                )));
            }
            let uri = p
                .arguments
                .first()
                .and_then(|v| v.as_str())
                .and_then(|s| Url::parse(s).ok())
                .ok_or_else(|| {
                    Failure::invalid_params(format!(
                        "`{RUN_TESTS}` takes a document URI (and a test name)"
                    ))
                })?;
            let name = p
                .arguments
                .get(1)
                .and_then(|v| v.as_str())
                .map(str::to_string);
            let refresh = ws.lens_refresh;
            let (a, f) = ws.find_mut(&uri).ok_or_else(|| {
                Failure::refused(format!(
                    "`{uri}` is not a `.pol` file of the workspace: open it first"
                ))
            })?;
            let (result, summary) = run_tests(a, f, name.as_deref())?;
            let note = json!({ "type": 3, "message": summary });
            let mut notes = vec![Outgoing::Notification("window/showMessage".into(), note)];
            if refresh {
                notes.push(Outgoing::Request(
                    "workspace/codeLens/refresh".into(),
                    Value::Null,
                ));
            }
            Ok((result, notes))
        }
        _ => Err(Failure {
            code: -32601,
            message: format!("`{method}` is not supported"),
        }),
    }
}

/// Handles a notification; true when the diagnostics must be computed again.
pub fn notification(ws: &mut Workspace, n: Notification) -> Result<bool, Failure> {
    match n.method.as_str() {
        "textDocument/didOpen" => {
            let p: lsp::DidOpenTextDocumentParams = parse(n.params)?;
            ws.open(p.text_document.uri, p.text_document.text);
            Ok(true)
        }
        "textDocument/didChange" => {
            let p: lsp::DidChangeTextDocumentParams = parse(n.params)?;
            // Full sync: the last change holds the whole text.
            let Some(change) = p.content_changes.into_iter().last() else {
                return Ok(false);
            };
            if change.range.is_some() {
                return Err(Failure::invalid_params(
                    "incremental changes are not supported: the server asked for full text",
                ));
            }
            ws.change(&p.text_document.uri, change.text);
            Ok(true)
        }
        "textDocument/didClose" => {
            let p: lsp::DidCloseTextDocumentParams = parse(n.params)?;
            ws.close(&p.text_document.uri);
            Ok(true)
        }
        "textDocument/didSave" => {
            let p: lsp::DidSaveTextDocumentParams = parse(n.params)?;
            ws.reload(&p.text_document.uri);
            Ok(true)
        }
        "workspace/didChangeWatchedFiles" => {
            let p: lsp::DidChangeWatchedFilesParams = parse(n.params)?;
            for c in &p.changes {
                ws.reload(&c.uri);
            }
            Ok(!p.changes.is_empty())
        }
        _ => Ok(false),
    }
}

/// The whole document in the canonical layout (`polc fmt`), or no edit when it already is.
fn format(a: &Analysis, f: FileId) -> Result<Vec<lsp::TextEdit>, Failure> {
    let text = a.text(f);
    match crate::tools::fmt::format_source(f, text) {
        Ok(formatted) if formatted == text => Ok(Vec::new()),
        Ok(formatted) => Ok(vec![lsp::TextEdit {
            range: a.range(crate::source::Span::new(f, 0, text.len())),
            new_text: formatted,
        }]),
        Err(_) => Err(Failure::refused(format!(
            "`{}` has syntax errors: not formatted",
            a.compilation().sources.name(f)
        ))),
    }
}

fn code_lenses(a: &Analysis, f: FileId) -> Vec<lsp::CodeLens> {
    let Some(uri) = a.uri(f) else {
        return Vec::new();
    };
    let Some(file) = a.compilation().files.get(f.0 as usize) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let run = |title: String, test: Option<&str>| lsp::Command {
        title,
        command: RUN_TESTS.into(),
        arguments: Some(match test {
            Some(t) => vec![json!(uri.as_str()), json!(t)],
            None => vec![json!(uri.as_str())],
        }),
    };
    let tests: Vec<&crate::syntax::ast::TestBlock> = file
        .items
        .iter()
        .filter_map(|item| match item {
            crate::syntax::ast::Item::Test(t) => Some(t),
            _ => None,
        })
        .collect();
    for (i, t) in tests.iter().enumerate() {
        let name = t.name.value.as_str();
        let mark = a.marks.get(&(f, name.to_string()));
        let title = match mark {
            None => "\u{25b6} run test".to_string(),
            Some(m) if m.passed => format!(
                "\u{2714} passed ({}) \u{00b7} run again",
                plural(m.assertions, "assertion")
            ),
            Some(m) => format!(
                "\u{2718} failed: {} of {} \u{00b7} run again",
                m.failures.len(),
                plural(m.assertions, "assertion")
            ),
        };
        out.push(lsp::CodeLens {
            range: a.range(t.name.span),
            command: Some(run(title, Some(name))),
            data: None,
        });
        // The first test also runs the whole file.
        if i == 0 && tests.len() > 1 {
            let ran: Vec<&super::workspace::TestMark> = tests
                .iter()
                .filter_map(|t| a.marks.get(&(f, t.name.value.clone())))
                .collect();
            let title = if ran.len() == tests.len() {
                let passed = ran.iter().filter(|m| m.passed).count();
                format!("{passed} of {} tests passed \u{00b7} run all", tests.len())
            } else {
                format!("\u{25b6} run all {} tests", tests.len())
            };
            out.push(lsp::CodeLens {
                range: a.range(t.name.span),
                command: Some(run(title, None)),
                data: None,
            });
        }
        // Each failed step carries its own mark where it is written.
        for (span, why) in mark.map(|m| m.failures.as_slice()).unwrap_or_default() {
            if span.file == f {
                out.push(lsp::CodeLens {
                    range: a.range(*span),
                    command: Some(run(format!("\u{2718} {why}"), Some(name))),
                    data: None,
                });
            }
        }
    }
    out
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// Runs the tests of a file (or the one named): one entry per test, and a summary line.
fn run_tests(a: &mut Analysis, f: FileId, name: Option<&str>) -> Result<(Value, String), Failure> {
    // Explanations quote the policy's locations: those of the current text.
    a.make_exact();
    let Some(policy) = &a.compilation().policy else {
        return Err(Failure::refused(
            "the policy has errors: fix them before running its tests",
        ));
    };
    let c = a.compilation();
    let file_name = c.sources.name(f).to_string();
    let report = crate::testing::run(policy, &c.files, &c.sources, name);
    let tests: Vec<crate::testing::TestResult> = report
        .tests
        .into_iter()
        .filter(|t| t.file == file_name && name.is_none_or(|n| t.name == n))
        .collect();
    let passed = tests.iter().filter(|t| t.passed()).count();
    let entries: Vec<Value> = tests
        .iter()
        .map(|t| {
            json!({
                "name": t.name,
                "passed": t.passed(),
                "location": t.location,
                "assertions": t.assertions,
                "failures": t.failures.iter().map(|x| json!({
                    "location": x.location,
                    "statement": x.statement,
                    "expected": x.expected,
                    "actual": x.actual,
                    "why": x.why,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    for t in &tests {
        let mark = super::workspace::TestMark {
            passed: t.passed(),
            assertions: t.assertions,
            failures: t
                .failures
                .iter()
                .map(|x| (x.span, failure_line(x)))
                .collect(),
        };
        a.marks.insert((f, t.name.clone()), mark);
    }
    let mut summary = format!("{passed} of {} tests passed", tests.len());
    for t in tests.iter().filter(|t| !t.passed()) {
        summary.push_str(&format!("\nfailed: {}", t.name));
    }
    Ok((
        json!({ "passed": passed, "failed": tests.len() - passed, "tests": entries }),
        summary,
    ))
}

/// A failed step in one line: what was expected and what happened.
fn failure_line(x: &crate::testing::Failure) -> String {
    let mut line = format!("expected {}, got {}", x.expected, x.actual);
    if let Some(first) = x.why.first() {
        line.push_str(": ");
        line.push_str(first.lines().next().unwrap_or_default());
    }
    if line.chars().count() > 120 {
        line = line.chars().take(119).collect::<String>() + "\u{2026}";
    }
    line
}

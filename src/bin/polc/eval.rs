//! `polc eval`: decide requests given as JSON, one decision per line, each answered as it
//! arrives (a co-process can write a line and read its answer before writing the next).

use crate::output::{self, Color, Status};
use polc::diag::{Code, Diagnostic};
use polc::eval::assign::decide_assign_request;
use polc::eval::hints::UnknownEntities;
use polc::eval::request::RequestLines;
use polc::eval::{Context, Explainer, decide_with};
use polc::source::{FileId, SourceMap};
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::PathBuf;

pub const AFTER_HELP: &str = "\
Request JSON: {\"principal\": \"user:alice\", \"action\": \"delete\", \"resource\": \"workspace:ml\",
               \"context\": {\"now\": \"2026-11-23T10:00:00Z\", \"mfa\": true}, \"id\": 7}
Decision JSON, one line per request: {\"id\": 7, \"decision\": \"allow\" | \"deny\", \"reasons\": [...], \"errors\": [...]}
(\"id\" only when the request has one, echoed as written; \"reasons\" empty without --explain)
Assignment question (may owen assign operator on workspace:ml to bob?):
  {\"principal\": \"user:owen\", \"action\": {\"name\": \"assign\", \"properties\": {\"role\": \"operator\", \"assignee\": \"user:bob\"}},
   \"resource\": \"workspace:ml\"}

Examples:
  polc eval policies/ --data data.json --request '{\"principal\": \"user:alice\", \"action\": \"view\", \"resource\": \"workspace:ml\"}'
  polc eval policy.json --data data.json --requests requests.jsonl --explain
  my-service | polc eval policy.json --data data.json --requests - --context '{\"mfa\": true}'

Each line is answered as soon as it is read: the output is flushed whenever polc would wait for
more input. A field polc does not know is ignored with a warning on standard error (W0120;
refused with --strict, E0501). A denied request naming an entity the facts do not know gets
a warning with the nearest name (W0122; once per entity, at most 20 entities, then a count). A request whose context carries an undeclared field is decided
as a deny, with the problem in its \"errors\" (docs/language.md, \"Requests\").

Exit status: 0 when every request was decided (allow or deny), 1 when the policy or the data has
errors or a request is malformed (unknown type or permission, bad JSON), or with --fail-on-deny
when a request was denied; 2 when a file cannot be read.";

#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("input").required(true).args(["request", "requests"]))]
pub struct Args {
    /// Policy files or folders, or one compiled artifact (`polc compile`)
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Require an artifact signed with the matching private key (ed25519 public key, SPKI PEM)
    #[arg(long, value_name = "FILE")]
    verify_key: Option<PathBuf>,
    /// Facts: a JSON document or a `.pol` file of facts
    #[arg(long)]
    data: Option<PathBuf>,
    /// One request as JSON
    #[arg(long)]
    request: Option<String>,
    /// A file of requests, one JSON object per line (`-` for standard input)
    #[arg(long)]
    requests: Option<PathBuf>,
    /// Give the reasons of each decision (they cost more than the decision itself)
    #[arg(long)]
    explain: bool,
    /// Refuse a request with a field polc does not know, instead of ignoring it
    #[arg(long)]
    strict: bool,
    /// A JSON context object every request starts from (a request's own `context` is applied
    /// on top of it)
    #[arg(long, value_name = "JSON")]
    context: Option<String>,
    /// Exit with status 1 when a request is denied
    #[arg(long)]
    fail_on_deny: bool,
}

pub fn run(args: &Args, color: Color) -> Status {
    let mut loaded = match output::load_policy(&args.paths, args.verify_key.as_deref(), color) {
        Ok(l) => l,
        Err(s) => return s,
    };
    let facts = match output::load_data(&mut loaded, args.data.as_deref(), color) {
        Ok(f) => f,
        Err(s) => return s,
    };
    let policy = &loaded.policy;
    // The clock is read once: every request without its own `now` is decided at the start.
    let defaults = Context::from_facts(policy, &facts);
    let lines = match &args.context {
        None => RequestLines::new(defaults),
        Some(text) => {
            match RequestLines::with_context_json(policy, &facts, defaults, FileId(0), text) {
                Ok(l) => l,
                Err(d) => {
                    report(&d, "--context", text, color);
                    return Status::Usage;
                }
            }
        }
    };
    let mut eval = Eval {
        policy,
        facts: &facts,
        lines,
        args,
        color,
        out: BufWriter::with_capacity(64 * 1024, std::io::stdout().lock()),
        failed: false,
        denied: false,
        hints: UnknownEntities::default(),
    };
    let read = match (&args.request, &args.requests) {
        (Some(r), _) => {
            eval.line(&|| "--request".to_owned(), r);
            Ok(())
        }
        (None, Some(path)) if path.as_os_str() == "-" => eval.stream(
            "<stdin>",
            BufReader::with_capacity(64 * 1024, std::io::stdin()),
        ),
        (None, Some(path)) => match std::fs::File::open(path) {
            Ok(f) => eval.stream(
                &path.display().to_string(),
                BufReader::with_capacity(64 * 1024, f),
            ),
            Err(e) => Err(Diagnostic::new(
                Code::E0001,
                format!("cannot read `{}`: {e}", path.display()),
            )),
        },
        (None, None) => return Status::Usage,
    };
    // A closed pipe (`polc eval ... | head`) is not an error of polc's.
    let _ = eval.out.flush();
    if let Some(d) = eval.hints.summary() {
        output::eprint(&output::human(
            &[d],
            &SourceMap::new(),
            output::stderr_style(color),
        ));
    }
    match read {
        Err(d) => {
            output::eprint(&output::human(
                &[d],
                &SourceMap::new(),
                output::stderr_style(color),
            ));
            Status::Usage
        }
        Ok(()) if eval.failed || (args.fail_on_deny && eval.denied) => Status::Failed,
        Ok(()) => Status::Clean,
    }
}

struct Eval<'a, W: Write> {
    policy: &'a polc::compiled::Policy,
    facts: &'a polc::facts::Facts,
    lines: RequestLines,
    args: &'a Args,
    color: Color,
    out: W,
    failed: bool,
    denied: bool,
    /// W0122: each unknown entity of a denied request is hinted about once, up to a limit.
    hints: UnknownEntities,
}

impl<W: Write> Eval<'_, W> {
    /// Answers each line of `input` in turn, in constant memory: one line buffer, one request.
    fn stream<R: Read>(&mut self, name: &str, mut input: BufReader<R>) -> Result<(), Diagnostic> {
        let limit = polc::loader::MAX_FILE_BYTES;
        let mut buf = Vec::new();
        for number in 1.. {
            // A whole line already in the read buffer is decided where it lies.
            let buffered = input.buffer();
            if let Some(end) = memchr::memchr(b'\n', buffered) {
                self.bytes(name, number, &buffered[..end])?;
                input.consume(end + 1);
                continue;
            }
            // Flushed before polc would wait: a co-process gets its answer, a file is written
            // in large blocks.
            if self.out.flush().is_err() {
                return Ok(());
            }
            buf.clear();
            let n = (&mut input)
                .take(limit + 1)
                .read_until(b'\n', &mut buf)
                .map_err(|e| Diagnostic::new(Code::E0001, format!("cannot read `{name}`: {e}")))?;
            if n == 0 {
                return Ok(());
            }
            if buf.len() as u64 > limit {
                return Err(Diagnostic::new(
                    Code::E0003,
                    format!("`{name}` line {number} is more than the limit of {limit} bytes"),
                )
                .help("write one request per line"));
            }
            self.bytes(name, number, &buf)?;
        }
        Ok(())
    }

    /// Line `number` of `name`, its end of line included or not.
    fn bytes(&mut self, name: &str, number: usize, bytes: &[u8]) -> Result<(), Diagnostic> {
        let line_name = || format!("{name} line {number}");
        match std::str::from_utf8(bytes) {
            Ok(text) if text.trim().is_empty() => Ok(()),
            Ok(text) => {
                self.line(&line_name, text.trim_end_matches(['\n', '\r']));
                Ok(())
            }
            // Not text: the input itself is unusable (exit 2), as a file would be.
            Err(_) => Err(Diagnostic::new(
                Code::E0002,
                format!("`{}` is not valid UTF-8", line_name()),
            )),
        }
    }

    /// Decides one request line and writes its decision line.
    fn line(&mut self, name: &dyn Fn() -> String, text: &str) {
        let (req, extras) = match self.lines.read(self.policy, self.facts, FileId(0), text) {
            Ok(r) => r,
            Err(d) => {
                // The answer still carries the line's id, when the line has one.
                #[derive(serde::Deserialize)]
                struct Id<'t> {
                    #[serde(borrow)]
                    id: Option<&'t serde_json::value::RawValue>,
                }
                let id = serde_json::from_str::<Id>(text).ok().and_then(|i| i.id);
                return self.refuse(&d, &name(), text, id.map(|r| r.get()));
            }
        };
        if let Some(d) = extras.unknown_fields(FileId(0), text, self.args.strict) {
            if self.args.strict {
                return self.refuse(&d, &name(), text, extras.id.map(|r| r.get()));
            }
            // W0120: the request is decided without the fields.
            report(&d, &name(), text, self.color);
        }
        let allowed;
        if let Some(a) = &extras.assign {
            let d = decide_assign_request(self.policy, self.facts, req, a);
            allowed = d.allowed;
            let reasons = if self.args.explain {
                d.reasons(self.policy, self.facts, &req.principal, &req.resource)
            } else {
                Vec::new()
            };
            let mut v = serde_json::json!({
                "decision": if d.allowed { "allow" } else { "deny" },
                "reasons": reasons,
                "errors": d.errors(),
            });
            if let (Some(id), Some(map)) = (extras.id, v.as_object_mut()) {
                let id = serde_json::from_str(id.get()).unwrap_or(serde_json::Value::Null);
                map.shift_insert(0, "id".into(), id);
            }
            let _ = writeln!(self.out, "{v}");
        } else {
            let d = decide_with(self.policy, self.facts, req, self.args.explain);
            allowed = d.allowed;
            let _ = (|| -> std::io::Result<()> {
                let out = &mut self.out;
                out.write_all(b"{")?;
                if let Some(id) = extras.id {
                    write!(out, "\"id\":{},", id.get())?;
                }
                out.write_all(if d.allowed {
                    b"\"decision\":\"allow\",\"reasons\":["
                } else {
                    b"\"decision\":\"deny\",\"reasons\":["
                })?;
                let x = Explainer {
                    policy: self.policy,
                    facts: self.facts,
                };
                for (i, r) in d.reasons.iter().enumerate() {
                    if i > 0 {
                        out.write_all(b",")?;
                    }
                    serde_json::to_writer(&mut *out, &x.reason(req, r))?;
                }
                if d.errors.is_empty() {
                    return out.write_all(b"],\"errors\":[]}\n");
                }
                out.write_all(b"],\"errors\":")?;
                serde_json::to_writer(&mut *out, &d.errors)?;
                out.write_all(b"}\n")
            })();
        }
        self.denied |= !allowed;
        if !allowed {
            // W0122 for an entity the facts do not know (once per entity, up to a limit); a
            // known entity costs one check.
            for d in self.hints.hints(self.policy, self.facts, req, extras.spans) {
                report(&d, &name(), text, self.color);
            }
        }
    }

    /// A request that could not be decided: its diagnostic on standard error, a deny with the
    /// problem on standard output.
    fn refuse(&mut self, d: &Diagnostic, name: &str, text: &str, id: Option<&str>) {
        report(d, name, text, self.color);
        self.failed = true;
        self.denied = true;
        let mut v = serde_json::json!({"decision": "deny", "reasons": [], "errors": [format!("{}: {}", d.code, d.message)]});
        if let (Some(id), Some(map)) = (id, v.as_object_mut()) {
            let id = serde_json::from_str(id).unwrap_or(serde_json::Value::Null);
            map.shift_insert(0, "id".into(), id);
        }
        let _ = writeln!(self.out, "{v}");
    }
}

/// A diagnostic about one line, rendered against that line alone (nothing is kept per line).
fn report(d: &Diagnostic, name: &str, text: &str, color: Color) {
    let mut scratch = SourceMap::new();
    scratch.add(name, text);
    output::eprint(&output::human(
        std::slice::from_ref(d),
        &scratch,
        output::stderr_style(color),
    ));
}

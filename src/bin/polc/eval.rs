//! `polc eval`: decide requests given as JSON, one decision per line.

use crate::output::{self, Color, Status};
use polc::eval::{Explainer, decide, request};
use std::path::PathBuf;

pub const AFTER_HELP: &str = "\
Request JSON: {\"principal\": \"user:alice\", \"action\": \"delete\", \"resource\": \"workspace:ml\",
               \"context\": {\"now\": \"2026-11-23T10:00:00Z\", \"mfa\": true}}
Decision JSON, one line per request: {\"decision\": \"allow\" | \"deny\", \"reasons\": [...], \"errors\": [...]}

Examples:
  polc eval policies/ --data data.json --request '{\"principal\": \"user:alice\", \"action\": \"view\", \"resource\": \"workspace:ml\"}'
  polc eval policy.json --data data.json --requests requests.jsonl

A request whose context carries an undeclared field is decided as a deny, with the problem in
its \"errors\" (LANGUAGE.md section 6).

Exit status: 0 when every request was decided (allow or deny), 1 when the policy or the data has
errors or a request is malformed (unknown type or permission, bad JSON), 2 when a file cannot be
read.";

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
    let lines: Vec<(String, String)> = match (&args.request, &args.requests) {
        (Some(r), _) => vec![("--request".into(), r.clone())],
        (None, Some(path)) => {
            // Through the loader: the size limit and the UTF-8 check of every other input.
            let mut read = polc::source::SourceMap::new();
            let file = if path.as_os_str() == "-" {
                read_stdin()
                    .and_then(|bytes| polc::loader::add_bytes(&mut read, "<stdin>".into(), bytes))
            } else {
                polc::loader::read_file(&mut read, path)
            };
            match file {
                Ok(id) => read
                    .get(id)
                    .map(|f| f.text.as_str())
                    .unwrap_or("")
                    .lines()
                    .enumerate()
                    .filter(|(_, l)| !l.trim().is_empty())
                    .map(|(i, l)| {
                        let name = if path.as_os_str() == "-" {
                            "<stdin>".to_string()
                        } else {
                            path.display().to_string()
                        };
                        (format!("{name} line {}", i + 1), l.to_string())
                    })
                    .collect(),
                Err(d) => {
                    output::eprint(&output::human(&[d], &read, output::stderr_style(color)));
                    return Status::Usage;
                }
            }
        }
        (None, None) => return Status::Usage,
    };
    let x = Explainer {
        policy: &loaded.policy,
        facts: &facts,
    };
    let mut status = Status::Clean;
    let mut out = String::new();
    for (name, line) in lines {
        let file = loaded.sources.add(name, line.clone());
        match request::from_json(&loaded.policy, &facts, file, &line) {
            Ok(req) => {
                let d = decide(&loaded.policy, &facts, &req);
                out.push_str(&x.decision_json(&req, &d).to_string());
                out.push('\n');
            }
            Err(diag) => {
                output::eprint(&output::human(
                    std::slice::from_ref(&diag),
                    &loaded.sources,
                    output::stderr_style(color),
                ));
                let v = serde_json::json!({"decision": "deny", "reasons": [], "errors": [format!("{}: {}", diag.code, diag.message)]});
                out.push_str(&v.to_string());
                out.push('\n');
                status = Status::Failed;
            }
        }
    }
    output::print(&out);
    status
}

/// Standard input, refused past the file size limit.
fn read_stdin() -> Result<Vec<u8>, polc::diag::Diagnostic> {
    use std::io::Read;
    let limit = polc::loader::MAX_FILE_BYTES;
    let mut bytes = Vec::new();
    std::io::stdin()
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| {
            polc::diag::Diagnostic::new(
                polc::diag::Code::E0001,
                format!("cannot read standard input: {e}"),
            )
        })?;
    if bytes.len() as u64 > limit {
        return Err(polc::diag::Diagnostic::new(
            polc::diag::Code::E0003,
            format!("standard input is more than the limit of {limit} bytes"),
        )
        .help("split the requests into several runs"));
    }
    Ok(bytes)
}

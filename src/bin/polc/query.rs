//! `polc query`: ask `can`, `is`, `who can`, `who is`, `what can`, `which`, `can .. assign`
//! from the shell.

use crate::output::{self, Color, Status};
use polc::eval::{Context, query};
use polc::facts::json::JsonText;
use std::path::PathBuf;

pub const AFTER_HELP: &str = "\
Queries:
  can user:alice delete workspace:ml        one decision, with its explanation
  is user:alice owner on workspace:ml       role membership, with its derivation
  who can delete workspace:ml               every actor in the facts that is allowed
  who is owner on workspace:ml              every actor holding the role
  what can user:alice do on workspace:ml    every permission the actor has there
  which workspace can user:alice delete     every resource of that type the actor may act on
  can user:owen assign operator on workspace:ml to user:bob
                                            may the actor assign the role there, and through what

Examples:
  polc query policies/ --data data.json 'who can delete workspace:ml'
  polc query policies/ --data data.json --context '{\"mfa\": true}' 'can user:omar execute run:r1'

Several queries: `-q 'can ...' -q 'who can ...'`, answered in order (json: one document per line).

Exit status: 0 when every query was answered (whatever the answer; with --fail-on-deny, 3 when a
`can` or `is` answer is no), 1 when the policy, the data or a query has errors, 2 when a file
cannot be read.";

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum QueryFormat {
    Human,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Policy files or folders (or one compiled artifact), then the query in quotes
    #[arg(required = true, num_args = 1.., value_name = "PATHS... QUERY")]
    paths: Vec<PathBuf>,
    /// The query, instead of giving it after the paths; repeat for several queries, answered in
    /// order
    #[arg(long = "query", short = 'q')]
    query_flag: Vec<String>,
    /// Exit with status 3 when a `can` or `is` answer is no (for scripts)
    #[arg(long)]
    fail_on_deny: bool,
    /// Require an artifact signed with the matching private key (ed25519 public key, SPKI PEM)
    #[arg(long, value_name = "FILE")]
    verify_key: Option<PathBuf>,
    /// Facts: a JSON document or a `.pol` file of facts
    #[arg(long)]
    data: Option<PathBuf>,
    /// Request context as a JSON object, e.g. '{"now": "2026-11-23T10:00:00Z", "mfa": true}'
    #[arg(long)]
    context: Option<String>,
    /// `human` answers with reasons; `json` prints one JSON document
    #[arg(long, value_enum, default_value_t = QueryFormat::Human)]
    format: QueryFormat,
}

impl Args {
    /// The query is the last positional argument unless given with `--query`.
    fn split(&self) -> Option<(Vec<PathBuf>, Vec<String>)> {
        if !self.query_flag.is_empty() {
            return Some((self.paths.clone(), self.query_flag.clone()));
        }
        let (last, rest) = self.paths.split_last()?;
        if rest.is_empty() {
            return None;
        }
        Some((rest.to_vec(), vec![last.to_string_lossy().into_owned()]))
    }
}

pub fn run(args: &Args, color: Color) -> Status {
    let Some((paths, texts)) = args.split() else {
        output::eprint(
            "error: give the policy paths, then the query: polc query policies/ 'who can view workspace:ml'\n",
        );
        return Status::Usage;
    };
    let mut loaded = match output::load_policy(&paths, args.verify_key.as_deref(), color) {
        Ok(l) => l,
        Err(s) => return s,
    };
    let facts = match output::load_data(&mut loaded, args.data.as_deref(), color) {
        Ok(f) => f,
        Err(s) => return s,
    };
    if args.data.is_none()
        && loaded
            .files
            .iter()
            .any(|f| !polc::facts::pol::file_facts(f).is_empty())
    {
        output::eprint(
            "note: the `facts` blocks of the policy files are not loaded: the query sees no facts\n  help: pass the facts with `--data FILE` (a `.pol` file with `facts` blocks works as data)\n",
        );
    }
    let policy = &loaded.policy;
    let mut ctx = Context::from_facts(policy, &facts);
    if let Some(c) = &args.context {
        let cfile = loaded.sources.add("<context>", c.clone());
        let j = JsonText {
            file: cfile,
            text: c,
        };
        let raw: Result<&serde_json::value::RawValue, _> = serde_json::from_str(c);
        let applied = match raw {
            Ok(raw) => apply_context(policy, &facts, &mut ctx, &j, raw),
            Err(e) => Err(j.syntax_error(&e, "context JSON")),
        };
        if let Err(d) = applied {
            output::eprint(&output::human(
                &[d],
                &loaded.sources,
                output::stderr_style(color),
            ));
            return Status::Failed;
        }
    }
    let mut status = Status::Clean;
    for text in texts {
        let file = loaded.sources.add("<query>", text.clone());
        let answered = polc::syntax::parse_query(file, &text)
            .and_then(|q| query::run(policy, &facts, &ctx, &q));
        match answered {
            Ok(answer) => {
                match args.format {
                    QueryFormat::Human => output::print(&answer.render()),
                    QueryFormat::Json => output::print(&format!("{}\n", answer.to_json())),
                }
                if args.fail_on_deny && answer.holds() == Some(false) && status == Status::Clean {
                    status = Status::Denied;
                }
            }
            Err(d) => {
                output::eprint(&output::human(
                    &[d],
                    &loaded.sources,
                    output::stderr_style(color),
                ));
                status = Status::Failed;
            }
        }
    }
    status
}

fn apply_context(
    policy: &polc::compiled::Policy,
    facts: &polc::facts::Facts,
    ctx: &mut Context,
    j: &JsonText<'_>,
    raw: &serde_json::value::RawValue,
) -> Result<(), polc::diag::Diagnostic> {
    let checker = polc::facts::check::Checker::new(policy);
    for (name, v) in j.object(raw, "`--context`")? {
        let named = polc::facts::check::Named {
            name: &name,
            span: j.span(v),
        };
        let Some(field) = policy.context_field(&name) else {
            return Err(checker.unknown_context(named));
        };
        let value = checker.value(
            &policy.context[field].ty,
            &j.input(v),
            &format!("context.{name}"),
        )?;
        ctx.set(
            policy,
            field,
            polc::eval::request::lookup_value(policy, facts, &value),
        );
    }
    Ok(())
}

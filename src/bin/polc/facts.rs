//! `polc facts import|export|write --store URL`: facts in a store (`polc::store`). Import and
//! write check the facts against the policy exactly as `--data` does; export needs no policy.

use crate::output::{self, Color, Status};
use polc::diag::Diagnostic;
use polc::facts::write::{Constraints, Transaction};
use polc::source::SourceMap;
use polc::store::{Store, StoreUrl, WriteError};
use std::path::{Path, PathBuf};

pub const AFTER_HELP: &str = "\
Stores (`--store`):
  sqlite:PATH              an SQLite file, created (and migrated) when absent
  postgres://USER@HOST/DB  PostgreSQL (when polc is built with the `postgres` feature)

Examples:
  polc facts import data.json --store sqlite:polc.db --policy policies/
  polc facts export --store sqlite:polc.db > data.json
  echo '{\"writes\": {\"assignments\": [{\"actor\": \"user:ann\", \"role\": \"admin\", \"on\": \"org:acme\"}]}}' \\
    | polc facts write --store sqlite:polc.db --policy policies/ --constraints enforce

A write prints `{\"revision\": N, \"warnings\": [...]}`: the revision it was committed at. The
transaction format, the schema and the revisions are in docs/store.md.

Exit status: 0 when written (or exported), 1 when refused (a bad fact, a failed precondition, a
broken constraint with `--constraints enforce`, a store error), 2 for usage errors and input
that cannot be read.";

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Write the facts of a file (JSON or Pol) into a store, as one transaction
    #[command(after_help = AFTER_HELP)]
    Import(ImportArgs),
    /// Print the facts of a store as a JSON facts document
    #[command(after_help = AFTER_HELP)]
    Export(ExportArgs),
    /// Commit a transaction (JSON, docs/store.md) to a store
    #[command(after_help = AFTER_HELP)]
    Write(WriteArgs),
}

#[derive(Debug, clap::Args)]
pub struct StoreArgs {
    /// The store: `sqlite:PATH` or `postgres://...`
    #[arg(long)]
    store: String,
}

#[derive(Debug, clap::Args)]
pub struct PolicyArgs {
    /// Policy files or folders (or one compiled artifact) the facts are checked against
    #[arg(long = "policy", default_value = ".")]
    policy: Vec<PathBuf>,
    /// What a write that breaks `min`, `max`, `separate` or `requires` does: `enforce` refuses
    /// it, `warn` writes it and reports
    #[arg(long, value_enum, default_value_t = ConstraintsArg::Warn)]
    constraints: ConstraintsArg,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum ConstraintsArg {
    Enforce,
    Warn,
}

impl From<ConstraintsArg> for Constraints {
    fn from(c: ConstraintsArg) -> Constraints {
        match c {
            ConstraintsArg::Enforce => Constraints::Enforce,
            ConstraintsArg::Warn => Constraints::Warn,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The facts: a JSON document or a `.pol` file of facts
    file: PathBuf,
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    policy: PolicyArgs,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    #[command(flatten)]
    store: StoreArgs,
}

#[derive(Debug, clap::Args)]
pub struct WriteArgs {
    /// The transaction (JSON); standard input when absent or `-`
    file: Option<PathBuf>,
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    policy: PolicyArgs,
}

pub fn run(command: &Command, color: Color) -> Status {
    match command {
        Command::Import(a) => import(a, color),
        Command::Export(a) => export(a, color),
        Command::Write(a) => write(a, color),
    }
}

/// Opens the store the URL names; prints the diagnostic when it cannot.
pub fn open(url: &str, color: Color) -> Result<Box<dyn Store>, Status> {
    let opened = StoreUrl::parse(url).and_then(|u| polc::store::open(&u));
    opened.map_err(|e| {
        let usage = matches!(
            e,
            polc::store::StoreError::Url(_)
                | polc::store::StoreError::NotBuilt { .. }
                | polc::store::StoreError::ConnectionString(_)
                | polc::store::StoreError::Tls(_)
        );
        let status = output::report_error(e.diagnostic(), color);
        if usage { Status::Usage } else { status }
    })
}

fn export(args: &ExportArgs, color: Color) -> Status {
    let store = match open(&args.store.store, color) {
        Ok(s) => s,
        Err(s) => return s,
    };
    match polc::store::export(&*store) {
        Ok((doc, _)) => {
            let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
            output::print(&(text + "\n"));
            Status::Clean
        }
        Err(e) => output::report_error(e.diagnostic(), color),
    }
}

fn import(args: &ImportArgs, color: Color) -> Status {
    let mut loaded = match output::load_policy(&args.policy.policy, None, color) {
        Ok(l) => l,
        Err(s) => return s,
    };
    let facts = match output::load_data(&mut loaded, Some(&args.file), color) {
        Ok(f) => f,
        Err(s) => return s,
    };
    if facts.context.iter().any(Option::is_some) {
        return output::report_error(
            Diagnostic::new(
                polc::diag::Code::E0601,
                format!(
                    "`{}` sets the context, which a store does not keep",
                    args.file.display()
                ),
            )
            .help("remove the context from the file: give context fields with each request"),
            color,
        );
    }
    let mut tx = Transaction::default();
    tx.put_all(
        &loaded.policy,
        polc::facts::write::checked_facts(&loaded.policy, &facts),
    );
    drop(facts);
    commit(
        &args.store.store,
        &loaded.policy,
        &tx,
        args.policy.constraints.into(),
        &loaded.sources,
        color,
    )
}

fn write(args: &WriteArgs, color: Color) -> Status {
    let loaded = match output::load_policy(&args.policy.policy, None, color) {
        Ok(l) => l,
        Err(s) => return s,
    };
    let mut sources = loaded.sources;
    let (name, text) = match read_transaction(args.file.as_deref()) {
        Ok(t) => t,
        Err(d) => return output::report_error(d, color),
    };
    let file = sources.add(name, text.clone());
    let tx = match polc::facts::write::transaction_from_json(&loaded.policy, file, &text) {
        Ok(tx) => tx,
        Err(diags) => {
            output::eprint(&output::human(
                &diags,
                &sources,
                output::stderr_style(color),
            ));
            return Status::Failed;
        }
    };
    commit(
        &args.store.store,
        &loaded.policy,
        &tx,
        args.policy.constraints.into(),
        &sources,
        color,
    )
}

/// The transaction's text, from a file or standard input (bounded as files are).
fn read_transaction(path: Option<&Path>) -> Result<(String, String), Diagnostic> {
    use std::io::Read;
    match path {
        Some(p) if p.as_os_str() != "-" => {
            let mut sources = SourceMap::new();
            let id = polc::loader::read_file_as(&mut sources, p, polc::loader::Kind::Data)?;
            let text = sources.get(id).map(|f| f.text.clone()).unwrap_or_default();
            Ok((p.display().to_string(), text.to_string()))
        }
        _ => {
            let limit = polc::loader::MAX_FILE_BYTES;
            let mut bytes = Vec::new();
            std::io::stdin()
                .take(limit + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| {
                    Diagnostic::new(
                        polc::diag::Code::E0001,
                        format!("cannot read standard input: {e}"),
                    )
                })?;
            if bytes.len() as u64 > limit {
                return Err(Diagnostic::new(
                    polc::diag::Code::E0003,
                    format!("the transaction is more than the limit of {limit} bytes"),
                ));
            }
            let text = String::from_utf8(bytes).map_err(|_| {
                Diagnostic::new(
                    polc::diag::Code::E0002,
                    "the transaction is not valid UTF-8",
                )
            })?;
            Ok(("<stdin>".into(), text))
        }
    }
}

/// Commits a checked transaction and prints its revision (or why nothing was written).
fn commit(
    url: &str,
    policy: &polc::compiled::Policy,
    tx: &Transaction,
    constraints: Constraints,
    sources: &SourceMap,
    color: Color,
) -> Status {
    let store = match open(url, color) {
        Ok(s) => s,
        Err(s) => return s,
    };
    let mut follower = match polc::store::load_facts(&*store, policy) {
        Ok(f) => f,
        Err(e) => {
            output::eprint(&output::human(
                &e.diagnostics(),
                sources,
                output::stderr_style(color),
            ));
            return Status::Failed;
        }
    };
    let now = polc::time::now();
    match polc::store::commit(&*store, policy, &mut follower, tx, constraints, now) {
        Ok(w) => {
            if !w.warnings.is_empty() {
                output::eprint(&output::human(
                    &w.warnings,
                    sources,
                    output::stderr_style(color),
                ));
            }
            let warnings: Vec<String> = w
                .warnings
                .iter()
                .map(|d| format!("{}: {}", d.code.as_str(), d.message))
                .collect();
            output::print(&format!(
                "{}\n",
                serde_json::json!({"revision": w.revision, "warnings": warnings})
            ));
            Status::Clean
        }
        Err(WriteError::Precondition { diagnostic, .. }) => {
            output::eprint(&output::human(
                &[diagnostic],
                sources,
                output::stderr_style(color),
            ));
            Status::Failed
        }
        Err(WriteError::Refused(d) | WriteError::Store(d)) => {
            output::eprint(&output::human(&d, sources, output::stderr_style(color)));
            Status::Failed
        }
    }
}

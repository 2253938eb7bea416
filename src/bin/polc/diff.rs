//! `polc diff OLD NEW`: the semantic difference between two versions of a policy.

use crate::output::{self, Color, Status};
use polc::tools::diff;
use std::path::PathBuf;

pub const AFTER_HELP: &str = "\
Per resource type and role: effective permissions gained (+) and lost (-), roles added and
removed, `from` edges added and removed; rules added, removed and changed; the roles each
permission `assigns` added and removed; the escalation paths (`polc audit escalation`) the new
version adds or removes. With --data, every decision over the data that changes (each version
loads the data itself).

Access widens when a role gains a permission or a `from` edge, a `permit` is added, a `forbid`
is removed, a permission assigns a role it did not, a new escalation path appears, or a
decision goes from deny to allow.

Examples:
  polc diff old/ policies/
  polc diff old.pol new.pol --data acme.json --format json
  polc diff main/policies policies --fail-on-widen     in CI: fail when access widens

Exit status: 0, or 1 with --fail-on-widen when access widens; 1 when a version has errors;
2 when a file cannot be read.";

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Format {
    Human,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The old version: a policy file or folder (or a compiled `.json` artifact)
    old: PathBuf,
    /// The new version: a policy file or folder (or a compiled `.json` artifact)
    new: PathBuf,

    /// Data (JSON or `.pol` facts) to compare decisions over
    #[arg(long)]
    data: Option<PathBuf>,

    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,

    /// Exit with status 1 when the new version widens access
    #[arg(long)]
    fail_on_widen: bool,
}

pub fn run(args: &Args, color: Color) -> Status {
    let mut old = match output::load_policy(std::slice::from_ref(&args.old), None, color) {
        Ok(l) => l,
        Err(s) => return s,
    };
    let mut new = match output::load_policy(std::slice::from_ref(&args.new), None, color) {
        Ok(l) => l,
        Err(s) => return s,
    };
    let facts = match &args.data {
        None => None,
        Some(path) => {
            let a = match output::load_data(&mut old, Some(path), color) {
                Ok(f) => f,
                Err(s) => return s,
            };
            let b = match output::load_data(&mut new, Some(path), color) {
                Ok(f) => f,
                Err(s) => return s,
            };
            Some((a, b))
        }
    };
    let d = diff::diff(
        &old.policy,
        &new.policy,
        facts.as_ref().map(|(a, b)| (a, b)),
    );
    match args.format {
        Format::Human => output::print(&d.render()),
        Format::Json => output::print(&format!(
            "{}\n",
            serde_json::to_string_pretty(&d.to_json()).unwrap_or_default()
        )),
    }
    if args.fail_on_widen && !d.widenings().is_empty() {
        Status::Failed
    } else {
        Status::Clean
    }
}

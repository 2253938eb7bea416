//! `polc debug graph FILE`: the resolved role graph, as the resolver sees it.

use crate::output::{self, Color, Status};
use std::path::PathBuf;

pub const AFTER_HELP: &str = "\
For each resource type: each role with what it includes, the `from` edges that give it, and its
effective permissions (after includes).

Example:
  polc debug graph policies/";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Policy files or folders
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Require an artifact signed with the matching private key (ed25519 public key, SPKI PEM)
    #[arg(long, value_name = "FILE")]
    verify_key: Option<PathBuf>,
}

pub fn run(args: &Args, color: Color) -> Status {
    let loaded = match output::load_policy(&args.paths, args.verify_key.as_deref(), color) {
        Ok(l) => l,
        Err(s) => return s,
    };
    output::print(&polc::compiled::describe(&loaded.policy));
    Status::Clean
}

//! `polc compile`: write the compiled policy as a versioned JSON artifact.

use crate::output::{self, Color, Status};
use std::path::PathBuf;

pub const AFTER_HELP: &str = "\
The artifact holds the resolved role graph, the decision plans and the rules; `polc eval` and
`polc query` (and the library's `Policy::from_json`) load it without the sources.

Example:
  polc compile policies/ -o policy.json";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Policy files or folders
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Where to write the artifact (`-` for standard output)
    #[arg(short, long)]
    output: PathBuf,
}

pub fn run(args: &Args, color: Color) -> Status {
    let loaded = match output::load_policy(&args.paths, color) {
        Ok(l) => l,
        Err(s) => return s,
    };
    let json = loaded.policy.to_json();
    if args.output.as_os_str() == "-" {
        output::print(&(json + "\n"));
        return Status::Clean;
    }
    match std::fs::write(&args.output, json) {
        Ok(()) => Status::Clean,
        Err(e) => {
            output::eprint(&format!(
                "error: cannot write `{}`: {e}\n",
                args.output.display()
            ));
            Status::Usage
        }
    }
}

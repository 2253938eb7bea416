//! `polc fmt [PATHS...] [--check]`: rewrite policies in the canonical layout.

use crate::output::{self, Color, Status};
use polc::source::SourceMap;
use std::path::PathBuf;

pub const AFTER_HELP: &str = "\
The layout: two-space indentation, one declaration per line, comments kept where they were
(docs/tools.md). A file with syntax errors is left alone and reported.

Examples:
  polc fmt                      format every .pol file below the current folder, in place
  polc fmt --check policies/    list the files that would change (for CI)

Exit status: 0 when every file is formatted (or was rewritten), 1 with --check when a file would
change or when a file has syntax errors, 2 when a file cannot be read or written.";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Policy files, or folders searched recursively for `.pol` files
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,

    /// Write nothing: list the files that are not formatted and exit with status 1 if any
    #[arg(long)]
    check: bool,
}

pub fn run(args: &Args, color: Color) -> Status {
    let style = output::stderr_style(color);
    let files = match polc::loader::pol_files(&args.paths) {
        Ok(f) => f,
        Err(d) => {
            output::eprint(&output::human(&[d], &SourceMap::new(), style));
            return Status::Usage;
        }
    };
    let mut sources = SourceMap::new();
    let mut status = Status::Clean;
    for path in files {
        let id = match polc::loader::read_file(&mut sources, &path) {
            Ok(id) => id,
            Err(d) => {
                output::eprint(&output::human(&[d], &sources, style));
                return Status::Usage;
            }
        };
        let text = sources.get(id).map(|f| f.text.clone()).unwrap_or_default();
        match polc::tools::fmt::format_source(id, &text) {
            Err(diags) => {
                output::eprint(&output::human(&diags, &sources, style));
                output::eprint(&format!(
                    "error: `{}` has syntax errors: not formatted\n",
                    path.display()
                ));
                status = Status::Failed;
            }
            Ok(formatted) if formatted == text => {}
            Ok(_) if args.check => {
                output::print(&format!("{}\n", path.display()));
                status = Status::Failed;
            }
            Ok(formatted) => {
                if let Err(e) = std::fs::write(&path, formatted) {
                    output::eprint(&format!("error: cannot write `{}`: {e}\n", path.display()));
                    return Status::Usage;
                }
                output::print(&format!("formatted {}\n", path.display()));
            }
        }
    }
    status
}

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
  polc fmt --diff policies/     show the change as a unified diff, write nothing
  polc fmt - < a.pol > b.pol    read standard input, write the formatted text on standard output

Exit status: 0 when every file is formatted (or was rewritten), 1 with --check or --diff when a
file would change or when a file has syntax errors, 2 when a file cannot be read or written.";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Policy files, or folders searched recursively for `.pol` files; `-` alone reads standard
    /// input and writes the formatted text on standard output
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,

    /// Write nothing: list the files that are not formatted and exit with status 1 if any
    #[arg(long)]
    check: bool,

    /// Write nothing: print what would change as a unified diff and exit with status 1 if any
    #[arg(long, conflicts_with = "check")]
    diff: bool,
}

/// The change from `old` to `new` as a unified diff of `name`.
fn unified(name: &str, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .header(name, name)
        .to_string()
}

fn stdin(args: &Args, style: polc::diag::render::HumanStyle) -> Status {
    let mut sources = SourceMap::new();
    let read = polc::loader::read_bounded(
        std::io::stdin().lock(),
        "<stdin>",
        polc::loader::Kind::Policy,
    )
    .and_then(|b| polc::loader::add_bytes(&mut sources, "<stdin>".into(), b));
    let id = match read {
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
            output::eprint("error: standard input has syntax errors: not formatted\n");
            Status::Failed
        }
        Ok(formatted) if args.diff => {
            output::print(&unified("<stdin>", &text, &formatted));
            if formatted == text {
                Status::Clean
            } else {
                Status::Failed
            }
        }
        Ok(formatted) if args.check => {
            if formatted == text {
                Status::Clean
            } else {
                output::print("<stdin>\n");
                Status::Failed
            }
        }
        Ok(formatted) => {
            output::print(&formatted);
            Status::Clean
        }
    }
}

pub fn run(args: &Args, color: Color) -> Status {
    let style = output::stderr_style(color);
    if args.paths.iter().any(|p| p.as_os_str() == "-") {
        if args.paths.len() > 1 {
            output::eprint("error: `-` (standard input) cannot be mixed with paths\n");
            return Status::Usage;
        }
        return stdin(args, style);
    }
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
            Ok(formatted) if args.diff => {
                output::print(&unified(&path.display().to_string(), &text, &formatted));
                status = Status::Failed;
            }
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

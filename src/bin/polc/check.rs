//! `polc check [PATHS...]`: compile policies and report every diagnostic.

use crate::output::{self, Color, Status, count};
use polc::diag::Diagnostic;
use polc::diag::render::{self, Format};
use polc::source::SourceMap;
use std::path::PathBuf;

pub const AFTER_HELP: &str = "\
Examples:
  polc check                          every .pol file below the current folder
  polc check policies/ extra.pol      folders are searched recursively for .pol files
  polc check policies/                a folder of policies (no .pol file of its own, two or
                                      more subfolders with .pol files): each subfolder alone
  polc check --deny-warnings          fail on warnings too (for CI)
  polc check --format github          annotations for GitHub Actions
  polc check --format sarif > polc.sarif

Exit status: 0 when there is no error, 1 when there are errors (or warnings with
--deny-warnings), 2 when a file cannot be read (E0001, E0002, E0003).";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Policy files, or folders searched recursively for `.pol` files
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,

    /// How to print diagnostics; `json` and `sarif` print one JSON document on standard output
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,

    /// Exit with status 1 when there are warnings, not only errors
    #[arg(long)]
    deny_warnings: bool,

    /// Also check this data (JSON or `.pol` facts): min/max, separation of duties, elevated
    /// assignments, assignments a fixed `from` already implies
    #[arg(long)]
    data: Option<PathBuf>,

    /// The time the data lints judge expiry and review periods against (RFC 3339; default now)
    #[arg(long, requires = "data")]
    now: Option<String>,
}

pub fn run(args: &Args, color: Color) -> Status {
    match polc::compile_collection(&args.paths) {
        // The loader's errors (E0001, E0002, E0003) carry no span: nothing was read.
        Err(io) => {
            report(&io, &SourceMap::new(), args.format, color, None);
            Status::Usage
        }
        Ok((mut sources, units)) => {
            let files = sources.files().count();
            let mut diags: Vec<Diagnostic> =
                units.iter().flat_map(|u| u.diagnostics.clone()).collect();
            if let Some(data) = &args.data {
                let [unit] = units.as_slice() else {
                    let names: Vec<String> =
                        units.iter().map(|u| format!("`{}`", u.name)).collect();
                    output::eprint(&format!(
                        "error: `--data` is checked against one policy, and these paths hold {}: {}\n",
                        units.len(),
                        names.join(", ")
                    ));
                    return Status::Usage;
                };
                if let Some(policy) = &unit.policy {
                    let now = match &args.now {
                        None => polc::time::now(),
                        Some(t) => match polc::time::parse(t) {
                            Some(t) => t,
                            None => {
                                output::eprint(&format!(
                                    "error: `--now {t}` is not an RFC 3339 time (e.g. 2026-11-23T10:00:00Z)\n"
                                ));
                                return Status::Usage;
                            }
                        },
                    };
                    match polc::facts::load_data(policy, &mut sources, data) {
                        Ok(facts) => diags.extend(polc::facts::lints::run(policy, &facts, now)),
                        Err(d) => diags.extend(d),
                    }
                }
            }
            report(&diags, &sources, args.format, color, Some(files));
            let warnings = diags.iter().any(|d| !d.is_error());
            let errors = diags.iter().any(|d| d.is_error());
            if errors || (args.deny_warnings && warnings) {
                Status::Failed
            } else {
                Status::Clean
            }
        }
    }
}

/// Prints the diagnostics in `format` on standard output. `files` is how many files were
/// checked, `None` when the input could not be read.
fn report(
    diags: &[Diagnostic],
    sources: &SourceMap,
    format: Format,
    color: Color,
    files: Option<usize>,
) {
    match format {
        Format::Human => {
            let mut text = output::human(diags, sources, output::human_style(color));
            text.push_str(&summary(diags, files));
            output::print(&text);
        }
        Format::Json => output::print(&(render::json(diags, sources) + "\n")),
        Format::Github => output::print(&render::github(diags, sources)),
        Format::Sarif => output::print(&(render::sarif(diags, sources) + "\n")),
    }
}

/// `checked 3 files: 0 errors, 2 warnings`, or `error: 1 error, 0 warnings` when nothing could
/// be checked.
fn summary(diags: &[Diagnostic], files: Option<usize>) -> String {
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let counts = format!(
        "{}, {}",
        count(errors, "error"),
        count(diags.len() - errors, "warning")
    );
    match files {
        Some(n) => format!("checked {}: {counts}\n", count(n, "file")),
        None => format!("error: {counts}\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::summary;
    use polc::diag::{Code, Diagnostic};

    #[test]
    fn the_summary_counts_errors_and_warnings_in_plain_english() {
        let diags = [
            Diagnostic::new(Code::E0202, "unknown role"),
            Diagnostic::new(Code::W0107, "not snake_case"),
        ];
        assert_eq!(
            summary(&diags, Some(1)),
            "checked 1 file: 1 error, 1 warning\n"
        );
        assert_eq!(
            summary(&[], Some(3)),
            "checked 3 files: 0 errors, 0 warnings\n"
        );
        assert_eq!(summary(&diags[..1], None), "error: 1 error, 0 warnings\n");
    }
}

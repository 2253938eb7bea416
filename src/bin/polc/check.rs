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
  polc check --exclude 'legacy/'      skip a folder (also: .gitignore, hidden, node_modules/)
  polc check policy.json              a compiled artifact is checked by loading it
  polc check --deny-warnings          fail on warnings too (for CI)
  polc check --format github          annotations for GitHub Actions
  polc check --format sarif > polc.sarif
  polc check --watch                  check again after every change (Ctrl-C stops)

Exit status: 0 when there is no error, 1 when there are errors (or warnings with
--deny-warnings), 2 when a file cannot be read (E0001, E0002, E0003).";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Policy files, or folders searched recursively for `.pol` files (default: `paths` of
    /// `polc.toml`, else `.`)
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

    /// Leave out files and folders matching this gitignore-style glob (`legacy/`,
    /// `*_old.pol`); repeatable. Hidden entries, `node_modules/` and what `.gitignore` lists are
    /// always skipped; a file named on the command line is always read
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,

    /// The time the data lints judge expiry and review periods against (RFC 3339; default now)
    #[arg(long, requires = "data")]
    now: Option<String>,

    /// Check again after every change to a file the check reads (the `.pol` files found, the
    /// files named, `--data`, `polc.toml`); Ctrl-C stops
    #[arg(long)]
    watch: bool,

    /// With `--watch`: clear the terminal before each run (default: a separator line)
    #[arg(long, requires = "watch")]
    clear: bool,
}

pub fn run(args: &Args, color: Color) -> Status {
    if !args.watch {
        return run_once(args, color);
    }
    let watched = crate::watch::Watched {
        paths: {
            let config = crate::config::load().unwrap_or_default();
            let mut p = paths(args, &config);
            p.extend(args.data.clone());
            p
        },
        inputs: Box::new(|| {
            // Read again each time: `polc.toml` may have changed the paths or the excludes.
            let config = crate::config::load().unwrap_or_default();
            let paths = paths(args, &config);
            let exclude: Vec<String> = config
                .exclude
                .iter()
                .chain(&args.exclude)
                .cloned()
                .collect();
            // Named files (artifacts too) count as they are; the walk finds the `.pol` files.
            let (named, dirs): (Vec<PathBuf>, Vec<PathBuf>) =
                paths.into_iter().partition(|p| p.is_file());
            let mut files = polc::loader::pol_files_excluding(&dirs, &exclude).unwrap_or_default();
            files.extend(named);
            files.extend(args.data.clone());
            files
        }),
        clear: args.clear,
    };
    crate::watch::watch(&watched, || run_once(args, color))
}

/// The paths to check: those named, else `paths` of `polc.toml`, else `.`.
fn paths(args: &Args, config: &crate::config::Config) -> Vec<PathBuf> {
    if !args.paths.is_empty() {
        args.paths.clone()
    } else if !config.paths.is_empty() {
        config.paths.clone()
    } else {
        vec![PathBuf::from(".")]
    }
}

/// One check of the paths.
fn run_once(args: &Args, color: Color) -> Status {
    let config = match crate::config::load() {
        Ok(c) => c,
        Err(e) => {
            output::eprint(&format!("error: {e}\n"));
            return Status::Usage;
        }
    };
    let paths = paths(args, &config);
    let exclude: Vec<String> = config
        .exclude
        .iter()
        .chain(&args.exclude)
        .cloned()
        .collect();
    // A named `.json` file is a compiled artifact: checked by loading it.
    let (artifacts, sources): (Vec<PathBuf>, Vec<PathBuf>) = paths.iter().cloned().partition(|p| {
        p.is_file()
            && p.extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    });
    let mut artifact_diags = Vec::new();
    let mut artifact_sources = SourceMap::new();
    for a in &artifacts {
        if let Err((s, d)) = polc::load_policy(std::slice::from_ref(a)) {
            artifact_sources = s;
            artifact_diags.extend(d);
        }
    }
    if sources.is_empty() {
        let files = if artifact_diags.iter().any(is_io) {
            None
        } else {
            Some(artifacts.len())
        };
        report(
            &artifact_diags,
            &artifact_sources,
            args.format,
            color,
            files,
        );
        return status(&artifact_diags, args.deny_warnings);
    }
    match polc::compile_collection_excluding(&sources, &exclude) {
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
            diags.extend(artifact_diags);
            let diags = polc::diag::config::apply(diags, &config.severities, &sources);
            report(
                &diags,
                &sources,
                args.format,
                color,
                Some(files + artifacts.len()),
            );
            let st = status(&diags, args.deny_warnings);
            if st == Status::Failed
                && args.format == Format::Human
                && !diags.iter().any(Diagnostic::is_error)
            {
                output::print("failed: the warnings count as errors under `--deny-warnings`\n");
            }
            st
        }
    }
}

/// E0001-E0003: input that cannot be read or exceeds a limit (exit 2, `docs/cli.md`).
fn is_io(d: &Diagnostic) -> bool {
    use polc::diag::Code;
    matches!(d.code, Code::E0001 | Code::E0002 | Code::E0003)
}

/// The exit status for `diags`: 2 when some input could not be read or exceeds a limit, 1 for
/// other errors (or warnings with `--deny-warnings`), 0 otherwise.
fn status(diags: &[Diagnostic], deny_warnings: bool) -> Status {
    let warnings = diags.iter().any(|d| !d.is_error());
    let errors = diags.iter().any(|d| d.is_error());
    if diags.iter().any(is_io) {
        Status::Usage
    } else if errors || (deny_warnings && warnings) {
        Status::Failed
    } else {
        Status::Clean
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

//! What every subcommand shares: exit statuses, the colour choice, printing diagnostics.

use polc::diag::Diagnostic;
use polc::diag::render::{self, HumanStyle};
use polc::source::{FileId, SourceMap};
use std::io::{IsTerminal, Write};
use std::path::Path;

/// The exit status policy of every subcommand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// 0: nothing to report (warnings allowed).
    Clean,
    /// 1: the input has errors (or warnings under `--deny-warnings`).
    Failed,
    /// 2: the command could not do its job: bad usage, unreadable or oversized input.
    Usage,
    /// 3: a question was answered no, and the user asked for a status (`--fail-on-deny`).
    Denied,
}

impl From<Status> for std::process::ExitCode {
    fn from(s: Status) -> std::process::ExitCode {
        std::process::ExitCode::from(match s {
            Status::Clean => 0,
            Status::Failed => 1,
            Status::Usage => 2,
            Status::Denied => 3,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

/// How human diagnostics look on standard output: unicode and colour on a terminal, plain
/// ASCII in pipes and files. `NO_COLOR` (set and not empty) turns `auto` colour off.
pub fn human_style(color: Color) -> HumanStyle {
    let terminal = std::io::stdout().is_terminal();
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let color = match color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => terminal && !no_color,
    };
    // `COLUMNS` first (what a caller asks for), then the terminal's own width.
    let width = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .or_else(|| {
            terminal
                .then(|| terminal_size::terminal_size_of(std::io::stdout()))
                .flatten()
                .map(|(w, _)| usize::from(w.0))
        })
        .unwrap_or(HumanStyle::plain().width);
    HumanStyle {
        color,
        unicode: terminal,
        width,
    }
}

/// Renders diagnostics one after the other, as miette reports.
pub fn human(diags: &[Diagnostic], sources: &SourceMap, style: HumanStyle) -> String {
    diags
        .iter()
        .map(|d| render::human(d, sources, style))
        .collect()
}

/// Writes to standard output, ignoring a closed pipe (`polc ... | head`).
pub fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// Writes to standard error, ignoring a closed pipe.
pub fn eprint(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// Reads one file for the `debug` subcommands. A file that cannot be read is reported on
/// standard error and yields [`Status::Usage`].
pub fn read_one(path: &Path, color: Color) -> Result<(SourceMap, FileId), Status> {
    let mut sources = SourceMap::new();
    match polc::loader::read_file(&mut sources, path) {
        Ok(id) => Ok((sources, id)),
        Err(d) => {
            eprint(&render::human(&d, &sources, human_style(color)));
            Err(Status::Usage)
        }
    }
}

/// `1 error`, `2 errors`
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("{n} {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Whether a diagnostic says that input could not be read (exit 2) rather than that it is wrong.
fn is_io(d: &Diagnostic) -> bool {
    matches!(
        d.code,
        polc::diag::Code::E0001 | polc::diag::Code::E0002 | polc::diag::Code::E0003
    )
}

/// Prints one diagnostic that has no source to point into, and gives its exit status.
pub fn report_error(d: Diagnostic, color: Color) -> Status {
    let status = if is_io(&d) {
        Status::Usage
    } else {
        Status::Failed
    };
    eprint(&human(&[d], &SourceMap::new(), stderr_style(color)));
    status
}

/// Loads a policy (sources or a compiled artifact) for the subcommands that evaluate; prints
/// the diagnostics when it cannot. With `verify_key` (`--verify-key FILE`), only an artifact
/// signed with the matching private key is accepted. Unreadable input is [`Status::Usage`], a
/// policy with errors [`Status::Failed`].
pub fn load_policy(
    paths: &[std::path::PathBuf],
    verify_key: Option<&Path>,
    color: Color,
) -> Result<polc::Loaded, Status> {
    let key = match verify_key.map(polc::read_verifying_key) {
        None => None,
        Some(Ok(k)) => Some(k),
        Some(Err(d)) => return Err(report_error(d, color)),
    };
    polc::load_policy_verified(paths, key.as_ref()).map_err(|(sources, diags)| {
        eprint(&human(&diags, &sources, stderr_style(color)));
        if diags.iter().any(is_io) {
            Status::Usage
        } else {
            Status::Failed
        }
    })
}

/// Loads `--data` into facts for `loaded`'s policy (empty facts without it); prints the
/// diagnostics when the file has any problem: nothing is half-loaded.
pub fn load_data(
    loaded: &mut polc::Loaded,
    data: Option<&Path>,
    color: Color,
) -> Result<polc::facts::Facts, Status> {
    match data {
        None => Ok(polc::facts::Facts::new(&loaded.policy)),
        Some(path) => {
            polc::facts::load_data(&loaded.policy, &mut loaded.sources, path).map_err(|diags| {
                eprint(&human(&diags, &loaded.sources, stderr_style(color)));
                if diags.iter().any(is_io) {
                    Status::Usage
                } else {
                    Status::Failed
                }
            })
        }
    }
}

/// Like [`human_style`], for standard error.
pub fn stderr_style(color: Color) -> HumanStyle {
    let terminal = std::io::stderr().is_terminal();
    let mut s = human_style(color);
    s.unicode = terminal;
    if color == Color::Auto {
        s.color = terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    }
    s
}

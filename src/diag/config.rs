//! What a project configures about its diagnostics: per-code levels (`polc.toml`'s
//! `[severity]` table) and inline allows (`// polc: allow W0103`).
//!
//! Only warnings are configurable: an error is never turned off or lowered, so a configuration
//! cannot make a broken policy pass (decisions fail closed).

use super::{Code, Diagnostic, Severity};
use crate::source::SourceMap;
use std::collections::BTreeMap;

/// The level a project gives a warning code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Not reported.
    Off,
    /// Reported as a warning (the default).
    Warning,
    /// Reported as an error: the check fails.
    Error,
}

impl Level {
    /// `off`, `warning` (or `warn`), `error`.
    pub fn parse(text: &str) -> Option<Level> {
        match text {
            "off" | "allow" => Some(Level::Off),
            "warning" | "warn" => Some(Level::Warning),
            "error" | "deny" => Some(Level::Error),
            _ => None,
        }
    }
}

/// Per-code levels for warnings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Severities(BTreeMap<Code, Level>);

impl Severities {
    /// No overrides: every code keeps its own severity.
    pub fn new() -> Severities {
        Severities::default()
    }

    /// Sets the level of `code`; refused (with the reason) for an error code.
    pub fn set(&mut self, code: Code, level: Level) -> Result<(), String> {
        if code.is_error() {
            return Err(format!(
                "`{code}` is an error: only warnings (W codes) can be configured"
            ));
        }
        self.0.insert(code, level);
        Ok(())
    }

    /// The configured level of `code`, if any.
    pub fn get(&self, code: Code) -> Option<Level> {
        self.0.get(&code).copied()
    }
}

/// What a `polc.toml` says: the paths to check, the excluded patterns and the per-code
/// levels (`docs/cli.md`, section Configuration). Read by the binary and by the language
/// server, so that the editor shows what `polc check` reports.
#[cfg(any(feature = "cli", feature = "lsp"))]
#[derive(Debug, Default)]
pub struct ProjectFile {
    /// `paths`, as written (relative to the file's folder).
    pub paths: Vec<std::path::PathBuf>,
    /// `exclude`, as written.
    pub exclude: Vec<String>,
    /// `[severity]`.
    pub severities: Severities,
}

/// The name of the project file.
pub const PROJECT_FILE: &str = "polc.toml";

/// The nearest `polc.toml` at or above the folder `start`.
pub fn find_project_file(start: &std::path::Path) -> Option<std::path::PathBuf> {
    start
        .ancestors()
        .map(|d| d.join(PROJECT_FILE))
        .find(|p| p.is_file())
}

/// Reads the text of a `polc.toml` (`name` is for messages): unknown keys, codes or levels,
/// and an error code given a level, are an error message.
#[cfg(any(feature = "cli", feature = "lsp"))]
pub fn parse_project_file(text: &str, name: &str) -> Result<ProjectFile, String> {
    #[derive(Debug, Default, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Raw {
        #[serde(default)]
        paths: Vec<std::path::PathBuf>,
        #[serde(default)]
        exclude: Vec<String>,
        #[serde(default)]
        severity: BTreeMap<String, String>,
    }
    let raw: Raw =
        toml::from_str(text).map_err(|e| format!("`{name}` is not a valid configuration: {e}"))?;
    let mut severities = Severities::new();
    for (code, level) in &raw.severity {
        let c = Code::parse(code).ok_or_else(|| {
            format!("`{name}`: `{code}` is not a diagnostic code (see `polc explain --list`)")
        })?;
        let l = Level::parse(level).ok_or_else(|| {
            format!("`{name}`: `{code} = \"{level}\"`: the level is `off`, `warning` or `error`")
        })?;
        severities.set(c, l).map_err(|e| format!("`{name}`: {e}"))?;
    }
    Ok(ProjectFile {
        paths: raw.paths,
        exclude: raw.exclude,
        severities,
    })
}

/// Applies `severities` and the inline allows found in `sources` to `diags`: warnings set to
/// `off` or allowed inline are dropped, warnings set to `error` become errors. Errors pass
/// unchanged.
pub fn apply(
    diags: Vec<Diagnostic>,
    severities: &Severities,
    sources: &SourceMap,
) -> Vec<Diagnostic> {
    diags
        .into_iter()
        .filter_map(|mut d| {
            if d.code.is_error() {
                return Some(d);
            }
            if allowed_inline(&d, sources) {
                return None;
            }
            match severities.get(d.code) {
                Some(Level::Off) => None,
                Some(Level::Error) => {
                    d.raised = Some(Severity::Error);
                    Some(d)
                }
                Some(Level::Warning) | None => Some(d),
            }
        })
        .collect()
}

/// Whether `// polc: allow CODE` (codes separated by commas or spaces) stands on the line of
/// the diagnostic, or in the comment lines right above it (the comment of the item).
pub fn allowed_inline(d: &Diagnostic, sources: &SourceMap) -> bool {
    let Some(span) = d.span() else {
        return false;
    };
    let Some(file) = sources.get(span.file) else {
        return false;
    };
    let line = file.line_col(span.start as usize).line;
    let lines: Vec<&str> = file.text.lines().collect();
    let code = d.code.as_str();
    if lines.get(line - 1).is_some_and(|l| allows(l, code)) {
        return true;
    }
    for l in lines[..(line - 1).min(lines.len())].iter().rev() {
        let t = l.trim_start();
        if !t.starts_with("//") {
            break;
        }
        if allows(t, code) {
            return true;
        }
    }
    false
}

/// Whether `line` holds a `// polc: allow` comment naming `code`.
fn allows(line: &str, code: &str) -> bool {
    line.match_indices("//").any(|(at, _)| {
        let rest = line[at + 2..].trim_start();
        rest.strip_prefix("polc:")
            .map(str::trim_start)
            .and_then(|r| r.strip_prefix("allow"))
            .is_some_and(|codes| {
                codes
                    .split(|c: char| c == ',' || c.is_whitespace())
                    .any(|c| c == code)
            })
    })
}

#[cfg(test)]
mod tests {
    use super::allows;

    #[test]
    fn an_allow_comment_names_codes_separated_by_commas_or_spaces() {
        assert!(allows("  role Viewer {} // polc: allow W0107", "W0107"));
        assert!(allows("// polc: allow W0103, W0107", "W0107"));
        assert!(allows("//polc:allow W0101 W0107", "W0107"));
        assert!(!allows("// polc: allow W0103", "W0107"));
        assert!(!allows("role viewer {} // allow W0107", "W0107"));
        assert!(!allows("// polc: allow W01070", "W0107"));
    }
}

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

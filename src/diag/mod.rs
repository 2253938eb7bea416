//! Diagnostics as plain data, and their renderers.
//!
//! Every stage reports [`Diagnostic`]s: a stable [`Code`], a message, labelled spans, help. They
//! are rendered by [`render`] as miette reports (human), JSON, GitHub annotations or SARIF.

pub mod codes;
pub mod config;
pub mod render;

pub use codes::{Code, Severity};

use crate::source::Span;
use serde::Serialize;

/// A labelled span. The first primary label is where the diagnostic is reported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Label {
    /// The source range labelled.
    pub span: Span,
    /// What the label says there (may be empty).
    pub message: String,
    /// A primary label marks the problem; a secondary one a related place.
    pub primary: bool,
}

/// One problem found in the input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// The stable code (`E0203`), which gives the default severity and the explanation.
    pub code: Code,
    /// Lowercase, no final period, the user's names in backticks.
    pub message: String,
    /// The places in the source, primary first as added.
    pub labels: Vec<Label>,
    /// How to fix it, when there is a suggestion.
    pub help: Option<String>,
    /// A warning raised to an error by configuration ([`config::Severities`]); `None` keeps
    /// the code's own severity.
    #[serde(skip)]
    pub raised: Option<Severity>,
}

impl Diagnostic {
    /// A diagnostic without labels or help; add them with [`Diagnostic::primary`],
    /// [`Diagnostic::secondary`] and [`Diagnostic::help`].
    pub fn new(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            message: message.into(),
            labels: Vec::new(),
            help: None,
            raised: None,
        }
    }

    /// The main place, with what is wrong there.
    pub fn primary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
            primary: true,
        });
        self
    }

    /// A related place (another declaration, the other end of a conflict).
    pub fn secondary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
            primary: false,
        });
        self
    }

    /// Sets the help (replacing any).
    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// The severity: the code's, unless configuration raised it.
    pub fn severity(&self) -> Severity {
        self.raised.unwrap_or(self.code.severity())
    }

    /// Whether the diagnostic is an error (after configuration).
    pub fn is_error(&self) -> bool {
        self.severity() == Severity::Error
    }

    /// Where the diagnostic is reported: its first primary label.
    pub fn span(&self) -> Option<Span> {
        self.labels
            .iter()
            .find(|l| l.primary)
            .or(self.labels.first())
            .map(|l| l.span)
    }
}

/// `E0203: `workspace` has no permission `delet``, then ` (help: ...)` when there is help: the
/// one-line form, for `?` into `anyhow` / `thiserror` callers. The rendered form with the
/// source is [`render::human`].
impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)?;
        if let Some(help) = &self.help {
            write!(f, " (help: {help})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostic {}

/// Diagnostics collected by a stage that keeps going after an error.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// Adds one diagnostic.
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    /// Whether any of them is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    /// Adds every diagnostic of `other`, in order.
    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.0.extend(other);
    }

    /// The diagnostics, in the order added.
    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.0
    }
}

/// `did you mean x?` for a name among candidates, by edit distance.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    nearest(name, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// The candidate [`did_you_mean`] would suggest for `name`, if any: the nearest within an edit
/// distance of a third of the longer length (at least 1), the first in order on a tie, else a
/// longer or shorter spelling of the same word.
pub fn nearest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    let mut candidates_prefix: Vec<&str> = Vec::new();
    let len = name.chars().count();
    for c in candidates {
        candidates_prefix.push(c);
        let clen = c.chars().count();
        let limit = (len.max(clen) / 3).max(1);
        // The distance is at least the difference of the lengths: a candidate that cannot be
        // within the limit is not measured (the same answer, without the quadratic work).
        if len.abs_diff(clen) > limit {
            continue;
        }
        // Once a candidate one edit away is found, only another one edit away (and smaller)
        // or the name itself can replace it: that is a linear test, not a distance (a hint
        // searching 20,000 user names measured every one of them).
        let d = match best {
            Some((0, _)) => continue,
            Some((1, _)) if c == name => 0,
            Some((1, bc)) if c < bc && within_one_edit(name, c) => 1,
            Some((1, _)) => continue,
            _ => edit_distance(name, c),
        };
        if d <= limit && best.is_none_or(|(bd, bc)| d < bd || (d == bd && c < bc)) {
            best = Some((d, c));
        }
    }
    // A longer or shorter spelling of the same word (`boolean` for `bool`, `integer` for `int`).
    best.map(|(_, c)| c).or_else(|| {
        candidates_prefix.into_iter().find(|c| {
            c.len() >= 3 && (name.starts_with(c) || c.starts_with(name)) && name.len() >= 3
        })
    })
}

/// Whether `a` and `b` are at most one edit apart in [`edit_distance`]'s terms (one character
/// changed, added or removed, or two neighbours swapped), without measuring the distance.
fn within_one_edit(a: &str, b: &str) -> bool {
    let (mut ra, mut rb) = (a.chars(), b.chars());
    // Past the common prefix.
    while let (Some(x), Some(y)) = (ra.clone().next(), rb.clone().next()) {
        if x != y {
            break;
        }
        ra.next();
        rb.next();
    }
    let (ra, rb) = (ra.as_str(), rb.as_str());
    if ra == rb {
        return true;
    }
    fn tail(s: &str) -> &str {
        let mut c = s.chars();
        c.next();
        c.as_str()
    }
    let (ta, tb) = (tail(ra), tail(rb));
    let swapped = {
        let (mut x, mut y) = (ra.chars(), rb.chars());
        matches!((x.next(), x.next(), y.next(), y.next()), (Some(a0), Some(a1), Some(b0), Some(b1)) if a0 == b1 && a1 == b0)
            && tail(ta) == tail(tb)
    };
    ta == tb || ta == rb || ra == tb || swapped
}

/// Edit distance counted in characters, where swapping two neighbours counts as one edit
/// (optimal string alignment, `strsim::osa_distance`): `hihg` is one edit from `high`.
pub fn edit_distance(a: &str, b: &str) -> usize {
    strsim::osa_distance(a, b)
}

#[cfg(test)]
mod tests {
    use super::{did_you_mean, edit_distance, nearest, within_one_edit};

    #[test]
    fn the_one_edit_test_agrees_with_the_distance() {
        let words = [
            "", "a", "b", "ab", "ba", "abc", "acb", "bac", "abd", "abcd", "abdc", "xbcd", "bcd",
            "u18509", "u10509", "u1850", "u185099", "u81509", "é", "éa", "aé", "kitten", "sitten",
        ];
        for a in words {
            for b in words {
                assert_eq!(
                    within_one_edit(a, b),
                    edit_distance(a, b) <= 1,
                    "{a:?} and {b:?}"
                );
            }
        }
    }

    #[test]
    fn the_nearest_is_the_smallest_of_the_closest_whatever_the_order() {
        let names = ["u28509", "u10509", "u18500", "u1850", "u18509x", "v18509"];
        let mut rev = names;
        rev.reverse();
        assert_eq!(nearest("u18509", names), Some("u10509"));
        assert_eq!(nearest("u18509", rev), Some("u10509"));
        assert_eq!(
            nearest("u18509", ["u28509", "u18509", "u10509"]),
            Some("u18509")
        );
        assert_eq!(nearest("zzzzzz", names), None);
    }

    #[test]
    fn a_diagnostic_is_an_error_with_its_code_and_help() {
        let d = super::Diagnostic::new(super::Code::E0203, "`workspace` has no permission `delet`")
            .help("did you mean `delete`?");
        let e: Box<dyn std::error::Error> = Box::new(d);
        assert_eq!(
            e.to_string(),
            "E0203: `workspace` has no permission `delet` (help: did you mean `delete`?)"
        );
    }

    #[test]
    fn distance_counts_swaps_as_one_edit() {
        assert_eq!(edit_distance("hihg", "high"), 1);
        assert_eq!(edit_distance("admn", "admin"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(
            did_you_mean("hihg", ["low", "high"]),
            Some("did you mean `high`?".into())
        );
        assert_eq!(did_you_mean("zzz", ["low", "high"]), None);
        assert_eq!(
            did_you_mean("boolean", ["bool", "int"]),
            Some("did you mean `bool`?".into())
        );
    }
}

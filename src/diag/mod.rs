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
    pub span: Span,
    pub message: String,
    pub primary: bool,
}

/// One problem found in the input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub code: Code,
    /// Lowercase, no final period, the user's names in backticks.
    pub message: String,
    pub labels: Vec<Label>,
    pub help: Option<String>,
    /// A warning raised to an error by configuration ([`config::Severities`]); `None` keeps
    /// the code's own severity.
    #[serde(skip)]
    pub raised: Option<Severity>,
}

impl Diagnostic {
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

    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn severity(&self) -> Severity {
        self.raised.unwrap_or(self.code.severity())
    }

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

/// Diagnostics collected by a stage that keeps going after an error.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.0.extend(other);
    }

    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.0
    }
}

/// `did you mean x?` for a name among candidates, by edit distance.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let mut best: Option<(usize, &str)> = None;
    let mut candidates_prefix: Vec<&str> = Vec::new();
    for c in candidates {
        candidates_prefix.push(c);
        let d = edit_distance(name, c);
        let limit = (name.chars().count().max(c.chars().count()) / 3).max(1);
        if d <= limit && best.is_none_or(|(bd, bc)| d < bd || (d == bd && c < bc)) {
            best = Some((d, c));
        }
    }
    // A longer or shorter spelling of the same word (`boolean` for `bool`, `integer` for `int`).
    let best = best.map(|(_, c)| c).or_else(|| {
        candidates_prefix.into_iter().find(|c| {
            c.len() >= 3 && (name.starts_with(c) || c.starts_with(name)) && name.len() >= 3
        })
    });
    best.map(|c| format!("did you mean `{c}`?"))
}

/// Edit distance counted in characters, where swapping two neighbours counts as one edit
/// (optimal string alignment): `hihg` is one edit from `high`.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for (i, row) in d.chunks_mut(w).enumerate() {
        row[0] = i;
    }
    for (j, cell) in d.iter_mut().take(w).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[a.len() * w + b.len()]
}

#[cfg(test)]
mod tests {
    use super::{did_you_mean, edit_distance};

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

//! Renderers: human (miette), JSON, GitHub workflow commands, SARIF 2.1.0.

use super::{Diagnostic, Severity};
use crate::source::{SourceMap, Span};
use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    NamedSource, SourceCode, SourceSpan, SpanContents,
};
use serde_json::{Value as Json, json};
use std::fmt;

/// Output formats of `polc check`: `human` ([`human()`], with the source and carets), `json`
/// ([`json()`]), `github` (workflow commands, [`github()`]) and `sarif` (SARIF 2.1.0, [`sarif()`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
// Doc comments on the variants would become `--format`'s help text (clap); they are described
// above instead.
#[allow(missing_docs)]
pub enum Format {
    #[default]
    Human,
    Json,
    Github,
    Sarif,
}

/// Human rendering options.
#[derive(Clone, Copy, Debug)]
pub struct HumanStyle {
    /// Whether to colour the output with ANSI escapes.
    pub color: bool,
    /// Whether to draw with Unicode box characters (else ASCII).
    pub unicode: bool,
    /// The terminal's width in columns, for wrapping messages and help.
    pub width: usize,
}

impl HumanStyle {
    /// Colourless, ASCII, 100 columns: what snapshots and pipes get.
    pub fn plain() -> HumanStyle {
        HumanStyle {
            color: false,
            unicode: false,
            width: 100,
        }
    }
}

/// Labels whose start or end lies past this column (in characters) are not drawn under the
/// source line; the diagnostic names their position instead. A tab or a wide character takes
/// at most 4 columns of the terminal, so the padding stays far below `u16::MAX`.
const MAX_SNIPPET_COLUMN: usize = 10_000;

/// A [`Diagnostic`] bound to its sources, as miette wants it. Labels in other files than the
/// primary one become related reports, so a diagnostic can point into several files.
struct MietteReport {
    diag: Diagnostic,
    source: Option<CharColumns>,
    labels: Vec<LabeledSpan>,
    related: Vec<MietteReport>,
    code: String,
    is_related: bool,
}

impl MietteReport {
    fn new(diag: &Diagnostic, sources: &SourceMap) -> MietteReport {
        let primary = diag.span();
        let file = primary.map(|s| s.file);
        let source = file
            .and_then(|f| sources.get(f))
            .map(|f| CharColumns(NamedSource::new(f.name.clone(), f.text.clone())));
        // miette pads the underline of a label with `{:width$}`, and `format!` panics on a width
        // past `u16::MAX`: a label far out on a long line (a minified JSON file, 100,000 `[`) is
        // shown as `file:line:column` instead of a snippet.
        let too_far = |span: Span| {
            sources.get(span.file).is_some_and(|f| {
                [span.start as usize, span.end as usize]
                    .into_iter()
                    .any(|at| f.line_col(at).column > MAX_SNIPPET_COLUMN)
            })
        };
        if diag.labels.iter().any(|l| too_far(l.span)) {
            let mut plain = diag.clone();
            let places: Vec<String> = diag
                .labels
                .iter()
                .map(|l| format!("{} ({})", sources.location(l.span), l.message))
                .collect();
            plain.message = format!("{}\n  at {}", diag.message, places.join("\n  at "));
            plain.labels.clear();
            return MietteReport::new(&plain, sources);
        }
        let mut labels = Vec::new();
        let mut related = Vec::new();
        for l in &diag.labels {
            if Some(l.span.file) == file {
                labels.push(labeled(l.span, &l.message, l.primary));
            } else {
                let mut sub = Diagnostic::new(
                    diag.code,
                    format!("and in `{}`:", sources.name(l.span.file)),
                );
                sub.labels.push(super::Label {
                    span: l.span,
                    message: l.message.clone(),
                    primary: true,
                });
                let mut r = MietteReport::new(&sub, sources);
                r.is_related = true;
                related.push(r);
            }
        }
        MietteReport {
            code: diag.code.to_string(),
            diag: diag.clone(),
            source,
            labels,
            related,
            is_related: false,
        }
    }
}

/// A source whose columns count characters, as json, github and sarif output do (and as
/// editors and SARIF mean them): miette counts bytes, so `file:line:column` in the human report
/// would name another column than the other formats on a line with accents.
struct CharColumns(NamedSource<String>);

impl SourceCode for CharColumns {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self
            .0
            .read_span(span, context_lines_before, context_lines_after)?;
        let text = self.0.inner().as_str();
        let start = inner.span().offset().min(text.len());
        let line_start = text.as_bytes()[..start]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let column = text
            .get(line_start..start)
            .map_or(inner.column(), |s| s.chars().count());
        let data = inner.data();
        let contents = MietteSpanContents::new_named(
            self.0.name().to_string(),
            data,
            *inner.span(),
            inner.line(),
            column,
            inner.line_count(),
        );
        Ok(Box::new(contents))
    }
}

fn labeled(span: Span, message: &str, primary: bool) -> LabeledSpan {
    let s = SourceSpan::new((span.start as usize).into(), span.len());
    let text = if message.is_empty() {
        None
    } else {
        Some(message.to_string())
    };
    if primary {
        LabeledSpan::new_primary_with_span(text, s)
    } else {
        LabeledSpan::new_with_span(text, s)
    }
}

impl fmt::Debug for MietteReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.diag.message)
    }
}

impl fmt::Display for MietteReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.diag.message)
    }
}

impl std::error::Error for MietteReport {}

impl miette::Diagnostic for MietteReport {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        if self.is_related {
            None
        } else {
            Some(Box::new(&self.code))
        }
    }
    fn severity(&self) -> Option<miette::Severity> {
        if self.is_related {
            return Some(miette::Severity::Advice);
        }
        Some(match self.diag.severity() {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.diag
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(
                self.related.iter().map(|r| r as &dyn miette::Diagnostic),
            ))
        }
    }
}

/// One diagnostic as a miette report.
pub fn human(diag: &Diagnostic, sources: &SourceMap, style: HumanStyle) -> String {
    let theme = match (style.unicode, style.color) {
        (true, true) => GraphicalTheme::unicode(),
        (true, false) => GraphicalTheme::unicode_nocolor(),
        (false, true) => GraphicalTheme {
            characters: miette::ThemeCharacters::ascii(),
            ..GraphicalTheme::unicode()
        },
        (false, false) => GraphicalTheme::none(),
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_links(false)
        .with_show_related_as_nested(true);
    let report = MietteReport::new(diag, sources);
    let mut out = String::new();
    if handler.render_report(&mut out, &report).is_err() {
        out = format!("{}: {}\n", diag.code, diag.message);
    }
    out
}

/// `{"code", "severity", "message", "file", "line", "column", "end_line", "end_column", "labels", "help"}`
pub fn json_value(diag: &Diagnostic, sources: &SourceMap) -> Json {
    let at = |span: Span| {
        let start = sources.line_col(span);
        let end = sources
            .get(span.file)
            .map_or(start, |f| f.line_col(span.end as usize));
        json!({"file": sources.name(span.file), "line": start.line, "column": start.column,
               "end_line": end.line, "end_column": end.column})
    };
    let mut v = json!({
        "code": diag.code.as_str(),
        "severity": diag.severity(),
        "message": diag.message,
        "help": diag.help,
        "labels": diag.labels.iter().map(|l| {
            let mut o = at(l.span);
            o["message"] = json!(l.message);
            o["primary"] = json!(l.primary);
            o
        }).collect::<Vec<_>>(),
    });
    if let (Some(span), Some(obj)) = (diag.span(), v.as_object_mut())
        && let Json::Object(loc) = at(span)
    {
        obj.extend(loc);
    }
    v
}

/// All diagnostics as one JSON document: `{"diagnostics": [...], "errors": N, "warnings": N}`.
pub fn json(diags: &[Diagnostic], sources: &SourceMap) -> String {
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let doc = json!({
        "diagnostics": diags.iter().map(|d| json_value(d, sources)).collect::<Vec<_>>(),
        "errors": errors,
        "warnings": diags.len() - errors,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// GitHub Actions workflow commands: `::error file=F,line=L,col=C,title=CODE::message`.
pub fn github(diags: &[Diagnostic], sources: &SourceMap) -> String {
    let esc_data = |s: &str| {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    let esc_prop = |s: &str| esc_data(s).replace(':', "%3A").replace(',', "%2C");
    let mut out = String::new();
    for d in diags {
        let kind = match d.severity() {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut props = vec![format!("title={}", esc_prop(&d.code.to_string()))];
        if let Some(span) = d.span() {
            let start = sources.line_col(span);
            let end = sources
                .get(span.file)
                .map_or(start, |f| f.line_col(span.end as usize));
            props.insert(0, format!("file={}", esc_prop(sources.name(span.file))));
            props.insert(1, format!("line={},col={}", start.line, start.column));
            props.insert(2, format!("endLine={},endColumn={}", end.line, end.column));
        }
        let mut msg = d.message.clone();
        if let Some(h) = &d.help {
            msg.push_str("\nhelp: ");
            msg.push_str(h);
        }
        out.push_str(&format!(
            "::{kind} {}::{}\n",
            props.join(","),
            esc_data(&msg)
        ));
    }
    out
}

/// SARIF 2.1.0, one run, one rule per code used.
pub fn sarif(diags: &[Diagnostic], sources: &SourceMap) -> String {
    let mut codes: Vec<_> = diags.iter().map(|d| d.code).collect();
    codes.sort();
    codes.dedup();
    let rules: Vec<Json> = codes
        .iter()
        .map(|c| {
            json!({
                "id": c.as_str(),
                "name": c.as_str(),
                "shortDescription": {"text": c.summary()},
                "fullDescription": {"text": c.explanation()},
                "defaultConfiguration": {"level": level(c.severity())},
            })
        })
        .collect();
    let region = |span: Span| {
        let start = sources.line_col(span);
        let end = sources
            .get(span.file)
            .map_or(start, |f| f.line_col(span.end as usize));
        json!({"startLine": start.line, "startColumn": start.column, "endLine": end.line, "endColumn": end.column})
    };
    let location = |span: Span, message: &str| {
        let mut loc = json!({"physicalLocation": {
            "artifactLocation": {"uri": sources.name(span.file)},
            "region": region(span),
        }});
        if !message.is_empty() {
            loc["message"] = json!({"text": message});
        }
        loc
    };
    let results: Vec<Json> = diags
        .iter()
        .map(|d| {
            let mut text = d.message.clone();
            if let Some(h) = &d.help {
                text.push_str(&format!(" (help: {h})"));
            }
            let primary: Vec<Json> = d.span().map(|s| location(s, "")).into_iter().collect();
            let related: Vec<Json> = d
                .labels
                .iter()
                .filter(|l| !l.primary)
                .map(|l| location(l.span, &l.message))
                .collect();
            json!({
                "ruleId": d.code.as_str(),
                "ruleIndex": codes.iter().position(|c| *c == d.code),
                "level": level(d.severity()),
                "message": {"text": text},
                "locations": primary,
                "relatedLocations": related,
            })
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "polc", "version": env!("CARGO_PKG_VERSION"), "rules": rules}},
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

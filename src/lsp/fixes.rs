//! Code actions from the diagnostics' help: `did you mean x?` replaces the name, `add ;`
//! inserts it, a read without a `has` check gets its guard.

use super::workspace::Analysis;
use crate::diag::{Code, Diagnostic};
use crate::source::{FileId, Span};
use crate::syntax::ast::{BinOp, Expr, ExprKind, Item, Member};
use lsp_types as lsp;
use std::collections::HashMap;

/// The fix of a diagnostic: a title and the edits (span, new text).
pub fn fix(a: &Analysis, d: &Diagnostic) -> Option<(String, Vec<(Span, String)>)> {
    let help = d.help.as_deref()?;
    let primary = d.span()?;
    if let Some(rest) = help.strip_prefix("did you mean `")
        && let Some(name) = rest.strip_suffix("`?")
    {
        // A misspelt keyword is marked by a secondary label; a name by the primary one.
        let span = d
            .labels
            .iter()
            .find(|l| !l.primary && l.message == "not a keyword")
            .map_or(primary, |l| l.span);
        let old = a.compilation().sources.slice(span);
        let new = if old.starts_with('"') {
            format!("\"{name}\"")
        } else {
            name.to_string()
        };
        return Some((format!("replace `{old}` with `{new}`"), vec![(span, new)]));
    }
    if help == "add `;` at the end of the statement" {
        return Some((
            "add `;`".into(),
            vec![(
                Span {
                    end: primary.start,
                    ..primary
                },
                ";".into(),
            )],
        ));
    }
    if d.code == Code::E0402 {
        let access = a.compilation().sources.slice(primary);
        let (base, name) = access.rsplit_once('.')?;
        let guard = format!("{base} has {name}");
        let cmp = comparison_around(a, primary).unwrap_or(primary);
        let whole = a.compilation().sources.slice(cmp);
        return Some((
            format!("guard the read with `{guard}`"),
            vec![(cmp, format!("({guard} && {whole})"))],
        ));
    }
    None
}

/// The smallest comparison of a rule condition that holds `span`.
fn comparison_around(a: &Analysis, span: Span) -> Option<Span> {
    fn walk(e: &Expr, span: Span, best: &mut Option<Span>) {
        if !(e.span.start <= span.start && span.end <= e.span.end) {
            return;
        }
        match &e.kind {
            ExprKind::Binary(op, l, r) => {
                if !matches!(op, BinOp::And | BinOp::Or) {
                    *best = Some(e.span);
                }
                walk(l, span, best);
                walk(r, span, best);
            }
            ExprKind::Not(x) | ExprKind::Neg(x) | ExprKind::Paren(x) => walk(x, span, best),
            _ => {}
        }
    }
    let file = a.compilation().files.get(span.file.0 as usize)?;
    let mut best = None;
    for item in &file.items {
        let members = match item {
            Item::Resource(r) => &r.members,
            Item::Actor(x) => &x.members,
            _ => continue,
        };
        for m in members {
            if let Member::Rule(r) = m
                && let Some(c) = &r.condition
            {
                walk(&c.expr, span, &mut best);
            }
        }
    }
    best
}

pub fn code_actions(a: &Analysis, f: FileId, start: usize, end: usize) -> Vec<lsp::CodeAction> {
    let mut out = Vec::new();
    for d in &a.compilation().diagnostics {
        let Some(s) = d.span() else { continue };
        if s.file != f || (s.end as usize) < start || (s.start as usize) > end {
            continue;
        }
        let Some((title, edits)) = fix(a, d) else {
            continue;
        };
        let mut changes: HashMap<lsp::Url, Vec<lsp::TextEdit>> = HashMap::new();
        for (span, text) in edits {
            if let Some(uri) = a.uri(span.file) {
                changes.entry(uri.clone()).or_default().push(lsp::TextEdit {
                    range: a.range(span),
                    new_text: text,
                });
            }
        }
        out.push(lsp::CodeAction {
            title,
            kind: Some(lsp::CodeActionKind::QUICKFIX),
            diagnostics: Some(vec![a.convert(d, a.range(s))]),
            edit: Some(lsp::WorkspaceEdit {
                changes: Some(changes),
                ..lsp::WorkspaceEdit::default()
            }),
            command: None,
            is_preferred: Some(d.code != Code::E0402),
            disabled: None,
            data: None,
        });
    }
    out
}

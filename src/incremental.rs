//! Compiling again after an edit, reusing what the edit left alone: what a language server
//! runs on every change ([`crate::lsp`]).
//!
//! [`Incremental::new`] compiles like [`crate::compile_sources`]; [`Incremental::update`]
//! compiles new sources (the same files, edited) and
//!
//! - keeps the parse (AST and parse diagnostics) of every file whose text is unchanged, and
//!   parses only the others;
//! - skips resolving and checking when the edits changed only the layout (whitespace and plain
//!   comments: every file parses to the same items and the same tokens, doc comments included):
//!   the policy, the role graph and the diagnostics of the later stages are carried over, their
//!   positions moved token by token to the new text. The compiled policy then holds the
//!   locations of the old text (in its explanations), so [`Incremental::is_exact`] is false until
//!   [`Incremental::recheck`] runs the stages again.
//!
//! The result is the same [`Compilation`] a full compile of the new sources gives (same
//! diagnostics, in the same order), which `tests` below check.

use crate::diag::Diagnostic;
use crate::source::{FileId, SourceMap, Span};
use crate::syntax::tokens::{Token, tokenize};
use crate::syntax::{self, ast};
use crate::{Compilation, Unit, check_unit};
use std::collections::HashMap;
use std::ops::Range;

mod shape;

/// A compilation that can be updated after edits.
#[derive(Debug)]
pub struct Incremental {
    compilation: Compilation,
    /// Per file: its parse diagnostics.
    parse: Vec<Vec<Diagnostic>>,
    /// The diagnostics of the stages after parsing.
    checks: Vec<Diagnostic>,
    exact: bool,
}

/// What an update reused.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reuse {
    /// Files parsed (new or changed).
    pub parsed: usize,
    /// Files whose parse was kept (unchanged text).
    pub kept: usize,
    /// Resolving and checking ran; false when only the layout changed and their results were
    /// carried over.
    pub checked: bool,
}

impl Incremental {
    /// Compiles every file of `sources` (what [`crate::compile_sources`] does).
    pub fn new(sources: SourceMap) -> Incremental {
        let parses: Vec<(ast::File, Vec<Diagnostic>)> = sources
            .files()
            .map(|(id, f)| syntax::parse_file(id, &f.text))
            .collect();
        Incremental::check(sources, parses)
    }

    fn check(sources: SourceMap, parses: Vec<(ast::File, Vec<Diagnostic>)>) -> Incremental {
        let mut files = Vec::with_capacity(parses.len());
        let mut parse = Vec::with_capacity(parses.len());
        for (ast, diags) in parses {
            files.push(ast);
            parse.push(diags);
        }
        let all: Vec<Diagnostic> = parse.iter().flatten().cloned().collect();
        let before = all.len();
        let unit = check_unit(&sources, files, all);
        let checks = unit.diagnostics[before..].to_vec();
        Incremental::assemble(sources, unit, parse, checks, true)
    }

    fn assemble(
        sources: SourceMap,
        unit: Unit,
        parse: Vec<Vec<Diagnostic>>,
        checks: Vec<Diagnostic>,
        exact: bool,
    ) -> Incremental {
        let mut diagnostics: Vec<Diagnostic> = parse.iter().flatten().cloned().collect();
        diagnostics.extend(checks.iter().cloned());
        Incremental {
            compilation: Compilation {
                sources,
                files: unit.files,
                policy: unit.policy,
                graph: unit.graph,
                diagnostics,
            },
            parse,
            checks,
            exact,
        }
    }

    /// The latest compilation.
    pub fn compilation(&self) -> &Compilation {
        &self.compilation
    }

    /// Takes the compilation out.
    pub fn into_compilation(self) -> Compilation {
        self.compilation
    }

    /// The policy and the later stages' results were computed on the current text (not
    /// carried over a layout-only edit).
    pub fn is_exact(&self) -> bool {
        self.exact
    }

    /// Runs the stages after parsing again when their results were carried over a layout-only
    /// edit, so that the policy's locations are the current text's.
    pub fn recheck(self) -> Incremental {
        if self.exact {
            return self;
        }
        let Incremental {
            compilation, parse, ..
        } = self;
        let parses = compilation.files.into_iter().zip(parse).collect();
        Incremental::check(compilation.sources, parses)
    }

    /// Compiles `sources`, the files of the last compilation edited (files may also come and
    /// go), reusing what the edits left alone.
    pub fn update(self, sources: SourceMap) -> (Incremental, Reuse) {
        let Incremental {
            compilation: old,
            parse: old_parse,
            checks: old_checks,
            exact: old_exact,
        } = self;
        let by_name: HashMap<&str, FileId> = old
            .sources
            .files()
            .map(|(id, f)| (f.name.as_str(), id))
            .collect();
        let mut old_files: Vec<Option<ast::File>> = old.files.into_iter().map(Some).collect();
        let mut old_parse: Vec<Option<Vec<Diagnostic>>> = old_parse.into_iter().map(Some).collect();
        let mut reuse = Reuse::default();
        let mut parses = Vec::new();
        // Files whose text changed while they kept their place: candidates for a layout-only
        // edit, with the old item list and the old text's tokens.
        let mut moved: HashMap<FileId, Vec<Range<usize>>> = HashMap::new();
        let mut layout_only = sources.files().count() == old_files.len();
        for (id, f) in sources.files() {
            let same_place = by_name.get(f.name.as_str()) == Some(&id);
            let old_text = old.sources.get(id).map(|o| o.text.as_str());
            if same_place && old_text == Some(f.text.as_str()) {
                let i = id.0 as usize;
                if let (Some(ast), Some(diags)) = (old_files[i].take(), old_parse[i].take()) {
                    reuse.kept += 1;
                    parses.push((ast, diags));
                    continue;
                }
            }
            reuse.parsed += 1;
            let (ast, diags) = syntax::parse_file(id, &f.text);
            if layout_only {
                let prior = old_files.get(id.0 as usize).and_then(Option::as_ref);
                let prior_diags = old_parse.get(id.0 as usize).and_then(Option::as_ref);
                match (same_place, prior, prior_diags, old_text) {
                    (true, Some(p), Some(pd), Some(t)) => match layout_map(t, &f.text) {
                        Some(map) if same_items(p, &ast) && same_diagnostics(pd, &diags) => {
                            moved.insert(id, map);
                        }
                        _ => layout_only = false,
                    },
                    _ => layout_only = false,
                }
            }
            parses.push((ast, diags));
        }
        if layout_only {
            let mut checks = old_checks;
            for d in &mut checks {
                for l in &mut d.labels {
                    if let Some(map) = moved.get(&l.span.file) {
                        l.span = move_span(l.span, map, &sources);
                    }
                }
            }
            let mut files = Vec::with_capacity(parses.len());
            let mut parse = Vec::with_capacity(parses.len());
            for (ast, diags) in parses {
                files.push(ast);
                parse.push(diags);
            }
            let unit = Unit {
                name: String::new(),
                files,
                policy: old.policy,
                graph: old.graph,
                diagnostics: Vec::new(),
            };
            let exact = old_exact && moved.is_empty();
            return (
                Incremental::assemble(sources, unit, parse, checks, exact),
                reuse,
            );
        }
        reuse.checked = true;
        (Incremental::check(sources, parses), reuse)
    }
}

/// The tokens that carry meaning: all but whitespace and plain comments (doc comments count).
fn significant(text: &str) -> Vec<(Token, Range<usize>)> {
    tokenize(text)
        .into_iter()
        .filter(|(t, _)| !matches!(t, Token::LineComment | Token::BlockComment))
        .collect()
}

/// When `new` differs from `old` only in layout (the same significant tokens, written the
/// same), a pair of ranges per token: old range, then new range, interleaved.
fn layout_map(old: &str, new: &str) -> Option<Vec<Range<usize>>> {
    let a = significant(old);
    let b = significant(new);
    if a.len() != b.len() {
        return None;
    }
    let mut map = Vec::with_capacity(a.len() * 2);
    for ((ta, ra), (tb, rb)) in a.into_iter().zip(b) {
        if ta != tb || old.get(ra.clone()) != new.get(rb.clone()) {
            return None;
        }
        map.push(ra);
        map.push(rb);
    }
    Some(map)
}

/// An offset of the old text at its place in the new one: inside a token at the same place in
/// that token, in the layout after a token at the token's end.
fn move_offset(x: usize, map: &[Range<usize>], new_len: usize) -> usize {
    let n = map.len() / 2;
    // The last token that starts at or before `x`.
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if map[2 * mid].start <= x {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if lo == 0 {
        let first = map.get(1).map_or(new_len, |r| r.start);
        return x.min(first);
    }
    let (o, w) = (&map[2 * (lo - 1)], &map[2 * (lo - 1) + 1]);
    if x <= o.end {
        w.start + (x - o.start)
    } else {
        w.end
    }
}

fn move_span(span: Span, map: &[Range<usize>], new: &SourceMap) -> Span {
    let len = new.get(span.file).map_or(0, |f| f.text.len());
    let start = move_offset(span.start as usize, map, len);
    let end = move_offset(span.end as usize, map, len).max(start);
    Span::new(span.file, start, end)
}

/// The same items, spans aside (the formatter's comments aside too).
fn same_items(a: &ast::File, b: &ast::File) -> bool {
    a.items.len() == b.items.len()
        && shape::shape(&a.items).is_some_and(|x| shape::shape(&b.items) == Some(x))
}

/// The same parse diagnostics, positions aside.
fn same_diagnostics(a: &[Diagnostic], b: &[Diagnostic]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            x.code == y.code
                && x.message == y.message
                && x.help == y.help
                && x.labels.len() == y.labels.len()
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn sources(files: &[(&str, &str)]) -> SourceMap {
        let mut s = SourceMap::new();
        for (n, t) in files {
            s.add(*n, *t);
        }
        s
    }

    const A: &str = "actor user;\nresource doc {\n  permissions read, write;\n  role viewer { grants read; }\n  role editor { includes viewer; grants write; }\n}\n";
    const B: &str = "resource folder {\n  permissions read;\n  role owner { grants read; }\n}\n";

    /// The diagnostics as `polc check` shows them: code, message, labels' places.
    fn shown(c: &Compilation) -> Vec<String> {
        c.diagnostics
            .iter()
            .map(|d| {
                let places: Vec<String> = d
                    .labels
                    .iter()
                    .map(|l| {
                        format!(
                            "{}:{}",
                            c.sources.name(l.span.file),
                            c.sources.slice(l.span)
                        )
                    })
                    .collect();
                format!(
                    "{} {} {:?} {:?}",
                    d.code.as_str(),
                    d.message,
                    places,
                    d.labels
                )
            })
            .collect()
    }

    fn agrees(inc: &Incremental, files: &[(&str, &str)]) {
        let full = crate::compile_sources(sources(files));
        assert_eq!(shown(inc.compilation()), shown(&full));
        assert_eq!(inc.compilation().files, full.files);
        assert_eq!(inc.compilation().policy.is_some(), full.policy.is_some());
    }

    #[test]
    fn an_edit_parses_only_the_changed_file() {
        let inc = Incremental::new(sources(&[("a.pol", A), ("b.pol", B)]));
        let b2 = B.replace("grants read;", "grants read, nosuch;");
        let files = [("a.pol", A), ("b.pol", b2.as_str())];
        let (inc, reuse) = inc.update(sources(&files));
        assert_eq!(
            reuse,
            Reuse {
                parsed: 1,
                kept: 1,
                checked: true
            }
        );
        assert_eq!(inc.compilation().diagnostics.len(), 1);
        agrees(&inc, &files);
        // Fixed again: clean.
        let files = [("a.pol", A), ("b.pol", B)];
        let (inc, _) = inc.update(sources(&files));
        agrees(&inc, &files);
        assert!(inc.compilation().policy.is_some());
    }

    #[test]
    fn a_layout_edit_skips_the_checks_and_moves_their_positions() {
        let broken = A.replace("includes viewer;", "includes viewr;");
        let inc = Incremental::new(sources(&[("a.pol", &broken), ("b.pol", B)]));
        assert_eq!(inc.compilation().diagnostics.len(), 1);
        let spaced = broken
            .replace("actor user;\n", "// the users\nactor   user;\n\n")
            .replace("role editor {", "/* editors */ role  editor {");
        let files = [("a.pol", spaced.as_str()), ("b.pol", B)];
        let (inc, reuse) = inc.update(sources(&files));
        assert_eq!(
            reuse,
            Reuse {
                parsed: 1,
                kept: 1,
                checked: false
            }
        );
        assert!(!inc.is_exact());
        agrees(&inc, &files);
        let d = &inc.compilation().diagnostics[0];
        assert_eq!(inc.compilation().sources.slice(d.labels[0].span), "viewr");
        // Checking again gives the same, exactly.
        let inc = inc.recheck();
        assert!(inc.is_exact());
        agrees(&inc, &files);
    }

    #[test]
    fn a_doc_comment_or_a_joined_token_is_no_layout_edit() {
        let inc = Incremental::new(sources(&[("a.pol", A)]));
        let doc = A.replace("  role viewer", "  /// Reads.\n  role viewer");
        let (inc, reuse) = inc.update(sources(&[("a.pol", &doc)]));
        assert!(reuse.checked);
        agrees(&inc, &[("a.pol", &doc)]);
        let joined = doc.replace("read, write", "read,write");
        let (inc, reuse) = inc.update(sources(&[("a.pol", &joined)]));
        assert!(!reuse.checked, "a comma without its space is layout");
        let merged = joined.replace("role viewer", "roleviewer");
        let (inc, reuse) = inc.update(sources(&[("a.pol", &merged)]));
        assert!(reuse.checked);
        agrees(&inc, &[("a.pol", &merged)]);
        let _ = inc;
    }

    #[test]
    fn files_that_come_go_or_break_are_compiled_again() {
        let inc = Incremental::new(sources(&[("a.pol", A)]));
        let files = [("a.pol", A), ("b.pol", B)];
        let (inc, reuse) = inc.update(sources(&files));
        assert_eq!((reuse.parsed, reuse.kept, reuse.checked), (1, 1, true));
        agrees(&inc, &files);
        // A new file before the others moves their ids: they are parsed again.
        let files = [("0.pol", "resource x {}\n"), ("a.pol", A), ("b.pol", B)];
        let (inc, reuse) = inc.update(sources(&files));
        assert_eq!((reuse.parsed, reuse.kept), (3, 0));
        agrees(&inc, &files);
        let bad = B.replace("role owner {", "role owner ");
        let files = [
            ("0.pol", "resource x {}\n"),
            ("a.pol", A),
            ("b.pol", bad.as_str()),
        ];
        let (inc, _) = inc.update(sources(&files));
        agrees(&inc, &files);
        assert!(inc.compilation().has_errors());
        // Layout edits of a broken file keep its syntax error in place.
        let spaced = bad.replace("resource folder", "\n\nresource   folder");
        let files = [
            ("0.pol", "resource x {}\n"),
            ("a.pol", A),
            ("b.pol", spaced.as_str()),
        ];
        let (inc, _) = inc.update(sources(&files));
        agrees(&inc, &files);
        let files = [("a.pol", A)];
        let (inc, _) = inc.update(sources(&files));
        agrees(&inc, &files);
    }
}

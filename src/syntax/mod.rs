//! Stage 1, parse: source text -> [`ast::File`]. pest's pairs never leave this module.
//!
//! - [`parse_file`]: a policy or data file, every syntax error of it (recovering at the next
//!   top-level item);
//! - [`parse_query`], [`parse_facts`], [`parse_assertion`]: the REPL's and the CLI's inputs;
//! - [`tokens::tokenize`]: the token stream for highlighting and `polc debug tokens`.

pub mod ast;
mod docs;
mod errors;
mod parser;
pub mod tokens;

pub use errors::MAX_NESTING;

use crate::diag::Diagnostic;
use crate::source::FileId;
use docs::DocIndex;
use errors::{Piece, check_nesting, syntax_error};
use parser::{Conv, Rule, parse_with};
use std::ops::Range;
use tokens::{Token, tokenize};

/// Parses a policy or data file. Returns the items that parsed and a diagnostic per syntax
/// error: after an error the parser recovers at the next top-level item, so each broken item
/// gives one diagnostic and the others are kept.
pub fn parse_file(file: FileId, text: &str) -> (ast::File, Vec<Diagnostic>) {
    let tokens = tokenize(text);
    let mut docs = DocIndex::new(text, &tokens);
    let (items, diags) = match check_nesting(file, &tokens) {
        Err(d) => (Vec::new(), vec![d]),
        Ok(depth) => with_stack(depth, || parse_items(file, text, &tokens, &mut docs))
            .unwrap_or_else(|| (Vec::new(), vec![internal_error(file, text)])),
    };
    let comments = docs.comments(file, text, &tokens);
    (
        ast::File {
            file,
            items,
            comments,
        },
        diags,
    )
}

pub(crate) use crate::stack::with_stack;

fn parse_items(
    file: FileId,
    text: &str,
    tokens: &[(Token, Range<usize>)],
    docs: &mut DocIndex,
) -> (Vec<ast::Item>, Vec<Diagnostic>) {
    if let Some(parsed) = parse_item_by_item(file, text, tokens, docs) {
        return parsed;
    }
    let mut items = Vec::new();
    let mut diags = Vec::new();
    let whole = parse_with(Rule::file, text, |pair| {
        let mut conv = Conv::new(file, 0, docs);
        let items: Vec<_> = pair
            .into_inner()
            .filter(|p| p.as_rule() == Rule::item)
            .map(|p| conv.item(p))
            .collect();
        (items, conv.diags)
    });
    match whole {
        Ok((parsed, conv_diags)) => {
            collect_items(parsed, conv_diags, &mut items, &mut diags, file, text)
        }
        Err(whole_error) => {
            let before = diags.len();
            for range in split_items(text, tokens) {
                let piece = Piece {
                    file,
                    text,
                    range: range.clone(),
                    top_level: true,
                };
                let result = parse_with(Rule::chunk, &text[range.clone()], |pair| {
                    let mut conv = Conv::new(file, range.start, docs);
                    let item = pair
                        .into_inner()
                        .find(|p| p.as_rule() == Rule::item)
                        .and_then(|p| conv.item(p));
                    (item, conv.diags)
                });
                match result {
                    Ok((item, conv_diags)) => {
                        collect_items(vec![item], conv_diags, &mut items, &mut diags, file, text)
                    }
                    Err(e) => diags.push(syntax_error(&e, &piece)),
                }
            }
            // The file as a whole does not parse, yet every item did: what the grammar refused
            // lies between the items (a NUL byte in a comment, say). Report it: a file the
            // grammar refuses is never taken as clean.
            if !diags[before..].iter().any(Diagnostic::is_error) {
                let piece = Piece {
                    file,
                    text,
                    range: 0..text.len(),
                    top_level: true,
                };
                diags.push(syntax_error(&whole_error, &piece));
            }
        }
    }
    (items, diags)
}

/// Parses a file one top-level item at a time, so that pest's token queue holds one item rather
/// than the whole file (a 15 MB policy once took ~85 bytes of queue per byte of source), and
/// each item's pairs are dropped once it is converted. `None` when any piece does not parse:
/// the caller then parses the file whole, as before, and recovers from its errors.
///
/// The pieces are cut only at a `;` or `}` at brace depth 0, which is where every item ends
/// (`item` always ends in `semi` or `rbrace`, with no lookahead after it), and what lies between
/// them must parse as a file of no items (whitespace and comments): so a file read this way
/// gives exactly the items of `Rule::file` (`tests/parse.rs` compares both on every fixture).
fn parse_item_by_item(
    file: FileId,
    text: &str,
    tokens: &[(Token, Range<usize>)],
    docs: &mut DocIndex,
) -> Option<(Vec<ast::Item>, Vec<Diagnostic>)> {
    let mut items = Vec::new();
    let mut diags = Vec::new();
    let mut gap_start = 0;
    let trivia_ok = |gap: Range<usize>| {
        let gap = &text[gap];
        gap.chars()
            .all(|c| matches!(c, ' ' | '\t' | '\r' | '\n' | '\u{FEFF}'))
            || parse_with(Rule::file, gap, |_| ()).is_ok()
    };
    for range in item_ranges(tokens) {
        if !trivia_ok(gap_start..range.start) {
            return None;
        }
        gap_start = range.end;
        let (item, conv_diags) = parse_with(Rule::chunk, &text[range.clone()], |pair| {
            let mut conv = Conv::new(file, range.start, docs);
            let item = pair
                .into_inner()
                .find(|p| p.as_rule() == Rule::item)
                .and_then(|p| conv.item(p));
            (item, conv.diags)
        })
        .ok()?;
        collect_items(vec![item], conv_diags, &mut items, &mut diags, file, text);
    }
    if !trivia_ok(gap_start..text.len()) {
        return None;
    }
    Some((items, diags))
}

/// The ranges of the top-level items of a file that parses: from the first token of each to the
/// `;` or `}` at brace depth 0 that ends it (comments between items belong to no range).
fn item_ranges(tokens: &[(Token, Range<usize>)]) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut start: Option<usize> = None;
    let mut depth = 0usize;
    let mut end = 0;
    let mut toks = tokens.iter().filter(|(t, _)| !t.is_comment());
    std::iter::from_fn(move || {
        for (t, r) in toks.by_ref() {
            start.get_or_insert(r.start);
            end = r.end;
            match t {
                Token::LBrace => depth += 1,
                Token::RBrace => depth = depth.saturating_sub(1),
                _ => {}
            }
            if depth == 0
                && matches!(t, Token::Semi | Token::RBrace)
                && let Some(s) = start.take()
            {
                return Some(s..r.end);
            }
        }
        // What is left (an item without its end) is a range of its own: it does not parse.
        start.take().map(|s| s..end)
    })
}

/// Keeps the converted items; an item that did not convert either hit a limit (its diagnostic
/// is among `conv_diags`) or is a bug in the converter, reported rather than panicked.
fn collect_items(
    parsed: Vec<Option<ast::Item>>,
    conv_diags: Vec<Diagnostic>,
    items: &mut Vec<ast::Item>,
    diags: &mut Vec<Diagnostic>,
    file: FileId,
    text: &str,
) {
    let limit_hit = conv_diags
        .iter()
        .any(|d| d.code == crate::diag::Code::E0003);
    diags.extend(conv_diags);
    for item in parsed {
        match item {
            Some(item) => items.push(item),
            None if limit_hit => {}
            None => diags.push(internal_error(file, text)),
        }
    }
}

fn internal_error(file: FileId, text: &str) -> Diagnostic {
    let span = crate::source::Span::new(file, 0, text.len().min(1));
    Diagnostic::new(
        crate::diag::Code::E0101,
        "the parser could not convert this input (a bug in polc)",
    )
    .primary(span, "here")
    .help("please report this input to the polc maintainers")
}

/// Parses one query (`can user:alice view workspace:ml`), with an optional trailing `;`.
pub fn parse_query(file: FileId, text: &str) -> Result<ast::Query, Diagnostic> {
    single(file, text, Rule::query_input, |conv, pair| {
        pair.into_inner()
            .find(|p| p.as_rule() == Rule::query)
            .and_then(|p| conv.query(p))
    })
}

/// Parses one assertion, with an optional leading `assert` and an optional trailing `;`.
pub fn parse_assertion(file: FileId, text: &str) -> Result<ast::Assertion, Diagnostic> {
    single(file, text, Rule::assertion_input, |conv, pair| {
        pair.into_inner()
            .find(|p| p.as_rule() == Rule::assertion)
            .and_then(|p| conv.assertion(p))
    })
}

/// Parses a sequence of facts, each ending in `;` (the last `;` may be left out): the REPL's
/// input. Every broken fact gives its own diagnostic.
pub fn parse_facts(file: FileId, text: &str) -> Result<Vec<ast::Fact>, Vec<Diagnostic>> {
    let tokens = tokenize(text);
    let depth = check_nesting(file, &tokens).map_err(|d| vec![d])?;
    with_stack(depth, || parse_facts_inner(file, text, &tokens))
        .unwrap_or_else(|| Err(vec![internal_error(file, text)]))
}

fn parse_facts_inner(
    file: FileId,
    text: &str,
    tokens: &[(Token, Range<usize>)],
) -> Result<Vec<ast::Fact>, Vec<Diagnostic>> {
    let mut docs = DocIndex::default();
    let whole = parse_with(Rule::facts_input, text, |pair| {
        let mut conv = Conv::new(file, 0, &mut docs);
        let facts: Option<Vec<_>> = pair
            .into_inner()
            .filter(|p| p.as_rule() == Rule::fact_body)
            .map(|p| conv.fact(p))
            .collect();
        (facts, conv.diags)
    });
    match whole {
        Ok((_, diags)) if !diags.is_empty() => Err(diags),
        Ok((Some(facts), _)) => Ok(facts),
        Ok((None, _)) => Err(vec![internal_error(file, text)]),
        Err(_) => {
            // One piece per `;`-terminated statement, each reported on its own.
            let mut errs = Vec::new();
            let mut start = None;
            let mut pieces = Vec::new();
            for (tok, r) in tokens.iter().filter(|(t, _)| !t.is_comment()) {
                let s = *start.get_or_insert(r.start);
                if *tok == Token::Semi {
                    pieces.push(s..r.end);
                    start = None;
                }
            }
            if let Some(s) = start {
                pieces.push(s..text.len());
            }
            for range in pieces {
                let piece = Piece {
                    file,
                    text,
                    range: range.clone(),
                    top_level: false,
                };
                match parse_with(Rule::facts_input, &text[range.clone()], |_| ()) {
                    Ok(()) => {}
                    Err(e) => errs.push(syntax_error(&e, &piece)),
                }
            }
            if errs.is_empty() {
                errs.push(internal_error(file, text));
            }
            Err(errs)
        }
    }
}

fn single<T: Send>(
    file: FileId,
    text: &str,
    rule: Rule,
    f: impl FnOnce(&mut Conv<'_>, pest::iterators::Pair<'_, Rule>) -> Option<T> + Send,
) -> Result<T, Diagnostic> {
    let tokens = tokenize(text);
    let depth = check_nesting(file, &tokens)?;
    with_stack(depth, || single_inner(file, text, rule, f))
        .unwrap_or_else(|| Err(internal_error(file, text)))
}

fn single_inner<T>(
    file: FileId,
    text: &str,
    rule: Rule,
    f: impl FnOnce(&mut Conv<'_>, pest::iterators::Pair<'_, Rule>) -> Option<T>,
) -> Result<T, Diagnostic> {
    let mut docs = DocIndex::default();
    let piece = Piece {
        file,
        text,
        range: 0..text.len(),
        top_level: false,
    };
    let result = parse_with(rule, text, |pair| {
        let mut conv = Conv::new(file, 0, &mut docs);
        let value = f(&mut conv, pair);
        (value, conv.diags)
    });
    match result {
        Ok((_, diags)) if !diags.is_empty() => Err(diags
            .into_iter()
            .next()
            .unwrap_or_else(|| internal_error(file, text))),
        Ok((Some(v), _)) => Ok(v),
        Ok((None, _)) => Err(internal_error(file, text)),
        Err(e) => Err(syntax_error(&e, &piece)),
    }
}

/// Cuts a file that does not parse into top-level items, to parse them one by one.
///
/// An item ends at a `;` or a `}` at brace depth 0; a declaration keyword at the start of a line
/// (`actor T;`, `actor T {`, `resource T {`, `extend resource`, `context {`, `facts N {`,
/// `test "..."`) starts a new item even inside an unclosed block.
fn split_items(text: &str, tokens: &[(Token, Range<usize>)]) -> Vec<Range<usize>> {
    let toks: Vec<&(Token, Range<usize>)> =
        tokens.iter().filter(|(t, _)| !t.is_comment()).collect();
    let word = |i: usize| {
        toks.get(i)
            .filter(|(t, _)| t.is_word())
            .map(|(_, r)| &text[r.clone()])
    };
    let tok = |i: usize| toks.get(i).map(|(t, _)| *t);
    let starts_item = |i: usize| -> bool {
        let Some((_, r)) = toks.get(i) else {
            return false;
        };
        let line_start = text[..r.start]
            .rsplit('\n')
            .next()
            .is_none_or(|l| l.trim().is_empty());
        line_start
            && match word(i) {
                Some("actor") => {
                    word(i + 1).is_some() && matches!(tok(i + 2), Some(Token::Semi | Token::LBrace))
                }
                Some("resource" | "facts") => {
                    word(i + 1).is_some() && tok(i + 2) == Some(Token::LBrace)
                }
                Some("extend") => word(i + 1) == Some("resource"),
                Some("context" | "action") => tok(i + 1) == Some(Token::LBrace),
                Some("test") => tok(i + 1) == Some(Token::String),
                _ => false,
            }
    };
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut end = 0;
    let mut depth = 0usize;
    for (i, (t, r)) in toks.iter().enumerate() {
        if let Some(s) = start
            && starts_item(i)
        {
            out.push(s..end);
            start = None;
            depth = 0;
        }
        start.get_or_insert(r.start);
        end = r.end;
        match t {
            Token::LBrace => depth += 1,
            Token::RBrace => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth == 0
            && matches!(t, Token::Semi | Token::RBrace)
            && let Some(s) = start.take()
        {
            out.push(s..end);
        }
    }
    if let Some(s) = start {
        out.push(s..end);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole file parsed with `Rule::file`, as `parse_items` did before it read items one by
    /// one: `None` when the grammar refuses the file.
    fn whole(file: FileId, text: &str) -> Option<(Vec<ast::Item>, Vec<Diagnostic>)> {
        let tokens = tokenize(text);
        let mut docs = DocIndex::new(text, &tokens);
        parse_with(Rule::file, text, |pair| {
            let mut conv = Conv::new(file, 0, &mut docs);
            let parsed: Vec<_> = pair
                .into_inner()
                .filter(|p| p.as_rule() == Rule::item)
                .map(|p| conv.item(p))
                .collect();
            let mut items = Vec::new();
            let mut diags = Vec::new();
            collect_items(parsed, conv.diags, &mut items, &mut diags, file, text);
            (items, diags)
        })
        .ok()
    }

    fn item_by_item(file: FileId, text: &str) -> Option<(Vec<ast::Item>, Vec<Diagnostic>)> {
        let tokens = tokenize(text);
        let mut docs = DocIndex::new(text, &tokens);
        parse_item_by_item(file, text, &tokens, &mut docs)
    }

    fn pol_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                pol_files(&p, out);
            } else if p.extension().is_some_and(|x| x == "pol") {
                out.push(p);
            }
        }
    }

    /// Reading item by item gives what the whole-file parse gives, on every policy of the
    /// repository (fixtures with and without errors, examples, seeds, fuzz regressions), and
    /// refuses exactly the files the grammar refuses.
    #[test]
    fn item_by_item_agrees_with_the_whole_file() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for dir in ["tests", "examples", "policies", "fuzz/policies", "docs"] {
            pol_files(&root.join(dir), &mut files);
        }
        assert!(files.len() > 50, "{} files", files.len());
        let mut refused = 0;
        for path in &files {
            let Ok(text) = std::fs::read_to_string(path) else {
                continue;
            };
            let file = FileId(0);
            let tokens = tokenize(&text);
            if check_nesting(file, &tokens).is_err() {
                continue;
            }
            let (a, b) = (whole(file, &text), item_by_item(file, &text));
            if a.is_none() {
                refused += 1;
            }
            assert_eq!(a, b, "{}", path.display());
        }
        assert!(refused > 0, "no fixture with a syntax error was read");
    }

    #[test]
    fn pieces_between_items_are_checked() {
        let file = FileId(0);
        for (text, ok) in [
            ("", true),
            ("// only a comment\n", true),
            (
                "actor user; /* c */ actor admin;\n/// doc\nresource doc {}",
                true,
            ),
            ("actor user;\u{0B}actor admin;", false),
            ("actor user; // a NUL \u{0} here\nactor admin;", false),
            ("actor user; resource doc {", false),
            ("actor user; }", false),
        ] {
            assert_eq!(item_by_item(file, text).is_some(), ok, "{text:?}");
            assert_eq!(whole(file, text).is_some(), ok, "{text:?}");
        }
    }
}

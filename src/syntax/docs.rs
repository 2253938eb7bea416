//! Doc comments (`///`) and plain comments, found in the token stream.
//!
//! The grammar skips every comment; a group of consecutive `///` lines is attached afterwards to
//! the declaration that starts right after it (only whitespace in between). A group that nothing
//! takes is kept as a plain comment, so the formatter does not lose it.

use super::ast::Comment;
use super::tokens::Token;
use crate::source::{FileId, Span};
use std::collections::HashMap;
use std::ops::Range;

struct DocGroup {
    text: String,
    span: Range<usize>,
    taken: bool,
}

#[derive(Default)]
pub(super) struct DocIndex {
    /// Doc groups by the offset of the first non-whitespace character after them.
    groups: HashMap<usize, DocGroup>,
}

impl DocIndex {
    pub fn new(text: &str, tokens: &[(Token, Range<usize>)]) -> DocIndex {
        let mut groups = HashMap::new();
        let mut current: Option<(Vec<&str>, Range<usize>)> = None;
        let mut flush = |current: &mut Option<(Vec<&str>, Range<usize>)>| {
            if let Some((lines, span)) = current.take() {
                let after = span.end + text[span.end..].len() - text[span.end..].trim_start().len();
                groups.insert(
                    after,
                    DocGroup {
                        text: lines.join("\n"),
                        span,
                        taken: false,
                    },
                );
            }
        };
        for (tok, range) in tokens {
            if *tok != Token::DocComment {
                flush(&mut current);
                continue;
            }
            let line = text[range.clone()].trim_start_matches("///");
            let line = line
                .strip_prefix(' ')
                .unwrap_or(line)
                .trim_end_matches('\r');
            match &mut current {
                // Consecutive lines: only one line break between them.
                Some((lines, span)) if text[span.end..range.start].matches('\n').count() <= 1 => {
                    lines.push(line);
                    span.end = range.end;
                }
                _ => {
                    flush(&mut current);
                    current = Some((vec![line], range.clone()));
                }
            }
        }
        flush(&mut current);
        DocIndex { groups }
    }

    /// The doc comment of a declaration that starts at `offset`, if any.
    pub fn take(&mut self, offset: usize) -> Option<String> {
        let group = self.groups.get_mut(&offset)?;
        group.taken = true;
        Some(group.text.clone())
    }

    /// Plain comments and the doc comments no declaration took, in source order.
    pub fn comments(
        &self,
        file: FileId,
        text: &str,
        tokens: &[(Token, Range<usize>)],
    ) -> Vec<Comment> {
        let mut out: Vec<Comment> = tokens
            .iter()
            .filter(|(t, _)| matches!(t, Token::LineComment | Token::BlockComment))
            .map(|(_, r)| Comment {
                text: text[r.clone()].to_string(),
                span: Span::new(file, r.start, r.end),
            })
            .collect();
        for g in self.groups.values().filter(|g| !g.taken) {
            let span = Span::new(file, g.span.start, g.span.end);
            out.push(Comment {
                text: text[g.span.clone()].to_string(),
                span,
            });
        }
        out.sort_by_key(|c| c.span.start);
        out
    }
}

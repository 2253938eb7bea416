//! Reading the source around the AST: comments (own-line, trailing, inside), blank lines, and
//! where statements and blocks end.

use super::{Node, Printer};
use crate::source::Span;
use crate::syntax::ast::*;

impl<'a> Printer<'a> {
    /// A blank line when the source had one between the previous thing and `start`.
    pub(super) fn gap(&mut self, start: usize) {
        if let Some(end) = self.last_end
            && end <= start
            && self.text[end..start].matches('\n').count() >= 2
        {
            self.out.push('\n');
        }
    }

    /// Prints the unprinted comments that start before `before`, each on its own line(s).
    pub(super) fn own_line_comments(&mut self, before: usize) {
        for i in 0..self.comments.len() {
            let (c, done) = self.comments[i];
            if done || c.span.start as usize >= before {
                continue;
            }
            self.comments[i].1 = true;
            self.gap(c.span.start as usize);
            self.comment_lines(&c.text);
            self.last_end = Some(c.span.end as usize);
        }
    }

    /// A comment on its own line(s). Doc-comment groups that no declaration took and line
    /// comments are re-indented line by line; a block comment keeps its inner lines as written.
    pub(super) fn comment_lines(&mut self, text: &str) {
        let text = text.trim_end();
        if text.starts_with("/*") {
            let mut lines = text.lines();
            if let Some(first) = lines.next() {
                self.line(first.trim());
            }
            for l in lines {
                self.out.push_str(l.trim_end());
                self.out.push('\n');
            }
        } else {
            for l in text.lines() {
                self.line(l.trim());
            }
        }
    }

    /// Unprinted comments that follow `end` on the same source line: they stay trailing.
    pub(super) fn trailing_comments(&mut self, end: usize) -> Vec<String> {
        let mut out = Vec::new();
        let mut at = end;
        for i in 0..self.comments.len() {
            let (c, done) = self.comments[i];
            let start = c.span.start as usize;
            if done || start < at {
                continue;
            }
            let between = &self.text[at..start];
            if !between.trim().is_empty() || between.contains('\n') || c.text.contains('\n') {
                break;
            }
            self.comments[i].1 = true;
            out.push(c.text.trim_end().to_string());
            at = c.span.end as usize;
        }
        if !out.is_empty() {
            self.last_end = Some(at);
        }
        out
    }

    /// Unprinted comments inside `span`, taken (for lists) by the caller.
    pub(super) fn inner_comments(&self, span: Span) -> Vec<usize> {
        (0..self.comments.len())
            .filter(|&i| {
                let (c, done) = self.comments[i];
                !done && c.span.start > span.start && c.span.end <= span.end
            })
            .collect()
    }

    /// Where a declaration's doc comment starts (the `///` lines just above it), else `start`.
    /// The parser attached the group whose lines are consecutive and end right before `start`.
    pub(super) fn doc_start(&self, start: usize) -> usize {
        let mut first = start;
        loop {
            let before = self.text[..first].trim_end();
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            let line = &before[line_start..];
            if !line.trim_start().starts_with("///") {
                return first;
            }
            if first != start && self.text[before.len()..first].matches('\n').count() > 1 {
                return first;
            }
            first = line_start + (line.len() - line.trim_start().len());
        }
    }

    /// Where a statement ends: after its `;` (some spans, like an assertion's, stop before it).
    pub(super) fn statement_end(&self, span: Span) -> usize {
        let end = span.end as usize;
        let rest = &self.text[end..];
        let ws = rest.len() - rest.trim_start().len();
        if rest.trim_start().starts_with(';') && !self.in_comment(end + ws) {
            end + ws + 1
        } else {
            end
        }
    }

    /// For block statements: the offset of their `{` and of their `}`.
    pub(super) fn block_close(&self, n: Node<'a>) -> Option<(usize, usize)> {
        let span = n.span();
        let is_block = match n {
            Node::Item(Item::Actor(a)) => !a.members.is_empty() || self.slice(span).ends_with('}'),
            Node::Item(Item::Resource(r)) => {
                r.extend || !r.members.is_empty() || self.slice(span).ends_with('}')
            }
            Node::Item(Item::Fact(_)) => false,
            Node::Item(_) => true,
            Node::Member(Member::Role(r)) => self.slice(r.span).trim_end().ends_with('}'),
            _ => false,
        };
        if !is_block {
            return None;
        }
        let open = self.find_open_brace(span)?;
        Some((open, (span.end as usize).saturating_sub(1)))
    }

    pub(super) fn slice(&self, span: Span) -> &'a str {
        self.text
            .get(span.start as usize..span.end as usize)
            .unwrap_or("")
    }

    /// The first `{` of `span` that is not inside a comment or a string.
    pub(super) fn find_open_brace(&self, span: Span) -> Option<usize> {
        let s = span.start as usize;
        let mut in_str = false;
        let mut prev = ' ';
        for (i, ch) in self.slice(span).char_indices() {
            let at = s + i;
            if self.in_comment(at) {
                continue;
            }
            match ch {
                '"' if prev != '\\' => in_str = !in_str,
                '{' if !in_str => return Some(at),
                _ => {}
            }
            prev = ch;
        }
        None
    }

    pub(super) fn in_comment(&self, at: usize) -> bool {
        self.comments
            .iter()
            .any(|(c, _)| (c.span.start as usize) <= at && at < c.span.end as usize)
    }

    /// Blocks place the comments inside them; lists place comments between their names.
    pub(super) fn keeps_inner_comments(&self, n: Node<'a>) -> bool {
        self.block_close(n).is_some()
            || matches!(
                n,
                Node::Member(Member::Permissions(_) | Member::Separate(_))
                    | Node::RoleItem(RoleItem::Includes { .. } | RoleItem::Grants { .. })
            )
    }
}

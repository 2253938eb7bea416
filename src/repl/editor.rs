#![deny(missing_docs)]
//! The line editor's side of the REPL (rustyline): completion, highlighting and multi-line
//! input, all from [`super::complete`], [`super::highlight`] and [`super::needs_more`].

use super::complete::{self, Completion, Vocabulary};
use super::highlight;
use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::Hinter;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Helper};
use std::borrow::Cow;

/// What the line editor asks while a line is typed.
pub struct ReplHelper {
    /// Refresh after each input: the facts (and so the ids) change.
    pub vocabulary: Vocabulary,
    /// Colours on (a terminal, and `NO_COLOR` not set).
    pub color: bool,
    files: FilenameCompleter,
}

impl ReplHelper {
    /// A helper completing and highlighting with `vocabulary`; `color` turns highlighting on.
    pub fn new(vocabulary: Vocabulary, color: bool) -> ReplHelper {
        ReplHelper {
            vocabulary,
            color,
            files: FilenameCompleter::new(),
        }
    }
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        match complete::complete(&self.vocabulary, line, pos) {
            Completion::Paths => self.files.complete(line, pos, ctx),
            Completion::Words { start, words } => Ok((
                start,
                words
                    .into_iter()
                    .map(|w| Pair {
                        display: w.trim_end().to_string(),
                        replacement: w,
                    })
                    .collect(),
            )),
        }
    }
}

impl Hinter for ReplHelper {
    type Hint = String;
}

impl Highlighter for ReplHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if self.color {
            Cow::Owned(highlight::ansi(&self.vocabulary, line))
        } else {
            Cow::Borrowed(line)
        }
    }

    fn highlight_prompt<'b, 's: 'b, 'p: 'b>(
        &'s self,
        prompt: &'p str,
        default: bool,
    ) -> Cow<'b, str> {
        if self.color && default {
            Cow::Owned(highlight::prompt(prompt))
        } else {
            Cow::Borrowed(prompt)
        }
    }

    fn highlight_char(&self, _line: &str, _pos: usize, kind: CmdKind) -> bool {
        self.color && kind != CmdKind::MoveCursor
    }
}

impl Validator for ReplHelper {
    fn validate(&self, ctx: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        Ok(if super::needs_more(ctx.input()) {
            ValidationResult::Incomplete
        } else {
            ValidationResult::Valid(None)
        })
    }
}

impl Helper for ReplHelper {}

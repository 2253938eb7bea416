#![deny(missing_docs)]
//! Colours for the line being typed, from the logos token stream: keywords, entity types and
//! ids, roles, permissions, strings, numbers, comments, and what does not lex.
//!
//! Only ANSI escapes are inserted: the text itself is unchanged, so its width on screen is too.

use super::complete::Vocabulary;
use crate::syntax::tokens::{Token, tokenize};

use anstyle::{AnsiColor, Effects, Style};

const KEYWORD: Style = AnsiColor::Magenta.on_default();
const TYPE: Style = AnsiColor::Cyan.on_default();
const ID: Style = Style::new().effects(Effects::BOLD);
const ROLE: Style = AnsiColor::Blue.on_default();
const PERMISSION: Style = AnsiColor::Yellow.on_default();
const STRING: Style = AnsiColor::Green.on_default();
const NUMBER: Style = AnsiColor::Yellow.on_default();
const COMMENT: Style = Style::new().effects(Effects::DIMMED);
const ERROR: Style = AnsiColor::Red.on_default();
const COMMAND: Style = AnsiColor::Blue.on_default().effects(Effects::BOLD);
const PROMPT: Style = AnsiColor::Green.on_default().effects(Effects::BOLD);

/// `line` with ANSI colours.
pub fn ansi(v: &Vocabulary, line: &str) -> String {
    let tokens = tokenize(line);
    let command = line.starts_with(':');
    let mut out = String::with_capacity(line.len() * 2);
    let mut last = 0;
    for (i, (t, r)) in tokens.iter().enumerate() {
        let (Some(gap), Some(text)) = (line.get(last..r.start), line.get(r.clone())) else {
            continue;
        };
        out.push_str(gap);
        let prev = |k: usize| i.checked_sub(k).and_then(|j| tokens.get(j));
        let after_colon = prev(1).is_some_and(|p| p.0 == Token::Colon);
        let next_is_colon = tokens.get(i + 1).is_some_and(|n| n.0 == Token::Colon);
        let style = match t {
            _ if command && i <= 1 && r.start <= 1 => Some(COMMAND),
            Token::Keyword if next_is_colon && v.is_type(text) => Some(TYPE),
            Token::Keyword => Some(KEYWORD),
            Token::Ident | Token::String
                if after_colon
                    && prev(2)
                        .is_some_and(|p| line.get(p.1.clone()).is_some_and(|w| v.is_type(w))) =>
            {
                Some(ID)
            }
            Token::Ident if v.is_type(text) => Some(TYPE),
            Token::Ident if v.is_role(text) => Some(ROLE),
            Token::Ident if v.is_permission(text) => Some(PERMISSION),
            Token::String => Some(STRING),
            Token::Number | Token::Duration => Some(NUMBER),
            t if t.is_comment() => Some(COMMENT),
            Token::UnterminatedString | Token::Error => Some(ERROR),
            _ => None,
        };
        match style {
            Some(s) => out.push_str(&format!("{s}{text}{s:#}")),
            None => out.push_str(text),
        }
        last = r.end;
    }
    out.push_str(line.get(last..).unwrap_or(""));
    out
}

/// The prompt, in bold green.
pub fn prompt(p: &str) -> String {
    format!("{PROMPT}{p}{PROMPT:#}")
}

/// `line` without ANSI colour escapes (for tests and width checks). Kept by hand rather than
/// `anstream::adapter::strip_str`: the library would otherwise pull anstream (and its terminal
/// probing) into a program that only decides, for a loop that only has to undo [`ansi`].
pub fn strip(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for d in chars.by_ref() {
                if d == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

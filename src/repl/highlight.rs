//! Colours for the line being typed, from the logos token stream: keywords, entity types and
//! ids, roles, permissions, strings, numbers, comments, and what does not lex.
//!
//! Only ANSI escapes are inserted: the text itself is unchanged, so its width on screen is too.

use super::complete::Vocabulary;
use crate::syntax::tokens::{Token, tokenize};

const KEYWORD: &str = "35";
const TYPE: &str = "36";
const ID: &str = "1";
const ROLE: &str = "34";
const PERMISSION: &str = "33";
const STRING: &str = "32";
const NUMBER: &str = "33";
const COMMENT: &str = "2";
const ERROR: &str = "31";
const COMMAND: &str = "1;34";

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
            Some(s) => out.push_str(&format!("\x1b[{s}m{text}\x1b[0m")),
            None => out.push_str(text),
        }
        last = r.end;
    }
    out.push_str(line.get(last..).unwrap_or(""));
    out
}

/// The prompt, in bold green.
pub fn prompt(p: &str) -> String {
    format!("\x1b[1;32m{p}\x1b[0m")
}

/// `line` without ANSI colour escapes (for tests and width checks).
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

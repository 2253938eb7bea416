//! pest pairs -> AST for literals: strings (with their escapes), integers, counts, durations.

use super::{Conv, Rule};
use crate::source::Span;
use crate::syntax::ast::*;
use pest::iterators::Pair;

impl Conv<'_> {
    pub(super) fn string(&mut self, pair: Pair<'_, Rule>) -> StrLit {
        let span = self.span(&pair);
        let raw_start = span.start as usize + 1;
        let raw = pair.as_str();
        let raw = raw.get(1..raw.len().saturating_sub(1)).unwrap_or("");
        let mut value = String::with_capacity(raw.len());
        let mut chars = raw.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c != '\\' {
                value.push(c);
                continue;
            }
            let Some((_, e)) = chars.next() else { break };
            let esc_span = Span::new(self.file, raw_start + i, raw_start + i + 1 + e.len_utf8());
            match e {
                '"' => value.push('"'),
                '\\' => value.push('\\'),
                'n' => value.push('\n'),
                't' => value.push('\t'),
                'r' => value.push('\r'),
                '0' => value.push('\0'),
                'u' => match unicode_escape(&raw[i..]) {
                    Some((ch, len)) => {
                        value.push(ch);
                        for _ in 0..len.saturating_sub(2) {
                            chars.next();
                        }
                    }
                    None => self.invalid(
                        esc_span,
                        "invalid unicode escape in string".into(),
                        "expected `\\u{...}` with 1 to 6 hex digits of a valid character",
                        Some("write a character as `\\u{1F600}`"),
                    ),
                },
                other => self.invalid(
                    esc_span,
                    format!("unknown escape `\\{other}` in string"),
                    "unknown escape",
                    Some(
                        "the escapes are `\\\"`, `\\\\`, `\\n`, `\\t`, `\\r`, `\\0` and `\\u{...}`",
                    ),
                ),
            }
        }
        StrLit { value, span }
    }

    pub(super) fn int(&mut self, p: &Pair<'_, Rule>) -> i64 {
        match p.as_str().parse::<i64>() {
            Ok(v) => v,
            Err(_) => {
                let msg = format!("integer `{}` does not fit in 64 bits", p.as_str());
                self.invalid(
                    self.span(p),
                    msg,
                    "too large",
                    Some("integers range from -9223372036854775808 to 9223372036854775807"),
                );
                0
            }
        }
    }

    pub(super) fn count(&mut self, p: &Pair<'_, Rule>) -> Count {
        let span = self.span(p);
        let value = match p.as_str().parse::<u32>() {
            Ok(v) => v,
            Err(_) => {
                let msg = format!("count `{}` is too large", p.as_str());
                self.invalid(
                    span,
                    msg,
                    "too large",
                    Some("a count is at most 4294967295"),
                );
                0
            }
        };
        Count { value, span }
    }

    /// A duration (`90d`, `1d12h`, `2w`, `-5h` in values), read with jiff's friendly format.
    pub(super) fn duration(&mut self, p: &Pair<'_, Rule>) -> Duration {
        let span = self.span(p);
        let text = p.as_str().to_string();
        let micros = match crate::duration::parse(&text) {
            Ok(m) => m,
            Err(why) => {
                let msg = format!("`{text}` is not a valid duration: {why}");
                self.invalid(
                    span,
                    msg,
                    "invalid duration",
                    Some("write durations with the units `w`, `d`, `h`, `m`, `s`, `ms`: `90d`, `1d12h`, `30m`"),
                );
                0
            }
        };
        Duration { micros, text, span }
    }
}

/// `\u{...}` at the start of `s`: the character and the length of the escape in bytes.
fn unicode_escape(s: &str) -> Option<(char, usize)> {
    let body = s.strip_prefix("\\u{")?;
    let close = body.find('}')?;
    let hex = &body[..close];
    if hex.is_empty() || hex.len() > 6 {
        return None;
    }
    let ch = char::from_u32(u32::from_str_radix(hex, 16).ok()?)?;
    Some((ch, 3 + close + 1))
}

//! Reading JSON text: spans of raw values, strings, integers, objects with their members in
//! order, entity references.

use crate::diag::{Code, Diagnostic};
use crate::entity::{EntityRef, RefError};
use crate::facts::check::{Input, InputKind};
use crate::source::{FileId, Span};
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// How deeply lists may nest in a JSON value of facts, a request or a context (a documented
/// limit, `docs/security.md`). No type of the language nests nearly as deep.
pub const MAX_JSON_NESTING: usize = crate::syntax::MAX_NESTING;

/// Reads JSON text; keeps the file and the text for spans.
pub struct JsonText<'t> {
    /// The file the text is in (the spans of diagnostics point there).
    pub file: FileId,
    /// The JSON text.
    pub text: &'t str,
}

impl<'t> JsonText<'t> {
    /// The span of a raw value borrowed from this text.
    pub fn span(&self, raw: &RawValue) -> Span {
        let start = (raw.get().as_ptr() as usize).saturating_sub(self.text.as_ptr() as usize);
        Span::new(self.file, start, start + raw.get().len())
    }

    /// A serde_json syntax or shape error as a diagnostic at its line and column.
    pub fn syntax_error(&self, e: &serde_json::Error, what: &str) -> Diagnostic {
        let offset = line_col_offset(self.text, e.line(), e.column());
        let msg = e.to_string();
        let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
        Diagnostic::new(Code::E0501, format!("malformed {what}: {msg}"))
            .primary(Span::new(self.file, offset, offset), "here")
            .help(format!("`polc explain E0501` shows the {what} format"))
    }

    /// A JSON string without escapes, borrowed from the text; `None` for any other value.
    pub fn plain_string(raw: &'t RawValue) -> Option<&'t str> {
        let inner = raw.get().strip_prefix('"')?.strip_suffix('"')?;
        // One pass over the bytes (`"` and control characters cannot occur unescaped in a
        // valid string, but are checked all the same).
        (!inner.bytes().any(|b| b == b'\\' || b == b'"' || b < 0x20)).then_some(inner)
    }

    /// A JSON string value.
    pub fn string(
        &self,
        raw: &'t RawValue,
        what: &str,
    ) -> Result<(Cow<'t, str>, Span), Diagnostic> {
        let span = self.span(raw);
        // Most strings have no escapes: borrow them from the input instead of allocating.
        if let Some(inner) = Self::plain_string(raw) {
            return Ok((Cow::Borrowed(inner), span));
        }
        serde_json::from_str::<String>(raw.get())
            .map(|s| (Cow::Owned(s), span))
            .map_err(|_| {
                Diagnostic::new(Code::E0501, format!("{what} must be a string"))
                    .primary(span, "not a string")
            })
    }

    /// Any JSON value as checker input.
    pub fn input(&self, raw: &'t RawValue) -> Input {
        self.input_within(raw, MAX_JSON_NESTING)
    }

    /// A value whose lists may nest `levels` deep. serde_json's raw values skip nesting of any
    /// depth, and each level here parses the rest again: without the limit, 100,000 `[` are a
    /// quadratic walk and a recursion deep enough to overflow the stack.
    fn input_within(&self, raw: &'t RawValue, levels: usize) -> Input {
        let span = self.span(raw);
        let text = raw.get().trim_start();
        let kind = match text.as_bytes().first() {
            Some(b'[') if levels == 0 => InputKind::Other("a list nested too deeply"),
            Some(b'[') => match serde_json::from_str::<Vec<&RawValue>>(raw.get()) {
                Ok(items) => InputKind::List(
                    items
                        .into_iter()
                        .map(|i| self.input_within(i, levels - 1))
                        .collect(),
                ),
                Err(_) => InputKind::Other("a malformed list"),
            },
            Some(b'"') => serde_json::from_str::<String>(raw.get())
                .map_or(InputKind::Other("a malformed string"), InputKind::Str),
            Some(b't') => InputKind::Bool(true),
            Some(b'f') => InputKind::Bool(false),
            Some(b'n') => InputKind::Other("null"),
            Some(b'{') if levels == 0 => InputKind::Other("an object nested too deeply"),
            // An object is a record: the checker matches its members to the declared fields.
            // A key given twice is refused here too, as in `attributes` and `context`.
            Some(b'{') => match serde_json::from_str::<Members>(raw.get()) {
                Ok(Members(mut members)) => {
                    members.sort_by(|a, b| a.0.cmp(&b.0));
                    if members.windows(2).any(|w| w[0].0 == w[1].0) {
                        InputKind::Other("an object with a key given twice")
                    } else {
                        InputKind::Record(
                            members
                                .into_iter()
                                .map(|(k, v)| (k, self.span(v), self.input_within(v, levels - 1)))
                                .collect(),
                        )
                    }
                }
                Err(_) => InputKind::Other("a malformed object"),
            },
            _ => int(raw.get().trim()),
        };
        Input { kind, span }
    }

    /// An object's members with their values, in the order of their keys, for `attributes` and
    /// `context`. A key given twice is refused: a reader that keeps the first would see another
    /// document than one that keeps the last.
    pub fn object(
        &self,
        raw: &'t RawValue,
        what: &str,
    ) -> Result<Vec<(String, &'t RawValue)>, Diagnostic> {
        let Members(mut members) = serde_json::from_str(raw.get()).map_err(|_| {
            Diagnostic::new(Code::E0501, format!("{what} must be an object"))
                .primary(self.span(raw), "not an object")
        })?;
        // Stable: of two equal keys, the first stays first.
        members.sort_by(|a, b| a.0.cmp(&b.0));
        if let Some(w) = members.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(Diagnostic::new(
                Code::E0501,
                format!("duplicate key {:?} in {what}", w[0].0),
            )
            .primary(self.span(w[1].1), "the second value")
            .secondary(self.span(w[0].1), "the first value")
            .help("give each key once"));
        }
        Ok(members)
    }
}

/// A JSON number as an integer: `-0` is 0; digits beyond the 64-bit range are named so, not
/// "not an integer".
pub(super) fn int(text: &str) -> InputKind {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return InputKind::Other("a number that is not an integer");
    }
    match text.parse::<i64>() {
        Ok(i) => InputKind::Int(i),
        Err(_) => InputKind::Other(
            "an integer out of range (-9223372036854775808 to 9223372036854775807)",
        ),
    }
}

/// The members of a JSON object in the order written, duplicates kept (for [`JsonText::object`]
/// to refuse).
pub(super) struct Members<'t>(Vec<(String, &'t RawValue)>);

impl<'t> Deserialize<'t> for Members<'t> {
    fn deserialize<D: Deserializer<'t>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'t> Visitor<'t> for V {
            type Value = Members<'t>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'t>>(self, mut map: A) -> Result<Members<'t>, A::Error> {
                let mut out = Vec::new();
                while let Some(kv) = map.next_entry::<String, &'t RawValue>()? {
                    out.push(kv);
                }
                Ok(Members(out))
            }
        }
        d.deserialize_map(V)
    }
}

pub(crate) fn line_col_offset(text: &str, line: usize, column: usize) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (start + column.saturating_sub(1)).min(text.len())
}

/// `type:id` read by the one rule of every input ([`EntityRef::parse`]); `E0401` otherwise.
pub fn entity<'a>(text: &'a str, span: Span, what: &str) -> Result<EntityRef<'a>, Diagnostic> {
    EntityRef::parse(text).map_err(|e| entity_error(text, span, what, e))
}

/// The diagnostic for a text that is not an entity reference.
pub fn entity_error(text: &str, span: Span, what: &str, e: RefError) -> Diagnostic {
    Diagnostic::new(
        Code::E0401,
        format!("{what} {text:?} is not an entity: {}", e.reason()),
    )
    .primary(span, "expected \"type:id\"")
    .help(e.help())
}

/// `type:id` split, the id still borrowed from the text when the string was.
pub(super) fn entity_cow<'a, 't>(
    s: &'a Cow<'t, str>,
    span: Span,
    what: &str,
) -> Result<(&'a str, Cow<'t, str>), Diagnostic> {
    match s {
        Cow::Borrowed(b) => entity(b, span, what).map(|e| (e.ty, Cow::Borrowed(e.id))),
        Cow::Owned(o) => entity(o, span, what).map(|e| (e.ty, Cow::Owned(e.id.to_owned()))),
    }
}

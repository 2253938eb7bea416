//! The plainest request line, read without serde: `{"principal": "user:ana", "action": "view",
//! "resource": "doc:a"}`, the three fields once each, in any order, their keys and values
//! strings without escapes. Anything else (an `id`, a `context`, an entity object, an escape,
//! another field, a duplicate, a syntax error) is `None` and goes to the serde_json reader,
//! which stays the one that judges and reports JSON.
//!
//! Why by hand: at 100,000 assignments a role-only line of `polc eval` spent about 2,000 of its
//! 6,700 instructions in serde_json (a raw value for each field, the key visitor, the string
//! scanned again for escapes), more than the decision. This reads the same line in one pass.
//! It accepts only what serde_json accepts the same way, so the two cannot disagree on a line
//! it takes; `tests::agrees_with_serde` holds it to that over generated lines.

use crate::source::{FileId, Span};

/// A plain line's three strings (without their quotes) and where each value is written (with
/// its quotes, as serde_json's raw value spans are).
#[derive(Debug, PartialEq)]
pub(super) struct PlainLine<'t> {
    pub principal: (&'t str, Span),
    pub action: (&'t str, Span),
    pub resource: (&'t str, Span),
}

/// `text` as a [`PlainLine`], or `None` when it is anything else.
pub(super) fn plain_line(file: FileId, text: &str) -> Option<PlainLine<'_>> {
    let b = text.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    let mut fields: [Option<(&str, Span)>; 3] = [None; 3];
    for n in 0..3 {
        i = skip_ws(b, i + 1);
        let (key, end) = string(b, i)?;
        i = skip_ws(b, end);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(b, i + 1);
        let (_, end) = string(b, i)?;
        let slot = match key {
            b"principal" => &mut fields[0],
            b"action" => &mut fields[1],
            b"resource" => &mut fields[2],
            _ => return None,
        };
        if slot.is_some() {
            return None;
        }
        // Between two ASCII quotes of a `str`: whole UTF-8.
        let value = text.get(i + 1..end - 1)?;
        *slot = Some((value, Span::new(file, i, end)));
        i = skip_ws(b, end);
        let want = if n == 2 { b'}' } else { b',' };
        if b.get(i) != Some(&want) {
            return None;
        }
    }
    if skip_ws(b, i + 1) != b.len() {
        return None;
    }
    let [Some(principal), Some(action), Some(resource)] = fields else {
        return None;
    };
    Some(PlainLine {
        principal,
        action,
        resource,
    })
}

/// Past JSON whitespace from `i`.
fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// A string at `i` without escapes or control characters: its bytes (without the quotes) and
/// the index past its closing quote.
fn string(b: &[u8], i: usize) -> Option<(&[u8], usize)> {
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let rest = b.get(i + 1..)?;
    let len = memchr::memchr2(b'"', b'\\', rest)?;
    let s = &rest[..len];
    // No control character (a fold without an early exit: the compiler vectorizes it).
    let controls = s.iter().fold(false, |seen, &c| seen | (c < 0x20));
    (rest[len] == b'"' && !controls).then_some((s, i + 1 + len + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn spans_text(text: &str, s: Span) -> &str {
        &text[s.start as usize..s.end as usize]
    }

    #[test]
    fn reads_the_plain_shape_in_any_order_with_any_whitespace() {
        let t = " {\"resource\":\"doc:a\" ,\t\"principal\" : \"user:ané\",\"action\":\"view\"}\r ";
        let p = plain_line(FileId(0), t).unwrap();
        assert_eq!(p.principal.0, "user:ané");
        assert_eq!(p.action.0, "view");
        assert_eq!(p.resource.0, "doc:a");
        assert_eq!(spans_text(t, p.principal.1), "\"user:ané\"");
        assert_eq!(spans_text(t, p.resource.1), "\"doc:a\"");
    }

    #[test]
    fn leaves_every_other_line_to_serde() {
        for t in [
            r#"{"principal": "user:a", "action": "view"}"#,
            r#"{"principal": "user:a", "action": "view", "resource": "doc:a", "id": 1}"#,
            r#"{"principal": "user:a", "action": "view", "resource": "doc:a",}"#,
            r#"{"principal": "user:a", "action": "view", "resource": "doc:a"} x"#,
            r#"{"principal": "user:a", "action": "view", "principal": "doc:a"}"#,
            r#"{"principal": "user:\u0061", "action": "view", "resource": "doc:a"}"#,
            r#"{"princip\u0061l": "user:a", "action": "view", "resource": "doc:a"}"#,
            r#"{"principal": {"type": "user", "id": "a"}, "action": "view", "resource": "doc:a"}"#,
            r#"{"principal": "user:a", "action": "view", "resource": "doc:a""#,
            "{\"principal\": \"user:\ta\", \"action\": \"view\", \"resource\": \"doc:a\"}",
            "\u{feff}{\"principal\": \"user:a\", \"action\": \"view\", \"resource\": \"doc:a\"}",
            r#"["principal", "user:a"]"#,
            "",
        ] {
            assert_eq!(plain_line(FileId(0), t), None, "{t}");
        }
    }

    /// Pieces of request lines: plain ones, and the near misses around them.
    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            20 => Just(r#""principal": "user:ana""#.to_string()),
            20 => Just(r#""action": "view""#.to_string()),
            20 => Just(r#""resource":"doc:a é""#.to_string()),
            1 => Just(r#""principal" :"user:é\u0062""#.to_string()),
            1 => Just(r#""action": {"name": "view"}"#.to_string()),
            1 => Just(r#""resource": "doc:\"a\"""#.to_string()),
            1 => Just(r#""id": 7"#.to_string()),
            1 => Just(r#""context": {}"#.to_string()),
            1 => Just(r#""other": "x""#.to_string()),
            1 => Just(r#""principal": 3"#.to_string()),
            2 => "[ -~é\t]{0,12}",
        ]
    }

    fn line() -> impl Strategy<Value = String> {
        (
            prop::collection::vec(piece(), 2..=4),
            prop::sample::select(vec![",", " , ", ",\n", ";", ""]),
            prop::sample::select(vec!["", " ", "\t", "x"]),
        )
            .prop_map(|(pieces, sep, pad)| format!("{pad}{{{}}}{pad}", pieces.join(sep)))
    }

    /// What serde_json makes of a line, in the plain line's terms.
    fn serde_reading(t: &str) -> Option<(String, String, String)> {
        let v: serde_json::Map<String, serde_json::Value> = serde_json::from_str(t).ok()?;
        if v.len() != 3 {
            return None;
        }
        let s = |k: &str| v.get(k)?.as_str().map(str::to_string);
        Some((s("principal")?, s("action")?, s("resource")?))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        /// A line read here is valid JSON that serde_json reads to the same three strings.
        #[test]
        fn agrees_with_serde(t in line()) {
            if let Some(p) = plain_line(FileId(0), &t) {
                let want = serde_reading(&t);
                prop_assert_eq!(
                    want,
                    Some((p.principal.0.to_string(), p.action.0.to_string(), p.resource.0.to_string())),
                    "{}", t
                );
                for (s, v) in [p.principal, p.action, p.resource] {
                    let raw: String = serde_json::from_str(spans_text(&t, v)).unwrap();
                    prop_assert_eq!(raw, s);
                }
            }
        }
    }
}

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The edges of the input formats (issue 19): duplicate keys and targets, `until: null`, the
//! times RFC 3339 allows and those it does not, integers at the ends of their range, NUL in a
//! string, and a data cycle longer than the depth limit.

use polc::compiled::Policy;
use polc::diag::{Code, Diagnostic};
use polc::eval::{Request, decide, request};
use polc::facts::Facts;
use polc::source::{FileId, SourceMap};

const POLICY: &str = r#"
actor user;
context { mfa: bool; now: time; }
resource folder {
  relation parent: folder;
  attribute size: int;
  permissions view, read, big;
  role viewer { grants view; from viewer on parent; }
  permit read when context.mfa;
  permit big when resource.size == 0 || resource.size == -9223372036854775808;
}
"#;

fn policy() -> Policy {
    let c = polc::compile_str("p.pol", POLICY);
    assert!(!c.has_errors(), "{:#?}", c.diagnostics);
    c.policy.unwrap()
}

fn json(p: &Policy, text: &str) -> Result<Facts, Vec<Diagnostic>> {
    Facts::from_json_str(p, &mut SourceMap::new(), "data.json", text)
}

fn one_error(r: Result<Facts, Vec<Diagnostic>>) -> Diagnostic {
    let e = r.expect_err("refused");
    assert_eq!(e.len(), 1, "{e:#?}");
    e.into_iter().next().unwrap()
}

fn req(p: &Policy, f: &Facts, text: &str) -> Result<bool, Diagnostic> {
    request::from_json(p, f, FileId(0), text).map(|r| decide(p, f, &r).allowed)
}

// ---- item 3: duplicate keys and targets

#[test]
fn a_duplicate_context_key_in_a_request_is_refused() {
    let p = policy();
    let f = Facts::new(&p);
    let base = r#"{"principal": "user:u", "action": "read", "resource": "folder:a", "context": "#;
    assert!(req(&p, &f, &format!("{base}{{\"mfa\": true}}}}")).unwrap());
    for ctx in [
        r#"{"mfa": false, "mfa": true}"#,
        r#"{"mfa": true, "mfa": false}"#,
    ] {
        let d = req(&p, &f, &format!("{base}{ctx}}}")).unwrap_err();
        assert_eq!(d.code, Code::E0501);
        assert!(d.message.contains("duplicate key \"mfa\""), "{}", d.message);
    }
}

#[test]
fn duplicate_keys_in_facts_objects_are_refused() {
    let p = policy();
    let d = one_error(json(
        &p,
        r#"{"attributes": {"folder:a": {"size": 1, "size": 2}}}"#,
    ));
    assert_eq!(d.code, Code::E0501);
    assert!(
        d.message.contains("duplicate key \"size\""),
        "{}",
        d.message
    );
    let d = one_error(json(
        &p,
        r#"{"attributes": {"folder:a": {"size": 1}, "folder:a": {"size": 2}}}"#,
    ));
    assert!(
        d.message.contains("duplicate key \"folder:a\""),
        "{}",
        d.message
    );
    let d = one_error(json(&p, r#"{"context": {"mfa": true, "mfa": false}}"#));
    assert_eq!(d.code, Code::E0501);
    // Distinct keys still load, whatever their order.
    json(
        &p,
        r#"{"attributes": {"folder:b": {"size": 1}, "folder:a": {"size": 2}}}"#,
    )
    .unwrap();
}

#[test]
fn a_single_valued_relation_given_twice_is_refused() {
    let p = policy();
    let a = r#"{"from": "folder:c", "relation": "parent", "to": "folder:a"}"#;
    let b = r#"{"from": "folder:c", "relation": "parent", "to": "folder:b"}"#;
    for (x, y) in [(a, b), (b, a), (a, a)] {
        let d = one_error(json(&p, &format!(r#"{{"relations": [{x}, {y}]}}"#)));
        assert_eq!(d.code, Code::E0401);
        assert!(d.message.contains("given twice"), "{}", d.message);
    }
    json(&p, &format!(r#"{{"relations": [{a}]}}"#)).unwrap();
}

#[test]
fn until_null_is_refused() {
    let p = policy();
    let d = one_error(json(
        &p,
        r#"{"assignments": [{"actor": "user:u", "role": "viewer", "on": "folder:a", "until": null}]}"#,
    ));
    assert_eq!(d.code, Code::E0501);
    assert!(d.help.unwrap().contains("omit `until`"));
}

// ---- item 4: times

fn until(p: &Policy, t: &str) -> Result<Facts, Vec<Diagnostic>> {
    json(
        p,
        &format!(
            r#"{{"assignments": [{{"actor": "user:u", "role": "viewer", "on": "folder:a", "until": "{t}"}}]}}"#
        ),
    )
}

#[test]
fn a_leap_second_is_refused_and_says_so() {
    let p = policy();
    let d = one_error(until(&p, "2026-12-31T23:59:60Z"));
    assert_eq!(d.code, Code::E0102);
    assert!(d.message.contains("leap second"), "{}", d.message);
}

#[test]
fn all_of_year_9999_is_in_range() {
    let p = policy();
    let f = until(&p, "9999-12-31T23:59:59Z").unwrap();
    let r = r#"{"principal": "user:u", "action": "view", "resource": "folder:a",
                "context": {"now": "9999-12-31T23:59:58Z"}}"#;
    assert!(req(&p, &f, r).unwrap());
    let r = r#"{"principal": "user:u", "action": "view", "resource": "folder:a",
                "context": {"now": "9999-12-31T23:59:59Z"}}"#;
    assert!(!req(&p, &f, r).unwrap());
    assert_eq!(
        polc::time::format(polc::time::parse("9999-12-31T23:59:59.5Z").unwrap()),
        "9999-12-31T23:59:59.5Z"
    );
}

#[test]
fn offsets_are_strict_rfc_3339() {
    let p = policy();
    for bad in [
        "2026-11-23T10:00:00+24:00",
        "2026-11-23T10:00:00+25:59",
        "2026-11-23T10:00:00-24:00",
        "2026-11-23T10:00:00+0530",
        "2026-11-23T10:00:00+05",
    ] {
        assert_eq!(one_error(until(&p, bad)).code, Code::E0102, "{bad}");
    }
    for good in [
        "2026-11-23T10:00:00+23:59",
        "2026-11-23T10:00:00-00:00",
        "2026-11-23t10:00:00z",
    ] {
        until(&p, good).unwrap();
    }
    assert_eq!(
        polc::time::parse("2026-11-23T15:30:00+05:30"),
        polc::time::parse("2026-11-23T10:00:00Z")
    );
    // The same rule for a time in a policy.
    let c = polc::compile_str(
        "t.pol",
        "actor user; context { now: time; } resource r { permissions p; role x { grants p; } \
         forbid p when context.now < \"2026-12-31T23:59:60Z\"; }",
    );
    let d: Vec<_> = c
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::E0102)
        .collect();
    assert_eq!(d.len(), 1, "{:#?}", c.diagnostics);
    assert!(d[0].message.contains("leap second"), "{}", d[0].message);
}

// ---- item 8: integers, NUL, long cycles

fn size(p: &Policy, n: &str) -> Result<Facts, Vec<Diagnostic>> {
    json(
        p,
        &format!(r#"{{"attributes": {{"folder:a": {{"size": {n}}}}}}}"#),
    )
}

#[test]
fn json_integers_at_the_edges() {
    let p = policy();
    let big = r#"{"principal": "user:u", "action": "big", "resource": "folder:a"}"#;
    let f = size(&p, "-0").unwrap();
    assert!(req(&p, &f, big).unwrap());
    let f = size(&p, "-9223372036854775808").unwrap();
    assert!(req(&p, &f, big).unwrap());
    size(&p, "9223372036854775807").unwrap();
    for n in ["9223372036854775808", "-9223372036854775809", "1e40"] {
        let d = one_error(size(&p, n));
        assert_eq!(d.code, Code::E0401);
        let expected = if n.contains('e') {
            "not an integer"
        } else {
            "out of range"
        };
        assert!(d.message.contains(expected), "{n}: {}", d.message);
    }
    assert!(
        one_error(size(&p, "1.5"))
            .message
            .contains("not an integer")
    );
}

#[test]
fn the_smallest_integer_literal() {
    // Compiled above in POLICY's `big` rule; alone here, and its magnitude without the sign is
    // too large.
    let ok = polc::compile_str(
        "i.pol",
        "actor user; resource r { attribute n: int; permissions p; role x { grants p; } \
         permit p when resource.n == -9223372036854775808; }",
    );
    assert!(!ok.has_errors(), "{:#?}", ok.diagnostics);
    let bad = polc::compile_str(
        "i.pol",
        "actor user; resource r { attribute n: int; permissions p; role x { grants p; } \
         permit p when resource.n == 9223372036854775808; }",
    );
    assert!(bad.diagnostics.iter().any(|d| d.code == Code::E0102));
    let p = policy();
    let f = Facts::from_pol_str(
        &p,
        &mut SourceMap::new(),
        "d.pol",
        "folder:a.size = -9223372036854775808;",
    )
    .unwrap();
    let big = Request::new(&p, &f, "user:u", "big", "folder:a").unwrap();
    assert!(decide(&p, &f, &big).allowed);
}

#[test]
fn a_nul_byte_in_a_string_is_a_syntax_error() {
    let src = "actor user; resource r { attribute s: \"a\u{0}b\" | \"c\"; permissions p; role x { grants p; } }";
    let c = polc::compile_str("n.pol", src);
    assert!(
        c.diagnostics.iter().any(|d| d.code == Code::E0101),
        "{:#?}",
        c.diagnostics
    );
    let p = policy();
    let facts = Facts::from_pol_str(
        &p,
        &mut SourceMap::new(),
        "d.pol",
        "folder:\"a\u{0}\".size = 1;",
    );
    assert_eq!(facts.unwrap_err()[0].code, Code::E0101);
    // The escape still writes one.
    Facts::from_pol_str(
        &p,
        &mut SourceMap::new(),
        "d.pol",
        "folder:\"a\\0\".size = 1;",
    )
    .unwrap();
}

#[test]
fn a_nul_byte_in_a_comment_is_a_syntax_error() {
    for src in [
        "actor user; // a\u{0}b\nresource r { permissions p; role x { grants p; } }",
        "actor user; /* a\u{0}b */ resource r { permissions p; role x { grants p; } }",
        "/// a\u{0}b\nactor user;",
    ] {
        let c = polc::compile_str("n.pol", src);
        assert!(
            c.diagnostics.iter().any(|d| d.code == Code::E0101),
            "{src:?}: {:#?}",
            c.diagnostics
        );
    }
    // Without the NUL, the same comments are fine.
    let c = polc::compile_str("n.pol", "actor user; // ab\n/* ab */");
    assert!(c.diagnostics.is_empty(), "{:#?}", c.diagnostics);
}

fn folder_ring(n: usize) -> String {
    let mut data = String::from("user:alice is viewer on folder:elsewhere;\n");
    for i in 0..n {
        data.push_str(&format!("folder:f{i}.parent = folder:f{};\n", (i + 1) % n));
    }
    data
}

#[test]
fn a_long_data_cycle_is_named_a_cycle_and_denies() {
    let p = policy();
    for n in [10, 300, 2_000] {
        let f = Facts::from_pol_str(&p, &mut SourceMap::new(), "d.pol", &folder_ring(n)).unwrap();
        let r = Request::new(&p, &f, "user:alice", "view", "folder:f0").unwrap();
        let d = decide(&p, &f, &r);
        assert!(!d.allowed, "{n}");
        assert!(
            d.errors
                .iter()
                .any(|e| e.starts_with("cycle in the data: folder:f")),
            "{n}: {:?}",
            d.errors
        );
        assert!(
            !d.errors.iter().any(|e| e.contains("nests too deeply")),
            "{n}: {:?}",
            d.errors
        );
    }
}

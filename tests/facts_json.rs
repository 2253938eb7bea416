#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Loading JSON facts: what the one-pass loader must keep whatever the shape of the document
//! (member order, escapes, problems anywhere).

use polc::compiled::{Policy, TypeId};
use polc::diag::Diagnostic;
use polc::facts::{EntityId, Facts};
use polc::source::SourceMap;
use std::fmt::Write;

const POLICY: &str = r#"
actor user;

resource team {
  permissions see;
  role member { grants see; }
}

resource folder {
  relation parent: folder;
  relation owners: [team];
  attribute size: int;
  permissions read;
  role viewer { grants read; from viewer on parent; }
}
"#;

fn policy() -> Policy {
    let c = polc::compile_str("p.pol", POLICY);
    assert!(!c.has_errors(), "{:#?}", c.diagnostics);
    c.policy.unwrap()
}

fn load(policy: &Policy, json: &str) -> Result<Facts, Vec<Diagnostic>> {
    Facts::from_json_str(policy, &mut SourceMap::new(), "data.json", json)
}

/// Everything the facts hold, entity ids included.
fn dump(policy: &Policy, f: &Facts) -> String {
    let mut s = String::new();
    for i in 0..f.entity_count() {
        let e = EntityId(i as u32);
        writeln!(s, "entity {i}: {}", f.display(policy, e)).unwrap();
        writeln!(s, "  on it: {:?}", f.on(e).collect::<Vec<_>>()).unwrap();
    }
    for (i, a) in f.assignments() {
        writeln!(s, "assignment {i}: {a:?}").unwrap();
    }
    for (e, r, t) in f.relations() {
        writeln!(s, "relation {e:?} {r:?} {t:?}").unwrap();
    }
    let mut attrs: Vec<String> = f.attributes().map(|a| format!("{a:?}")).collect();
    attrs.sort();
    writeln!(s, "attributes {attrs:?}").unwrap();
    for t in 0..policy.types.len() {
        writeln!(s, "of type {t}: {:?}", f.entities_of(TypeId(t as u32))).unwrap();
    }
    s
}

fn without_spans(dump: &str) -> Vec<&str> {
    dump.lines()
        .map(|l| l.split(", span").next().unwrap_or(l))
        .collect()
}

const ASSIGNMENTS: &str = r#""assignments": [
  {"actor": "user:ann", "role": "viewer", "on": "folder:a"},
  {"actor": "team:t1#member", "role": "viewer", "on": "folder:b"},
  {"actor": "user:*", "role": "viewer", "on": "folder:c", "until": "2027-01-01T00:00:00Z"},
  {"on": "team:t2", "role": "member", "actor": "user:bob"}
]"#;

const RELATIONS: &str = r#""relations": [
  {"from": "folder:b", "relation": "parent", "to": "folder:a"},
  {"from": "folder:c", "relation": "owners", "to": "team:t3"},
  {"from": "folder:d", "relation": "parent", "to": "folder:x"},
  {"from": "folder:c", "relation": "owners", "to": ["team:t1", "team:t4"]},
  {"from": "folder:x", "relation": "parent", "to": "folder:b"}
]"#;

#[test]
fn the_order_of_the_members_changes_nothing() {
    let p = policy();
    let attrs = r#""attributes": {"folder:e": {"size": 3}}"#;
    let a = load(&p, &format!("{{{ASSIGNMENTS}, {RELATIONS}, {attrs}}}")).unwrap();
    let b = load(&p, &format!("{{{attrs}, {RELATIONS}, {ASSIGNMENTS}}}")).unwrap();
    // The same facts, but for the spans of the assignments (they moved in the text).
    assert_eq!(without_spans(&dump(&p, &a)), without_spans(&dump(&p, &b)));
    // Assignments first, then relations, then attributes.
    let names: Vec<String> = (0..a.entity_count())
        .map(|i| a.display(&p, EntityId(i as u32)))
        .collect();
    assert_eq!(
        names,
        [
            "user:ann", "folder:a", "team:t1", "folder:b", "folder:c", "user:bob", "team:t2",
            "team:t3", "team:t4", "folder:d", "folder:x", "folder:e",
        ]
    );
}

#[test]
fn many_valued_relations_gather_their_entries() {
    let p = policy();
    let f = load(&p, &format!("{{{RELATIONS}}}")).unwrap();
    let id = |ty: &str, name: &str| f.lookup(p.type_id(ty).unwrap(), name).unwrap();
    let folder = p.type_id("folder").unwrap();
    let owners = p.ty(folder).relation("owners").unwrap();
    let parent = p.ty(folder).relation("parent").unwrap();
    assert_eq!(
        f.relation(id("folder", "c"), owners),
        [id("team", "t3"), id("team", "t1"), id("team", "t4")]
    );
    assert_eq!(f.relation(id("folder", "d"), parent), [id("folder", "x")]);
    assert_eq!(f.relation(id("folder", "x"), parent), [id("folder", "b")]);
}

#[test]
fn escaped_names_load_like_plain_ones() {
    let p = policy();
    let plain = r#"{"assignments": [{"actor": "user:ann", "role": "viewer", "on": "folder:a"}],
        "relations": [{"from": "folder:a", "relation": "owners", "to": ["team:t1"]}]}"#;
    let escaped = r#"{"assignments": [{"actor": "user:\u0061nn", "role": "vi\u0065wer", "on": "folder\u003aa"}],
        "relations": [{"from": "folder:\u0061", "relation": "owners", "to": ["team:t\u0031"]}]}"#;
    let a = dump(&p, &load(&p, plain).unwrap());
    let b = dump(&p, &load(&p, escaped).unwrap());
    assert_eq!(without_spans(&a), without_spans(&b));
}

#[test]
fn every_problem_is_reported_by_member_and_nothing_loads() {
    let p = policy();
    let json = r#"{
  "relations": [{"from": "folder:a", "relation": "nope", "to": "folder:b"}],
  "assignments": [
    {"actor": "user:ann", "role": "viewer", "on": "folder:a"},
    {"actor": "user:ann", "role": "owner", "on": "folder:a"},
    {"actor": "folder:x", "role": "viewer", "on": "folder:a"}
  ],
  "attributes": {"folder:a": {"size": "big"}}
}"#;
    let ds = load(&p, json).unwrap_err();
    let messages: Vec<&str> = ds.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "`folder` has no role `owner`",
            "`folder:x` cannot hold roles: `folder` is not an actor type",
            "`folder` has no attribute or relation `nope`",
            "`folder.size` is `int`, found the string \"big\"",
        ]
    );
    // Each points at what is wrong in the text.
    let at =
        |i: usize| &json[ds[i].labels[0].span.start as usize..ds[i].labels[0].span.end as usize];
    assert_eq!(
        [at(0), at(1), at(2), at(3)],
        ["\"owner\"", "\"folder:x\"", "\"nope\"", "\"big\""]
    );
}

#[test]
fn a_malformed_document_is_one_diagnostic_even_after_bad_facts() {
    let p = policy();
    let json = r#"{"assignments": [{"actor": "user:ann", "role": "owner", "on": "folder:a"}], "extra": 1}"#;
    let ds = load(&p, json).unwrap_err();
    assert_eq!(ds.len(), 1, "{ds:#?}");
    assert!(
        ds[0]
            .message
            .starts_with("malformed facts JSON: unknown field `extra`")
    );
    let ds = load(&p, r#"{"assignments": [], "assignments": []}"#).unwrap_err();
    assert_eq!(
        ds[0].message,
        "malformed facts JSON: duplicate field `assignments`"
    );
}

#[test]
fn the_document_its_assignments_and_relations_must_be_objects() {
    let p = policy();
    // What a derived reader would also take: the members, or the fields, in order.
    for (json, expected) in [
        (r#"[[], []]"#, "expected an object with `assignments`"),
        (
            r#"{"assignments": [["user:a", "viewer", "folder:f"]]}"#,
            "expected an object",
        ),
        (
            r#"{"relations": [["folder:f", "parent", "folder:g"]]}"#,
            "expected an object",
        ),
        (r#"{"assignments": {"actor": "user:a"}}"#, "expected a list"),
    ] {
        let errs = load(&p, json)
            .err()
            .unwrap_or_else(|| panic!("{json} loaded"));
        assert_eq!(errs.len(), 1, "{json}: {errs:#?}");
        assert!(
            errs[0].message.contains(expected),
            "{json}: {}",
            errs[0].message
        );
    }
    // The object forms load.
    let f = load(
        &p,
        r#"{"assignments": [{"actor": "user:a", "role": "viewer", "on": "folder:f"}],
            "relations": [{"from": "folder:f", "relation": "parent", "to": "folder:g"}]}"#,
    )
    .unwrap();
    assert_eq!(f.assignment_count(), 1);
}

#[test]
fn a_request_must_be_an_object() {
    let p = policy();
    let facts = load(&p, "{}").unwrap();
    let mut sources = SourceMap::new();
    let text = r#"["user:a", "read", "folder:f"]"#;
    let file = sources.add("request", text);
    let err = polc::eval::request::from_json(&p, &facts, file, text)
        .expect_err("an array is not a request");
    assert!(
        err.message.contains("expected an object"),
        "{}",
        err.message
    );
    let text = r#"{"principal": "user:a", "action": "read", "resource": "folder:f"}"#;
    let file = sources.add("request", text);
    assert!(polc::eval::request::from_json(&p, &facts, file, text).is_ok());
}

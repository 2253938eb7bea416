#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! One reading of an entity reference for every input (docs/language.md, "Entity references"):
//! JSON facts, JSON requests, `Request::new`, Pol facts and Pol queries all name the same entity
//! for the same (type, id), and refuse the same texts.

use polc::compiled::Policy;
use polc::diag::{Code, Diagnostic};
use polc::eval::{Context, Request, decide, request};
use polc::facts::{EntityRef, Facts, RefError, SubjectRef};
use polc::source::{FileId, SourceMap};
use proptest::prelude::*;

const POLICY: &str = r#"
actor user;
resource team { role member; }
resource doc {
  permissions read;
  role reader { grants read; }
}
"#;

fn policy() -> Policy {
    let c = polc::compile_str("p.pol", POLICY);
    assert!(!c.has_errors(), "{:#?}", c.diagnostics);
    c.policy.unwrap()
}

/// An id in Pol: a string literal with every special character escaped.
fn pol_id(id: &str) -> String {
    let mut s = String::from("\"");
    for c in id.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            c if c.is_control() => s.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => s.push(c),
        }
    }
    s.push('"');
    s
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

fn json_facts(p: &Policy, actor: &str, on: &str) -> Result<Facts, Vec<Diagnostic>> {
    let text = format!(
        r#"{{"assignments": [{{"actor": {}, "role": "reader", "on": {}}}]}}"#,
        json_str(actor),
        json_str(on)
    );
    Facts::from_json_str(p, &mut SourceMap::new(), "data.json", &text)
}

fn pol_facts(p: &Policy, text: &str) -> Result<Facts, Vec<Diagnostic>> {
    Facts::from_pol_str(p, &mut SourceMap::new(), "data.pol", text)
}

/// The decision on `user:ID read doc:d` asked in each of the three request inputs; they must
/// agree.
fn allowed(p: &Policy, f: &Facts, id: &str) -> Result<bool, Diagnostic> {
    let principal = format!("user:{id}");
    let by_new = Request::new(p, f, &principal, "read", "doc:d").map(|r| decide(p, f, &r).allowed);
    let json = format!(
        r#"{{"principal": {}, "action": "read", "resource": "doc:d"}}"#,
        json_str(&principal)
    );
    let by_json = request::from_json(p, f, FileId(0), &json).map(|r| decide(p, f, &r).allowed);
    let query = format!("can user:{} read doc:d", pol_id(id));
    let by_query = polc::syntax::parse_query(FileId(0), &query).and_then(|q| {
        let ctx = Context::from_facts(p, f);
        polc::eval::query::run(p, f, &ctx, &q).map(|a| a.holds().unwrap())
    });
    let answers = [&by_new, &by_json, &by_query].map(|r| r.as_ref().ok().copied());
    assert!(
        answers.iter().all(|a| *a == answers[0]),
        "the inputs disagree on {id:?}: new {by_new:?}, json {by_json:?}, query {by_query:?}"
    );
    by_new
}

/// Ids made of the characters that matter: quotes, colons, `#`, `*`, spaces, backslashes,
/// control characters and unicode, any of them alone or mixed with letters.
fn id() -> impl Strategy<Value = String> {
    let c = prop_oneof![
        Just('"'),
        Just(':'),
        Just('#'),
        Just('*'),
        Just(' '),
        Just('\\'),
        Just('\n'),
        Just('\0'),
        Just('é'),
        Just('😀'),
        proptest::char::range('a', 'c'),
        any::<char>(),
    ];
    prop::collection::vec(c, 0..6).prop_map(|v| v.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// The entity of a fact, written in JSON or in Pol, is the entity every request input names
    /// with the same id, and no other.
    #[test]
    fn every_input_names_the_same_entity(id in id(), other in id()) {
        let p = policy();
        let json = json_facts(&p, &format!("user:{id}"), "doc:d");
        let pol = pol_facts(&p, &format!("user:{} is reader on doc:d;", pol_id(&id)));
        if id.is_empty() || id == "*" {
            // `user:` and `user:*` as an entity: refused by every input (a JSON actor `user:*`
            // is the wildcard).
            prop_assert!(json.is_err() || id == "*");
            prop_assert!(pol.is_err());
            let f = Facts::new(&p);
            prop_assert!(allowed(&p, &f, &id).is_err());
            return Ok(());
        }
        let mut all = vec![pol.unwrap()];
        if id.contains('#') {
            // A JSON actor with a `#` is a userset (split at the last `#`), never this actor:
            // refused (no such role) or another subject.
            if let Ok(f) = json {
                prop_assert!(!allowed(&p, &f, &id).unwrap());
            }
        } else {
            all.push(json.unwrap());
        }
        for facts in all {
            prop_assert_eq!(allowed(&p, &facts, &id).unwrap(), true);
            if other != id && !other.is_empty() && other != "*" {
                prop_assert_eq!(allowed(&p, &facts, &other).unwrap(), false);
            }
            // With quotes around it, it is another id.
            prop_assert_eq!(allowed(&p, &facts, &format!("\"{id}\"")).unwrap(), false);
        }
    }

    /// A userset read from a JSON `actor` (split at the last `#`) is the one Pol writes
    /// `team:"ID"#member`, whatever the id holds.
    #[test]
    fn usersets_agree(team in id(), member in "[a-z]{1,3}") {
        let p = policy();
        let json = json_facts(&p, &format!("team:{team}#member"), "doc:d");
        let pol = pol_facts(&p, &format!("team:{}#member is reader on doc:d;", pol_id(&team)));
        if team.is_empty() || team == "*" {
            prop_assert!(json.is_err());
            prop_assert!(pol.is_err());
            return Ok(());
        }
        let text = format!(
            r#"{{"assignments": [{{"actor": {}, "role": "reader", "on": "doc:d"}},
                {{"actor": {}, "role": "member", "on": {}}}]}}"#,
            json_str(&format!("team:{team}#member")),
            json_str(&format!("user:{member}")),
            json_str(&format!("team:{team}"))
        );
        let json = Facts::from_json_str(&p, &mut SourceMap::new(), "d.json", &text).unwrap();
        let pol = pol_facts(&p, &format!(
            "team:{t}#member is reader on doc:d; user:{member} is member on team:{t};",
            t = pol_id(&team)
        )).unwrap();
        prop_assert!(allowed(&p, &json, &member).unwrap());
        prop_assert!(allowed(&p, &pol, &member).unwrap());
    }

    /// What explanations print (`user:alice`, `user:"a b"`) reads back in Pol as the same entity.
    #[test]
    fn displayed_names_read_back(id in id()) {
        prop_assume!(!id.is_empty() && id != "*");
        let shown = polc::facts::display_entity("user", &id);
        let q = polc::syntax::parse_query(FileId(0), &format!("can {shown} read doc:d")).unwrap();
        let polc::syntax::ast::Query::Can { principal, .. } = q else { panic!("{q:?}") };
        prop_assert_eq!(principal.id.value, id);
    }

    /// The text form reads back what it prints.
    #[test]
    fn text_form_round_trips(ty in "[a-z_][a-z0-9_]{0,4}", id in id()) {
        let text = format!("{ty}:{id}");
        match EntityRef::parse(&text) {
            Ok(e) => {
                prop_assert_eq!(e.ty, ty.as_str());
                prop_assert_eq!(e.id, id.as_str());
                prop_assert_eq!(e.to_string(), text);
            }
            Err(e) => prop_assert!(id.is_empty() || id == "*", "{e:?} for {text:?}"),
        }
    }
}

fn codes(r: Result<Facts, Vec<Diagnostic>>) -> Vec<Code> {
    r.err().unwrap().iter().map(|d| d.code).collect()
}

/// The probe of issue 19: `user:"alice"` in a request used to name alice.
#[test]
fn quoted_id_in_a_request_is_another_entity() {
    let p = policy();
    let f = json_facts(&p, "user:alice", "doc:d").unwrap();
    let req = r#"{"principal": "user:\"alice\"", "action": "read", "resource": "doc:d"}"#;
    let r = request::from_json(&p, &f, FileId(0), req).unwrap();
    assert_eq!(r.principal.name, "\"alice\"");
    assert!(!decide(&p, &f, &r).allowed);
    let r = Request::new(&p, &f, "user:\"alice\"", "read", "doc:d").unwrap();
    assert!(!decide(&p, &f, &r).allowed);
    // In Pol the quotes are string syntax: `user:"alice"` is alice.
    let f = pol_facts(&p, r#"user:"alice" is reader on doc:d;"#).unwrap();
    assert!(allowed(&p, &f, "alice").unwrap());
}

#[test]
fn wildcards_are_never_entities() {
    let p = policy();
    let e = json_facts(&p, "user:bob", "doc:*").unwrap_err();
    assert_eq!(e[0].code, Code::E0401);
    assert!(e[0].message.contains("wildcard"), "{}", e[0].message);
    assert_eq!(
        codes(json_facts(&p, "team:*#member", "doc:d")),
        [Code::E0401]
    );
    assert_eq!(
        codes(pol_facts(&p, r#"user:bob is reader on doc:"*";"#)),
        [Code::E0102]
    );
    assert_eq!(
        codes(pol_facts(&p, r##"team:"*"#member is reader on doc:d;"##)),
        [Code::E0102]
    );
    assert_eq!(
        codes(pol_facts(&p, r#"user:"" is reader on doc:d;"#)),
        [Code::E0102]
    );
    let f = Facts::new(&p);
    let req = r#"{"principal": "user:*", "action": "read", "resource": "doc:d"}"#;
    assert_eq!(
        request::from_json(&p, &f, FileId(0), req).unwrap_err().code,
        Code::E0401
    );
    // A wildcard actor is still a wildcard.
    let f = json_facts(&p, "user:*", "doc:d").unwrap();
    assert!(allowed(&p, &f, "anyone").unwrap());
}

#[test]
fn the_library_function() {
    assert_eq!(
        SubjectRef::parse("team:a:b#member"),
        Ok(SubjectRef::Userset(
            EntityRef {
                ty: "team",
                id: "a:b"
            },
            "member"
        ))
    );
    assert_eq!(SubjectRef::parse("team:x#1a"), Err(RefError::BadRole));
    assert_eq!(EntityRef::parse("us er:x"), Err(RefError::BadType));
    assert_eq!(EntityRef::parse("user:\u{0}").unwrap().id, "\u{0}");
}

/// An artifact is an input too: an entity literal whose id was edited to `*` or emptied is
/// refused on load, like the Pol it came from.
#[test]
fn artifacts_follow_the_same_rule() {
    let c = polc::compile_str(
        "a.pol",
        "actor user; resource doc { permissions read; role reader { grants read; } \
         permit read when principal == user:rootzz; }",
    );
    let p = c.policy.unwrap();
    let json = p.to_json();
    assert!(json.contains("\"rootzz\""));
    assert!(Policy::from_json(&json).is_ok());
    for id in ["\"*\"", "\"\""] {
        let edited = json.replace("\"rootzz\"", id);
        assert!(Policy::from_json(&edited).is_err(), "{id}");
    }
}

/// `Entity::new` takes a type and an id apart (as the server gets them from AuthZEN's `type`
/// and `id`): the same rule refuses the wildcard and the empty id there too.
#[test]
fn an_entity_from_type_and_id_follows_the_same_rule() {
    let p = policy();
    let f = json_facts(&p, "user:alice", "doc:d").unwrap();
    let span = polc::source::Span::default();
    for bad in ["*", ""] {
        let e = request::Entity::new(&p, &f, "user", bad, span).unwrap_err();
        assert_eq!(e.code, Code::E0401, "{bad:?}: {e}");
    }
    let e = request::Entity::new(&p, &f, "user", "\"alice\"", span).unwrap();
    assert_eq!(e.id, None, "the quotes are part of the id: not alice");
    let e = request::Entity::new(&p, &f, "user", "alice", span).unwrap();
    assert!(e.id.is_some());
}

/// A deny for an entity the facts never name says so, with the nearest name of its type.
#[test]
fn an_unknown_entity_in_a_deny_gets_a_hint() {
    let p = policy();
    let f = json_facts(&p, "user:alice", "doc:design").unwrap();
    let r = Request::new(&p, &f, "user:alice", "read", "doc:desing").unwrap();
    let d = polc::eval::decide_with(&p, &f, &r, true);
    assert!(!d.allowed);
    let why = polc::eval::Explainer {
        policy: &p,
        facts: &f,
    }
    .reason(&r, &d.reasons[0]);
    assert!(
        why.contains("doc:desing appears nowhere in the facts (did you mean `doc:design`?)"),
        "{why}"
    );
    // A known entity gets no such note.
    let r = Request::new(&p, &f, "user:alice", "read", "doc:design").unwrap();
    let d = polc::eval::decide_with(&p, &f, &r, true);
    for reason in &d.reasons {
        let why = polc::eval::Explainer {
            policy: &p,
            facts: &f,
        }
        .reason(&r, reason);
        assert!(!why.contains("appears nowhere"), "{why}");
    }
}

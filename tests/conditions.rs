#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Sets, records, durations and time arithmetic, type tests and optional context (issue 18):
//! through Pol text, JSON facts and requests, and the compiled artifact. Every decision is made
//! by both evaluators (`common::decide_all`).

mod common;

use common::{Loaded, decide_all, load};
use polc::compiled::Policy;
use polc::eval::{self, request};
use polc::facts::Facts;
use polc::source::{FileId, SourceMap};

const POLICY: &str = r#"
actor user {
  attribute assigned: [{ organization: string, serviceline: string, location: string }];
  attribute utc_offset: duration;
  attribute department?: string;
}
actor service;

context {
  now: time;
  consent?: bool;
  grace: duration;
  location: { city: string, country?: string };
}

resource document {
  attribute serviceline: "tax" | "audit";
  attribute location: string;
  attribute tags: [string];
  attribute created: time;
  permissions view, edit, watch, audit, stamp;
  role editor { grants edit; }

  permit view when principal.assigned.contains({
    organization: "acme",
    serviceline: resource.serviceline,
    location: resource.location,
  });
  permit edit when resource.tags == ["b", "a"];
  permit audit when resource.tags.containsAny(["secret", "b"]) && !resource.tags.containsAll(["a", "secret"]);
  permit watch when principal is user;
  forbid watch when context.now.timeOfDay(principal.utc_offset) >= 22h
    || context.now.timeOfDay(principal.utc_offset) < 6h;
  forbid edit when context has consent && !context.consent;
  permit stamp when context.now - resource.created < 1w + context.grace
    && context.location.city == "paris"
    && (context.location has country && context.location.country == "fr");
}
"#;

const FACTS: &str = r#"
context.now = "2026-11-23T20:00:00Z";
context.grace = -1d;
context.location = { city: "paris", country: "fr" };
user:alice.assigned = [{ organization: "acme", serviceline: "tax", location: "paris" }];
user:alice.utc_offset = -5h;
document:d1.serviceline = "tax";
document:d1.location = "paris";
document:d1.tags = ["a", "b", "a"];
document:d1.created = "2026-11-20T00:00:00Z";
document:d2.serviceline = "audit";
document:d2.location = "paris";
document:d2.tags = ["a", "secret"];
document:d2.created = "2026-11-01T00:00:00Z";
"#;

fn loaded() -> Loaded {
    load(POLICY, FACTS).unwrap()
}

fn can(l: &Loaded, p: &str, a: &str, r: &str) -> bool {
    decide_all(l, p, a, r).unwrap()
}

#[test]
fn records_inside_sets_decide_the_tax_preparer_rule() {
    let l = loaded();
    assert!(can(&l, "user:alice", "view", "document:d1"));
    assert!(!can(&l, "user:alice", "view", "document:d2"));
    // A service has no `assigned`: the read fails and the permit does not apply.
    assert!(!can(&l, "service:s", "view", "document:d1"));
}

#[test]
fn set_equality_ignores_order_and_repeats() {
    let l = loaded();
    assert!(can(&l, "user:alice", "edit", "document:d1"));
    assert!(!can(&l, "user:alice", "edit", "document:d2"));
    assert!(can(&l, "user:alice", "audit", "document:d1"));
    assert!(!can(&l, "user:alice", "audit", "document:d2"));
}

#[test]
fn bedtime_uses_the_local_time_of_day() {
    let l = loaded();
    // 20:00Z is 15:00 at UTC-5.
    assert!(can(&l, "user:alice", "watch", "document:d1"));
    let late = load(
        POLICY,
        &FACTS.replace("2026-11-23T20:00:00Z", "2026-11-24T04:00:00Z"),
    )
    .unwrap();
    assert!(!can(&late, "user:alice", "watch", "document:d1"));
    let morning = load(
        POLICY,
        &FACTS.replace("2026-11-23T20:00:00Z", "2026-11-24T11:00:00Z"),
    )
    .unwrap();
    assert!(can(&morning, "user:alice", "watch", "document:d1"));
    // Services are not users.
    assert!(!can(&l, "service:s", "watch", "document:d1"));
}

#[test]
fn time_arithmetic_and_negative_durations() {
    let l = loaded();
    // 3 days 20 hours old, less than 1w - 1d.
    assert!(can(&l, "user:alice", "stamp", "document:d1"));
    assert!(!can(&l, "user:alice", "stamp", "document:d2"));
    let no_country = load(
        POLICY,
        &FACTS.replace(
            r#"{ city: "paris", country: "fr" }"#,
            r#"{ city: "paris" }"#,
        ),
    )
    .unwrap();
    assert!(!can(&no_country, "user:alice", "stamp", "document:d1"));
}

#[test]
fn optional_context_fields_are_guarded_by_has() {
    let l = loaded();
    assert!(can(&l, "user:alice", "edit", "document:d1"));
    let refused = load(POLICY, &format!("{FACTS}context.consent = false;\n")).unwrap();
    assert!(!can(&refused, "user:alice", "edit", "document:d1"));
}

fn json_facts(policy: &Policy, text: &str) -> Result<Facts, Vec<polc::diag::Diagnostic>> {
    let mut sources = SourceMap::new();
    Facts::from_json_str(policy, &mut sources, "data.json", text)
}

#[test]
fn json_facts_and_requests_carry_records_sets_and_durations() {
    let l = loaded();
    let facts = json_facts(
        &l.policy,
        r#"{"attributes": {
              "user:alice": {"assigned": [{"organization": "acme", "serviceline": "tax", "location": "paris"}],
                             "utc_offset": "-5h"},
              "document:d1": {"serviceline": "tax", "location": "paris", "tags": ["b", "a"],
                              "created": "2026-11-20T00:00:00Z"}},
            "context": {"now": "2026-11-23T20:00:00Z", "grace": "-1d",
                        "location": {"city": "paris", "country": "fr"}}}"#,
    )
    .unwrap();
    let req = request::from_json(
        &l.policy,
        &facts,
        FileId(9),
        r#"{"principal": "user:alice", "action": "stamp", "resource": "document:d1",
            "context": {"grace": "1d12h", "location": {"city": "paris", "country": "fr"}}}"#,
    )
    .unwrap();
    assert!(eval::decide(&l.policy, &facts, &req).allowed);
    assert!(polc::eval::reference::decide(&l.policy, &facts, &req));
    let view =
        request::Request::new(&l.policy, &facts, "user:alice", "view", "document:d1").unwrap();
    assert!(eval::decide(&l.policy, &facts, &view).allowed);

    // A record without a required field, and one with an unknown field.
    let missing = json_facts(
        &l.policy,
        r#"{"attributes": {"user:alice": {"assigned": [{"organization": "acme"}]}}}"#,
    )
    .unwrap_err();
    assert_eq!(missing[0].code.as_str(), "E0404", "{missing:?}");
    let unknown = json_facts(
        &l.policy,
        r#"{"context": {"location": {"city": "paris", "zip": "75001"}}}"#,
    )
    .unwrap_err();
    assert_eq!(unknown[0].code.as_str(), "E0205", "{unknown:?}");
    let months = json_facts(&l.policy, r#"{"context": {"grace": "1mo"}}"#).unwrap_err();
    assert_eq!(months[0].code.as_str(), "E0401", "{months:?}");
}

#[test]
fn the_artifact_keeps_every_new_form() {
    let l = loaded();
    let json = l.policy.to_json();
    let back = Policy::from_json(&json).unwrap();
    let again = Loaded {
        policy: back,
        facts: load(POLICY, FACTS).unwrap().facts,
    };
    for (p, a, r) in [
        ("user:alice", "view", "document:d1"),
        ("user:alice", "edit", "document:d1"),
        ("user:alice", "audit", "document:d2"),
        ("user:alice", "watch", "document:d1"),
        ("user:alice", "stamp", "document:d1"),
        ("service:s", "watch", "document:d1"),
    ] {
        assert_eq!(can(&l, p, a, r), can(&again, p, a, r), "{p} {a} {r}");
    }
}

fn errors(policy: &str) -> Vec<String> {
    let mut sources = SourceMap::new();
    sources.add("p.pol", policy);
    let comp = polc::compile_sources(sources);
    comp.diagnostics
        .iter()
        .map(|d| format!("{} {}", d.code.as_str(), d.message))
        .collect()
}

#[test]
fn ill_typed_new_forms_are_rejected() {
    let base = "actor user;\ncontext { now: time; d: duration; }\nresource doc {\n  attribute tags: [string];\n  attribute meta: { a: int, b?: int };\n  permissions view;\n  role r { grants view; }\n  permit view when ";
    let cases = [
        ("resource.tags.contains(1);", "E0401"),
        ("resource.tags.containsAll(\"x\");", "E0401"),
        ("resource.tags.contains();", "E0405"),
        ("resource.tags.has(\"x\");", "E0405"),
        ("context.now + context.now > context.now;", "E0401"),
        ("context.d - context.now > 1d;", "E0401"),
        ("context.now.timeOfDay(1) > 1h;", "E0401"),
        ("context.now.dayOfWeek() == \"funday\";", "E0403"),
        ("resource.meta.b == 1;", "E0402"),
        ("resource.meta.c == 1;", "E0205"),
        ("resource.meta == { a: \"x\" };", "E0401"),
        ("principal is viewer;", "E0201"),
        ("{ a: 1, a: 2 } == resource.meta;", "E0206"),
    ];
    for (cond, code) in cases {
        let text = format!("{base}{cond}\n}}\n");
        let got = errors(&text);
        assert!(
            got.iter().any(|g| g.starts_with(code)),
            "`{cond}`: expected {code}, got {got:?}"
        );
    }
    // And the well-typed neighbours compile without diagnostics.
    for cond in [
        "resource.tags.contains(\"x\");",
        "resource.meta has b && resource.meta.b == 1;",
        "resource.meta == { a: 1 };",
        "context.now - context.now == 0s && context.d + context.now > context.now;",
        "context.now.dayOfWeek(-5h) == \"sunday\";",
        "resource is doc && principal is user;",
    ] {
        let text = format!("{base}{cond}\n}}\n");
        assert_eq!(errors(&text), Vec::<String>::new(), "`{cond}`");
    }
}

#[test]
fn durations_read_with_jiff_everywhere() {
    let l = load(
        "actor user;\ncontext { d: duration; }\nresource doc {\n  permissions view;\n  \
         permit view when context.d == 1d12h && context.d == 36h && -context.d < 0s;\n}\n",
        "context.d = 1d12h;",
    )
    .unwrap();
    assert!(can(&l, "user:u", "view", "doc:x"));
    let w = load(
        "actor user;\ncontext { d: duration; }\nresource doc {\n  permissions view;\n  \
         permit view when context.d == 14d;\n}\n",
        "context.d = 2w;",
    )
    .unwrap();
    assert!(can(&w, "user:u", "view", "doc:x"));
    assert!(
        load(
            "actor user;\ncontext { d: duration; }\n",
            "context.d = 1mo;"
        )
        .is_err()
    );
}

fn compile(text: &str) -> polc::Compilation {
    let mut sources = SourceMap::new();
    sources.add("p.pol", text);
    polc::compile_sources(sources)
}

#[test]
fn retract_removes_an_assignment_for_the_steps_after_it() {
    let text = "actor user;\nresource list {\n  permissions view, edit;\n  role editor { grants edit, view; }\n}\n\
                test \"revoke\" {\n  user:bob is editor on list:l0;\n  assert can user:bob edit list:l0;\n  \
                retract user:bob is editor on list:l0;\n  assert cannot user:bob view list:l0;\n}\n\
                test \"nothing to revoke\" {\n  retract user:bob is editor on list:l0;\n  assert cannot user:bob view list:l0;\n}\n";
    let comp = compile(text);
    assert!(!comp.has_errors(), "{:?}", comp.diagnostics);
    let policy = comp.policy.as_ref().unwrap();
    let report = polc::testing::run(policy, &comp.files, &comp.sources, None);
    assert!(report.tests[0].passed(), "{:?}", report.tests[0].failures);
    assert!(!report.tests[1].passed());
    assert_eq!(report.tests[1].failures[0].actual, "no such assignment");
    // One assertion is "1 assertion".
    let one = compile(
        "actor user;\nresource list {\n  permissions view;\n  role viewer { grants view; }\n}\n\
         test \"one\" {\n  assert cannot user:bob view list:l0;\n}\n",
    );
    let report = polc::testing::run(one.policy.as_ref().unwrap(), &one.files, &one.sources, None);
    let human = polc::testing::report::human(&report, one.policy.as_ref().unwrap(), false);
    assert!(human.contains("ok    one (1 assertion)\n"), "{human}");
}

#[test]
fn a_role_used_through_a_userset_in_the_facts_is_not_unused() {
    let policy = "actor user;\nresource folder {\n  permissions view;\n  role viewer { grants view; }\n  role watcher;\n}\n";
    let codes = |text: &str| -> Vec<String> {
        compile(text)
            .diagnostics
            .iter()
            .map(|d| d.code.as_str().to_string())
            .collect()
    };
    assert_eq!(codes(policy), ["W0102"]);
    let used = format!("{policy}facts f {{\n  folder:a#watcher is viewer on folder:b;\n}}\n");
    assert_eq!(codes(&used), Vec::<String>::new());
}

#[test]
fn a_deny_names_the_permit_rules_that_did_not_apply() {
    let l = load(
        "actor user { attribute level: int; }\nresource doc {\n  permissions view;\n  \
         /// Seniors read everything.\n  permit view when principal.level > 3;\n}\n",
        "user:u.level = 1;",
    )
    .unwrap();
    let req = request::Request::new(&l.policy, &l.facts, "user:u", "view", "doc:d").unwrap();
    let d = eval::decide(&l.policy, &l.facts, &req);
    assert!(!d.allowed);
    let x = eval::Explainer {
        policy: &l.policy,
        facts: &l.facts,
    };
    let reasons: Vec<String> = d.reasons.iter().map(|r| x.reason(&req, r)).collect();
    assert!(
        reasons[0].contains("the rule \"Seniors read everything.\"")
            && reasons[0].contains("does not apply"),
        "{reasons:?}"
    );
}

/// `polc eval` lines take entities in the AuthZEN shape, with request-time properties typed
/// against the declarations (the same library function the server uses); a misspelt property
/// is `E0406` with the nearest name, an ill-typed one `E0401`.
#[test]
fn eval_lines_carry_authzen_properties() {
    let l = load(
        r#"
actor user { attribute department?: string; }
resource document {
  attribute status: "live" | "deleted";
  permissions view;
  permit view when principal has department && principal.department == "finance"
    && resource.status == "live";
}
"#,
        r#"document:q3.status = "live";
user:alice.department = "sales";
"#,
    )
    .unwrap();
    let mut lines = request::RequestLines::new(eval::Context::from_facts(&l.policy, &l.facts));
    let mut decide = |line: &str| {
        let (req, _) = lines.read(&l.policy, &l.facts, FileId(3), line)?;
        let fast = eval::decide(&l.policy, &l.facts, req).allowed;
        assert_eq!(
            fast,
            polc::eval::reference::decide(&l.policy, &l.facts, req)
        );
        Ok::<bool, polc::diag::Diagnostic>(fast)
    };
    // Stored facts are the default; the request's properties override them for that line only.
    assert!(
        !decide(r#"{"principal": "user:alice", "action": "view", "resource": "document:q3"}"#)
            .unwrap()
    );
    assert!(decide(
        r#"{"principal": {"type": "user", "id": "alice", "properties": {"department": "finance"}},
            "action": {"name": "view"}, "resource": "document:q3"}"#
    )
    .unwrap());
    assert!(!decide(
        r#"{"principal": {"type": "user", "id": "alice", "properties": {"department": "finance"}},
            "action": "view",
            "resource": {"type": "document", "id": "q3", "properties": {"status": "deleted"}}}"#
    )
    .unwrap());
    assert!(
        !decide(r#"{"principal": "user:alice", "action": "view", "resource": "document:q3"}"#)
            .unwrap()
    );
    let misspelt = decide(
        r#"{"principal": {"type": "user", "id": "alice", "properties": {"departmnt": "finance"}},
            "action": "view", "resource": "document:q3"}"#,
    )
    .unwrap_err();
    assert_eq!(misspelt.code.as_str(), "E0406");
    assert_eq!(misspelt.help.as_deref(), Some("did you mean `department`?"));
    let ill_typed = decide(
        r#"{"principal": "user:alice", "action": "view",
            "resource": {"type": "document", "id": "q3", "properties": {"status": "gone"}}}"#,
    )
    .unwrap_err();
    assert_ne!(ill_typed.code.as_str(), "E0406", "{ill_typed:?}");
    let action_props = decide(
        r#"{"principal": "user:alice", "action": {"name": "view", "properties": {"x": 1}},
            "resource": "document:q3"}"#,
    )
    .unwrap_err();
    assert_eq!(action_props.code.as_str(), "E0406");
}

#[test]
fn a_has_test_on_a_principal_is_not_warned_and_guards_the_read() {
    let policy = "actor user { attribute admin?: bool; attribute level: int; }\nactor team;\n\
                  resource list {\n  attribute secret: bool;\n  permissions read;\n  role reader { grants read; }\n  \
                  forbid read when resource.secret && !(principal has admin && principal.admin);\n  \
                  forbid read when principal.level < 0;\n}\n";
    let comp = compile(policy);
    let w0115: Vec<String> = comp
        .diagnostics
        .iter()
        .filter(|d| d.code.as_str() == "W0115")
        .map(|d| d.message.clone())
        .collect();
    // Only the unguarded read of `level` is warned about: `has` never fails, and it guards
    // the read of `admin` after it.
    assert_eq!(w0115.len(), 1, "{w0115:?}");
    assert!(w0115[0].contains("`level`"), "{w0115:?}");
    let facts = "user:root is reader on list:s;\nuser:root.admin = true;\nuser:root.level = 1;\n\
                 user:ann is reader on list:s;\nuser:ann.level = 1;\nteam:t is reader on list:s;\n\
                 list:s.secret = true;\n";
    let l = load(policy, facts).unwrap();
    assert_eq!(decide_all(&l, "user:root", "read", "list:s"), Ok(true));
    assert_eq!(decide_all(&l, "user:ann", "read", "list:s"), Ok(false));
    // A team has neither attribute: the guarded forbid applies, the unguarded one fails closed.
    assert_eq!(decide_all(&l, "team:t", "read", "list:s"), Ok(false));
}

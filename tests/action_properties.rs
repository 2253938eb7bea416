#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Action properties (issue 18 item 5): `action { ... }` declarations, `action.x` and
//! `action has x` in conditions, set by test steps and the REPL (`action.x = v;`), by `polc
//! eval` request lines and by the server (AuthZEN `action.properties`), kept by the artifact.
//! Every decision is made by both evaluators (`common::decide_all`).

mod common;

use common::{Loaded, decide_all, load};
use polc::compiled::Policy;
use polc::eval::{self, request};
use polc::source::{FileId, SourceMap};
use serde_json::{Value, json};

const POLICY: &str = r#"
actor user;

action {
  soft?: bool;
  reason: string;
  weight?: int;
}

resource record {
  attribute status: "active" | "archived";
  permissions read, delete, move;
  role editor { grants read, delete, move; }

  /// Only soft deletes.
  forbid delete unless action has soft && action.soft;
  /// Reads give a reason.
  forbid read when action.reason == "";
  /// Heavy moves of archived records are refused.
  forbid move when resource.status == "archived" && action has weight && action.weight > 2;
}
"#;

const FACTS: &str = r#"
user:alice is editor on record:r1;
record:r1.status = "archived";
"#;

fn can(l: &Loaded, a: &str) -> bool {
    decide_all(l, "user:alice", a, "record:r1").unwrap()
}

#[test]
fn facts_set_action_properties_for_every_request() {
    let l = load(POLICY, FACTS).unwrap();
    // Nothing given: `soft` is absent (the forbid applies), `reason` cannot be read (the forbid
    // fails closed), `weight` is absent (the forbid does not apply).
    assert!(!can(&l, "delete"));
    assert!(!can(&l, "read"));
    assert!(can(&l, "move"));
    let l = load(
        POLICY,
        &format!("{FACTS}action.soft = true;\naction.reason = \"audit\";\naction.weight = 3;\n"),
    )
    .unwrap();
    assert!(can(&l, "delete"));
    assert!(can(&l, "read"));
    assert!(!can(&l, "move"));
    let l = load(
        POLICY,
        &format!("{FACTS}action.soft = false;\naction.reason = \"\";\n"),
    )
    .unwrap();
    assert!(!can(&l, "delete"));
    assert!(!can(&l, "read"));
}

#[test]
fn facts_refuse_undeclared_and_ill_typed_action_properties() {
    let Err(unknown) = load(POLICY, "action.sfot = true;\n") else {
        panic!("an undeclared action property loaded")
    };
    assert!(unknown.contains("E0407"), "{unknown}");
    assert!(unknown.contains("did you mean `soft`?"), "{unknown}");
    let Err(ill_typed) = load(POLICY, "action.soft = 1;\n") else {
        panic!("an ill-typed action property loaded")
    };
    assert!(ill_typed.contains("E0401"), "{ill_typed}");
}

fn errors(policy: &str) -> Vec<String> {
    let mut sources = SourceMap::new();
    sources.add("p.pol", policy);
    polc::compile_sources(sources)
        .diagnostics
        .iter()
        .map(|d| format!("{} {}", d.code.as_str(), d.message))
        .collect()
}

#[test]
fn conditions_on_action_properties_are_type_checked() {
    let base = "actor user;\naction { soft?: bool; weight: int; }\nresource doc {\n  permissions view;\n  role r { grants view; }\n  permit view when ";
    let cases = [
        ("action.sfot;", "E0407"),
        ("action has sfot;", "E0407"),
        ("action.soft;", "E0402"),
        ("action.weight == \"x\";", "E0401"),
        ("action.weight;", "E0401"),
        ("action == 1;", "E0401"),
    ];
    for (cond, code) in cases {
        let got = errors(&format!("{base}{cond}\n}}\n"));
        assert!(
            got.iter().any(|g| g.starts_with(code)),
            "`{cond}`: expected {code}, got {got:?}"
        );
    }
    for cond in [
        "action has soft && action.soft;",
        "action.weight > 2 || !(action has soft);",
    ] {
        assert_eq!(
            errors(&format!("{base}{cond}\n}}\n")),
            Vec::<String>::new(),
            "`{cond}`"
        );
    }
    // Several blocks merge; a property declared twice is a duplicate.
    let twice = errors("actor user;\naction { soft: bool; }\naction { soft: bool; }\n");
    assert!(
        twice
            .iter()
            .any(|g| g.starts_with("E0206 action property `soft` is declared twice")),
        "{twice:?}"
    );
    assert_eq!(
        errors("actor user;\naction { soft: bool; }\naction { hard: bool; }\n"),
        Vec::<String>::new()
    );
}

/// `polc eval` lines carry action properties in the AuthZEN shape, on top of those the facts set;
/// a misspelt one is `E0406` with the nearest name.
#[test]
fn eval_lines_carry_action_properties() {
    let l = load(POLICY, &format!("{FACTS}action.reason = \"default\";\n")).unwrap();
    let mut lines = request::RequestLines::new(eval::Context::from_facts(&l.policy, &l.facts));
    let mut decide = |line: &str| {
        let (req, _) = lines.read(&l.policy, &l.facts, FileId(3), line)?;
        let fast = eval::decide(&l.policy, &l.facts, req).allowed;
        let quick = eval::decide_with(&l.policy, &l.facts, req, false).allowed;
        let slow = polc::eval::reference::decide(&l.policy, &l.facts, req);
        assert_eq!((fast, quick), (slow, slow), "{line}");
        Ok::<bool, polc::diag::Diagnostic>(fast)
    };
    let line = |action: Value| {
        json!({"principal": "user:alice", "action": action, "resource": "record:r1"}).to_string()
    };
    assert!(!decide(&line(json!("delete"))).unwrap());
    assert!(
        decide(&line(
            json!({"name": "delete", "properties": {"soft": true}})
        ))
        .unwrap()
    );
    assert!(
        !decide(&line(
            json!({"name": "delete", "properties": {"soft": false}})
        ))
        .unwrap()
    );
    // One line's properties do not carry over to the next.
    assert!(!decide(&line(json!({"name": "delete"}))).unwrap());
    // The facts' `reason` is the default; a line overrides it.
    assert!(decide(&line(json!("read"))).unwrap());
    assert!(!decide(&line(json!({"name": "read", "properties": {"reason": ""}}))).unwrap());
    assert!(decide(&line(json!({"name": "move", "properties": {"weight": 2}}))).unwrap());
    assert!(!decide(&line(json!({"name": "move", "properties": {"weight": 3}}))).unwrap());

    let misspelt = decide(&line(
        json!({"name": "delete", "properties": {"sfot": true}}),
    ))
    .unwrap_err();
    assert_eq!(misspelt.code.as_str(), "E0406");
    assert_eq!(misspelt.help.as_deref(), Some("did you mean `soft`?"));
    let ill_typed = decide(&line(
        json!({"name": "delete", "properties": {"soft": "yes"}}),
    ))
    .unwrap_err();
    assert_eq!(ill_typed.code.as_str(), "E0401", "{ill_typed:?}");
    assert!(
        ill_typed.message.contains("action.properties.soft"),
        "{ill_typed:?}"
    );
    let not_object = decide(&line(json!({"name": "delete", "properties": [true]}))).unwrap_err();
    assert_eq!(not_object.code.as_str(), "E0501", "{not_object:?}");
}

/// The server's reading: an undeclared property is skipped, a declared one is typed.
#[test]
fn the_server_ignores_undeclared_action_properties() {
    use polc::eval::request::UnknownProperty;
    let l = load(POLICY, FACTS).unwrap();
    let mut req =
        request::Request::new(&l.policy, &l.facts, "user:alice", "delete", "record:r1").unwrap();
    req.context
        .apply_action_json(
            &l.policy,
            &l.facts,
            &json!({"name": "delete", "properties": {"method": "DELETE", "soft": true}}),
            UnknownProperty::Ignore,
            polc::source::Span::default(),
        )
        .unwrap();
    assert!(eval::decide(&l.policy, &l.facts, &req).allowed);
    assert!(polc::eval::reference::decide(&l.policy, &l.facts, &req));
    let bad = req.context.apply_action_json(
        &l.policy,
        &l.facts,
        &json!({"name": "delete", "properties": {"soft": 1}}),
        UnknownProperty::Ignore,
        polc::source::Span::default(),
    );
    assert_eq!(bad.unwrap_err().code.as_str(), "E0401");
}

#[test]
fn the_artifact_keeps_action_properties_and_checks_them_on_load() {
    let l = load(POLICY, FACTS).unwrap();
    let text = l.policy.to_json();
    let back = Policy::from_json(&text).unwrap();
    assert_eq!(back.action.len(), 3);
    let facts_text = format!("{FACTS}action.soft = true;\naction.reason = \"x\";\n");
    let again = Loaded {
        policy: back,
        facts: load(POLICY, &facts_text).unwrap().facts,
    };
    let original = load(POLICY, &facts_text).unwrap();
    for a in ["read", "delete", "move"] {
        assert_eq!(can(&original, a), can(&again, a), "{a}");
    }

    // A rehashed artifact whose property type no longer fits the conditions is refused by the
    // load-time type check.
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v["policy"]["action"][0]["ty"] = json!("Int");
    let payload = serde_json::to_string(&v["policy"]).unwrap();
    use sha2::Digest;
    let hex: String = sha2::Sha256::digest(payload.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    v["sha256"] = json!(hex);
    let err = Policy::from_json(&v.to_string()).unwrap_err();
    assert_eq!(err.code(), polc::diag::Code::E0016, "{err}");
    assert!(err.to_string().contains("does not type-check"), "{err}");
    // Two properties of one name are refused too.
    v["policy"]["action"][1]["name"] = json!("soft");
    v["policy"]["action"][0]["ty"] = json!("Bool");
    let payload = serde_json::to_string(&v["policy"]).unwrap();
    let hex: String = sha2::Sha256::digest(payload.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    v["sha256"] = json!(hex);
    let err = Policy::from_json(&v.to_string()).unwrap_err().to_string();
    assert!(err.contains("action properties"), "{err}");

    // A policy without action properties writes no `action` member: its artifact is unchanged.
    let plain = load("actor user;\nresource doc { permissions view; }\n", "").unwrap();
    let v: Value = serde_json::from_str(&plain.policy.to_json()).unwrap();
    assert!(v["policy"].get("action").is_none(), "{v}");
}

#[test]
fn the_repl_sets_and_lists_action_properties() {
    let dir = std::env::temp_dir().join(format!("polc-action-repl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("p.pol");
    std::fs::write(&path, POLICY).unwrap();
    let mut s = polc::repl::Session::start(
        std::slice::from_ref(&path),
        None,
        polc::diag::render::HumanStyle::plain(),
    )
    .unwrap();
    let mut run = |line: &str| s.run(line).text;
    run("user:alice is editor on record:r1; record:r1.status = \"active\";");
    assert!(run("can user:alice delete record:r1").starts_with("deny"));
    assert_eq!(run("action.soft = true;"), "added 1 fact\n");
    assert!(run("can user:alice delete record:r1").starts_with("allow"));
    assert!(run(":facts").contains("action.soft = true;"));
    let out = run("action.sfot = true;");
    assert!(out.contains("E0407"), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}

// --- `with { ... }`: request data for one question ------------------------------------------

const WITH_POLICY: &str = r#"
actor user { attribute role?: string; }
context { mfa?: bool; }
action { soft?: bool; }
resource record {
  attribute status?: "active" | "archived";
  relation parent: record;
  permissions write, delete;
  role editor { grants write, delete; }
  forbid write when resource has status && resource.status == "archived"
    && !(principal has role && principal.role == "admin");
  permit write when principal has role && principal.role == "admin";
  forbid delete unless action has soft && action.soft;
  forbid delete when context has mfa && !context.mfa;
}

test "request data for one question" {
  user:alice is editor on record:r1;
  assert cannot user:alice delete record:r1;
  assert can user:alice delete record:r1 with { action.soft = true; };
  assert cannot user:alice delete record:r1 with { action.soft = true; context.mfa = false };
  assert cannot user:alice delete record:r1;
  assert cannot user:alice write record:r1 with { resource.status = "archived"; };
  assert can user:bob write record:r1 with { principal.role = "admin"; resource.status = "archived"; };
  assert cannot user:bob write record:r1;
  assert can user:alice write record:r1;
}

test "a question's data overrides the facts" {
  user:alice is editor on record:r1;
  record:r1.status = "archived";
  action.soft = true;
  assert cannot user:alice write record:r1;
  assert can user:alice write record:r1 with { resource.status = "active"; };
  assert can user:alice delete record:r1;
  assert cannot user:alice delete record:r1 with { action.soft = false; };
}
"#;

fn compile(text: &str) -> polc::Compilation {
    let mut sources = SourceMap::new();
    sources.add("p.pol", text);
    polc::compile_sources(sources)
}

#[test]
fn with_gives_one_question_its_request_data() {
    let comp = compile(WITH_POLICY);
    assert!(!comp.has_errors(), "{:#?}", comp.diagnostics);
    let policy = comp.policy.as_ref().unwrap();
    let report = polc::testing::run(policy, &comp.files, &comp.sources, None);
    for t in &report.tests {
        assert!(t.passed(), "{}: {:#?}", t.name, t.failures);
    }
    assert_eq!(report.tests.len(), 2);
    // And `fmt` writes `with` back in its canonical form, which reads back the same.
    let formatted = polc::tools::fmt::format_source(FileId(0), WITH_POLICY).unwrap();
    assert!(
        formatted.contains(
            "assert cannot user:alice delete record:r1 with { action.soft = true; context.mfa = false; };"
        ),
        "{formatted}"
    );
    assert_eq!(
        polc::tools::fmt::format_source(FileId(0), &formatted).unwrap(),
        formatted
    );
}

#[test]
fn with_data_is_checked_against_the_declarations() {
    let base = WITH_POLICY.split("test \"").next().unwrap().to_string();
    let cases = [
        ("action.sfot = true;", "E0407"),
        ("context.mfaa = true;", "E0209"),
        ("principal.rol = \"admin\";", "E0205"),
        ("resource.parent = record:r2;", "E0205"),
        ("resource.status = \"gone\";", "E0401"),
        ("action.soft = 1;", "E0401"),
    ];
    for (data, code) in cases {
        let text = format!(
            "{base}test \"t\" {{\n  assert can user:alice delete record:r1 with {{ {data} }};\n}}\n"
        );
        let got: Vec<String> = compile(&text)
            .diagnostics
            .iter()
            .map(|d| format!("{} {}", d.code.as_str(), d.message))
            .collect();
        assert!(
            got.iter().any(|g| g.starts_with(code)),
            "`{data}`: expected {code}, got {got:?}"
        );
    }
}

#[test]
fn the_repl_asks_a_question_with_request_data() {
    let dir = std::env::temp_dir().join(format!("polc-with-repl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("p.pol");
    std::fs::write(&path, WITH_POLICY).unwrap();
    let mut s = polc::repl::Session::start(
        std::slice::from_ref(&path),
        None,
        polc::diag::render::HumanStyle::plain(),
    )
    .unwrap();
    let mut run = |line: &str| s.run(line).text;
    run("user:alice is editor on record:r1;");
    assert!(
        run("can user:alice delete record:r1 with { action.soft = true }").starts_with("allow")
    );
    assert!(run("can user:alice delete record:r1").starts_with("deny"));
    let out = run("can user:alice delete record:r1 with { action.sfot = true }");
    assert!(out.contains("E0407"), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn completion_inside_with_offers_the_request_data() {
    use polc::repl::complete::{Completion, Vocabulary, complete};
    let l = load(
        WITH_POLICY.split("test \"").next().unwrap(),
        "user:alice is editor on record:r1;\n",
    )
    .unwrap();
    let v = Vocabulary::new(&l.policy, &l.facts, &[]);
    let words = |line: &str| match complete(&v, line, line.len()) {
        Completion::Words { words, .. } => words,
        other => panic!("{other:?}"),
    };
    assert_eq!(words("can user:alice delete record:r1 "), ["with"]);
    let q = "can user:alice delete record:r1 with { ";
    assert_eq!(words(q), ["action.", "context.", "principal.", "resource."]);
    assert_eq!(words(&format!("{q}principal.")), ["role"]);
    assert_eq!(words(&format!("{q}resource.st")), ["status"]);
    assert_eq!(words(&format!("{q}action.soft = true; action.")), ["soft"]);
    assert_eq!(
        words(&format!("{q}action.soft = true; ")),
        ["action.", "context.", "principal.", "resource."]
    );
    assert_eq!(words("action."), ["soft"]);
}

#[test]
fn json_facts_set_action_properties() {
    let l = load(POLICY, "").unwrap();
    let mut sources = SourceMap::new();
    let facts = polc::facts::Facts::from_json_str(
        &l.policy,
        &mut sources,
        "data.json",
        r#"{"assignments": [{"actor": "user:alice", "role": "editor", "on": "record:r1"}],
            "action": {"soft": true, "reason": "audit"}}"#,
    )
    .unwrap();
    let with = Loaded {
        policy: l.policy.clone(),
        facts,
    };
    assert!(can(&with, "delete"));
    assert!(can(&with, "read"));
    let mut sources = SourceMap::new();
    let bad = polc::facts::Facts::from_json_str(
        &l.policy,
        &mut sources,
        "data.json",
        r#"{"action": {"sfot": true}}"#,
    )
    .unwrap_err();
    assert_eq!(bad[0].code.as_str(), "E0407", "{bad:?}");
}

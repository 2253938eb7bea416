#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The parse stage: fixtures, precedence, facts, queries, assertions, diagnostics, limits.

use polc::diag::{Code, Diagnostic};
use polc::source::FileId;
use polc::syntax::ast::*;
use polc::syntax::{parse_assertion, parse_facts, parse_file, parse_query};

const F: FileId = FileId(0);

fn parse_ok(text: &str) -> File {
    let (file, diags) = parse_file(F, text);
    assert!(
        diags.is_empty(),
        "unexpected diagnostics for {text:?}: {diags:#?}"
    );
    file
}

fn parse_err(text: &str) -> (File, Vec<Diagnostic>) {
    let (file, diags) = parse_file(F, text);
    assert!(!diags.is_empty(), "expected a diagnostic for {text:?}");
    (file, diags)
}

#[test]
fn every_ok_fixture_parses_without_diagnostics() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ok");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "pol") {
            let text = std::fs::read_to_string(&path).unwrap();
            let (file, diags) = parse_file(F, &text);
            assert!(diags.is_empty(), "{}: {diags:#?}", path.display());
            assert!(!file.items.is_empty(), "{}: no items", path.display());
            count += 1;
        }
    }
    assert!(count >= 3, "fixtures missing: found {count}");
}

/// The condition of the single rule of `resource r { ... RULE }`.
fn condition(rule: &str) -> Expr {
    let file = parse_ok(&format!("resource r {{ {rule} }}"));
    let Item::Resource(res) = &file.items[0] else {
        panic!("not a resource")
    };
    let Member::Rule(rule) = &res.members[0] else {
        panic!("not a rule")
    };
    rule.condition.clone().expect("a condition").expr
}

/// A compact rendering of an expression, with explicit grouping.
fn show(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Var(v) => format!("{v:?}").to_lowercase(),
        ExprKind::Access(e, n) => format!("{}.{}", show(e), n.name),
        ExprKind::Literal(Literal::Bool(b)) => b.to_string(),
        ExprKind::Literal(Literal::Int(i)) => i.to_string(),
        ExprKind::Literal(Literal::Str(s)) => format!("{s:?}"),
        ExprKind::Literal(Literal::Entity(r)) => format!("{}:{}", r.ty.name, r.id.value),
        ExprKind::Literal(Literal::Duration(d)) => format!("{}s", d.micros / 1_000_000),
        ExprKind::List(items) => format!(
            "[{}]",
            items.iter().map(show).collect::<Vec<_>>().join(", ")
        ),
        ExprKind::Not(e) => format!("(!{})", show(e)),
        ExprKind::Neg(e) => format!("(-{})", show(e)),
        ExprKind::Binary(op, l, r) => format!("({} {} {})", show(l), op.symbol(), show(r)),
        ExprKind::Has(e, n) => format!("({} has {})", show(e), n.name),
        ExprKind::Is {
            subject,
            role,
            target,
        } => format!("({} is {} on {})", show(subject), role.name, show(target)),
        ExprKind::Paren(e) => format!("paren{}", show(e)),
        ExprKind::Record(fs) => format!(
            "{{{}}}",
            fs.iter()
                .map(|(n, e)| format!("{}: {}", n.name, show(e)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        ExprKind::Call {
            receiver,
            method,
            args,
        } => format!(
            "{}.{}({})",
            show(receiver),
            method.name,
            args.iter().map(show).collect::<Vec<_>>().join(", ")
        ),
        ExprKind::IsType { subject, ty } => format!("({} is {})", show(subject), ty.name),
    }
}

#[test]
fn precedence() {
    let cases = [
        ("!resource.a == true", "((!resource.a) == true)"),
        (
            "resource.a || resource.b && resource.c",
            "(resource.a || (resource.b && resource.c))",
        ),
        (
            "resource.a && resource.b || resource.c",
            "((resource.a && resource.b) || resource.c)",
        ),
        ("!resource has run_notes", "(!(resource has run_notes))"),
        (
            "principal is requester on resource.workspace",
            "(principal is requester on resource.workspace)",
        ),
        (
            "!principal is owner on resource",
            "(!(principal is owner on resource))",
        ),
        (
            "resource.impact in [\"a\", \"b\"] && -3 < resource.n",
            "((resource.impact in [\"a\", \"b\"]) && ((-3) < resource.n))",
        ),
        ("!!context.mfa", "(!(!context.mfa))"),
        (
            "context.now - context.start + 1d12h > -5h",
            "(((context.now - context.start) + 129600s) > (-18000s))",
        ),
        (
            "principal is user && resource.tags.containsAll([\"a\"])",
            "((principal is user) && resource.tags.containsAll([\"a\"]))",
        ),
        (
            "principal.set.contains({a: resource.x, b: 1}) == !context.mfa",
            "(principal.set.contains({a: resource.x, b: 1}) == (!context.mfa))",
        ),
        (
            "context.now.timeOfDay(-5h) >= 22h",
            "(context.now.timeOfDay((-18000s)) >= 79200s)",
        ),
        (
            "(resource.a || resource.b) && resource.c",
            "(paren(resource.a || resource.b) && resource.c)",
        ),
        (
            "resource.owner == user:alice || resource.ttl >= 90d",
            "((resource.owner == user:alice) || (resource.ttl >= 7776000s))",
        ),
        (
            "resource.workspace.organization.name != \"x\"",
            "(resource.workspace.organization.name != \"x\")",
        ),
    ];
    for (src, want) in cases {
        assert_eq!(
            show(&condition(&format!("permit view when {src};"))),
            want,
            "{src}"
        );
    }
}

#[test]
fn comparisons_do_not_chain() {
    let (_, diags) =
        parse_err("resource r { permit view when resource.a == resource.b == resource.c; }");
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].code, Code::E0101);
    assert!(
        diags[0].message.contains("found `==`"),
        "{}",
        diags[0].message
    );
    assert!(
        diags[0]
            .help
            .as_deref()
            .unwrap_or("")
            .contains("do not chain"),
        "{:?}",
        diags[0].help
    );
}

#[test]
fn single_equals_in_a_condition_suggests_double() {
    let (_, diags) = parse_err("resource r { forbid view when resource.a = 1; }");
    assert!(
        diags[0].message.ends_with("found `=`"),
        "{}",
        diags[0].message
    );
    assert_eq!(diags[0].help.as_deref(), Some("use `==` to compare values"));
}

#[test]
fn roles_patterns_and_dotted_permissions() {
    let file = parse_ok(
        "resource r {
           permissions view, users.view, users.edit.all;
           role admin {
             includes a, b;
             grants users.*, *.view, *, view;
             from admin on organization;
             default from member on workspace.organization;
             sealed;
             elevated review 90d;
             min 1;
             max 3;
           }
           role a; role b { elevated; }
           separate a, b;
           permit users.*, *.view when true;
           forbid *;
         }",
    );
    let Item::Resource(res) = &file.items[0] else {
        panic!()
    };
    let Member::Permissions(p) = &res.members[0] else {
        panic!()
    };
    let names: Vec<&str> = p.names.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["view", "users.view", "users.edit.all"]);
    let Member::Role(admin) = &res.members[1] else {
        panic!()
    };
    let RoleItem::Grants { patterns, .. } = &admin.items[1] else {
        panic!()
    };
    let pats: Vec<&str> = patterns.iter().map(|p| p.text.as_str()).collect();
    assert_eq!(pats, ["users.*", "*.view", "*", "view"]);
    assert!(patterns[0].is_pattern() && !patterns[3].is_pattern());
    let RoleItem::From(fixed) = &admin.items[2] else {
        panic!()
    };
    assert!(!fixed.default);
    let RoleItem::From(dflt) = &admin.items[3] else {
        panic!()
    };
    assert!(dflt.default);
    assert_eq!(
        dflt.path
            .iter()
            .map(|i| i.name.as_str())
            .collect::<Vec<_>>(),
        ["workspace", "organization"]
    );
    assert!(matches!(admin.items[4], RoleItem::Sealed { .. }));
    let RoleItem::Elevated {
        review: Some(d), ..
    } = &admin.items[5]
    else {
        panic!()
    };
    assert_eq!(
        (d.micros, d.text.as_str()),
        (90 * 86_400 * 1_000_000, "90d")
    );
    assert!(matches!(
        admin.items[6],
        RoleItem::Min(Count { value: 1, .. })
    ));
    assert!(matches!(
        admin.items[7],
        RoleItem::Max(Count { value: 3, .. })
    ));
    let Member::Separate(sep) = &res.members[4] else {
        panic!()
    };
    assert_eq!(sep.roles.len(), 2);
    let Member::Rule(permit) = &res.members[5] else {
        panic!()
    };
    assert_eq!(permit.effect, Effect::Permit);
    assert_eq!(
        permit
            .actions
            .iter()
            .map(|p| p.text.as_str())
            .collect::<Vec<_>>(),
        ["users.*", "*.view"]
    );
    let Member::Rule(forbid) = &res.members[6] else {
        panic!()
    };
    assert_eq!(
        (
            forbid.effect,
            forbid.actions[0].text.as_str(),
            forbid.condition.is_none()
        ),
        (Effect::Forbid, "*", true)
    );
}

#[test]
fn declarations_types_and_keywords_as_names() {
    let file = parse_ok(
        "actor user { attribute email?: string; relation teams: [team]; }
         extend resource roles {
           relation fromage: cheese;
           attribute level: \"low\" | \"high\";
           attribute tags: [string];
           permissions used, role;
           role role;
           forbid used unless resource has level;
         }
         context { now: time; ttl?: duration; }",
    );
    let Item::Actor(actor) = &file.items[0] else {
        panic!()
    };
    let Member::Attribute(email) = &actor.members[0] else {
        panic!()
    };
    assert!(email.optional);
    let Member::Relation(teams) = &actor.members[1] else {
        panic!()
    };
    assert!(teams.many && teams.target.name == "team");
    let Item::Resource(res) = &file.items[1] else {
        panic!()
    };
    assert!(res.extend && res.name.name == "roles");
    let Member::Attribute(level) = &res.members[1] else {
        panic!()
    };
    let TypeKind::Enum(values) = &level.ty.kind else {
        panic!()
    };
    assert_eq!(
        values.iter().map(|s| s.value.as_str()).collect::<Vec<_>>(),
        ["low", "high"]
    );
    let Member::Attribute(tags) = &res.members[2] else {
        panic!()
    };
    assert!(
        matches!(&tags.ty.kind, TypeKind::List(inner) if matches!(&inner.kind, TypeKind::Named(n) if n.name == "string"))
    );
    let Member::Rule(rule) = &res.members[5] else {
        panic!()
    };
    assert_eq!(rule.condition.as_ref().unwrap().kind, ConditionKind::Unless);
    let Item::Context(ctx) = &file.items[2] else {
        panic!()
    };
    assert_eq!(ctx.fields.len(), 2);
    assert!(!ctx.fields[0].optional && ctx.fields[1].optional);
}

#[test]
fn doc_comments_attach_to_the_next_declaration() {
    let file = parse_ok(
        "/// The user.
         ///   Indented second line.
         actor user;
         resource run {
           /// High-impact runs cannot skip approval.
           forbid execute when true;
           // a plain comment
           permit view;
           /// Field doc.
           role r;
         }
         /// Orphan at the end",
    );
    let Item::Actor(user) = &file.items[0] else {
        panic!()
    };
    assert_eq!(
        user.doc.as_deref(),
        Some("The user.\n  Indented second line.")
    );
    let Item::Resource(run) = &file.items[1] else {
        panic!()
    };
    assert!(run.doc.is_none());
    let Member::Rule(forbid) = &run.members[0] else {
        panic!()
    };
    assert_eq!(
        forbid.doc.as_deref(),
        Some("High-impact runs cannot skip approval.")
    );
    let Member::Rule(permit) = &run.members[1] else {
        panic!()
    };
    assert!(permit.doc.is_none(), "a plain comment is not a doc comment");
    let Member::Role(role) = &run.members[2] else {
        panic!()
    };
    assert_eq!(role.doc.as_deref(), Some("Field doc."));
    let texts: Vec<&str> = file.comments.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(texts, ["// a plain comment", "/// Orphan at the end"]);
}

#[test]
fn comments_are_collected_with_spans() {
    let text = "actor user; // trailing\n/* block\n comment */ actor bot;";
    let file = parse_ok(text);
    assert_eq!(file.comments.len(), 2);
    let c = &file.comments[1];
    assert_eq!(
        &text[c.span.start as usize..c.span.end as usize],
        "/* block\n comment */"
    );
}

#[test]
fn facts_usersets_wildcards_quoted_ids_until_and_values() {
    let file = parse_ok(
        r#"user:alice is admin on organization:acme;
           team:core#member is admin on repository:"acme/api";
           user:* is viewer on document:handbook;
           user:"Jane Doe" is member on workspace:"ML platform" until "2026-12-31T00:00:00Z";
           workspace:ml-1.tags = [1, -2, true, "x", 90d, organization:acme];
           context.now = "2026-11-23T10:00:00Z";
           user:bob is member on team:a;"#,
    );
    assert_eq!(file.items.len(), 7);
    let Item::Fact(Fact::Assign {
        subject: Subject::Entity(alice),
        role,
        ..
    }) = &file.items[0]
    else {
        panic!()
    };
    assert_eq!(
        (
            alice.ty.name.as_str(),
            alice.id.value.as_str(),
            role.name.as_str()
        ),
        ("user", "alice", "admin")
    );
    let Item::Fact(Fact::Assign {
        subject: Subject::Userset { entity, role, .. },
        on,
        ..
    }) = &file.items[1]
    else {
        panic!()
    };
    assert_eq!(
        (
            entity.id.value.as_str(),
            role.name.as_str(),
            on.id.value.as_str()
        ),
        ("core", "member", "acme/api")
    );
    let Item::Fact(Fact::Assign {
        subject: Subject::Wildcard { ty, .. },
        ..
    }) = &file.items[2]
    else {
        panic!()
    };
    assert_eq!(ty.name, "user");
    let Item::Fact(Fact::Assign {
        subject, on, until, ..
    }) = &file.items[3]
    else {
        panic!()
    };
    assert_eq!(subject.span().start, file.items[3].clone().fact_start());
    assert_eq!(on.id.value, "ML platform");
    assert_eq!(until.as_ref().unwrap().value, "2026-12-31T00:00:00Z");
    let Item::Fact(Fact::Set {
        target: SetTarget::Field { entity, name },
        value: Value::List(values, _),
        ..
    }) = &file.items[4]
    else {
        panic!()
    };
    assert_eq!(
        (entity.id.value.as_str(), name.name.as_str()),
        ("ml-1", "tags")
    );
    assert!(matches!(values[0], Value::Int(1, _)));
    assert!(matches!(values[1], Value::Int(-2, _)));
    assert!(matches!(values[2], Value::Bool(true, _)));
    assert!(matches!(&values[3], Value::Str(s) if s.value == "x"));
    assert!(matches!(&values[4], Value::Duration(d) if d.micros == 90 * 86_400 * 1_000_000));
    assert!(matches!(&values[5], Value::Entity(e) if e.ty.name == "organization"));
    let Item::Fact(Fact::Set {
        target: SetTarget::Context(name),
        ..
    }) = &file.items[5]
    else {
        panic!()
    };
    assert_eq!(name.name, "now");
}

trait FactStart {
    fn fact_start(self) -> u32;
}

impl FactStart for Item {
    fn fact_start(self) -> u32 {
        match self {
            Item::Fact(f) => f.span().start,
            _ => panic!("not a fact"),
        }
    }
}

#[test]
fn string_escapes() {
    let facts = parse_facts(F, r#"run:r1.note = "a \"b\" \\ \n \u{e9}""#).unwrap();
    let Fact::Set {
        value: Value::Str(s),
        ..
    } = &facts[0]
    else {
        panic!()
    };
    assert_eq!(s.value, "a \"b\" \\ \n é");
    let errs = parse_facts(F, r#"run:r1.note = "bad \q";"#).unwrap_err();
    assert_eq!(errs[0].code, Code::E0102);
    assert!(errs[0].message.contains("`\\q`"), "{}", errs[0].message);
}

#[test]
fn invalid_literals_are_e0102() {
    let errs = parse_facts(F, "run:r1.n = 99999999999999999999;").unwrap_err();
    assert_eq!(errs[0].code, Code::E0102);
    let errs = parse_facts(F, "run:r1.d = 90x;").unwrap_err();
    assert_eq!(errs[0].code, Code::E0102);
    assert!(
        errs[0].message.contains("unknown unit `x`"),
        "{}",
        errs[0].message
    );
    let errs = parse_facts(F, "run:r1.d = 999999999999999999d;").unwrap_err();
    assert_eq!(errs[0].code, Code::E0102);
    let (_, diags) = parse_err("resource r { role a { min 99999999999; } }");
    assert_eq!(diags[0].code, Code::E0102);
}

#[test]
fn parse_facts_for_the_repl() {
    let facts = parse_facts(F, "user:a is x on y:b; y:b.n = 3").unwrap();
    assert_eq!(facts.len(), 2);
    assert!(parse_facts(F, "").unwrap().is_empty());
    let errs = parse_facts(F, "user:a is x on; y:b.n = 3; user:c is on y:b;").unwrap_err();
    assert_eq!(errs.len(), 2, "{errs:#?}");
}

#[test]
fn the_six_queries() {
    let q = |s: &str| parse_query(F, s).unwrap_or_else(|d| panic!("{s}: {d:?}"));
    assert!(
        matches!(q("can user:alice delete workspace:ml"), Query::Can { action, .. } if action.name == "delete")
    );
    assert!(
        matches!(q("can user:alice users.view workspace:ml;"), Query::Can { action, .. } if action.name == "users.view")
    );
    assert!(
        matches!(q("is user:alice owner on workspace:ml"), Query::Is { role, .. } if role.name == "owner")
    );
    assert!(
        matches!(q("who can delete workspace:ml"), Query::WhoCan { resource, .. } if resource.id.value == "ml")
    );
    assert!(
        matches!(q("who is owner on workspace:ml"), Query::WhoIs { role, .. } if role.name == "owner")
    );
    assert!(
        matches!(q("what can user:alice do on workspace:ml"), Query::WhatCan { principal, .. } if principal.id.value == "alice")
    );
    assert!(
        matches!(q("which workspace can user:alice delete"), Query::Which { ty, action, .. } if ty.name == "workspace" && action.name == "delete")
    );
    let err = parse_query(F, "can user:alice").unwrap_err();
    assert_eq!(err.code, Code::E0101);
    assert!(
        err.message.ends_with("found end of file"),
        "{}",
        err.message
    );
}

#[test]
fn assertion_forms() {
    let a = |s: &str| parse_assertion(F, s).unwrap_or_else(|d| panic!("{s}: {d:?}"));
    assert!(matches!(
        a("assert can user:a view w:x;"),
        Assertion::Holds {
            query: Query::Can { .. },
            expect: true,
            ..
        }
    ));
    assert!(matches!(
        a("cannot user:a view w:x"),
        Assertion::Holds {
            query: Query::Can { .. },
            expect: false,
            ..
        }
    ));
    assert!(matches!(
        a("assert user:a is owner on w:x"),
        Assertion::Holds {
            query: Query::Is { .. },
            expect: true,
            ..
        }
    ));
    assert!(matches!(
        a("user:a is not owner on w:x;"),
        Assertion::Holds {
            query: Query::Is { .. },
            expect: false,
            ..
        }
    ));
    assert!(matches!(
        a("is user:a owner on w:x"),
        Assertion::Holds {
            query: Query::Is { .. },
            expect: true,
            ..
        }
    ));
    let Assertion::Equals {
        query: Query::WhoCan { .. },
        expected,
        ..
    } = a("who can view w:x == [user:alice, user:*]")
    else {
        panic!()
    };
    assert!(matches!(&expected[0], Expected::Entity(e) if e.id.value == "alice"));
    assert!(matches!(&expected[1], Expected::Wildcard { ty, .. } if ty.name == "user"));
    assert!(
        matches!(a("who is owner on w:x == []"), Assertion::Equals { query: Query::WhoIs { .. }, expected, .. } if expected.is_empty())
    );
    let Assertion::Equals {
        query: Query::WhatCan { .. },
        expected,
        ..
    } = a("what can user:a do on w:x == [view, users.edit]")
    else {
        panic!()
    };
    assert!(matches!(&expected[1], Expected::Permission(p) if p.name == "users.edit"));
    assert!(matches!(
        a("which w can user:a view == [w:x]"),
        Assertion::Equals {
            query: Query::Which { .. },
            ..
        }
    ));
}

#[test]
fn test_blocks() {
    let file = parse_ok(
        "test \"t\" {
           use acme;
           user:a is x on y:b;
           context.mfa = true;
           assert can user:a view y:b;
         }",
    );
    let Item::Test(t) = &file.items[0] else {
        panic!()
    };
    assert_eq!(t.name.value, "t");
    assert!(matches!(&t.steps[0], TestStep::Use(n) if n.name == "acme"));
    assert!(matches!(&t.steps[1], TestStep::Fact(Fact::Assign { .. })));
    assert!(matches!(
        &t.steps[2],
        TestStep::Fact(Fact::Set {
            target: SetTarget::Context(_),
            ..
        })
    ));
    assert!(matches!(&t.steps[3], TestStep::Assert(_)));
}

#[test]
fn spans_are_byte_offsets() {
    let text = "actor user;\nresource run { role requester; }";
    let file = parse_ok(text);
    let Item::Resource(run) = &file.items[1] else {
        panic!()
    };
    assert_eq!(
        &text[run.name.span.start as usize..run.name.span.end as usize],
        "run"
    );
    assert_eq!(run.span.start, 12);
    assert_eq!(run.span.end as usize, text.len());
}

#[test]
fn recovery_reports_each_broken_item_and_keeps_the_good_ones() {
    let text = "actor user;
resource a {
  role x { grants view }
}
resource b {
  permissions view;
}
resource c {
  permissions view
  role y;
}
actor bot;
";
    let (file, diags) = parse_err(text);
    assert_eq!(diags.len(), 2, "{diags:#?}");
    let names: Vec<String> = file
        .items
        .iter()
        .map(|i| match i {
            Item::Actor(a) => a.name.name.clone(),
            Item::Resource(r) => r.name.name.clone(),
            _ => String::new(),
        })
        .collect();
    assert_eq!(names, ["user", "b", "bot"]);
    for d in &diags {
        assert_eq!(d.code, Code::E0101);
        assert!(
            d.message.contains("expected") && d.message.contains("`;`"),
            "{}",
            d.message
        );
    }
    assert!(
        diags[0].message.ends_with("found `}`"),
        "{}",
        diags[0].message
    );
    // A `;` missing at the end of a line is reported there, not on the next line.
    assert_eq!(
        diags[1].help.as_deref(),
        Some("add `;` at the end of the statement")
    );
    let at = diags[1].span().unwrap().start as usize;
    assert_eq!(
        &text[..at].lines().last().unwrap().trim(),
        &"permissions view"
    );
}

#[test]
fn unclosed_brace_recovers_at_the_next_declaration() {
    let text = "resource a {\n  role x;\n\nresource b { role y; }\n";
    let (file, diags) = parse_err(text);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert!(
        diags[0].message.ends_with("found `resource`"),
        "{}",
        diags[0].message
    );
    assert_eq!(diags[0].help.as_deref(), Some("add `}` to close the block"));
    assert_eq!(diags[0].labels.iter().filter(|l| !l.primary).count(), 1);
    assert_eq!(file.items.len(), 1);
}

#[test]
fn expected_lists_use_words_not_rule_names() {
    let (_, diags) = parse_err("resource r { role admin { grant view; } }");
    let msg = &diags[0].message;
    assert!(msg.starts_with("expected "), "{msg}");
    assert!(
        msg.contains("a role item such as `grants` or `includes`"),
        "{msg}"
    );
    assert!(
        msg.contains("`}`") && msg.ends_with("found `grant`"),
        "{msg}"
    );
    assert!(!msg.contains('_'), "raw rule name in {msg}");
    assert_eq!(diags[0].help.as_deref(), Some("did you mean `grants`?"));

    let (_, diags) = parse_err("resource r { rol admin; }");
    assert_eq!(diags[0].help.as_deref(), Some("did you mean `role`?"));
    let (_, diags) = parse_err("resourse r { role admin; }");
    assert_eq!(diags[0].help.as_deref(), Some("did you mean `resource`?"));

    let (_, diags) = parse_err("resource r { relation org organization; }");
    assert_eq!(diags[0].message, "expected `:`, found `organization`");
    let (_, diags) = parse_err("resource r {");
    assert!(
        diags[0].message.ends_with("found end of file"),
        "{}",
        diags[0].message
    );
    assert!(diags[0].message.contains("`}`"), "{}", diags[0].message);
}

#[test]
fn deep_nesting_is_a_limit_not_a_crash() {
    let deep = format!(
        "resource r {{ permit view when {}true{}; }}",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    let (file, diags) = parse_file(F, &deep);
    assert!(file.items.is_empty());
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].code, Code::E0003);
    assert!(diags[0].message.contains("64"), "{}", diags[0].message);
    assert_eq!(
        parse_query(F, &"[".repeat(10_000)).unwrap_err().code,
        Code::E0003
    );
    assert_eq!(
        parse_facts(F, &format!("a:b.c = {}", "[".repeat(100))).unwrap_err()[0].code,
        Code::E0003
    );
    // Just under the limit parses.
    let ok = format!(
        "resource r {{ permit view when {}true{}; }}",
        "(".repeat(60),
        ")".repeat(60)
    );
    parse_ok(&ok);
}

#[test]
fn long_chains_are_limited_not_overflowing() {
    let chain = vec!["resource.a"; 200].join(" && ");
    parse_ok(&format!("resource r {{ permit view when {chain}; }}"));
    let chain = vec!["resource.a"; 20_000].join(" && ");
    let nots = "!".repeat(20_000);
    let text = format!(
        "actor user;\nresource r {{ permit view when {chain}; }}\nresource s {{ forbid view when {nots}true; }}"
    );
    let (file, diags) = parse_file(F, &text);
    assert_eq!(diags.len(), 2, "{diags:#?}");
    assert!(
        diags
            .iter()
            .all(|d| d.code == Code::E0003 && d.message.contains("256"))
    );
    assert_eq!(file.items.len(), 1);
}

#[test]
fn garbage_never_panics() {
    for text in [
        "\"",
        "/*",
        "}}}}",
        "actor",
        "test \"x\" { assert",
        "a:b.c = \"\\",
        "\u{0}",
        "é:é",
        "context.",
        "user:alice is",
    ] {
        let _ = parse_file(F, text);
        let _ = parse_facts(F, text);
        let _ = parse_query(F, text);
        let _ = parse_assertion(F, text);
    }
}

#[test]
fn permissions_with_assigns() {
    let f = parse_ok(
        "resource w { permissions view, manage assigns owner, operator; permissions edit; }",
    );
    let Item::Resource(r) = &f.items[0] else {
        panic!("not a resource")
    };
    let decls: Vec<&PermissionsDecl> = r
        .members
        .iter()
        .filter_map(|m| match m {
            Member::Permissions(p) => Some(p),
            _ => None,
        })
        .collect();
    let names = |v: &[Ident]| v.iter().map(|i| i.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&decls[0].names), ["view", "manage"]);
    assert_eq!(names(&decls[0].assigns), ["owner", "operator"]);
    assert!(decls[1].assigns.is_empty());
    // `assigns` is contextual: still a permission name.
    let f = parse_ok("resource w { permissions assigns; }");
    let Item::Resource(r) = &f.items[0] else {
        panic!("not a resource")
    };
    let Member::Permissions(p) = &r.members[0] else {
        panic!("not permissions")
    };
    assert_eq!(names(&p.names), ["assigns"]);
}

#[test]
fn a_resource_without_members_may_end_with_a_semicolon() {
    // As `actor T;`: Cedar's member-less entity types (`entity Album;`) translate as such.
    let short = parse_ok("resource album;\n");
    let braces = parse_ok("resource album {}\n");
    let [Item::Resource(a)] = short.items.as_slice() else {
        panic!("{:?}", short.items)
    };
    let [Item::Resource(b)] = braces.items.as_slice() else {
        panic!("{:?}", braces.items)
    };
    assert!(a.members.is_empty() && !a.extend);
    assert_eq!(a.name.name, b.name.name);
    // An `extend` adds something: it keeps its block.
    let (_, diags) = parse_err("extend resource album;\n");
    assert_eq!(diags[0].code, Code::E0101);
    // fmt writes the short form, as for actors, and reads it back unchanged.
    let fmt = |t: &str| polc::tools::fmt::format_source(F, t).unwrap();
    assert_eq!(fmt("resource album {}\n"), "resource album;\n");
    assert_eq!(fmt("resource album;\n"), "resource album;\n");
    assert_eq!(
        fmt("extend resource album {}\n"),
        "extend resource album {}\n"
    );
}

//! The seed models held to their documents (issue 12): what a `test` block cannot state. That an
//! `extend` widening a sealed role is an error, that the Lazsa system roles are sealed the way
//! the document says, how the data checks count holders and check prerequisites, and that each
//! product's model stands alone. The decisions themselves are tested by the models' own `test`
//! blocks (`polc test policies/`, run by `tests/cli.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use polc::diag::{Code, Diagnostic};
use polc::source::SourceMap;
use polc::syntax::ast::{Item, Member, RoleItem};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap()
}

const LAZSA: &str = "policies/lazsa/lazsa.pol";
const DEEPLOY: &str = "policies/deeploy/deeploy.pol";
const LARADEP: &str = "policies/laradep/laradep.pol";

/// The Lazsa model with `extra` appended as a second file.
fn lazsa_with(extra: &str) -> polc::Compilation {
    let mut sources = SourceMap::new();
    sources.add(LAZSA, read(LAZSA));
    sources.add("extra.pol", extra);
    polc::compile_sources(sources)
}

fn errors(c: &polc::Compilation) -> Vec<&Diagnostic> {
    c.diagnostics.iter().filter(|d| d.is_error()).collect()
}

/// The file and line of every label of `d`.
fn places(c: &polc::Compilation, d: &Diagnostic) -> Vec<(String, usize)> {
    d.labels
        .iter()
        .map(|l| {
            (
                c.sources.name(l.span.file).to_string(),
                c.sources.line_col(l.span).line,
            )
        })
        .collect()
}

/// One error of `code`, with a label in the Lazsa model (the `sealed`) and one in `extra.pol`.
fn assert_one_widening(c: &polc::Compilation, code: Code) {
    let errs = errors(c);
    assert_eq!(errs.len(), 1, "{:#?}", c.diagnostics);
    assert_eq!(errs[0].code, code);
    let files: Vec<String> = places(c, errs[0]).into_iter().map(|p| p.0).collect();
    assert!(files.contains(&LAZSA.to_string()), "{files:?}");
    assert!(files.contains(&"extra.pol".to_string()), "{files:?}");
}

#[test]
fn the_lazsa_model_compiles_clean_alone() {
    let c = lazsa_with("");
    assert!(c.diagnostics.is_empty(), "{:#?}", c.diagnostics);
}

// 1(a): a new permission that a pattern of the sealed Product Owner matches.
#[test]
fn an_extend_cannot_widen_product_owner_through_its_patterns() {
    let c = lazsa_with("extend resource product { permissions product.archive; }");
    assert_one_widening(&c, Code::E0302);
    assert!(errors(&c)[0].message.contains("`product_owner`"));
    assert!(
        errors(&c)[0]
            .labels
            .iter()
            .any(|l| l.message.contains("product.archive"))
    );
    // `deploy.*` is in Developer too (sealed except tools.*): one error for each sealed role.
    let c = lazsa_with("extend resource product { permissions deploy.rollback; }");
    let errs = errors(&c);
    assert_eq!(errs.len(), 2, "{errs:#?}");
    assert!(errs.iter().all(|d| d.code == Code::E0302));
    // The same permission under a name no pattern of a sealed role matches is fine.
    let c = lazsa_with(
        "extend resource product { permissions rollback.run; role developer { grants tools.*; } }",
    );
    assert!(errors(&c).is_empty(), "{:#?}", c.diagnostics);
}

// 1(b): a permit that applies because the principal holds the sealed role.
#[test]
fn a_permit_keyed_on_product_owner_is_an_error_and_a_forbid_is_not() {
    let c = lazsa_with(
        "extend resource product { permit tools.jira.read when principal is product_owner on resource; }",
    );
    assert_one_widening(&c, Code::E0307);
    // Under `!` (or with `unless`) the rule does not apply because of the role: no widening.
    let c = lazsa_with(
        "extend resource product { permit tools.jira.read unless principal is product_owner on resource; }",
    );
    assert!(errors(&c).is_empty(), "{:#?}", c.diagnostics);
    // Narrowing stays allowed.
    let c = lazsa_with(
        "extend resource product { forbid product.delete when principal is product_owner on resource; }",
    );
    assert!(errors(&c).is_empty(), "{:#?}", c.diagnostics);
    // A permit within what the role already grants gives nothing new.
    let c = lazsa_with(
        "extend resource product { permit product.view when principal is product_owner on resource; }",
    );
    assert!(errors(&c).is_empty(), "{:#?}", c.diagnostics);
}

// 1(c): any role item added to a sealed role by an extend.
#[test]
fn an_extend_cannot_add_any_item_to_product_owner() {
    for item in [
        "grants tools.*;",
        "includes developer;",
        "max 3;",
        "min 2;",
        "elevated;",
        "from developer on parent;",
    ] {
        let extra = format!(
            "extend resource product {{ permissions tools.x.read; relation parent: product; role product_owner {{ {item} }} }}"
        );
        let c = lazsa_with(&extra);
        let errs = errors(&c);
        assert!(!errs.is_empty(), "{item}: no error");
        assert!(
            errs.iter().all(|d| d.code == Code::E0302),
            "{item}: {errs:#?}"
        );
        assert!(
            errs.iter().all(|d| d.labels.len() >= 2),
            "{item}: {errs:#?}"
        );
    }
}

// 1: a role the sealed role includes is widened through the include.
#[test]
fn an_extend_cannot_widen_a_sealed_role_through_a_role_it_includes() {
    let c = polc::compile_str(
        "p.pol",
        "actor user;
         resource doc {
           permissions view, edit;
           role viewer { grants view; }
           role auditor { includes viewer; sealed; }
         }
         extend resource doc { role viewer { grants edit; } }",
    );
    let errs = errors(&c);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(errs[0].code, Code::E0302);
    assert!(
        errs[0]
            .labels
            .iter()
            .any(|l| l.message.contains("through `viewer`"))
    );
}

// 2: `sealed except tools.*`: tool permissions yes, anything else no.
#[test]
fn system_roles_take_tools_and_nothing_else() {
    let c = lazsa_with(
        "extend resource product { permissions tools.confluence.read; role product_viewer { grants tools.confluence.*; } }",
    );
    assert!(errors(&c).is_empty(), "{:#?}", c.diagnostics);
    let c = lazsa_with("extend resource product { role scrum_master { grants product.delete; } }");
    assert_one_widening(&c, Code::E0302);
    let c = lazsa_with("extend resource platform { role executive { grants users.manage; } }");
    assert_one_widening(&c, Code::E0302);
    let c = lazsa_with("extend resource product { role developer { max 1; } }");
    assert_one_widening(&c, Code::E0302);
}

// 2: every system-defined role of the document is `sealed except tools.*`, Product Owner is
// sealed entirely, the custom roles are not sealed.
#[test]
fn every_lazsa_system_role_is_sealed_except_tools() {
    let text = read(LAZSA);
    let (file, diags) = polc::syntax::parse_file(polc::source::FileId(0), &text);
    assert!(diags.is_empty());
    let mut seen = Vec::new();
    for item in &file.items {
        let Item::Resource(r) = item else { continue };
        for m in &r.members {
            let Member::Role(role) = m else { continue };
            let except: Option<Vec<String>> = role.items.iter().find_map(|i| match i {
                RoleItem::Sealed { except, .. } => {
                    Some(except.iter().map(|p| p.text.clone()).collect())
                }
                _ => None,
            });
            let name = role.name.name.as_str();
            if r.extend {
                continue;
            }
            seen.push(name.to_string());
            match name {
                "product_owner" => assert_eq!(except, Some(Vec::new()), "{name}"),
                "member" => assert_eq!(except, None, "{name}"),
                _ => assert_eq!(except, Some(vec!["tools.*".to_string()]), "{name}"),
            }
        }
    }
    assert_eq!(seen.len(), 13, "{seen:?}"); // 7 platform, 5 product, team member
}

// 9: the five components no Developer or Product Owner description names are view-only.
#[test]
fn lazsa_components_no_description_names_have_no_manage() {
    let c = lazsa_with("");
    let policy = c.policy.unwrap();
    let product = policy.types.iter().find(|t| t.name == "product").unwrap();
    for component in [
        "data_pipeline_studio",
        "data_crawler",
        "data_catalog",
        "develop_pipeline",
        "manage_pipeline",
    ] {
        let names: Vec<&str> = product
            .permissions
            .iter()
            .map(|p| p.name.as_str())
            .filter(|p| p.starts_with(&format!("{component}.")))
            .collect();
        assert_eq!(names, [format!("{component}.view")], "{component}");
    }
}

/// Compiles one model from its file, loads `data` and runs the data checks.
fn data_checks(model: &str, data: &str) -> (SourceMap, Vec<Diagnostic>) {
    let c = polc::compile_str(model, &read(model));
    let policy = c.policy.unwrap();
    let mut sources = c.sources;
    let facts = polc::facts::Facts::from_pol_str(&policy, &mut sources, "data.pol", data).unwrap();
    let now = polc::time::parse("2026-11-25T00:00:00Z").unwrap();
    (sources, polc::facts::lints::run(&policy, &facts, now))
}

fn codes(diags: &[Diagnostic]) -> Vec<Code> {
    diags.iter().map(|d| d.code).collect()
}

// 3: `min` counts concrete actors: a userset without members or a wildcard is no owner.
#[test]
fn min_counts_concrete_actors_with_usersets_expanded() {
    let (_, d) = data_checks(LAZSA, "team:empty#member is product_owner on product:p;");
    assert_eq!(codes(&d), [Code::W0201], "{d:#?}");
    let (_, d) = data_checks(LAZSA, "user:* is product_owner on product:p;");
    assert_eq!(codes(&d), [Code::W0201], "{d:#?}");
    let (_, d) = data_checks(
        LAZSA,
        "team:core#member is product_owner on product:p;\nuser:ann is member on team:core;",
    );
    assert!(d.is_empty(), "{d:#?}");
}

// 3: `max` counts the members a userset reaches, and a wildcard exceeds any `max`.
#[test]
fn max_counts_userset_members_and_wildcards() {
    let (_, d) = data_checks(
        LARADEP,
        "user:a is change_owner on run:r;\nuser:* is change_owner on run:s;",
    );
    // run:s: the wildcard is no named change owner (min 1) and exceeds max 1; run:r is fine.
    assert_eq!(codes(&d), [Code::W0201, Code::W0202], "{d:#?}");
    assert!(d.iter().all(|d| d.message.contains("`run:s`")), "{d:#?}");
}

// 3: an elevated role given to a wildcard is warned about, even with `until`.
#[test]
fn a_wildcard_assignment_of_an_elevated_role_is_w0207() {
    let (sources, d) = data_checks(
        LARADEP,
        "user:ada is approver on managed_workspace:w until \"2026-12-01T00:00:00Z\";\n\
         user:* is operator on managed_workspace:w until \"2026-12-01T00:00:00Z\";",
    );
    assert_eq!(codes(&d), [Code::W0207], "{d:#?}");
    let span = d[0].span().unwrap();
    assert_eq!(sources.name(span.file), "data.pol");
    assert_eq!(sources.line_col(span).line, 2);
}

// 4: Deeploy: "To add a member to a Workspace, you must first invite them to the organization."
#[test]
fn a_workspace_member_who_was_not_invited_is_w0208_at_the_assignment() {
    let data = "user:alice is admin on organization:acme;\n\
                workspace:ml.organization = organization:acme;\n\
                user:uma is user on organization:acme;\n\
                user:uma is reviewer on workspace:ml;\n\
                user:zed is operator on workspace:ml;\n\
";
    let c = polc::compile_str(DEEPLOY, &read(DEEPLOY));
    let policy = c.policy.unwrap();
    let mut sources = c.sources;
    let facts = polc::facts::Facts::from_pol_str(&policy, &mut sources, "data2.pol", data).unwrap();
    let now = polc::time::parse("2026-11-25T00:00:00Z").unwrap();
    // The library function alone (what a store calls before writing) and within every check.
    let d = polc::facts::lints::requirements(&policy, &facts, now);
    assert_eq!(codes(&d), [Code::W0208], "{d:#?}");
    assert!(d[0].message.contains("`user:zed`"), "{}", d[0].message);
    let span = d[0].span().unwrap();
    assert_eq!(
        (sources.name(span.file), sources.line_col(span).line),
        ("data2.pol", 5)
    );
    let all = polc::facts::lints::run(&policy, &facts, now);
    assert_eq!(codes(&all), [Code::W0208], "{all:#?}");
}

#[test]
fn requires_checks_each_member_of_a_userset() {
    let c = polc::compile_str(
        "p.pol",
        "actor user;
         resource org { role user; }
         resource team { role member; }
         resource ws {
           relation org: org;
           permissions view;
           role reviewer { grants view; requires user on org; }
         }",
    );
    assert!(c.diagnostics.is_empty(), "{:#?}", c.diagnostics);
    let policy = c.policy.unwrap();
    let mut sources = c.sources;
    let facts = polc::facts::Facts::from_pol_str(
        &policy,
        &mut sources,
        "d.pol",
        "ws:a.org = org:o;\nteam:t#member is reviewer on ws:a;\nuser:in is member on team:t;\n\
         user:out is member on team:t;\nuser:in is user on org:o;\nuser:far is reviewer on ws:b;\n",
    )
    .unwrap();
    let d = polc::facts::lints::requirements(&policy, &facts, 0);
    let msgs: Vec<&str> = d.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(d.len(), 2, "{msgs:#?}");
    assert!(msgs.iter().any(|m| m.contains("`user:out`")), "{msgs:#?}");
    // ws:b has no organization in the data: the requirement cannot be met.
    assert!(
        msgs.iter()
            .any(|m| m.contains("`user:far`") && m.contains("sets no")),
        "{msgs:#?}"
    );
}

fn polc(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

// 10: each product's model checks, tests and evaluates alone; the folder covers all three.
#[test]
fn each_seed_model_stands_alone_and_the_folder_covers_all_three() {
    for (model, tests) in [
        ("policies/deeploy/", 22),
        ("policies/laradep/", 18),
        ("policies/lazsa/", 18),
    ] {
        assert!(Path::new(&root().join(model)).is_dir());
        let o = polc(&["check", model, "--deny-warnings"]);
        assert_eq!(o.status.code(), Some(0), "{model}");
        let o = polc(&["test", model]);
        let out = String::from_utf8_lossy(&o.stdout).into_owned();
        assert!(
            out.ends_with(&format!("{tests} passed, 0 failed\n")),
            "{model}: {out}"
        );
    }
    let o = polc(&["check", "policies/", "--deny-warnings"]);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.ends_with("checked 3 files: 0 errors, 0 warnings\n"),
        "{out}"
    );
    let o = polc(&["test", "policies/"]);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(out.ends_with("58 passed, 0 failed\n"), "{out}");
    for model in ["policies/deeploy", "policies/laradep", "policies/lazsa"] {
        assert!(out.contains(&format!("policy {model}\n")), "{out}");
    }
    // A Deeploy account is no Lazsa User: the Lazsa wildcard stays in the Lazsa model.
    let o = polc(&[
        "query",
        "policies/deeploy/",
        "--data",
        DEEPLOY,
        "who is user on organization:acme",
    ]);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(o.status.code(), Some(0));
    assert!(out.starts_with("user:alice\n"), "{out}");
    // The Deeploy model knows no Lazsa platform at all: no Deeploy account is a Lazsa User.
    let o = polc(&[
        "query",
        "policies/deeploy/",
        "--data",
        DEEPLOY,
        "who is user on platform:lazsa",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("E0201"));
    // Evaluating needs one policy: the folder of three is refused with their names.
    let o = polc(&["query", "policies/", "who can delete workspace:ml"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(
        err.contains("E0001") && err.contains("3 independent policies"),
        "{err}"
    );
}

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The precise points of evaluation (docs/language.md, "Evaluation semantics"), one example each, through Pol
//! text and requests. Every decision is also checked against the reference evaluator.

mod common;

use common::{Loaded, NOW};
use polc::eval::{self, Decision, Explainer, Request, reference};
use polc::source::FileId;

const WORKSPACES: &str = r#"
actor user;

context {
  now: time;
  mfa: bool;
}

resource organization {
  permissions manage;
  role admin { includes governance_manager; grants manage; }
  role governance_manager { includes member; }
  role member;
}

resource team {
  permissions view;
  role member { grants view; }
}

resource workspace {
  relation organization: organization;
  permissions view, create_deployments, manage_members, delete;

  role owner {
    includes operator;
    grants manage_members, delete;
    from admin on organization;
  }
  role operator {
    includes reviewer;
    grants create_deployments;
  }
  role reviewer {
    grants view;
    default from governance_manager on organization;
  }
  /// Grants nothing: an assignment of it only shows what replaces a `default from`.
  role guest;
  /// Every organization member audits its workspaces (a fixed `from` that grants nothing).
  role auditor { from member on organization; }
}

resource run {
  relation workspace: workspace;
  attribute impact: "low" | "medium" | "high";
  attribute approved: bool;
  attribute run_notes?: string;
  permissions execute, complete, read;

  role executor { grants execute, complete, read; from operator on workspace; }

  /// High-impact runs cannot skip approval.
  forbid execute when resource.impact == "high" && !resource.approved;
  forbid complete unless resource has run_notes;
  /// Only operators of the run's own workspace read it.
  forbid read unless principal is operator on resource.workspace;
}
"#;

const ACME: &str = r#"
context.now = "2026-06-01T00:00:00Z";
context.mfa = true;
user:alice is admin on organization:acme;
user:gina is governance_manager on organization:acme;
user:omar is operator on workspace:ml;
workspace:ml.organization = organization:acme;
workspace:ops.organization = organization:acme;
"#;

fn load(policy: &str, facts: &str) -> Loaded {
    common::load(policy, facts).unwrap_or_else(|e| panic!("{e}"))
}

/// The decision of the fast evaluator, after checking that the reference agrees, and that
/// the decision without reasons is the walk's.
fn decide(l: &Loaded, p: &str, action: &str, r: &str) -> Decision {
    let req = Request::new(&l.policy, &l.facts, p, action, r).unwrap();
    let d = eval::decide(&l.policy, &l.facts, &req);
    assert_eq!(
        d.allowed,
        reference::decide(&l.policy, &l.facts, &req),
        "the evaluators disagree on {p} {action} {r}: {d:#?}"
    );
    let quick = eval::decide_with(&l.policy, &l.facts, &req, false);
    assert_eq!(
        quick,
        eval::decide_walk(&l.policy, &l.facts, &req, false),
        "{p} {action} {r} without reasons"
    );
    assert_eq!(quick.allowed, d.allowed, "{p} {action} {r} without reasons");
    d
}

fn can(l: &Loaded, p: &str, action: &str, r: &str) -> bool {
    decide(l, p, action, r).allowed
}

fn with(extra: &str) -> Loaded {
    load(WORKSPACES, &format!("{ACME}{extra}"))
}

#[test]
fn default_from_applies_without_an_own_assignment() {
    let l = with("");
    assert!(can(&l, "user:gina", "view", "workspace:ml"));
    assert!(can(&l, "user:gina", "view", "workspace:ops"));
    assert!(!can(&l, "user:gina", "create_deployments", "workspace:ml"));
}

#[test]
fn default_from_is_replaced_by_an_own_live_assignment_on_that_entity() {
    let l = with("user:gina is guest on workspace:ml;\n");
    assert!(!can(&l, "user:gina", "view", "workspace:ml"));
    // Per entity: the other workspace keeps the default.
    assert!(can(&l, "user:gina", "view", "workspace:ops"));
    let l = with("user:gina is guest on workspace:ml until \"2027-01-01T00:00:00Z\";\n");
    assert!(!can(&l, "user:gina", "view", "workspace:ml"));
    // A direct role that grants more replaces the default with itself.
    let l = with("user:gina is operator on workspace:ml;\n");
    assert!(can(&l, "user:gina", "view", "workspace:ml"));
    assert!(can(&l, "user:gina", "create_deployments", "workspace:ml"));
}

#[test]
fn default_from_is_not_replaced_by_usersets_wildcards_expired_or_other_entities() {
    for extra in [
        // Through a userset.
        "user:gina is member on team:core;\nteam:core#member is guest on workspace:ml;\n",
        // Through a wildcard.
        "user:* is guest on workspace:ml;\n",
        // Expired (before now, and exactly at now).
        "user:gina is guest on workspace:ml until \"2026-01-01T00:00:00Z\";\n",
        "user:gina is guest on workspace:ml until \"2026-06-01T00:00:00Z\";\n",
        // On another workspace.
        "user:gina is guest on workspace:ops;\n",
        // The fixed `from` of `auditor` already gives gina a role on workspace:ml.
        "",
    ] {
        let l = with(extra);
        assert!(
            can(&l, "user:gina", "view", "workspace:ml"),
            "the default was replaced by:\n{extra}"
        );
    }
    let l = with("");
    let q = polc::syntax::parse_query(FileId(9), "is user:gina auditor on workspace:ml").unwrap();
    let ctx = polc::eval::Context::from_facts(&l.policy, &l.facts);
    let a = polc::eval::query::run(&l.policy, &l.facts, &ctx, &q).unwrap();
    assert_eq!(a.holds(), Some(true));
}

#[test]
fn fixed_from_cannot_be_lowered() {
    let l = with("user:alice is guest on workspace:ml;\n");
    assert!(can(&l, "user:alice", "delete", "workspace:ml"));
    assert!(can(&l, "user:alice", "view", "workspace:ml"));
}

#[test]
fn until_is_live_while_now_is_before_it() {
    let at_now = with(&format!(
        "user:bob is operator on workspace:ml until \"{NOW}\";\n"
    ));
    assert!(!can(
        &at_now,
        "user:bob",
        "create_deployments",
        "workspace:ml"
    ));
    let later = with("user:bob is operator on workspace:ml until \"2026-06-01T00:00:01Z\";\n");
    assert!(can(
        &later,
        "user:bob",
        "create_deployments",
        "workspace:ml"
    ));
}

const CONDITIONS: &str = r#"
actor user;

context {
  now: time;
  mfa: bool;
}

resource item {
  relation parent: item;
  attribute secret: int;
  attribute note?: string;
  permissions read, write, share, tag;
  role owner { grants tag; }

  permit read when context.mfa || resource.secret > 0;
  forbid read when !context.mfa && resource.secret > 0;
  permit write when resource has secret && resource.secret > 0;
  permit share;
  forbid share unless resource has note;
  permit tag;
  forbid tag when principal is owner on resource.parent;
}
"#;

#[test]
fn and_or_stop_early_and_an_unevaluated_error_is_no_error() {
    // `secret` is never set: reading it is an error, but with mfa it is never read.
    let l = load(CONDITIONS, "context.mfa = true;\nitem:i.parent = item:i;\n");
    let d = decide(&l, "user:u", "read", "item:i");
    assert!(d.allowed, "{d:#?}");
    assert!(d.errors.is_empty(), "{d:#?}");
    // Without mfa the permit reads `secret` and errs (does not apply): denied, with the error.
    let l = load(CONDITIONS, "context.mfa = false;\n");
    let d = decide(&l, "user:u", "read", "item:i");
    assert!(!d.allowed);
    assert!(
        d.errors.iter().any(|e| e.contains("has no `secret`")),
        "{d:#?}"
    );
}

#[test]
fn a_forbid_whose_condition_errs_applies() {
    // The permit gives `read` (mfa); the forbid is not read early, so it errs and applies.
    let l = load(CONDITIONS, "context.mfa = true;\n");
    assert!(can(&l, "user:u", "read", "item:i"));
    let policy = CONDITIONS.replace("!context.mfa && ", "context.mfa && ");
    let l = load(&policy, "context.mfa = true;\n");
    let d = decide(&l, "user:u", "read", "item:i");
    assert!(!d.allowed);
    assert!(
        d.errors.iter().any(|e| e.contains("has no `secret`")),
        "{d:#?}"
    );
}

#[test]
fn has_never_errs() {
    // On an entity the facts know and on one they do not.
    let l = load(CONDITIONS, "context.mfa = true;\nitem:i.secret = 0;\n");
    for r in ["item:i", "item:unknown"] {
        let d = decide(&l, "user:u", "write", r);
        assert!(!d.allowed && d.errors.is_empty(), "{r}: {d:#?}");
        let d = decide(&l, "user:u", "share", r);
        assert!(!d.allowed && d.errors.is_empty(), "{r}: {d:#?}");
    }
    let l = load(CONDITIONS, "item:i.note = \"n\";\nitem:i.secret = 1;\n");
    assert!(can(&l, "user:u", "share", "item:i"));
    assert!(can(&l, "user:u", "write", "item:i"));
}

#[test]
fn reading_an_absent_relation_errs_also_behind_is() {
    // `item:i` has no parent: the forbid on `tag` cannot be evaluated, so it applies.
    let l = load(CONDITIONS, "item:i.note = \"n\";\n");
    let d = decide(&l, "user:u", "tag", "item:i");
    assert!(!d.allowed);
    assert!(
        d.errors.iter().any(|e| e.contains("has no `parent`")),
        "{d:#?}"
    );
    let l = load(CONDITIONS, "item:i.parent = item:j;\n");
    assert!(can(&l, "user:u", "tag", "item:i"));
    let l = load(
        CONDITIONS,
        "item:i.parent = item:j;\nuser:u is owner on item:j;\n",
    );
    assert!(!can(&l, "user:u", "tag", "item:i"));
}

#[test]
fn an_undeclared_context_field_denies_with_an_error() {
    let l = with("");
    let json = r#"{"principal": "user:alice", "action": "delete", "resource": "workspace:ml",
                   "context": {"now": "2026-06-01T00:00:00Z", "colour": "red"}}"#;
    let req = polc::eval::request::from_json(&l.policy, &l.facts, FileId(9), json).unwrap();
    let d = eval::decide(&l.policy, &l.facts, &req);
    assert!(!d.allowed);
    assert!(!reference::decide(&l.policy, &l.facts, &req));
    assert!(
        d.errors
            .iter()
            .any(|e| e.contains("undeclared context field `colour`")),
        "{d:#?}"
    );
    // The same request without it is allowed.
    let json = json.replace(r#", "colour": "red""#, "");
    let req = polc::eval::request::from_json(&l.policy, &l.facts, FileId(9), &json).unwrap();
    assert!(eval::decide(&l.policy, &l.facts, &req).allowed);
}

const FOLDERS: &str = r#"
actor user;

context { now: time; }

resource team {
  permissions view;
  role member { grants view; }
}

resource folder {
  relation parent: folder;
  permissions read;
  role viewer { grants read; from viewer on parent; }
}
"#;

#[test]
fn a_folder_that_is_its_own_ancestor_terminates_and_is_reported() {
    let l = load(
        FOLDERS,
        "folder:a.parent = folder:b;\nfolder:b.parent = folder:c;\nfolder:c.parent = folder:a;\n",
    );
    let d = decide(&l, "user:u", "read", "folder:a");
    assert!(!d.allowed);
    assert!(
        d.errors.iter().any(|e| e.contains("cycle in the data")),
        "{d:#?}"
    );
    // Someone who holds the role somewhere on the loop reaches every folder of it.
    let l = load(
        FOLDERS,
        "folder:a.parent = folder:b;\nfolder:b.parent = folder:a;\nuser:u is viewer on folder:b;\n",
    );
    assert!(can(&l, "user:u", "read", "folder:a"));
    assert!(can(&l, "user:u", "read", "folder:b"));
}

#[test]
fn a_userset_loop_terminates_and_is_reported() {
    let loop_facts = "team:a#member is member on team:b;\nteam:b#member is member on team:a;\n";
    let l = load(FOLDERS, loop_facts);
    let d = decide(&l, "user:u", "view", "team:a");
    assert!(!d.allowed);
    assert!(
        d.errors.iter().any(|e| e.contains("cycle in the data")),
        "{d:#?}"
    );
    let l = load(
        FOLDERS,
        &format!("{loop_facts}user:u is member on team:b;\n"),
    );
    assert!(can(&l, "user:u", "view", "team:a"));
    assert!(can(&l, "user:u", "view", "team:b"));
}

const PATTERNS: &str = r#"
actor user;

resource tool {
  permissions view, users.view, tools.view, tools.jira.read, a.b.view;
  role deep { grants tools.*; }
  role one { grants *.view; }
  role all { grants *; }
}
"#;

#[test]
fn patterns_trailing_star_is_deep_leading_star_is_one_segment() {
    let l = load(
        PATTERNS,
        "user:d is deep on tool:t;\nuser:o is one on tool:t;\nuser:a is all on tool:t;\n",
    );
    let what = |p: &str| -> Vec<&str> {
        [
            "view",
            "users.view",
            "tools.view",
            "tools.jira.read",
            "a.b.view",
        ]
        .into_iter()
        .filter(|a| can(&l, p, a, "tool:t"))
        .collect()
    };
    assert_eq!(what("user:d"), ["tools.view", "tools.jira.read"]);
    assert_eq!(what("user:o"), ["users.view", "tools.view"]);
    assert_eq!(
        what("user:a"),
        [
            "view",
            "users.view",
            "tools.view",
            "tools.jira.read",
            "a.b.view"
        ]
    );
}

#[test]
fn who_can_lists_the_wildcard() {
    let l = with("user:* is reviewer on workspace:ops;\n");
    let q = polc::syntax::parse_query(FileId(9), "who can view workspace:ops").unwrap();
    let ctx = polc::eval::Context::from_facts(&l.policy, &l.facts);
    let a = polc::eval::query::run(&l.policy, &l.facts, &ctx, &q).unwrap();
    let names = a.names();
    assert!(names.contains(&"user:*".to_string()), "{names:?}");
    assert!(names.contains(&"user:gina".to_string()), "{names:?}");
    // Without the wildcard nobody is listed as everyone.
    let l = with("");
    let ctx = polc::eval::Context::from_facts(&l.policy, &l.facts);
    let a = polc::eval::query::run(&l.policy, &l.facts, &ctx, &q).unwrap();
    assert!(
        !a.names().contains(&"user:*".to_string()),
        "{:?}",
        a.names()
    );
}

#[test]
fn who_can_lists_only_actors_the_facts_name() {
    let policy = r#"
actor user;
resource vault {
  permissions open;
  role keeper { grants open; }
  /// The break-glass account may always open vaults.
  permit open when principal == user:root;
}
"#;
    let l = load(policy, "user:ann is keeper on vault:v;\n");
    let q = polc::syntax::parse_query(FileId(9), "who can open vault:v").unwrap();
    let ctx = polc::eval::Context::from_facts(&l.policy, &l.facts);
    let a = polc::eval::query::run(&l.policy, &l.facts, &ctx, &q).unwrap();
    // `user:root` is named by the policy, not by the facts.
    assert_eq!(a.names(), ["user:ann"]);
    assert!(can(&l, "user:root", "open", "vault:v"));
    // Once the facts name root, it is listed.
    let l = load(
        policy,
        "user:ann is keeper on vault:v;\nuser:root is keeper on vault:w;\n",
    );
    let ctx = polc::eval::Context::from_facts(&l.policy, &l.facts);
    let a = polc::eval::query::run(&l.policy, &l.facts, &ctx, &q).unwrap();
    assert_eq!(a.names(), ["user:ann", "user:root"]);
}

fn explain(l: &Loaded, p: &str, action: &str, r: &str) -> Vec<String> {
    let req = Request::new(&l.policy, &l.facts, p, action, r).unwrap();
    let d = decide(l, p, action, r);
    let x = Explainer {
        policy: &l.policy,
        facts: &l.facts,
    };
    d.reasons
        .iter()
        .map(|reason| x.reason(&req, reason))
        .collect()
}

#[test]
fn explanations_name_the_path_that_granted() {
    let l = with("");
    assert_eq!(
        explain(&l, "user:alice", "delete", "workspace:ml"),
        [
            "user:alice is admin on organization:acme -> owner on workspace:ml \
          (from admin on organization) -> grants delete"
        ]
    );
    // The derivation ends at the role whose own grant gives the permission, through the
    // includes that lead there.
    assert_eq!(
        explain(&l, "user:omar", "view", "workspace:ml"),
        [
            "user:omar is operator on workspace:ml -> reviewer on workspace:ml (included by operator) -> grants view"
        ]
    );
    // The include shows in the derivation of the included role.
    let q = polc::syntax::parse_query(FileId(9), "is user:omar reviewer on workspace:ml").unwrap();
    let ctx = polc::eval::Context::from_facts(&l.policy, &l.facts);
    match polc::eval::query::run(&l.policy, &l.facts, &ctx, &q).unwrap() {
        polc::eval::query::Answer::Role { holds, reason, .. } => {
            assert!(holds);
            assert_eq!(
                reason,
                "user:omar is operator on workspace:ml -> reviewer on workspace:ml \
                 (included by operator)"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        explain(&l, "user:gina", "view", "workspace:ml"),
        [
            "user:gina is governance_manager on organization:acme -> reviewer on workspace:ml \
          (default from governance_manager on organization) -> grants view"
        ]
    );
    assert_eq!(
        explain(&l, "user:omar", "delete", "workspace:ml"),
        ["no role grants delete on workspace:ml"]
    );
}

#[test]
fn explanations_name_the_rule_that_denied() {
    let l = with("run:r1.workspace = workspace:ml;\nrun:r1.impact = \"high\";\n");
    let reasons = explain(&l, "user:omar", "execute", "run:r1");
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(
        reasons[0]
            .starts_with("forbidden by \"High-impact runs cannot skip approval.\" (policy.pol:"),
        "{reasons:?}"
    );
    assert!(
        reasons[0].ends_with(
            "its condition could not be evaluated (`run:r1` has no `approved`), so it applies"
        ),
        "{reasons:?}"
    );
    let l = with("run:r1.workspace = workspace:ml;\nrun:r1.impact = \"low\";\n");
    assert!(can(&l, "user:omar", "execute", "run:r1"));
    assert!(can(&l, "user:omar", "read", "run:r1"));
    assert!(!can(&l, "user:omar", "complete", "run:r1"));
}

#[test]
fn a_retracted_assignment_grants_nothing_and_the_others_on_the_same_key_still_do() {
    // Two permanent roles and one with `until` on the same (actor, resource).
    let mut l = with(concat!(
        "user:omar is reviewer on workspace:ops;\n",
        "user:omar is operator on workspace:ops;\n",
        "user:omar is guest on workspace:ops until \"2027-01-01T00:00:00Z\";\n",
    ));
    assert!(can(&l, "user:omar", "create_deployments", "workspace:ops"));
    let ty = l.policy.type_id("workspace").unwrap();
    let ws = l.facts.lookup(ty, "ops").unwrap();
    let omar = l
        .facts
        .lookup(l.policy.type_id("user").unwrap(), "omar")
        .unwrap();
    let role = |name: &str| l.policy.ty(ty).role(name).unwrap();
    let (operator, reviewer) = (role("operator"), role("reviewer"));
    let actor = polc::facts::Subject::Actor(omar);
    assert_eq!(l.facts.retract(actor, operator, ws), 1);
    assert!(!can(&l, "user:omar", "create_deployments", "workspace:ops"));
    assert!(can(&l, "user:omar", "view", "workspace:ops"));
    assert_eq!(l.facts.retract(actor, reviewer, ws), 1);
    // Only the guest assignment is left, and it grants nothing.
    assert!(!can(&l, "user:omar", "view", "workspace:ops"));
}

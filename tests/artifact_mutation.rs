#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Structure-aware mutations of a valid artifact (`tests/support/artifact_mutation.rs`, the same
//! edits as the `artifact` fuzz target, which needs nightly): indices swapped within range,
//! rules moved to another type, effects flipped, actions and lists emptied, attribute and
//! relation indices in conditions changed, roles' grants, includes and `from` edges pointed at
//! another type's. Each edited artifact is
//!
//! - refused by the content hash as it is (E0012), and
//! - rehashed (as a tamperer would), either refused with a diagnostic of the artifact's codes
//!   (E0010 to E0018), or loaded, and then decides, explains and answers queries without a
//!   panic (a panic fails the case).
//!
//! Bounded: 200 cases, well under 10 s in a debug build.

#[path = "support/artifact_mutation.rs"]
mod artifact_mutation;

use polc::compiled::{ArtifactError, Policy};
use polc::diag::Code;
use polc::eval::{Context, Explainer, Request, decide, decide_with, query, reference};
use polc::facts::Facts;
use polc::source::{FileId, SourceMap};
use proptest::prelude::*;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

const FACTS: &str = r#"
user:alice is owner on folder:root;
user:bob is lead on team:core;
team:core#member is viewer on folder:docs;
user:* is viewer on folder:public;
folder:docs.parent = folder:root;
folder:docs.teams = [team:core];
folder:docs.impact = "high";
folder:docs.approved = false;
folder:docs.created = "2026-01-01T00:00:00Z";
folder:docs.labels = ["ops"];
folder:docs.size = 3;
context.mfa = true;
"#;

fn base() -> &'static Value {
    static A: OnceLock<Value> = OnceLock::new();
    A.get_or_init(|| {
        let c = polc::compile_str("rich.pol", include_str!("../fuzz/policies/rich.pol"));
        let p = c.policy.expect("rich.pol compiles");
        serde_json::from_str(&p.to_json()).unwrap()
    })
}

fn rehash(mut v: Value) -> String {
    let payload = serde_json::to_string(&v["policy"]).unwrap();
    let hex: String = Sha256::digest(payload.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    v["sha256"] = Value::from(hex);
    v.to_string()
}

/// Decisions (explained, fast, reference), explanations and queries: none may panic.
fn exercise(policy: &Policy) {
    let _ = polc::compiled::describe(policy);
    let mut sources = SourceMap::new();
    let Ok(facts) = Facts::from_pol_str(policy, &mut sources, "data.pol", FACTS) else {
        return;
    };
    let x = Explainer {
        policy,
        facts: &facts,
    };
    for (p, a, r) in [
        ("user:alice", "edit", "folder:docs"),
        ("user:alice", "view", "folder:docs"),
        ("user:bob", "view", "folder:docs"),
        ("user:carol", "admin.grant", "folder:public"),
        ("user:alice", "view", "folder:root"),
        ("user:bob", "join", "team:core"),
    ] {
        if let Ok(req) = Request::new(policy, &facts, p, a, r) {
            let d = decide(policy, &facts, &req);
            let _ = decide_with(policy, &facts, &req, false);
            let _ = reference::decide(policy, &facts, &req);
            let _ = x.decision_json(&req, &d);
        }
    }
    let ctx = Context::from_facts(policy, &facts);
    for q in [
        "who can view folder:docs",
        "what can user:alice do on folder:docs",
        "which folder can user:bob view",
        "is user:bob viewer on folder:docs",
        "who is member on team:core",
    ] {
        if let Ok(q) = polc::syntax::parse_query(FileId(0), q)
            && let Ok(answer) = query::run(policy, &facts, &ctx, &q)
        {
            let _ = answer.render();
            let _ = answer.to_json();
        }
    }
}

const ARTIFACT_CODES: [Code; 9] = [
    Code::E0010,
    Code::E0011,
    Code::E0012,
    Code::E0013,
    Code::E0014,
    Code::E0015,
    Code::E0016,
    Code::E0017,
    Code::E0018,
];

#[test]
fn the_unedited_artifact_loads_and_decides() {
    let p = Policy::from_json(&base().to_string()).unwrap();
    let mut sources = SourceMap::new();
    let facts = Facts::from_pol_str(&p, &mut sources, "data.pol", FACTS).unwrap();
    let req = Request::new(&p, &facts, "user:alice", "view", "folder:docs").unwrap();
    assert!(decide(&p, &facts, &req).allowed);
    exercise(&p);
}

/// Each kind of edit is reached by some input and changes the artifact (the generator does
/// not miss one silently).
#[test]
fn every_kind_of_edit_applies() {
    for op in 0u8..14 {
        let changes = (0u8..8).any(|k| {
            let mut v = base().clone();
            let done = artifact_mutation::mutate(&mut v, &[op, 3 + k, 1 + 5 * k, 1 + k]);
            done.len() == 1 && &v != base()
        });
        assert!(changes, "op {op} never changes the artifact");
    }
}

/// Some edits are caught by validation, and some that load still decide: the proptest below
/// exercises both sides rather than only one.
#[test]
fn edits_reach_both_validation_and_evaluation() {
    let (mut refused, mut loaded) = (0, 0);
    for seed in 0u8..=255 {
        let mut v = base().clone();
        artifact_mutation::mutate(&mut v, &[seed, seed.wrapping_mul(7), seed / 3, seed % 11]);
        if &v == base() {
            continue;
        }
        match Policy::from_json(&rehash(v)) {
            Ok(_) => loaded += 1,
            Err(e) if matches!(e.code(), Code::E0015 | Code::E0016) => refused += 1,
            Err(_) => {}
        }
    }
    assert!(
        refused > 10 && loaded > 10,
        "refused {refused}, loaded {loaded}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn structure_aware_edits_are_refused_with_a_code_or_decide_without_a_panic(
        ops in prop::collection::vec(any::<u8>(), 4..20),
    ) {
        let mut v = base().clone();
        let done = artifact_mutation::mutate(&mut v, &ops);
        if &v != base() {
            let as_is = Policy::from_json(&v.to_string());
            prop_assert!(matches!(as_is, Err(ArtifactError::Hash)), "{done:?}");
        }
        match Policy::from_json(&rehash(v)) {
            Ok(p) => exercise(&p),
            Err(e) => prop_assert!(ARTIFACT_CODES.contains(&e.code()), "{done:?}: {e}"),
        }
    }
}

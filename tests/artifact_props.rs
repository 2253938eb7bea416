#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Laws of the compiled artifact over random policies: compile -> `Policy::to_json` ->
//! `Policy::from_json` keeps every decision, and a corrupted artifact (bytes flipped, cut short,
//! an index changed) is rejected with an error or, when it still validates, decides without a
//! panic.

mod common;

use common::{Chooser, Loaded, Model, Shape};
use polc::compiled::Policy;
use polc::eval::{Context, Request, decide, query, reference};
use polc::facts::Facts;
use polc::source::FileId;
use proptest::prelude::*;
use serde_json::Value;

struct Case {
    model: Model,
    loaded: Loaded,
    policy: String,
    facts: String,
}

fn case(data: &[u32]) -> Case {
    let mut c = Chooser::new(data);
    let model = Model::new(&mut c);
    let policy = common::policy_text(&model, Shape::default(), &mut c);
    let facts = common::facts_text(&model, &mut c);
    let loaded = common::load(&policy, &facts).unwrap();
    Case {
        model,
        loaded,
        policy,
        facts,
    }
}

/// Every request of the model against a policy that may be corrupted: no panic, whatever the
/// answer. Facts are rebuilt for `policy` from the text (indices may differ).
fn exercise(m: &Model, policy: &Policy, facts_text: &str) {
    let Ok(fl) = polc::syntax::parse_facts(FileId(1), facts_text) else {
        return;
    };
    let mut facts = Facts::new(policy);
    if polc::facts::pol::load(policy, &mut facts, &fl).is_err() {
        return;
    }
    let _ = polc::compiled::describe(policy);
    let x = polc::eval::Explainer {
        policy,
        facts: &facts,
    };
    let ctx = Context::from_facts(policy, &facts);
    for p in m.principals() {
        for (r, actions) in m.resources() {
            for a in actions {
                if let Ok(req) = Request::new(policy, &facts, &p, a, &r) {
                    let d = decide(policy, &facts, &req);
                    let _ = reference::decide(policy, &facts, &req);
                    let _ = x.decision_json(&req, &d);
                }
            }
            for q in [
                format!("who can read {r}"),
                format!("what can {p} do on {r}"),
            ] {
                if let Ok(q) = polc::syntax::parse_query(FileId(0), &q)
                    && let Ok(answer) = query::run(policy, &facts, &ctx, &q)
                {
                    let _ = answer.render();
                }
            }
        }
    }
}

fn number_paths(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Number(_) => out.push(at),
        Value::Array(xs) => {
            for (i, x) in xs.iter().enumerate() {
                number_paths(x, format!("{at}/{i}"), out);
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                number_paths(
                    x,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        _ => {}
    }
}

/// The artifact with its hash recomputed over the edited payload, so that the edit reaches
/// validation (the hash alone would refuse it).
fn rehash(mut v: Value) -> String {
    use sha2::Digest;
    let payload = serde_json::to_string(&v["policy"]).unwrap();
    let hex: String = sha2::Sha256::digest(payload.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    v["sha256"] = Value::from(hex);
    v.to_string()
}

fn choices() -> impl Strategy<Value = Vec<u32>> {
    prop::collection::vec(any::<u32>(), 0..400)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The artifact keeps every decision.
    #[test]
    fn artifact_round_trip_keeps_every_decision(data in choices()) {
        let k = case(&data);
        let before = common::all_decisions(&k.model, &k.loaded).unwrap();
        let json = k.loaded.policy.to_json();
        let policy = Policy::from_json(&json).unwrap();
        prop_assert_eq!(policy.to_json(), json);
        let again = Loaded { policy, facts: k.loaded.facts };
        let after = common::all_decisions(&k.model, &again).unwrap();
        prop_assert_eq!(before, after, "{}", common::show(&k.policy, &k.facts));
    }

    /// Flipped bytes and truncation: an error or a usable policy, never a panic.
    #[test]
    fn a_corrupted_artifact_is_rejected_or_usable(
        data in choices(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let k = case(&data);
        let mut bytes = k.loaded.policy.to_json().into_bytes();
        for (at, b) in &flips {
            let i = at.index(bytes.len());
            bytes[i] = *b;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len()));
        }
        let text = String::from_utf8_lossy(&bytes);
        if let Ok(policy) = Policy::from_json(&text) {
            exercise(&k.model, &policy, &k.facts);
        }
    }

    /// Indices set to other numbers (in range or not), the hash recomputed: the loader's
    /// validation must catch every index that evaluation, explanations and queries use.
    #[test]
    fn an_artifact_with_changed_indices_is_rejected_or_usable(
        data in choices(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0u32..12), 1..6),
    ) {
        let k = case(&data);
        let mut v: Value = serde_json::from_str(&k.loaded.policy.to_json()).unwrap();
        let mut paths = Vec::new();
        number_paths(&v["policy"], "/policy".into(), &mut paths);
        for (at, n) in &edits {
            let path = &paths[at.index(paths.len())];
            *v.pointer_mut(path).unwrap() = Value::from(*n);
        }
        if let Ok(policy) = Policy::from_json(&rehash(v)) {
            exercise(&k.model, &policy, &k.facts);
        }
    }
}

//! Compiled artifacts (`Policy::from_json`): corrupted artifacts are rejected with an error or,
//! when they still validate, decide, explain and answer queries without a panic.
//!
//! The input's first byte picks the mode: the rest as raw artifact text, or edits of a real
//! artifact's payload (of `fuzz/policies/rich.pol`) where each 3 bytes set one number of the
//! JSON tree to a small value (255 stands for `u32::MAX`: out of range; small values are in
//! range and point across types), or swap a string for another of the artifact's strings
//! (`forbid` for `permit`, one type's name for another's). Edits are rehashed, as a tamperer
//! would, so that they reach validation; unrehashed, the hash must refuse every edit.
//!
//! A fourth mode makes structure-aware edits (`tests/support/artifact_mutation.rs`, shared with
//! the proptest `tests/artifact_mutation.rs` that `cargo test` runs): indices swapped within
//! range, a rule moved to another type or its effect flipped, actions and lists emptied,
//! attribute indices in conditions changed, grants, includes and `from` edges pointed at another
//! type's. Rehashed, such an artifact is refused with one of the artifact codes (E0010 to
//! E0018) or loads and decides without a panic.
#![no_main]

#[path = "../../tests/support/artifact_mutation.rs"]
mod artifact_mutation;

use libfuzzer_sys::fuzz_target;
use polc::compiled::Policy;
use polc::eval::{Context, Explainer, Request, decide, query, reference};
use polc::facts::Facts;
use polc::source::{FileId, SourceMap};
use serde_json::Value;
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

/// The artifact as a JSON tree, and the JSON pointer of every number in it.
fn artifact() -> &'static (Value, Vec<String>) {
    static A: OnceLock<(Value, Vec<String>)> = OnceLock::new();
    A.get_or_init(|| {
        let c = polc::compile_str("rich.pol", include_str!("../policies/rich.pol"));
        let Some(p) = c.policy else {
            panic!("rich.pol does not compile")
        };
        let v: Value = match serde_json::from_str(&p.to_json()) {
            Ok(v) => v,
            Err(e) => panic!("{e}"),
        };
        let mut paths = Vec::new();
        numbers(&v["policy"], "/policy".into(), &mut paths);
        (v, paths)
    })
}

fn numbers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Number(_) | Value::String(_) => out.push(at),
        Value::Array(xs) => {
            for (i, x) in xs.iter().enumerate() {
                numbers(x, format!("{at}/{i}"), out);
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                numbers(
                    x,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        _ => {}
    }
}

const STRINGS: [&str; 6] = ["permit", "forbid", "when", "unless", "actor", "resource"];

/// The edited artifact, and whether it differs from the original.
fn edited(edits: &[u8], strings: bool) -> (Value, bool) {
    let (base, paths) = artifact();
    let mut v = base.clone();
    for e in edits.chunks_exact(3) {
        let i = usize::from(u16::from_le_bytes([e[0], e[1]])) % paths.len();
        let new = if strings {
            Value::from(STRINGS[usize::from(e[2]) % STRINGS.len()])
        } else if e[2] == 255 {
            Value::from(u32::MAX)
        } else {
            Value::from(u32::from(e[2]))
        };
        if let Some(slot) = v.pointer_mut(&paths[i]) {
            *slot = new;
        }
    }
    let changed = v != *base;
    (v, changed)
}

/// The artifact with its hash recomputed over the edited payload.
fn rehash(mut v: Value) -> String {
    use sha2::Digest;
    let payload = v["policy"].to_string();
    let hex: String = sha2::Sha256::digest(payload.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    v["sha256"] = Value::from(hex);
    v.to_string()
}

fn exercise(policy: &Policy) {
    let mut sources = SourceMap::new();
    let _ = polc::compiled::describe(policy);
    let Ok(facts) = Facts::from_pol_str(policy, &mut sources, "data.pol", FACTS) else {
        return;
    };
    let x = Explainer {
        policy,
        facts: &facts,
    };
    for (p, a, r) in [
        ("user:alice", "edit", "folder:docs"),
        ("user:bob", "view", "folder:docs"),
        ("user:carol", "admin.grant", "folder:public"),
        ("user:alice", "view", "folder:root"),
    ] {
        if let Ok(req) = Request::new(policy, &facts, p, a, r) {
            let d = decide(policy, &facts, &req);
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

fuzz_target!(|data: &[u8]| {
    let Some((mode, rest)) = data.split_first() else {
        return;
    };
    let text = match mode % 4 {
        0 => String::from_utf8_lossy(rest).into_owned(),
        3 => {
            let mut v = artifact().0.clone();
            artifact_mutation::mutate(&mut v, rest);
            if v != artifact().0 && Policy::from_json(&v.to_string()).is_ok() {
                panic!("an edited artifact passed the hash check");
            }
            match Policy::from_json(&rehash(v)) {
                Ok(policy) => exercise(&policy),
                Err(e) => {
                    let code = format!("{:?}", e.code());
                    let n: u32 = code.trim_start_matches('E').parse().unwrap_or(0);
                    assert!((10..=18).contains(&n), "{code}: {e}");
                }
            }
            return;
        }
        m => {
            let (v, changed) = edited(rest, m == 2);
            if changed && Policy::from_json(&v.to_string()).is_ok() {
                panic!("an edited artifact passed the hash check");
            }
            rehash(v)
        }
    };
    if let Ok(policy) = Policy::from_json(&text) {
        exercise(&policy);
    }
});

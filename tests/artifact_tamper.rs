#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Tampered artifacts (issue 19): every edit is caught by the content hash; an edit whose hash
//! was recomputed (anyone can) is caught by validation where the policy it describes could not
//! have been compiled (a condition that no longer type-checks, a cross-reference to another
//! type, an index out of range), and by the signature always. Nothing panics.

use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::{EncodePrivateKey, EncodePublicKey};
use polc::compiled::{ArtifactError, Policy};
use polc::diag::Code;
use polc::eval::{Request, decide};
use polc::facts::Facts;
use polc::source::SourceMap;
use proptest::prelude::*;
use serde_json::Value;
use sha2::{Digest, Sha256};

const POLICY: &str = r#"
actor user;
resource team {
  permissions join;
  role lead { grants join; }
}
resource doc {
  attribute level: int;
  attribute impact: "low" | "high";
  relation team: team;
  permissions read, write;
  role reader { grants read; }
  role writer { includes reader; grants write; from lead on team; }
  forbid write when resource.impact == "high";
  forbid read when resource.level > 3;
  permit read when resource.level == 0;
}
"#;

const FACTS: &str = r#"
user:alice is writer on doc:d;
doc:d.impact = "high";
doc:d.level = 5;
doc:d.team = team:t;
"#;

fn artifact() -> Value {
    let p = polc::compile_str("p.pol", POLICY).policy.unwrap();
    serde_json::from_str(&p.to_json()).unwrap()
}

/// The artifact with its hash recomputed over the (edited) payload: what a tamperer can do.
fn rehash(mut v: Value) -> String {
    let payload = serde_json::to_string(&v["policy"]).unwrap();
    let hex: String = Sha256::digest(payload.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    v["sha256"] = Value::from(hex);
    v.to_string()
}

fn allowed(p: &Policy, action: &str) -> bool {
    let mut sources = SourceMap::new();
    let facts = Facts::from_pol_str(p, &mut sources, "d.pol", FACTS).unwrap();
    let req = Request::new(p, &facts, "user:alice", action, "doc:d").unwrap();
    decide(p, &facts, &req).allowed
}

fn ty<'a>(v: &'a mut Value, name: &str) -> &'a mut Value {
    v["policy"]["types"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|t| t["name"] == name)
        .unwrap()
}

/// The issue's tamperings, as they read in the v3 payload: each turns a deny into an allow or,
/// in v2, panicked.
fn tamperings() -> Vec<(&'static str, Value)> {
    let base = artifact();
    let mut out = Vec::new();
    // Emptying the forbids: drop the forbid rules.
    let mut v = base.clone();
    v["policy"]["rules"]
        .as_array_mut()
        .unwrap()
        .retain(|r| r["effect"] != "forbid");
    out.push(("forbids emptied", v));
    // A forbid turned into a permit.
    let mut v = base.clone();
    v["policy"]["rules"][0]["effect"] = Value::from("permit");
    out.push(("forbid made a permit", v));
    // A rule moved to another type (in range: `team` has a permission 0 too).
    let mut v = base.clone();
    v["policy"]["rules"][0]["resource"] = Value::from(1);
    out.push(("rule moved to another type", v));
    // The attribute index changed: `level` (int) compared with "high".
    let mut v = base.clone();
    let text = v["policy"]["rules"][0]["condition"].to_string();
    let edited = text.replace("{\"Attr\":1}", "{\"Attr\":0}");
    assert_ne!(text, edited);
    v["policy"]["rules"][0]["condition"] = serde_json::from_str(&edited).unwrap();
    out.push(("attribute index changed", v));
    // The derived tables of v2, injected: they are not part of the format.
    let mut v = base.clone();
    ty(&mut v, "doc")["forbids"] = serde_json::json!([[], []]);
    out.push(("v2 tables injected", v));
    // A `from` edge pointed at another type's role.
    let mut v = base.clone();
    ty(&mut v, "doc")["roles"][1]["from"][0]["target"] = Value::from(2);
    out.push(("from edge to another type", v));
    out
}

#[test]
fn the_untampered_artifact_denies() {
    let p = Policy::from_json(&artifact().to_string()).unwrap();
    assert!(!allowed(&p, "write"));
    assert!(!allowed(&p, "read"));
}

#[test]
fn every_tampering_is_refused_by_the_hash() {
    for (what, v) in tamperings() {
        let r = Policy::from_json(&v.to_string());
        assert!(matches!(r, Err(ArtifactError::Hash)), "{what}: {r:?}");
    }
}

#[test]
fn every_tampering_is_reported_as_e0012() {
    for (what, v) in tamperings() {
        let e = Policy::from_json(&v.to_string()).unwrap_err();
        assert_eq!(e.code(), Code::E0012, "{what}: {e}");
    }
}

#[test]
fn a_rehashed_tampering_is_refused_by_validation_where_it_can_be() {
    // The code each rehashed tampering is refused with (None: it loads).
    let expected: [(&str, Option<Code>); 6] = [
        ("forbids emptied", None),
        ("forbid made a permit", None),
        ("rule moved to another type", Some(Code::E0015)),
        ("attribute index changed", Some(Code::E0016)),
        ("v2 tables injected", Some(Code::E0010)),
        ("from edge to another type", Some(Code::E0015)),
    ];
    let mut loaded = Vec::new();
    for ((what, v), (name, code)) in tamperings().into_iter().zip(expected) {
        assert_eq!(what, name);
        match Policy::from_json(&rehash(v)) {
            Err(e) => assert_eq!(Some(e.code()), code, "{what}: {e}"),
            Ok(p) => {
                assert_eq!(code, None, "{what} loaded");
                loaded.push((what, p));
            }
        }
    }
    let names: Vec<&str> = loaded.iter().map(|(w, _)| *w).collect();
    // These describe policies that compile: no validation can tell them from real ones. The
    // hash (accidents) and the signature (tampering) are what refuse them.
    assert_eq!(names, ["forbids emptied", "forbid made a permit"]);
    // They load as the policy they describe, without a panic.
    for (_, p) in &loaded {
        let _ = allowed(p, "write");
    }
}

fn keys(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

#[test]
fn a_signature_catches_every_rehashed_tampering() {
    let p = polc::compile_str("p.pol", POLICY).policy.unwrap();
    let key = keys(7);
    let signed = p.to_artifact(Some(&key)).unwrap();
    let vk = key.verifying_key();
    assert!(Policy::from_artifact(&signed, Some(&vk)).is_ok());
    // The wrong key.
    let other = keys(8).verifying_key();
    assert!(matches!(
        Policy::from_artifact(&signed, Some(&other)),
        Err(ArtifactError::BadSignature)
    ));
    // Unsigned, with a key.
    assert!(matches!(
        Policy::from_artifact(&p.to_json(), Some(&vk)),
        Err(ArtifactError::Unsigned)
    ));
    // Rehashed edits of the signed artifact, signature kept.
    let base: Value = serde_json::from_str(&signed).unwrap();
    for (what, mut v) in tamperings() {
        v["signature"] = base["signature"].clone();
        let r = Policy::from_artifact(&rehash(v), Some(&vk));
        // The signature is checked before the payload is read.
        assert!(
            matches!(r, Err(ArtifactError::BadSignature)),
            "{what}: {r:?}"
        );
        assert_eq!(r.unwrap_err().code(), Code::E0014);
    }
}

fn polc(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(args)
        .env("COLUMNS", "400")
        .output()
        .unwrap()
}

#[test]
fn compile_signs_and_eval_query_and_debug_graph_verify() {
    let dir = std::env::temp_dir().join(format!("polc_tamper_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = |n: &str| dir.join(n).display().to_string();
    std::fs::write(f("p.pol"), POLICY).unwrap();
    std::fs::write(f("d.pol"), FACTS).unwrap();
    let key = keys(3);
    let pem = key.to_pkcs8_pem(Default::default()).unwrap();
    std::fs::write(f("key.pem"), pem.as_bytes()).unwrap();
    let public = key
        .verifying_key()
        .to_public_key_pem(Default::default())
        .unwrap();
    std::fs::write(f("key.pub.pem"), public).unwrap();
    let wrong = keys(4)
        .verifying_key()
        .to_public_key_pem(Default::default())
        .unwrap();
    std::fs::write(f("wrong.pub.pem"), wrong).unwrap();

    let o = polc(&[
        "compile",
        &f("p.pol"),
        "-o",
        &f("p.json"),
        "--sign-key",
        &f("key.pem"),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let req = r#"{"principal": "user:alice", "action": "write", "resource": "doc:d"}"#;
    let eval = |policy: &str, key: &str| {
        polc(&[
            "eval",
            policy,
            "--data",
            &f("d.pol"),
            "--verify-key",
            key,
            "--request",
            req,
        ])
    };
    let o = eval(&f("p.json"), &f("key.pub.pem"));
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("\"deny\""));
    let o = polc(&[
        "query",
        &f("p.json"),
        "--data",
        &f("d.pol"),
        "--verify-key",
        &f("key.pub.pem"),
        "can user:alice read doc:d",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = polc(&[
        "debug",
        "graph",
        &f("p.json"),
        "--verify-key",
        &f("key.pub.pem"),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    for (policy, key, code, says) in [
        (
            f("p.json"),
            f("wrong.pub.pem"),
            "E0014",
            "signature does not verify",
        ),
        (
            f("p.pol"),
            f("key.pub.pem"),
            "E0013",
            "not one compiled artifact",
        ),
        (f("p.json"), f("p.pol"), "E0018", "not an ed25519 key"),
    ] {
        let o = eval(&policy, &key);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(err.contains(&format!("polc::{code}")), "{err}");
        assert!(err.contains(says), "{err}");
        assert!(o.stdout.is_empty());
    }
    // An edited artifact, no key: the hash refuses it.
    let text = std::fs::read_to_string(f("p.json")).unwrap();
    std::fs::write(f("e.json"), text.replace("\"forbid\"", "\"permit\"")).unwrap();
    let o = polc(&[
        "eval",
        &f("e.json"),
        "--data",
        &f("d.pol"),
        "--request",
        req,
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("does not match its sha256 hash"), "{err}");
    assert!(err.contains("polc::E0012"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A condition of 200 `&&` nests deeper than serde_json's default limit of 128: it must load.
#[test]
fn a_deep_condition_survives_the_artifact() {
    let terms: Vec<String> = (0..200)
        .map(|i| format!("resource.level != {}", i + 100))
        .collect();
    let text = POLICY.replace(
        "forbid read when resource.level > 3;",
        &format!("forbid read when {};", terms.join(" && ")),
    );
    let p = polc::compile_str("p.pol", &text).policy.unwrap();
    let json = p.to_artifact(None).unwrap();
    let back = Policy::from_json(&json).unwrap();
    assert!(!allowed(&back, "read"));
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
                number_paths(x, format!("{at}/{k}"), out);
            }
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any numbers of the payload set to small (mostly in-range) values: refused by the hash;
    /// rehashed, refused by validation or loaded and decided without a panic.
    #[test]
    fn in_range_edits_are_caught_or_harmless(
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0u32..4), 1..4),
    ) {
        let base = artifact();
        let mut v = base.clone();
        let mut paths = Vec::new();
        number_paths(&v["policy"], "/policy".into(), &mut paths);
        for (at, n) in &edits {
            let path = &paths[at.index(paths.len())];
            *v.pointer_mut(path).unwrap() = Value::from(*n);
        }
        if v != base {
            prop_assert!(matches!(Policy::from_json(&v.to_string()), Err(ArtifactError::Hash)));
        }
        if let Ok(p) = Policy::from_json(&rehash(v)) {
            let mut sources = SourceMap::new();
            if let Ok(facts) = Facts::from_pol_str(&p, &mut sources, "d.pol", FACTS) {
                for a in ["read", "write"] {
                    if let Ok(req) = Request::new(&p, &facts, "user:alice", a, "doc:d") {
                        let _ = decide(&p, &facts, &req);
                        let _ = polc::eval::reference::decide(&p, &facts, &req);
                    }
                }
            }
        }
    }
}

//! Deep shapes on a small stack: every stage finishes with a result or a diagnostic, never a
//! stack overflow. Each case runs on a thread with a 2 MiB stack (a server's worker thread, the
//! default of `std::thread`), in the debug build, whose frames are the largest.
//!
//! Shapes: a `from` chain across 5,000 types declared in order (`t0` from `t1` from ...),
//! a 10,000-deep include chain (compiled and loaded from an artifact), parentheses and
//! operators nested past the parser's limits (E0003) and just within them, and long cycles in
//! the data (relations and groups).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use polc::diag::Code;
use polc::eval::{Request, decide};
use polc::facts::Facts;

#[path = "../benches/common/big_policy.rs"]
mod big_policy;

/// Runs `f` on a thread with a 2 MiB stack; a stack overflow aborts the test process.
fn small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

fn compiles(name: &str, text: &str) -> polc::compiled::Policy {
    let c = polc::compile_str(name, text);
    assert!(!c.has_errors(), "{:?}", c.diagnostics.first());
    c.policy.unwrap()
}

#[test]
fn a_from_chain_across_5000_types_compiles_loads_and_decides() {
    small_stack(|| {
        // 5,000 is enough: the recursive plan builder overflowed a 2 MiB stack well before
        // (and the release `polc` its 8 MiB main thread at 20,000); more only costs time.
        let n = 5_000;
        let policy = compiles("from.pol", &big_policy::from_chain(n));
        // The plan of `t0`'s `read` walks the whole chain: one plan per type.
        assert!(policy.plans.len() >= n, "{} plans", policy.plans.len());
        let json = policy.to_artifact(None).unwrap();
        let loaded = polc::compiled::Policy::from_json(&json).unwrap();
        assert_eq!(loaded.plans.len(), policy.plans.len());
        // A viewer of the last type views the types before it through every `next` (the data
        // covers the last 200 of them: the chain of plans is what is deep here).
        let mut data = format!("user:alice is viewer on t{}:x;\n", n - 1);
        for i in n - 200..n - 1 {
            data.push_str(&format!("t{i}:x.next = t{}:x;\n", i + 1));
        }
        let mut sources = polc::source::SourceMap::new();
        let facts = Facts::from_pol_str(&loaded, &mut sources, "d.pol", &data).unwrap();
        for (resource, allowed) in [(n - 200, true), (n - 201, false)] {
            let r = Request::new(
                &loaded,
                &facts,
                "user:alice",
                "read",
                &format!("t{resource}:x"),
            );
            let r = r.unwrap();
            let d = decide(&loaded, &facts, &r);
            assert_eq!(d.allowed, allowed, "t{resource}: {d:?}");
            assert_eq!(
                polc::eval::decide_with(&loaded, &facts, &r, false).allowed,
                allowed
            );
        }
    });
}

#[test]
fn a_10000_deep_include_chain_compiles_and_loads() {
    small_stack(|| {
        let policy = compiles("chain.pol", &big_policy::include_chain(10_000));
        let json = policy.to_artifact(None).unwrap();
        let loaded = polc::compiled::Policy::from_json(&json).unwrap();
        let t = &loaded.types[1];
        assert_eq!(t.roles[0].implies.len(), 10_000);
        let mut sources = polc::source::SourceMap::new();
        let facts =
            Facts::from_pol_str(&loaded, &mut sources, "d.pol", "user:a is r0 on doc:d;").unwrap();
        let r = Request::new(&loaded, &facts, "user:a", "read", "doc:d").unwrap();
        assert!(decide(&loaded, &facts, &r).allowed);
    });
}

#[test]
fn an_include_cycle_10000_long_is_reported() {
    small_stack(|| {
        let n = 10_000;
        let mut s = String::from("actor user;\nresource doc {\n  permissions read;\n");
        for i in 0..n {
            s.push_str(&format!("  role r{i} {{ includes r{}; }}\n", (i + 1) % n));
        }
        s.push_str("}\n");
        let c = polc::compile_str("cycle.pol", &s);
        assert!(c.policy.is_none());
        assert!(c.has_errors());
    });
}

fn rule_policy(condition: &str) -> String {
    format!(
        "actor user {{ attribute level: int; }}\nresource doc {{\n  permissions read;\n  \
         role viewer {{ grants read; }}\n  forbid read when {condition};\n}}\n"
    )
}

fn codes(text: &str) -> Vec<Code> {
    polc::compile_str("p.pol", text)
        .diagnostics
        .iter()
        .map(|d| d.code)
        .collect()
}

#[test]
fn parentheses_nested_past_the_limit_are_e0003() {
    small_stack(|| {
        for depth in [polc::syntax::MAX_NESTING + 1, 10_000, 200_000] {
            let cond = format!(
                "{}principal.level > 3{}",
                "(".repeat(depth),
                ")".repeat(depth)
            );
            assert!(codes(&rule_policy(&cond)).contains(&Code::E0003), "{depth}");
        }
    });
}

#[test]
fn operators_chained_past_the_limit_are_e0003() {
    small_stack(|| {
        for n in [300, 5_000, 100_000] {
            let chain = vec!["principal.level > 3"; n].join(" && ");
            assert!(codes(&rule_policy(&chain)).contains(&Code::E0003), "&& {n}");
            let nots = format!("{}(principal.level > 3)", "!".repeat(n));
            assert!(codes(&rule_policy(&nots)).contains(&Code::E0003), "! {n}");
        }
    });
}

#[test]
fn conditions_just_within_the_limits_compile_and_decide() {
    small_stack(|| {
        let paren = polc::syntax::MAX_NESTING - 4;
        let conds = [
            format!(
                "{}principal.level > 3{}",
                "(".repeat(paren),
                ")".repeat(paren)
            ),
            vec!["principal.level > 3"; 200].join(" && "),
            vec!["principal.level > 3"; 200].join(" || "),
            format!("{}(principal.level > 3)", "!!".repeat(100)),
        ];
        for cond in conds {
            let policy = compiles("p.pol", &rule_policy(&cond));
            let json = policy.to_artifact(None).unwrap();
            let policy = polc::compiled::Policy::from_json(&json).unwrap();
            let mut sources = polc::source::SourceMap::new();
            let data = "user:a is viewer on doc:d;\nuser:a.level = 5;\nuser:b is viewer on doc:d;\nuser:b.level = 1;\n";
            let facts = Facts::from_pol_str(&policy, &mut sources, "d.pol", data).unwrap();
            let a = Request::new(&policy, &facts, "user:a", "read", "doc:d").unwrap();
            let b = Request::new(&policy, &facts, "user:b", "read", "doc:d").unwrap();
            let (da, db) = (decide(&policy, &facts, &a), decide(&policy, &facts, &b));
            assert!(
                da.errors.is_empty() && db.errors.is_empty(),
                "{da:?} {db:?}"
            );
            // `principal.level > 3` holds for a (forbidden) and not for b.
            assert!(!da.allowed && db.allowed, "{cond:.40}: {da:?} {db:?}");
        }
    });
}

const FOLDERS: &str = r#"
actor user;
resource team {
  role member;
}
resource folder {
  relation parent: folder;
  relation teams: [team];
  permissions view;
  role viewer { grants view; from viewer on parent; from member on teams; }
}
"#;

#[test]
fn long_cycles_in_the_data_deny_with_an_error() {
    small_stack(|| {
        let policy = compiles("f.pol", FOLDERS);
        let n = 20_000;
        // A ring of parents.
        let mut data = String::from("user:alice is viewer on folder:elsewhere;\n");
        for i in 0..n {
            data.push_str(&format!("folder:f{i}.parent = folder:f{};\n", (i + 1) % n));
        }
        // A ring of groups.
        data.push_str("folder:g.teams = [team:t0];\n");
        for i in 0..n {
            data.push_str(&format!(
                "team:t{}#member is member on team:t{i};\n",
                (i + 1) % n
            ));
        }
        let mut sources = polc::source::SourceMap::new();
        let facts = Facts::from_pol_str(&policy, &mut sources, "d.pol", &data).unwrap();
        for resource in ["folder:f0", "folder:g"] {
            let r = Request::new(&policy, &facts, "user:alice", "view", resource).unwrap();
            let d = decide(&policy, &facts, &r);
            assert!(!d.allowed, "{resource}");
            assert!(!d.errors.is_empty(), "{resource}: {d:?}");
            let fast = polc::eval::decide_with(&policy, &facts, &r, false);
            assert!(!fast.allowed, "{resource}");
        }
    });
}

//! `polc audit` on the 100,000-line compile-scale policy (`benches/common/big_policy.rs`), with
//! `assigns` added to every type so that the escalation analysis has work: `manage` (granted by
//! `r6`) assigns `r3`, `delegate` (granted by `r9`) assigns `r6`, so each type has direct and
//! chained escalation paths, and the `from` edges carry holders across the 20 types of a group.
//!
//! - `audit/escalation`: `polc::audit::escalation` over the whole policy;
//! - `audit/access`: the access review over data on the first 100 types (an entity each, chained
//!   by `parent`, 100 users with one assignment each, a third of them expiring);
//! - `audit/blast_radius`: the blast radius of one of those users, self-assignment fixpoint
//!   included.
//!
//! `cargo bench --bench audit`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "common/big_policy.rs"]
mod big_policy;

use criterion::{Criterion, criterion_group, criterion_main};
use std::time::Duration;

/// The compile-scale policy of `lines` lines, with `assigns` in every type.
pub fn policy_with_assigns(lines: usize) -> String {
    big_policy::big_policy(lines)
        .replace(
            "  permissions p0, p1, p2, p3, p4, ops.read, ops.write;\n",
            "  permissions p0, p1, p2, p3, p4, ops.read, ops.write;\n  permissions manage assigns r3;\n  permissions delegate assigns r6;\n",
        )
        .replace(
            "  role r6 {\n    includes r7;\n",
            "  role r6 {\n    includes r7;\n    grants manage;\n",
        )
        .replace("  role r9 {\n", "  role r9 {\n    grants delegate;\n")
}

/// Facts on the first `types` types: `t{i}:e`, each the parent of the next within a group, and
/// `users` users, user `j` holding `r{j % 10}` on `t{j % types}:e`, every third until a time
/// within the review's 30 days.
fn data(types: usize, users: usize) -> String {
    let mut s = String::new();
    for i in 0..types {
        if i % 20 != 0 {
            s.push_str(&format!("t{i}:e.parent = t{}:e;\n", i - 1));
        }
    }
    for j in 0..users {
        let until = if j % 3 == 0 {
            " until \"2026-12-01T00:00:00Z\""
        } else {
            ""
        };
        s.push_str(&format!(
            "user:u{j} is r{} on t{}:e{until};\n",
            j % 10,
            j % types
        ));
    }
    s
}

fn audit(c: &mut Criterion) {
    let text = policy_with_assigns(100_000);
    let compiled = polc::compile_str("big.pol", &text);
    assert!(!compiled.has_errors(), "{:?}", compiled.diagnostics.first());
    let policy = compiled.policy.unwrap();
    let findings = polc::audit::escalation(&policy);
    let facts = polc::facts::Facts::from_pol(&policy, &data(100, 100)).unwrap();
    let now = polc::time::parse("2026-11-23T10:00:00Z").unwrap();
    let report = polc::audit::access(
        &policy,
        &facts,
        now,
        30,
        polc::audit::Grouping::ByResource,
        None,
    );
    let actor = polc::eval::Entity::new(&policy, &facts, "user", "u6", Default::default()).unwrap();
    let blast = polc::audit::blast_radius(&policy, &facts, &actor, now);
    eprintln!(
        "audit bench: {} lines, {} types, {} escalation findings; access: {} holdings, {} expiring; blast radius of user:u6: {:?} actions, {} self-assignments",
        text.lines().count(),
        policy.types.len(),
        findings.len(),
        report.holdings.len(),
        report.expiring.len(),
        blast.counts(),
        blast.self_assignments.len()
    );
    let mut group = c.benchmark_group("audit");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("escalation", |b| {
        b.iter(|| polc::audit::escalation(&policy))
    });
    group.bench_function("access", |b| {
        b.iter(|| {
            polc::audit::access(
                &policy,
                &facts,
                now,
                30,
                polc::audit::Grouping::ByResource,
                None,
            )
        })
    });
    group.bench_function("blast_radius", |b| {
        b.iter(|| polc::audit::blast_radius(&policy, &facts, &actor, now))
    });
    group.finish();
}

criterion_group!(benches, audit);
criterion_main!(benches);

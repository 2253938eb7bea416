//! Compile time against policy size: `compile_sources` (what `polc check` runs: parse, resolve,
//! type-check, close the role graph, build the decision plans) on generated policies of 10,000 to
//! 100,000 lines. Linear growth shows as a constant time per line across the sizes.
//!
//! The `artifact` group loads compiled artifacts (`Policy::from_json`: hash, validation, and
//! rebuilding the closure and the plans) of the same policies and of include chains 2,500 to
//! 10,000 roles deep, and prints each artifact's size and the heap the loaded policy keeps:
//! both must grow linearly with the policy (issue 19: a 10,000-deep chain once made 55 MB).
//!
//! `cargo bench --bench compile_scale`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "common/big_policy.rs"]
mod big_policy;

use cap::Cap;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::alloc::System;
use std::time::Duration;

#[global_allocator]
static ALLOC: Cap<System> = Cap::new(System, usize::MAX);

/// A policy whose roles form one include chain `n` deep.
fn include_chain(n: usize) -> String {
    let mut s = String::from("actor user;\nresource doc {\n  permissions read;\n");
    for i in 0..n {
        if i + 1 < n {
            s.push_str(&format!("  role r{i} {{ includes r{}; }}\n", i + 1));
        } else {
            s.push_str(&format!("  role r{i} {{ grants read; }}\n"));
        }
    }
    s.push_str("}\n");
    s
}

fn artifact(c: &mut Criterion) {
    let mut group = c.benchmark_group("artifact_load");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8));
    let cases = [
        ("chain", 2_500),
        ("chain", 5_000),
        ("chain", 10_000),
        ("lines", 25_000),
        ("lines", 100_000),
    ];
    for (kind, n) in cases {
        let text = match kind {
            "chain" => include_chain(n),
            _ => big_policy::big_policy(n),
        };
        let policy = polc::compile_str("big.pol", &text).policy.unwrap();
        let json = policy.to_artifact(None).unwrap();
        drop(policy);
        let before = ALLOC.allocated();
        let loaded = polc::compiled::Policy::from_json(&json).unwrap();
        let kept = ALLOC.allocated().saturating_sub(before);
        drop(loaded);
        eprintln!(
            "artifact {kind} {n}: policy {} bytes, artifact {} bytes, loaded policy keeps {} bytes",
            text.len(),
            json.len(),
            kept
        );
        group.throughput(Throughput::Bytes(json.len() as u64));
        group.bench_with_input(BenchmarkId::new(kind, n), &json, |b, json| {
            b.iter(|| polc::compiled::Policy::from_json(json).unwrap())
        });
    }
    group.finish();
}

fn compile_scale(c: &mut Criterion) {
    let mut group = c.benchmark_group("compile_lines");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8));
    for lines in [10_000, 25_000, 50_000, 100_000] {
        let text = big_policy::big_policy(lines);
        let n = text.lines().count() as u64;
        // A policy that does not compile would measure the error path.
        let check = polc::compile_str("big.pol", &text);
        assert!(!check.has_errors(), "{:?}", check.diagnostics.first());
        group.throughput(Throughput::Elements(n));
        group.bench_with_input(BenchmarkId::from_parameter(n), &text, |b, text| {
            b.iter(|| polc::compile_str("big.pol", text))
        });
    }
    group.finish();
}

criterion_group!(benches, compile_scale, artifact);
criterion_main!(benches);

//! Compile time against policy size: `compile_sources` (what `polc check` runs: parse, resolve,
//! type-check, close the role graph, build the decision plans) on generated policies of 10,000 to
//! 100,000 lines. Linear growth shows as a constant time per line across the sizes.
//!
//! The `artifact` group loads compiled artifacts (`Policy::from_json`: hash, validation, and
//! rebuilding the closure and the plans) of the same policies and of include chains 2,500 to
//! 10,000 roles deep, and prints each artifact's size and the heap the loaded policy keeps:
//! both must grow linearly with the policy (issue 19: a 10,000-deep chain once made 55 MB).
//!
//! Before the timings, `memory` compiles the policies of docs/performance.md ("Compile memory
//! and artifact size": about 1.5, 5 and 15 MB, and a 10,000-deep include chain) once each and
//! prints the peak heap of `compile_str`, the heap the `Compilation` keeps and the artifact's
//! size, each per byte of source: the figures must stay flat across the sizes (linear growth).
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

use big_policy::include_chain;

/// Peak heap, kept heap and artifact size of compiling each policy, per byte of source. The
/// peak is the allocator's high-water mark, which only grows: the policies go from small to
/// large, so each one's peak is its own (checked: the mark moved).
fn memory() {
    let cases: [(&str, String); 4] = [
        ("lines 100,000 (1.5 MB)", big_policy::big_policy(100_000)),
        ("lines 333,000 (5 MB)", big_policy::big_policy(333_000)),
        ("lines 1,000,000 (15 MB)", big_policy::big_policy(1_000_000)),
        ("include chain 10,000", include_chain(10_000)),
    ];
    for (name, text) in cases {
        let before = ALLOC.allocated();
        let mark = ALLOC.max_allocated();
        // On a large stack, as the CLI compiles.
        let (peak, kept, artifact) = std::thread::scope(|s| {
            std::thread::Builder::new()
                .stack_size(256 << 20)
                .spawn_scoped(s, || {
                    let c = polc::compile_str("big.pol", &text);
                    assert!(!c.has_errors(), "{:?}", c.diagnostics.first());
                    let peak = ALLOC.max_allocated();
                    let kept = ALLOC.allocated().saturating_sub(before);
                    // `to_json`: the 15 MB policy's artifact is over the loading limit, which
                    // `to_artifact` (and `polc compile`) refuse with E0017.
                    let artifact = c.policy.as_ref().unwrap().to_json().len();
                    (peak, kept, artifact)
                })
                .unwrap()
                .join()
                .unwrap()
        });
        let src = text.len() as f64;
        let peak_note = if peak > mark {
            ""
        } else {
            " (mark did not move)"
        };
        eprintln!(
            "memory {name}: source {} B, compile peak heap {} B ({:.1} B/B){peak_note}, \
             compilation keeps {} B ({:.1} B/B), artifact {} B ({:.2} B/B)",
            text.len(),
            peak.saturating_sub(before),
            peak.saturating_sub(before) as f64 / src,
            kept,
            kept as f64 / src,
            artifact,
            artifact as f64 / src,
        );
    }
}

fn artifact(c: &mut Criterion) {
    memory();
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

//! Compile time against policy size: `compile_sources` (what `polc check` runs: parse, resolve,
//! type-check, close the role graph, build the decision plans) on generated policies of 10,000 to
//! 100,000 lines. Linear growth shows as a constant time per line across the sizes.
//!
//! `cargo bench --bench compile_scale`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "common/big_policy.rs"]
mod big_policy;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::time::Duration;

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

criterion_group!(benches, compile_scale);
criterion_main!(benches);

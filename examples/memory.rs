//! Resident memory of loaded facts, per role assignment.
//!
//! `cargo run --release --example memory [ASSIGNMENTS...]` (default: 100000 1000000). For each
//! size it generates the benchmark workload (`benches/common`), then reads VmRSS from
//! `/proc/self/status` around two loads of the same JSON into two separate `Facts`:
//!
//! - the first load's growth includes what the allocator keeps of the loader's temporaries
//!   (arrays and tables outgrown while loading) after they are freed: an upper bound;
//! - the second load reuses that freed memory for its temporaries, so its growth is close to
//!   what the loaded `Facts` itself occupies: the steady-state figure.
//!
//! Linux only (it reads `/proc`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../benches/common/mod.rs"]
mod common;

/// Counts live heap bytes, so that what the facts hold is measured apart from what the
/// allocator keeps after a load (RSS growth includes freed-but-kept pages).
#[global_allocator]
static ALLOCATOR: cap::Cap<std::alloc::System> = cap::Cap::new(std::alloc::System, usize::MAX);

fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"))
}

fn rss_bytes() -> u64 {
    status_kib("VmRSS:") * 1024
}

fn main() {
    let sizes: Vec<usize> = {
        let args: Vec<usize> = std::env::args()
            .skip(1)
            .map(|a| a.replace('_', "").parse().expect("a number of assignments"))
            .collect();
        if args.is_empty() {
            vec![100_000, 1_000_000]
        } else {
            args
        }
    };
    let policy = common::policy();
    println!(
        "{:>10} {:>10} {:>12} {:>12} {:>10} {:>12} {:>10} {:>12} {:>12}",
        "assignments",
        "json MiB",
        "1st load MiB",
        "B/assignment",
        "2nd MiB",
        "B/assignment",
        "entities",
        "heap MiB",
        "heap B/asg"
    );
    for n in sizes {
        let shape = common::Shape::for_assignments(n);
        let json = common::facts_json(&shape, 42);
        let before = rss_bytes();
        let heap_before = ALLOCATOR.allocated();
        let first = common::load(&policy, &json);
        let heap = ALLOCATOR.allocated().saturating_sub(heap_before);
        let after_first = rss_bytes();
        let second = common::load(&policy, &json);
        let after_second = rss_bytes();
        assert_eq!(first.assignment_count(), n);
        assert_eq!(second.assignment_count(), n);
        let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
        let grow1 = after_first.saturating_sub(before);
        let grow2 = after_second.saturating_sub(after_first);
        println!(
            "{:>10} {:>10.1} {:>12.1} {:>12.0} {:>10.1} {:>12.0} {:>10} {:>12.1} {:>12.0}",
            n,
            mib(json.len() as u64),
            mib(grow1),
            grow1 as f64 / n as f64,
            mib(grow2),
            grow2 as f64 / n as f64,
            second.entity_count(),
            mib(heap as u64),
            heap as f64 / n as f64,
        );
        drop((first, second, json));
    }
    println!(
        "peak RSS (VmHWM): {:.1} MiB",
        status_kib("VmHWM:") as f64 / 1024.0
    );
}

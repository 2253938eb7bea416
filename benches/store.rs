//! The SQLite fact store: write throughput (one assignment per transaction, and batches), the
//! load of 1,000,000 assignments from the store into facts, and the memory the server keeps per
//! assignment (the facts and the search index, counted by a counting allocator).
//!
//! `CARGO_BUILD_JOBS=1 cargo bench --bench store [-- ASSIGNMENTS]` (default 1000000). The
//! workload is the Deeploy-like one of the other benchmarks (`benches/common`); the store file is
//! under `target/bench-store/` (a real disk: every commit is synced, `synchronous = FULL`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "common/mod.rs"]
mod common;

use polc::facts::write::{Change, Constraints, Transaction, checked_facts};
use polc::store::sqlite::SqliteStore;
use polc::store::{Store, Write};
use std::time::Instant;

#[global_allocator]
static ALLOC: cap::Cap<std::alloc::System> = cap::Cap::new(std::alloc::System, usize::MAX);

fn fresh(dir: &std::path::Path, name: &str) -> SqliteStore {
    let path = dir.join(name);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    SqliteStore::open(&path).unwrap()
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.replace('_', "").parse().ok())
        .unwrap_or(1_000_000);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-store");
    std::fs::create_dir_all(&dir).unwrap();
    let policy = common::policy();
    let shape = common::Shape::for_assignments(n);
    let json = common::facts_json(&shape, 42);
    let facts = common::load(&policy, &json);
    drop(json);
    let mut tx = Transaction::default();
    tx.put_all(&policy, checked_facts(&policy, &facts));
    let changes: Vec<Change> = tx.store_changes(&policy);
    drop(tx);
    let assignments = changes
        .iter()
        .filter(|c| matches!(c, Change::Put(polc::facts::write::Fact::Assignment { .. })))
        .count();
    println!(
        "workload: {n} assignments asked, {assignments} written, {} changes in all",
        changes.len()
    );

    // Writes: one assignment per transaction, then batches, each a committed revision.
    let s = fresh(&dir, "writes.db");
    let single = 500.min(changes.len());
    let t = Instant::now();
    for c in &changes[..single] {
        s.write(&Write {
            changes: vec![c.clone()],
            ..Write::default()
        })
        .unwrap();
    }
    let e = t.elapsed();
    println!(
        "Store::write, 1 change per transaction: {single} transactions in {:.3} s = {:.0} transactions/s",
        e.as_secs_f64(),
        single as f64 / e.as_secs_f64()
    );
    for batch in [100usize, 1000, 10_000] {
        let rounds = (50_000 / batch).max(5);
        let s = fresh(&dir, "batches.db");
        let t = Instant::now();
        let (mut written, mut rounds_done) = (0, 0);
        for chunk in changes.chunks(batch).take(rounds) {
            rounds_done += 1;
            s.write(&Write {
                changes: chunk.to_vec(),
                ..Write::default()
            })
            .unwrap();
            written += chunk.len();
        }
        let e = t.elapsed();
        println!(
            "Store::write, {batch} changes per transaction: {rounds_done} transactions in {:.3} s = {:.0} transactions/s, {:.0} changes/s",
            e.as_secs_f64(),
            rounds_done as f64 / e.as_secs_f64(),
            written as f64 / e.as_secs_f64()
        );
    }
    // The library's write path (checks, judging, the store, the facts applied in place) on a
    // small store: the policy declares `min` and `separate`, so each write runs the data lints.
    let s = fresh(&dir, "commits.db");
    let mut follower = polc::store::load_facts(&s, &policy).unwrap();
    let now = polc::time::now();
    let t = Instant::now();
    let commits = 300;
    for i in 0..commits {
        let text = format!(
            r#"{{"writes": {{"assignments": [{{"actor": "user:c{i}", "role": "reviewer", "on": "workspace:w{}"}}]}}}}"#,
            i % 10
        );
        let tx = polc::facts::write::transaction_from_json(&policy, polc::source::FileId(0), &text)
            .unwrap_or_else(|d| panic!("{d:?}"));
        polc::store::commit(&s, &policy, &mut follower, &tx, Constraints::Enforce, now).unwrap();
    }
    let e = t.elapsed();
    println!(
        "store::commit (check, judge with constraints, write, apply), 1 assignment per transaction on a store of up to {commits}: {:.0} transactions/s",
        commits as f64 / e.as_secs_f64()
    );

    // The load: all the facts into one store (batches of 100,000), then read back.
    let s = fresh(&dir, "load.db");
    let t = Instant::now();
    for chunk in changes.chunks(100_000) {
        s.write(&Write {
            changes: chunk.to_vec(),
            ..Write::default()
        })
        .unwrap();
    }
    println!(
        "import of {} changes in batches of 100,000: {:.2} s",
        changes.len(),
        t.elapsed().as_secs_f64()
    );
    let size = |f: &str| std::fs::metadata(dir.join(f)).map(|m| m.len()).unwrap_or(0);
    println!(
        "store file: {:.1} MiB (+ {:.1} MiB of write-ahead log)",
        size("load.db") as f64 / 1048576.0,
        size("load.db-wal") as f64 / 1048576.0
    );
    drop(changes);
    drop(facts);
    let t = Instant::now();
    let mut rows = 0usize;
    s.load(&mut |_| rows += 1).unwrap();
    println!(
        "Store::load (rows only): {rows} rows in {:.2} s",
        t.elapsed().as_secs_f64()
    );
    let heap_before = ALLOC.allocated();
    let t = Instant::now();
    let (loaded, rev) = polc::store::load_facts(&s, &policy).unwrap();
    let load_s = t.elapsed().as_secs_f64();
    let facts_heap = ALLOC.allocated().saturating_sub(heap_before);
    let t = Instant::now();
    let index = polc::eval::index::SearchIndex::new(&policy, &loaded);
    let index_s = t.elapsed().as_secs_f64();
    let index_heap = ALLOC
        .allocated()
        .saturating_sub(heap_before)
        .saturating_sub(facts_heap);
    let a = loaded.assignment_count();
    println!(
        "load_facts: {a} assignments at revision {rev} in {load_s:.2} s (rows, checks against the policy, facts); search index in {index_s:.2} s"
    );
    println!(
        "memory: facts {:.1} MiB = {:.0} B per assignment; search index {:.1} MiB = {:.0} B per assignment; the server holds both: {:.0} B per assignment",
        facts_heap as f64 / 1048576.0,
        facts_heap as f64 / a as f64,
        index_heap as f64 / 1048576.0,
        index_heap as f64 / a as f64,
        (facts_heap + index_heap) as f64 / a as f64
    );
    drop(index);
    // Writes judged with the constraint lints (on the entities each write touches) over all
    // the facts: what `--constraints` costs at this size.
    let mut follower = (loaded, rev);
    let text = r#"{"writes": {"assignments": [{"actor": "user:late", "role": "reviewer", "on": "workspace:w1"}]}}"#;
    let tx =
        polc::facts::write::transaction_from_json(&policy, polc::source::FileId(0), text).unwrap();
    let t = Instant::now();
    let rounds = 20;
    for _ in 0..rounds {
        polc::store::commit(&s, &policy, &mut follower, &tx, Constraints::Enforce, now).unwrap();
    }
    println!(
        "store::commit with the constraint lints over {a} assignments: {:.1} ms per transaction",
        t.elapsed().as_secs_f64() * 1000.0 / rounds as f64
    );
}

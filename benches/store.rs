//! The SQLite fact store: write throughput (one assignment per transaction, and batches), the
//! load of 1,000,000 assignments from the store into facts, and the memory the server keeps per
//! assignment (the facts and the search index, counted by a counting allocator).
//!
//! `CARGO_BUILD_JOBS=1 cargo bench --bench store [-- ASSIGNMENTS] [postgres]` (default 1000000).
//! The workload is the Deeploy-like one of the other benchmarks (`benches/common`); the store file
//! is under `target/bench-store/` (a real disk: every commit is synced, `synchronous = FULL`).
//!
//! With `POLC_TEST_POSTGRES` set (`.ci/with-postgres cargo bench --bench store -- 1000000
//! postgres`), the same figures for PostgreSQL in a fresh database (dropped at the end), and the
//! delay from a commit on one store to the decision on a replica that follows it (LISTEN, catch
//! up, decide), p50 and p99. `postgres` alone skips the SQLite figures.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "common/mod.rs"]
mod common;
#[cfg(feature = "postgres")]
#[path = "../tests/common_pg/mod.rs"]
mod common_pg;

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
    let only_postgres = std::env::args().any(|a| a == "postgres");
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

    if only_postgres {
        postgres(&policy, changes);
        return;
    }
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
    drop(facts);
    if std::env::var_os("POLC_TEST_POSTGRES").is_some() {
        postgres(&policy, changes.clone());
    }
    drop(changes);
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

#[cfg(not(feature = "postgres"))]
fn postgres(_: &polc::compiled::Policy, _: Vec<Change>) {
    println!("postgres: not built (the `postgres` feature)");
}

/// The PostgreSQL figures, in a fresh database of the server `POLC_TEST_POSTGRES` names.
#[cfg(feature = "postgres")]
fn postgres(policy: &polc::compiled::Policy, changes: Vec<Change>) {
    use polc::store::postgres::PostgresStore;
    let Some(db) = common_pg::fresh("bench") else {
        return;
    };
    let s = PostgresStore::open(&db.url).unwrap();
    let single = 1000.min(changes.len());
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
        "postgres: Store::write, 1 change per transaction: {single} transactions in {:.3} s = {:.0} transactions/s",
        e.as_secs_f64(),
        single as f64 / e.as_secs_f64()
    );
    for batch in [100usize, 1000, 10_000] {
        let rounds = (50_000 / batch).max(5);
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
            "postgres: Store::write, {batch} changes per transaction: {rounds_done} transactions in {:.3} s = {:.0} transactions/s, {:.0} changes/s",
            e.as_secs_f64(),
            rounds_done as f64 / e.as_secs_f64(),
            written as f64 / e.as_secs_f64()
        );
    }
    drop(s);
    drop(db);

    // The delay from a commit to the decision on a replica: the replica's own connections,
    // woken by the commit's NOTIFY, catching up in place and deciding.
    let Some(db) = common_pg::fresh("bench_latency") else {
        return;
    };
    let writer = PostgresStore::open(&db.url).unwrap();
    let replica = PostgresStore::open(&db.url).unwrap();
    let decided: std::sync::Arc<std::sync::Mutex<Vec<(u64, Instant)>>> = Default::default();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let samples = 300u64;
    let follower = {
        let (decided, stop, policy) = (decided.clone(), stop.clone(), policy.clone());
        std::thread::spawn(move || {
            let mut f = polc::store::load_facts(&replica, &policy).unwrap();
            let mut seen = f.1.0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                replica
                    .wait(f.1, std::time::Duration::from_millis(200))
                    .unwrap();
                polc::store::catch_up(&replica, &policy, &mut f).unwrap();
                while seen < f.1.0 {
                    seen += 1;
                    let who = format!("user:lat{seen}");
                    let req = polc::eval::Request::new(&policy, &f.0, &who, "view", "workspace:w1")
                        .unwrap();
                    assert!(polc::eval::decide(&policy, &f.0, &req).allowed);
                    decided.lock().unwrap().push((seen, Instant::now()));
                }
            }
        })
    };
    let mut delays = Vec::new();
    for r in 1..=samples {
        let c = Change::Put(polc::facts::write::Fact::Assignment {
            subject: format!("user:lat{r}"),
            role: "reviewer".into(),
            on: "workspace:w1".into(),
            until_us: None,
        });
        let rev = writer
            .write(&Write {
                changes: vec![c],
                ..Write::default()
            })
            .unwrap();
        let committed = Instant::now();
        assert_eq!(rev.0, r);
        let deadline = committed + std::time::Duration::from_secs(10);
        loop {
            let at = decided
                .lock()
                .unwrap()
                .iter()
                .find(|(x, _)| *x == r)
                .map(|(_, t)| *t);
            if let Some(t) = at {
                delays.push(t.saturating_duration_since(committed).as_secs_f64() * 1000.0);
                break;
            }
            assert!(
                Instant::now() < deadline,
                "revision {r} never decided on the replica"
            );
            std::thread::sleep(std::time::Duration::from_micros(50));
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    follower.join().unwrap();
    delays.sort_by(f64::total_cmp);
    let pct = |p: f64| delays[((delays.len() as f64 * p) as usize).min(delays.len() - 1)];
    println!(
        "postgres: commit to decision on a replica (LISTEN/NOTIFY, catch-up in place, decide), {samples} writes one after another: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        pct(0.50),
        pct(0.99),
        delays[delays.len() - 1]
    );
    drop(writer);
    drop(db);

    // The load: all the facts into one database (batches of 100,000), then read back.
    let Some(db) = common_pg::fresh("bench_load") else {
        return;
    };
    let s = PostgresStore::open(&db.url).unwrap();
    let t = Instant::now();
    for chunk in changes.chunks(100_000) {
        s.write(&Write {
            changes: chunk.to_vec(),
            ..Write::default()
        })
        .unwrap();
    }
    println!(
        "postgres: import of {} changes in batches of 100,000: {:.2} s",
        changes.len(),
        t.elapsed().as_secs_f64()
    );
    drop(changes);
    let size: i64 = db
        .client()
        .query_one("SELECT pg_database_size(current_database())", &[])
        .unwrap()
        .get(0);
    println!("postgres: database size {:.1} MiB", size as f64 / 1048576.0);
    let t = Instant::now();
    let mut rows = 0usize;
    s.load(&mut |_| rows += 1).unwrap();
    println!(
        "postgres: Store::load (rows only): {rows} rows in {:.2} s",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let (loaded, rev) = polc::store::load_facts(&s, policy).unwrap();
    println!(
        "postgres: load_facts: {} assignments at revision {rev} in {:.2} s",
        loaded.assignment_count(),
        t.elapsed().as_secs_f64()
    );
}

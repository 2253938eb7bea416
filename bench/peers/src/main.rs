//! The peer benchmark: polc against Cedar, Rego (regorus: interpreter, compiled policy, RVM) and
//! Casbin, plus two plain Rust evaluators (names in std hash maps; numbers in bit sets) as floors, on the same models, data and
//! requests. See `docs/peers.md`.
//!
//! ```text
//! cargo run --release -p peers -- --quick          # small sizes, under a minute
//! cargo run --release -p peers                      # 10, 1,000 and 100,000 assignments
//! cargo run --release -p peers -- --scale           # polc: 1,000,000 assignments, `who can`
//! cargo run --release -p peers -- --compile-scale   # polc: compile time of 10k..100k lines
//! ```
//!
//! Each (engine, workload, size) runs in a child process of its own, so that the memory each
//! engine's data takes is measured on a fresh process (RSS growth over the load).

mod engines;
mod model;
mod scale;

use std::hint::black_box;
use std::process::{Command, ExitCode};
use std::time::Instant;

const SEED: u64 = 42;

#[global_allocator]
static ALLOCATOR: cap::Cap<std::alloc::System> = cap::Cap::new(std::alloc::System, usize::MAX);

/// Resident set size of this process, in KiB (`VmRSS` of `/proc/self/status`).
pub fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

struct Row {
    workload: String,
    size: usize,
    engine: String,
    load_ms: f64,
    rss_kib: u64,
    heap_bytes: u64,
    median_ns: f64,
    p99_ns: f64,
    per_sec: f64,
    batch: usize,
    allowed: usize,
    decisions: String,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let result = if let Some(i) = args.iter().position(|a| a == "--child") {
        child(&args[i + 1..])
    } else if args.iter().any(|a| a == "--scale") {
        scale::run(quick)
    } else if args.iter().any(|a| a == "--compile-scale") {
        scale::compile_scale(quick)
    } else {
        parent(quick)
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `--child ENGINE WORKLOAD SIZE REQUESTS SECONDS`: loads one engine, decides every request
/// (printed, for the agreement check), then times them.
fn child(args: &[String]) -> Result<(), String> {
    let [engine, workload, size, nreq, secs, ..] = args else {
        return Err("usage: --child ENGINE WORKLOAD SIZE REQUESTS SECONDS".into());
    };
    let m = model::model(workload).ok_or("unknown workload")?;
    let size: usize = size.parse().map_err(|_| "bad size")?;
    let nreq: usize = nreq.parse().map_err(|_| "bad request count")?;
    let secs: f64 = secs.parse().map_err(|_| "bad seconds")?;
    let d = model::generate(m, size, SEED);
    let reqs = model::requests(m, &d, nreq, SEED);
    // RSS and live heap right before the load and right after it (the engine's input text
    // alive both times, the load's own temporaries freed): the difference is the data.
    let marks: std::cell::RefCell<Vec<(u64, usize)>> = Default::default();
    let (mut b, load) = engines::load(engine, m, &d, &reqs, &mut || {
        marks.borrow_mut().push((rss_kib(), ALLOCATOR.allocated()));
    })?;
    let marks = marks.into_inner();
    let [(rss0, heap0), (rss1, heap1)] = marks[..] else {
        return Err(format!(
            "{engine} marked its load {} times, not 2",
            marks.len()
        ));
    };
    let rss = rss1.saturating_sub(rss0);
    let heap = heap1.saturating_sub(heap0);
    drop(d);
    // The agreement pass, also a warm-up.
    let t = Instant::now();
    let decisions: Vec<bool> = (0..reqs.len()).map(|i| b.decide(i)).collect();
    let mean = t.elapsed().as_secs_f64() / reqs.len() as f64;
    // Fast engines are timed in batches, so that the timer's own cost (~20 ns) does not count.
    let batch = if mean < 2e-6 { 16 } else { 1 };
    let mut samples: Vec<f64> = Vec::new();
    let mut total = 0.0;
    let mut count = 0usize;
    let start = Instant::now();
    while count == 0 || (start.elapsed().as_secs_f64() < secs && count < 50_000_000) {
        let mut i = 0;
        while i < reqs.len() {
            let end = (i + batch).min(reqs.len());
            let t = Instant::now();
            for k in i..end {
                black_box(b.decide(black_box(k)));
            }
            let e = t.elapsed().as_nanos() as f64;
            samples.push(e / (end - i) as f64);
            total += e;
            count += end - i;
            i = end;
        }
    }
    samples.sort_by(f64::total_cmp);
    let q = |p: f64| samples[((samples.len() - 1) as f64 * p).round() as usize];
    let bits: String = decisions
        .iter()
        .map(|&x| if x { '1' } else { '0' })
        .collect();
    println!(
        "RESULT {} {} {} {} {} {} {} {} {}",
        load.as_secs_f64() * 1e3,
        rss,
        heap,
        q(0.5),
        q(0.99),
        count as f64 / (total / 1e9),
        batch,
        decisions.iter().filter(|x| **x).count(),
        bits
    );
    Ok(())
}

fn run_child(
    engine: &str,
    workload: &str,
    size: usize,
    nreq: usize,
    secs: f64,
) -> Result<Row, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = Command::new(exe)
        .args([
            "--child",
            engine,
            workload,
            &size.to_string(),
            &nreq.to_string(),
            &secs.to_string(),
        ])
        .output()
        .map_err(|e| e.to_string())?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("RESULT "))
        .ok_or_else(|| {
            format!(
                "{engine} on {workload} {size} failed: {}{}",
                stdout,
                String::from_utf8_lossy(&out.stderr)
            )
        })?;
    let f: Vec<&str> = line.split_whitespace().skip(1).collect();
    let num = |i: usize| {
        f.get(i)
            .and_then(|x| x.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    Ok(Row {
        workload: workload.to_string(),
        size,
        engine: engine.to_string(),
        load_ms: num(0),
        rss_kib: num(1) as u64,
        heap_bytes: num(2) as u64,
        median_ns: num(3),
        p99_ns: num(4),
        per_sec: num(5),
        batch: num(6) as usize,
        allowed: num(7) as usize,
        decisions: f.get(8).unwrap_or(&"").to_string(),
    })
}

fn parent(quick: bool) -> Result<(), String> {
    let sizes: &[usize] = if quick {
        &[10, 1_000]
    } else {
        &[10, 1_000, 100_000]
    };
    let (nreq, secs) = if quick { (1_000, 0.15) } else { (3_000, 1.0) };
    let mut rows: Vec<Row> = Vec::new();
    for workload in ["deeploy", "github"] {
        let m = model::model(workload).ok_or("workload")?;
        for &size in sizes {
            let reqs = model::requests(m, &model::generate(m, size, SEED), nreq, SEED);
            let mut reference: Option<String> = None;
            for engine in engines::ENGINES {
                eprintln!("{workload} {size}: {engine}");
                let row = run_child(engine, workload, size, nreq, secs)?;
                match &reference {
                    None => reference = Some(row.decisions.clone()),
                    Some(r) => {
                        if let Some(i) = r
                            .chars()
                            .zip(row.decisions.chars())
                            .position(|(a, b)| a != b)
                            .or((r.len() != row.decisions.len()).then_some(0))
                        {
                            let q = &reqs[i];
                            eprintln!(
                                "DISAGREEMENT on {workload} {size}, request #{i}: can {} {} {}: polc says {}, {engine} says {}",
                                q.principal,
                                q.action,
                                q.resource,
                                word(r.chars().nth(i)),
                                word(row.decisions.chars().nth(i)),
                            );
                            return Err("the engines disagree".into());
                        }
                    }
                }
                rows.push(row);
            }
        }
    }
    println!("{}", table(&rows, nreq));
    Ok(())
}

fn word(c: Option<char>) -> &'static str {
    match c {
        Some('1') => "allow",
        Some('0') => "deny",
        _ => "nothing",
    }
}

fn table(rows: &[Row], nreq: usize) -> String {
    let mut s = format!(
        "All engines agreed on every request ({nreq} requests per workload and size).\n\n\
         | workload | assignments | engine | load (ms) | memory (RSS growth) | live heap | bytes/assignment | median (ns) | p99 (ns) | decisions/s (1 core) | allowed |\n\
         |---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    );
    for r in rows {
        let mem = if r.rss_kib >= 10 * 1024 {
            format!("{:.1} MiB", r.rss_kib as f64 / 1024.0)
        } else {
            format!("{} KiB", r.rss_kib)
        };
        s.push_str(&format!(
            "| {} | {} | {} | {:.2} | {} | {:.1} MiB | {:.0} | {:.0} | {:.0}{} | {:.0} | {:.0}% |\n",
            r.workload,
            r.size,
            r.engine,
            r.load_ms,
            mem,
            r.heap_bytes as f64 / (1024.0 * 1024.0),
            r.heap_bytes as f64 / r.size.max(1) as f64,
            r.median_ns,
            r.p99_ns,
            if r.batch > 1 { "*" } else { "" },
            r.per_sec,
            100.0 * r.allowed as f64 / r.decisions.len().max(1) as f64
        ));
    }
    s.push_str("\n`*`: timed in batches of 16 decisions (the timer costs about 20 ns); the percentiles are of batch means.\n\n");
    for r in rows.iter().filter(|r| r.engine != "polc") {
        if let Some(p) = rows
            .iter()
            .find(|p| p.engine == "polc" && p.workload == r.workload && p.size == r.size)
        {
            s.push_str(&format!(
                "speedup vs {} {} {}: {:.1}\n",
                r.engine,
                r.workload,
                r.size,
                r.median_ns / p.median_ns
            ));
        }
    }
    s
}

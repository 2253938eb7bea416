//! Whole-process throughput of `polc eval`: 100,000 assignments, 2,000,000 role-only request
//! lines (workspaces and deployments, no rules to evaluate) from a file, decisions to a file.
//! `cargo bench --bench eval_throughput` (docs/performance.md); `-- LINES` for another count,
//! `-- LINES RUNS` to run the whole process RUNS times (5 by default) and report the fastest
//! and the median run: the machines are shared, and one run is a sample of the neighbours too.
//! `-- --keep` keeps the generated policy, data and requests (the folder is printed), to run
//! `polc eval` on them by hand or under a profiler.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fmt::Write as _;
use std::process::{Command, Stdio};
use std::time::Instant;

fn main() {
    let numbers: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let lines = numbers.first().copied().unwrap_or(2_000_000);
    let runs = numbers.get(1).copied().unwrap_or(5).max(1);
    let shape = common::Shape::for_assignments(100_000);
    let dir = std::env::temp_dir().join(format!("polc-eval-throughput-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let policy = dir.join("policy.pol");
    let data = dir.join("data.json");
    let requests = dir.join("requests.jsonl");
    std::fs::write(&policy, common::POLICY).unwrap();
    std::fs::write(&data, common::facts_json(&shape, 42)).unwrap();
    let mut rng = common::Lcg::new(7);
    let mut text = String::with_capacity(lines * 90);
    for _ in 0..lines {
        let user = rng.below(shape.users);
        let (resource, actions): (String, &[&str]) = if rng.below(3) < 2 {
            (
                format!("workspace:w{}", rng.below(shape.workspaces)),
                &["view", "create_deployments", "manage_members", "delete"],
            )
        } else {
            (
                format!("deployment:d{}", rng.below(shape.deployments)),
                &["view", "update", "delete"],
            )
        };
        let action = actions[rng.below(actions.len())];
        let _ = writeln!(
            text,
            r#"{{"principal": "user:u{user}", "action": "{action}", "resource": "{resource}"}}"#
        );
    }
    std::fs::write(&requests, text).unwrap();
    let polc = env!("CARGO_BIN_EXE_polc");
    let run = |args: &[&std::ffi::OsStr]| {
        let start = Instant::now();
        let out = Command::new(polc)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .output()
            .unwrap();
        assert!(out.status.success(), "polc eval failed");
        (start.elapsed(), out.stdout)
    };
    let mut loads = Vec::new();
    let mut totals = Vec::new();
    let mut allowed = 0;
    for _ in 0..runs {
        // Loading alone (one request), to tell it from the decisions.
        let (load, _) = run(&[
            "eval".as_ref(),
            policy.as_os_str(),
            "--data".as_ref(),
            data.as_os_str(),
            "--request".as_ref(),
            r#"{"principal": "user:u1", "action": "view", "resource": "workspace:w1"}"#.as_ref(),
        ]);
        let (total, stdout) = run(&[
            "eval".as_ref(),
            policy.as_os_str(),
            "--data".as_ref(),
            data.as_os_str(),
            "--requests".as_ref(),
            requests.as_os_str(),
        ]);
        let answers = stdout.iter().filter(|&&b| b == b'\n').count();
        assert_eq!(answers, lines);
        allowed = stdout
            .split(|&b| b == b'\n')
            .filter(|l| l.starts_with(br#"{"decision":"allow""#))
            .count();
        loads.push(load);
        totals.push(total);
    }
    loads.sort();
    totals.sort();
    let rate = |d: std::time::Duration| lines as f64 / d.as_secs_f64() / 1e6;
    println!(
        "polc eval: {lines} role-only requests at 100,000 assignments ({allowed} allowed), {runs} runs"
    );
    for (what, i) in [("fastest", 0), ("median", runs / 2)] {
        let (total, load) = (totals[i], loads[i]);
        let decide = total.saturating_sub(load);
        println!(
            "  {what}: whole process {:.2} s = {:.2} M decisions/s; \
             load alone {:.2} s; without it {:.2} s = {:.2} M decisions/s",
            total.as_secs_f64(),
            rate(total),
            load.as_secs_f64(),
            decide.as_secs_f64(),
            rate(decide),
        );
    }
    if std::env::args().any(|a| a == "--keep") {
        println!("  kept {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
}

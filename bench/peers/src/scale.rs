//! polc at scale: loading a million assignments, `who can` on a resource with 100,000 holders,
//! and compile time of generated policies of 10,000 to 100,000 lines.

use crate::model::{self, Assignment, Subject};
use crate::rss_kib;
use std::time::Instant;

/// `--scale`: 1,000,000 assignments of the Deeploy workload (100,000 of them on one workspace,
/// `workspace:hot`), loaded from JSON; then `who can view workspace:hot`.
pub fn run(quick: bool) -> Result<(), String> {
    let (total, hot) = if quick {
        (100_000, 10_000)
    } else {
        (1_000_000, 100_000)
    };
    let m = &model::DEEPLOY;
    let mut d = model::generate(m, total - hot, crate::SEED);
    d.entities.push(("workspace", "workspace:hot".into()));
    d.relations.push((
        "workspace:hot".into(),
        "organization",
        "organization:o0".into(),
    ));
    let mut rng = model::Rng::new(7);
    for k in 0..hot {
        let role = *rng.pick(&["owner", "operator", "reviewer", "reviewer"]);
        d.assignments.push(Assignment {
            subject: Subject::Actor(format!("user:h{k}")),
            role,
            on: "workspace:hot".into(),
        });
    }
    let policy = crate::engines::polc_policy(m)?;
    let text = crate::engines::polc_json(&d);
    let n = d.assignments.len();
    drop(d);
    let mut sources = polc::source::SourceMap::new();
    let rss0 = rss_kib();
    let t = Instant::now();
    let facts = polc::facts::Facts::from_json_str(&policy, &mut sources, "data.json", &text)
        .map_err(|e| format!("{e:?}"))?;
    let load = t.elapsed();
    let rss = rss_kib().saturating_sub(rss0);
    println!(
        "loaded {n} assignments ({:.1} MB of JSON) in {:.0} ms; RSS growth {:.1} MiB ({:.0} bytes per assignment, the JSON text kept in the source map included: {:.0} bytes)",
        text.len() as f64 / 1e6,
        load.as_secs_f64() * 1e3,
        rss as f64 / 1024.0,
        (rss as f64 * 1024.0 - text.len() as f64) / n as f64,
        rss as f64 * 1024.0 / n as f64,
    );
    let q = polc::syntax::parse_query(polc::source::FileId(0), "who can view workspace:hot")
        .map_err(|e| format!("{e:?}"))?;
    let ctx = polc::eval::Context::from_facts(&policy, &facts);
    let t = Instant::now();
    let answer = polc::eval::query::run(&policy, &facts, &ctx, &q).map_err(|e| format!("{e:?}"))?;
    let who = t.elapsed();
    println!(
        "who can view workspace:hot: {} actors in {:.0} ms (the {} actors named in the facts each decided)",
        answer.names().len(),
        who.as_secs_f64() * 1e3,
        polc::eval::query::candidates(&policy, &facts).len()
    );
    Ok(())
}

// The generator is shared with the root crate's criterion benchmark `compile_scale`.
#[path = "../../../benches/common/big_policy.rs"]
mod big_policy_gen;
pub use big_policy_gen::big_policy;

/// `--compile-scale`: `compile_sources` (what `polc check` runs) on 10k..100k lines.
pub fn compile_scale(quick: bool) -> Result<(), String> {
    let sizes: &[usize] = if quick {
        &[10_000, 20_000]
    } else {
        &[10_000, 25_000, 50_000, 100_000]
    };
    println!(
        "| lines | resource types | roles | compile (ms) | µs per line |\n|---:|---:|---:|---:|---:|"
    );
    for &lines in sizes {
        let text = big_policy(lines);
        let n = text.lines().count();
        let types = text.matches("\nresource ").count();
        let mut best = f64::MAX;
        for _ in 0..3 {
            let mut sources = polc::source::SourceMap::new();
            sources.add("big.pol", &text);
            let t = Instant::now();
            let c = polc::compile_sources(sources);
            let e = t.elapsed().as_secs_f64();
            if c.has_errors() {
                return Err(format!(
                    "the generated policy does not compile: {:?}",
                    c.diagnostics.first()
                ));
            }
            best = best.min(e);
        }
        println!(
            "| {n} | {types} | {} | {:.0} | {:.2} |",
            types * 10,
            best * 1e3,
            best * 1e6 / n as f64
        );
    }
    Ok(())
}

//! The first page of a search through the reverse index (`polc::eval::index`) on 100,000
//! holders: a subject search on a document with 100,000 viewers, and resource searches for a
//! user who is viewer on 100,000 documents directly, or through one folder that holds them
//! (`from viewer on folder`). The figure is the median time of the first page of 100 results.
//!
//! `CARGO_BUILD_JOBS=1 cargo bench --bench search_index [-- HOLDERS]` (default 100000).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use polc::eval::index::SearchIndex;
use polc::eval::{Context, Entity};
use polc::facts::Facts;
use polc::source::{FileId, SourceMap};
use std::fmt::Write as _;
use std::time::Instant;

const POLICY: &str = r#"
actor user;
resource folder {
  permissions view;
  role viewer { grants view; }
}
resource doc {
  relation folder: folder;
  permissions view;
  role viewer { grants view; from viewer on folder; }
}
"#;

fn median_us(rounds: usize, mut f: impl FnMut() -> usize) -> (f64, usize) {
    let mut times = Vec::with_capacity(rounds);
    let mut n = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        n = std::hint::black_box(f());
        times.push(t.elapsed().as_secs_f64() * 1e6);
    }
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], n)
}

fn main() {
    let holders: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.replace('_', "").parse().ok())
        .unwrap_or(100_000);
    let mut facts = String::with_capacity(holders * 120);
    for i in 0..holders {
        // 100,000 viewers of doc:hot; alice views 100,000 docs; bob views them through a folder.
        let _ = writeln!(facts, "user:u{i} is viewer on doc:hot;");
        let _ = writeln!(facts, "user:alice is viewer on doc:a{i};");
        let _ = writeln!(facts, "doc:b{i}.folder = folder:f;");
    }
    facts.push_str("user:bob is viewer on folder:f;\n");
    let mut sources = SourceMap::new();
    sources.add("policy.pol", POLICY);
    let comp = polc::compile_sources(sources);
    let policy = comp.policy.expect("the policy compiles");
    let fl = polc::syntax::parse_facts(FileId(1), &facts).expect("the facts parse");
    let mut f = Facts::new(&policy);
    polc::facts::pol::load(&policy, &mut f, &fl).expect("the facts load");
    let t = Instant::now();
    let ix = SearchIndex::new(&policy, &f);
    println!(
        "{holders} holders: index built in {:.0} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    let ctx = Context::from_facts(&policy, &f);
    let entity = |ty: &str, id: &str| Entity::new(&policy, &f, ty, id, Default::default()).unwrap();
    let (user, doc) = (
        policy.type_id("user").unwrap(),
        policy.type_id("doc").unwrap(),
    );
    let view = policy.ty(doc).permission("view").unwrap();
    let hot = entity("doc", "hot");
    let (us, n) = median_us(50, || {
        ix.subjects(&policy, &f, &ctx, user, view, &hot, None, 100, None)
            .found
            .len()
    });
    println!("subject search, first page ({n} results) of doc:hot's {holders} viewers: {us:.1} µs");
    for (who, how) in [("alice", "directly"), ("bob", "through one folder")] {
        let s = entity("user", who);
        let (us, n) = median_us(50, || {
            ix.resources(&policy, &f, &ctx, doc, &s, view, None, 100, None)
                .found
                .len()
        });
        println!(
            "resource search, first page ({n} results) of {who}'s {holders} docs ({how}): {us:.1} µs"
        );
        let (us, n) = median_us(50, || {
            ix.resources(&policy, &f, &ctx, doc, &s, view, Some("a5"), 100, None)
                .found
                .len()
        });
        println!("  a page after a key ({n} results): {us:.1} µs");
    }
}

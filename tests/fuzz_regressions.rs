#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Inputs found by fuzzing and by the hostile-input tests (`tests/fuzz_regressions/*`), run
//! through the same entry points as the fuzz targets (`fuzz/fuzz_targets/`): the parser's entry
//! points, the loader's UTF-8 check, the whole check pipeline, JSON facts and requests against
//! fixed policies, and artifact loading. Each must end in a result or diagnostics (rendered, as
//! the binary renders them), never a panic. A new case is a new file.

use polc::compiled::Policy;
use polc::diag::Diagnostic;
use polc::diag::render::{HumanStyle, human};
use polc::eval::{Request, decide, reference, request};
use polc::facts::Facts;
use polc::source::SourceMap;
use std::path::Path;

const DEEPLOY: &str = include_str!("../policies/deeploy/deeploy.pol");
const RICH: &str = include_str!("../fuzz/policies/rich.pol");

/// Renders diagnostics the way the binary does: rendering is an entry point too (a label far out
/// on a long line once panicked inside miette).
fn render(diags: &[Diagnostic], sources: &SourceMap) {
    for d in diags {
        let text = human(d, sources, HumanStyle::plain());
        assert!(!text.is_empty());
    }
}

fn compiled(name: &str, text: &str) -> (Policy, SourceMap) {
    let c = polc::compile_str(name, text);
    (c.policy.unwrap(), c.sources)
}

fn run_one(path: &Path) {
    let bytes = std::fs::read(path).unwrap();
    let mut sources = SourceMap::new();
    if let Err(d) = polc::loader::add_bytes(&mut sources, "input".into(), bytes.clone()) {
        render(&[d], &sources);
    }
    let text = String::from_utf8_lossy(&bytes).into_owned();

    // The parser's entry points.
    let mut sources = SourceMap::new();
    let file = sources.add("input.pol", text.as_str());
    let _ = polc::syntax::tokens::tokenize(&text);
    let (_, diags) = polc::syntax::parse_file(file, &text);
    render(&diags, &sources);
    for r in [
        polc::syntax::parse_query(file, &text).map(|_| ()),
        polc::syntax::parse_assertion(file, &text).map(|_| ()),
    ] {
        if let Err(d) = r {
            render(&[d], &sources);
        }
    }
    if let Err(ds) = polc::syntax::parse_facts(file, &text) {
        assert!(!ds.is_empty());
        render(&ds, &sources);
    }

    // The check pipeline; a policy that compiles goes through its artifact.
    let c = polc::compile_str("input.pol", &text);
    render(&c.diagnostics, &c.sources);
    if let Some(p) = &c.policy {
        let back = Policy::from_json(&p.to_json()).unwrap();
        let _ = polc::compiled::describe(&back);
        let _ = polc::testing::run(p, &c.files, &c.sources, None);
    }

    // JSON facts and requests against fixed policies.
    // deeploy's declarations only: its `test` blocks are not what this is about.
    let deeploy = DEEPLOY.split("\ntest ").next().unwrap();
    for (name, policy_text) in [("deeploy.pol", deeploy), ("rich.pol", RICH)] {
        let (policy, mut sources) = compiled(name, policy_text);
        match Facts::from_json_str(&policy, &mut sources, "data.json", &text) {
            Ok(facts) => {
                if let Ok(req) = Request::new(&policy, &facts, "user:alice", "view", "folder:f") {
                    assert_eq!(
                        decide(&policy, &facts, &req).allowed,
                        reference::decide(&policy, &facts, &req)
                    );
                }
            }
            Err(ds) => {
                assert!(!ds.is_empty());
                render(&ds, &sources);
            }
        }
        let facts = Facts::new(&policy);
        let file = sources.add("request.json", text.as_str());
        match request::from_json(&policy, &facts, file, &text) {
            Ok(req) => {
                let d = decide(&policy, &facts, &req);
                assert_eq!(d.allowed, reference::decide(&policy, &facts, &req));
            }
            Err(d) => render(&[d], &sources),
        }
    }

    // Artifact loading.
    if let Ok(p) = Policy::from_json(&text) {
        let _ = polc::compiled::describe(&p);
        let mut sources = SourceMap::new();
        if let Ok(facts) = Facts::from_pol_str(&p, &mut sources, "d.pol", "") {
            let _ = facts.entity_count();
        }
    }
}

#[test]
fn every_regression_input_ends_in_a_result_or_a_diagnostic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for f in files {
        let name = f.display().to_string();
        let result = std::panic::catch_unwind(|| run_one(&f));
        assert!(result.is_ok(), "{name} panicked");
    }
}

//! Cedar's published example applications, translated into Pol by hand
//! (`tests/fixtures/cedar/*.pol`, one per example folder of cedar-policy/cedar-examples),
//! with a `test` block asserting each example request's expected decision.
//! Every file must compile without any diagnostic and all its tests must pass.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use polc::source::SourceMap;

/// Each translation and the number of assertions its tests hold (the example's requests,
/// plus a few denials some files add), so that a lost assertion is noticed.
const EXAMPLES: &[(&str, usize)] = &[
    ("document_cloud", 5),
    ("git_app", 10),
    ("github_example", 11),
    ("hotel_chains", 6),
    ("photo_app", 16),
    ("sales_orgs", 6),
    ("streaming_service", 8),
    ("tags_n_roles", 3),
    ("tax_preparer", 6),
    ("tinytodo", 32),
];

fn compile(name: &str, text: &str) -> polc::Compilation {
    let mut sources = SourceMap::new();
    sources.add(format!("{name}.pol"), text);
    polc::compile_sources(sources)
}

fn read(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/cedar/{name}.pol",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn run(name: &str, text: &str) -> polc::testing::Report {
    let comp = compile(name, text);
    let codes: Vec<_> = comp
        .diagnostics
        .iter()
        .map(|d| d.code.as_str().to_string())
        .collect();
    assert!(
        codes.is_empty(),
        "{name}: {codes:?}: {:?}",
        comp.diagnostics
    );
    let policy = comp.policy.as_ref().expect("a policy");
    polc::testing::run(policy, &comp.files, &comp.sources, None)
}

#[test]
fn every_cedar_example_request_is_decided_as_cedar_decides_it() {
    for &(name, assertions) in EXAMPLES {
        let report = run(name, &read(name));
        assert!(!report.tests.is_empty(), "{name}: no tests");
        for t in &report.tests {
            assert!(
                t.passed(),
                "{name}: test {:?} failed: {:?}",
                t.name,
                t.failures
            );
        }
        let total: usize = report.tests.iter().map(|t| t.assertions).sum();
        assert_eq!(total, assertions, "{name}: assertions");
    }
}

#[test]
fn the_translations_decide_both_ways() {
    // Turning every expected allow into a deny makes each file fail: the assertions are
    // decided by the policy, not vacuously true.
    for &(name, _) in EXAMPLES {
        let flipped = read(name).replace("assert can ", "assert cannot ");
        let report = run(name, &flipped);
        assert!(
            report.failed() > 0,
            "{name}: no allow assertion failed once flipped"
        );
    }
}

#[test]
fn the_example_folder_holds_only_listed_translations() {
    let dir = format!("{}/tests/fixtures/cedar", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|n| n.strip_suffix(".pol").map(str::to_string))
        .collect();
    names.sort();
    let listed: Vec<&str> = EXAMPLES.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, listed);
}

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The parse stage: fixtures, precedence, facts, queries, assertions, diagnostics, limits.

use polc::diag::{Code, Diagnostic};
use polc::source::FileId;
use polc::syntax::ast::*;
use polc::syntax::{parse_assertion, parse_facts, parse_file, parse_query};

const F: FileId = FileId(0);

fn parse_ok(text: &str) -> File {
    let (file, diags) = parse_file(F, text);
    assert!(
        diags.is_empty(),
        "unexpected diagnostics for {text:?}: {diags:#?}"
    );
    file
}

fn parse_err(text: &str) -> (File, Vec<Diagnostic>) {
    let (file, diags) = parse_file(F, text);
    assert!(!diags.is_empty(), "expected a diagnostic for {text:?}");
    (file, diags)
}

#[test]
fn every_ok_fixture_parses_without_diagnostics() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ok");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "pol") {
            let text = std::fs::read_to_string(&path).unwrap();
            let (file, diags) = parse_file(F, &text);
            assert!(diags.is_empty(), "{}: {diags:#?}", path.display());
            assert!(!file.items.is_empty(), "{}: no items", path.display());
            count += 1;
        }
    }
    assert!(count >= 3, "fixtures missing: found {count}");
}

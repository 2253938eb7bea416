//! Every code in the registry is documented and has a fixture (Ruff's `codes.rs` discipline:
//! a code without either falls out of use).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use polc::diag::Code;
use std::path::Path;

const SECTIONS: [&str; 4] = [
    "## What it means",
    "## Why it matters",
    "## Example",
    "## How to fix",
];

#[test]
fn every_code_has_a_complete_explanation() {
    let mut problems = Vec::new();
    for code in Code::ALL {
        let text = code.explanation();
        let title = format!("# {}: {}\n", code.as_str(), code.summary());
        if !text.starts_with(&title) {
            problems.push(format!(
                "{}: the first line must be `{}`",
                code.as_str(),
                title.trim_end()
            ));
        }
        let mut last = 0;
        for section in SECTIONS {
            match text.find(section) {
                Some(at) if at >= last => last = at,
                Some(_) => problems.push(format!("{}: `{section}` is out of order", code.as_str())),
                None => problems.push(format!("{}: no `{section}` section", code.as_str())),
            }
        }
        let example = text.split("## Example").nth(1).unwrap_or("");
        if !example.contains("```pol\n") {
            problems.push(format!(
                "{}: the example has no ```pol snippet",
                code.as_str()
            ));
        }
        let fix = text.split("## How to fix").nth(1).unwrap_or("");
        if !fix.contains("```pol\n") {
            problems.push(format!("{}: the fix has no ```pol snippet", code.as_str()));
        }
    }
    assert!(
        problems.is_empty(),
        "incomplete explanations:\n{}",
        problems.join("\n")
    );
}

/// `X.data.pol` and `X.data.json` are the data of fixture `X.pol` (tests/fixtures.rs), and
/// `X.artifact.json` and `X.verify.pem` its compiled artifact and verifying key: not fixtures of
/// their own.
fn is_companion_data(name: &str) -> bool {
    COMPANIONS.iter().any(|c| name.ends_with(c))
}

const COMPANIONS: [&str; 6] = [
    ".data.pol",
    ".data.json",
    ".request.json",
    ".transaction.json",
    ".artifact.json",
    ".verify.pem",
];

#[test]
fn every_code_has_a_fixture() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/err");
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".pol") && !is_companion_data(n))
        .collect();
    let missing: Vec<&str> = Code::ALL
        .iter()
        // E0001 (nothing could be read) cannot be a file: tests/cli.rs checks it instead.
        .filter(|c| **c != Code::E0001)
        // E0801 and E0802 are the server's answers at run time (a request past the time limit,
        // a page token of another revision): tests/serve_limits.rs checks them.
        .filter(|c| !matches!(**c, Code::E0801 | Code::E0802))
        // E0606 to E0610 are about the store itself (a URL, a backend not built, a database that
        // fails, a schema, a revision a server did not reach): tests/store_sqlite.rs,
        // tests/store_cli.rs and tests/serve_store.rs check them. E0620, E0621, E0622 and W0610 are
        // PostgreSQL's (a URL its client cannot read, a server not there, TLS files that cannot
        // be used, no LISTEN; W0611, a database not verified, by the unit test of
        // src/store/postgres/tls.rs and tests/store_postgres_tls.rs):
        // tests/store_postgres.rs, tests/serve_postgres.rs and tests/store_cli.rs.
        .filter(|c| {
            !matches!(
                **c,
                Code::E0606
                    | Code::E0607
                    | Code::E0608
                    | Code::E0609
                    | Code::E0610
                    | Code::E0620
                    | Code::E0621
                    | Code::E0622
                    | Code::W0610
                    | Code::W0611
            )
        })
        .map(|c| c.as_str())
        .filter(|c| !names.iter().any(|n| n.starts_with(&format!("{c}_"))))
        .collect();
    assert!(
        missing.is_empty(),
        "codes without a fixture in tests/fixtures/err/: {}",
        missing.join(", ")
    );
}

#[test]
fn every_fixture_is_named_after_a_code() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/err");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let code = name.split('_').next().unwrap_or("");
        assert!(
            Code::parse(code).is_some(),
            "`{name}` does not start with a diagnostic code and `_`"
        );
        assert!(
            name.ends_with(".pol") || is_companion_data(&name),
            "`{name}` is neither a `.pol` fixture nor a companion ({})",
            COMPANIONS.join(", ")
        );
        if is_companion_data(&name) {
            let policy = COMPANIONS
                .iter()
                .fold(name.as_str(), |n, c| n.trim_end_matches(c));
            assert!(
                dir.join(format!("{policy}.pol")).exists(),
                "`{name}` is data for `{policy}.pol`, which does not exist"
            );
        }
    }
}

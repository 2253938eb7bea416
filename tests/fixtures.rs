//! Snapshot tests over `tests/fixtures/`: a new case is a new file.
//!
//! - `err/CODE_description.pol` must report `CODE`; the snapshot shows the source and every
//!   rendered diagnostic together (`snapshots/err_fixtures@CODE_description.pol.snap`).
//! - `ok/*.pol` must compile without any error or warning.
//!
//! These need the parser and the resolver: review new snapshots with `cargo insta review`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use polc::diag::Diagnostic;
use polc::diag::render::{self, HumanStyle};
use polc::source::SourceMap;
use std::path::Path;
use std::process::Command;

/// Compiles one fixture alone, named by its path relative to the repository so that snapshots
/// do not depend on where the repository is. The file is read as bytes through the loader, so
/// a non-UTF-8 fixture reports E0002 like any other input.
fn compile(path: &Path) -> (String, SourceMap, Vec<Diagnostic>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let name = path
        .strip_prefix(root)
        .unwrap()
        .to_string_lossy()
        .replace('\\', "/");
    let bytes = std::fs::read(path).unwrap();
    let shown = String::from_utf8_lossy(&bytes).into_owned();
    let mut sources = SourceMap::new();
    match polc::loader::add_bytes(&mut sources, name, bytes) {
        Ok(_) => {
            let compilation = polc::compile_sources(sources);
            (shown, compilation.sources, compilation.diagnostics)
        }
        Err(d) => (shown, sources, vec![d]),
    }
}

fn rendered(diags: &[Diagnostic], sources: &SourceMap) -> String {
    diags
        .iter()
        .map(|d| render::human(d, sources, HumanStyle::plain()))
        .collect()
}

#[test]
fn err_fixtures() {
    // Collected rather than asserted one by one, so that one run lists every fixture whose
    // code is missing (and still writes every snapshot for review).
    let mut missing = Vec::new();
    insta::glob!("fixtures/err/*.pol", |path| {
        let (source, sources, diags) = compile(path);
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let expected = file.split('_').next().unwrap().to_string();
        let codes: Vec<&str> = diags.iter().map(|d| d.code.as_str()).collect();
        if !codes.contains(&expected.as_str()) {
            missing.push(format!("{file}: expected {expected}, got {codes:?}"));
        }
        let snapshot = format!(
            "----- SOURCE CODE\n{source}\n----- DIAGNOSTICS\n{}",
            rendered(&diags, &sources)
        );
        insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(snapshot);
        });
    });
    assert!(
        missing.is_empty(),
        "fixtures that do not report their code:\n{}",
        missing.join("\n")
    );
}

#[test]
fn ok_fixtures() {
    let mut unclean = Vec::new();
    insta::glob!("fixtures/ok/*.pol", |path| {
        let (_, sources, diags) = compile(path);
        if !diags.is_empty() {
            unclean.push(format!(
                "{}:\n{}",
                path.display(),
                rendered(&diags, &sources)
            ));
        }
    });
    assert!(
        unclean.is_empty(),
        "ok/ fixtures with diagnostics:\n{}",
        unclean.join("\n")
    );
}

fn polc(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

// The CLI on fixtures that only fail once the parser and resolver report them.

#[test]
fn check_exits_1_on_a_policy_with_errors() {
    let o = polc(&[
        "check",
        "--format",
        "github",
        "tests/fixtures/err/E0202_unknown_role_in_includes.pol",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("::error file=tests/fixtures/err/E0202_unknown_role_in_includes.pol,line="),
        "{out}"
    );
}

#[test]
fn deny_warnings_turns_warnings_into_exit_1() {
    let file = "tests/fixtures/err/W0107_name_not_snake_case.pol";
    let o = polc(&["check", file]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.ends_with("checked 1 file: 0 errors, 1 warning\n"),
        "{out}"
    );
    assert_eq!(
        polc(&["check", "--deny-warnings", file]).status.code(),
        Some(1)
    );
}

#[test]
fn the_ok_fixtures_pass_check_with_deny_warnings() {
    let o = polc(&["check", "--deny-warnings", "tests/fixtures/ok"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
}

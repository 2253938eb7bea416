//! The CI recipes shipped in the repository run: every `polc` command of the pre-commit hooks
//! (`.pre-commit-hooks.yaml`) and of the GitHub Actions example (`examples/ci/`) is run here
//! against the shipped policies, and must pass.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

/// The values of `key:` lines (YAML scalars on one line, as both files write them).
fn values<'a>(text: &'a str, key: &str) -> Vec<&'a str> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim_start().trim_start_matches("- ");
            l.strip_prefix(key)?.strip_prefix(':').map(str::trim)
        })
        .collect()
}

/// Runs a `polc ...` command line with the binary under test, from the repository root.
fn run(line: &str, extra: &[&str]) {
    let mut words = line.split_whitespace();
    assert_eq!(words.next(), Some("polc"), "{line}");
    let args: Vec<&str> = words.chain(extra.iter().copied()).collect();
    let out = Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(&args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "`{line}` {extra:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_pre_commit_hooks_pass_on_the_shipped_policies() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    let entries = values(&text, "entry");
    assert_eq!(entries.len(), 3, "{entries:?}");
    for e in entries {
        // pre-commit runs the entry in the repository; a repository of policies keeps them
        // below its root, as `policies/` is here.
        run(e, &["policies/"]);
    }
}

#[test]
fn the_github_workflow_commands_pass_on_the_shipped_policies() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/ci/github-workflow.yml"),
    )
    .unwrap();
    let polc_lines: Vec<&str> = values(&text, "run")
        .into_iter()
        .filter(|l| l.starts_with("polc "))
        .collect();
    assert_eq!(polc_lines.len(), 3, "{polc_lines:?}");
    for l in polc_lines {
        run(l, &[]);
    }
}

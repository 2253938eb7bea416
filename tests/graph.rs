#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `polc graph`: the dot text of the language's complete example (snapshot), the Mermaid text,
//! and Graphviz accepting the output (skipped when `dot` is not installed).

use polc::tools::graph::{GraphFormat, render};
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn policy(paths: &[&str]) -> polc::compiled::Policy {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let paths: Vec<PathBuf> = paths.iter().map(|p| root.join(p)).collect();
    polc::load_policy(&paths).unwrap().policy
}

const EXAMPLE: &str = "tests/fixtures/ok/language_complete_example.pol";

#[test]
fn the_complete_example_as_dot() {
    let dot = render(&policy(&[EXAMPLE]), GraphFormat::Dot, None).unwrap();
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("graph_complete_example_dot", dot);
    });
}

#[test]
fn the_complete_example_as_mermaid_restricted_to_workspace() {
    let m = render(&policy(&[EXAMPLE]), GraphFormat::Mermaid, Some("workspace")).unwrap();
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("graph_complete_example_workspace_mermaid", m);
    });
}

#[test]
fn an_unknown_resource_type_is_an_error() {
    let e = render(&policy(&[EXAMPLE]), GraphFormat::Dot, Some("nope")).unwrap_err();
    assert!(e.contains("`nope`"), "{e}");
}

#[test]
fn graphviz_accepts_the_output() {
    if Command::new("dot").arg("-V").output().is_err() {
        eprintln!("note: Graphviz `dot` is not installed: skipping graphviz_accepts_the_output");
        return;
    }
    let cases = [
        (vec![EXAMPLE], None),
        (vec!["policies/deeploy"], None),
        (vec!["policies/deeploy"], Some("workspace")),
        (vec!["policies/laradep"], None),
        (vec!["policies/lazsa"], None),
    ];
    for (paths, resource) in cases {
        let text = render(&policy(&paths), GraphFormat::Dot, resource).unwrap();
        let mut child = Command::new("dot")
            .arg("-Tsvg")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "dot rejected the graph of {paths:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("<svg"));
    }
}

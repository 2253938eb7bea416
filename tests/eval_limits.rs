//! Limits instead of crashes: very long relation chains and group nesting end in an error that
//! denies, never a stack overflow or an endless walk.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use polc::eval::{Request, decide};
use polc::facts::Facts;

const POLICY: &str = r#"
actor user;
resource team {
  role member;
}
resource folder {
  relation parent: folder;
  relation teams: [team];
  permissions view;
  role viewer { grants view; from viewer on parent; from member on teams; }
}
"#;

fn setup(data: &str) -> (polc::compiled::Policy, Facts) {
    let c = polc::compile_str("policy.pol", POLICY);
    assert!(!c.has_errors(), "{:?}", c.diagnostics);
    let policy = c.policy.unwrap();
    let mut sources = c.sources;
    let facts = Facts::from_pol_str(&policy, &mut sources, "data.pol", data).unwrap();
    (policy, facts)
}

fn folder_chain(n: usize) -> String {
    let mut data = String::from("user:alice is viewer on folder:f0;\n");
    for i in 1..n {
        data.push_str(&format!("folder:f{i}.parent = folder:f{};\n", i - 1));
    }
    data
}

#[test]
fn a_chain_within_the_depth_limit_grants() {
    let (policy, facts) = setup(&folder_chain(100));
    let req = Request::new(&policy, &facts, "user:alice", "view", "folder:f99").unwrap();
    let d = decide(&policy, &facts, &req);
    assert!(d.allowed, "{d:?}");
    assert!(d.errors.is_empty());
}

#[test]
fn a_chain_past_the_depth_limit_denies_with_an_error() {
    let (policy, facts) = setup(&folder_chain(5_000));
    let req = Request::new(&policy, &facts, "user:alice", "view", "folder:f4999").unwrap();
    let d = decide(&policy, &facts, &req);
    assert!(!d.allowed);
    assert!(
        d.errors.iter().any(|e| e.contains("nests too deeply")),
        "{:?}",
        d.errors
    );
}

#[test]
fn deeply_nested_groups_deny_with_an_error() {
    let mut data =
        String::from("user:alice is member on team:t0;\nfolder:f.teams = [team:t4999];\n");
    for i in 1..5_000 {
        data.push_str(&format!("team:t{}#member is member on team:t{i};\n", i - 1));
    }
    let (policy, facts) = setup(&data);
    let req = Request::new(&policy, &facts, "user:alice", "view", "folder:f").unwrap();
    let d = decide(&policy, &facts, &req);
    assert!(!d.allowed);
    assert!(!d.errors.is_empty());
}

#[test]
fn a_wide_diamond_of_groups_is_decided_without_exploring_every_path() {
    // Every team of a layer is a member of every team of the next: the paths multiply, the
    // failures are remembered, so the walk stays linear and needs no limit.
    let mut data = String::from("folder:f.teams = [team:l19_0];\n");
    for layer in 1..20 {
        for a in 0..4 {
            for b in 0..4 {
                data.push_str(&format!(
                    "team:l{}_{a}#member is member on team:l{layer}_{b};\n",
                    layer - 1
                ));
            }
        }
    }
    let (policy, facts) = setup(&data);
    let req = Request::new(&policy, &facts, "user:nobody", "view", "folder:f").unwrap();
    let d = decide(&policy, &facts, &req);
    assert!(!d.allowed);
    assert!(d.errors.is_empty(), "{:?}", d.errors);
}

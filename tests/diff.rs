#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `polc diff` over `tests/fixtures/diff/NAME/{old,new}.pol` (and `data.json` when present):
//! a snapshot of the human and JSON output per fixture; exit statuses of `diff` and `fmt`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn polc(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap()
}

fn diff_of(dir: &Path) -> polc::tools::diff::PolicyDiff {
    let mut old = polc::load_policy(&[dir.join("old.pol")]).unwrap();
    let mut new = polc::load_policy(&[dir.join("new.pol")]).unwrap();
    let data = dir.join("data.json");
    if data.exists() {
        let a = polc::facts::load_data(&old.policy, &mut old.sources, &data).unwrap();
        let b = polc::facts::load_data(&new.policy, &mut new.sources, &data).unwrap();
        polc::tools::diff::diff(&old.policy, &new.policy, Some((&a, &b)))
    } else {
        polc::tools::diff::diff(&old.policy, &new.policy, None)
    }
}

#[test]
fn diff_fixtures() {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join("tests/fixtures/diff"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 3);
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let d = diff_of(&dir);
        let text = format!(
            "----- HUMAN\n{}----- JSON\n{}\n",
            d.render(),
            serde_json::to_string_pretty(&d.to_json()).unwrap()
        );
        insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(format!("diff_{name}"), text);
        });
    }
}

#[test]
fn a_policy_diffed_with_itself_has_no_difference() {
    let p = polc::load_policy(&[root().join("policies").join("lazsa")])
        .unwrap()
        .policy;
    let d = polc::tools::diff::diff(&p, &p, None);
    assert!(d.is_empty(), "{}", d.render());
}

#[test]
fn fail_on_widen_exits_1_only_when_access_widens() {
    let run = |name: &str| {
        let old = format!("tests/fixtures/diff/{name}/old.pol");
        let new = format!("tests/fixtures/diff/{name}/new.pol");
        polc(&["diff", &old, &new, "--fail-on-widen"]).status.code()
    };
    assert_eq!(run("widen"), Some(1));
    assert_eq!(run("narrow"), Some(0));
    assert_eq!(run("layout_only"), Some(0));
    // Without the flag, a widening diff is no failure.
    let o = polc(&[
        "diff",
        "tests/fixtures/diff/widen/old.pol",
        "tests/fixtures/diff/widen/new.pol",
    ]);
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn fmt_check_lists_unformatted_files_and_exits_1() {
    let dir = std::env::temp_dir().join(format!("polc-fmt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ugly = dir.join("ugly.pol");
    let broken = dir.join("broken.pol");
    std::fs::write(
        &ugly,
        "actor   user;\nresource doc {permissions read; role r {grants read;}}\n",
    )
    .unwrap();
    let d = dir.to_string_lossy().into_owned();
    let o = polc(&["fmt", "--check", &d]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("ugly.pol"));
    let o = polc(&["fmt", &d]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(&ugly).unwrap(),
        "actor user;\nresource doc {\n  permissions read;\n  role r { grants read; }\n}\n"
    );
    assert_eq!(polc(&["fmt", "--check", &d]).status.code(), Some(0));
    std::fs::write(&broken, "resource doc { role }\n").unwrap();
    let o = polc(&["fmt", &d]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(&broken).unwrap(),
        "resource doc { role }\n"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

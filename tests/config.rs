//! `polc.toml` and inline allows (issue 13.8): per-code levels, paths and excludes, the file
//! found above the current folder, bad files refused; `// polc: allow CODE`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `Viewer` is not snake_case: one W0107.
const POLICY: &str =
    "actor user;\n\nresource doc {\n  permissions view;\n  role Viewer { grants view; }\n}\n";

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("polc_config_{name}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(d.join("policies")).unwrap();
    std::fs::write(d.join("policies/p.pol"), POLICY).unwrap();
    d
}

fn check(cwd: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(["check", "--color", "never"])
        .args(extra)
        .current_dir(cwd)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
}

#[test]
fn without_a_file_the_warning_is_a_warning() {
    let d = temp("none");
    let o = check(&d, &["policies"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("W0107"), "{}", text(&o));
}

#[test]
fn a_code_set_off_is_not_reported() {
    let d = temp("off");
    std::fs::write(d.join("polc.toml"), "[severity]\nW0107 = \"off\"\n").unwrap();
    let o = check(&d, &["policies"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(!text(&o).contains("W0107"), "{}", text(&o));
    assert!(text(&o).contains("0 errors, 0 warnings"), "{}", text(&o));
}

#[test]
fn a_code_set_to_error_fails_the_check_in_every_format() {
    let d = temp("error");
    std::fs::write(d.join("polc.toml"), "[severity]\nW0107 = \"error\"\n").unwrap();
    let o = check(&d, &["policies"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("1 error, 0 warnings"), "{}", text(&o));
    let o = check(&d, &["policies", "--format", "json"]);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["diagnostics"][0]["severity"], "error", "{j}");
}

#[test]
fn the_file_is_found_above_and_gives_paths_and_excludes() {
    let d = temp("above");
    std::fs::create_dir_all(d.join("policies/legacy")).unwrap();
    std::fs::write(d.join("policies/legacy/broken.pol"), "not pol").unwrap();
    std::fs::write(
        d.join("polc.toml"),
        "paths = [\"policies\"]\nexclude = [\"legacy/\"]\n[severity]\nW0107 = \"off\"\n",
    )
    .unwrap();
    let o = check(&d, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("checked 1 file: 0 errors, 0 warnings"),
        "{}",
        text(&o)
    );
    // From a folder below, the same file applies.
    let o = check(&d.join("policies"), &["."]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("checked 1 file: 0 errors, 0 warnings"),
        "{}",
        text(&o)
    );
}

#[test]
fn a_bad_configuration_is_refused_with_exit_2() {
    for (toml, says) in [
        (
            "[severity]\nW0107 = \"loud\"\n",
            "the level is `off`, `warning` or `error`",
        ),
        (
            "[severity]\nE0202 = \"off\"\n",
            "only warnings (W codes) can be configured",
        ),
        (
            "[severity]\nX9 = \"off\"\n",
            "`X9` is not a diagnostic code",
        ),
        ("pathz = []\n", "not a valid configuration"),
        ("paths = [\n", "not a valid configuration"),
    ] {
        let d = temp("bad");
        std::fs::write(d.join("polc.toml"), toml).unwrap();
        let o = check(&d, &["policies"]);
        assert_eq!(o.status.code(), Some(2), "{toml}: {}", text(&o));
        assert!(text(&o).contains(says), "{toml}: {}", text(&o));
    }
}

#[test]
fn an_inline_allow_on_the_line_or_the_comment_above_drops_the_warning() {
    let d = temp("inline");
    let same = POLICY.replace(
        "role Viewer { grants view; }",
        "role Viewer { grants view; } // polc: allow W0107",
    );
    std::fs::write(d.join("policies/p.pol"), same).unwrap();
    let o = check(&d, &["policies"]);
    assert!(text(&o).contains("0 errors, 0 warnings"), "{}", text(&o));
    let above = POLICY.replace(
        "  role Viewer",
        "  // the name the old API used\n  // polc: allow W0103, W0107\n  role Viewer",
    );
    std::fs::write(d.join("policies/p.pol"), above).unwrap();
    let o = check(&d, &["policies"]);
    assert!(text(&o).contains("0 errors, 0 warnings"), "{}", text(&o));
    // Another code, or a comment separated by code, does not allow it.
    let other = POLICY.replace(
        "  role Viewer",
        "  // polc: allow W0107\n  permissions edit;\n  role Viewer",
    );
    std::fs::write(d.join("policies/p.pol"), other).unwrap();
    let o = check(&d, &["policies"]);
    assert!(text(&o).contains("W0107"), "{}", text(&o));
    let wrong = POLICY.replace("grants view; }", "grants view; } // polc: allow W0103");
    std::fs::write(d.join("policies/p.pol"), wrong).unwrap();
    let o = check(&d, &["policies"]);
    assert!(text(&o).contains("W0107"), "{}", text(&o));
}

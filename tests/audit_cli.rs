//! `polc audit escalation` as a user runs it: exit statuses and every diagnostic format, over
//! small policies with known escalation paths (direct, chained, across scopes) and clean ones,
//! and the seed models; the help of every audit command.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Output};

fn polc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("the polc binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A policy in a temporary file, removed when dropped.
struct Temp(std::path::PathBuf);

impl Temp {
    fn new(name: &str, text: &str) -> Temp {
        let dir =
            std::env::temp_dir().join(format!("polc-audit-cli-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("p.pol");
        std::fs::write(&p, text).unwrap();
        Temp(p)
    }
    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        if let Some(d) = self.0.parent() {
            std::fs::remove_dir_all(d).ok();
        }
    }
}

fn codes(path: &str) -> Vec<String> {
    let o = polc(&["audit", "escalation", path, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect()
}

const CLEAN: &str = "actor user;
resource workspace {
  permissions view, deploy, delete;
  permissions manage_members assigns operator, viewer;
  role owner { includes operator; grants delete, manage_members; }
  role operator { includes viewer; grants deploy; }
  role viewer { grants view; }
}
";

#[test]
fn a_clean_policy_exits_0_with_no_finding_in_every_format() {
    let p = Temp::new("clean", CLEAN);
    let o = polc(&["audit", "escalation", p.path()]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert_eq!(stdout(&o), "audit escalation: 0 findings\n");
    assert_eq!(codes(p.path()), Vec::<String>::new());
    let o = polc(&["audit", "escalation", p.path(), "--format", "github"]);
    assert_eq!((o.status.code(), stdout(&o).as_str()), (Some(0), ""));
    let o = polc(&["audit", "escalation", p.path(), "--format", "sarif"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["runs"][0]["results"], serde_json::json!([]));
}

#[test]
fn a_planted_direct_path_exits_1_and_names_the_path() {
    let p = Temp::new(
        "direct",
        &CLEAN
            .replace(
                "assigns operator, viewer",
                "assigns owner, operator, viewer",
            )
            .replace("grants delete, manage_members", "grants delete")
            .replace("grants deploy;", "grants deploy, manage_members;"),
    );
    let o = polc(&["audit", "escalation", p.path()]);
    assert_eq!(o.status.code(), Some(1));
    let text = stdout(&o);
    assert!(text.contains("W0701"), "{text}");
    assert!(text.ends_with("audit escalation: 1 finding\n"), "{text}");
    // The human report wraps; one GitHub annotation is one line.
    let o = polc(&["audit", "escalation", p.path(), "--format", "github"]);
    let text = stdout(&o);
    assert!(
        text.contains("`operator` on `workspace` -> `manage_members` assigns `owner` on `workspace` -> gains `delete on workspace`"),
        "{text}"
    );
}

#[test]
fn a_planted_chain_is_w0702_with_its_assignments() {
    let chain = "actor user;
resource project {
  permissions read, write, admin_all;
  permissions invite assigns member;
  permissions promote assigns maintainer;
  role owner { includes maintainer; grants admin_all; }
  role maintainer { includes member; grants write; }
  role member { grants read, promote; }
  role guest { grants read, invite; }
}
";
    let p = Temp::new("chain", chain);
    let got = codes(p.path());
    assert!(got.contains(&"W0702".to_string()), "{got:?}");
    let o = polc(&["audit", "escalation", p.path(), "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let chained = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "W0702")
        .unwrap();
    let msg = chained["message"].as_str().unwrap();
    assert!(
        msg.starts_with("`guest` on `project` can reach `maintainer` through 2 assignments: `guest` on `project` -> `invite` assigns `member` on `project` -> `promote` assigns `maintainer`"),
        "{msg}"
    );
}

#[test]
fn the_fixtures_of_each_code_show_that_code() {
    for (file, code) in [
        ("W0701_assigns_bigger_role.pol", "W0701"),
        ("W0702_chain_of_assignments.pol", "W0702"),
        ("W0703_broader_scope.pol", "W0703"),
        ("W0704_elevated_role_assignable.pol", "W0704"),
    ] {
        let got = codes(&format!("tests/fixtures/err/{file}"));
        assert!(got.contains(&code.to_string()), "{file}: {got:?}");
    }
}

#[test]
fn github_and_sarif_carry_the_code_and_the_place() {
    let f = "tests/fixtures/err/W0703_broader_scope.pol";
    let o = polc(&["audit", "escalation", f, "--format", "github"]);
    assert_eq!(o.status.code(), Some(1));
    let line = stdout(&o);
    assert!(
        line.starts_with(&format!("::warning file={f},line=15,col=8,")),
        "{line}"
    );
    assert!(line.contains("title=polc%3A%3AW0703::"), "{line}");
    let o = polc(&["audit", "escalation", f, "--format", "sarif"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let r = &v["runs"][0]["results"][0];
    assert_eq!(r["ruleId"], "W0703");
    assert_eq!(
        r["locations"][0]["physicalLocation"]["region"]["startLine"],
        15
    );
}

#[test]
fn the_seed_models() {
    assert_eq!(codes("policies/deeploy"), Vec::<String>::new());
    assert_eq!(codes("policies/laradep"), Vec::<String>::new());
    assert_eq!(codes("policies/lazsa"), vec!["W0701"; 5]);
}

#[test]
fn errors_and_usage() {
    // A policy with errors is reported as such, exit 1.
    let p = Temp::new(
        "broken",
        "actor user;\nresource r { permissions p assigns nope; }\n",
    );
    let o = polc(&["audit", "escalation", p.path()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("E0202") || String::from_utf8_lossy(&o.stderr).contains("E0202"));
    // An unreadable path is 2.
    let o = polc(&["audit", "escalation", "tests/fixtures/no_such.pol"]);
    assert_eq!(o.status.code(), Some(2));
    // Every audit command has its help, with examples.
    for cmd in ["escalation", "access", "blast-radius"] {
        let o = polc(&["audit", cmd, "--help"]);
        assert_eq!(o.status.code(), Some(0));
        assert!(stdout(&o).contains("Examples:"), "{cmd}");
    }
}

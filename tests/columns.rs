//! One column for one diagnostic (issue 13.6): human, json, github and sarif output all count
//! characters, on a line with a tab and accents before the diagnostic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

const POLICY: &str = "actor user;\n\nresource doc {\n  attribute title: string;\n  permissions view;\n  role viewer { grants view; }\n\tforbid view when resource.title == \"éàü\" && resource.nope;\n}\n";

fn check(dir: &std::path::Path, format: &str) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(["check", "--color", "never", "--format", format, "uni.pol"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn every_format_names_the_same_character_column() {
    let dir = std::env::temp_dir().join(format!("polc_columns_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("uni.pol"), POLICY).unwrap();
    let line = POLICY.lines().nth(6).unwrap();
    let at = line.find("nope").unwrap();
    let column = line[..at].chars().count() + 1;
    assert_ne!(
        column,
        at + 1,
        "the line must hold multi-byte characters before the error"
    );

    let human = check(&dir, "human");
    assert!(human.contains(&format!("uni.pol:7:{column}]")), "{human}");

    let json: serde_json::Value = serde_json::from_str(&check(&dir, "json")).unwrap();
    let d = &json["diagnostics"][0];
    assert_eq!(d["line"], 7);
    assert_eq!(d["column"], column);

    let github = check(&dir, "github");
    assert!(
        github.contains(&format!("line=7,col={column},")),
        "{github}"
    );

    let sarif: serde_json::Value = serde_json::from_str(&check(&dir, "sarif")).unwrap();
    let region = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startLine"], 7, "{sarif}");
    assert_eq!(region["startColumn"], column, "{sarif}");
}

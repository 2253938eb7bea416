//! `polc facts import|export|write --store URL` through the real binary.
#![cfg(feature = "sqlite")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const POLICY: &str = r#"
actor user;

resource org {
  relation parent: org;
  attribute tier: "free" | "paid";
  attribute limits: { seats: int, until?: time };
  permissions manage, view;
  role admin { includes member; grants manage; min 1; }
  role member { grants view; }
}

resource team {
  relation orgs: [org];
  permissions see;
  role member { grants see; }
}
"#;

const DATA: &str = r#"{
  "assignments": [
    {"actor": "user:ann", "role": "admin", "on": "org:acme"},
    {"actor": "user:bob", "role": "member", "on": "org:acme", "until": "2027-01-01T00:00:00Z"},
    {"actor": "team:core#member", "role": "member", "on": "org:acme"},
    {"actor": "user:*", "role": "member", "on": "org:public"},
    {"actor": "user:ann", "role": "admin", "on": "org:public"},
    {"actor": "user:cy", "role": "member", "on": "team:core"}
  ],
  "relations": [
    {"from": "org:acme", "relation": "parent", "to": "org:holding"},
    {"from": "team:core", "relation": "orgs", "to": "org:acme"},
    {"from": "team:core", "relation": "orgs", "to": "org:public"}
  ],
  "attributes": {"org:acme": {"tier": "paid", "limits": {"seats": 10, "until": "2027-01-01T00:00:00Z"}}}
}"#;

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("polc-store-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("policy.pol"), POLICY).unwrap();
    std::fs::write(d.join("data.json"), DATA).unwrap();
    d
}

fn polc(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = c.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(input);
    c.wait_with_output().unwrap()
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "status {:?}\nstdout: {}\nstderr: {}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn export(d: &Path, store: &str) -> serde_json::Value {
    serde_json::from_str(&ok(&polc(d, &["facts", "export", "--store", store], None))).unwrap()
}

#[test]
fn import_then_export_round_trips() {
    let d = dir("roundtrip");
    let out = ok(&polc(
        &d,
        &[
            "facts",
            "import",
            "data.json",
            "--store",
            "sqlite:a.db",
            "--policy",
            "policy.pol",
        ],
        None,
    ));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["revision"], 1);
    let first = export(&d, "sqlite:a.db");
    assert_eq!(first["assignments"].as_array().unwrap().len(), 6);
    assert_eq!(first["relations"].as_array().unwrap().len(), 3);
    assert_eq!(first["attributes"]["org:acme"]["tier"], "paid");
    assert_eq!(
        first["attributes"]["org:acme"]["limits"]["until"],
        "2027-01-01T00:00:00Z"
    );
    // The export is a facts file: `polc check --data` takes it, and importing it into another
    // store gives the same export.
    std::fs::write(d.join("export.json"), first.to_string()).unwrap();
    ok(&polc(
        &d,
        &[
            "facts",
            "import",
            "export.json",
            "--store",
            "sqlite:b.db",
            "--policy",
            "policy.pol",
        ],
        None,
    ));
    assert_eq!(export(&d, "sqlite:b.db"), first);
    // And the decisions over the exported file are those over the original.
    for (p, a, r) in [
        ("user:bob", "view", "org:acme"),
        ("user:cy", "view", "org:acme"),
        ("user:zed", "view", "org:public"),
        ("user:zed", "view", "org:acme"),
    ] {
        let q = format!("can {p} {a} {r}");
        let orig = polc(
            &d,
            &["query", "policy.pol", "--data", "data.json", &q],
            None,
        );
        let back = polc(
            &d,
            &["query", "policy.pol", "--data", "export.json", &q],
            None,
        );
        assert_eq!(orig.stdout, back.stdout, "{q}");
        assert_eq!(orig.status.code(), back.status.code(), "{q}");
    }
}

#[test]
fn write_reads_a_transaction_from_stdin_or_a_file_and_prints_the_revision() {
    let d = dir("write");
    let add = r#"{"writes": {"assignments": [{"actor": "user:ann", "role": "admin", "on": "org:acme"}]}}"#;
    let out = ok(&polc(
        &d,
        &[
            "facts",
            "write",
            "--store",
            "sqlite:w.db",
            "--policy",
            "policy.pol",
        ],
        Some(add),
    ));
    assert_eq!(out.trim(), r#"{"revision":1,"warnings":[]}"#);
    std::fs::write(
        d.join("tx.json"),
        r#"{"preconditions": [{"revision": 1}],
            "writes": {"assignments": [{"actor": "user:bob", "role": "member", "on": "org:acme"}]}}"#,
    )
    .unwrap();
    let out = ok(&polc(
        &d,
        &[
            "facts",
            "write",
            "tx.json",
            "--store",
            "sqlite:w.db",
            "--policy",
            "policy.pol",
        ],
        None,
    ));
    assert!(out.contains(r#""revision":2"#), "{out}");
    // The same file again: the store is at 2 now, so the precondition fails, nothing written.
    let o = polc(
        &d,
        &[
            "facts",
            "write",
            "tx.json",
            "--store",
            "sqlite:w.db",
            "--policy",
            "policy.pol",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("E0604"), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("tx.json"),
        "the diagnostic points into the file"
    );
    assert_eq!(
        export(&d, "sqlite:w.db")["assignments"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn a_bad_fact_is_refused_with_its_diagnostic_and_nothing_is_written() {
    let d = dir("bad");
    let tx = r#"{"writes": {"assignments": [{"actor": "user:ann", "role": "admin", "on": "org:acme"},
                                             {"actor": "user:bob", "role": "owner", "on": "org:acme"}]}}"#;
    let o = polc(
        &d,
        &[
            "facts",
            "write",
            "--store",
            "sqlite:bad.db",
            "--policy",
            "policy.pol",
        ],
        Some(tx),
    );
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("E0202") && err.contains("`org` has no role `owner`"),
        "{err}"
    );
    assert!(err.contains("<stdin>"), "{err}");
    assert_eq!(
        export(&d, "sqlite:bad.db")["assignments"],
        serde_json::json!([])
    );
}

#[test]
fn enforce_refuses_what_warn_writes() {
    let d = dir("constraints");
    let add = r#"{"writes": {"assignments": [{"actor": "user:ann", "role": "admin", "on": "org:acme"}]}}"#;
    ok(&polc(
        &d,
        &[
            "facts",
            "write",
            "--store",
            "sqlite:c.db",
            "--policy",
            "policy.pol",
        ],
        Some(add),
    ));
    let remove = r#"{"deletes": {"assignments": [{"actor": "user:ann", "role": "admin", "on": "org:acme"}]}}"#;
    let o = polc(
        &d,
        &[
            "facts",
            "write",
            "--store",
            "sqlite:c.db",
            "--policy",
            "policy.pol",
            "--constraints",
            "enforce",
        ],
        Some(remove),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("E0605") && stderr(&o).contains("W0201"),
        "{}",
        stderr(&o)
    );
    let out = ok(&polc(
        &d,
        &[
            "facts",
            "write",
            "--store",
            "sqlite:c.db",
            "--policy",
            "policy.pol",
            "--constraints",
            "warn",
        ],
        Some(remove),
    ));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["revision"], 2);
    assert!(
        v["warnings"][0].as_str().unwrap().starts_with("W0201"),
        "{v}"
    );
}

#[test]
fn store_urls_are_checked() {
    let d = dir("urls");
    let o = polc(&d, &["facts", "export", "--store", "polc.db"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("E0606"), "{}", stderr(&o));
    let o = polc(
        &d,
        &[
            "facts",
            "export",
            "--store",
            "postgres://polc@127.0.0.1:1/polc",
        ],
        None,
    );
    // Without the `postgres` feature: "not built" (a usage error); with it, no server listens.
    let err = stderr(&o);
    assert!(err.contains("E0607") || err.contains("E0621"), "{err}");
    if err.contains("E0607") {
        assert_eq!(o.status.code(), Some(2));
        assert!(err.contains("--features postgres"), "{err}");
    }
    let o = polc(
        &d,
        &["facts", "export", "--store", "sqlite:/no/such/dir/x.db"],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("E0608"), "{}", stderr(&o));
}

#[test]
fn importing_pol_facts_works_too() {
    let d = dir("pol");
    std::fs::write(
        d.join("data.pol"),
        "user:ann is admin on org:acme;\norg:acme.tier = \"free\";\n",
    )
    .unwrap();
    ok(&polc(
        &d,
        &[
            "facts",
            "import",
            "data.pol",
            "--store",
            "sqlite:p.db",
            "--policy",
            "policy.pol",
        ],
        None,
    ));
    let v = export(&d, "sqlite:p.db");
    assert_eq!(v["assignments"][0]["actor"], "user:ann");
    assert_eq!(v["attributes"]["org:acme"]["tier"], "free");
}

/// The PostgreSQL client's errors as the CLI prints them: a URL it cannot read (E0620, the
/// password hidden) and a server that is not there (E0621). Neither needs a database.
#[cfg(feature = "postgres")]
#[test]
fn postgres_urls_and_servers_not_there_are_e0620_and_e0621() {
    let d = dir("pg_urls");
    let o = polc(
        &d,
        &[
            "facts",
            "export",
            "--store",
            "postgres://polc:secret@localhost:port/polc",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2), "a usage error");
    let e0620 = stderr(&o);
    assert!(!e0620.contains("secret"), "{e0620}");
    let o = polc(
        &d,
        &[
            "facts",
            "export",
            "--store",
            "postgres://polc@127.0.0.1:1/polc",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    let e0621 = stderr(&o);
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("store_postgres_E0620", e0620);
        insta::assert_snapshot!("store_postgres_E0621", e0621);
    });
}

/// TLS parameters that cannot be honoured are refused before any connection: a certificate
/// file that is not there (E0622, naming it), `verify-full` without the authorities to verify
/// against, and an `sslmode` libpq does not have (E0620). None needs a database: the address is
/// one where nothing listens, and the error is not E0621.
#[cfg(feature = "postgres")]
#[test]
fn postgres_tls_parameters_that_cannot_be_honoured_are_e0622_and_e0620() {
    let d = dir("pg_tls_urls");
    // A path relative to the working directory (the test's folder), as libpq reads it.
    let url = "postgres://polc@127.0.0.1:1/polc?sslmode=verify-full&sslrootcert=no-such-ca.pem";
    let o = polc(&d, &["facts", "export", "--store", url], None);
    assert_eq!(o.status.code(), Some(2), "a usage error");
    let e0622 = stderr(&o);
    assert!(
        e0622.contains("E0622") && e0622.contains("no-such-ca.pem"),
        "{e0622}"
    );
    assert!(!e0622.contains("E0621"), "{e0622}");
    // A file that exists but holds no certificate.
    std::fs::write(d.join("empty.pem"), "not a certificate\n").unwrap();
    let url = format!(
        "postgres://polc@127.0.0.1:1/polc?sslmode=verify-ca&sslrootcert={}",
        d.join("empty.pem").display()
    );
    let o = polc(&d, &["facts", "export", "--store", &url], None);
    let empty = stderr(&o);
    assert!(
        empty.contains("E0622") && empty.contains("no PEM certificate"),
        "{empty}"
    );
    for (url, says) in [
        (
            "postgres://polc@127.0.0.1:1/polc?sslmode=verify-full",
            "sslrootcert",
        ),
        ("postgres://polc@127.0.0.1:1/polc?sslmode=always", "always"),
    ] {
        let o = polc(&d, &["facts", "export", "--store", url], None);
        assert_eq!(o.status.code(), Some(2), "{url}");
        let e = stderr(&o);
        assert!(e.contains("E0620") && e.contains(says), "{url}: {e}");
    }
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("store_postgres_E0622", e0622);
    });
}

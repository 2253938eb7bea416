//! TLS to PostgreSQL, against the throwaway cluster of `.ci/postgres.sh`, which speaks TLS with a
//! certificate for `localhost` signed by a throwaway authority (`POLC_TEST_POSTGRES_TLS` names
//! the folder of `ca.pem`, `client.pem` and `client.key`), and lets the role `polc_cert` in only
//! over TLS with a client certificate. Each `sslmode` does what libpq's does: the server's own
//! view (`pg_stat_ssl`) says whether polc's connection is encrypted, a certificate of another
//! authority or for another name is refused where the mode checks it, and a client certificate
//! logs in where a password-less plain connection is rejected. Without the cluster each test
//! says it was skipped.
#![cfg(feature = "postgres")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common_pg;

use polc::facts::write::{Change, Fact, Revision};
use polc::store::postgres::PostgresStore;
use polc::store::{Store, StoreError, Write};
use std::path::PathBuf;

/// The folder of the cluster's certificates, or `None` (and a line saying so).
fn tls(test: &str) -> Option<(common_pg::Db, PathBuf)> {
    let db = common_pg::fresh(test)?;
    let Ok(dir) = std::env::var("POLC_TEST_POSTGRES_TLS") else {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "skipped: POLC_TEST_POSTGRES_TLS not set ({test}); `.ci/with-postgres` sets it where openssl is installed"
        );
        return None;
    };
    Some((db, PathBuf::from(dir)))
}

/// The URL of the test's database with another host and these parameters.
fn url(db: &common_pg::Db, host: &str, params: &str) -> String {
    let port = common_pg::host_port(&db.url)
        .rsplit(':')
        .next()
        .unwrap()
        .to_string();
    let name = db
        .url
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap();
    format!("postgres://postgres@{host}:{port}/{name}?{params}")
}

/// Whether the server sees the connections of `application_name` as encrypted (one answer for
/// all of them: none or every one).
fn encrypted(db: &common_pg::Db, application: &str) -> bool {
    let mut c = db.client();
    let rows = c
        .query(
            "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = $1",
            &[&application],
        )
        .unwrap();
    assert!(!rows.is_empty(), "no connection of {application}");
    let all: Vec<bool> = rows.iter().map(|r| r.get(0)).collect();
    assert!(all.iter().all(|s| *s == all[0]), "{all:?}");
    all[0]
}

fn write_one(s: &PostgresStore) -> Revision {
    s.write(&Write {
        changes: vec![Change::Put(Fact::Assignment {
            subject: "user:ann".into(),
            role: "admin".into(),
            on: "org:acme".into(),
            until_us: None,
        })],
        ..Write::default()
    })
    .unwrap()
}

#[test]
fn verify_full_encrypts_and_checks_the_authority_and_the_name() {
    let Some((db, dir)) = tls("tls_verify_full") else {
        return;
    };
    let ca = dir.join("ca.pem");
    let s = PostgresStore::open(&url(
        &db,
        "localhost",
        &format!(
            "sslmode=verify-full&sslrootcert={}&application_name=polc_full",
            ca.display()
        ),
    ))
    .unwrap();
    assert_eq!(write_one(&s), Revision(1));
    assert!(encrypted(&db, "polc_full"));
    assert!(s.connection_warning().is_none());
    // 127.0.0.1 is not the certificate's name (`localhost`): refused at verify-full, with
    // rustls's reason, as a server that cannot be reached (E0621)...
    let e = PostgresStore::open(&url(
        &db,
        "127.0.0.1",
        &format!("sslmode=verify-full&sslrootcert={}", ca.display()),
    ))
    .unwrap_err();
    assert!(matches!(e, StoreError::Unreachable(_)), "{e:?}");
    let d = e.diagnostic();
    assert_eq!(d.code.as_str(), "E0621");
    assert!(d.message.contains("not valid for name"), "{}", d.message);
    // ... and accepted at verify-ca, which checks the authority only.
    let s = PostgresStore::open(&url(
        &db,
        "127.0.0.1",
        &format!(
            "sslmode=verify-ca&sslrootcert={}&application_name=polc_ca",
            ca.display()
        ),
    ))
    .unwrap();
    assert_eq!(s.revision().unwrap(), Revision(1));
    assert!(encrypted(&db, "polc_ca"));
}

#[test]
fn a_certificate_of_another_authority_is_refused_where_the_mode_checks_it() {
    let Some((db, dir)) = tls("tls_other_ca") else {
        return;
    };
    // An authority of the test's own, which did not sign the server's certificate.
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let other = params.self_signed(&key).unwrap();
    let other_ca = dir.join(format!("other-ca-{}.pem", std::process::id()));
    std::fs::write(&other_ca, other.pem()).unwrap();
    for mode in ["verify-full", "verify-ca", "require"] {
        let e = PostgresStore::open(&url(
            &db,
            "localhost",
            &format!("sslmode={mode}&sslrootcert={}", other_ca.display()),
        ))
        .unwrap_err();
        let d = e.diagnostic();
        assert_eq!(d.code.as_str(), "E0621", "{mode}: {}", d.message);
        assert!(d.message.contains("UnknownIssuer"), "{mode}: {}", d.message);
    }
    let _ = std::fs::remove_file(&other_ca);
    // `require` without an authority encrypts and checks no certificate, as libpq's.
    let s = PostgresStore::open(&url(
        &db,
        "127.0.0.1",
        "sslmode=require&application_name=polc_require",
    ))
    .unwrap();
    assert_eq!(write_one(&s), Revision(1));
    assert!(encrypted(&db, "polc_require"));
}

#[test]
fn prefer_encrypts_when_the_server_can_and_disable_never_does() {
    let Some((db, _)) = tls("tls_prefer") else {
        return;
    };
    // No sslmode: libpq's default, prefer. Over loopback, W0611 has nothing to say (the
    // traffic does not leave the machine; tls.rs's unit test covers the network's case).
    let s = PostgresStore::open(&url(&db, "127.0.0.1", "application_name=polc_prefer")).unwrap();
    assert!(s.connection_warning().is_none());
    assert_eq!(write_one(&s), Revision(1));
    assert!(encrypted(&db, "polc_prefer"));
    let s = PostgresStore::open(&url(
        &db,
        "127.0.0.1",
        "sslmode=disable&application_name=polc_plain",
    ))
    .unwrap();
    assert_eq!(s.revision().unwrap(), Revision(1));
    assert!(!encrypted(&db, "polc_plain"));
}

#[test]
fn a_client_certificate_logs_in_where_no_certificate_is_rejected() {
    let Some((db, dir)) = tls("tls_client_cert") else {
        return;
    };
    let cert_url = |params: &str| url(&db, "localhost", params).replace("postgres@", "polc_cert@");
    let (ca, cert, key) = (
        dir.join("ca.pem"),
        dir.join("client.pem"),
        dir.join("client.key"),
    );
    let s = PostgresStore::open(&cert_url(&format!(
        "sslmode=verify-full&sslrootcert={}&sslcert={}&sslkey={}&application_name=polc_cert",
        ca.display(),
        cert.display(),
        key.display()
    )))
    .unwrap();
    assert_eq!(write_one(&s), Revision(1));
    assert!(encrypted(&db, "polc_cert"));
    // Without the certificate the server refuses the role (pg_hba.conf: `cert`, and `reject`
    // for a plain connection): the database's own error.
    for params in [
        format!("sslmode=verify-full&sslrootcert={}", ca.display()),
        "sslmode=disable".to_string(),
    ] {
        let e = PostgresStore::open(&cert_url(&params)).unwrap_err();
        assert!(
            matches!(e, StoreError::Backend(_) | StoreError::Unreachable(_)),
            "{params}: {e:?}"
        );
        let m = e.to_string();
        assert!(
            m.contains("certificate") || m.contains("pg_hba.conf"),
            "{params}: {m}"
        );
    }
}

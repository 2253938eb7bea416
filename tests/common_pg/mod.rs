//! A fresh PostgreSQL database per test, on the server `POLC_TEST_POSTGRES` names (`.ci/run`
//! and `.ci/with-postgres` start a throwaway one): created with a unique name, dropped when the
//! `Db` is. Without the variable, `fresh` says the test was skipped and gives `None`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicU32, Ordering};

pub struct Db {
    /// The URL of the fresh database.
    pub url: String,
    admin: String,
    name: String,
}

static N: AtomicU32 = AtomicU32::new(0);

/// The URL with another database (the path of `postgres://USER@HOST:PORT/DB?...`).
pub fn with_database(url: &str, db: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (authority, query) = match rest.split_once('/') {
        Some((a, path)) => (a, path.split_once('?').map(|(_, q)| q)),
        None => (rest, None),
    };
    match query {
        Some(q) => format!("{scheme}://{authority}/{db}?{q}"),
        None => format!("{scheme}://{authority}/{db}"),
    }
}

/// The `HOST:PORT` of the URL (`127.0.0.1:5432`).
pub fn host_port(url: &str) -> String {
    let rest = url.split_once("://").unwrap().1;
    let authority = rest.split('/').next().unwrap();
    let hp = authority.rsplit('@').next().unwrap();
    if hp.contains(':') {
        hp.to_string()
    } else {
        format!("{hp}:5432")
    }
}

/// A new database for the test `test`, or `None` (and a line saying so) without a server.
pub fn fresh(test: &str) -> Option<Db> {
    let Ok(admin) = std::env::var("POLC_TEST_POSTGRES") else {
        // Written to the process's stderr directly, not through `eprintln!`, which the test
        // harness captures and hides for a test that passes: `cargo test` shows the line.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "skipped: POLC_TEST_POSTGRES not set ({test}); `.ci/with-postgres cargo test` runs it"
        );
        return None;
    };
    let name = format!(
        "polc_{}_{}_{}",
        test.to_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .take(30)
            .collect::<String>(),
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    // On a thread of its own: the synchronous client runs a runtime, which an async test's
    // thread cannot.
    let (a, n) = (admin.clone(), name.clone());
    std::thread::spawn(move || {
        let mut c = postgres::Client::connect(&a, postgres::NoTls)
            .unwrap_or_else(|e| panic!("POLC_TEST_POSTGRES={a}: {e}"));
        c.batch_execute(&format!("DROP DATABASE IF EXISTS {n} WITH (FORCE)"))
            .unwrap();
        c.batch_execute(&format!("CREATE DATABASE {n}")).unwrap();
    })
    .join()
    .unwrap();
    Some(Db {
        url: with_database(&admin, &name),
        admin,
        name,
    })
}

impl Db {
    /// A connection of the test's own to the database (to change it behind polc's back).
    pub fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls).unwrap()
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            if let Ok(mut c) = postgres::Client::connect(&admin, postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        })
        .join();
    }
}

//! The PostgreSQL store (feature `postgres`; the synchronous `postgres` client, which drives
//! tokio-postgres on a runtime of its own, so call it from a blocking thread). Several servers
//! share one database: writers are serialized by a lock on the one row of `head` (`SELECT ...
//! FOR UPDATE`), which numbers revisions without gaps; each commit sends a `NOTIFY
//! polc_changes` in its transaction, which wakes the replicas that `LISTEN` (`Store::wait`);
//! where the database cannot LISTEN (CockroachDB) they poll. The schema is `docs/store.md`'s.

use super::{Committed, SCHEMA_VERSION, Store, StoreError, Write};
use crate::diag::{Code, Diagnostic};
use crate::facts::write::{Change, Fact, Revision};
use postgres::error::SqlState;
use postgres::{Client, Config, IsolationLevel};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

mod schema;
mod tls;
mod write;

use schema::{migrate, probe_notify, version};
use tls::Connector;
pub use tls::{Mode as TlsMode, Options as TlsOptions};
use write::{Failed, write_once};

/// The channel of the commit notifications; the payload is the revision.
pub const CHANNEL: &str = "polc_changes";

/// How long a replica that cannot LISTEN waits between two reads of the revision.
pub const POLL: Duration = Duration::from_millis(50);

/// Rows per statement when a transaction's changes are written (arrays of this length).
const CHUNK: usize = 10_000;

/// Attempts at a transaction the database aborted for a conflict (SERIALIZABLE on CockroachDB,
/// a deadlock) before it fails.
const ATTEMPTS: usize = 20;

/// What a connection waits for.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

fn err(e: postgres::Error) -> StoreError {
    // No answer from the server (refused, closed, timed out): unreachable, E0621.
    if e.as_db_error().is_none() {
        let mut m = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            let t = s.to_string();
            if !m.contains(&t) {
                m = format!("{m}: {t}");
            }
            source = s.source();
        }
        return StoreError::Unreachable(m);
    }
    let db = e.as_db_error().map(|d| d.message().to_string());
    StoreError::Backend(db.unwrap_or_else(|| e.to_string()))
}

/// Whether the database aborted the transaction for a conflict that a retry resolves.
fn retryable(e: &postgres::Error) -> bool {
    matches!(
        e.code(),
        Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED
    )
}

/// The warning a server logs when the database cannot LISTEN (CockroachDB): it polls.
pub fn polling_warning(reason: &str) -> Diagnostic {
    Diagnostic::new(
        Code::W0610,
        format!(
            "the database cannot LISTEN ({reason}): this server reads the revision every {} ms instead of being woken",
            POLL.as_millis()
        ),
    )
    .help("nothing to do on CockroachDB; on PostgreSQL, check that the connection is not through a pooler in transaction mode")
}

/// A store in one PostgreSQL database (or CockroachDB, through its PostgreSQL protocol).
pub struct PostgresStore {
    config: Config,
    /// In the clear or with TLS, as the URL's `sslmode` says.
    tls: Connector,
    /// The URL's TLS parameters.
    tls_options: TlsOptions,
    /// Reads and writes; connected again when it was lost.
    conn: Mutex<Option<Client>>,
    /// The connection that LISTENs, for [`Store::wait`].
    listener: Mutex<Option<Client>>,
    /// `pg_notify` exists: commits notify the listeners.
    notify: bool,
    /// LISTEN works; false after the database refused it (the replicas poll).
    listen: AtomicBool,
    /// Why the database refused LISTEN, once.
    listen_refused: Mutex<Option<String>>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // No password.
        f.debug_struct("PostgresStore")
            .field("hosts", &self.config.get_hosts())
            .field("dbname", &self.config.get_dbname())
            .field("sslmode", &self.tls_options.mode.name())
            .finish()
    }
}

/// The client's configuration from a `postgres://` URL, with polc's timeouts, and the URL's
/// TLS parameters (`sslmode`, `sslrootcert`, `sslcert`, `sslkey`: see `tls.rs`).
pub fn config(url: &str) -> Result<(Config, TlsOptions), StoreError> {
    let (wire, tls) = tls::split(url)?;
    let mut config: Config = wire.parse().map_err(|e: postgres::Error| {
        StoreError::ConnectionString(format!("`{}`: {e}", redact(url)))
    })?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    if config.get_application_name().is_none() {
        config.application_name("polc");
    }
    // A database that goes away without closing the connection is noticed within seconds.
    config.keepalives(true);
    config.keepalives_idle(Duration::from_secs(10));
    if config.get_tcp_user_timeout().is_none() {
        config.tcp_user_timeout(Duration::from_secs(15));
    }
    Ok((config, tls))
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (auth, host) = match rest.split_once('@') {
        Some((a, h)) => (a, h),
        None => return url.to_string(),
    };
    match auth.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

impl PostgresStore {
    /// Connects, creates the tables when absent and migrates them to [`SCHEMA_VERSION`].
    pub fn open(url: &str) -> Result<PostgresStore, StoreError> {
        let (config, tls_options) = config(url)?;
        let tls = tls::connector(&tls_options).map_err(StoreError::Tls)?;
        let mut client = tls.connect(&config).map_err(err)?;
        migrate(&mut client)?;
        let notify = probe_notify(&mut client)?;
        Ok(PostgresStore {
            config,
            tls,
            tls_options,
            conn: Mutex::new(Some(client)),
            listener: Mutex::new(None),
            notify,
            listen: AtomicBool::new(true),
            listen_refused: Mutex::new(None),
        })
    }

    /// Runs `f` on the connection, connecting again first when it was lost.
    fn with<T>(
        &self,
        f: impl FnOnce(&mut Client) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut g = self
            .conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if g.as_ref().is_none_or(Client::is_closed) {
            *g = None;
            *g = Some(self.tls.connect(&self.config).map_err(err)?);
        }
        let Some(client) = g.as_mut() else {
            return Err(StoreError::Unreachable("no connection".into()));
        };
        let r = f(client);
        if client.is_closed() {
            *g = None;
        }
        r
    }

    /// The schema version recorded in the database.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        self.with(version)
    }

    /// Whether commits notify listeners (`pg_notify` exists; not on CockroachDB).
    pub fn notifies(&self) -> bool {
        self.notify
    }

    /// Why the database refused LISTEN, when it did: the replicas poll ([`polling_warning`]).
    pub fn listen_refused(&self) -> Option<String> {
        self.listen_refused
            .lock()
            .map(|g| g.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    /// Never LISTEN: wait by reading the revision every [`POLL`] (what a database without
    /// LISTEN gets; for tests and for poolers that cannot hold a LISTEN).
    pub fn poll_only(self) -> PostgresStore {
        self.listen.store(false, Ordering::Relaxed);
        self
    }

    fn poll(&self, after: Revision, timeout: Duration) -> Result<(), StoreError> {
        let start = Instant::now();
        while self.revision()? <= after && start.elapsed() < timeout {
            std::thread::sleep(POLL.min(timeout.saturating_sub(start.elapsed())));
        }
        Ok(())
    }
}

fn head(c: &mut impl postgres::GenericClient) -> Result<Revision, StoreError> {
    let row = c
        .query_one("SELECT revision FROM head WHERE id = 1", &[])
        .map_err(err)?;
    Ok(Revision(row.get::<_, i64>(0) as u64))
}

impl Store for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn revision(&self) -> Result<Revision, StoreError> {
        self.with(head)
    }

    fn load(&self, each: &mut dyn FnMut(Fact)) -> Result<Revision, StoreError> {
        self.with(|c| {
            // One snapshot: the facts and the revision are of one moment.
            let mut tx = c
                .build_transaction()
                .isolation_level(IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .map_err(err)?;
            let rev = head(&mut tx)?;
            let none: [&str; 0] = [];
            {
                let mut rows = tx
                    .query_raw(
                        "SELECT subject, role, on_entity, until_us FROM assignments",
                        none,
                    )
                    .map_err(err)?;
                while let Some(r) =
                    postgres::fallible_iterator::FallibleIterator::next(&mut rows).map_err(err)?
                {
                    each(Fact::Assignment {
                        subject: r.get(0),
                        role: r.get(1),
                        on: r.get(2),
                        until_us: r.get(3),
                    });
                }
            }
            {
                let mut rows = tx
                    .query_raw("SELECT entity, relation, target FROM relations", none)
                    .map_err(err)?;
                while let Some(r) =
                    postgres::fallible_iterator::FallibleIterator::next(&mut rows).map_err(err)?
                {
                    each(Fact::Relation {
                        entity: r.get(0),
                        relation: r.get(1),
                        target: r.get(2),
                    });
                }
            }
            {
                let mut rows = tx
                    .query_raw("SELECT entity, name, value FROM attributes", none)
                    .map_err(err)?;
                while let Some(r) =
                    postgres::fallible_iterator::FallibleIterator::next(&mut rows).map_err(err)?
                {
                    let text: &str = r.get(2);
                    let value = serde_json::from_str(text).map_err(|e| {
                        StoreError::Backend(format!("an attribute value is not JSON: {e}"))
                    })?;
                    each(Fact::Attribute {
                        entity: r.get(0),
                        name: r.get(1),
                        value,
                    });
                }
            }
            tx.commit().map_err(err)?;
            Ok(rev)
        })
    }

    fn write(&self, w: &Write) -> Result<Revision, StoreError> {
        self.with(|c| {
            for _ in 0..ATTEMPTS {
                match write_once(c, w, self.notify) {
                    Ok(r) => return Ok(r),
                    Err(Failed::Store(e)) => return Err(e),
                    Err(Failed::Database(e)) if retryable(&e) => continue,
                    Err(Failed::Database(e)) => return Err(err(e)),
                }
            }
            Err(StoreError::Backend(format!(
                "the database aborted the transaction {ATTEMPTS} times for conflicts with other writers"
            )))
        })
    }

    fn changes_since(&self, after: Revision, limit: usize) -> Result<Vec<Committed>, StoreError> {
        let upper = after.0.saturating_add(limit as u64).min(i64::MAX as u64) as i64;
        let after_i = after.0.min(i64::MAX as u64) as i64;
        let rows = self.with(|c| {
            c.query(
                "SELECT r.revision, c.change FROM revisions r LEFT JOIN changes c ON c.revision = r.revision
                 WHERE r.revision > $1 AND r.revision <= $2 ORDER BY r.revision, c.seq",
                &[&after_i, &upper],
            )
            .map_err(err)
        })?;
        let mut out: Vec<Committed> = Vec::new();
        for r in rows {
            let rev = Revision(r.get::<_, i64>(0) as u64);
            let change: Option<&str> = r.get(1);
            if out.last().is_none_or(|c| c.revision != rev) {
                out.push(Committed {
                    revision: rev,
                    changes: Vec::new(),
                });
            }
            if let (Some(text), Some(last)) = (change, out.last_mut()) {
                let c: Change = serde_json::from_str(text).map_err(|e| {
                    StoreError::Backend(format!("change of revision {rev} is not readable: {e}"))
                })?;
                last.changes.push(c);
            }
        }
        Ok(out)
    }

    fn warning(&self) -> Option<Diagnostic> {
        self.listen_refused().map(|r| polling_warning(&r))
    }

    fn connection_warning(&self) -> Option<Diagnostic> {
        let why = tls::unverified(&self.tls_options, self.config.get_hosts())?;
        Some(
            Diagnostic::new(Code::W0611, why).help(
                "in production write `sslmode=verify-full&sslrootcert=FILE` (the database's certificate authority); on the database's own machine, connect by its Unix socket",
            ),
        )
    }

    /// LISTENs on a connection of its own and waits for a commit's notification; polls where
    /// the database cannot LISTEN.
    fn wait(&self, after: Revision, timeout: Duration) -> Result<(), StoreError> {
        if !self.notify || !self.listen.load(Ordering::Relaxed) {
            return self.poll(after, timeout);
        }
        let mut g = self
            .listener
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if g.as_ref().is_none_or(Client::is_closed) {
            *g = None;
            let mut client = self.tls.connect(&self.config).map_err(err)?;
            if let Err(e) = client.batch_execute(&format!("LISTEN {CHANNEL}")) {
                if e.as_db_error().is_none() {
                    return Err(err(e));
                }
                // CockroachDB: "unimplemented". Poll from now on.
                let reason = e
                    .as_db_error()
                    .map_or_else(|| e.to_string(), |d| d.message().to_string());
                if let Ok(mut r) = self.listen_refused.lock() {
                    *r = Some(reason);
                }
                self.listen.store(false, Ordering::Relaxed);
                drop(g);
                return self.poll(after, timeout);
            }
            *g = Some(client);
        }
        let Some(client) = g.as_mut() else {
            return self.poll(after, timeout);
        };
        // What arrived before is older than the revision read now.
        {
            let mut n = client.notifications();
            let mut it = n.iter();
            while let Ok(Some(_)) = postgres::fallible_iterator::FallibleIterator::next(&mut it) {}
        }
        let outcome = (|| {
            if head(client)? > after {
                return Ok(());
            }
            let mut n = client.notifications();
            let mut it = n.timeout_iter(timeout);
            postgres::fallible_iterator::FallibleIterator::next(&mut it).map_err(err)?;
            Ok(())
        })();
        if client.is_closed() {
            *g = None;
            return Err(outcome.err().unwrap_or_else(|| {
                StoreError::Unreachable("the connection to the database was lost".into())
            }));
        }
        outcome
    }
}

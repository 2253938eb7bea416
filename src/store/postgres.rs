//! The PostgreSQL store (feature `postgres`; the synchronous `postgres` client, which drives
//! tokio-postgres on a runtime of its own, so call it from a blocking thread). Several servers
//! share one database: writers are serialized by a lock on the one row of `head` (`SELECT ...
//! FOR UPDATE`), which numbers revisions without gaps; each commit sends a `NOTIFY
//! polc_changes` in its transaction, which wakes the replicas that `LISTEN` (`Store::wait`);
//! where the database cannot LISTEN (CockroachDB) they poll. The schema is `docs/store.md`'s.

use super::{Committed, SCHEMA_VERSION, Store, StoreError, Write};
use crate::diag::{Code, Diagnostic};
use crate::facts::write::{Change, Fact, FactKey, Precondition, Revision};
use postgres::error::SqlState;
use postgres::{Client, Config, IsolationLevel, NoTls, Transaction};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The migrations, in order: `MIGRATIONS[v]` takes the schema from version `v` to `v + 1`.
const MIGRATIONS: &[&str] = &[r#"
CREATE TABLE head (
  id       INTEGER PRIMARY KEY CHECK (id = 1),
  revision BIGINT  NOT NULL
);
INSERT INTO head (id, revision) VALUES (1, 0);
CREATE TABLE revisions (
  revision        BIGINT PRIMARY KEY,
  committed_at_us BIGINT NOT NULL
);
CREATE TABLE changes (
  revision BIGINT  NOT NULL REFERENCES revisions (revision),
  seq      INTEGER NOT NULL,
  change   TEXT    NOT NULL,
  PRIMARY KEY (revision, seq)
);
CREATE TABLE assignments (
  on_entity TEXT   NOT NULL,
  role      TEXT   NOT NULL,
  subject   TEXT   NOT NULL,
  until_us  BIGINT,
  revision  BIGINT NOT NULL,
  PRIMARY KEY (on_entity, role, subject)
);
CREATE TABLE relations (
  entity   TEXT   NOT NULL,
  relation TEXT   NOT NULL,
  target   TEXT   NOT NULL,
  revision BIGINT NOT NULL,
  PRIMARY KEY (entity, relation, target)
);
CREATE TABLE attributes (
  entity   TEXT   NOT NULL,
  name     TEXT   NOT NULL,
  value    TEXT   NOT NULL,
  revision BIGINT NOT NULL,
  PRIMARY KEY (entity, name)
);
"#];

const _: () = assert!(MIGRATIONS.len() == SCHEMA_VERSION as usize);

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
            .finish()
    }
}

/// The client's configuration from a `postgres://` URL, with polc's timeouts.
pub fn config(url: &str) -> Result<Config, StoreError> {
    let mut config: Config = url.parse().map_err(|e: postgres::Error| {
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
    Ok(config)
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
        let config = config(url)?;
        let mut client = config.connect(NoTls).map_err(err)?;
        migrate(&mut client)?;
        let notify = probe_notify(&mut client)?;
        Ok(PostgresStore {
            config,
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
            *g = Some(self.config.connect(NoTls).map_err(err)?);
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

fn version(c: &mut Client) -> Result<u32, StoreError> {
    let row = c
        .query_one("SELECT coalesce(max(version), 0) FROM schema_version", &[])
        .map_err(err)?;
    let v: i32 = row.get(0);
    Ok(v as u32)
}

fn migrate(client: &mut Client) -> Result<(), StoreError> {
    for attempt in 0..ATTEMPTS {
        match try_migrate(client, attempt == 0) {
            Err(Retry::Again) => continue,
            Err(Retry::No(e)) => return Err(e),
            Ok(()) => return Ok(()),
        }
    }
    Err(StoreError::Backend(
        "the schema could not be migrated: other polc processes kept migrating it".into(),
    ))
}

enum Retry {
    Again,
    No(StoreError),
}

fn retry_or(e: postgres::Error) -> Retry {
    // Two processes creating the same table at once: one fails with a unique violation.
    if retryable(&e)
        || matches!(e.code(), Some(c) if *c == SqlState::UNIQUE_VIOLATION || *c == SqlState::DUPLICATE_TABLE)
    {
        Retry::Again
    } else {
        Retry::No(err(e))
    }
}

fn try_migrate(client: &mut Client, advisory: bool) -> Result<(), Retry> {
    let mut tx = client.transaction().map_err(retry_or)?;
    // One migrating process at a time (PostgreSQL); where advisory locks are not there, the
    // transactions conflict and the loser retries.
    if advisory
        && tx
            .execute("SELECT pg_advisory_xact_lock(7201501)", &[])
            .is_err()
    {
        return Err(Retry::Again);
    }
    tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        .map_err(retry_or)?;
    let found = {
        let row = tx
            .query_one("SELECT coalesce(max(version), 0) FROM schema_version", &[])
            .map_err(retry_or)?;
        row.get::<_, i32>(0) as u32
    };
    if found > SCHEMA_VERSION {
        return Err(Retry::No(StoreError::Schema {
            found,
            known: SCHEMA_VERSION,
        }));
    }
    for (v, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        tx.batch_execute(sql).map_err(retry_or)?;
        tx.execute("DELETE FROM schema_version", &[])
            .map_err(retry_or)?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES ($1)",
            &[&(v as i32 + 1)],
        )
        .map_err(retry_or)?;
    }
    tx.commit().map_err(retry_or)
}

/// Whether `pg_notify` is there, asked in a transaction that is rolled back (nothing is sent).
fn probe_notify(client: &mut Client) -> Result<bool, StoreError> {
    let mut tx = client.transaction().map_err(err)?;
    let ok = tx.execute("SELECT pg_notify($1, '0')", &[&CHANNEL]).is_ok();
    tx.rollback().map_err(err)?;
    Ok(ok)
}

fn head(c: &mut impl postgres::GenericClient) -> Result<Revision, StoreError> {
    let row = c
        .query_one("SELECT revision FROM head WHERE id = 1", &[])
        .map_err(err)?;
    Ok(Revision(row.get::<_, i64>(0) as u64))
}

fn exists(tx: &mut Transaction<'_>, key: &FactKey) -> Result<bool, postgres::Error> {
    let row = match key {
        FactKey::Assignment { subject, role, on } => tx.query_one(
            "SELECT EXISTS (SELECT 1 FROM assignments WHERE on_entity = $1 AND role = $2 AND subject = $3)",
            &[on, role, subject],
        ),
        FactKey::Relation {
            entity,
            relation,
            target: Some(t),
        } => tx.query_one(
            "SELECT EXISTS (SELECT 1 FROM relations WHERE entity = $1 AND relation = $2 AND target = $3)",
            &[entity, relation, t],
        ),
        FactKey::Relation {
            entity,
            relation,
            target: None,
        } => tx.query_one(
            "SELECT EXISTS (SELECT 1 FROM relations WHERE entity = $1 AND relation = $2)",
            &[entity, relation],
        ),
        FactKey::Attribute { entity, name } => tx.query_one(
            "SELECT EXISTS (SELECT 1 FROM attributes WHERE entity = $1 AND name = $2)",
            &[entity, name],
        ),
    }?;
    Ok(row.get(0))
}

/// The kind of a change, for grouping consecutive changes of one kind into one statement.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    PutAssignment,
    PutRelation,
    PutAttribute,
    DeleteAssignment,
    DeleteRelationTarget,
    DeleteRelation,
    DeleteAttribute,
}

fn kind(c: &Change) -> Kind {
    match c {
        Change::Put(Fact::Assignment { .. }) => Kind::PutAssignment,
        Change::Put(Fact::Relation { .. }) => Kind::PutRelation,
        Change::Put(Fact::Attribute { .. }) => Kind::PutAttribute,
        Change::Delete(FactKey::Assignment { .. }) => Kind::DeleteAssignment,
        Change::Delete(FactKey::Relation {
            target: Some(_), ..
        }) => Kind::DeleteRelationTarget,
        Change::Delete(FactKey::Relation { target: None, .. }) => Kind::DeleteRelation,
        Change::Delete(FactKey::Attribute { .. }) => Kind::DeleteAttribute,
    }
}

/// Keeps the last of the changes with the same key (an upsert statement may not touch a row
/// twice; applied one by one, the last one wins).
fn last_per_key(group: &[&Change]) -> Vec<Change> {
    let mut seen = std::collections::HashSet::new();
    let mut out: Vec<Change> = group
        .iter()
        .rev()
        .filter(|c| match c {
            Change::Put(f) => seen.insert(f.key()),
            Change::Delete(k) => seen.insert(k.clone()),
        })
        .map(|c| (*c).clone())
        .collect();
    out.reverse();
    out
}

/// Applies one group of changes of one kind at revision `rev`, in statements of [`CHUNK`] rows.
fn apply_group(
    tx: &mut Transaction<'_>,
    rev: i64,
    kind: Kind,
    group: &[&Change],
) -> Result<(), postgres::Error> {
    let group = last_per_key(group);
    for chunk in group.chunks(CHUNK) {
        let mut a: Vec<&str> = Vec::with_capacity(chunk.len());
        let mut b: Vec<&str> = Vec::with_capacity(chunk.len());
        let mut c: Vec<&str> = Vec::with_capacity(chunk.len());
        let mut u: Vec<Option<i64>> = Vec::new();
        let mut values: Vec<String> = Vec::new();
        for ch in chunk {
            match ch {
                Change::Put(Fact::Assignment {
                    subject,
                    role,
                    on,
                    until_us,
                }) => {
                    a.push(on);
                    b.push(role);
                    c.push(subject);
                    u.push(*until_us);
                }
                Change::Delete(FactKey::Assignment { subject, role, on }) => {
                    a.push(on);
                    b.push(role);
                    c.push(subject);
                }
                Change::Put(Fact::Relation {
                    entity,
                    relation,
                    target,
                })
                | Change::Delete(FactKey::Relation {
                    entity,
                    relation,
                    target: Some(target),
                }) => {
                    a.push(entity);
                    b.push(relation);
                    c.push(target);
                }
                Change::Delete(FactKey::Relation {
                    entity, relation, ..
                }) => {
                    a.push(entity);
                    b.push(relation);
                }
                Change::Put(Fact::Attribute {
                    entity,
                    name,
                    value,
                }) => {
                    a.push(entity);
                    b.push(name);
                    values.push(value.to_string());
                }
                Change::Delete(FactKey::Attribute { entity, name }) => {
                    a.push(entity);
                    b.push(name);
                }
            }
        }
        match kind {
            Kind::PutAssignment => tx.execute(
                "INSERT INTO assignments (on_entity, role, subject, until_us, revision)
                 SELECT o, r, s, u, $5 FROM unnest($1::text[], $2::text[], $3::text[], $4::int8[]) AS t (o, r, s, u)
                 ON CONFLICT (on_entity, role, subject) DO UPDATE SET until_us = excluded.until_us, revision = excluded.revision",
                &[&a, &b, &c, &u, &rev],
            ),
            Kind::PutRelation => tx.execute(
                "INSERT INTO relations (entity, relation, target, revision)
                 SELECT e, r, t, $4 FROM unnest($1::text[], $2::text[], $3::text[]) AS x (e, r, t)
                 ON CONFLICT (entity, relation, target) DO NOTHING",
                &[&a, &b, &c, &rev],
            ),
            Kind::PutAttribute => tx.execute(
                "INSERT INTO attributes (entity, name, value, revision)
                 SELECT e, n, v, $4 FROM unnest($1::text[], $2::text[], $3::text[]) AS x (e, n, v)
                 ON CONFLICT (entity, name) DO UPDATE SET value = excluded.value, revision = excluded.revision",
                &[&a, &b, &values, &rev],
            ),
            Kind::DeleteAssignment => tx.execute(
                "DELETE FROM assignments a USING unnest($1::text[], $2::text[], $3::text[]) AS t (o, r, s)
                 WHERE a.on_entity = t.o AND a.role = t.r AND a.subject = t.s",
                &[&a, &b, &c],
            ),
            Kind::DeleteRelationTarget => tx.execute(
                "DELETE FROM relations x USING unnest($1::text[], $2::text[], $3::text[]) AS t (e, r, g)
                 WHERE x.entity = t.e AND x.relation = t.r AND x.target = t.g",
                &[&a, &b, &c],
            ),
            Kind::DeleteRelation => tx.execute(
                "DELETE FROM relations x USING unnest($1::text[], $2::text[]) AS t (e, r)
                 WHERE x.entity = t.e AND x.relation = t.r",
                &[&a, &b],
            ),
            Kind::DeleteAttribute => tx.execute(
                "DELETE FROM attributes x USING unnest($1::text[], $2::text[]) AS t (e, n)
                 WHERE x.entity = t.e AND x.name = t.n",
                &[&a, &b],
            ),
        }?;
    }
    Ok(())
}

/// Why one attempt at a write did not commit.
enum Failed {
    Store(StoreError),
    Database(postgres::Error),
}

impl From<postgres::Error> for Failed {
    fn from(e: postgres::Error) -> Self {
        Failed::Database(e)
    }
}

fn write_once(client: &mut Client, w: &Write, notify: bool) -> Result<Revision, Failed> {
    let mut tx = client.transaction()?;
    // The lock on the one row of `head` serializes the writers: the next one reads the
    // revision (and, in READ COMMITTED, the facts) this one commits.
    let now = {
        let row = tx.query_one("SELECT revision FROM head WHERE id = 1 FOR UPDATE", &[])?;
        Revision(row.get::<_, i64>(0) as u64)
    };
    if let Some(base) = w.base
        && base != now
    {
        return Err(Failed::Store(StoreError::Moved { base, current: now }));
    }
    for (index, p) in w.preconditions.iter().enumerate() {
        let holds = match p {
            Precondition::Exists(k) => exists(&mut tx, k)?,
            Precondition::Absent(k) => !exists(&mut tx, k)?,
            Precondition::Revision(r) => *r == now,
        };
        if !holds {
            return Err(Failed::Store(StoreError::Precondition {
                index,
                precondition: p.clone(),
                current: now,
            }));
        }
    }
    let rev = now.0 as i64 + 1;
    let mut start = 0;
    while start < w.changes.len() {
        let k = kind(&w.changes[start]);
        let end = w.changes[start..]
            .iter()
            .position(|c| kind(c) != k)
            .map_or(w.changes.len(), |n| start + n);
        let group: Vec<&Change> = w.changes[start..end].iter().collect();
        apply_group(&mut tx, rev, k, &group)?;
        start = end;
    }
    tx.execute(
        "INSERT INTO revisions (revision, committed_at_us) VALUES ($1, $2)",
        &[&rev, &crate::time::now()],
    )?;
    let mut seq = 0i32;
    for chunk in w.changes.chunks(CHUNK) {
        let mut seqs = Vec::with_capacity(chunk.len());
        let mut texts = Vec::with_capacity(chunk.len());
        for c in chunk {
            seqs.push(seq);
            seq += 1;
            texts.push(
                serde_json::to_string(c)
                    .map_err(|e| Failed::Store(StoreError::Backend(e.to_string())))?,
            );
        }
        tx.execute(
            "INSERT INTO changes (revision, seq, change) SELECT $1, s, c FROM unnest($2::int4[], $3::text[]) AS t (s, c)",
            &[&rev, &seqs, &texts],
        )?;
    }
    tx.execute("UPDATE head SET revision = $1 WHERE id = 1", &[&rev])?;
    if notify {
        tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &rev.to_string()])?;
    }
    tx.commit()?;
    Ok(Revision(rev as u64))
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
            let mut client = self.config.connect(NoTls).map_err(err)?;
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

//! The schema: its migrations, applied once by one process at a time, and what the database
//! can do (LISTEN/NOTIFY).

use super::{ATTEMPTS, CHANNEL, SCHEMA_VERSION, StoreError, err, retryable};
use postgres::Client;
use postgres::error::SqlState;

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

pub(super) fn version(c: &mut Client) -> Result<u32, StoreError> {
    let row = c
        .query_one("SELECT coalesce(max(version), 0) FROM schema_version", &[])
        .map_err(err)?;
    let v: i32 = row.get(0);
    Ok(v as u32)
}

pub(super) fn migrate(client: &mut Client) -> Result<(), StoreError> {
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
pub(super) fn probe_notify(client: &mut Client) -> Result<bool, StoreError> {
    let mut tx = client.transaction().map_err(err)?;
    let ok = tx.execute("SELECT pg_notify($1, '0')", &[&CHANNEL]).is_ok();
    tx.rollback().map_err(err)?;
    Ok(ok)
}

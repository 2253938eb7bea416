//! The SQLite store (feature `sqlite`; rusqlite with a bundled SQLite): one file, the embedded
//! default. Write-ahead log, `synchronous = FULL` (a commit is on disk before `write` returns),
//! writers serialized by `BEGIN IMMEDIATE` with a busy wait, so several processes may share the
//! file. The schema is `docs/store.md`'s.

use super::{Committed, SCHEMA_VERSION, Store, StoreError, Write};
use crate::facts::write::{Change, Fact, FactKey, Precondition, Revision};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

/// The migrations, in order: `MIGRATIONS[v]` takes the schema from version `v` to `v + 1`.
const MIGRATIONS: &[&str] = &[r#"
CREATE TABLE revisions (
  revision        INTEGER PRIMARY KEY,
  committed_at_us INTEGER NOT NULL
);
CREATE TABLE changes (
  revision INTEGER NOT NULL REFERENCES revisions (revision),
  seq      INTEGER NOT NULL,
  change   TEXT    NOT NULL,
  PRIMARY KEY (revision, seq)
) WITHOUT ROWID;
CREATE TABLE assignments (
  on_entity TEXT NOT NULL,
  role      TEXT NOT NULL,
  subject   TEXT NOT NULL,
  until_us  INTEGER,
  revision  INTEGER NOT NULL,
  PRIMARY KEY (on_entity, role, subject)
) WITHOUT ROWID;
CREATE TABLE relations (
  entity   TEXT NOT NULL,
  relation TEXT NOT NULL,
  target   TEXT NOT NULL,
  revision INTEGER NOT NULL,
  PRIMARY KEY (entity, relation, target)
) WITHOUT ROWID;
CREATE TABLE attributes (
  entity   TEXT NOT NULL,
  name     TEXT NOT NULL,
  value    TEXT NOT NULL,
  revision INTEGER NOT NULL,
  PRIMARY KEY (entity, name)
) WITHOUT ROWID;
"#];

const _: () = assert!(MIGRATIONS.len() == SCHEMA_VERSION as usize);

/// How long a writer waits for another one's transaction before failing (E0608).
const BUSY: Duration = Duration::from_secs(30);

fn backend(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// A store in one SQLite file.
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteStore")
    }
}

impl SqliteStore {
    /// Opens the file (creating it when absent) and migrates it to [`SCHEMA_VERSION`].
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let conn = Connection::open(path)
            .map_err(|e| StoreError::Backend(format!("cannot open `{}`: {e}", path.display())))?;
        conn.busy_timeout(BUSY).map_err(backend)?;
        // WAL: readers do not wait for the writer. FULL: a commit is synced before it returns.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(backend)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(backend)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(backend)?;
        let mut store = SqliteStore {
            conn: Mutex::new(conn),
        };
        store.migrate()?;
        Ok(store)
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The schema version recorded in the file.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        let conn = self.conn();
        version(&conn)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(backend)?;
        tx.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);")
            .map_err(backend)?;
        let found = version(&tx)?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::Schema {
                found,
                known: SCHEMA_VERSION,
            });
        }
        for (v, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            tx.execute_batch(sql).map_err(backend)?;
            tx.execute("DELETE FROM schema_version", [])
                .map_err(backend)?;
            tx.execute(
                "INSERT INTO schema_version (version) VALUES (?1)",
                [v as i64 + 1],
            )
            .map_err(backend)?;
        }
        tx.commit().map_err(backend)
    }
}

fn version(conn: &Connection) -> Result<u32, StoreError> {
    let v: Option<i64> = conn
        .query_row("SELECT max(version) FROM schema_version", [], |r| r.get(0))
        .optional()
        .map_err(backend)?
        .flatten();
    Ok(v.unwrap_or(0) as u32)
}

fn current(conn: &Connection) -> Result<Revision, StoreError> {
    let v: i64 = conn
        .query_row(
            "SELECT coalesce(max(revision), 0) FROM revisions",
            [],
            |r| r.get(0),
        )
        .map_err(backend)?;
    Ok(Revision(v as u64))
}

fn exists(conn: &Connection, key: &FactKey) -> Result<bool, StoreError> {
    let r = match key {
        FactKey::Assignment { subject, role, on } => conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM assignments WHERE on_entity = ?1 AND role = ?2 AND subject = ?3)",
            params![on, role, subject],
            |r| r.get(0),
        ),
        FactKey::Relation {
            entity,
            relation,
            target: Some(t),
        } => conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM relations WHERE entity = ?1 AND relation = ?2 AND target = ?3)",
            params![entity, relation, t],
            |r| r.get(0),
        ),
        FactKey::Relation {
            entity,
            relation,
            target: None,
        } => conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM relations WHERE entity = ?1 AND relation = ?2)",
            params![entity, relation],
            |r| r.get(0),
        ),
        FactKey::Attribute { entity, name } => conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM attributes WHERE entity = ?1 AND name = ?2)",
            params![entity, name],
            |r| r.get(0),
        ),
    };
    r.map_err(backend)
}

/// Applies one change to the fact tables at revision `rev`.
fn apply(conn: &Connection, rev: i64, change: &Change) -> rusqlite::Result<usize> {
    match change {
        Change::Put(Fact::Assignment {
            subject,
            role,
            on,
            until_us,
        }) => conn
            .prepare_cached(
                "INSERT INTO assignments (on_entity, role, subject, until_us, revision) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (on_entity, role, subject) DO UPDATE SET until_us = excluded.until_us, revision = excluded.revision",
            )?
            .execute(params![on, role, subject, until_us, rev]),
        Change::Put(Fact::Relation {
            entity,
            relation,
            target,
        }) => conn
            .prepare_cached(
                "INSERT INTO relations (entity, relation, target, revision) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (entity, relation, target) DO NOTHING",
            )?
            .execute(params![entity, relation, target, rev]),
        Change::Put(Fact::Attribute {
            entity,
            name,
            value,
        }) => conn
            .prepare_cached(
                "INSERT INTO attributes (entity, name, value, revision) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (entity, name) DO UPDATE SET value = excluded.value, revision = excluded.revision",
            )?
            .execute(params![entity, name, value.to_string(), rev]),
        Change::Delete(FactKey::Assignment { subject, role, on }) => conn
            .prepare_cached(
                "DELETE FROM assignments WHERE on_entity = ?1 AND role = ?2 AND subject = ?3",
            )?
            .execute(params![on, role, subject]),
        Change::Delete(FactKey::Relation {
            entity,
            relation,
            target: Some(t),
        }) => conn
            .prepare_cached(
                "DELETE FROM relations WHERE entity = ?1 AND relation = ?2 AND target = ?3",
            )?
            .execute(params![entity, relation, t]),
        Change::Delete(FactKey::Relation {
            entity,
            relation,
            target: None,
        }) => conn
            .prepare_cached("DELETE FROM relations WHERE entity = ?1 AND relation = ?2")?
            .execute(params![entity, relation]),
        Change::Delete(FactKey::Attribute { entity, name }) => conn
            .prepare_cached("DELETE FROM attributes WHERE entity = ?1 AND name = ?2")?
            .execute(params![entity, name]),
    }
}

impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn revision(&self) -> Result<Revision, StoreError> {
        current(&self.conn())
    }

    fn load(&self, each: &mut dyn FnMut(Fact)) -> Result<Revision, StoreError> {
        let mut conn = self.conn();
        // One read transaction: the facts and the revision are of one snapshot.
        let tx = conn.transaction().map_err(backend)?;
        let rev = current(&tx)?;
        {
            let mut st = tx
                .prepare("SELECT subject, role, on_entity, until_us FROM assignments")
                .map_err(backend)?;
            let mut rows = st.query([]).map_err(backend)?;
            while let Some(r) = rows.next().map_err(backend)? {
                each(Fact::Assignment {
                    subject: r.get(0).map_err(backend)?,
                    role: r.get(1).map_err(backend)?,
                    on: r.get(2).map_err(backend)?,
                    until_us: r.get(3).map_err(backend)?,
                });
            }
            let mut st = tx
                .prepare("SELECT entity, relation, target FROM relations")
                .map_err(backend)?;
            let mut rows = st.query([]).map_err(backend)?;
            while let Some(r) = rows.next().map_err(backend)? {
                each(Fact::Relation {
                    entity: r.get(0).map_err(backend)?,
                    relation: r.get(1).map_err(backend)?,
                    target: r.get(2).map_err(backend)?,
                });
            }
            let mut st = tx
                .prepare("SELECT entity, name, value FROM attributes")
                .map_err(backend)?;
            let mut rows = st.query([]).map_err(backend)?;
            while let Some(r) = rows.next().map_err(backend)? {
                let text: String = r.get(2).map_err(backend)?;
                let value = serde_json::from_str(&text).map_err(|e| {
                    StoreError::Backend(format!("an attribute value is not JSON: {e}"))
                })?;
                each(Fact::Attribute {
                    entity: r.get(0).map_err(backend)?,
                    name: r.get(1).map_err(backend)?,
                    value,
                });
            }
        }
        tx.commit().map_err(backend)?;
        Ok(rev)
    }

    fn write(&self, w: &Write) -> Result<Revision, StoreError> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(backend)?;
        let now = current(&tx)?;
        if let Some(base) = w.base
            && base != now
        {
            return Err(StoreError::Moved { base, current: now });
        }
        for (index, p) in w.preconditions.iter().enumerate() {
            let holds = match p {
                Precondition::Exists(k) => exists(&tx, k)?,
                Precondition::Absent(k) => !exists(&tx, k)?,
                Precondition::Revision(r) => *r == now,
            };
            if !holds {
                return Err(StoreError::Precondition {
                    index,
                    precondition: p.clone(),
                    current: now,
                });
            }
        }
        let rev = now.0 as i64 + 1;
        tx.execute(
            "INSERT INTO revisions (revision, committed_at_us) VALUES (?1, ?2)",
            params![rev, crate::time::now()],
        )
        .map_err(backend)?;
        {
            let mut insert = tx
                .prepare_cached("INSERT INTO changes (revision, seq, change) VALUES (?1, ?2, ?3)")
                .map_err(backend)?;
            for (seq, c) in w.changes.iter().enumerate() {
                apply(&tx, rev, c).map_err(backend)?;
                let json =
                    serde_json::to_string(c).map_err(|e| StoreError::Backend(e.to_string()))?;
                insert
                    .execute(params![rev, seq as i64, json])
                    .map_err(backend)?;
            }
        }
        tx.commit().map_err(backend)?;
        Ok(Revision(rev as u64))
    }

    fn changes_since(&self, after: Revision, limit: usize) -> Result<Vec<Committed>, StoreError> {
        let conn = self.conn();
        let mut st = conn
            .prepare_cached(
                "SELECT r.revision, c.change FROM revisions r LEFT JOIN changes c ON c.revision = r.revision
                 WHERE r.revision > ?1 AND r.revision <= ?2 ORDER BY r.revision, c.seq",
            )
            .map_err(backend)?;
        let upper = after.0.saturating_add(limit as u64).min(i64::MAX as u64);
        let mut rows = st
            .query(params![after.0 as i64, upper as i64])
            .map_err(backend)?;
        let mut out: Vec<Committed> = Vec::new();
        while let Some(r) = rows.next().map_err(backend)? {
            let rev = Revision(r.get::<_, i64>(0).map_err(backend)? as u64);
            let change: Option<String> = r.get(1).map_err(backend)?;
            if out.last().is_none_or(|c| c.revision != rev) {
                out.push(Committed {
                    revision: rev,
                    changes: Vec::new(),
                });
            }
            if let (Some(text), Some(last)) = (change, out.last_mut()) {
                let c: Change = serde_json::from_str(&text).map_err(|e| {
                    StoreError::Backend(format!("change of revision {rev} is not readable: {e}"))
                })?;
                last.changes.push(c);
            }
        }
        Ok(out)
    }
}

//! The fact store (feature `store`): facts in a database, written by transactions, each
//! committed transaction a revision. One interface, [`Store`], with a backend per database:
//! SQLite (`sqlite.rs`, feature `sqlite`) and PostgreSQL (feature `postgres`). The store keeps
//! facts and changes by name ([`Fact`], [`Change`]); checking them against the policy and
//! applying them to the in-memory [`Facts`] is the library's (`facts::write`), so every backend
//! holds the same model. `docs/store.md` has the schema and the revision model.

#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "sqlite")]
pub mod sqlite;

use crate::compiled::Policy;
use crate::diag::{Code, Diagnostic};
use crate::facts::Facts;
use crate::facts::write::{
    self, Change, CheckedChange, Constraints, Fact, Judgement, Precondition, Revision, Transaction,
};
use std::time::Duration;

/// The schema version this polc writes and reads (`schema_version` table). A store at a newer
/// version is refused (E0609); an older one is migrated when opened.
pub const SCHEMA_VERSION: u32 = 1;

/// What a store commits: changes by name, all or nothing, under preconditions.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Write {
    /// Commit only while the store is still at this revision: the revision the changes were
    /// checked against (constraints). Otherwise nothing is written and the store answers
    /// [`StoreError::Moved`], so the writer catches up, checks again and retries.
    pub base: Option<Revision>,
    /// The caller's preconditions, checked in the same database transaction as the changes.
    pub preconditions: Vec<Precondition>,
    /// In order; each is one row of the changes table, at the new revision.
    pub changes: Vec<Change>,
}

/// A committed transaction as the changes table gives it back.
#[derive(Clone, Debug, PartialEq)]
pub struct Committed {
    /// The revision the transaction made.
    pub revision: Revision,
    /// Its changes, in the order it made them.
    pub changes: Vec<Change>,
}

/// A fact store. Every method is blocking (call it from `spawn_blocking` in async code); a store
/// is shared between threads.
pub trait Store: Send + Sync {
    /// The backend's name, for messages: `sqlite`, `postgres`.
    fn backend(&self) -> &'static str;

    /// The revision of the last committed transaction (0 for a new store).
    fn revision(&self) -> Result<Revision, StoreError>;

    /// Every current fact, handed to `each` in one read transaction, and the revision they are
    /// at. Assignments come first, then relations, then attributes.
    fn load(&self, each: &mut dyn FnMut(Fact)) -> Result<Revision, StoreError>;

    /// Commits the write as one transaction, or nothing: a precondition that does not hold is
    /// [`StoreError::Precondition`], a `base` that is not the current revision is
    /// [`StoreError::Moved`]. Writers are serialized: two writes never get one revision.
    fn write(&self, w: &Write) -> Result<Revision, StoreError>;

    /// The transactions committed after `after`, in revision order, at most `limit` of them.
    fn changes_since(&self, after: Revision, limit: usize) -> Result<Vec<Committed>, StoreError>;

    /// What the backend wants the operator to know about how it runs, once it knows it: W0610
    /// when a PostgreSQL-compatible database cannot LISTEN and waiting polls.
    fn warning(&self) -> Option<Diagnostic> {
        None
    }

    /// What is unsafe about how the store was reached, known when it is opened: W0611 when a
    /// PostgreSQL connection over the network is in the clear or does not check the server's
    /// certificate. Logged by `polc serve` at start.
    fn connection_warning(&self) -> Option<Diagnostic> {
        None
    }

    /// Waits until the store may be past `after`, or `timeout` passes. Backends that can be woken
    /// (PostgreSQL's LISTEN/NOTIFY) override this; the default polls.
    fn wait(&self, after: Revision, timeout: Duration) -> Result<(), StoreError> {
        let start = std::time::Instant::now();
        while self.revision()? <= after && start.elapsed() < timeout {
            std::thread::sleep(Duration::from_millis(10).min(timeout));
        }
        Ok(())
    }
}

/// Why a store did not do what it was asked.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum StoreError {
    /// A precondition of the write does not hold; nothing was written.
    #[error("precondition {index} failed: {precondition}")]
    Precondition {
        /// The precondition's index in the write.
        index: usize,
        /// The precondition that does not hold.
        precondition: Precondition,
        /// The store's revision when it was checked.
        current: Revision,
    },
    /// The store is no longer at the write's `base` revision; nothing was written.
    #[error("the store moved from revision {base} to {current}")]
    Moved {
        /// The revision the write was based on.
        base: Revision,
        /// The store's revision now.
        current: Revision,
    },
    /// The store URL is not one polc reads (E0606).
    #[error("{0}")]
    Url(String),
    /// The URL names a backend whose feature this polc was built without (E0607).
    #[error(
        "this polc was built without the `{feature}` feature: `{backend}` stores are not built"
    )]
    NotBuilt {
        /// The backend named (`postgres`).
        backend: &'static str,
        /// The cargo feature that builds it.
        feature: &'static str,
    },
    /// The store was migrated by a newer polc (E0609).
    #[error("the store has schema version {found}; this polc knows versions up to {known}")]
    Schema {
        /// The store's schema version.
        found: u32,
        /// The newest schema version this polc knows.
        known: u32,
    },
    /// The database failed (disk full, locked past the wait, a statement refused).
    #[error("{0}")]
    Backend(String),
    /// A `postgres://` URL the PostgreSQL client does not understand (E0620).
    #[error("{0}")]
    ConnectionString(String),
    /// The database server cannot be reached, or the connection to it was lost (E0621).
    #[error("{0}")]
    Unreachable(String),
    /// The files of the URL's TLS parameters cannot be read or do not fit (E0622).
    #[error("{0}")]
    Tls(String),
}

impl StoreError {
    /// The error as a diagnostic (E0602 to E0609, E0620 to E0622).
    pub fn diagnostic(&self) -> Diagnostic {
        match self {
            StoreError::Precondition {
                precondition,
                current,
                ..
            } => write::precondition_diagnostic(precondition, *current),
            StoreError::Moved { .. } => Diagnostic::new(Code::E0608, self.to_string())
                .help("another writer committed first; retry"),
            StoreError::Url(m) => Diagnostic::new(Code::E0606, m.clone()).help(
                "write `--store sqlite:PATH` (a file, created if absent) or `--store postgres://USER@HOST/DB`",
            ),
            StoreError::NotBuilt { feature, .. } => {
                Diagnostic::new(Code::E0607, self.to_string())
                    .help(format!("build polc with `--features {feature}`"))
            }
            StoreError::Schema { .. } => Diagnostic::new(Code::E0609, self.to_string())
                .help("a newer polc migrated this store: use that version"),
            StoreError::Backend(m) => Diagnostic::new(Code::E0608, format!("the store failed: {m}")),
            StoreError::ConnectionString(m) => Diagnostic::new(
                Code::E0620,
                format!("the PostgreSQL URL is not understood: {m}"),
            )
            .help("write `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?OPTION=VALUE&...]`, with the options of libpq's connection URIs"),
            StoreError::Unreachable(m) => Diagnostic::new(
                Code::E0621,
                format!("the database cannot be reached: {m}"),
            )
            .help("check that the database server runs and listens where the URL says; a server keeps serving its last revision and catches up when it is back"),
            StoreError::Tls(m) => Diagnostic::new(
                Code::E0622,
                format!("TLS to the database cannot be set up: {m}"),
            )
            .help("`sslrootcert` names a PEM file of the certificate authorities that signed the server's certificate; `sslcert` and `sslkey` a PEM certificate chain and its private key"),
        }
    }
}

/// Where a store is: `sqlite:PATH` or `postgres://...` (`postgresql://` too).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreUrl {
    /// `sqlite:PATH`: the database file (created if absent).
    Sqlite(std::path::PathBuf),
    /// The URL as given, for the PostgreSQL client.
    Postgres(String),
}

impl StoreUrl {
    /// Reads a store URL; anything but `sqlite:` and `postgres(ql)://` is [`StoreError::Url`].
    pub fn parse(url: &str) -> Result<StoreUrl, StoreError> {
        if let Some(path) = url.strip_prefix("sqlite:") {
            // `sqlite://PATH` is read as `sqlite:PATH` too (an absolute path keeps its `/`).
            let path = path.strip_prefix("//").unwrap_or(path);
            if path.is_empty() {
                return Err(StoreError::Url(format!(
                    "`{url}` names no file: write `sqlite:PATH`"
                )));
            }
            return Ok(StoreUrl::Sqlite(path.into()));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(StoreUrl::Postgres(url.to_string()));
        }
        Err(StoreError::Url(format!(
            "`{url}` is not a store URL: it starts with neither `sqlite:` nor `postgres://`"
        )))
    }
}

/// Opens (creating and migrating as needed) the store at `url`.
pub fn open(url: &StoreUrl) -> Result<Box<dyn Store>, StoreError> {
    match url {
        #[cfg(feature = "sqlite")]
        StoreUrl::Sqlite(path) => Ok(Box::new(sqlite::SqliteStore::open(path)?)),
        #[cfg(not(feature = "sqlite"))]
        StoreUrl::Sqlite(_) => Err(StoreError::NotBuilt {
            backend: "sqlite",
            feature: "sqlite",
        }),
        #[cfg(feature = "postgres")]
        StoreUrl::Postgres(url) => Ok(Box::new(postgres::PostgresStore::open(url)?)),
        #[cfg(not(feature = "postgres"))]
        StoreUrl::Postgres(_) => Err(StoreError::NotBuilt {
            backend: "postgres",
            feature: "postgres",
        }),
    }
}

/// Loads the store's facts into new facts checked against the policy: all of them, or every
/// fact that no longer fits the policy (an unknown role after the policy changed, ...).
pub fn load_facts(store: &dyn Store, policy: &Policy) -> Result<(Facts, Revision), LoadError> {
    let mut facts = Facts::new(policy);
    let mut errors = Vec::new();
    let revision = store
        .load(&mut |f| match write::check_fact(policy, &f) {
            Ok(checked) if errors.is_empty() => facts.apply(&checked),
            Ok(_) => {}
            Err(d) => errors.push(d),
        })
        .map_err(LoadError::Store)?;
    if !errors.is_empty() {
        return Err(LoadError::Facts(errors));
    }
    facts.shrink();
    Ok((facts, revision))
}

/// Why facts could not be loaded from a store.
#[derive(Debug)]
pub enum LoadError {
    /// The store failed or is not readable.
    Store(StoreError),
    /// Stored facts the policy refuses.
    Facts(Vec<Diagnostic>),
}

impl LoadError {
    /// The error as diagnostics: one for a store error, the policy's for refused facts.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        match self {
            LoadError::Store(e) => vec![e.diagnostic()],
            LoadError::Facts(d) => d.clone(),
        }
    }
}

/// Checks committed changes against the policy (they are by name).
pub fn check_committed(policy: &Policy, c: &Committed) -> Result<Vec<CheckedChange>, Diagnostic> {
    c.changes
        .iter()
        .map(|ch| write::check_change(policy, ch))
        .collect()
}

/// Facts kept in memory beside a store, at a revision: what [`commit`] and [`catch_up`] bring
/// up to date. `(Facts, Revision)` is one (the CLI's); the server's keeps its facts behind a
/// lock, with the search index beside them.
pub trait Follower {
    /// The revision the facts are at.
    fn at(&self) -> Revision;

    /// Applies one committed transaction, the one after [`Follower::at`], checked against the
    /// policy; the facts are then at `revision`.
    fn apply(&mut self, policy: &Policy, revision: Revision, changes: &[CheckedChange]);

    /// Judges a transaction against the facts at [`Follower::at`] ([`write::judge`]), without
    /// changing what readers see.
    fn judge(
        &mut self,
        policy: &Policy,
        tx: &Transaction,
        constraints: Constraints,
        now: i64,
    ) -> Judgement;
}

impl Follower for (Facts, Revision) {
    fn at(&self) -> Revision {
        self.1
    }

    fn apply(&mut self, policy: &Policy, revision: Revision, changes: &[CheckedChange]) {
        write::apply(policy, &mut self.0, changes);
        self.1 = revision;
    }

    fn judge(
        &mut self,
        policy: &Policy,
        tx: &Transaction,
        constraints: Constraints,
        now: i64,
    ) -> Judgement {
        write::judge(policy, &mut self.0, self.1, tx, constraints, now)
    }
}

/// Brings a follower up to the store's revision, applying each committed transaction in
/// place, in revision order. Returns how many were applied.
pub fn catch_up(
    store: &dyn Store,
    policy: &Policy,
    follower: &mut dyn Follower,
) -> Result<usize, LoadError> {
    let mut n = 0;
    loop {
        let batch = store
            .changes_since(follower.at(), 1000)
            .map_err(LoadError::Store)?;
        if batch.is_empty() {
            return Ok(n);
        }
        for c in &batch {
            let checked = check_committed(policy, c).map_err(|d| LoadError::Facts(vec![d]))?;
            follower.apply(policy, c.revision, &checked);
            n += 1;
        }
    }
}

/// What [`commit`] did.
#[derive(Debug)]
pub struct Written {
    /// The revision the transaction made.
    pub revision: Revision,
    /// The constraints the transaction broke (with `warn`).
    pub warnings: Vec<Diagnostic>,
}

/// Why [`commit`] wrote nothing.
#[derive(Debug)]
pub enum WriteError {
    /// A precondition does not hold (E0602, E0603: 409; E0604: 412).
    Precondition {
        /// What does not hold.
        diagnostic: Diagnostic,
        /// Whether it was a revision check (E0604, 412) rather than a fact (409).
        revision_only: bool,
    },
    /// With `enforce`: E0605 and the constraint lints it would break.
    Refused(Vec<Diagnostic>),
    /// The store failed, or the facts it holds no longer fit the policy.
    Store(Vec<Diagnostic>),
}

/// Writes a checked transaction to the store and brings the follower up to its revision:
/// catches up with the store, judges the preconditions and constraints against the facts as
/// they would be after the transaction, commits (when the policy has constraints, based on the
/// revision judged, so that a concurrent writer makes it judge again), and applies what the
/// store committed up to and including it, in revision order. The store commits before this
/// returns: a revision returned is durable.
pub fn commit(
    store: &dyn Store,
    policy: &Policy,
    follower: &mut dyn Follower,
    tx: &Transaction,
    constraints: Constraints,
    now: i64,
) -> Result<Written, WriteError> {
    let store_err = |e: LoadError| WriteError::Store(e.diagnostics());
    let based = write::has_constraints(policy);
    let w = Write {
        base: None,
        preconditions: tx.store_preconditions(policy),
        changes: tx.store_changes(policy),
    };
    // Bounded: each retry means another writer committed in between.
    for _ in 0..100 {
        catch_up(store, policy, follower).map_err(store_err)?;
        let warnings = match follower.judge(policy, tx, constraints, now) {
            Judgement::Failed {
                diagnostic,
                revision_only,
                ..
            } => {
                return Err(WriteError::Precondition {
                    diagnostic,
                    revision_only,
                });
            }
            Judgement::Refused(broken) => {
                let mut all = vec![write::refusal(&broken)];
                all.extend(broken);
                return Err(WriteError::Refused(all));
            }
            Judgement::Accepted { warnings } => warnings,
        };
        let attempt = Write {
            base: based.then(|| follower.at()),
            ..w.clone()
        };
        match store.write(&attempt) {
            Ok(revision) => {
                // The store's changes up to ours (other writers' first, without a base), read
                // back in order: the follower applies exactly what was committed.
                while follower.at() < revision {
                    let before = follower.at();
                    catch_up(store, policy, follower).map_err(store_err)?;
                    if follower.at() == before {
                        return Err(WriteError::Store(vec![Diagnostic::new(
                            Code::E0608,
                            format!("revision {revision} was committed but cannot be read back"),
                        )]));
                    }
                }
                return Ok(Written { revision, warnings });
            }
            Err(StoreError::Moved { .. }) => continue,
            Err(e @ StoreError::Precondition { .. }) => {
                // Another writer changed the facts between the catch-up and the commit.
                let revision_only = matches!(
                    e,
                    StoreError::Precondition {
                        precondition: Precondition::Revision(_),
                        ..
                    }
                );
                return Err(WriteError::Precondition {
                    diagnostic: e.diagnostic(),
                    revision_only,
                });
            }
            Err(e) => return Err(WriteError::Store(vec![e.diagnostic()])),
        }
    }
    Err(WriteError::Store(vec![Diagnostic::new(
        Code::E0608,
        "the store kept moving: 100 attempts to commit lost to other writers",
    )]))
}

/// The store's facts as a JSON facts document (the format of `--data FILE.json`, which
/// `polc facts import` reads back), and their revision. Each member is sorted, so that an export
/// of the same facts is the same text.
pub fn export(store: &dyn Store) -> Result<(serde_json::Value, Revision), StoreError> {
    use serde_json::{Map, Value, json};
    let mut assignments = Vec::new();
    let mut relations = Vec::new();
    let mut attributes: std::collections::BTreeMap<String, Map<String, Value>> =
        std::collections::BTreeMap::new();
    let revision = store.load(&mut |f| match f {
        Fact::Assignment {
            subject,
            role,
            on,
            until_us,
        } => {
            let mut a = json!({"actor": subject, "role": role, "on": on});
            if let Some(u) = until_us {
                a["until"] = json!(crate::time::format(u));
            }
            assignments.push(((on, role.clone(), a["actor"].to_string()), a));
        }
        Fact::Relation {
            entity,
            relation,
            target,
        } => relations.push(json!({"from": entity, "relation": relation, "to": target})),
        Fact::Attribute {
            entity,
            name,
            value,
        } => {
            attributes.entry(entity).or_default().insert(name, value);
        }
    })?;
    assignments.sort_by(|a, b| a.0.cmp(&b.0));
    relations.sort_by_key(|r| r.to_string());
    let mut doc = Map::new();
    doc.insert(
        "assignments".into(),
        Value::Array(assignments.into_iter().map(|(_, a)| a).collect()),
    );
    doc.insert("relations".into(), Value::Array(relations));
    let attrs: Map<String, Value> = attributes
        .into_iter()
        .map(|(e, m)| {
            let mut m: Vec<(String, Value)> = m.into_iter().collect();
            m.sort_by(|a, b| a.0.cmp(&b.0));
            (e, Value::Object(m.into_iter().collect()))
        })
        .collect();
    doc.insert("attributes".into(), Value::Object(attrs));
    Ok((Value::Object(doc), revision))
}

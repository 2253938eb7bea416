//! `polc serve --store URL`: the facts come from a store, writes go to it (`POST
//! /facts/v1/write`), and a follower thread applies what other writers commit, in revision
//! order, to the facts in place. Decisions and searches may ask for "at least revision N"
//! (`X-Polc-Revision: N`) and wait for it, up to a bound. The write model is `facts::write`
//! and `store::commit`; this is the server's side of it (docs/serve.md, docs/store.md).

use super::{Current, Engine, Shared, Sources};
use crate::compiled::Policy;
use crate::diag::render::{self, HumanStyle};
use crate::diag::{Code, Diagnostic};
use crate::facts::write::{self, CheckedChange, Constraints, Judgement, Revision, Transaction};
use crate::source::SourceMap;
use crate::store::{Follower, Store, WriteError};
use serde_json::{Value, json};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

/// The store a server serves from, and what its writers and waiters share.
pub struct StoreState {
    /// The store the facts are read from and written to.
    pub store: Arc<dyn Store>,
    /// Which data constraints a write is checked against (`--constraints`): off, warn or enforce.
    pub constraints: Constraints,
    /// How long a request asking for a revision the server has not reached waits for it.
    pub revision_wait: Duration,
    /// One writer (the write endpoint, the follower, a reload) at a time in this process; other
    /// processes are serialized by the store.
    writer: Mutex<()>,
    /// The revision the served facts are at, for requests that wait for one.
    applied: tokio::sync::watch::Sender<Revision>,
    /// Why the last read of the store failed, until one succeeds (`/health` is degraded).
    last_error: Mutex<Option<String>>,
}

impl std::fmt::Debug for StoreState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreState")
            .field("backend", &self.store.backend())
            .finish()
    }
}

impl StoreState {
    /// The state of a store whose facts the server has loaded at revision `at`.
    pub fn new(
        store: Arc<dyn Store>,
        constraints: Constraints,
        revision_wait: Duration,
        at: Revision,
    ) -> StoreState {
        StoreState {
            store,
            constraints,
            revision_wait,
            writer: Mutex::new(()),
            applied: tokio::sync::watch::channel(at).0,
            last_error: Mutex::new(None),
        }
    }

    pub(super) fn writer(&self) -> std::sync::MutexGuard<'_, ()> {
        self.writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(super) fn applied(&self, r: Revision) {
        self.applied.send_if_modified(|at| {
            let newer = r > *at;
            if newer {
                *at = r;
            }
            newer
        });
    }

    /// Why the store cannot be read, when the last attempt failed.
    pub fn last_error(&self) -> Option<String> {
        self.last_error
            .lock()
            .map(|g| g.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    fn set_error(&self, e: Option<String>) {
        let mut g = self
            .last_error
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *g = e;
    }
}

/// Compiles the policy and loads the facts from the store; the rendered diagnostics when
/// either fails.
pub fn load_from_store(sources: &Sources, st: &StoreState) -> Result<Engine, String> {
    let loaded = crate::load_policy(&sources.policy).map_err(|(s, d)| plain(&s, &d))?;
    let policy_revision = super::revision(&loaded.sources);
    let (facts, at) = crate::store::load_facts(&*st.store, &loaded.policy)
        .map_err(|e| plain(&loaded.sources, &e.diagnostics()))?;
    let index = crate::eval::index::SearchIndex::new(&loaded.policy, &facts);
    Ok(Engine {
        policy: Arc::new(loaded.policy),
        facts,
        policy_revision,
        facts_revision: at.to_string(),
        index,
        store_revision: Some(at),
    })
}

fn plain(sources: &SourceMap, diags: &[Diagnostic]) -> String {
    diags
        .iter()
        .map(|d| render::human(d, sources, HumanStyle::plain()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The served engine as a [`Follower`]: changes are applied in place under the write lock,
/// with the search index; judging (only when the policy has constraints) applies and undoes
/// them under the write lock too, so that readers never see a transaction that is not
/// committed.
struct Served<'a> {
    current: &'a Current,
    st: &'a StoreState,
}

impl Follower for Served<'_> {
    fn at(&self) -> Revision {
        self.current.read().store_revision.unwrap_or_default()
    }

    fn apply(&mut self, policy: &Policy, revision: Revision, changes: &[CheckedChange]) {
        {
            let mut e = self.current.write();
            let e = &mut *e;
            write::apply(policy, &mut e.facts, changes);
            e.index.add_changes(policy, &e.facts, changes);
            e.store_revision = Some(revision);
            e.facts_revision = revision.to_string();
        }
        self.st.applied(revision);
    }

    fn judge(
        &mut self,
        policy: &Policy,
        tx: &Transaction,
        constraints: Constraints,
        now: i64,
    ) -> Judgement {
        let at = self.at();
        if !write::has_constraints(policy) {
            let e = self.current.read();
            return write::judge_preconditions(policy, &e.facts, at, tx).unwrap_or(
                Judgement::Accepted {
                    warnings: Vec::new(),
                },
            );
        }
        // Judging applies the changes and undoes them: under the write lock, so that no reader
        // sees them. It costs what the write touches (the lints are scoped), not a copy of the
        // facts (seconds at 10,000,000 assignments).
        let mut e = self.current.write();
        write::judge(policy, &mut e.facts, at, tx, constraints, now)
    }
}

/// Applies what the store committed since the served revision; records a failure for
/// `/health`.
fn follow(shared: &Shared, st: &StoreState) {
    let _w = st.writer();
    let current = shared.engine.load_full();
    let policy = current.read().policy.clone();
    let mut served = Served {
        current: &current,
        st,
    };
    match crate::store::catch_up(&*st.store, &policy, &mut served) {
        Ok(_) => st.set_error(None),
        Err(e) => {
            let msg = e
                .diagnostics()
                .iter()
                .map(|d| d.message.clone())
                .collect::<Vec<_>>()
                .join("; ");
            if st.last_error().as_deref() != Some(&msg) {
                tracing::error!("cannot follow the store: {msg}");
            }
            st.set_error(Some(msg));
        }
    }
}

/// Builds the served facts anew from the store when they hold more retracted assignments than
/// [`Limits::compact_min`](super::Limits::compact_min) and than live ones: a reload (requests
/// keep being answered by the old engine until the new one is swapped in). On the follower's
/// thread, never on a request's.
fn compact(shared: &Shared) {
    let (retracted, slots) = {
        let current = shared.engine.load();
        let e = current.read();
        (e.facts.retracted_count(), e.facts.slot_count())
    };
    let live = slots - retracted.min(slots);
    if retracted <= shared.limits.compact_min.max(live)
        || retracted < shared.compact_after.load(Ordering::Relaxed)
    {
        return;
    }
    tracing::info!(
        "building the facts anew from the store: {retracted} retracted assignments beside {live} live ones"
    );
    match shared.reload() {
        Ok(()) => {
            shared.compact_after.store(0, Ordering::Relaxed);
            shared.metrics.compactions.fetch_add(1, Ordering::Relaxed);
        }
        Err(e) => {
            // Not again before as many retractions more: the reload's error is in `/health`.
            shared
                .compact_after
                .store(retracted.saturating_mul(2), Ordering::Relaxed);
            tracing::error!("cannot build the facts anew from the store: {e}");
        }
    }
}

/// Starts the thread that follows the store for as long as the server lives.
pub(super) fn start_follower(shared: &Arc<Shared>) {
    let Some(st) = &shared.store else { return };
    let store = st.store.clone();
    let weak: Weak<Shared> = Arc::downgrade(shared);
    let spawned = std::thread::Builder::new()
        .name("polc-store-follower".into())
        .spawn(move || {
            let mut warned = false;
            loop {
                let at = match weak.upgrade() {
                    Some(s) => s.engine.load().read().store_revision.unwrap_or_default(),
                    None => return,
                };
                // Wakes when the store moves past `at`, or after a while to look again.
                let waited = store.wait(at, Duration::from_millis(200));
                if !warned && let Some(w) = store.warning() {
                    tracing::warn!("{}: {}", w.code.as_str(), w.message);
                    warned = true;
                }
                if let Err(e) = waited {
                    std::thread::sleep(Duration::from_millis(200));
                    if let Some(s) = weak.upgrade()
                        && let Some(st) = &s.store
                    {
                        st.set_error(Some(e.diagnostic().message));
                    }
                    continue;
                }
                let Some(s) = weak.upgrade() else { return };
                if let Some(st) = &s.store {
                    follow(&s, st);
                }
                compact(&s);
            }
        });
    if let Err(e) = spawned {
        tracing::error!("cannot start the store follower: {e}");
    }
}

/// `X-Polc-Revision: N`: the revision a request asks the facts to be at, at least.
pub(super) fn asked_revision(headers: &axum::http::HeaderMap) -> Result<Option<Revision>, String> {
    match headers.get("x-polc-revision") {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|t| t.trim().parse::<u64>().ok())
            .map(|r| Some(Revision(r)))
            .ok_or_else(|| "`X-Polc-Revision` must be a revision number (0, 1, 2, ...)".into()),
    }
}

/// Waits until the served facts are at `asked` or later, up to the bound; the E0610 diagnostic
/// when they are not by then.
pub(super) async fn reach(shared: &Shared, asked: Revision) -> Result<(), Diagnostic> {
    let at = || {
        shared
            .engine
            .load()
            .read()
            .store_revision
            .unwrap_or_default()
    };
    if at() >= asked {
        return Ok(());
    }
    let (bound, reached) = match &shared.store {
        Some(st) => {
            let mut rx = st.applied.subscribe();
            let waited = tokio::time::timeout(st.revision_wait, rx.wait_for(|r| *r >= asked)).await;
            (st.revision_wait, matches!(waited, Ok(Ok(_))))
        }
        None => (Duration::ZERO, false),
    };
    if reached && at() >= asked {
        return Ok(());
    }
    let now = at();
    let d = match &shared.store {
        Some(_) => Diagnostic::new(
            Code::E0610,
            format!(
                "the facts are at revision {now}; revision {asked} was asked for and not reached within {bound:?}"
            ),
        )
        .help("retry, ask a server that is up to date, or raise `--revision-wait`"),
        None => Diagnostic::new(
            Code::E0610,
            format!("revision {asked} was asked for, and this server has no store (its facts are a file)"),
        )
        .help("start the server with `--store URL`, or do not send `X-Polc-Revision`"),
    };
    Err(d)
}

/// `POST /facts/v1/write`: the status and the body of the answer.
pub(super) fn write(shared: &Shared, text: &str) -> (u16, Value) {
    let Some(st) = &shared.store else {
        return (
            404,
            json!({"error": {"status": 404, "message": "this server has no store: start it with `--store URL` to write facts"}}),
        );
    };
    let _w = st.writer();
    let current = shared.engine.load_full();
    let policy = current.read().policy.clone();
    let mut sources = SourceMap::new();
    let file = sources.add("transaction", text.to_string());
    let tx = match write::transaction_from_json(&policy, file, text) {
        Ok(tx) => tx,
        Err(d) => return refusal(400, &d, &sources),
    };
    let mut served = Served {
        current: &current,
        st,
    };
    let now = crate::time::now();
    match crate::store::commit(&*st.store, &policy, &mut served, &tx, st.constraints, now) {
        Ok(w) => (
            200,
            json!({
                "revision": w.revision,
                "warnings": w.warnings.iter().map(|d| diagnostic_json(d, &sources)).collect::<Vec<_>>(),
            }),
        ),
        Err(WriteError::Precondition {
            diagnostic,
            revision_only,
        }) => refusal(
            if revision_only { 412 } else { 409 },
            &[diagnostic],
            &sources,
        ),
        Err(WriteError::Refused(d)) => refusal(409, &d, &sources),
        Err(WriteError::Store(d)) => {
            st.set_error(Some(
                d.iter()
                    .map(|d| d.message.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
            ));
            refusal(503, &d, &sources)
        }
    }
}

fn diagnostic_json(d: &Diagnostic, sources: &SourceMap) -> Value {
    let mut v = super::authzen::error_json(0, d);
    if let Some(o) = v.as_object_mut() {
        o.remove("status");
    }
    v["rendered"] = json!(render::human(d, sources, HumanStyle::plain()));
    v
}

/// An error answer: the first diagnostic is the error, all of them follow.
fn refusal(status: u16, diags: &[Diagnostic], sources: &SourceMap) -> (u16, Value) {
    let first = diags
        .first()
        .cloned()
        .unwrap_or_else(|| Diagnostic::new(Code::E0608, "the write failed"));
    let mut e = super::authzen::error_json(status, &first);
    e["diagnostics"] = json!(
        diags
            .iter()
            .map(|d| diagnostic_json(d, sources))
            .collect::<Vec<_>>()
    );
    (status, json!({ "error": e }))
}

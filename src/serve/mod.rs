//! `polc serve`: a decision server speaking the OpenID AuthZEN Authorization API 1.0.
//!
//! The handlers (`http.rs`) read a request, ask the library through `authzen.rs` and write JSON;
//! the compiled policy and its facts are an [`Engine`] behind an `ArcSwap`, so a reload (SIGHUP)
//! installs a new one atomically and no request sees half of it. See `docs/serve.md`.

mod authzen;
mod batch;
mod http;
mod listen;
pub mod model;
mod run;
mod store;

use arc_swap::ArcSwap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

pub use http::{router, serve, serve_tls};
pub use listen::tls_config;
pub use run::run;
pub use store::{StoreState, load_from_store};

/// A compiled policy and its facts, with the revisions `/health` and the decision log name.
#[derive(Debug)]
pub struct Engine {
    /// Shared with the writer, which checks transactions against it outside the engine's lock.
    pub policy: Arc<crate::compiled::Policy>,
    /// The facts decisions are made against.
    pub facts: crate::facts::Facts,
    /// A hash of the policy's sources, as `/health` reports it.
    pub policy_revision: String,
    /// A hash of the data file, or (with a store) the store's revision.
    pub facts_revision: String,
    /// The reverse index of the facts for searches, built at load (and added to by writes).
    pub index: crate::eval::index::SearchIndex,
    /// With a store: the revision the facts are at.
    pub store_revision: Option<crate::facts::write::Revision>,
}

/// The engine being served. A reload installs a new one whole (`ArcSwap`); a write to the store
/// changes the facts of this one in place, under the write lock, between decisions (each
/// decision holds the read lock while it decides).
#[derive(Debug)]
pub struct Current(std::sync::RwLock<Engine>);

impl Current {
    /// Wraps `engine` for serving.
    pub fn new(engine: Engine) -> Current {
        Current(std::sync::RwLock::new(engine))
    }

    /// Locks the engine for reading (decisions); a lock poisoned by a panicking writer is
    /// taken anyway.
    pub fn read(&self) -> std::sync::RwLockReadGuard<'_, Engine> {
        self.0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Locks the engine for writing (store writes, between decisions); poisoning is ignored
    /// as in [`Current::read`].
    pub fn write(&self) -> std::sync::RwLockWriteGuard<'_, Engine> {
        self.0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Engine {
    /// The revision page tokens carry: the policy's and the facts'.
    pub fn revision(&self) -> String {
        format!("{}.{}", self.policy_revision, self.facts_revision)
    }
}

/// Where the policy and the facts come from.
#[derive(Clone, Debug)]
pub struct Sources {
    /// The policy's `.pol` files or folders, or one compiled artifact, recompiled on reload.
    pub policy: Vec<PathBuf>,
    /// The data file the facts are read from, when there is no store.
    pub data: Option<PathBuf>,
}

/// The server's limits (`docs/serve.md`).
#[derive(Clone, Debug)]
pub struct Limits {
    /// Request bodies past this many bytes are refused with 413.
    pub body_bytes: usize,
    /// At most this many items in one `/evaluations` request.
    pub batch: usize,
    /// The page size of a search when the request sets none, and the most it may ask for.
    pub page_default: usize,
    /// The most a search page may ask for; a larger `limit` is lowered to it.
    pub page_max: usize,
    /// At most this many connections open at once; past it, accepting waits.
    pub connections: usize,
    /// A request that takes longer is answered 503 (E0801), never with a decision. Batches and
    /// searches stop at the first item or candidate past it; one decision is bounded by the
    /// evaluator's step limit and checked when it returns.
    pub time_limit: std::time::Duration,
    /// With a store: the served facts are built anew from the store (a reload, off the request
    /// path) once they hold more retracted assignments than this and than live ones, so that
    /// deletes, replaced `until`s and judged writes do not grow the memory without bound.
    pub compact_min: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            body_bytes: 1 << 20,
            batch: 10_000,
            page_default: 100,
            page_max: 1000,
            connections: 10_000,
            time_limit: std::time::Duration::from_secs(1),
            compact_min: 100_000,
        }
    }
}

/// Counters for `/metrics`.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Decisions that allowed.
    pub allow: AtomicU64,
    /// Decisions that denied.
    pub deny: AtomicU64,
    /// Requests answered with an error.
    pub errors: AtomicU64,
    /// Successful reloads.
    pub reloads: AtomicU64,
    /// Reloads that failed (the old engine kept serving).
    pub reload_failures: AtomicU64,
    /// Reloads that built the facts anew from the store to drop retracted assignments
    /// ([`Limits::compact_min`]); counted in `reloads` too.
    pub compactions: AtomicU64,
    /// Request latency: how many fell in each bucket (at most [`LATENCY_BUCKETS`]`[i]` seconds and
    /// over the one before; the last slot is over them all; `/metrics` adds them up), and the sum
    /// in microseconds.
    pub latency: [AtomicU64; LATENCY_BUCKETS.len() + 1],
    /// How many requests were observed.
    pub latency_count: AtomicU64,
    /// The sum of their latencies, in microseconds.
    pub latency_sum_us: AtomicU64,
}

/// The latency buckets, in seconds: fine below a millisecond, where a decision's p99 should be.
pub const LATENCY_BUCKETS: [f64; 14] = [
    0.000025, 0.00005, 0.000075, 0.0001, 0.00015, 0.00025, 0.0005, 0.00075, 0.001, 0.0025, 0.005,
    0.025, 0.1, 1.0,
];

impl Metrics {
    /// One request: three atomic additions (the bucket, the count, the sum), whatever its
    /// latency.
    pub fn observe(&self, seconds: f64) {
        let i = LATENCY_BUCKETS.partition_point(|b| seconds > *b);
        self.latency[i].fetch_add(1, Ordering::Relaxed);
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_us
            .fetch_add((seconds * 1e6) as u64, Ordering::Relaxed);
    }
}

/// Everything the handlers share.
pub struct Shared {
    /// The engine being served; a reload swaps in a new one.
    pub engine: ArcSwap<Current>,
    /// Where the policy and the facts come from, for reloads.
    pub sources: Sources,
    /// The server's limits.
    pub limits: Limits,
    /// The bearer token callers must send, when set (`--token-file`).
    pub token: Option<Vec<u8>>,
    /// The base URL the metadata names (`--public-url`); else taken from `Host`.
    pub public_url: Option<String>,
    /// Whether the server speaks HTTPS (the scheme the metadata names without `public_url`).
    pub https: bool,
    /// The counters `/metrics` reports.
    pub metrics: Metrics,
    /// Why the last reload failed, until one succeeds.
    pub last_reload_error: Mutex<Option<String>>,
    /// One JSON line per decision (`--decision-log`).
    pub decision_log: Option<Mutex<Box<dyn std::io::Write + Send>>>,
    /// The fact store the facts come from and writes go to (`--store`), if any.
    pub store: Option<StoreState>,
    /// No compaction is tried again before the facts hold this many retracted assignments
    /// (raised after a compaction that failed, so a broken policy file is not compiled again
    /// at every write).
    pub compact_after: std::sync::atomic::AtomicUsize,
}

/// Compiles the policy and loads the facts; the rendered diagnostics when either fails.
pub fn load(sources: &Sources) -> Result<Engine, String> {
    let render = |srcs: &crate::source::SourceMap, diags: &[crate::diag::Diagnostic]| {
        diags
            .iter()
            .map(|d| crate::diag::render::human(d, srcs, crate::diag::render::HumanStyle::plain()))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut loaded = crate::load_policy(&sources.policy).map_err(|(s, d)| render(&s, &d))?;
    // As `polc query` says it: facts written in the policy files are not data.
    if sources.data.is_none()
        && loaded
            .files
            .iter()
            .any(|f| !crate::facts::pol::file_facts(f).is_empty())
    {
        tracing::warn!(
            "the facts written in the policy files are not loaded: decisions see no facts; pass them with `--data FILE` (a `.pol` file of facts works as data) or `--store URL`"
        );
    }
    let policy_revision = revision(&loaded.sources);
    let before = loaded.sources.files().count();
    let facts = match &sources.data {
        None => crate::facts::Facts::new(&loaded.policy),
        Some(path) => crate::facts::load_data(&loaded.policy, &mut loaded.sources, path)
            .map_err(|d| render(&loaded.sources, &d))?,
    };
    let facts_revision = match &sources.data {
        None => "none".to_string(),
        Some(_) => {
            let mut h = Fnv::default();
            for (_, f) in loaded.sources.files().skip(before) {
                h.write(f.text.as_bytes());
            }
            format!("{:016x}", h.0)
        }
    };
    let index = crate::eval::index::SearchIndex::new(&loaded.policy, &facts);
    Ok(Engine {
        policy: Arc::new(loaded.policy),
        facts,
        policy_revision,
        facts_revision,
        index,
        store_revision: None,
    })
}

/// A revision of source texts: a 64-bit FNV-1a hash of their names and contents.
fn revision(sources: &crate::source::SourceMap) -> String {
    let mut h = Fnv::default();
    for (_, f) in sources.files() {
        h.write(f.name.as_bytes());
        h.write(f.text.as_bytes());
    }
    format!("{:016x}", h.0)
}

struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

impl Shared {
    /// State for an engine with default options: no token, no public URL, plain HTTP, no
    /// decision log and no store (set those fields after).
    pub fn new(engine: Engine, sources: Sources, limits: Limits) -> Shared {
        Shared {
            engine: ArcSwap::from_pointee(Current::new(engine)),
            sources,
            limits,
            token: None,
            public_url: None,
            https: false,
            metrics: Metrics::default(),
            last_reload_error: Mutex::new(None),
            compact_after: std::sync::atomic::AtomicUsize::new(0),
            decision_log: None,
            store: None,
        }
    }

    /// Compiles the sources again and installs the result; on failure the old engine keeps
    /// serving and the reason is kept for `/health`.
    pub fn reload(&self) -> Result<(), String> {
        // With a store, the facts are the store's, loaded while no write runs.
        let writing = self.store.as_ref().map(StoreState::writer);
        let result = match &self.store {
            Some(st) => load_from_store(&self.sources, st),
            None => load(&self.sources),
        };
        let mut last = self
            .last_reload_error
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let outcome = match result {
            Ok(engine) => {
                let revision = engine.store_revision;
                self.engine.store(Arc::new(Current::new(engine)));
                if let (Some(st), Some(r)) = (&self.store, revision) {
                    st.applied(r);
                }
                self.metrics.reloads.fetch_add(1, Ordering::Relaxed);
                *last = None;
                Ok(())
            }
            Err(e) => {
                self.metrics.reload_failures.fetch_add(1, Ordering::Relaxed);
                *last = Some(e.clone());
                Err(e)
            }
        };
        drop(writing);
        outcome
    }

    /// Appends one line to the decision log.
    pub fn log_decision(&self, line: &serde_json::Value) {
        if let Some(log) = &self.decision_log {
            let mut w = log
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            // A log that cannot be written is reported once per failure, not fatal to the
            // decision (which has already been made).
            if let Err(e) = writeln!(w, "{line}").and_then(|_| w.flush()) {
                tracing::error!("cannot write the decision log: {e}");
            }
        }
    }
}

use std::io::Write as _;

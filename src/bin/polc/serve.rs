//! `polc serve`: the AuthZEN decision server (`polc::serve`).

use crate::output::Status;
use polc::serve::{Limits, Shared, Sources};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

pub const AFTER_HELP: &str = "\
Endpoints (OpenID AuthZEN Authorization API 1.0):
  POST /access/v1/evaluation        one decision
  POST /access/v1/evaluations       a batch, with defaults and evaluations_semantic
  POST /access/v1/search/subject    who can ACTION RESOURCE
  POST /access/v1/search/resource   which TYPE SUBJECT can ACTION
  POST /access/v1/search/action     what can SUBJECT do on RESOURCE
  POST /facts/v1/write              a transaction of fact writes and deletes (with --store)
  GET  /.well-known/authzen-configuration, /health, /metrics

Examples:
  polc serve examples/authzen/policy.pol --data examples/authzen/data.pol
  polc serve policies/ --data data.json --listen 127.0.0.1:8181 --token-file token.txt
  polc serve policies/ --store sqlite:polc.db --constraints enforce

The server reloads on SIGHUP and when a policy file or the data changes; a policy that does not
compile is not installed. SIGTERM drains requests in flight, then stops. See docs/serve.md.";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Policy files or folders, or one compiled artifact (`polc compile`)
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Facts: a JSON document or a `.pol` file of facts
    #[arg(long, conflicts_with = "store")]
    data: Option<PathBuf>,
    /// Facts from a store, written through `POST /facts/v1/write`: `sqlite:PATH` or
    /// `postgres://...` (docs/store.md)
    #[arg(long)]
    store: Option<String>,
    /// With `--store`: what a write that breaks `min`, `max`, `separate` or `requires` does
    #[arg(long, value_enum, default_value_t = crate::facts::ConstraintsArg::Warn)]
    constraints: crate::facts::ConstraintsArg,
    /// With `--store`: how long a request asking for a revision (`X-Polc-Revision`) the server
    /// has not reached waits for it, in milliseconds, before answering 503 (E0610)
    #[arg(long, default_value_t = 1000, value_name = "MS")]
    revision_wait: u64,
    /// The address to listen on
    #[arg(long, default_value = "127.0.0.1:8181")]
    listen: String,
    /// A file holding the bearer token callers must send (`Authorization: Bearer TOKEN`)
    #[arg(long)]
    token_file: Option<PathBuf>,
    /// Write one JSON line per decision to FILE (`-` for standard output)
    #[arg(long)]
    decision_log: Option<PathBuf>,
    /// Log format on standard error
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// The base URL the metadata endpoint names (default: `http://` + the request's `Host`)
    #[arg(long)]
    public_url: Option<String>,
    /// The largest request body, in bytes
    #[arg(long, default_value_t = 1 << 20)]
    max_body: usize,
    /// TLS: the certificate chain (PEM); with `--tls-key`
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// TLS: the private key (PEM); with `--tls-cert`
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// The most connections open at once
    #[arg(long, default_value_t = 10_000)]
    max_connections: usize,
    /// The most evaluations in one `/evaluations` request
    #[arg(long, default_value_t = 10_000)]
    max_batch: usize,
    /// The largest search page a request may ask for
    #[arg(long, default_value_t = 1000)]
    max_page: usize,
    /// The per-request time limit, in milliseconds (fractions allowed); a request past it is
    /// answered 503 with E0801
    #[arg(long, default_value_t = 1000.0, value_name = "MS")]
    time_limit: f64,
    /// The threads that answer requests (by default, one per core); fewer leave cores to
    /// what runs beside the server
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
    /// With `--store`: build the facts anew from the store once they hold more retracted
    /// assignments (deletes, replaced `until`s, judged writes) than this and than live ones
    #[arg(long, default_value_t = 100_000, value_name = "N")]
    compact_min: usize,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

pub fn run(args: &Args) -> Status {
    let builder = tracing_subscriber::fmt().with_writer(std::io::stderr);
    match args.log_format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
    let sources = Sources {
        policy: args.paths.clone(),
        data: args.data.clone(),
    };
    let store = match &args.store {
        None => None,
        Some(url) => {
            let s = match crate::facts::open(url, crate::output::Color::Auto) {
                Ok(s) => s,
                Err(status) => return status,
            };
            // W0611: a database over the network, in the clear or not verified.
            if let Some(w) = s.connection_warning() {
                let help = w.help.as_deref().unwrap_or_default();
                tracing::warn!("{}: {}; {help}", w.code.as_str(), w.message);
            }
            Some(polc::serve::StoreState::new(
                Arc::from(s),
                args.constraints.into(),
                std::time::Duration::from_millis(args.revision_wait),
                polc::facts::write::Revision(0),
            ))
        }
    };
    let loaded = match &store {
        Some(st) => polc::serve::load_from_store(&sources, st),
        None => polc::serve::load(&sources),
    };
    let engine = match loaded {
        Ok(e) => e,
        Err(e) => {
            eprintln!("{e}");
            return Status::Failed;
        }
    };
    if let Some(r) = engine.store_revision {
        tracing::info!(revision = %r, "facts loaded from the store");
    }
    let limits = Limits {
        body_bytes: args.max_body,
        batch: args.max_batch,
        page_max: args.max_page.max(1),
        page_default: Limits::default().page_default.min(args.max_page.max(1)),
        connections: args.max_connections.max(1),
        compact_min: args.compact_min,
        time_limit: match std::time::Duration::try_from_secs_f64(args.time_limit / 1000.0) {
            Ok(d) if !d.is_zero() => d,
            _ => {
                eprintln!("error: `--time-limit` must be a positive number of milliseconds");
                return Status::Usage;
            }
        },
    };
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(c), Some(k)) => match polc::serve::tls_config(c, k) {
            Ok(t) => Some(t),
            Err(e) => {
                eprintln!("error: {e}");
                return Status::Usage;
            }
        },
        _ => None,
    };
    let mut shared = Shared::new(engine, sources, limits);
    shared.store = store;
    shared.public_url = args.public_url.clone();
    if let Some(path) = &args.token_file {
        match std::fs::read_to_string(path) {
            Ok(t) if !t.trim().is_empty() => shared.token = Some(t.trim().as_bytes().to_vec()),
            Ok(_) => {
                eprintln!("error: the token file `{}` is empty", path.display());
                return Status::Usage;
            }
            Err(e) => {
                eprintln!(
                    "error: cannot read the token file `{}`: {e}",
                    path.display()
                );
                return Status::Usage;
            }
        }
    }
    if let Some(path) = &args.decision_log {
        let w: Box<dyn std::io::Write + Send> = if path.as_os_str() == "-" {
            Box::new(std::io::stdout())
        } else {
            match std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
            {
                Ok(f) => Box::new(f),
                Err(e) => {
                    eprintln!(
                        "error: cannot open the decision log `{}`: {e}",
                        path.display()
                    );
                    return Status::Usage;
                }
            }
        };
        shared.decision_log = Some(Mutex::new(w));
    }
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all();
    if let Some(n) = args.threads {
        builder.worker_threads(usize::from(n));
    }
    let runtime = match builder.build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return Status::Usage;
        }
    };
    shared.https = tls.is_some();
    let shared = Arc::new(shared);
    let result = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&args.listen).await?;
        let addr = listener.local_addr()?;
        if tls.is_some() {
            tracing::info!("listening on https://{addr} (HTTP/2 and HTTP/1.1)");
        } else {
            tracing::warn!(
                "listening on http://{addr}: plain HTTP, for local use only; use --tls-cert and --tls-key in production"
            );
        }
        polc::serve::run(listener, tls, shared).await
    });
    match result {
        Ok(()) => Status::Clean,
        Err(e) => {
            eprintln!("error: {e}");
            Status::Usage
        }
    }
}

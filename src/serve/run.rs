//! Running the server as a process: reload on SIGHUP or on a change of the policy files or
//! data (`notify`), stop on SIGTERM or Ctrl-C after draining the requests in flight.

use super::Shared;
use std::sync::Arc;
use std::time::Duration;

/// Serves `listener` until SIGTERM or Ctrl-C; reloads on SIGHUP and on file changes.
pub async fn run(
    listener: tokio::net::TcpListener,
    tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
    shared: Arc<Shared>,
) -> std::io::Result<()> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<&'static str>(8);
    let hup = tx.clone();
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    tokio::spawn(async move {
        while hangup.recv().await.is_some() {
            if hup.send("SIGHUP").await.is_err() {
                break;
            }
        }
    });
    // The watcher lives as long as the server; dropping it stops the notifications.
    let _watcher = watch(&shared, tx);
    let reloader = shared.clone();
    tokio::spawn(async move {
        while let Some(why) = rx.recv().await {
            // Let a burst of file events settle, then compile once.
            tokio::time::sleep(Duration::from_millis(100)).await;
            while rx.try_recv().is_ok() {}
            let s = reloader.clone();
            let result = tokio::task::spawn_blocking(move || s.reload()).await;
            match result {
                Ok(Ok(())) => {
                    let current = reloader.engine.load();
                    let e = current.read();
                    tracing::info!(
                        trigger = why,
                        policy_revision = %e.policy_revision,
                        facts_revision = %e.facts_revision,
                        "reloaded"
                    );
                }
                Ok(Err(e)) => tracing::error!(
                    trigger = why,
                    "reload failed, the previous policy keeps serving:\n{e}"
                ),
                Err(e) => tracing::error!("reload task failed: {e}"),
            }
        }
    });
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let shutdown = async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        tracing::info!("shutting down: draining requests in flight");
    };
    match tls {
        Some(tls) => super::serve_tls(listener, tls, shared, shutdown).await,
        None => super::serve(listener, shared, shutdown).await,
    }
}

/// Watches the policy paths and the data file; each change sends a reload request.
fn watch(
    shared: &Shared,
    tx: tokio::sync::mpsc::Sender<&'static str>,
) -> Option<notify::RecommendedWatcher> {
    use notify::{RecursiveMode, Watcher};
    let handler = move |event: notify::Result<notify::Event>| {
        if let Ok(e) = event
            && (e.kind.is_modify() || e.kind.is_create() || e.kind.is_remove())
        {
            // A full channel already holds a pending reload.
            let _ = tx.try_send("file change");
        }
    };
    let mut w = match notify::recommended_watcher(handler) {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!("cannot watch the policy files ({e}); reload with SIGHUP");
            return None;
        }
    };
    let paths = shared
        .sources
        .policy
        .iter()
        .chain(shared.sources.data.iter());
    for p in paths {
        if let Err(e) = w.watch(p, RecursiveMode::Recursive) {
            tracing::warn!("cannot watch `{}`: {e}", p.display());
        }
    }
    Some(w)
}

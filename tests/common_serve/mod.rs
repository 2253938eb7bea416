//! A `polc serve` in the test process: the real router on 127.0.0.1, port 0, stopped when the
//! `Server` is dropped.
#![allow(dead_code)]

use polc::serve::{Limits, Shared, Sources};
use serde_json::Value;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

pub struct Server {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

pub fn fixture_sources() -> Sources {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/authzen");
    Sources {
        policy: vec![dir.join("policy.pol")],
        data: Some(dir.join("data.pol")),
    }
}

/// The server of `examples/authzen/`.
pub async fn fixture() -> Server {
    start(fixture_sources(), Limits::default(), |_| {}).await
}

pub async fn start(sources: Sources, limits: Limits, set: impl FnOnce(&mut Shared)) -> Server {
    let engine = polc::serve::load(&sources).unwrap_or_else(|e| panic!("{e}"));
    let mut shared = Shared::new(engine, sources, limits);
    set(&mut shared);
    let shared = Arc::new(shared);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let s = shared.clone();
    tokio::spawn(async move {
        let _ = polc::serve::serve(listener, s, async {
            let _ = rx.await;
        })
        .await;
    });
    Server {
        addr,
        client: reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .unwrap(),
        shared,
        stop: Some(tx),
    }
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.raw(path, "application/json", body.to_string()).await
    }

    pub async fn raw(&self, path: &str, content_type: &str, body: String) -> (u16, Value) {
        let r = self
            .client
            .post(self.url(path))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = self.client.get(self.url(path)).send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
}

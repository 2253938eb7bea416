//! `polc serve` over TLS: a self-signed certificate made in the test, HTTP/2 and HTTP/1.1 by
//! ALPN, on 127.0.0.1.

#![cfg(feature = "serve")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common_serve;

use polc::serve::{Limits, Shared};
use serde_json::{Value, json};
use std::sync::Arc;

#[tokio::test]
async fn https_with_http2_and_http1() {
    let key = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let dir = std::env::temp_dir().join(format!("polc-serve-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_path, key.cert.pem()).unwrap();
    std::fs::write(&key_path, key.signing_key.serialize_pem()).unwrap();
    let tls = polc::serve::tls_config(&cert_path, &key_path).unwrap();

    let sources = common_serve::fixture_sources();
    let engine = polc::serve::load(&sources).unwrap();
    let shared = Arc::new(Shared::new(engine, sources, Limits::default()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(polc::serve::serve_tls(listener, tls, shared, async {
        let _ = stopped.await;
    }));

    let root = reqwest::Certificate::from_pem(key.cert.pem().as_bytes()).unwrap();
    let body = json!({"subject": {"type": "user", "id": "alice"}, "action": {"name": "read"}, "resource": {"type": "record", "id": "record-1"}});
    for http1 in [false, true] {
        let mut b = reqwest::Client::builder()
            .add_root_certificate(root.clone())
            .resolve("localhost", addr)
            .timeout(std::time::Duration::from_secs(10));
        if http1 {
            b = b.http1_only();
        }
        let client = b.build().unwrap();
        let r = client
            .post(format!(
                "https://localhost:{}/access/v1/evaluation",
                addr.port()
            ))
            .json(&body)
            .send()
            .await
            .unwrap();
        let expected = if http1 {
            reqwest::Version::HTTP_11
        } else {
            reqwest::Version::HTTP_2
        };
        assert_eq!(r.version(), expected);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v, json!({"decision": true}));
    }
    // A client that does not trust the certificate is refused.
    let untrusting = reqwest::Client::builder()
        .resolve("localhost", addr)
        .build()
        .unwrap();
    assert!(
        untrusting
            .get(format!("https://localhost:{}/health", addr.port()))
            .send()
            .await
            .is_err()
    );

    let _ = stop.send(());
    server.await.unwrap().unwrap();
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_missing_or_mismatched_key_is_an_error() {
    let a = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let b = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let dir = std::env::temp_dir().join(format!("polc-serve-tls-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a.pem"), a.cert.pem()).unwrap();
    std::fs::write(dir.join("b.key"), b.signing_key.serialize_pem()).unwrap();
    let e = polc::serve::tls_config(&dir.join("a.pem"), &dir.join("b.key")).unwrap_err();
    assert!(e.contains("do not fit"), "{e}");
    let e = polc::serve::tls_config(&dir.join("a.pem"), &dir.join("none.key")).unwrap_err();
    assert!(e.contains("private key"), "{e}");
    std::fs::remove_dir_all(dir).ok();
}

//! The HTTP side: routes, the checks every request passes (bearer token, content type, body
//! limit, `X-Request-ID`), JSON errors, `/health`, `/metrics`, and serving with graceful
//! shutdown.

use super::authzen::{self, Outcome};
use super::model::{self, BadRequest};
use super::{LATENCY_BUCKETS, Shared};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::Ordering;

type St = State<Arc<Shared>>;

/// The routes of the AuthZEN API and of operations.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/access/v1/evaluation", post(evaluation))
        .route("/access/v1/evaluations", post(evaluations))
        .route("/access/v1/search/subject", post(search_subject))
        .route("/access/v1/search/resource", post(search_resource))
        .route("/access/v1/search/action", post(search_action))
        .route("/facts/v1/write", post(write_facts))
        .route("/.well-known/authzen-configuration", get(configuration))
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(shared.clone(), guard))
        .with_state(shared)
}

/// Serves plain HTTP (HTTP/1.1 and HTTP/2 cleartext) until `shutdown` resolves, then drains
/// the requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let max = shared.limits.connections;
    super::store::start_follower(&shared);
    axum::serve(
        super::listen::PlainListener::new(listener, max),
        router(shared),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Serves HTTPS (HTTP/2 and HTTP/1.1 by ALPN) until `shutdown` resolves, then drains.
pub async fn serve_tls(
    listener: tokio::net::TcpListener,
    tls: Arc<tokio_rustls::rustls::ServerConfig>,
    shared: Arc<Shared>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let max = shared.limits.connections;
    super::store::start_follower(&shared);
    let l = super::listen::TlsListener::new(listener, tls, max)?;
    axum::serve(l, router(shared))
        .with_graceful_shutdown(shutdown)
        .await
}

fn error(status: StatusCode, message: &str) -> Response {
    let body = json!({"error": {"status": status.as_u16(), "message": message}});
    (status, axum::Json(body)).into_response()
}

fn bad(e: BadRequest) -> Response {
    error(StatusCode::BAD_REQUEST, &e.0)
}

/// A request past the time limit (`--time-limit`): 503 with E0801, never a decision.
fn timed_out(shared: &Shared) -> Response {
    let d = crate::diag::Diagnostic::new(
        crate::diag::Code::E0801,
        format!(
            "the request took longer than the time limit of {:?}",
            shared.limits.time_limit
        ),
    )
    .help("retry later, ask for less (a smaller batch or page), or raise `--time-limit`");
    let body = json!({"error": authzen::error_json(503, &d)});
    (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response()
}

fn deadline(shared: &Shared) -> std::time::Instant {
    std::time::Instant::now() + shared.limits.time_limit
}

async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "no such endpoint")
}

async fn method_not_allowed() -> Response {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        "method not allowed on this endpoint",
    )
}

/// Every request: the bearer token (when configured), the latency and error counters, and the
/// `X-Request-ID` echo.
async fn guard(State(shared): St, req: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let request_id = req.headers().get("x-request-id").cloned();
    let open = matches!(req.uri().path(), "/health" | "/metrics");
    let mut response = match &shared.token {
        Some(token) if !open && !authorized(req.headers(), token) => {
            let mut r = error(
                StatusCode::UNAUTHORIZED,
                "missing or wrong bearer token in `Authorization`",
            );
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            r
        }
        _ => next.run(req).await,
    };
    if response.status().is_client_error() || response.status().is_server_error() {
        shared.metrics.errors.fetch_add(1, Ordering::Relaxed);
    }
    if let Some(id) = request_id {
        response.headers_mut().insert("x-request-id", id);
    }
    shared.metrics.observe(started.elapsed().as_secs_f64());
    response
}

fn authorized(headers: &HeaderMap, token: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    let Some(given) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "))
    else {
        return false;
    };
    given.ct_eq(token).into()
}

/// The body of a POST: `application/json`, within the size limit, a JSON object.
async fn read_body(
    shared: &Shared,
    headers: &HeaderMap,
    body: Body,
) -> Result<model::Object, Response> {
    let bytes = read_bytes(shared, headers, body).await?;
    model::body_object(&bytes).map_err(bad)
}

/// The bytes of a POST's body: `application/json`, within the size limit.
async fn read_bytes(shared: &Shared, headers: &HeaderMap, body: Body) -> Result<Bytes, Response> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "the request's `Content-Type` must be `application/json`",
        ));
    }
    let bytes: Bytes = axum::body::to_bytes(body, shared.limits.body_bytes)
        .await
        .map_err(|_| {
            error(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!(
                    "the request body is over the limit of {} bytes",
                    shared.limits.body_bytes
                ),
            )
        })?;
    Ok(bytes)
}

fn ok(v: Value) -> Response {
    (StatusCode::OK, axum::Json(v)).into_response()
}

fn count(shared: &Shared, o: &Outcome) {
    let c = if o.allowed() {
        &shared.metrics.allow
    } else {
        &shared.metrics.deny
    };
    c.fetch_add(1, Ordering::Relaxed);
}

fn log(shared: &Shared, engine: &super::Engine, o: &Outcome) {
    if shared.decision_log.is_none() {
        return;
    }
    let mut line = match o {
        Outcome::Decided { log, .. } => log.clone(),
        Outcome::Refused { .. } => o.to_json(),
    };
    line["policy_revision"] = json!(engine.policy_revision);
    line["facts_revision"] = json!(engine.facts_revision);
    if let Some(r) = engine.store_revision {
        line["revision"] = json!(r);
    }
    shared.log_decision(&line);
}

/// Waits for the revision the request asks for (`X-Polc-Revision`); the error answer when it is
/// malformed (400) or not reached in time (503, E0610).
async fn at_least(shared: &Shared, headers: &HeaderMap) -> Result<(), Response> {
    let asked = match super::store::asked_revision(headers) {
        Ok(None) => return Ok(()),
        Ok(Some(r)) => r,
        Err(m) => return Err(error(StatusCode::BAD_REQUEST, &m)),
    };
    super::store::reach(shared, asked).await.map_err(|d| {
        let body = json!({"error": authzen::error_json(503, &d)});
        (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response()
    })
}

/// Names the revision an answer was decided at (`X-Polc-Revision`), with a store.
fn stamped(mut r: Response, engine: &super::Engine) -> Response {
    if let Some(rev) = engine.store_revision
        && let Ok(v) = HeaderValue::from_str(&rev.to_string())
    {
        r.headers_mut().insert("x-polc-revision", v);
    }
    r
}

/// `POST /facts/v1/write`: a transaction (docs/store.md) committed to the store.
async fn write_facts(State(shared): St, headers: HeaderMap, body: Body) -> Response {
    let json_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
    if !json_type {
        return error(
            StatusCode::BAD_REQUEST,
            "the request's `Content-Type` must be `application/json`",
        );
    }
    let bytes = match axum::body::to_bytes(body, shared.limits.body_bytes).await {
        Ok(b) => b,
        Err(_) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!(
                    "the request body is over the limit of {} bytes",
                    shared.limits.body_bytes
                ),
            );
        }
    };
    let Ok(text) = String::from_utf8(bytes.to_vec()) else {
        return error(StatusCode::BAD_REQUEST, "the request body is not UTF-8");
    };
    let s = shared.clone();
    let (status, body) =
        match tokio::task::spawn_blocking(move || super::store::write(&s, &text)).await {
            Ok(answer) => answer,
            Err(e) => (
                500,
                json!({"error": {"status": 500, "message": e.to_string()}}),
            ),
        };
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut r = (status, axum::Json(body.clone())).into_response();
    if let Some(rev) = body.get("revision").and_then(Value::as_u64)
        && let Ok(v) = HeaderValue::from_str(&rev.to_string())
    {
        r.headers_mut().insert("x-polc-revision", v);
    }
    r
}

async fn evaluation(State(shared): St, headers: HeaderMap, body: Body) -> Response {
    let until = deadline(&shared);
    let bytes = match read_bytes(&shared, &headers, body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    if let Err(r) = at_least(&shared, &headers).await {
        return r;
    }
    let current = shared.engine.load();
    let engine = current.read();
    let log_on = shared.decision_log.is_some();
    // A complete, well-formed evaluation is read in place (`batch.rs`); anything else by the
    // generic path over `serde_json::Value`, which answers or refuses it.
    let decided = match super::batch::evaluation(&engine, &bytes, log_on) {
        Some(o) => Ok(o),
        None => model::body_object(&bytes).and_then(|o| authzen::evaluation(&engine, &o, log_on)),
    };
    let r = match decided {
        // One decision cannot be stopped halfway (the step limit bounds it); one that came back
        // late is not given out.
        Ok(_) if std::time::Instant::now() > until => timed_out(&shared),
        Ok(outcome) => single(&shared, &engine, outcome),
        Err(e) => bad(e),
    };
    stamped(r, &engine)
}

/// The response to one evaluation.
fn single(shared: &Shared, engine: &super::Engine, outcome: Outcome) -> Response {
    // A value of the wrong type is the caller's mistake: the whole request is refused.
    if let Outcome::Refused {
        status: 400,
        diagnostic,
    } = &outcome
    {
        let body = json!({"error": authzen::error_json(400, diagnostic)});
        return (StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
    }
    count(shared, &outcome);
    log(shared, engine, &outcome);
    // The usual answer is one of two fixed bodies: no JSON value to build.
    if let Outcome::Decided {
        allowed,
        context: None,
        ..
    } = outcome
    {
        let body: &'static str = if allowed {
            r#"{"decision":true}"#
        } else {
            r#"{"decision":false}"#
        };
        return (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response();
    }
    ok(outcome.to_json())
}

async fn evaluations(State(shared): St, headers: HeaderMap, body: Body) -> Response {
    let until = deadline(&shared);
    let bytes = match read_bytes(&shared, &headers, body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    if let Err(r) = at_least(&shared, &headers).await {
        return r;
    }
    let current = shared.engine.load();
    let engine = current.read();
    let (batch, log_on) = (shared.limits.batch, shared.decision_log.is_some());
    // A well-formed batch is read in place (`batch.rs`); anything else, and the
    // backwards-compatible single form, by the generic path over `serde_json::Value`.
    let result = match super::batch::evaluations(&engine, &bytes, batch, log_on, until) {
        Some(r) => r.map(Ok),
        None => match model::body_object(&bytes) {
            Ok(o) => authzen::evaluations(&engine, &o, batch, log_on, until),
            Err(e) => Err(e),
        },
    };
    if std::time::Instant::now() > until {
        return timed_out(&shared);
    }
    let r = match result {
        Ok(Ok(outcomes)) => {
            let allowed = outcomes.iter().filter(|o| o.allowed()).count() as u64;
            shared.metrics.allow.fetch_add(allowed, Ordering::Relaxed);
            shared
                .metrics
                .deny
                .fetch_add(outcomes.len() as u64 - allowed, Ordering::Relaxed);
            for outcome in &outcomes {
                log(&shared, &engine, outcome);
            }
            batch_response(&outcomes)
        }
        Ok(Err(outcome)) => single(&shared, &engine, outcome),
        Err(e) => bad(e),
    };
    stamped(r, &engine)
}

/// `{"evaluations": [...]}`, written straight: the usual items are one of two fixed texts.
fn batch_response(outcomes: &[Outcome]) -> Response {
    let mut s = String::with_capacity(20 + outcomes.len() * 20);
    s.push_str(r#"{"evaluations":["#);
    for (i, o) in outcomes.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        match o {
            Outcome::Decided {
                allowed: true,
                context: None,
                ..
            } => s.push_str(r#"{"decision":true}"#),
            Outcome::Decided {
                allowed: false,
                context: None,
                ..
            } => s.push_str(r#"{"decision":false}"#),
            _ => s.push_str(&o.to_json().to_string()),
        }
    }
    s.push_str("]}");
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        s,
    )
        .into_response()
}

type Search =
    fn(&super::Engine, &model::Object, &authzen::PageAsk) -> Result<authzen::Found, BadRequest>;

async fn search(shared: Arc<Shared>, headers: HeaderMap, body: Body, run: Search) -> Response {
    let until = deadline(&shared);
    let o = match read_body(&shared, &headers, body).await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let page = match model::page(&o, shared.limits.page_default, shared.limits.page_max) {
        Ok(p) => p,
        Err(e) => return bad(e),
    };
    if let Err(r) = at_least(&shared, &headers).await {
        return r;
    }
    let current = shared.engine.load();
    let engine = current.read();
    let revision = engine.revision();
    let after = match page
        .token
        .as_deref()
        .map(|t| model::decode_token(t, &revision))
    {
        None => None,
        Some(Ok(key)) => Some(key),
        Some(Err(model::TokenError::Foreign)) => {
            return bad(BadRequest(
                "`page.token` is not a token this server gave out".into(),
            ));
        }
        Some(Err(model::TokenError::Stale(old))) => {
            let d = crate::diag::Diagnostic::new(
                crate::diag::Code::E0802,
                format!(
                    "the page token is of policy and facts revision {old}, the server now serves {revision}"
                ),
            )
            .help("start the search again without `page.token`");
            let body = json!({"error": authzen::error_json(400, &d)});
            return (StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
        }
    };
    let ask = authzen::PageAsk {
        after: after.as_deref(),
        limit: page.limit,
        deadline: until,
    };
    let found = match run(&engine, &o, &ask) {
        Ok(f) if f.timed_out => return timed_out(&shared),
        _ if std::time::Instant::now() > until => return timed_out(&shared),
        Ok(f) => f,
        Err(e) => return bad(e),
    };
    let next = match (&found.last, found.more) {
        (Some(last), true) => model::encode_token(&revision, last),
        _ => String::new(),
    };
    let mut response = json!({
        "results": found.results,
        "page": {"next_token": next, "count": found.results.len()},
    });
    let mut context = serde_json::Map::new();
    if !found.errors.is_empty() {
        context.insert("errors".into(), json!(found.errors));
    }
    if found.everyone {
        context.insert("everyone".into(), json!(true));
    }
    if !context.is_empty() {
        response["context"] = Value::Object(context);
    }
    stamped(ok(response), &engine)
}

async fn search_subject(State(shared): St, headers: HeaderMap, body: Body) -> Response {
    search(shared, headers, body, authzen::search_subject).await
}

async fn search_resource(State(shared): St, headers: HeaderMap, body: Body) -> Response {
    search(shared, headers, body, authzen::search_resource).await
}

async fn search_action(State(shared): St, headers: HeaderMap, body: Body) -> Response {
    search(shared, headers, body, authzen::search_action).await
}

/// `GET /.well-known/authzen-configuration`: the PDP metadata.
async fn configuration(State(shared): St, headers: HeaderMap) -> Response {
    let base = match &shared.public_url {
        Some(u) => u.trim_end_matches('/').to_string(),
        None => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("127.0.0.1");
            let scheme = if shared.https { "https" } else { "http" };
            format!("{scheme}://{host}")
        }
    };
    ok(json!({
        "policy_decision_point": base,
        "access_evaluation_endpoint": format!("{base}/access/v1/evaluation"),
        "access_evaluations_endpoint": format!("{base}/access/v1/evaluations"),
        "search_subject_endpoint": format!("{base}/access/v1/search/subject"),
        "search_resource_endpoint": format!("{base}/access/v1/search/resource"),
        "search_action_endpoint": format!("{base}/access/v1/search/action"),
    }))
}

/// `GET /health`: live and ready, the revisions served, and why the last reload failed.
async fn health(State(shared): St) -> Response {
    let current = shared.engine.load();
    let engine = current.read();
    let last = shared
        .last_reload_error
        .lock()
        .map(|g| g.clone())
        .unwrap_or(None);
    let mut body = json!({
        "status": "ok",
        "live": true,
        "ready": true,
        "policy_revision": engine.policy_revision,
        "facts_revision": engine.facts_revision,
        "last_reload_error": last,
    });
    // A store that cannot be read: the server serves its last revision, degraded.
    if let Some(st) = &shared.store {
        let error = st.last_error();
        if error.is_some() {
            body["status"] = json!("degraded");
        }
        body["store"] = json!({
            "backend": st.store.backend(),
            "revision": engine.store_revision,
            "error": error,
        });
    }
    ok(body)
}

/// `GET /metrics`: Prometheus text.
async fn metrics(State(shared): St) -> Response {
    let m = &shared.metrics;
    let mut s = String::new();
    let get = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
    let _ = writeln!(s, "# HELP polc_decisions_total Decisions made, by result.");
    let _ = writeln!(s, "# TYPE polc_decisions_total counter");
    let _ = writeln!(
        s,
        "polc_decisions_total{{result=\"allow\"}} {}",
        get(&m.allow)
    );
    let _ = writeln!(
        s,
        "polc_decisions_total{{result=\"deny\"}} {}",
        get(&m.deny)
    );
    let _ = writeln!(
        s,
        "# HELP polc_http_errors_total Responses with a 4xx or 5xx status."
    );
    let _ = writeln!(s, "# TYPE polc_http_errors_total counter");
    let _ = writeln!(s, "polc_http_errors_total {}", get(&m.errors));
    let _ = writeln!(s, "# HELP polc_reloads_total Policy reloads, by result.");
    let _ = writeln!(s, "# TYPE polc_reloads_total counter");
    let _ = writeln!(s, "polc_reloads_total{{result=\"ok\"}} {}", get(&m.reloads));
    let _ = writeln!(
        s,
        "polc_reloads_total{{result=\"failed\"}} {}",
        get(&m.reload_failures)
    );
    let _ = writeln!(
        s,
        "# HELP polc_compactions_total Reloads from the store that dropped retracted assignments."
    );
    let _ = writeln!(s, "# TYPE polc_compactions_total counter");
    let _ = writeln!(s, "polc_compactions_total {}", get(&m.compactions));
    let _ = writeln!(s, "# HELP polc_request_seconds Request latency.");
    let _ = writeln!(s, "# TYPE polc_request_seconds histogram");
    let mut cumulative = 0;
    for (i, b) in LATENCY_BUCKETS.iter().enumerate() {
        cumulative += get(&m.latency[i]);
        let _ = writeln!(s, "polc_request_seconds_bucket{{le=\"{b}\"}} {cumulative}");
    }
    let n = get(&m.latency_count);
    let _ = writeln!(s, "polc_request_seconds_bucket{{le=\"+Inf\"}} {n}");
    let _ = writeln!(
        s,
        "polc_request_seconds_sum {}",
        get(&m.latency_sum_us) as f64 / 1e6
    );
    let _ = writeln!(s, "polc_request_seconds_count {n}");
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        s,
    )
        .into_response()
}

//! Operations endpoints: liveness, readiness, Prometheus metrics; and request metrics.
//!
//! They sit outside the session and API-token middleware (nobody signs in to them). `/metrics`
//! answers only a request carrying the configured token as `Authorization: Bearer …`
//! (Prometheus's `authorization` scrape setting); without a configured token it is off, since
//! request counts per route say more about an installation than anyone outside should learn.

use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(prometheus))
}

/// Alive: the process answers. Never touches the database.
async fn healthz() -> &'static str {
    "ok\n"
}

/// Ready: the database answers, and so does each role the process runs (its NATS
/// connection; lag and leadership are reported, not judged). The first line is `ready` or
/// `not ready`, then one line per part: `database: ok`, `worker: ok (NATS connected, lag 0, …)`.
async fn readyz(State(state): State<AppState>) -> Response {
    let mut ready = true;
    let mut lines = Vec::new();
    match state.app.ping().await {
        Ok(()) => lines.push("database: ok".to_owned()),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            ready = false;
            lines.push("database: unavailable".to_owned());
        }
    }
    for r in state.roles.as_ref().map(|p| p()).unwrap_or_default() {
        ready &= r.ready;
        let word = if r.ready { "ok" } else { "not ready" };
        lines.push(format!("{}: {word} ({})", r.role, r.detail));
    }
    let head = if ready { "ready" } else { "not ready" };
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, format!("{head}\n{}\n", lines.join("\n"))).into_response()
}

/// The bearer token `/metrics` asks for. `Debug` does not show it.
#[derive(Clone)]
pub struct MetricsToken(String);

impl MetricsToken {
    pub fn new(token: impl Into<String>) -> MetricsToken {
        MetricsToken(token.into())
    }
}

impl std::fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

async fn prometheus(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(MetricsToken(expected)) = &state.config.metrics_token else {
        return (
            StatusCode::NOT_FOUND,
            "metrics are off: set server.metrics_token and scrape with it as a bearer token\n",
        )
            .into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !crate::auth::constant_time_eq(given.trim().as_bytes(), expected.as_bytes()) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer realm=\"metrics\"")],
            "send the metrics token as Authorization: Bearer …\n",
        )
            .into_response();
    }
    metrics::gauge!("chorus_uptime_seconds").set(state.started.elapsed().as_secs_f64());
    match &state.metrics {
        Some(handle) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            handle.render(),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "metrics are not enabled\n").into_response(),
    }
}

/// Middleware: counts requests and their latency per route pattern and status.
pub async fn track_metrics(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = req.method().to_string();
    let resp = next.run(req).await;
    let status = resp.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("chorus_http_requests_total", &labels).increment(1);
    metrics::histogram!("chorus_http_request_duration_seconds", &labels)
        .record(start.elapsed().as_secs_f64());
    resp
}

//! The HTTP face of Chorus: the JSON API (`/api/v1/…`, described at `/api/openapi.json`) and the
//! server-rendered UI (askama templates + htmx). This is the only crate that knows HTTP.
//!
//! Handlers are thin: they authenticate (the [`auth`] middleware resolves a session cookie or an
//! API token once per request and enforces CSRF on every state-changing cookie request), call a
//! permission function from `chorus-core`, validate input into core types, and call the store.
//! Every error leaves through one mapping ([`error::AppError`]), which picks the status, a stable
//! error code, and never puts internal detail in a 5xx body.

mod api;
mod auth;
mod error;
mod links;
mod ops;
mod redirect;
mod state;
mod ui;

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::middleware;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use auth::client::{ProxySettingError, TrustedProxies};
pub use auth::limiter::LoginLimits;
pub use ops::MetricsToken;
pub use state::{AppState, RoleProbe, RoleStatus, WebConfig};

/// Builds the whole application: UI, API, operations endpoints and static files.
pub fn app(state: AppState) -> Router {
    let max_body = state.config.max_body_bytes;
    let external_images = state.config.external_images;
    Router::new()
        .merge(ui::routes())
        .nest("/api", api::routes())
        .merge(links::routes())
        .fallback(ui::not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::identify,
        ))
        // Operations endpoints resolve no session or API token (`/metrics` has its own).
        .merge(ops::routes())
        .route_layer(middleware::from_fn(ops::track_metrics))
        // Strict CSP (no inline scripts or styles, no third-party origins — images from other
        // sites only when the installation allows them), no MIME sniffing, no framing, no
        // referrer leaking to other sites.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(if external_images {
                "default-src 'self'; img-src 'self' https:; object-src 'none'; \
                 frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
            } else {
                "default-src 'self'; img-src 'self'; object-src 'none'; \
                 frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
            }),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves only the operations endpoints (`/healthz`, `/readyz`, `/metrics`) on `listener`
/// until `shutdown` resolves: what a process without the web role answers (a worker, a
/// publisher), so every process can be probed and scraped.
pub async fn serve_ops(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = Router::new()
        .merge(ops::routes())
        .fallback(|| async {
            (
                axum::http::StatusCode::NOT_FOUND,
                "this Chorus process runs no web role: only /healthz, /readyz and /metrics\n",
            )
        })
        .with_state(state);
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Serves `app` on `listener` until `shutdown` resolves, then drains in-flight requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let cleanup = tokio::spawn(state::expire_sessions_periodically(
        state.app.clone(),
        Duration::from_secs(600),
    ));
    let result = axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    cleanup.abort();
    result
}

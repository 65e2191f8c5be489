//! What every handler can reach: the use cases, the web settings, the login limiter, metrics.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chorus_app::SecretKey;
use chorus_app::{App, AppConfig, Store};
use metrics_exporter_prometheus::PrometheusHandle;

use crate::auth::client::TrustedProxies;
use crate::auth::limiter::{LoginLimiter, LoginLimits};
use crate::ops::MetricsToken;

/// Settings of the web layer, validated by the caller.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// How long a login lasts.
    pub session_ttl: Duration,
    /// Whether cookies carry `Secure` (true unless serving plain HTTP to a non-loopback address).
    pub cookie_secure: bool,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    pub login_limits: LoginLimits,
    /// The reverse proxies whose client-address header is believed; `None`: the connection's
    /// peer is the client, and no header is read.
    pub trusted_proxies: Option<TrustedProxies>,
    /// The bearer token `/metrics` asks for; `None`: `/metrics` is off.
    pub metrics_token: Option<MetricsToken>,
    /// Whether pages show images from other sites (Markdown images, the CSP's `img-src`); off,
    /// a viewer's browser fetches images from this server only.
    pub external_images: bool,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            session_ttl: Duration::from_secs(12 * 3600),
            cookie_secure: true,
            max_body_bytes: 1024 * 1024,
            login_limits: LoginLimits::default(),
            trusted_proxies: None,
            metrics_token: None,
            external_images: false,
        }
    }
}

/// Shared state; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The use cases: every handler acts through them.
    pub app: App,
    pub config: Arc<WebConfig>,
    pub(crate) limiter: Arc<LoginLimiter>,
    pub(crate) metrics: Option<PrometheusHandle>,
    pub(crate) started: Instant,
    /// What `/readyz` asks besides the database: each of the process's roles.
    pub(crate) roles: Option<RoleProbe>,
}

/// One role's readiness, for `/readyz`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleStatus {
    /// `source`, `worker`, `publisher`, …
    pub role: String,
    pub ready: bool,
    /// In operators' words: connection, lag, leader or not.
    pub detail: String,
}

/// Asked at each `/readyz`: the status of each role the process runs.
pub type RoleProbe = Arc<dyn Fn() -> Vec<RoleStatus> + Send + Sync>;

impl AppState {
    /// `metrics` is the handle of the installed Prometheus recorder, if the caller installed one
    /// (it is process-wide, so the binary installs it once).
    pub fn new(store: Store, config: WebConfig, metrics: Option<PrometheusHandle>) -> Self {
        let limiter = LoginLimiter::new(config.login_limits.clone());
        let app = App::new(
            store.clone(),
            AppConfig {
                session_ttl: config.session_ttl,
                ..AppConfig::default()
            },
        );
        Self {
            app,
            config: Arc::new(config),
            limiter: Arc::new(limiter),
            metrics,
            started: Instant::now(),
            roles: None,
        }
    }

    /// Reports the process's roles in `/readyz` (ready only when every role is).
    pub fn with_roles(mut self, probe: RoleProbe) -> Self {
        self.roles = Some(probe);
        self
    }

    /// Sends the requests that reach other servers (connecting accounts, replies) through
    /// `client`, the installation's guarded XRPC client (see `chorus_app::App::with_outbound`).
    pub fn with_outbound(mut self, client: chorus_app::OutboundClient) -> Self {
        self.app = self.app.with_outbound(client);
        self
    }

    /// Counts the links of texts being composed as the click redirects under `base` they will
    /// be published as (see `chorus_app::App::with_public_url`).
    pub fn with_public_url(mut self, base: chorus_app::PublicBase) -> Self {
        self.app = self.app.with_public_url(base);
        self
    }

    /// Reach's settings (`[reach]`; see `chorus_app::reach::ReachSettings`).
    pub fn with_reach(mut self, reach: chorus_app::reach::ReachSettings) -> Self {
        self.app = self.app.with_reach(reach);
        self
    }

    /// Single sign-on (`[sso]`; see `chorus_app::App::with_sso`).
    pub fn with_sso(mut self, sso: chorus_app::sso::SsoSettings) -> Self {
        self.app = self.app.with_sso(sso);
        self
    }

    /// Lets the admin pages connect network accounts, sealing their credentials with `key`.
    pub fn with_secret_key(mut self, key: SecretKey) -> Self {
        self.app = self.app.with_secret_key(key);
        self
    }
}

/// Deletes expired sessions every `every`, forever.
pub(crate) async fn expire_sessions_periodically(app: App, every: Duration) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        match chorus_app::auth::expire_sessions(&app).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(deleted = n, "expired sessions removed"),
            Err(e) => tracing::warn!(error = %e, "removing expired sessions failed"),
        }
    }
}

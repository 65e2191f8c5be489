//! `spawn_app()`: the real server on 127.0.0.1:0 with a temporary SQLite store and one user per
//! role; and a small client that keeps a session cookie and a CSRF token like a browser.

use std::time::Duration;

use chorus_core::Role;
use chorus_core::audit::Author;
use chorus_core::org::MarketInput;
use chorus_core::user::{Email, Membership};
use chorus_store::{DatabaseUrl, NewUser, Store};
use chorus_web::{AppState, LoginLimits, WebConfig};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub base: String,
    pub store: Store,
    _dir: tempfile::TempDir,
}

pub fn web_config() -> WebConfig {
    WebConfig {
        session_ttl: Duration::from_secs(3600),
        cookie_secure: false,
        max_body_bytes: 64 * 1024,
        login_limits: LoginLimits::default(),
        ..WebConfig::default()
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(web_config()).await
}

/// Emails of the seeded users: `<role>@example.com`; market roles are held in FI.
pub fn email(role: Role) -> String {
    format!("{}@example.com", role.as_str())
}

pub async fn spawn_app_with(config: WebConfig) -> TestApp {
    spawn_app_with_state(config, |state| state).await
}

/// As [`spawn_app_with`], the state changed by `customize` before serving (a secret key, an
/// outbound client pinned to the servers a test starts).
pub async fn spawn_app_with_state(
    config: WebConfig,
    customize: impl FnOnce(AppState) -> AppState,
) -> TestApp {
    // The workspace builds reqwest without a default TLS provider (one crypto backend: ring).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&DatabaseUrl::sqlite_in(dir.path()))
        .await
        .unwrap();
    let sys = Author::system("test");
    let fi = store
        .create_market(
            &sys,
            &MarketInput::parse("FI", "Finland", "FI", &["fi-FI".into()], "Europe/Helsinki")
                .unwrap(),
        )
        .await
        .unwrap();
    store
        .create_market(
            &sys,
            &MarketInput::parse("BR", "Brazil", "BR", &["pt-BR".into()], "America/Sao_Paulo")
                .unwrap(),
        )
        .await
        .unwrap();
    // One hash for all: Argon2 in a debug build is slow.
    let hash = chorus_core::password::hash(PASSWORD).unwrap();
    for role in Role::ALL {
        let market = (!role.is_global_only()).then_some(fi.id);
        store
            .create_user(
                &sys,
                &NewUser {
                    email: Email::parse(&email(role)).unwrap(),
                    display_name: role.label().into(),
                    password_hash: Some(hash.clone()),
                    memberships: vec![Membership::new(role, market).unwrap()],
                },
            )
            .await
            .unwrap();
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state =
        customize(AppState::new(store.clone(), config, None).with_reach(reach_files(dir.path())));
    tokio::spawn(chorus_web::serve(listener, state, std::future::pending()));
    TestApp {
        base: format!("http://{addr}"),
        store,
        _dir: dir,
    }
}

/// Reach's settings with asset files under the test's directory (`reach/`).
pub fn reach_files(dir: &std::path::Path) -> chorus_app::reach::ReachSettings {
    chorus_app::reach::ReachSettings {
        files_dir: Some(dir.join("reach")),
        ..chorus_app::reach::ReachSettings::default()
    }
}

impl TestApp {
    /// The SQLite file behind the store, for tests that read it directly (read-only).
    pub fn db_path(&self) -> std::path::PathBuf {
        self._dir.path().join("chorus.db")
    }
}

/// The server over an empty store (no markets, no users) that can seal network credentials
/// (replies and account connections get as far as the network), for tests that seed their own
/// world: the authorization sweep.
pub async fn spawn_empty() -> TestApp {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&DatabaseUrl::sqlite_in(dir.path()))
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let key = chorus_networks::bluesky::SecretKey::from_bytes([7; 32]);
    let state = AppState::new(store.clone(), web_config(), None)
        .with_secret_key(key)
        .with_reach(reach_files(dir.path()));
    tokio::spawn(chorus_web::serve(listener, state, std::future::pending()));
    TestApp {
        base: format!("http://{addr}"),
        store,
        _dir: dir,
    }
}

/// Extracts `name="csrf" value="…"` from a page.
pub fn csrf_in(html: &str) -> String {
    let at = html
        .find(r#"name="csrf" value=""#)
        .expect("page has a csrf field");
    let rest = &html[at + r#"name="csrf" value=""#.len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

pub fn cookie_from(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers().get_all(SET_COOKIE).iter().find_map(|v| {
        let s = v.to_str().ok()?;
        let (pair, _) = s.split_once(';').unwrap_or((s, ""));
        let (k, v) = pair.split_once('=')?;
        (k == name && !v.is_empty()).then(|| v.to_owned())
    })
}

/// A browser-like client: no automatic redirects, remembers the session cookie.
pub struct Browser {
    pub http: reqwest::Client,
    pub base: String,
    pub session: Option<String>,
    pub csrf: String,
}

impl Browser {
    pub fn new(app: &TestApp) -> Browser {
        Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: app.base.clone(),
            session: None,
            csrf: String::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn with_cookie(&self, rb: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.session {
            Some(s) => rb.header(COOKIE, format!("chorus_session={s}")),
            None => rb,
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.with_cookie(self.http.get(self.url(path)))
            .send()
            .await
            .unwrap()
    }

    pub async fn get_html(&self, path: &str) -> (StatusCode, String) {
        let r = self.get(path).await;
        (r.status(), r.text().await.unwrap())
    }

    /// Posts a form, adding the CSRF token unless `fields` has one.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut f: Vec<(&str, &str)> = fields.to_vec();
        if !f.iter().any(|(k, _)| *k == "csrf") {
            f.push(("csrf", &self.csrf));
        }
        self.with_cookie(self.http.post(self.url(path)).form(&f))
            .send()
            .await
            .unwrap()
    }

    /// Signs in through the login form, like a person would.
    pub async fn login(&mut self, email: &str, password: &str) -> reqwest::Response {
        let page = self.http.get(self.url("/login")).send().await.unwrap();
        let login_cookie = cookie_from(&page, "chorus_login_csrf").unwrap();
        let html = page.text().await.unwrap();
        let token = csrf_in(&html);
        let resp = self
            .http
            .post(self.url("/login"))
            .header(COOKIE, format!("chorus_login_csrf={login_cookie}"))
            .form(&[
                ("csrf", token.as_str()),
                ("email", email),
                ("password", password),
                ("next", "/playbook"),
            ])
            .send()
            .await
            .unwrap();
        if let Some(s) = cookie_from(&resp, "chorus_session") {
            self.session = Some(s);
            let (_, html) = self.get_html("/playbook").await;
            self.csrf = csrf_in(&html);
        }
        resp
    }

    pub async fn login_as(app: &TestApp, role: Role) -> Browser {
        let mut b = Browser::new(app);
        let resp = b.login(&email(role), PASSWORD).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "login as {role}");
        assert_eq!(resp.headers()[LOCATION], "/playbook");
        b
    }
}

/// An API token for the seeded user with `role`.
pub async fn token(app: &TestApp, role: Role) -> String {
    let user = app
        .store
        .user_by_email(&Email::parse(&email(role)).unwrap())
        .await
        .unwrap()
        .unwrap();
    app.store
        .create_api_token(&Author::system("test"), user.id, "test")
        .await
        .unwrap()
        .secret
}

pub fn api(app: &TestApp, token: &str) -> Api {
    Api {
        http: reqwest::Client::new(),
        base: app.base.clone(),
        token: token.to_owned(),
    }
}

pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
    pub token: String,
}

impl Api {
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (StatusCode, serde_json::Value) {
        let mut rb = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let resp = rb.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
        )
    }

    pub async fn get(&self, path: &str) -> (StatusCode, serde_json::Value) {
        self.send(reqwest::Method::GET, path, None).await
    }

    pub async fn post(
        &self,
        path: &str,
        body: serde_json::Value,
    ) -> (StatusCode, serde_json::Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn put(
        &self,
        path: &str,
        body: serde_json::Value,
    ) -> (StatusCode, serde_json::Value) {
        self.send(reqwest::Method::PUT, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, serde_json::Value) {
        self.send(reqwest::Method::DELETE, path, None).await
    }
}

pub fn principle_body(number: i64, title: &str) -> serde_json::Value {
    serde_json::json!({
        "number": number,
        "pillar": "numbers",
        "title": title,
        "statement": "Know what **success** looks like before you start.",
        "implications": "- Every campaign has a target\n- Review weekly",
        "examples": "- A launch with a sign-up goal",
        "case_studies": "### A case\n\nIt worked.",
        "market_examples": [{"market": "BR", "body": "Em São Paulo medimos tudo."}]
    })
}

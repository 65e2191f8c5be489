//! The test's side of the provider: its control API, and an HTTP client that signs in the way
//! a browser does — redirects followed by hand, one cookie jar (cookies ignore ports, so Chorus
//! and the provider, both on 127.0.0.1, share it as a browser would).

use std::collections::BTreeMap;

use crate::support::{install_tls, services_required};

/// The OpenID provider `.ci/setup-oidc.sh` started.
pub struct Idp {
    pub issuer: String,
    http: reqwest::blocking::Client,
}

impl Idp {
    /// The provider named by `CHORUS_OIDC` (default `http://127.0.0.1:4455`), when it answers;
    /// otherwise `None` with the reason printed (a failure when services are required).
    pub fn find() -> Option<Idp> {
        install_tls();
        let issuer =
            std::env::var("CHORUS_OIDC").unwrap_or_else(|_| "http://127.0.0.1:4455".to_owned());
        let http = reqwest::blocking::Client::new();
        let up = http
            .get(format!("{issuer}/test/health"))
            .send()
            .is_ok_and(|r| r.status().is_success());
        if !up {
            let reason =
                format!("skipped: no OpenID provider answers at {issuer} (run .ci/setup-oidc.sh)");
            assert!(!services_required(), "{reason}");
            eprintln!("{reason}");
            return None;
        }
        Some(Idp { issuer, http })
    }

    fn control(&self, method: reqwest::Method, path: &str, body: serde_json::Value) -> String {
        let r = self
            .http
            .request(method, format!("{}{path}", self.issuer))
            .json(&body)
            .send()
            .unwrap();
        let status = r.status();
        let text = r.text().unwrap_or_default();
        assert!(status.is_success(), "{path}: {status} {text}");
        text
    }

    pub fn client(&self, id: &str, secret: &str, redirect: &str) {
        self.control(
            reqwest::Method::POST,
            "/test/clients",
            serde_json::json!({ "client_id": id, "client_secret": secret, "redirect_uris": [redirect] }),
        );
    }

    pub fn account(&self, id: &str, email: &str, name: &str, groups: &[&str]) {
        self.control(
            reqwest::Method::PUT,
            &format!("/test/accounts/{id}"),
            serde_json::json!({ "email": email, "name": name, "groups": groups }),
        );
    }

    pub fn tamper(&self, client: &str, mode: Option<&str>) {
        self.control(
            reqwest::Method::POST,
            "/test/tamper",
            serde_json::json!({ "client_id": client, "mode": mode }),
        );
    }

    /// A new signing key, the old one gone; answers its `kid`.
    pub fn rotate(&self) -> String {
        let body = self.control(
            reqwest::Method::POST,
            "/test/rotate-keys",
            serde_json::json!({}),
        );
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        v["kid"].as_str().unwrap().to_owned()
    }
}

/// What one request answered.
pub struct Answer {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

/// A browser without a screen: a cookie jar and redirects followed by hand.
pub struct Agent {
    chorus: String,
    jar: BTreeMap<String, String>,
    http: reqwest::blocking::Client,
    last_callback: Option<(String, String)>,
}

impl Agent {
    pub fn new(chorus: &str) -> Agent {
        install_tls();
        Agent {
            chorus: chorus.to_owned(),
            jar: BTreeMap::new(),
            http: reqwest::blocking::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            last_callback: None,
        }
    }

    fn send(&mut self, req: reqwest::blocking::RequestBuilder) -> Answer {
        let cookies: Vec<String> = self.jar.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let r = req.header("cookie", cookies.join("; ")).send().unwrap();
        for c in r.headers().get_all("set-cookie") {
            let c = c.to_str().unwrap();
            let (pair, attrs) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = pair.split_once('=').unwrap();
            if v.is_empty() || attrs.to_ascii_lowercase().contains("max-age=0") {
                self.jar.remove(k.trim());
            } else {
                self.jar.insert(k.trim().to_owned(), v.to_owned());
            }
        }
        Answer {
            status: r.status().as_u16(),
            location: r
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_owned()),
            body: r.text().unwrap_or_default(),
        }
    }

    pub fn get(&mut self, url: &str) -> Answer {
        let req = self.http.get(url);
        self.send(req)
    }

    pub fn has_session(&self) -> bool {
        self.jar.contains_key("chorus_session")
    }

    /// From "Sign in with Test IdP" to the provider's redirect back, not followed: answers the
    /// callback URL (with `code` and `state`).
    pub fn leave_for_callback(&mut self, idp: &Idp, account: &str) -> String {
        let start = format!("{}/login/sso/test?next=/playbook", self.chorus);
        let mut url = start;
        let callback_prefix = format!("{}/login/sso/test/callback", self.chorus);
        for _ in 0..10 {
            let a = self.get(&url);
            let Some(loc) = a.location else {
                // The provider's form: post the account.
                assert_eq!(a.status, 200, "{url}: {}", a.body);
                assert!(
                    a.body.contains("name=\"login\"") || a.body.contains("name=login"),
                    "{}",
                    a.body
                );
                let post = self.http.post(&url).form(&[("login", account)]);
                let posted = self.send(post);
                assert_eq!(posted.status, 303, "login form: {}", posted.body);
                url = absolute(&idp.issuer, &posted.location.unwrap());
                continue;
            };
            let next = absolute(&idp.issuer, &loc);
            if next.starts_with(&callback_prefix) {
                return next;
            }
            url = next;
        }
        panic!("the sign-in did not come back to Chorus");
    }

    /// Hands the callback URL to Chorus, as the browser's redirect would.
    pub fn finish(&mut self, callback: &str) -> Answer {
        if let Some(state) = self.jar.get("chorus_sso_state") {
            self.last_callback = Some((callback.to_owned(), state.clone()));
        }
        self.get(callback)
    }

    /// The whole sign-in: answers Chorus's answer to the callback.
    pub fn sign_in(&mut self, idp: &Idp, account: &str) -> Answer {
        let callback = self.leave_for_callback(idp, account);
        self.finish(&callback)
    }

    /// The last callback again, with its state cookie put back (a replay).
    pub fn replay_last_callback(&mut self) -> Answer {
        let (url, state) = self.last_callback.clone().expect("a callback was finished");
        self.jar.insert("chorus_sso_state".into(), state);
        self.get(&url)
    }

    /// Signs in with a password through the login form.
    pub fn password(&mut self, email: &str, password: &str) -> Answer {
        let form = self.get(&format!("{}/login", self.chorus));
        let csrf = form
            .body
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap()
            .to_owned();
        let req = self.http.post(format!("{}/login", self.chorus)).form(&[
            ("csrf", csrf.as_str()),
            ("next", "/playbook"),
            ("email", email),
            ("password", password),
        ]);
        self.send(req)
    }
}

fn absolute(base: &str, location: &str) -> String {
    if location.starts_with("http://") || location.starts_with("https://") {
        location.to_owned()
    } else {
        format!("{}{location}", base.trim_end_matches('/'))
    }
}

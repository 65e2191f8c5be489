//! Reach's public pages over HTTP: the landing form's bad input (malformed emails, line breaks in
//! names, HTML in every field, a flood from one address, the honeypot, a forged form), the
//! consent ledger (the text shown is the text stored; withdrawal from an email's link; export
//! and erasure), and the confirmation link's GET and POST.

mod consent;
mod input;

use chorus_core::audit::Author;
use chorus_core::ids::OfferId;
use chorus_core::reach::consent::LegalBasis;
use chorus_core::reach::{OfferKind, OfferState};
use chorus_core::user::Email;
use chorus_store::reach::{AssetFile, NewConsentText, NewOffer, OfferPage};
use chorus_store::{OutboxMail, Store};
use chorus_web::AppState;

use crate::support::{self, TestApp, web_config};

/// Where the test server says it lives (links in mails use it; tests keep their paths).
pub const PUBLIC: &str = "http://reach.test";

pub struct Reach {
    pub app: TestApp,
    #[allow(dead_code)]
    pub offer: OfferId,
    pub slug: &'static str,
    _files: tempfile::TempDir,
}

/// The gated asset's bytes, stored as an upload is: under their SHA-256.
pub const GUIDE: &[u8] = b"%PDF-1.4 guide";
pub const GUIDE_SHA256: &str = "90aaa144409b0d6bb3168263d3697b7cd756e1199a08718163e4b5f5bbf471e3";
pub const GUIDE_KEY: &str =
    "assets/90aaa144409b0d6bb3168263d3697b7cd756e1199a08718163e4b5f5bbf471e3.pdf";

/// The server with a live asset offer in FI (`slug`), whose title, description, custom field
/// labels and consent text are given, and `settings` changed by `tune`.
pub async fn reach_with(
    title: &str,
    consent: &str,
    fields_json: &str,
    tune: impl FnOnce(&mut chorus_app::reach::ReachSettings),
) -> Reach {
    let files = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(files.path().join("assets")).unwrap();
    std::fs::write(files.path().join(GUIDE_KEY), GUIDE).unwrap();
    let mut settings = chorus_app::reach::ReachSettings {
        files_dir: Some(files.path().to_owned()),
        ..Default::default()
    };
    tune(&mut settings);
    let app = support::spawn_app_with_state(web_config(), move |state: AppState| {
        state
            .with_secret_key(chorus_app::SecretKey::from_bytes([7u8; 32]))
            .with_public_url(chorus_app::PublicBase::parse(PUBLIC).unwrap())
            .with_reach(settings)
    })
    .await;
    let fi = app
        .store
        .markets()
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.code.as_str() == "FI")
        .unwrap()
        .id;
    let sys = Author::system("test");
    let offer = app
        .store
        .create_offer(
            &sys,
            &NewOffer {
                kind: OfferKind::Asset,
                market: fi,
                slug: "guide".into(),
                campaign: None,
                state: OfferState::Live,
                fields_json: fields_json.into(),
                pages: vec![OfferPage {
                    locale: "en".into(),
                    title: title.into(),
                    description: format!("About {title}"),
                }],
                asset: Some(AssetFile {
                    file_name: "guide.pdf".into(),
                    content_type: "application/pdf".into(),
                    size_bytes: GUIDE.len() as i64,
                    sha256: GUIDE_SHA256.into(),
                    storage_key: GUIDE_KEY.into(),
                    cover_key: None,
                    cover_type: None,
                }),
                webinar: None,
            },
        )
        .await
        .unwrap()
        .id;
    app.store
        .create_consent_text(
            &sys,
            &NewConsentText {
                market: fi,
                locale: "en".into(),
                body: consent.into(),
                legal_basis: LegalBasis::Consent,
                privacy_url: "https://northwind.example/privacy".into(),
            },
        )
        .await
        .unwrap();
    Reach {
        app,
        offer,
        slug: "guide",
        _files: files,
    }
}

pub async fn reach() -> Reach {
    reach_with(
        "The guide",
        "I agree to hear from Northwind.",
        r#"[{"key":"company","label":"Company","kind":"text","required":true}]"#,
        |_| {},
    )
    .await
}

/// The landing page's HTML and its form's hidden values (`form`, `consent_text`).
pub struct Landing {
    pub html: String,
    pub form: String,
    pub consent_text: String,
}

pub fn hidden(html: &str, name: &str) -> String {
    let needle = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&needle)
        .unwrap_or_else(|| panic!("no {name} in the form"))
        + needle.len();
    html[start..].split('"').next().unwrap().to_owned()
}

impl Reach {
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.app.base)
    }

    pub async fn landing(&self, query: &str) -> Landing {
        let resp = self
            .client()
            .get(self.url(&format!("/r/{}{query}", self.slug)))
            .header("accept-language", "en-GB,en;q=0.9")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let html = resp.text().await.unwrap();
        Landing {
            form: hidden(&html, "form"),
            consent_text: hidden(&html, "consent_text"),
            html,
        }
    }

    /// Posts the landing form with `pairs` over a valid form token and consent text id.
    pub async fn submit(&self, pairs: &[(&str, &str)]) -> reqwest::Response {
        self.submit_from("", pairs, None).await
    }

    /// [`Reach::submit`] from the landing page with `query`, with `cookie` when given.
    pub async fn submit_from(
        &self,
        query: &str,
        pairs: &[(&str, &str)],
        cookie: Option<&str>,
    ) -> reqwest::Response {
        let landing = self.landing(query).await;
        let mut form: Vec<(String, String)> = vec![
            ("form".into(), landing.form),
            ("consent_text".into(), landing.consent_text),
            ("locale".into(), "en".into()),
            ("website".into(), String::new()),
        ];
        for (k, v) in pairs {
            form.retain(|(name, _)| name != k);
            form.push(((*k).into(), (*v).into()));
        }
        let mut req = self
            .client()
            .post(self.url(&format!("/r/{}{query}", self.slug)))
            .form(&form);
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        req.send().await.unwrap()
    }

    /// How many submissions were stored (each queues exactly one confirmation).
    pub async fn submissions(&self) -> i64 {
        outbox(&self.app.store)
            .await
            .iter()
            .filter(|m| m.key.starts_with("reach-confirm:"))
            .count() as i64
    }
}

/// A valid form for `email`.
pub fn good(email: &str) -> Vec<(&'static str, &str)> {
    vec![
        ("email", email),
        ("name", "Ana Virtanen"),
        ("fields.company", "Northwind"),
        ("consent", "on"),
    ]
}

pub async fn outbox(store: &Store) -> Vec<OutboxMail> {
    store.recent_mail(1000).await.unwrap()
}

/// The last mail to `to`.
pub async fn mail_to(store: &Store, to: &str) -> OutboxMail {
    outbox(store)
        .await
        .into_iter()
        .find(|m| m.to == to)
        .unwrap_or_else(|| panic!("no mail to {to}"))
}

/// The path of the first link in `text` under `prefix` (e.g. `/r/confirm/`).
pub fn link_path(text: &str, prefix: &str) -> String {
    let needle = format!("{PUBLIC}{prefix}");
    let start = text
        .find(&needle)
        .unwrap_or_else(|| panic!("no {prefix} link in {text}"));
    let link = &text[start + PUBLIC.len()..];
    link.split(|c: char| c.is_whitespace() || c == '>' || c == '"')
        .next()
        .unwrap()
        .to_owned()
}

/// Unescapes the five entities askama writes.
pub fn unescape(html: &str) -> String {
    html.replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#34;", "\"")
        .replace("&#38;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

pub fn email(s: &str) -> Email {
    Email::parse(s).unwrap()
}

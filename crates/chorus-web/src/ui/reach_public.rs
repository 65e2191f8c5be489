//! Reach's public pages, outside the signed-in layout: an offer's landing page and its form,
//! the confirmation link's page and button, the signed download, the withdrawal link (a page
//! with a button, and RFC 8058's one-click POST) and the preference page. Handlers translate
//! to `chorus_app::reach::public` and render; no rule and no store here.
//!
//! Forms without a session: `auth::identify` resolves no session under `/r/` (a signed-in
//! marketer trying their own landing page posts like a visitor; the session's CSRF token has
//! nothing to protect here). The landing form carries its own protection instead, a signed
//! token issued with the page (checked by the use case); the confirmation, withdrawal and
//! preference posts need none: their capability is the unguessable token in their address,
//! which a cross-site page cannot know, and they act on nothing a cookie grants.
//! The Content-Security-Policy of the app applies unchanged (no inline script or style).

use askama::Template;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chorus_app::reach::public::{
    self, ConfirmAnswer, LinkState, PrefsChange, SubmitInput, Submitted, Visitor,
};
use chorus_core::reach::{OfferKind, RegistrationState};

use super::FormData;
use super::reach_public_words::{Words, for_locale, lang};
use crate::auth::client::ClientAddr;
use crate::error::{AppError, PageError};
use crate::state::AppState;

mod links;

use links::{change_prefs, download, file_response, prefs, unsubscribe, unsubscribe_page};

const CSS: &[u8] = include_bytes!("../../static/reach_public.css");

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/r/assets/reach.css", get(stylesheet))
        .route("/r/{slug}", get(landing).post(submit))
        .route("/r/{slug}/cover", get(cover))
        .route("/r/{slug}/sent", get(sent))
        .route("/r/confirm/{token}", get(confirm_page).post(confirm))
        .route("/r/download/{signed}", get(download))
        .route(
            "/r/unsubscribe/{signed}",
            get(unsubscribe_page).post(unsubscribe),
        )
        .route("/r/prefs/{token}", get(prefs).post(change_prefs))
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}

/// Public answers are never cached by shared caches, and never tell other sites where the
/// visitor came from (tokens are in our addresses).
fn private(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    resp
}

fn html<T: Template>(status: StatusCode, page: &T) -> Response {
    private(super::render_with_status(status, page))
}

/// The visitor's preferred locale: the first tag of `Accept-Language`.
fn accept_language(headers: &HeaderMap) -> Option<String> {
    let raw = headers.get(header::ACCEPT_LANGUAGE)?.to_str().ok()?;
    let first = raw.split(',').next()?.split(';').next()?.trim();
    (!first.is_empty() && first != "*" && first.len() <= 35).then(|| first.to_owned())
}

fn visitor(addr: &ClientAddr, headers: &HeaderMap) -> Visitor {
    Visitor {
        ip: addr.0.parse().ok(),
        user_agent: headers
            .get(header::USER_AGENT)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default(),
    }
}

struct FieldView {
    id: String,
    name: String,
    label: String,
    kind: &'static str,
    required: bool,
    options: Vec<String>,
    value: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "reach/public/landing.html")]
struct LandingPage {
    brand: String,
    w: &'static Words,
    lang: &'static str,
    locale: String,
    page_title: String,
    slug: String,
    query_suffix: String,
    kind_label: &'static str,
    form_title: &'static str,
    submit_label: &'static str,
    title: String,
    description: String,
    when: Option<String>,
    seats: Option<String>,
    has_cover: bool,
    form_token: String,
    consent_id: i64,
    consent_body: String,
    privacy_url: String,
    legal_basis: &'static str,
    consent_checked: bool,
    email: String,
    name: String,
    fields: Vec<FieldView>,
    summary: Option<String>,
    errors: Vec<(String, String)>,
}

impl LandingPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
}

/// What the visitor typed, to show again with an error.
#[derive(Default)]
struct Typed {
    email: String,
    name: String,
    consent: bool,
    fields: Vec<(String, String)>,
}

async fn landing_page(
    state: &AppState,
    slug: &str,
    locale: Option<&str>,
    query: Option<&str>,
    typed: Typed,
    error: Option<AppError>,
) -> Response {
    let landing = match public::landing(&state.app, slug, locale).await {
        Ok(l) => l,
        Err(e) => return missing(state, e, locale.unwrap_or("en")).await,
    };
    let w = for_locale(&landing.locale);
    let retry_after = match &error {
        Some(AppError::TooManyRequests {
            retry_after_secs, ..
        }) => Some(*retry_after_secs),
        _ => None,
    };
    let (summary, errors, status) = match error {
        None => (None, Vec::new(), StatusCode::OK),
        Some(e) => {
            let status = e.status();
            match e.field().map(str::to_owned) {
                // The signed form token has no input of its own: its refusal is the summary.
                Some(field) if field != "form" => (
                    Some(w.fix_below.to_owned()),
                    vec![(field, e.public_message())],
                    status,
                ),
                _ => (Some(sentence(&e.public_message())), Vec::new(), status),
            }
        }
    };
    let fields = landing
        .fields
        .fields
        .iter()
        .map(|f| {
            let name = f.input_name();
            FieldView {
                id: format!("f-{}", f.key),
                value: typed
                    .fields
                    .iter()
                    .find(|(k, _)| *k == f.key)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default(),
                error: errors
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, m)| m.clone()),
                name,
                label: f.label.clone(),
                kind: match f.kind {
                    chorus_core::reach::form::FieldKind::Text => "text",
                    chorus_core::reach::form::FieldKind::Select => "select",
                    chorus_core::reach::form::FieldKind::Checkbox => "checkbox",
                },
                required: f.required,
                options: f.options.clone(),
            }
        })
        .collect();
    let webinar = landing.offer.kind == OfferKind::Webinar;
    let page = LandingPage {
        brand: landing.organization.clone(),
        w,
        lang: lang(&landing.locale),
        page_title: landing.title.clone(),
        slug: landing.offer.slug.clone(),
        query_suffix: query
            .filter(|q| !q.is_empty())
            .map(|q| format!("?{q}"))
            .unwrap_or_default(),
        kind_label: if webinar {
            w.kind_webinar
        } else {
            w.kind_asset
        },
        form_title: if webinar {
            w.form_title_webinar
        } else {
            w.form_title_asset
        },
        submit_label: if webinar {
            w.submit_webinar
        } else {
            w.submit_asset
        },
        title: landing.title,
        description: landing.description,
        when: landing.when,
        seats: landing.seats,
        has_cover: landing
            .offer
            .asset
            .as_ref()
            .is_some_and(|a| a.cover_key.is_some()),
        form_token: landing.form_token,
        consent_id: landing.consent.id.0,
        consent_body: landing.consent.body,
        privacy_url: landing.consent.privacy_url,
        legal_basis: landing.consent.legal_basis.label(),
        consent_checked: typed.consent,
        email: typed.email,
        name: typed.name,
        fields,
        summary,
        errors,
        locale: landing.locale,
    };
    let mut resp = html(status, &page);
    if let Some(secs) = retry_after {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    resp
}

async fn landing(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let locale = accept_language(&headers);
    landing_page(
        &state,
        &slug,
        locale.as_deref(),
        query.as_deref(),
        Typed::default(),
        None,
    )
    .await
}

async fn submit(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
    addr: ClientAddr,
    headers: HeaderMap,
    form: FormData,
) -> Response {
    let v = visitor(&addr, &headers);
    let fields: Vec<(String, String)> = form
        .with_prefix("fields.")
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let input = SubmitInput {
        slug: slug.clone(),
        email: form.get("email").to_owned(),
        name: form.get("name").to_owned(),
        consent: form.get("consent").to_owned(),
        consent_text: form.get("consent_text").to_owned(),
        form: form.get("form").to_owned(),
        website: form.get(public::HONEYPOT).to_owned(),
        locale: form.get("locale").to_owned(),
        fields: fields.iter().cloned().collect(),
        query: query.clone().unwrap_or_default(),
        ip: v.ip,
        user_agent: v.user_agent,
    };
    let locale = form.get("locale").to_owned();
    match public::submit(&state.app, &input).await {
        // Post/Redirect/Get: reloading the answer must not send the form again.
        Ok(Submitted::Queued(_) | Submitted::Ignored) => {
            let lang = lang(&locale);
            Redirect::to(&format!("/r/{slug}/sent?lang={lang}")).into_response()
        }
        Err(chorus_app::Error::NotFound(what)) => {
            missing(&state, chorus_app::Error::NotFound(what), &locale).await
        }
        Err(e) => {
            let typed = Typed {
                email: input.email,
                name: input.name,
                consent: !input.consent.is_empty(),
                fields,
            };
            landing_page(
                &state,
                &slug,
                Some(&locale),
                query.as_deref(),
                typed,
                Some(AppError::from(e)),
            )
            .await
        }
    }
}

#[derive(serde::Deserialize)]
struct LangQuery {
    lang: Option<String>,
}

/// "Check your inbox", where a sent form lands (the same for a bot that filled the honeypot).
async fn sent(
    State(state): State<AppState>,
    axum::extract::Query(q): axum::extract::Query<LangQuery>,
) -> Response {
    let locale = q.lang.unwrap_or_default();
    let w = for_locale(&locale);
    notice(
        &state,
        StatusCode::OK,
        &locale,
        Notice {
            tone: "info",
            icon: "✉",
            heading: w.sent_heading,
            paragraphs: vec![w.sent_text.into(), w.sent_spam.into()],
            ..Notice::default()
        },
    )
    .await
}

async fn cover(State(state): State<AppState>, Path(slug): Path<String>) -> Response {
    match public::cover(&state.app, &slug).await {
        Ok(d) => file_response(d, false),
        Err(e) => PageError::from(e).into_response(),
    }
}

/// A button on a one-message page.
struct Action {
    url: String,
    label: &'static str,
    post: bool,
}

struct LinkView {
    url: String,
    label: &'static str,
}

#[derive(Template)]
#[template(path = "reach/public/notice.html")]
struct Notice {
    brand: String,
    w: &'static Words,
    lang: &'static str,
    page_title: String,
    tone: &'static str,
    icon: &'static str,
    heading: &'static str,
    paragraphs: Vec<String>,
    /// What the page is about (an offer's title), shown large after the paragraphs.
    subject: Option<String>,
    /// Quieter sentences after the subject.
    after: Vec<String>,
    email: Option<String>,
    action: Option<Action>,
    links: Vec<LinkView>,
}

impl Default for Notice {
    fn default() -> Self {
        Notice {
            brand: String::new(),
            w: &super::reach_public_words::EN,
            lang: "en",
            page_title: String::new(),
            tone: "info",
            icon: "",
            heading: "",
            paragraphs: Vec::new(),
            subject: None,
            after: Vec::new(),
            email: None,
            action: None,
            links: Vec::new(),
        }
    }
}

async fn notice(state: &AppState, status: StatusCode, locale: &str, mut n: Notice) -> Response {
    n.brand = public::organization_name(&state.app).await;
    n.w = for_locale(locale);
    n.lang = lang(locale);
    n.page_title = n.heading.to_owned();
    html(status, &n)
}

/// A message as a sentence: its first letter capitalized, a full stop at its end.
fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    let mut out: String = match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    };
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

/// A page that says the link or page is not (or no longer) there, or why it was refused.
async fn missing(state: &AppState, e: chorus_app::Error, locale: &str) -> Response {
    let w = for_locale(locale);
    let err = AppError::from(e);
    let status = err.status();
    let (heading, text, tone) = match &err {
        AppError::NotFound(_) => (w.missing_heading, w.missing_text.to_owned(), "warn"),
        AppError::TooManyRequests { .. } => {
            (w.busy_heading, sentence(&err.public_message()), "warn")
        }
        AppError::Internal(_) => return PageError(err).into_response(),
        _ => (w.refused_heading, sentence(&err.public_message()), "bad"),
    };
    notice(
        state,
        status,
        locale,
        Notice {
            tone,
            icon: "!",
            heading,
            paragraphs: vec![text],
            ..Notice::default()
        },
    )
    .await
}

async fn confirm_page(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let page = match public::confirm_page(&state.app, &token).await {
        Ok(p) => p,
        Err(e) => return missing(&state, e, "en").await,
    };
    let w = for_locale(&page.locale);
    let n = match page.state {
        LinkState::Pending => Notice {
            tone: "info",
            icon: "✉",
            heading: w.confirm_heading,
            paragraphs: vec![w.confirm_text.into()],
            subject: Some(page.title),
            email: Some(page.email),
            action: Some(Action {
                url: format!("/r/confirm/{token}"),
                label: w.confirm_button,
                post: true,
            }),
            ..Notice::default()
        },
        LinkState::Used => Notice {
            tone: "ok",
            icon: "✓",
            heading: w.used_heading,
            paragraphs: vec![w.used_text.into()],
            ..Notice::default()
        },
        LinkState::Expired => Notice {
            tone: "warn",
            icon: "!",
            heading: w.expired_heading,
            paragraphs: vec![w.expired_text.into()],
            ..Notice::default()
        },
    };
    notice(&state, StatusCode::OK, &page.locale, n).await
}

async fn confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
    addr: ClientAddr,
    headers: HeaderMap,
) -> Response {
    let answer = match public::confirm(&state.app, &token, &visitor(&addr, &headers)).await {
        Ok(a) => a,
        Err(e) => return missing(&state, e, "en").await,
    };
    match answer {
        ConfirmAnswer::Confirmed(c) => {
            let w = for_locale(&c.locale);
            let mut paragraphs = Vec::new();
            let mut after = Vec::new();
            let mut action = None;
            match (c.kind, c.seat) {
                (OfferKind::Asset, _) => {
                    paragraphs.push(w.confirmed_asset.into());
                    if let Some(until) = &c.download_expires {
                        after.push(format!("{} {until}.", w.download_until));
                    }
                    action = c.download_url.clone().map(|url| Action {
                        url,
                        label: w.download,
                        post: false,
                    });
                }
                (OfferKind::Webinar, seat) => {
                    if let Some(when) = &c.when {
                        after.push(when.clone());
                    }
                    paragraphs.push(
                        match seat {
                            Some(RegistrationState::Waitlisted) => w.seat_waitlisted,
                            Some(RegistrationState::Cancelled) => w.seat_cancelled,
                            _ => w.seat_registered,
                        }
                        .into(),
                    );
                }
            }
            notice(
                &state,
                StatusCode::OK,
                &c.locale,
                Notice {
                    tone: "ok",
                    icon: "✓",
                    heading: w.confirmed_heading,
                    paragraphs,
                    subject: Some(c.title.clone()),
                    after,
                    action,
                    links: vec![LinkView {
                        url: c.prefs_url.clone(),
                        label: w.prefs_link,
                    }],
                    ..Notice::default()
                },
            )
            .await
        }
        ConfirmAnswer::AlreadyUsed { locale, .. } => {
            let w = for_locale(&locale);
            notice(
                &state,
                StatusCode::CONFLICT,
                &locale,
                Notice {
                    tone: "ok",
                    icon: "✓",
                    heading: w.used_heading,
                    paragraphs: vec![w.used_text.into()],
                    ..Notice::default()
                },
            )
            .await
        }
        ConfirmAnswer::Expired { locale, slug, .. } => {
            let w = for_locale(&locale);
            notice(
                &state,
                StatusCode::GONE,
                &locale,
                Notice {
                    tone: "warn",
                    icon: "!",
                    heading: w.expired_heading,
                    paragraphs: vec![w.expired_text.into()],
                    action: Some(Action {
                        url: format!("/r/{slug}"),
                        label: w.again,
                        post: false,
                    }),
                    ..Notice::default()
                },
            )
            .await
        }
    }
}

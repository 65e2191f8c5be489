//! `/reach/consent`: the consent texts of each market the caller sees, every version listed with
//! its hash, and (for those who manage Reach there) a form that writes the next version. An old
//! version is never edited: what people agreed to stays as it was.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chorus_app::reach::consent_texts::{self, RawConsentText};
use chorus_app::reach::leads::language_name;
use chorus_core::reach::consent::LegalBasis;
use serde::Deserialize;

use super::ReachTabs;
use crate::auth::{Identity, PageUser};
use crate::error::{AppError, PageError};
use crate::state::AppState;
use crate::ui::{Flash, FormData, Shell, format_time, render_with_status};

pub fn routes() -> Router<AppState> {
    Router::new().route("/reach/consent", get(page).post(create))
}

struct Version {
    version: i64,
    locale: String,
    language: String,
    body: String,
    basis: &'static str,
    privacy_url: String,
    sha256: String,
    created: String,
    current: bool,
}

struct MarketBlock {
    code: String,
    name: String,
    versions: Vec<Version>,
    can_manage: bool,
}

#[derive(Template)]
#[template(path = "reach/consent.html")]
struct Page {
    shell: Shell,
    tabs: ReachTabs,
    markets: Vec<MarketBlock>,
    managed: Vec<(String, String)>,
    bases: Vec<(&'static str, &'static str)>,
    v: Values,
    error_field: String,
    error_message: String,
}

#[derive(Default)]
struct Values {
    market: String,
    locale: String,
    body: String,
    legal_basis: String,
    privacy_url: String,
}

#[derive(Deserialize)]
struct Done {
    done: Option<String>,
}

async fn render_page(
    state: &AppState,
    id: &Identity,
    v: Values,
    error: Option<AppError>,
    flash: Option<Flash>,
) -> Result<Response, PageError> {
    let list = consent_texts::list(&state.app, &id.caller).await?;
    let markets: Vec<MarketBlock> = list
        .into_iter()
        .map(|m| {
            let mut seen: Vec<String> = Vec::new();
            let versions = m
                .texts
                .iter()
                .map(|t| {
                    let current = !seen.contains(&t.locale);
                    seen.push(t.locale.clone());
                    Version {
                        version: t.version,
                        locale: t.locale.clone(),
                        language: language_name(&t.locale),
                        body: t.body.clone(),
                        basis: t.legal_basis.label(),
                        privacy_url: t.privacy_url.clone(),
                        sha256: t.sha256.clone(),
                        created: format_time(t.created_at.as_millisecond()),
                        current,
                    }
                })
                .collect();
            MarketBlock {
                code: m.market.code.to_string(),
                name: m.market.name.clone(),
                versions,
                can_manage: m.can_manage,
            }
        })
        .collect();
    let managed = markets
        .iter()
        .filter(|m| m.can_manage)
        .map(|m| (m.code.clone(), m.name.clone()))
        .collect();
    let (error_field, error_message) = match &error {
        Some(e) => (e.field().unwrap_or("form").to_owned(), e.public_message()),
        None => (String::new(), String::new()),
    };
    let status = error
        .as_ref()
        .map_or(axum::http::StatusCode::OK, AppError::status);
    let reads_leads = chorus_app::reach::leads::breakdown(&state.app, &id.caller)
        .await?
        .is_some();
    let page = Page {
        shell: Shell::new(state, id, "reach", "Consent texts")
            .await?
            .with_flash(flash),
        tabs: ReachTabs {
            active: "consent",
            leads: reads_leads,
        },
        markets,
        managed,
        bases: LegalBasis::ALL
            .iter()
            .map(|b| (b.as_str(), b.label()))
            .collect(),
        v,
        error_field,
        error_message,
    };
    Ok(render_with_status(status, &page))
}

async fn page(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    let flash = match done.done.as_deref() {
        Some("created") => Flash::success(
            "New version saved. Forms show it from now on; people who agreed to an earlier one keep theirs on record.",
        ),
        _ => None,
    };
    let v = Values {
        legal_basis: "consent".into(),
        ..Values::default()
    };
    render_page(&state, &id, v, None, flash).await
}

async fn create(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    form: FormData,
) -> Result<Response, PageError> {
    let v = Values {
        market: form.get("market").to_owned(),
        locale: form.get("locale").to_owned(),
        body: form.get("body").to_owned(),
        legal_basis: form.get("legal_basis").to_owned(),
        privacy_url: form.get("privacy_url").to_owned(),
    };
    let raw = RawConsentText {
        market: v.market.clone(),
        locale: v.locale.clone(),
        body: v.body.clone(),
        legal_basis: v.legal_basis.clone(),
        privacy_url: v.privacy_url.clone(),
    };
    match consent_texts::create(&state.app, &id.caller, &raw)
        .await
        .map_err(AppError::from)
    {
        Ok(_) => Ok(Redirect::to("/reach/consent?done=created").into_response()),
        Err(e @ AppError::Invalid { field: Some(_), .. }) => {
            render_page(&state, &id, v, Some(e), None).await
        }
        Err(e) => Err(PageError(e)),
    }
}

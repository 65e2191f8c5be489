//! `/reach/leads` (the list with its filters and CSV) and `/reach/leads/{id}` (who, where they
//! came from, every touch, the consent history in sentences, and its CSV). Only for those who
//! read leads (`chorus_app::reach::leads`); another market's lead is "not found".

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use chorus_app::reach::leads::{self, LeadRow, RawLeadFilters, consent_sentence};
use chorus_app::reach::offers;
use chorus_core::LeadId;
use serde::Deserialize;

use super::{ReachTabs, count, csv_response};
use crate::auth::PageUser;
use crate::error::{AppError, PageError};
use crate::state::AppState;
use crate::ui::{Flash, FormData, Shell, format_time, iso_time, local_time, render};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/reach/leads", get(list))
        .route("/reach/leads.csv", get(list_csv))
        .route("/reach/leads/{id}", get(show))
        .route("/reach/leads/{id}/consent.csv", get(consent_csv))
        .route("/reach/leads/{id}/export", post(export))
        .route("/reach/leads/{id}/erase", post(erase))
}

/// The list's query parameters (all optional).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Params {
    #[serde(default)]
    market: String,
    #[serde(default)]
    offer: String,
    #[serde(default)]
    story: String,
    #[serde(default)]
    campaign: String,
    #[serde(default)]
    principle: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    withdrawn: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    after: String,
}

impl Params {
    pub(crate) fn raw(&self) -> RawLeadFilters {
        RawLeadFilters {
            market: self.market.clone(),
            offer: self.offer.clone(),
            story: self.story.clone(),
            campaign: self.campaign.clone(),
            principle: self.principle.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            withdrawn: self.withdrawn.clone(),
            q: self.q.clone(),
            after: self.after.clone(),
        }
    }

    /// The filters as a query string (without `after`), for the CSV link and the next page.
    fn query(&self) -> String {
        let pairs: Vec<(&str, &str)> = [
            ("market", &self.market),
            ("offer", &self.offer),
            ("story", &self.story),
            ("campaign", &self.campaign),
            ("principle", &self.principle),
            ("from", &self.from),
            ("to", &self.to),
            ("withdrawn", &self.withdrawn),
            ("q", &self.q),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k, v.as_str()))
        .collect();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

struct Row {
    id: i64,
    who: String,
    email: String,
    offer: String,
    market: String,
    source: String,
    story: Option<(i64, String)>,
    campaign: String,
    confirmed: String,
    confirmed_iso: String,
    withdrawn: bool,
}

fn who(r: &LeadRow) -> (String, String) {
    match (&r.name, &r.email) {
        (_, None) => ("Erased".to_owned(), String::new()),
        (Some(n), Some(e)) if !n.trim().is_empty() => (n.clone(), e.clone()),
        (_, Some(e)) => (e.clone(), String::new()),
    }
}

/// "bluesky / social", or "Direct" when the link carried no tags.
fn source(utm_source: &Option<String>, utm_medium: &Option<String>) -> String {
    match (utm_source.as_deref(), utm_medium.as_deref()) {
        (Some(s), Some(m)) => format!("{s} / {m}"),
        (Some(s), None) => s.to_owned(),
        (None, Some(m)) => m.to_owned(),
        (None, None) => "Direct".to_owned(),
    }
}

fn row(r: &LeadRow) -> Row {
    let (name, email) = who(r);
    Row {
        id: r.id.0,
        who: name,
        email,
        offer: r.offer_title.clone(),
        market: r.market_code.clone(),
        source: source(&r.utm_source, &r.utm_medium),
        story: r.story.zip(r.story_title.clone()),
        campaign: r.campaign_name.clone().unwrap_or_default(),
        confirmed: format_time(r.confirmed_at_ms),
        confirmed_iso: iso_time(r.confirmed_at_ms),
        withdrawn: r.withdrawn_at_ms.is_some(),
    }
}

#[derive(Template)]
#[template(path = "reach/leads.html")]
struct ListPage {
    shell: Shell,
    tabs: ReachTabs,
    p: Params,
    rows: Vec<Row>,
    total: String,
    withdrawn: String,
    next: Option<String>,
    query: String,
    markets: Vec<String>,
    offers: Vec<(i64, String)>,
    /// Filters that came from a link (story, campaign, principle), as (label, value).
    chips: Vec<(&'static str, String)>,
}

async fn list(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Query(p): Query<Params>,
) -> Result<Response, PageError> {
    let page = leads::list(&state.app, &id.caller, &p.raw(), &local_time::zone()).await?;
    let offer_list = offers::list(&state.app, &id.caller, None).await?;
    let mut markets: Vec<String> = offer_list.iter().map(|o| o.market_code.clone()).collect();
    markets.sort();
    markets.dedup();
    let chips = [
        ("Story", &p.story),
        ("Campaign", &p.campaign),
        ("Principle", &p.principle),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| (k, v.clone()))
    .collect();
    let query = p.query();
    Ok(render(&ListPage {
        shell: Shell::new(&state, &id, "reach", "Leads").await?,
        tabs: ReachTabs {
            active: "leads",
            leads: true,
        },
        rows: page.rows.iter().map(row).collect(),
        total: count(page.counts.total),
        withdrawn: count(page.counts.withdrawn),
        next: page.next,
        query,
        markets,
        offers: offer_list
            .iter()
            .map(|o| (o.offer.id.0, o.offer.title().to_owned()))
            .collect(),
        chips,
        p,
    }))
}

async fn list_csv(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Query(p): Query<Params>,
) -> Result<Response, PageError> {
    let file = leads::csv(&state.app, &id.caller, &p.raw(), &local_time::zone()).await?;
    Ok(csv_response(file))
}

fn lead_id(raw: &str) -> Result<LeadId, PageError> {
    raw.parse::<i64>()
        .map(LeadId)
        .map_err(|_| PageError(AppError::NotFound("lead")))
}

struct TouchRow {
    when: String,
    offer: String,
    source: String,
    campaign: String,
    story: Option<(i64, String)>,
    confirmed: bool,
    page_url: String,
}

struct EventRow {
    sentence: String,
    tone: &'static str,
    text: Option<String>,
    hash: Option<String>,
    page_url: Option<String>,
}

#[derive(Template)]
#[template(path = "reach/lead.html")]
struct LeadPage {
    shell: Shell,
    error_field: String,
    error_message: String,
    id: i64,
    name: String,
    email: String,
    erased: bool,
    offer: String,
    /// The offer's staff page (an asset's or a webinar's).
    offer_href: String,
    market: String,
    confirmed: String,
    withdrawn: Option<String>,
    story: Option<(i64, String)>,
    campaign: Option<String>,
    principles: Vec<(i64, String)>,
    source: String,
    utm: Vec<(&'static str, String)>,
    touches: Vec<TouchRow>,
    events: Vec<EventRow>,
}

#[derive(Deserialize)]
struct Done {
    done: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(raw): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    let flash = match done.done.as_deref() {
        Some("erased") => Flash::success(
            "Erased: their name and address are gone from Reach. The consent history stays as \
             proof, filed under a fingerprint of the address.",
        ),
        _ => None,
    };
    lead_page(&state, &id, lead_id(&raw)?, flash, None).await
}

async fn lead_page(
    state: &AppState,
    id: &crate::auth::Identity,
    lead: LeadId,
    flash: Option<Flash>,
    error: Option<AppError>,
) -> Result<Response, PageError> {
    let d = leads::get(&state.app, &id.caller, lead).await?;
    let (error_field, error_message) = match &error {
        Some(e) => (e.field().unwrap_or("form").to_owned(), e.public_message()),
        None => (String::new(), String::new()),
    };
    let status = error
        .as_ref()
        .map_or(axum::http::StatusCode::OK, AppError::status);
    let r = &d.lead;
    let (name, email) = who(r);
    let utm = [
        ("utm_source", &r.utm_source),
        ("utm_medium", &r.utm_medium),
        ("utm_campaign", &r.utm_campaign),
        ("utm_content", &r.utm_content),
        ("utm_term", &r.utm_term),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.clone().map(|v| (k, v)))
    .collect();
    let page = LeadPage {
        shell: Shell::new(state, id, "reach", name.clone())
            .await?
            .with_flash(flash),
        error_field,
        error_message,
        id: r.id.0,
        name,
        email,
        erased: d.erased_at_ms.is_some(),
        offer: r.offer_title.clone(),
        offer_href: match r.offer_kind {
            chorus_core::reach::OfferKind::Asset => format!("/reach/assets/{}", r.offer.0),
            chorus_core::reach::OfferKind::Webinar => format!("/reach/webinars/{}", r.offer.0),
        },
        market: r.market_code.clone(),
        confirmed: format_time(r.confirmed_at_ms),
        withdrawn: r.withdrawn_at_ms.map(format_time),
        story: r.story.zip(r.story_title.clone()),
        campaign: r.campaign_name.clone(),
        principles: d
            .principles
            .iter()
            .map(|p| (p.number, p.title.clone()))
            .collect(),
        source: source(&r.utm_source, &r.utm_medium),
        utm,
        touches: d
            .touches
            .iter()
            .map(|t| TouchRow {
                when: format_time(t.at_ms),
                offer: t.offer_slug.clone(),
                source: source(&t.utm_source, &t.utm_medium),
                campaign: t.utm_campaign.clone().unwrap_or_default(),
                story: t.story.zip(t.story_title.clone()),
                confirmed: t.confirmed_at_ms.is_some(),
                page_url: t.page_url.clone(),
            })
            .collect(),
        events: d
            .consent
            .iter()
            .map(|e| {
                use chorus_core::reach::ConsentEvent::*;
                EventRow {
                    sentence: consent_sentence(e, &format_time(e.at_ms)),
                    tone: match e.event {
                        Confirmed => "success",
                        Withdrawn | Erased => "danger",
                        _ => "",
                    },
                    text: e.consent_text.clone(),
                    hash: e.consent_sha256.clone(),
                    page_url: e.page_url.clone(),
                }
            })
            .collect(),
    };
    Ok(crate::ui::render_with_status(status, &page))
}

/// The person's data as a JSON file (an `exported` row is written to their consent history).
async fn export(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(raw): Path<String>,
) -> Result<Response, PageError> {
    let file = leads::export_person(&state.app, &id.caller, lead_id(&raw)?).await?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/json; charset=utf-8".to_owned(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", file.file_name),
            ),
        ],
        file.bytes,
    )
        .into_response())
}

/// Erases the person (their name and address; the consent history stays as proof).
async fn erase(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(raw): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let lead = lead_id(&raw)?;
    match leads::erase_person(&state.app, &id.caller, lead, form.get("confirm"))
        .await
        .map_err(AppError::from)
    {
        Ok(_) => Ok(Redirect::to(&format!("/reach/leads/{}?done=erased", lead.0)).into_response()),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => {
            lead_page(&state, &id, lead, None, Some(e)).await
        }
        Err(e) => Err(PageError(e)),
    }
}

async fn consent_csv(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(raw): Path<String>,
) -> Result<Response, PageError> {
    let file = leads::consent_csv(&state.app, &id.caller, lead_id(&raw)?).await?;
    Ok(csv_response(file))
}

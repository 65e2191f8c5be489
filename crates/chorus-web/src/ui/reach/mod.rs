//! The Reach section for staff: the overview (`/reach`: each offer's sign-ups, confirmations
//! and leads; leads per story, campaign, market and principle), gated assets (`assets.rs`),
//! consent texts (`consent.rs`) and leads (`leads.rs`). Webinars live beside these
//! (`webinars*.rs`); the public landing pages are `ui/reach_public*.rs`. Every page translates
//! to `chorus_app::reach`; who may see what is decided there.

mod assets;
mod consent;
mod leads;
pub(crate) mod upload;
mod webinars;
mod webinars_people;
mod webinars_public;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use chorus_app::reach::leads::LeadGroupRow as GroupRow;
use chorus_app::reach::offers::OfferView;
use chorus_app::reach::{leads as app_leads, offers};

use crate::auth::PageUser;
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::{Shell, render};

pub(crate) use upload::body_limit;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/reach", get(overview))
        .merge(assets::routes())
        .merge(consent::routes())
        .merge(leads::routes())
        .merge(webinars::routes())
        .merge(webinars_public::routes())
}

/// The section's tabs; `active` is the current one's key.
pub(crate) struct ReachTabs {
    pub active: &'static str,
    /// Whether Leads shows (only to those who read leads somewhere).
    pub leads: bool,
}

/// A CSV file as a download.
pub(crate) fn csv_response(file: chorus_app::stories::export::Export) -> Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", file.file_name),
            ),
        ],
        file.bytes,
    )
        .into_response()
}

/// A figure as the pages write it: a whole number with thin-space thousands.
pub(crate) fn count(n: i64) -> String {
    let s = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    if n < 0 { format!("−{out}") } else { out }
}

/// A share as a percentage with no decimals ("42 %"), or "—" when there is nothing to divide.
pub(crate) fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "—".to_owned(), |r| format!("{:.0} %", r * 100.0))
}

/// One offer's row in a list.
pub(crate) struct OfferRow {
    pub href: String,
    pub title: String,
    pub kind: &'static str,
    pub market: String,
    pub state: &'static str,
    pub state_tone: &'static str,
    pub submissions: String,
    pub leads: String,
    pub rate: String,
    pub public_path: String,
}

pub(crate) fn state_tone(state: chorus_core::reach::OfferState) -> &'static str {
    use chorus_core::reach::OfferState::*;
    match state {
        Draft => "neutral",
        Live => "success",
        Closed => "warning",
    }
}

pub(crate) fn state_label(state: chorus_core::reach::OfferState) -> &'static str {
    use chorus_core::reach::OfferState::*;
    match state {
        Draft => "Draft",
        Live => "Live",
        Closed => "Closed",
    }
}

impl OfferRow {
    pub fn of(v: &OfferView) -> OfferRow {
        use chorus_core::reach::OfferKind;
        let (kind, href) = match v.offer.kind {
            OfferKind::Asset => ("Download", format!("/reach/assets/{}", v.offer.id.0)),
            OfferKind::Webinar => ("Webinar", format!("/reach/webinars/{}", v.offer.id.0)),
        };
        OfferRow {
            href,
            title: v.offer.title().to_owned(),
            kind,
            market: v.market_code.clone(),
            state: state_label(v.offer.state),
            state_tone: state_tone(v.offer.state),
            submissions: count(v.counts.submissions),
            leads: count(v.counts.leads),
            rate: percent(v.confirmation_rate()),
            public_path: v.public_path.clone(),
        }
    }
}

/// A grouping's row: who or what, and its leads.
pub(crate) struct LeadsBy {
    pub label: String,
    pub href: Option<String>,
    pub leads: String,
    pub share: u32,
}

fn leads_by(rows: &[GroupRow], none: &str, link: impl Fn(i64) -> String) -> Vec<LeadsBy> {
    let max = rows.iter().map(|r| r.leads).max().unwrap_or(0).max(1);
    rows.iter()
        .take(8)
        .map(|r| LeadsBy {
            label: r.label.clone().unwrap_or_else(|| none.to_owned()),
            href: r.id.map(&link),
            leads: count(r.leads),
            share: u32::try_from(r.leads * 100 / max).unwrap_or(0),
        })
        .collect()
}

/// Leads by market: the label is the market's code, which the list filters by.
fn by_market(rows: &[GroupRow]) -> Vec<LeadsBy> {
    leads_by(rows, "—", |_| String::new())
        .into_iter()
        .map(|mut r| {
            r.href = Some(format!("/reach/leads?market={}", r.label));
            r
        })
        .collect()
}

#[derive(Template)]
#[template(path = "reach/overview.html")]
struct Overview {
    shell: Shell,
    tabs: ReachTabs,
    rows: Vec<OfferRow>,
    reads_leads: bool,
    total_leads: String,
    withdrawn: String,
    submissions: String,
    rate: String,
    /// Leads by story, campaign, market and principle: (heading, rows).
    sources: Vec<(&'static str, Vec<LeadsBy>)>,
    can_create: bool,
}

async fn overview(
    State(state): State<AppState>,
    PageUser(id): PageUser,
) -> Result<Response, PageError> {
    let list = offers::list(&state.app, &id.caller, None).await?;
    let breakdown = app_leads::breakdown(&state.app, &id.caller).await?;
    let submissions: i64 = list.iter().map(|o| o.counts.submissions).sum();
    let confirmations: i64 = list.iter().map(|o| o.counts.confirmations).sum();
    let b = breakdown.clone().unwrap_or_default();
    let page = Overview {
        shell: Shell::new(&state, &id, "reach", "Reach").await?,
        tabs: ReachTabs {
            active: "overview",
            leads: breakdown.is_some(),
        },
        rows: list.iter().map(OfferRow::of).collect(),
        reads_leads: breakdown.is_some(),
        total_leads: count(b.counts.total),
        withdrawn: count(b.counts.withdrawn),
        submissions: count(submissions),
        rate: percent((submissions > 0).then(|| confirmations as f64 / submissions as f64)),
        sources: vec![
            (
                "By story",
                leads_by(&b.by_story, "No story (direct visits)", |s| {
                    format!("/reach/leads?story={s}")
                }),
            ),
            (
                "By campaign",
                leads_by(&b.by_campaign, "No campaign", |c| {
                    format!("/reach/leads?campaign={c}")
                }),
            ),
            ("By market", by_market(&b.by_market)),
            (
                "By principle",
                leads_by(&b.by_principle, "No principle cited", |p| {
                    format!("/reach/leads?principle={p}")
                }),
            ),
        ],
        can_create: offers::may_create(&state.app, &id.caller).await?,
    };
    Ok(render(&page))
}

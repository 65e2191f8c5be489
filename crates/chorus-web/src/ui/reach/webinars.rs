//! Webinars for staff: `/reach/webinars` (the list), `/reach/webinars/new` (the form),
//! `/reach/webinars/{id}` (when, seats, the public link, the state, time and place to change,
//! cancelling, and — for those who read leads — the registrants, `webinars_people.rs`).
//! Every handler translates to `chorus_app::reach::webinars_*`; who may do what is decided
//! there. Forms name their inputs as the use cases' errors name fields (`starts_at`,
//! `capacity`, `pages[0].title`…), so a refusal lands beside its field.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chorus_app::reach::offers;
use chorus_app::reach::webinars_manage::{self as manage, WebinarView};
use chorus_app::reach::webinars_new::{self, RawNewWebinar};
use chorus_core::OfferId;
use chorus_core::reach::offer::{FieldInput, FieldKind, PageInput};
use chorus_core::reach::webinar::RawWebinar;
use chorus_core::reach::{OfferKind, OfferState};
use serde::Deserialize;

use super::webinars_people::{self, RegistrantRow};
use super::{OfferRow, ReachTabs, state_label, state_tone};
use crate::auth::{Identity, PageUser};
use crate::error::{AppError, PageError};
use crate::state::AppState;
use crate::ui::{Flash, FormData, Shell, render, render_with_status};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/reach/webinars", get(list).post(create))
        .route("/reach/webinars/new", get(new))
        .route("/reach/webinars/{id}", get(show))
        .route("/reach/webinars/{id}/schedule", post(schedule))
        .route("/reach/webinars/{id}/cancel", post(cancel))
        .merge(webinars_people::routes())
}

pub(crate) fn webinar_id(raw: &str) -> Result<OfferId, PageError> {
    raw.parse::<i64>()
        .map(OfferId)
        .map_err(|_| PageError(AppError::NotFound("webinar")))
}

/// The error to show: its field (as the form names it) and message.
fn shown(error: &Option<AppError>) -> (String, String) {
    match error {
        Some(e) => (e.field().unwrap_or("form").to_owned(), e.public_message()),
        None => (String::new(), String::new()),
    }
}

async fn leads_tab(state: &AppState, id: &Identity) -> Result<bool, PageError> {
    Ok(chorus_app::reach::leads::breakdown(&state.app, &id.caller)
        .await?
        .is_some())
}

#[derive(Template)]
#[template(path = "reach/webinars/list.html")]
struct ListPage {
    shell: Shell,
    tabs: ReachTabs,
    rows: Vec<OfferRow>,
    can_create: bool,
}

async fn list(
    State(state): State<AppState>,
    PageUser(id): PageUser,
) -> Result<Response, PageError> {
    let offers = offers::list(&state.app, &id.caller, Some(OfferKind::Webinar)).await?;
    Ok(render(&ListPage {
        shell: Shell::new(&state, &id, "reach", "Reach").await?,
        tabs: ReachTabs {
            active: "webinars",
            leads: leads_tab(&state, &id).await?,
        },
        rows: offers.iter().map(OfferRow::of).collect(),
        can_create: offers::may_create(&state.app, &id.caller).await?,
    }))
}

/// A landing page row of the form.
#[derive(Clone, Default)]
pub(crate) struct PageRow {
    pub locale: String,
    pub title: String,
    pub description: String,
}

/// A custom field row of the form.
#[derive(Clone, Default)]
pub(crate) struct FieldRow {
    pub label: String,
    pub kind: String,
    pub required: bool,
    pub options: String,
}

/// The `prefix[i].name` values of the form, row by row (while any of `names` is present).
fn rows(form: &FormData, prefix: &str, names: &[&str]) -> Vec<Vec<String>> {
    (0..40)
        .map(|i| {
            names
                .iter()
                .map(|n| {
                    let key = format!("{prefix}[{i}].{n}");
                    form.0
                        .iter()
                        .find(|(k, _)| *k == key)
                        .map(|(_, v)| v.clone())
                })
                .collect::<Vec<_>>()
        })
        .take_while(|v| v.iter().any(Option::is_some))
        .map(|v| v.into_iter().map(Option::unwrap_or_default).collect())
        .collect()
}

/// The staff form's time and place fields.
fn raw_webinar(form: &FormData) -> RawWebinar {
    RawWebinar {
        starts_at: form.get("starts_at").to_owned(),
        time_zone: form.get("time_zone").to_owned(),
        duration_minutes: form.get("duration_minutes").to_owned(),
        capacity: form.get("capacity").to_owned(),
        join_url: form.get("join_url").to_owned(),
    }
}

#[derive(Template)]
#[template(path = "reach/webinars/new.html")]
struct NewPage {
    shell: Shell,
    markets: Vec<(String, String)>,
    campaigns: Vec<(i64, String)>,
    zones: Vec<String>,
    market: String,
    slug: String,
    campaign: String,
    w: RawWebinar,
    pages: Vec<PageRow>,
    fields: Vec<FieldRow>,
    kinds: Vec<(&'static str, &'static str)>,
    error_field: String,
    error_message: String,
}

struct NewValues {
    market: String,
    slug: String,
    campaign: String,
    w: RawWebinar,
    pages: Vec<PageRow>,
    fields: Vec<FieldRow>,
}

async fn new_page(
    state: &AppState,
    id: &Identity,
    mut v: NewValues,
    error: Option<AppError>,
) -> Result<Response, PageError> {
    let markets = offers::managed_markets(&state.app, &id.caller).await?;
    if markets.is_empty() {
        return Err(PageError(AppError::Forbidden(
            "only market leads and editors make webinars".into(),
        )));
    }
    let campaigns = chorus_app::stories::campaigns::campaigns(&state.app, &id.caller)
        .await?
        .lookup
        .campaigns
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    if v.w.time_zone.is_empty() {
        v.w.time_zone = markets[0].timezone.as_str().to_owned();
    }
    let mut zones: Vec<String> = markets
        .iter()
        .map(|m| m.timezone.as_str().to_owned())
        .collect();
    zones.sort();
    zones.dedup();
    v.pages.push(PageRow::default());
    if v.fields.len() < 12 {
        v.fields.push(FieldRow {
            kind: "text".into(),
            ..FieldRow::default()
        });
    }
    let (error_field, error_message) = shown(&error);
    let status = error
        .as_ref()
        .map_or(axum::http::StatusCode::OK, AppError::status);
    let page = NewPage {
        shell: Shell::with_markets(state, id, &markets, "reach", "New webinar").await?,
        markets: markets
            .iter()
            .map(|m| (m.code.to_string(), m.name.clone()))
            .collect(),
        campaigns,
        zones,
        market: v.market,
        slug: v.slug,
        campaign: v.campaign,
        w: v.w,
        pages: v.pages,
        fields: v.fields,
        kinds: FieldKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label()))
            .collect(),
        error_field,
        error_message,
    };
    Ok(render_with_status(status, &page))
}

async fn new(State(state): State<AppState>, PageUser(id): PageUser) -> Result<Response, PageError> {
    let v = NewValues {
        market: String::new(),
        slug: String::new(),
        campaign: String::new(),
        w: RawWebinar {
            duration_minutes: "60".into(),
            ..RawWebinar::default()
        },
        pages: vec![PageRow {
            locale: "en".into(),
            ..PageRow::default()
        }],
        fields: Vec::new(),
    };
    new_page(&state, &id, v, None).await
}

/// Whether an error belongs beside a field of the form (show it again) rather than alone.
fn about_a_field(e: &AppError) -> bool {
    matches!(
        e,
        AppError::Invalid { field: Some(_), .. } | AppError::Conflict { .. }
    )
}

async fn create(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    form: FormData,
) -> Result<Response, PageError> {
    let pages: Vec<PageRow> = rows(&form, "pages", &["locale", "title", "description"])
        .into_iter()
        .map(|v| PageRow {
            locale: v[0].clone(),
            title: v[1].clone(),
            description: v[2].clone(),
        })
        .collect();
    let fields: Vec<FieldRow> = rows(&form, "fields", &["label", "kind", "required", "options"])
        .into_iter()
        .map(|v| FieldRow {
            label: v[0].clone(),
            kind: v[1].clone(),
            required: !v[2].is_empty(),
            options: v[3].clone(),
        })
        .collect();
    let raw = RawNewWebinar {
        market: form.get("market").to_owned(),
        slug: form.get("slug").to_owned(),
        campaign: form.get("campaign").to_owned(),
        pages: pages
            .iter()
            .filter(|p| !(p.title.is_empty() && p.description.is_empty()))
            .map(|p| PageInput {
                locale: p.locale.clone(),
                title: p.title.clone(),
                description: p.description.clone(),
            })
            .collect(),
        fields: fields
            .iter()
            .map(|f| FieldInput {
                label: f.label.clone(),
                kind: f.kind.clone(),
                required: f.required,
                options: f.options.clone(),
            })
            .collect(),
        webinar: raw_webinar(&form),
    };
    match webinars_new::create(&state.app, &id.caller, &raw)
        .await
        .map_err(AppError::from)
    {
        Ok(o) => {
            Ok(Redirect::to(&format!("/reach/webinars/{}?done=created", o.id.0)).into_response())
        }
        Err(e) if about_a_field(&e) => {
            let v = NewValues {
                market: raw.market.clone(),
                slug: raw.slug.clone(),
                campaign: raw.campaign.clone(),
                w: raw.webinar.clone(),
                pages: pages.into_iter().filter(|p| !p.title.is_empty()).collect(),
                fields: fields.into_iter().filter(|f| !f.label.is_empty()).collect(),
            };
            new_page(&state, &id, v, Some(e)).await
        }
        Err(e) => Err(PageError(e)),
    }
}

#[derive(Template)]
#[template(path = "reach/webinars/show.html")]
struct ShowPage {
    shell: Shell,
    v: WebinarView,
    state_label: &'static str,
    state_tone: &'static str,
    public_path: String,
    cancelled: bool,
    moves: Vec<(&'static str, &'static str, &'static str)>,
    capacity: String,
    w: RawWebinar,
    registrants: Vec<RegistrantRow>,
    error_field: String,
    error_message: String,
}

#[derive(Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

fn flash_for(done: Option<&str>) -> Option<Flash> {
    let message = match done? {
        "created" => "Webinar saved as a draft. Publish it when its landing page is ready.",
        "live" => "Published: the landing page takes registrations.",
        "closed" => "Registrations closed. People already registered keep their seats.",
        "saved" => "Saved. The change is recorded in the audit log.",
        "announced" => {
            "Saved. Everyone registered was sent the update with the new calendar entry."
        }
        "cancelled" => "Webinar cancelled. Everyone registered or waiting was told.",
        "seat" => "Seat cancelled and the person told; the first waiting got it, if anyone was.",
        "attendance" => "Attendance recorded.",
        _ => return None,
    };
    Flash::success(message)
}

/// The webinar's page, with `edited` values and `error` when a form was refused.
pub(crate) async fn show_page(
    state: &AppState,
    id: &Identity,
    offer: OfferId,
    edited: Option<RawWebinar>,
    error: Option<AppError>,
    flash: Option<Flash>,
) -> Result<Response, PageError> {
    let v = manage::get(&state.app, &id.caller, offer).await?;
    let registrants = if v.can_read_registrants {
        webinars_people::rows(&manage::registrants(&state.app, &id.caller, offer).await?)
    } else {
        Vec::new()
    };
    let moves = if v.can_manage && v.webinar.cancelled_at.is_none() {
        chorus_core::reach::offer::next_states(v.offer.state)
            .into_iter()
            .map(|to| match to {
                OfferState::Live => ("live", "Publish the landing page", "btn--primary"),
                OfferState::Closed => ("closed", "Close registrations", "btn--secondary"),
                OfferState::Draft => ("draft", "Back to draft", "btn--secondary"),
            })
            .collect()
    } else {
        Vec::new()
    };
    let w = edited.unwrap_or_else(|| RawWebinar {
        starts_at: v.starts_local.clone(),
        time_zone: v.webinar.time_zone.clone(),
        duration_minutes: v.webinar.duration_minutes.to_string(),
        capacity: v
            .webinar
            .capacity
            .map(|c| c.to_string())
            .unwrap_or_default(),
        join_url: v.webinar.join_url.clone(),
    });
    let (error_field, error_message) = shown(&error);
    let status = error
        .as_ref()
        .map_or(axum::http::StatusCode::OK, AppError::status);
    let page = ShowPage {
        shell: Shell::new(state, id, "reach", v.offer.title())
            .await?
            .with_flash(flash),
        state_label: state_label(v.offer.state),
        state_tone: state_tone(v.offer.state),
        public_path: format!("/r/{}", v.offer.slug),
        cancelled: v.webinar.cancelled_at.is_some(),
        moves,
        capacity: v
            .webinar
            .capacity
            .map_or_else(|| "no limit".to_owned(), |c| c.to_string()),
        w,
        registrants,
        error_field,
        error_message,
        v,
    };
    Ok(render_with_status(status, &page))
}

async fn show(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(raw): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let offer = webinar_id(&raw)?;
    show_page(&state, &id, offer, None, None, flash_for(q.done.as_deref())).await
}

async fn schedule(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(raw): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let offer = webinar_id(&raw)?;
    let w = raw_webinar(&form);
    match manage::change(&state.app, &id.caller, offer, &w)
        .await
        .map_err(AppError::from)
    {
        Ok(c) => {
            let done = if c.announced { "announced" } else { "saved" };
            Ok(Redirect::to(&format!("/reach/webinars/{}?done={done}", offer.0)).into_response())
        }
        Err(e) if about_a_field(&e) => show_page(&state, &id, offer, Some(w), Some(e), None).await,
        Err(e) => Err(PageError(e)),
    }
}

async fn cancel(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(raw): Path<String>,
) -> Result<Response, PageError> {
    let offer = webinar_id(&raw)?;
    match manage::cancel(&state.app, &id.caller, offer)
        .await
        .map_err(AppError::from)
    {
        Ok(_) => Ok(
            Redirect::to(&format!("/reach/webinars/{}?done=cancelled", offer.0)).into_response(),
        ),
        Err(e @ AppError::Conflict { .. }) => {
            let flash = Flash::error(e.public_message());
            show_page(&state, &id, offer, None, None, flash).await
        }
        Err(e) => Err(PageError(e)),
    }
}

//! Campaigns: objectives with measurable targets (metric, target, period), markets, period, and
//! the principles they serve. A campaign goes live only with an objective that has a target
//! (principle 5, "define clear objectives from the outset"); the refusal says so.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chorus_core::permission::{Actor, allows};
use chorus_core::stories::{CampaignInput, CampaignState, Objective};
use chorus_core::{Action, MarketId, Scope};
use chorus_store::Campaign;
use serde::Deserialize;

use super::service::{Lookup, state_tone};
use super::{StoryTabs, done_message};
use crate::auth::{Identity, PageUser};
use crate::error::{AppError, PageError};
use crate::state::AppState;
use crate::ui::{Flash, FormData, Shell, render, render_with_status};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/stories/campaigns", get(list).post(create))
        .route("/stories/campaigns/new", get(new_form))
        .route("/stories/campaigns/{id}", get(show).post(update))
        .route("/stories/campaigns/{id}/edit", get(edit_form))
        .route("/stories/campaigns/{id}/state", post(set_state))
}

/// Whether the actor may see a campaign: it runs in a market whose stories they read.
pub fn may_see(actor: &Actor, c: &Campaign) -> bool {
    actor.is_admin()
        || allows(actor, Action::ManageCampaigns, Scope::Global)
        || c.markets
            .iter()
            .any(|m| super::service::may_read(actor, *m))
}

/// Whether the actor may change a campaign running in `markets`: allowed in every one of them.
pub fn may_manage(actor: &Actor, markets: &[MarketId]) -> bool {
    !markets.is_empty()
        && markets
            .iter()
            .all(|m| allows(actor, Action::ManageCampaigns, Scope::Market(*m)))
}

/// A campaign's fields as typed.
#[derive(Debug, Default, Clone)]
pub struct RawCampaign {
    pub name: String,
    /// (metric, target, period) rows; empty rows are ignored.
    pub objectives: Vec<(String, String, String)>,
    /// Market codes.
    pub markets: Vec<String>,
    /// Principle numbers or slugs.
    pub principles: Vec<String>,
    pub starts_on: String,
    pub ends_on: String,
}

pub fn parse_campaign(raw: &RawCampaign, lookup: &Lookup) -> Result<CampaignInput, AppError> {
    let mut objectives = Vec::new();
    for (i, (metric, target, period)) in raw.objectives.iter().enumerate() {
        if metric.trim().is_empty() && target.trim().is_empty() && period.trim().is_empty() {
            continue;
        }
        objectives.push(
            Objective::parse(metric, target, period)
                .map_err(|e| AppError::invalid(format!("objectives[{i}]"), e.message))?,
        );
    }
    let mut markets = Vec::new();
    for code in raw.markets.iter().filter(|c| !c.trim().is_empty()) {
        let m = lookup
            .market_by_code(code)
            .ok_or_else(|| AppError::invalid("markets", format!("no market {code:?}")))?;
        if !markets.contains(&m.id) {
            markets.push(m.id);
        }
    }
    let mut principles = Vec::new();
    for p in raw.principles.iter().filter(|p| !p.trim().is_empty()) {
        let found = lookup
            .find_principle(p)
            .ok_or_else(|| AppError::invalid("principles", format!("no principle {p:?}")))?;
        if !principles.contains(&found.id) {
            principles.push(found.id);
        }
    }
    Ok(CampaignInput::parse(
        &raw.name,
        objectives,
        markets,
        principles,
        &raw.starts_on,
        &raw.ends_on,
    )?)
}

fn raw_from_form(form: &FormData) -> RawCampaign {
    let all = |name: &str| -> Vec<String> {
        form.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    };
    let objectives = (0..OBJECTIVE_ROWS)
        .map(|i| {
            (
                form.get(&format!("metric_{i}")).to_owned(),
                form.get(&format!("target_{i}")).to_owned(),
                form.get(&format!("period_{i}")).to_owned(),
            )
        })
        .collect();
    RawCampaign {
        name: form.get("name").to_owned(),
        objectives,
        markets: all("markets"),
        principles: all("principles"),
        starts_on: form.get("starts_on").to_owned(),
        ends_on: form.get("ends_on").to_owned(),
    }
}

fn raw_from_campaign(c: &Campaign, lookup: &Lookup) -> RawCampaign {
    RawCampaign {
        name: c.name.clone(),
        objectives: c
            .objectives
            .iter()
            .map(|o| (o.metric.clone(), format_target(o.target), o.period.clone()))
            .collect(),
        markets: c.markets.iter().map(|m| lookup.market_code(*m)).collect(),
        principles: c
            .principles
            .iter()
            .filter_map(|p| lookup.principle(*p))
            .map(|p| p.number.to_string())
            .collect(),
        starts_on: c.starts_on.to_string(),
        ends_on: c.ends_on.to_string(),
    }
}

/// 5000 → "5000", 2.5 → "2.5".
pub fn format_target(t: f64) -> String {
    if t.fract() == 0.0 && t.abs() < 1e15 {
        format!("{}", t as i64)
    } else {
        format!("{t}")
    }
}

const OBJECTIVE_ROWS: usize = 4;

struct Row {
    id: i64,
    name: String,
    state: &'static str,
    tone: &'static str,
    period: String,
    markets: Vec<String>,
    objectives: Vec<String>,
}

fn campaign_tone(s: CampaignState) -> &'static str {
    match s {
        CampaignState::Planning => "neutral",
        CampaignState::Active => "success",
        CampaignState::Ended => "info",
    }
}

fn objective_text(o: &Objective) -> String {
    format!("{} {} ({})", format_target(o.target), o.metric, o.period)
}

#[derive(Template)]
#[template(path = "stories/campaigns.html")]
struct ListPage {
    shell: Shell,
    tabs: StoryTabs,
    rows: Vec<Row>,
    can_create: bool,
}

#[derive(Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let lookup = Lookup::load(&state.app, &id.caller).await?;
    let rows = lookup
        .campaigns
        .iter()
        .filter(|c| may_see(&id.caller.actor, c))
        .map(|c| Row {
            id: c.id,
            name: c.name.clone(),
            state: c.state.as_str(),
            tone: campaign_tone(c.state),
            period: format!("{} – {}", c.starts_on, c.ends_on),
            markets: c.markets.iter().map(|m| lookup.market_code(*m)).collect(),
            objectives: c.objectives.iter().map(objective_text).collect(),
        })
        .collect();
    let flash = done_message(q.done.as_deref()).and_then(Flash::success);
    let shell = Shell::new(&state, &id, "stories", "Campaigns")
        .await?
        .with_flash(flash);
    Ok(render(&ListPage {
        shell,
        tabs: StoryTabs::new(&id.caller.actor, "campaigns"),
        rows,
        can_create: lookup.markets.iter().any(|m| {
            allows(
                &id.caller.actor,
                Action::ManageCampaigns,
                Scope::Market(m.id),
            )
        }),
    }))
}

pub struct Check {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "stories/campaign_form.html")]
struct FormPage {
    shell: Shell,
    tabs: StoryTabs,
    is_new: bool,
    action: String,
    cancel: String,
    name: String,
    objectives: Vec<(String, String, String)>,
    markets: Vec<Check>,
    principles: Vec<Check>,
    starts_on: String,
    ends_on: String,
    error_field: String,
    error_message: String,
}

async fn form_page(
    state: &AppState,
    id: &Identity,
    existing: Option<&Campaign>,
    raw: &RawCampaign,
    status: StatusCode,
    error: Option<AppError>,
) -> Result<Response, PageError> {
    let lookup = Lookup::load(&state.app, &id.caller).await?;
    let mut objectives = raw.objectives.clone();
    objectives.resize(OBJECTIVE_ROWS.max(objectives.len()), Default::default());
    let markets = lookup
        .markets
        .iter()
        .filter(|m| {
            allows(
                &id.caller.actor,
                Action::ManageCampaigns,
                Scope::Market(m.id),
            )
        })
        .map(|m| Check {
            value: m.code.to_string(),
            label: format!("{} {}", m.code, m.name),
            checked: raw.markets.iter().any(|c| c == m.code.as_str()),
        })
        .collect();
    let principles = lookup
        .principles
        .iter()
        .map(|p| Check {
            value: p.number.to_string(),
            label: format!("{}. {}", p.number, p.title),
            checked: raw.principles.iter().any(|x| *x == p.number.to_string()),
        })
        .collect();
    let (error_field, error_message) = match &error {
        Some(e) => (e.field().unwrap_or("form").to_owned(), e.public_message()),
        None => (String::new(), String::new()),
    };
    let title = existing.map_or("New campaign".to_owned(), |c| format!("Edit {}", c.name));
    let shell = Shell::new(state, id, "stories", title).await?;
    Ok(render_with_status(
        status,
        &FormPage {
            shell,
            tabs: StoryTabs::new(&id.caller.actor, "campaigns"),
            is_new: existing.is_none(),
            action: existing.map_or("/stories/campaigns".into(), |c| {
                format!("/stories/campaigns/{}", c.id)
            }),
            cancel: existing.map_or("/stories/campaigns".into(), |c| {
                format!("/stories/campaigns/{}", c.id)
            }),
            name: raw.name.clone(),
            objectives,
            markets,
            principles,
            starts_on: raw.starts_on.clone(),
            ends_on: raw.ends_on.clone(),
            error_field,
            error_message,
        },
    ))
}

async fn new_form(
    State(state): State<AppState>,
    PageUser(id): PageUser,
) -> Result<Response, PageError> {
    let today = jiff::Zoned::now().date();
    let raw = RawCampaign {
        starts_on: today.to_string(),
        ends_on: today
            .checked_add(jiff::Span::new().months(1))
            .unwrap_or(today)
            .to_string(),
        ..RawCampaign::default()
    };
    form_page(&state, &id, None, &raw, StatusCode::OK, None).await
}

async fn create(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    form: FormData,
) -> Result<Response, PageError> {
    let raw = raw_from_form(&form);
    let lookup = Lookup::load(&state.app, &id.caller).await?;
    let result = match parse_campaign(&raw, &lookup) {
        Ok(input) if !may_manage(&id.caller.actor, &input.markets) => Err(AppError::Forbidden(
            "you may not run campaigns in every market you chose".into(),
        )),
        Ok(input) => state
            .store
            .create_campaign(&id.author(), &input)
            .await
            .map_err(AppError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(c) => {
            Ok(Redirect::to(&format!("/stories/campaigns/{}?done=created", c.id)).into_response())
        }
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => {
            form_page(&state, &id, None, &raw, e.status(), Some(e)).await
        }
        Err(e) => Err(PageError(e)),
    }
}

struct StoryRow {
    id: i64,
    title: String,
    state: &'static str,
    tone: &'static str,
    market: String,
}

#[derive(Template)]
#[template(path = "stories/campaign.html")]
struct ShowPage {
    shell: Shell,
    tabs: StoryTabs,
    c: Campaign,
    state_label: &'static str,
    tone: &'static str,
    objectives: Vec<(String, String, String)>,
    markets: Vec<String>,
    principles: Vec<(i64, String, String)>,
    stories: Vec<StoryRow>,
    can_manage: bool,
    next_states: Vec<(&'static str, &'static str)>,
}

async fn visible(state: &AppState, id: &Identity, cid: i64) -> Result<Campaign, AppError> {
    let c = state.store.campaign(cid).await?;
    if may_see(&id.caller.actor, &c) {
        Ok(c)
    } else {
        Err(AppError::NotFound("campaign"))
    }
}

async fn show_page(
    state: &AppState,
    id: &Identity,
    c: Campaign,
    status: StatusCode,
    flash: Option<Flash>,
) -> Result<Response, PageError> {
    let lookup = Lookup::load(&state.app, &id.caller).await?;
    let readable: Vec<MarketId> = lookup
        .readable_markets(&id.caller.actor)
        .iter()
        .map(|m| m.id)
        .collect();
    let stories = state
        .store
        .stories(Some(&readable), None, 1000)
        .await?
        .into_iter()
        .filter(|s| s.campaign_id == Some(c.id))
        .map(|s| StoryRow {
            id: s.id,
            title: s.title.clone(),
            state: s.state.label(),
            tone: state_tone(s.state),
            market: lookup.market_code(s.market_id),
        })
        .collect();
    let next_states = match c.state {
        CampaignState::Planning => vec![("active", "Activate")],
        CampaignState::Active => vec![
            ("ended", "End the campaign"),
            ("planning", "Back to planning"),
        ],
        CampaignState::Ended => vec![("active", "Reactivate")],
    };
    let shell = Shell::new(state, id, "stories", c.name.clone())
        .await?
        .with_flash(flash);
    Ok(render_with_status(
        status,
        &ShowPage {
            shell,
            tabs: StoryTabs::new(&id.caller.actor, "campaigns"),
            state_label: c.state.as_str(),
            tone: campaign_tone(c.state),
            objectives: c
                .objectives
                .iter()
                .map(|o| (o.metric.clone(), format_target(o.target), o.period.clone()))
                .collect(),
            markets: c
                .markets
                .iter()
                .map(|m| {
                    lookup
                        .market(*m)
                        .map(|x| format!("{} {}", x.code, x.name))
                        .unwrap_or_default()
                })
                .collect(),
            principles: c
                .principles
                .iter()
                .filter_map(|p| lookup.principle(*p))
                .map(|p| (p.number, p.slug.clone(), p.title.clone()))
                .collect(),
            stories,
            can_manage: may_manage(&id.caller.actor, &c.markets),
            next_states,
            c,
        },
    ))
}

async fn show(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(cid): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let c = visible(&state, &id, cid).await?;
    let flash = done_message(q.done.as_deref()).and_then(Flash::success);
    show_page(&state, &id, c, StatusCode::OK, flash).await
}

async fn edit_form(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(cid): Path<i64>,
) -> Result<Response, PageError> {
    let c = visible(&state, &id, cid).await?;
    if !may_manage(&id.caller.actor, &c.markets) {
        return Err(PageError(AppError::Forbidden(
            "you may not manage campaigns in every market of this one".into(),
        )));
    }
    let lookup = Lookup::load(&state.app, &id.caller).await?;
    let raw = raw_from_campaign(&c, &lookup);
    form_page(&state, &id, Some(&c), &raw, StatusCode::OK, None).await
}

async fn update(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(cid): Path<i64>,
    form: FormData,
) -> Result<Response, PageError> {
    let c = visible(&state, &id, cid).await?;
    if !may_manage(&id.caller.actor, &c.markets) {
        return Err(PageError(AppError::Forbidden(
            "you may not manage campaigns in every market of this one".into(),
        )));
    }
    let raw = raw_from_form(&form);
    let lookup = Lookup::load(&state.app, &id.caller).await?;
    let result = match parse_campaign(&raw, &lookup) {
        Ok(input) if !may_manage(&id.caller.actor, &input.markets) => Err(AppError::Forbidden(
            "you may not run campaigns in every market you chose".into(),
        )),
        Ok(input) => state
            .store
            .update_campaign(&id.author(), cid, &input)
            .await
            .map_err(AppError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/stories/campaigns/{cid}?done=saved")).into_response()),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => {
            form_page(&state, &id, Some(&c), &raw, e.status(), Some(e)).await
        }
        Err(e) => Err(PageError(e)),
    }
}

async fn set_state(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(cid): Path<i64>,
    form: FormData,
) -> Result<Response, PageError> {
    let c = visible(&state, &id, cid).await?;
    if !may_manage(&id.caller.actor, &c.markets) {
        return Err(PageError(AppError::Forbidden(
            "you may not manage campaigns in every market of this one".into(),
        )));
    }
    let to = CampaignState::parse(form.get("state"))
        .map_err(|e| PageError(AppError::invalid("state", e.message)))?;
    match state.store.set_campaign_state(&id.author(), cid, to).await {
        Ok(_) => Ok(Redirect::to(&format!("/stories/campaigns/{cid}?done=state")).into_response()),
        Err(e) => {
            let e = AppError::from(e);
            if let AppError::Invalid { message, .. } = &e {
                let flash = Flash::error(format!("The campaign was not activated: {message}"));
                return show_page(&state, &id, c, StatusCode::UNPROCESSABLE_ENTITY, flash).await;
            }
            Err(PageError(e))
        }
    }
}

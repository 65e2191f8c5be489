//! `/stories/campaigns`: the campaign pages (list, form, show, state buttons). Who may see and
//! change a campaign, validation and the states it moves through are
//! `chorus_app::stories::campaigns`'s; these pages translate forms into its raw input and render
//! what it answers. A campaign goes live only with an objective that has a target (principle 5,
//! "define clear objectives from the outset"); the refusal says so on the campaign's page.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chorus_app::stories::campaigns::{self, CampaignState, Objective, RawCampaign};
use chorus_app::stories::{Campaign, Lookup};
use serde::Deserialize;

use super::state_tone;
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

/// The button that moves a campaign to `to`.
fn state_button(to: CampaignState) -> (&'static str, &'static str) {
    let label = match to {
        CampaignState::Active => "Activate",
        CampaignState::Ended => "End the campaign",
        CampaignState::Planning => "Back to planning",
    };
    (to.as_str(), label)
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
    let list = campaigns::campaigns(&state.app, &id.caller).await?;
    let rows = list
        .campaigns
        .iter()
        .map(|v| &v.campaign)
        .map(|c| Row {
            id: c.id,
            name: c.name.clone(),
            state: c.state.as_str(),
            tone: campaign_tone(c.state),
            period: format!("{} – {}", c.starts_on, c.ends_on),
            markets: c
                .markets
                .iter()
                .map(|m| list.lookup.market_code(*m))
                .collect(),
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
        can_create: list.can_create,
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
    /// Each row: metric, target, period, and the message for that row when it was refused.
    objectives: Vec<(String, String, String, String)>,
    markets: Vec<Check>,
    principles: Vec<Check>,
    starts_on: String,
    ends_on: String,
    /// The field refused (`name`, `starts_on`, `ends_on`, `markets`, `principles`, or
    /// `objectives` for a row), whose message is shown once, beside it; anything else
    /// (`form`) is said above the form.
    error_field: String,
    error_message: String,
    /// A refusal of the objectives as a whole (none yet, for a live campaign), said at the top
    /// of their fieldset.
    objectives_error: String,
}

async fn form_page(
    state: &AppState,
    id: &Identity,
    existing: Option<&Campaign>,
    raw: &RawCampaign,
    status: StatusCode,
    error: Option<AppError>,
) -> Result<Response, PageError> {
    let choices = campaigns::campaign_choices(&state.app, &id.caller).await?;
    let mut objectives = raw.objectives.clone();
    objectives.resize(OBJECTIVE_ROWS.max(objectives.len()), Default::default());
    let markets = choices
        .markets
        .iter()
        .map(|m| Check {
            value: m.code.to_string(),
            label: format!("{} {}", m.code, m.name),
            checked: raw.markets.iter().any(|c| c == m.code.as_str()),
        })
        .collect();
    let principles = choices
        .principles
        .iter()
        .map(|p| Check {
            value: p.number.to_string(),
            label: format!("{}. {}", p.number, p.title),
            checked: raw.principles.iter().any(|x| *x == p.number.to_string()),
        })
        .collect();
    let (mut error_field, error_message) = match &error {
        Some(e) => (
            e.field().unwrap_or("form").to_owned(),
            sentence(&e.public_message()),
        ),
        None => (String::new(), String::new()),
    };
    // "objectives[2]" is the third row: its message goes under that row.
    let error_row = error_field
        .strip_prefix("objectives[")
        .and_then(|r| r.strip_suffix(']'))
        .and_then(|i| i.parse::<usize>().ok());
    let objectives_error = if error_field == "objectives" && error_row.is_none() {
        error_message.clone()
    } else {
        String::new()
    };
    if error_row.is_some() {
        error_field = "objectives".into();
    }
    let objectives = objectives
        .into_iter()
        .enumerate()
        .map(|(i, (m, t, p))| {
            let e = if error_row == Some(i) {
                error_message.clone()
            } else {
                String::new()
            };
            (m, t, p, e)
        })
        .collect();
    let title = existing.map_or("New campaign".to_owned(), |c| format!("Edit {}", c.name));
    let shell = Shell::new(state, id, "stories", title).await?;
    let here = existing.map_or("/stories/campaigns".into(), |c| {
        format!("/stories/campaigns/{}", c.id)
    });
    Ok(render_with_status(
        status,
        &FormPage {
            shell,
            tabs: StoryTabs::new(&id.caller.actor, "campaigns"),
            is_new: existing.is_none(),
            action: here.clone(),
            cancel: here,
            name: raw.name.clone(),
            objectives,
            markets,
            principles,
            starts_on: raw.starts_on.clone(),
            ends_on: raw.ends_on.clone(),
            error_field,
            error_message,
            objectives_error,
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
    match campaigns::create_campaign(&state.app, &id.caller, &raw).await {
        Ok(v) => Ok(Redirect::to(&format!(
            "/stories/campaigns/{}?done=created",
            v.campaign.id
        ))
        .into_response()),
        Err(e) => match AppError::from(e) {
            e @ (AppError::Invalid { .. } | AppError::Conflict { .. }) => {
                form_page(&state, &id, None, &raw, e.status(), Some(e)).await
            }
            e => Err(PageError(e)),
        },
    }
}

/// A message as a sentence: capitalised, ending with a full stop.
fn sentence(message: &str) -> String {
    let mut c = message.trim().chars();
    let Some(first) = c.next() else {
        return String::new();
    };
    let rest = c.as_str();
    let stop = if rest.ends_with(['.', '!', '?']) {
        ""
    } else {
        "."
    };
    format!("{}{rest}{stop}", first.to_uppercase())
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
    /// Whether the viewer reads numbers in one of its markets (a link to its numbers).
    reads_numbers: bool,
}

async fn show_page(
    state: &AppState,
    id: &Identity,
    cid: i64,
    status: StatusCode,
    flash: Option<Flash>,
) -> Result<Response, PageError> {
    let view = campaigns::campaign(&state.app, &id.caller, cid).await?;
    let lookup = Lookup::load(&state.app, &id.caller).await?;
    let c = view.campaign;
    let stories = campaigns::campaign_stories(&state.app, &id.caller, &c)
        .await?
        .into_iter()
        .map(|s| StoryRow {
            id: s.id,
            title: s.title.clone(),
            state: s.state.label(),
            tone: state_tone(s.state),
            market: lookup.market_code(s.market_id),
        })
        .collect();
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
            can_manage: view.can_manage,
            next_states: view.next_states.into_iter().map(state_button).collect(),
            reads_numbers: chorus_app::numbers::reads_numbers_in(&id.caller, &c.markets),
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
    let flash = done_message(q.done.as_deref()).and_then(Flash::success);
    show_page(&state, &id, cid, StatusCode::OK, flash).await
}

async fn edit_form(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(cid): Path<i64>,
) -> Result<Response, PageError> {
    let c = campaigns::editable_campaign(&state.app, &id.caller, cid).await?;
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
    let raw = raw_from_form(&form);
    match campaigns::update_campaign(&state.app, &id.caller, cid, &raw).await {
        Ok(_) => Ok(Redirect::to(&format!("/stories/campaigns/{cid}?done=saved")).into_response()),
        Err(e) => match AppError::from(e) {
            e @ (AppError::Invalid { .. } | AppError::Conflict { .. }) => {
                let c = campaigns::editable_campaign(&state.app, &id.caller, cid).await?;
                form_page(&state, &id, Some(&c), &raw, e.status(), Some(e)).await
            }
            e => Err(PageError(e)),
        },
    }
}

async fn set_state(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(cid): Path<i64>,
    form: FormData,
) -> Result<Response, PageError> {
    match campaigns::set_campaign_state(&state.app, &id.caller, cid, form.get("state")).await {
        Ok(_) => Ok(Redirect::to(&format!("/stories/campaigns/{cid}?done=state")).into_response()),
        Err(e) => match AppError::from(e) {
            e @ (AppError::Invalid { .. } | AppError::Conflict { .. }) => {
                let flash = Flash::error(format!(
                    "The campaign's state did not change: {}",
                    e.public_message()
                ));
                show_page(&state, &id, cid, e.status(), flash).await
            }
            e => Err(PageError(e)),
        },
    }
}

//! Creating a story and editing its fields: title, market, campaign, brief, cited principles.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chorus_app::stories::RawStory;
use chorus_app::stories::story::{self, StoryForm};
use serde::Deserialize;

use super::{Choice, StoryTabs};
use crate::auth::{Identity, PageUser};
use crate::error::{AppError, PageError};
use crate::state::AppState;
use crate::ui::{Flash, FormData, Shell, render_with_status};

pub struct PrincipleBox {
    pub value: String,
    pub number: i64,
    pub title: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "stories/story_form.html")]
struct FormPage {
    shell: Shell,
    tabs: StoryTabs,
    is_new: bool,
    action: String,
    cancel: String,
    title: String,
    brief: String,
    markets: Vec<Choice>,
    campaigns: Vec<Choice>,
    principles: Vec<PrincipleBox>,
    error_field: String,
    error_message: String,
}

fn raw_from_form(form: &FormData) -> RawStory {
    RawStory {
        market: form.get("market").to_owned(),
        title: form.get("title").to_owned(),
        brief: form.get("brief").to_owned(),
        campaign: form.get("campaign").to_owned(),
        principles: form
            .0
            .iter()
            .filter(|(k, _)| k == "principles")
            .map(|(_, v)| v.clone())
            .collect(),
    }
}

/// Renders the form with its fields (as saved, or as typed when `error` says what to fix).
async fn form_page(
    state: &AppState,
    id: &Identity,
    f: &StoryForm,
    status: StatusCode,
    error: Option<AppError>,
) -> Result<Response, PageError> {
    let lookup = &f.lookup;
    let raw = &f.fields;
    let markets: Vec<Choice> = f
        .markets
        .iter()
        .map(|m| {
            Choice::new(
                &m.code,
                format!("{} {}", m.code, m.name),
                raw.market == m.code.as_str(),
            )
        })
        .collect();
    let selected: Vec<i64> = raw
        .principles
        .iter()
        .filter_map(|p| lookup.find_principle(p))
        .map(|p| p.id.0)
        .collect();
    let principles = lookup
        .principles
        .iter()
        .map(|p| PrincipleBox {
            value: p.number.to_string(),
            number: p.number,
            title: p.title.clone(),
            checked: selected.contains(&p.id.0),
        })
        .collect();
    let campaigns = f
        .campaigns
        .iter()
        .map(|c| {
            let codes: Vec<String> = c.markets.iter().map(|m| lookup.market_code(*m)).collect();
            Choice::new(
                c.id,
                format!("{} ({})", c.name, codes.join(", ")),
                raw.campaign == c.id.to_string(),
            )
        })
        .collect();
    let (error_field, error_message) = match error {
        Some(e) => (e.field().unwrap_or("form").to_owned(), e.public_message()),
        None => (String::new(), String::new()),
    };
    let story = f.story.as_ref();
    let title = match story {
        Some(s) => format!("Edit “{}”", s.title),
        None => "New story".to_owned(),
    };
    let shell =
        Shell::new(state, id, "stories", title)
            .await?
            .with_flash(if error_message.is_empty() {
                None
            } else {
                Flash::error("The story was not saved: one field needs attention.")
            });
    Ok(render_with_status(
        status,
        &FormPage {
            shell,
            tabs: StoryTabs::new(&id.caller.actor, "stories"),
            is_new: story.is_none(),
            action: story.map_or("/stories".into(), |s| format!("/stories/{}", s.id)),
            cancel: story.map_or("/stories".into(), |s| format!("/stories/{}", s.id)),
            title: raw.title.clone(),
            brief: raw.brief.clone(),
            markets,
            campaigns,
            principles,
            error_field,
            error_message,
        },
    ))
}

#[derive(Deserialize)]
pub struct NewQuery {
    market: Option<String>,
}

pub async fn new_form(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Query(q): Query<NewQuery>,
) -> Result<Response, PageError> {
    let market = q.market.unwrap_or_default();
    let f = story::new_form(&state.app, &id.caller, &market).await?;
    form_page(&state, &id, &f, StatusCode::OK, None).await
}

pub async fn create(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    form: FormData,
) -> Result<Response, PageError> {
    let raw = raw_from_form(&form);
    match story::create(&state.app, &id.caller, &raw).await {
        Ok(s) => Ok(Redirect::to(&format!("/stories/{}?done=created", s.id)).into_response()),
        Err(e @ chorus_app::Error::Invalid { .. }) => {
            let mut f = story::new_form(&state.app, &id.caller, &raw.market).await?;
            f.fields = raw;
            let e = AppError::from(e);
            form_page(&state, &id, &f, e.status(), Some(e)).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(sid): Path<i64>,
) -> Result<Response, PageError> {
    let f = story::edit_form(&state.app, &id.caller, sid).await?;
    form_page(&state, &id, &f, StatusCode::OK, None).await
}

pub async fn update(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(sid): Path<i64>,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, PageError> {
    let raw = raw_from_form(&form);
    match story::update(&state.app, &id.caller, sid, &raw).await {
        Ok(u) => {
            let done = if u.back_to_draft {
                "saved_draft"
            } else {
                "saved"
            };
            Ok(Redirect::to(&format!("/stories/{sid}?done={done}")).into_response())
        }
        Err(e @ chorus_app::Error::Invalid { .. }) => {
            let mut f = story::edit_form(&state.app, &id.caller, sid).await?;
            // The market of a story does not change: show its own.
            f.fields = RawStory {
                market: f.fields.market.clone(),
                ..raw
            };
            let e = AppError::from(e);
            form_page(&state, &id, &f, e.status(), Some(e)).await
        }
        Err(e) => {
            super::story::refused(
                &state,
                &id,
                sid,
                &headers,
                "The story was not saved",
                e.into(),
            )
            .await
        }
    }
}

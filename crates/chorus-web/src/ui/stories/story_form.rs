//! Creating a story and editing its fields: title, market, campaign, brief, cited principles.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chorus_store::Story;
use serde::Deserialize;

use super::service::{Lookup, RawStory, editable_story, parse_story};
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

fn raw_from_story(s: &Story, lookup: &Lookup) -> RawStory {
    RawStory {
        market: lookup.market_code(s.market_id),
        title: s.title.clone(),
        brief: s.brief.clone(),
        campaign: s.campaign_id.map(|c| c.to_string()).unwrap_or_default(),
        principles: s.principles.iter().map(|p| format!("id:{p}")).collect(),
    }
}

async fn form_page(
    state: &AppState,
    id: &Identity,
    story: Option<&Story>,
    raw: &RawStory,
    status: StatusCode,
    error: Option<AppError>,
) -> Result<Response, PageError> {
    let lookup = Lookup::load(&state.app, &id.caller).await?;
    let markets: Vec<Choice> = lookup
        .draft_markets(&id.caller.actor)
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
    let campaigns = lookup
        .campaigns
        .iter()
        .filter(|c| {
            c.markets
                .iter()
                .any(|m| super::service::may_draft(&id.caller.actor, *m))
        })
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
    let lookup = Lookup::load(&state.app, &id.caller).await?;
    let draftable = lookup.draft_markets(&id.caller.actor);
    if draftable.is_empty() {
        return Err(PageError(AppError::Forbidden(
            "you may not write stories in any market; ask a market lead for the contributor role"
                .into(),
        )));
    }
    let market = q
        .market
        .filter(|c| draftable.iter().any(|m| m.code.as_str() == c))
        .unwrap_or_else(|| draftable[0].code.to_string());
    let raw = RawStory {
        market,
        ..RawStory::default()
    };
    form_page(&state, &id, None, &raw, StatusCode::OK, None).await
}

pub async fn create(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    form: FormData,
) -> Result<Response, PageError> {
    let raw = raw_from_form(&form);
    let lookup = Lookup::load(&state.app, &id.caller).await?;
    let result = match parse_story(&raw, &lookup, &id.caller.actor) {
        Ok(input) => state
            .store
            .create_story(&id.author(), &input)
            .await
            .map_err(AppError::from),
        Err(e) => Err(AppError::from(e)),
    };
    match result {
        Ok(s) => Ok(Redirect::to(&format!("/stories/{}?done=created", s.id)).into_response()),
        Err(e @ AppError::Invalid { .. }) => {
            form_page(&state, &id, None, &raw, e.status(), Some(e)).await
        }
        Err(e) => Err(PageError(e)),
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(sid): Path<i64>,
) -> Result<Response, PageError> {
    let story = editable_story(&state, &id, sid).await?;
    let lookup = Lookup::load(&state.app, &id.caller).await?;
    let raw = raw_from_story(&story, &lookup);
    form_page(&state, &id, Some(&story), &raw, StatusCode::OK, None).await
}

pub async fn update(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(sid): Path<i64>,
    form: FormData,
) -> Result<Response, PageError> {
    let story = editable_story(&state, &id, sid).await?;
    let lookup = Lookup::load(&state.app, &id.caller).await?;
    let mut raw = raw_from_form(&form);
    // The market of a story does not change: its variants belong to the market's accounts.
    raw.market = lookup.market_code(story.market_id);
    let result = match parse_story(&raw, &lookup, &id.caller.actor) {
        Ok(input) => state
            .store
            .update_story(&id.author(), sid, &input)
            .await
            .map_err(AppError::from),
        Err(e) => Err(AppError::from(e)),
    };
    match result {
        Ok((_, back)) => {
            let done = if back { "variant_draft" } else { "saved" };
            Ok(Redirect::to(&format!("/stories/{sid}?done={done}")).into_response())
        }
        Err(e @ AppError::Invalid { .. }) => {
            form_page(&state, &id, Some(&story), &raw, e.status(), Some(e)).await
        }
        Err(e) => Err(PageError(e)),
    }
}

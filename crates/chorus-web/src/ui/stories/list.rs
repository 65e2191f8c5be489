//! `/stories`: the stories the viewer may read, newest first, filtered by market, state and
//! campaign.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use chorus_app::stories::story::{self, ListFilter};
use chorus_core::stories::workflow::StoryState;
use serde::Deserialize;

use super::state_tone;
use super::{Choice, StoryTabs, done_message};
use crate::auth::PageUser;
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::{Flash, Shell, format_time, render};

pub fn routes() -> Router<AppState> {
    Router::new().route("/stories", get(page))
}

#[derive(Deserialize, Default)]
pub struct Filter {
    pub market: Option<String>,
    pub state: Option<String>,
    pub campaign: Option<String>,
    pub done: Option<String>,
}

struct Row {
    id: i64,
    title: String,
    state: &'static str,
    tone: &'static str,
    market: String,
    campaign: String,
    author: String,
    updated: String,
}

#[derive(Template)]
#[template(path = "stories/list.html")]
struct ListPage {
    shell: Shell,
    tabs: StoryTabs,
    rows: Vec<Row>,
    markets: Vec<Choice>,
    states: Vec<Choice>,
    campaigns: Vec<Choice>,
    can_draft: bool,
    filtered: bool,
}

async fn page(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Query(f): Query<Filter>,
) -> Result<Response, PageError> {
    let filter = ListFilter {
        market: f.market.unwrap_or_default(),
        state: f.state.unwrap_or_default(),
        campaign: f.campaign.unwrap_or_default(),
    };
    let list = story::list(&state.app, &id.caller, &filter).await?;
    let lookup = &list.lookup;
    let rows = list
        .stories
        .iter()
        .map(|s| Row {
            id: s.id,
            title: s.title.clone(),
            state: s.state.label(),
            tone: state_tone(s.state),
            market: lookup.market_code(s.market_id),
            campaign: s
                .campaign_id
                .and_then(|c| lookup.campaign(c))
                .map(|c| c.name.clone())
                .unwrap_or_default(),
            author: list.names.get(&s.author_id).cloned().unwrap_or_default(),
            updated: format_time(s.updated_at_ms),
        })
        .collect();
    let markets = list
        .markets
        .iter()
        .map(|m| {
            Choice::new(
                &m.code,
                format!("{} {}", m.code, m.name),
                list.market == Some(m.id),
            )
        })
        .collect();
    let states = StoryState::ALL
        .iter()
        .map(|s| Choice::new(s.as_str(), s.label(), list.state == Some(*s)))
        .collect();
    let campaigns = list
        .campaigns
        .iter()
        .map(|c| Choice::new(c.id, c.name.clone(), list.campaign == Some(c.id)))
        .collect();
    let flash = done_message(f.done.as_deref()).and_then(Flash::success);
    let shell = Shell::new(&state, &id, "stories", "Stories")
        .await?
        .with_flash(flash);
    Ok(render(&ListPage {
        shell,
        tabs: StoryTabs::new(&id.caller.actor, "stories"),
        rows,
        markets,
        states,
        campaigns,
        can_draft: list.can_draft,
        filtered: list.market.is_some() || list.state.is_some() || list.campaign.is_some(),
    }))
}

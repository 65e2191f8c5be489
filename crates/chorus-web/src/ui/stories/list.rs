//! `/stories`: the stories the viewer may read, newest first, filtered by market, state and
//! campaign.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use chorus_core::MarketId;
use chorus_core::stories::workflow::StoryState;
use serde::Deserialize;

use super::service::{Lookup, state_tone, user_names};
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

/// Rows shown. The store applies its limit before the market filter, so ask for its maximum
/// and cut after filtering.
const LIMIT: usize = 500;

async fn page(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Query(f): Query<Filter>,
) -> Result<Response, PageError> {
    let lookup = Lookup::load(&state.app, &id.caller).await?;
    let readable: Vec<MarketId> = lookup
        .readable_markets(&id.caller.actor)
        .iter()
        .map(|m| m.id)
        .collect();
    let market = f
        .market
        .as_deref()
        .and_then(|c| lookup.market_by_code(c))
        .filter(|m| readable.contains(&m.id));
    let st = f.state.as_deref().and_then(|s| StoryState::parse(s).ok());
    let campaign: Option<i64> = f.campaign.as_deref().and_then(|c| c.parse().ok());
    let only: Vec<MarketId> = match market {
        Some(m) => vec![m.id],
        None => readable.clone(),
    };
    let names = user_names(&state).await?;
    let rows = state
        .store
        .stories(Some(&only), st, 10_000)
        .await?
        .into_iter()
        .filter(|s| campaign.is_none() || s.campaign_id == campaign)
        .take(LIMIT)
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
            author: names.get(&s.author_id).cloned().unwrap_or_default(),
            updated: format_time(s.updated_at_ms),
        })
        .collect();
    let markets = lookup
        .readable_markets(&id.caller.actor)
        .iter()
        .map(|m| {
            Choice::new(
                &m.code,
                format!("{} {}", m.code, m.name),
                market.is_some_and(|x| x.id == m.id),
            )
        })
        .collect();
    let states = StoryState::ALL
        .iter()
        .map(|s| Choice::new(s.as_str(), s.label(), st == Some(*s)))
        .collect();
    let campaigns = lookup
        .campaigns
        .iter()
        .filter(|c| c.markets.iter().any(|m| readable.contains(m)))
        .map(|c| Choice::new(c.id, c.name.clone(), campaign == Some(c.id)))
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
        can_draft: lookup
            .markets
            .iter()
            .any(|m| super::service::may_draft(&id.caller.actor, m.id)),
        filtered: market.is_some() || st.is_some() || campaign.is_some(),
    }))
}

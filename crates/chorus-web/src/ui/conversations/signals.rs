//! Signals (volume per query per hour against its baseline, spike alerts, share of voice) and
//! response times (each market's first-response target; how every team does against it).
//! Charts are drawn in the browser by uPlot from the JSON API; the figures are also tables.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chorus_core::conversations::{ListeningQuery, QueryId, response_target_minutes};
use chorus_core::org::Market;
use chorus_core::permission::authorize;
use chorus_core::{Action, Scope};
use chorus_store::{ResponseStats, SpikeAlert, StoreError};
use serde::Deserialize;

use super::{Tabs, market_code, markets_allowing, minutes_text, readable_markets};
use crate::auth::PageUser;
use crate::conv::{ShareOfVoice, share_of_voice};
use crate::error::{AppError, PageError};
use crate::state::AppState;
use crate::ui::{FormData, Shell, done_flash, format_time, render};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/conversations/signals", get(signals))
        .route("/conversations/responses", get(responses))
        .route("/conversations/responses/target", post(set_target))
}

#[derive(Deserialize, Default)]
struct Params {
    market: Option<String>,
    query: Option<i64>,
    done: Option<String>,
}

struct AlertRow {
    a: SpikeAlert,
    market: String,
    hour: String,
}

#[derive(Template)]
#[template(path = "conversations/signals.html")]
struct SignalsPage {
    shell: Shell,
    tabs: Tabs,
    markets: Vec<Market>,
    market: Market,
    queries: Vec<ListeningQuery>,
    /// Queries of the market the menu leaves out (past [`QUERY_MENU_MAX`]).
    more_queries: i64,
    query: Option<ListeningQuery>,
    sov: ShareOfVoice,
    alerts: Vec<AlertRow>,
}

/// Queries the chart's menu lists; a market may listen with thousands. A query outside them is
/// still shown by its link (`?query=`, as spike alerts give).
const QUERY_MENU_MAX: i64 = 200;

fn pick<'a>(markets: &'a [Market], code: Option<&str>) -> Option<&'a Market> {
    match code {
        Some(c) => markets
            .iter()
            .find(|m| m.code.as_str().eq_ignore_ascii_case(c)),
        None => markets.first(),
    }
}

async fn signals(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Query(p): Query<Params>,
) -> Result<Response, PageError> {
    let all = state.store.markets().await?;
    let visible = readable_markets(&id, &all)?;
    // A query link (from a spike notification) selects its market.
    let linked = match p.query {
        Some(q) => match state.store.listening_query(QueryId(q)).await {
            Ok(q) => Some(q),
            Err(StoreError::NotFound { .. }) => None,
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let by_query = linked
        .as_ref()
        .and_then(|q| visible.iter().find(|m| m.id == q.market_id));
    let market = by_query
        .or_else(|| pick(&visible, p.market.as_deref()))
        .ok_or(AppError::NotFound("market"))?
        .clone();
    // The chart's menu: the market's first queries by name, and the linked one.
    let (mut queries, total) = state
        .store
        .listening_queries_page(Some(&[market.id]), None, 0, QUERY_MENU_MAX)
        .await?;
    if let Some(l) = linked.filter(|l| l.market_id == market.id)
        && !queries.iter().any(|q| q.id == l.id)
    {
        queries.insert(0, l);
    }
    let more_queries = total - queries.len() as i64;
    let query = p
        .query
        .and_then(|q| queries.iter().find(|x| x.id.0 == q))
        .or_else(|| {
            queries
                .iter()
                .find(|q| q.side == chorus_core::conversations::Side::Us)
        })
        .or(queries.first())
        .cloned();
    let sov = share_of_voice(&state.store, &market, 30).await?;
    let visible_ids: Vec<_> = visible.iter().map(|m| m.id).collect();
    let alerts = state
        .store
        .spike_alerts(Some(&visible_ids), 20)
        .await?
        .into_iter()
        .map(|a| AlertRow {
            market: market_code(&all, a.market_id),
            hour: format_time(a.hour_ms),
            a,
        })
        .collect();
    let shell = Shell::new(&state, &id, "conversations", "Signals").await?;
    Ok(render(&SignalsPage {
        shell,
        tabs: Tabs { active: "signals" },
        markets: visible,
        market,
        queries,
        more_queries,
        query,
        sov,
        alerts,
    }))
}

struct StatRow {
    s: ResponseStats,
    market: String,
    team: String,
    mean: String,
}

struct TargetRow {
    market: Market,
    minutes: Option<i64>,
    text: String,
    can_set: bool,
}

#[derive(Template)]
#[template(path = "conversations/responses.html")]
struct ResponsesPage {
    shell: Shell,
    tabs: Tabs,
    targets: Vec<TargetRow>,
    stats: Vec<StatRow>,
    days: i64,
}

async fn responses(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Query(p): Query<Params>,
) -> Result<Response, PageError> {
    let all = state.store.markets().await?;
    let visible = readable_markets(&id, &all)?;
    let settable = markets_allowing(&id, Action::SetResponseTarget, &all);
    let mut targets = Vec::new();
    for m in &visible {
        let minutes = state.store.response_target(m.id).await?;
        targets.push(TargetRow {
            text: minutes.map(|t| minutes_text(t as f64)).unwrap_or_default(),
            minutes,
            can_set: settable.iter().any(|s| s.id == m.id),
            market: m.clone(),
        });
    }
    let days = 30;
    let ids: Vec<_> = visible.iter().map(|m| m.id).collect();
    let teams = state.store.teams(None).await?;
    let stats = state
        .store
        .response_stats(Some(&ids), chorus_store::now_ms() - days * 86_400_000)
        .await?
        .into_iter()
        .map(|s| StatRow {
            market: market_code(&all, s.market_id),
            team: s
                .team_id
                .and_then(|t| teams.iter().find(|x| x.id == t))
                .map(|t| t.name.clone())
                .unwrap_or_else(|| "(no team)".into()),
            mean: s
                .mean_minutes
                .map(minutes_text)
                .unwrap_or_else(|| "—".into()),
            s,
        })
        .collect();
    let shell = Shell::new(&state, &id, "conversations", "Response times")
        .await?
        .with_flash(done_flash(p.done.as_deref()));
    Ok(render(&ResponsesPage {
        shell,
        tabs: Tabs {
            active: "responses",
        },
        targets,
        stats,
        days,
    }))
}

async fn set_target(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    form: FormData,
) -> Result<Response, PageError> {
    let all = state.store.markets().await?;
    let market = all
        .iter()
        .find(|m| m.code.as_str() == form.get("market"))
        .ok_or_else(|| AppError::invalid("market", "choose a market"))?;
    authorize(
        &id.caller.actor,
        Action::SetResponseTarget,
        Scope::Market(market.id),
    )?;
    let minutes: i64 = form
        .get("minutes")
        .trim()
        .parse()
        .map_err(|_| AppError::invalid("minutes", "give a number of minutes, e.g. 60"))?;
    let minutes = response_target_minutes(minutes).map_err(|e| e.at("minutes"))?;
    state
        .store
        .set_response_target(&id.author(), market.id, minutes)
        .await?;
    Ok(Redirect::to("/conversations/responses?done=saved").into_response())
}

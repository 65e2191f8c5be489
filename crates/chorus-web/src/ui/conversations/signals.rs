//! Signals (volume per query per hour against its baseline, spike alerts, share of voice) and
//! response times (each market's first-response target; how every team does against it).
//! Charts are drawn in the browser by uPlot from the JSON API; the figures are also tables.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chorus_app::conversations::signals::{self, ShareOfVoice, TeamResponse};
use chorus_app::conversations::{ResponseStats, SpikeAlert};
use chorus_core::conversations::ListeningQuery;
use chorus_core::org::Market;
use serde::Deserialize;

use super::{Tabs, market_code, minutes_text};
use crate::auth::PageUser;
use crate::error::PageError;
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
    /// Queries of the market the menu leaves out.
    more_queries: i64,
    query: Option<ListeningQuery>,
    sov: ShareOfVoice,
    /// The end of the share of voice's period.
    sov_to: String,
    alerts: Vec<AlertRow>,
}

async fn signals(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Query(p): Query<Params>,
) -> Result<Response, PageError> {
    let page = signals::page(&state.app, &id.caller, p.market.as_deref(), p.query).await?;
    let all = page.visible.all;
    let alerts = page
        .alerts
        .into_iter()
        .map(|a| AlertRow {
            market: market_code(&all, a.market_id),
            hour: format_time(a.hour_ms),
            a,
        })
        .collect();
    let shell = Shell::with_markets(&state, &id, &all, "conversations", "Signals").await?;
    Ok(render(&SignalsPage {
        shell,
        tabs: Tabs { active: "signals" },
        markets: page.visible.markets,
        market: page.market,
        queries: page.queries,
        more_queries: page.more_queries,
        query: page.query,
        sov_to: crate::ui::iso_time(page.sov.to_ms),
        sov: page.sov,
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
    let page = signals::responses_page(&state.app, &id.caller).await?;
    let targets = page
        .targets
        .into_iter()
        .map(|t| TargetRow {
            text: t
                .minutes
                .map(|m| minutes_text(m as f64))
                .unwrap_or_default(),
            minutes: t.minutes,
            can_set: t.can_set,
            market: t.market,
        })
        .collect();
    let stats = page
        .stats
        .into_iter()
        .map(
            |TeamResponse {
                 stats,
                 market,
                 team,
             }| StatRow {
                market,
                team: team.unwrap_or_else(|| "(no team)".into()),
                mean: stats
                    .mean_minutes
                    .map(minutes_text)
                    .unwrap_or_else(|| "—".into()),
                s: stats,
            },
        )
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
        days: page.days,
    }))
}

async fn set_target(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    form: FormData,
) -> Result<Response, PageError> {
    signals::set_response_target(
        &state.app,
        &id.caller,
        form.get("market"),
        form.get("minutes"),
    )
    .await?;
    Ok(Redirect::to("/conversations/responses?done=saved").into_response())
}

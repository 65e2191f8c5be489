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
use chorus_core::conversations::period::{PRESETS, Period, RawPeriod};
use chorus_core::org::Market;
use chorus_core::validate::FieldError;
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
    /// The Signals period: a preset of the last N days, or a from/to range of days.
    days: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// A field error's message as a sentence: capitalised, with a full stop.
fn sentence(message: &str) -> String {
    let mut c = message.chars();
    match c.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), c.as_str()),
        None => String::new(),
    }
}

/// A preset of the period menu.
struct Preset {
    days: i64,
    current: bool,
}

/// The period as the Signals page shows and links it.
struct PeriodView {
    /// e.g. "1 Nov – 30 Nov 2026 (30 days)".
    label: String,
    /// The query string that asks the API for the same period (`days=…` or `from=…&to=…`).
    query: String,
    presets: Vec<Preset>,
    /// The range fields as typed (kept when they did not parse).
    from: String,
    to: String,
    /// The message for the field that did not parse (`from`, `to` or `days`).
    from_error: Option<String>,
    to_error: Option<String>,
}

impl PeriodView {
    fn new(p: &Params, span: Period, error: Option<FieldError>) -> PeriodView {
        let day = |ms: i64| {
            jiff::Timestamp::from_millisecond(ms)
                .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date())
                .unwrap_or_default()
        };
        let (first, last) = (day(span.from_ms), day(span.to_ms - 1));
        let label = format!(
            "{} – {} ({} day{})",
            first.strftime("%-d %b %Y"),
            last.strftime("%-d %b %Y"),
            span.days(),
            if span.days() == 1 { "" } else { "s" }
        );
        let typed = |v: &Option<String>| v.clone().unwrap_or_default().trim().to_owned();
        let (from, to) = (typed(&p.from), typed(&p.to));
        let days = p.days.as_deref().and_then(|d| d.trim().parse::<i64>().ok());
        let ranged = error.is_none() && !from.is_empty();
        let query = if ranged {
            format!("from={first}&to={last}")
        } else {
            format!(
                "days={}",
                if error.is_none() {
                    days.unwrap_or(14)
                } else {
                    14
                }
            )
        };
        let (mut from_error, mut to_error) = (None, None);
        if let Some(e) = error {
            let text = sentence(&e.message);
            match e.field.as_ref() {
                "to" => to_error = Some(text),
                _ => from_error = Some(text),
            }
        }
        PeriodView {
            label,
            presets: PRESETS
                .iter()
                .map(|&d| Preset {
                    days: d,
                    current: !ranged && days.unwrap_or(14) == d,
                })
                .collect(),
            query,
            from,
            to,
            from_error,
            to_error,
        }
    }
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
    period: PeriodView,
    alerts: Vec<AlertRow>,
}

async fn signals(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Query(p): Query<Params>,
) -> Result<Response, PageError> {
    let days = p.days.as_deref().filter(|d| !d.trim().is_empty());
    let raw = RawPeriod {
        from: p.from.clone(),
        to: p.to.clone(),
        days: days.map(|d| d.trim().parse().unwrap_or(0)),
    };
    let page = signals::page(&state.app, &id.caller, p.market.as_deref(), p.query, &raw).await?;
    let period = PeriodView::new(&p, page.period, page.period_error);
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
        sov: page.sov,
        period,
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

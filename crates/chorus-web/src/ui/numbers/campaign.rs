//! `/numbers/campaigns` and `/numbers/campaigns/{id}`: the campaigns whose numbers the caller
//! reads, and one campaign's page — each objective's progress with its pace line and forecast
//! (how they are computed said on the page), the figures by market and a daily chart, each
//! table with its CSV (`/numbers/campaigns/{id}/{objectives,markets,days}.csv`). Everything
//! comes from `chorus_app::numbers::campaign_numbers`.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use chorus_app::numbers::{self, CampaignNumbersInput, CampaignTable, Outcome, decimal};
use chorus_core::numbers::objective::{Measured, Period};
use chorus_core::numbers::progress::Standing;
use serde::Deserialize;

use super::views::{NumbersTabs, csv_response, day_axis, figure, values};
use crate::auth::PageUser;
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::{Shell, render};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/numbers/campaigns", get(list))
        .route("/numbers/campaigns/{id}", get(show))
        .route(
            "/numbers/campaigns/{id}/objectives.csv",
            get(objectives_csv),
        )
        .route("/numbers/campaigns/{id}/markets.csv", get(markets_csv))
        .route("/numbers/campaigns/{id}/days.csv", get(days_csv))
}

#[derive(Debug, Default, Deserialize)]
struct Params {
    /// Measure as of this day.
    on: Option<String>,
}

impl Params {
    fn input(&self) -> CampaignNumbersInput {
        CampaignNumbersInput {
            on: self.on.clone().unwrap_or_default(),
        }
    }
}

struct ListRow {
    id: i64,
    name: String,
    state: &'static str,
    dates: String,
    markets: String,
}

#[derive(Template)]
#[template(path = "numbers/campaigns.html")]
struct ListPage {
    shell: Shell,
    tabs: NumbersTabs,
    rows: Vec<ListRow>,
}

async fn list(
    State(state): State<AppState>,
    PageUser(id): PageUser,
) -> Result<Response, PageError> {
    let list = numbers::campaign_list(&state.app, &id.caller).await?;
    Ok(render(&ListPage {
        shell: Shell::new(&state, &id, "numbers", "Numbers").await?,
        tabs: NumbersTabs {
            active: "campaigns",
        },
        rows: list
            .into_iter()
            .map(|c| ListRow {
                id: c.id,
                state: c.state.as_str(),
                dates: format!("{} – {}", c.starts_on, c.ends_on),
                markets: c.markets.join(", "),
                name: c.name,
            })
            .collect(),
    }))
}

/// One objective as the page shows it.
struct ObjectiveCard {
    /// "5000 likes (per week)" as written.
    title: String,
    counted_as: String,
    /// "Chorus does not measure '…'", "not available: …", "no target": no figures then.
    no_progress: Option<String>,
    standing: &'static str,
    tone: &'static str,
    /// Window, target in it, actual, pace, forecast.
    window: String,
    target: String,
    actual: String,
    pace: String,
    forecast: String,
    /// The actual's share of the target, 0–100, and the pace's, for the bar.
    bar: u32,
    bar_pace: u32,
    how: String,
    chart_x: String,
    chart_actual: String,
    chart_pace: String,
    /// (week, actual, target, "yes" / "no" / "in progress") of a weekly objective.
    weeks: Vec<(String, i64, String, &'static str)>,
}

fn tone(s: Standing) -> &'static str {
    match s {
        Standing::NotStarted => "neutral",
        Standing::Reached | Standing::OnPace => "success",
        Standing::Behind => "warning",
        Standing::Missed => "danger",
    }
}

fn percent(part: f64, whole: f64) -> u32 {
    ((part / whole).clamp(0.0, 1.0) * 100.0).round() as u32
}

fn card(o: &numbers::ObjectiveView) -> ObjectiveCard {
    let title = format!(
        "{} {} ({})",
        decimal(o.objective.target),
        o.objective.metric,
        o.objective.period
    );
    let mut c = ObjectiveCard {
        title,
        counted_as: o.counted_as.clone(),
        no_progress: None,
        standing: "",
        tone: "neutral",
        window: String::new(),
        target: String::new(),
        actual: String::new(),
        pace: String::new(),
        forecast: String::new(),
        bar: 0,
        bar_pace: 0,
        how: String::new(),
        chart_x: String::new(),
        chart_actual: String::new(),
        chart_pace: String::new(),
        weeks: Vec::new(),
    };
    let p = match (&o.outcome, &o.measured) {
        (Outcome::Measured(p), _) => p,
        (Outcome::NotMeasured, m) => {
            c.no_progress = Some(m.describe());
            return c;
        }
        (Outcome::NotAvailable { why }, _) => {
            c.no_progress = Some(format!("Not available: {why}."));
            return c;
        }
        (Outcome::NoTarget, _) => {
            c.no_progress =
                Some("No target above zero: there is nothing to measure progress against.".into());
            return c;
        }
    };
    let label = match o.measured {
        Measured::Counted(m) => m.label().to_lowercase(),
        Measured::NotMeasured { .. } => String::new(),
    };
    c.standing = p.standing.label();
    c.tone = tone(p.standing);
    c.window = match o.period {
        Period::Campaign => format!("{} – {}", p.from, p.to),
        Period::PerWeek => format!("this week, {} – {}", p.from, p.to),
    };
    c.target = decimal(p.target);
    c.actual = p.actual.to_string();
    c.pace = decimal(p.pace);
    c.bar = percent(p.actual as f64, p.target);
    c.bar_pace = percent(p.pace, p.target);
    let line = match o.period {
        Period::Campaign => format!(
            "Pace: where the {label} would be by the end of today on a straight line from 0 on {} to the target on {}.",
            p.from, p.to
        ),
        Period::PerWeek => format!(
            "Per week: the target holds for every week (Monday to Sunday; a part week at the start or end gets its share). Pace: {} a day from Monday, where the {label} would be by the end of today.",
            decimal(o.objective.target / 7.0)
        ),
    };
    c.forecast = match p.forecast {
        Some(f) => {
            c.how = format!(
                "{line} Forecast: the average gain per day over the last {} day{} ({} a day, today included) continued to {}.",
                f.over_days,
                if f.over_days == 1 { "" } else { "s" },
                decimal(f.per_day),
                f.end
            );
            decimal(f.at_end)
        }
        None => {
            c.how = format!(
                "{line} No forecast: {}.",
                if p.standing == Standing::NotStarted {
                    "the campaign has not started"
                } else {
                    "the campaign has ended, the count is final"
                }
            );
            "—".into()
        }
    };
    let days: Vec<_> = p.series.iter().map(|x| x.day).collect();
    c.chart_x = day_axis(&days);
    c.chart_actual = values(p.series.iter().map(|x| x.actual));
    c.chart_pace = values(p.series.iter().map(|x| decimal(x.pace)));
    c.weeks = p
        .weeks
        .iter()
        .map(|w| {
            (
                format!(
                    "{} – {}",
                    w.from.strftime("%-d %b"),
                    w.to.strftime("%-d %b %Y")
                ),
                w.actual,
                decimal(w.target),
                if w.actual as f64 >= w.target {
                    "yes"
                } else if w.complete {
                    "no"
                } else {
                    "in progress"
                },
            )
        })
        .collect();
    c
}

#[derive(Template)]
#[template(path = "numbers/campaign.html")]
struct ShowPage {
    shell: Shell,
    tabs: NumbersTabs,
    id: i64,
    name: String,
    state: &'static str,
    starts_on: String,
    ends_on: String,
    on: String,
    last_day: String,
    partial: bool,
    markets: String,
    objectives: Vec<ObjectiveCard>,
    /// Column headings of the table by market (available metrics), then engagement.
    metrics: Vec<String>,
    by_market: Vec<(String, String, Vec<String>, i64)>,
    chart_x: String,
    /// label;label… and the values per series, ;-separated, for numbers.js.
    chart_labels: String,
    chart_ys: String,
    /// ?on=… for the CSV links.
    query: String,
}

fn metric_label(name: &str) -> String {
    let text = name.replace('_', " ");
    let mut c = text.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

async fn show(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(cid): Path<i64>,
    Query(p): Query<Params>,
) -> Result<Response, PageError> {
    let c = numbers::campaign_numbers(&state.app, &id.caller, cid, &p.input()).await?;
    let keep: Vec<usize> = (0..c.metrics.len())
        .filter(|i| c.metrics[*i].available)
        .collect();
    let chart: Vec<_> = c
        .daily
        .iter()
        .filter(|(m, _)| chorus_core::numbers::objective::ENGAGEMENT.contains(m))
        .collect();
    let query = match p.on.as_deref().map(str::trim) {
        Some(on) if !on.is_empty() => {
            let mut q = url::form_urlencoded::Serializer::new(String::new());
            q.append_pair("on", on);
            format!("?{}", q.finish())
        }
        _ => String::new(),
    };
    let page = ShowPage {
        shell: Shell::new(&state, &id, "numbers", c.name.clone()).await?,
        tabs: NumbersTabs {
            active: "campaigns",
        },
        id: c.id,
        state: c.state.as_str(),
        starts_on: c.starts_on.to_string(),
        ends_on: c.ends_on.to_string(),
        on: c.on.to_string(),
        last_day: c.last_day.to_string(),
        partial: c.partial,
        markets: c
            .by_market
            .iter()
            .map(|m| m.code.clone())
            .collect::<Vec<_>>()
            .join(", "),
        objectives: c.objectives.iter().map(card).collect(),
        metrics: keep
            .iter()
            .map(|i| metric_label(c.metrics[*i].metric.name()))
            .collect(),
        by_market: c
            .by_market
            .iter()
            .map(|m| {
                (
                    m.code.clone(),
                    m.name.clone(),
                    keep.iter().map(|i| figure(m.values[*i])).collect(),
                    m.engagement,
                )
            })
            .collect(),
        chart_x: day_axis(&c.days),
        chart_labels: chart
            .iter()
            .map(|(m, _)| metric_label(m.name()))
            .collect::<Vec<_>>()
            .join(";"),
        chart_ys: chart
            .iter()
            .map(|(_, v)| values(v.iter()))
            .collect::<Vec<_>>()
            .join(";"),
        name: c.name,
        query,
    };
    Ok(render(&page))
}

async fn table(
    state: AppState,
    id: crate::auth::Identity,
    cid: i64,
    p: Params,
    table: CampaignTable,
) -> Result<Response, PageError> {
    let file = numbers::campaign_csv(&state.app, &id.caller, cid, &p.input(), table).await?;
    Ok(csv_response(file))
}

async fn objectives_csv(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(cid): Path<i64>,
    Query(p): Query<Params>,
) -> Result<Response, PageError> {
    table(state, id, cid, p, CampaignTable::Objectives).await
}

async fn markets_csv(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(cid): Path<i64>,
    Query(p): Query<Params>,
) -> Result<Response, PageError> {
    table(state, id, cid, p, CampaignTable::Markets).await
}

async fn days_csv(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(cid): Path<i64>,
    Query(p): Query<Params>,
) -> Result<Response, PageError> {
    table(state, id, cid, p, CampaignTable::Days).await
}

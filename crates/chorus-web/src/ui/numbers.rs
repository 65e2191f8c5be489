//! The Numbers overview (`/numbers`): filters (dates, "today" in a zone, market, campaign,
//! principle, network, account), the totals per metric ("not available" shown as such, each
//! with when it was last measured: "measured 12 min ago"), a daily chart of one metric, the
//! table by market and the principle × market scorecard, each table with its CSV
//! (`/api/v1/numbers.csv` with the same filters).
//! Everything comes from `chorus_app::numbers::overview`; the chart's figures are written into
//! the page and drawn by `static/numbers.js` (uPlot), so the page shows what the tables do.
//! `/numbers/report.pdf` is the same report as a designed PDF (`chorus_app::numbers::pdf`),
//! for the same filters and with the same figures; the page links to it.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chorus_app::numbers::{self, Report, ReportFilters};
use chorus_core::numbers::Metric;
use chorus_core::numbers::listening::ConversationFigures;
use serde::Deserialize;

use super::{Shell, render};
use crate::auth::PageUser;
use crate::error::PageError;
use crate::state::AppState;

mod campaign;
mod markets;
mod post;
mod views;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/numbers", get(overview))
        .merge(campaign::routes())
        .merge(post::routes())
        .merge(markets::routes())
        .route("/numbers/report.pdf", get(report_pdf))
}

#[derive(Debug, Default, Deserialize)]
struct Params {
    from: Option<String>,
    to: Option<String>,
    market: Option<String>,
    campaign: Option<String>,
    principle: Option<String>,
    network: Option<String>,
    account: Option<String>,
    /// The zone "today" is read in.
    tz: Option<String>,
    /// The chart's metric.
    metric: Option<String>,
}

impl Params {
    fn filters(&self) -> ReportFilters {
        let s = |v: &Option<String>| v.clone().unwrap_or_default();
        ReportFilters {
            from: s(&self.from),
            to: s(&self.to),
            market: s(&self.market),
            campaign: s(&self.campaign),
            principle: s(&self.principle),
            network: s(&self.network),
            account: s(&self.account),
            tz: s(&self.tz),
            metrics: s(&self.metric),
            ..ReportFilters::default()
        }
    }
}

/// A metric's name as people read it: `first_hour_likes` → "First hour likes".
fn label(name: &str) -> String {
    let text = name.replace('_', " ");
    let mut c = text.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// How long ago `at_ms` was, for people: "just now", "12 min ago", "3 h ago", "5 days ago";
/// `None` when it was never.
fn ago(at_ms: Option<i64>, now_ms: i64) -> Option<String> {
    let minutes = (now_ms - at_ms?).max(0) / 60_000;
    Some(match minutes {
        0 => "just now".to_owned(),
        1..=59 => format!("{minutes} min ago"),
        60..=2879 => format!("{} h ago", minutes / 60),
        _ => format!("{} days ago", minutes / 1440),
    })
}

struct Total {
    name: String,
    value: Option<i64>,
    /// "measured 12 min ago" (with the instant in `measured_at`), or nothing when never.
    measured: Option<String>,
    measured_at: String,
    definition: &'static str,
    /// Where it comes from, or why it is not available, per network.
    notes: Vec<String>,
}

/// The conversation figures as the page shows them.
struct ConversationsView {
    volume: i64,
    positive: String,
    negative: String,
    first_responses: i64,
    mean_first_response: String,
    within_target: String,
}

impl ConversationsView {
    fn of(f: &ConversationFigures) -> ConversationsView {
        let pct = |v: Option<f64>| {
            v.map_or_else(|| "no conversations".to_owned(), |v| format!("{v:.0} %"))
        };
        ConversationsView {
            volume: f.volume,
            positive: pct(f.positive_pct),
            negative: pct(f.negative_pct),
            first_responses: f.first_responses,
            mean_first_response: f.mean_first_response_minutes.map_or_else(
                || "no replies yet".to_owned(),
                |m| {
                    let m = m.round() as i64;
                    if m < 60 {
                        format!("{m} min")
                    } else {
                        format!("{} h {} min", m / 60, m % 60)
                    }
                },
            ),
            within_target: f
                .within_target_pct
                .map_or_else(|| "no replies yet".to_owned(), |v| format!("{v:.0} %")),
        }
    }
}

struct Table {
    /// Column headings after the first (and the market, in a scorecard).
    metrics: Vec<String>,
    /// Market, name, then each figure as shown ("not available" where the grouping does not
    /// carry the metric, e.g. followers by principle).
    rows: Vec<(Option<String>, String, Vec<String>)>,
    csv: String,
}

/// The rows of `r` with the metrics available in it only (the totals say which are not):
/// a column is left out when the metric is not available or no row carries it.
fn table(r: &Report, csv: String) -> Table {
    let keep: Vec<usize> = (0..r.metrics.len())
        .filter(|i| {
            r.metrics[*i].available
                && r.metrics[*i].metric.stands_alone()
                && (r.rows.is_empty() || r.rows.iter().any(|row| row.values[*i].is_some()))
        })
        .collect();
    Table {
        metrics: keep
            .iter()
            .map(|i| label(r.metrics[*i].metric.name()))
            .collect(),
        rows: r
            .rows
            .iter()
            .map(|row| {
                (
                    row.market.clone(),
                    row.label.clone(),
                    keep.iter()
                        .map(|i| {
                            row.values[*i]
                                .map_or_else(|| "not available".to_owned(), |v| v.to_string())
                        })
                        .collect(),
                )
            })
            .collect(),
        csv,
    }
}

#[derive(Template)]
#[template(path = "numbers.html")]
struct OverviewPage {
    shell: Shell,
    tabs: views::NumbersTabs,
    p: Params,
    from: String,
    to: String,
    markets: Vec<(String, String)>,
    campaigns: Vec<(String, String)>,
    principles: Vec<(String, String)>,
    networks: Vec<(&'static str, &'static str)>,
    accounts: Vec<(String, String)>,
    zones: Vec<String>,
    /// The zone "today" was read in.
    tz: String,
    /// "measured 12 min ago" for the whole scope, or nothing when never.
    measured_ago: Option<String>,
    /// (name, label) of the metrics the chart may show.
    chartable: Vec<(String, String)>,
    totals: Vec<Total>,
    chart_metric: String,
    /// Day starts (seconds, UTC midnight) and values, comma separated, for numbers.js.
    chart_x: String,
    chart_y: String,
    by_market: Table,
    scorecard: Option<Table>,
    measured: bool,
    /// Sentiment share and first responses; `None` when the filters leave conversations out.
    conversations: Option<ConversationsView>,
    /// `/numbers/report.pdf` with the page's filters.
    pdf: String,
    /// Demo accounts' generated figures are in the page (`numbers_demo.html` says so).
    demo: bool,
}

/// The report as a PDF file: the same filters, authorization and figures as the page.
async fn report_pdf(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Query(p): Query<Params>,
) -> Result<Response, PageError> {
    let file = numbers::report_pdf(&state.app, &id.caller, &p.filters()).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", file.file_name),
            ),
        ],
        file.bytes,
    )
        .into_response())
}

async fn overview(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Query(p): Query<Params>,
) -> Result<Response, PageError> {
    let filters = p.filters();
    let o = numbers::overview(&state.app, &id.caller, &filters).await?;
    let now = jiff::Timestamp::now().as_millisecond();
    let csv = |group_by: &str| {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("group_by", group_by);
        q.append_pair("from", &o.from.to_string());
        q.append_pair("to", &o.to.to_string());
        for (k, v) in [
            ("market", &filters.market),
            ("campaign", &filters.campaign),
            ("principle", &filters.principle),
            ("network", &filters.network),
            ("account", &filters.account),
            ("tz", &filters.tz),
        ] {
            if !v.trim().is_empty() {
                q.append_pair(k, v.trim());
            }
        }
        format!("/api/v1/numbers.csv?{}", q.finish())
    };
    let (chart_metric, chart_x, chart_y) = match &o.chart {
        Some(c) => (
            label(c.metric.name()),
            c.days
                .iter()
                .map(|d| {
                    d.to_zoned(jiff::tz::TimeZone::UTC)
                        .map(|z| z.timestamp().as_second().to_string())
                        .unwrap_or_default()
                })
                .collect::<Vec<_>>()
                .join(","),
            c.values
                .iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(","),
        ),
        None => (String::new(), String::new(), String::new()),
    };
    let pdf = {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("from", &o.from.to_string());
        q.append_pair("to", &o.to.to_string());
        for (k, v) in [
            ("market", &filters.market),
            ("campaign", &filters.campaign),
            ("principle", &filters.principle),
            ("network", &filters.network),
            ("metric", &filters.metrics),
        ] {
            if !v.trim().is_empty() {
                q.append_pair(k, v.trim());
            }
        }
        format!("/numbers/report.pdf?{}", q.finish())
    };
    let page = OverviewPage {
        pdf,
        shell: Shell::new(&state, &id, "numbers", "Numbers").await?,
        tabs: views::NumbersTabs { active: "overview" },
        from: o.from.to_string(),
        to: o.to.to_string(),
        markets: o.markets.clone(),
        campaigns: o
            .campaigns
            .iter()
            .map(|(id, name)| (id.to_string(), name.clone()))
            .collect(),
        principles: o
            .principles
            .iter()
            .map(|(id, name)| (id.to_string(), name.clone()))
            .collect(),
        networks: o.networks.iter().map(|n| (n.as_str(), n.label())).collect(),
        accounts: o
            .accounts
            .iter()
            .map(|(id, handle)| (id.to_string(), handle.clone()))
            .collect(),
        zones: {
            let mut zones = o.zones.clone();
            if !zones.contains(&o.by_market.tz) {
                zones.push(o.by_market.tz.clone());
            }
            zones
        },
        tz: o.by_market.tz.clone(),
        measured_ago: ago(o.by_market.last_fetched_ms, now),
        chartable: o
            .totals
            .iter()
            .filter(|(m, _)| m.available && m.metric != Metric::FirstResponseMinutes)
            .map(|(m, _)| (m.metric.name().to_owned(), label(m.metric.name())))
            .collect(),
        conversations: o.conversations.as_ref().map(ConversationsView::of),
        totals: o
            .totals
            .iter()
            .filter(|(m, _)| m.metric.stands_alone())
            .map(|(m, v)| Total {
                name: label(m.metric.name()),
                value: *v,
                measured: ago(m.last_measured_ms, now).map(|a| format!("measured {a}")),
                measured_at: m
                    .last_measured_ms
                    .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
                    .map(|t| t.to_string())
                    .unwrap_or_default(),
                definition: m.definition,
                notes: m
                    .sources
                    .iter()
                    .map(|s| match ago(s.last_measured_ms, now) {
                        Some(a) => format!("{}: {} (measured {a})", s.network, s.note),
                        None => format!("{}: {}", s.network, s.note),
                    })
                    .collect(),
            })
            .collect(),
        chart_metric,
        chart_x,
        chart_y,
        by_market: table(&o.by_market, csv("market")),
        scorecard: o
            .by_principle
            .as_ref()
            .map(|r| table(r, csv("principle,market"))),
        measured: o.measured,
        demo: o.by_market.demo,
        p,
    };
    Ok(render(&page))
}

#[cfg(test)]
mod tests {
    use super::ago;

    #[test]
    fn ago_says_how_long_for_people() {
        let now = 1_000_000_000_000;
        let min = 60_000;
        for (at, want) in [
            (None, None),
            (Some(now), Some("just now")),
            (Some(now + 5 * min), Some("just now")),
            (Some(now - 59_999), Some("just now")),
            (Some(now - 12 * min), Some("12 min ago")),
            (Some(now - 59 * min), Some("59 min ago")),
            (Some(now - 60 * min), Some("1 h ago")),
            (Some(now - 47 * 60 * min), Some("47 h ago")),
            (Some(now - 48 * 60 * min), Some("2 days ago")),
        ] {
            assert_eq!(ago(at, now).as_deref(), want, "{at:?}");
        }
    }
}

//! `/numbers/posts` (the top posts of a range) and `/numbers/posts/{variant_id}` (one
//! published post: its snapshot curve, first-hour likes, clicks where counted, and the story
//! it belongs to), each table with its CSV. Everything comes from
//! `chorus_app::numbers::{top_posts, post_numbers}`.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use chorus_app::numbers::{self, CURVE_METRICS, ReportFilters, decimal};
use serde::Deserialize;

use super::views::{NumbersTabs, csv_response, figure, values};
use crate::auth::PageUser;
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::{Shell, render};

/// How many posts the top posts list.
const TOP: usize = 25;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/numbers/posts", get(top))
        .route("/numbers/posts.csv", get(top_csv))
        .route("/numbers/posts/{id}", get(show))
        .route("/numbers/posts/{id}/snapshots.csv", get(snapshots_csv))
}

#[derive(Debug, Default, Deserialize)]
struct RangeParams {
    from: Option<String>,
    to: Option<String>,
    market: Option<String>,
}

impl RangeParams {
    fn filters(&self) -> ReportFilters {
        let s = |v: &Option<String>| v.clone().unwrap_or_default();
        ReportFilters {
            from: s(&self.from),
            to: s(&self.to),
            market: s(&self.market),
            ..ReportFilters::default()
        }
    }

    /// The same filters as a query string, for the CSV link.
    fn query(&self, from: &str, to: &str) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("from", from);
        q.append_pair("to", to);
        if let Some(m) = self
            .market
            .as_deref()
            .map(str::trim)
            .filter(|m| !m.is_empty())
        {
            q.append_pair("market", m);
        }
        q.finish()
    }
}

struct TopRow {
    id: i64,
    title: String,
    market: String,
    handle: String,
    values: [i64; 4],
    engagement: i64,
}

#[derive(Template)]
#[template(path = "numbers/posts.html")]
struct TopPage {
    shell: Shell,
    tabs: NumbersTabs,
    from: String,
    to: String,
    market: String,
    markets: Vec<(String, String)>,
    rows: Vec<TopRow>,
    csv: String,
}

async fn top(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Query(p): Query<RangeParams>,
) -> Result<Response, PageError> {
    let t = numbers::top_posts(&state.app, &id.caller, &p.filters(), TOP).await?;
    let markets = numbers::readable_markets(&state.app, &id.caller).await?;
    let (from, to) = (t.from.to_string(), t.to.to_string());
    Ok(render(&TopPage {
        shell: Shell::new(&state, &id, "numbers", "Numbers").await?,
        tabs: NumbersTabs { active: "posts" },
        csv: format!("/numbers/posts.csv?{}", p.query(&from, &to)),
        from,
        to,
        market: p.market.clone().unwrap_or_default(),
        markets,
        rows: t
            .rows
            .into_iter()
            .map(|r| TopRow {
                id: r.variant_id,
                title: r.title,
                market: r.market,
                handle: r.handle,
                values: r.values,
                engagement: r.engagement,
            })
            .collect(),
    }))
}

async fn top_csv(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Query(p): Query<RangeParams>,
) -> Result<Response, PageError> {
    let file = numbers::top_posts_csv(&state.app, &id.caller, &p.filters(), TOP).await?;
    Ok(csv_response(file))
}

struct Point {
    at: String,
    hours: String,
    counts: Vec<String>,
}

#[derive(Template)]
#[template(path = "numbers/post.html")]
struct PostPage {
    shell: Shell,
    tabs: NumbersTabs,
    p: numbers::PostNumbers,
    /// The network as people name it ("Bluesky").
    network: String,
    metrics: Vec<(String, &'static str)>,
    latest: Vec<String>,
    first_hour_likes: String,
    clicks: String,
    clicks_note: String,
    points: Vec<Point>,
    chart_x: String,
    chart_labels: String,
    chart_ys: String,
}

async fn show(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(vid): Path<i64>,
) -> Result<Response, PageError> {
    let p = numbers::post_numbers(&state.app, &id.caller, vid).await?;
    let label = |name: &str| {
        let mut c = name.chars();
        c.next()
            .map(|f| f.to_uppercase().chain(c).collect::<String>())
            .unwrap_or_default()
    };
    // The chart draws each count where it was reported; a count never reported draws no line.
    let drawn: Vec<_> = CURVE_METRICS
        .iter()
        .filter(|m| p.curve.iter().any(|pt| pt.counts.get(**m).is_some()))
        .collect();
    let page = PostPage {
        shell: Shell::new(&state, &id, "numbers", format!("Post on @{}", p.handle)).await?,
        tabs: NumbersTabs { active: "posts" },
        network: chorus_core::stories::limits::Network::parse(&p.network)
            .map_or_else(|_| p.network.clone(), |n| n.label().to_owned()),
        metrics: p
            .metrics
            .iter()
            .map(|m| (label(m.metric.name()), m.definition))
            .collect(),
        latest: CURVE_METRICS
            .iter()
            .map(|m| figure(p.latest.get(*m)))
            .collect(),
        first_hour_likes: p
            .first_hour_likes
            .map_or_else(|| "not measured".to_owned(), |v| v.to_string()),
        clicks: figure(p.clicks),
        clicks_note: p
            .clicks_info
            .sources
            .iter()
            .map(|s| s.note)
            .collect::<Vec<_>>()
            .join("; "),
        points: p
            .curve
            .iter()
            .map(|pt| Point {
                at: pt.at_local.clone(),
                hours: decimal(pt.hours),
                counts: CURVE_METRICS
                    .iter()
                    .map(|m| figure(pt.counts.get(*m)))
                    .collect(),
            })
            .collect(),
        chart_x: values(p.curve.iter().map(|pt| decimal(pt.hours))),
        chart_labels: drawn
            .iter()
            .map(|m| label(m.name()))
            .collect::<Vec<_>>()
            .join(";"),
        chart_ys: drawn
            .iter()
            .map(|m| {
                values(p.curve.iter().map(|pt| {
                    pt.counts
                        .get(**m)
                        .map_or_else(|| "null".to_owned(), |v| v.to_string())
                }))
            })
            .collect::<Vec<_>>()
            .join(";"),
        p,
    };
    Ok(render(&page))
}

async fn snapshots_csv(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(vid): Path<i64>,
) -> Result<Response, PageError> {
    Ok(csv_response(
        numbers::post_csv(&state.app, &id.caller, vid).await?,
    ))
}

//! `/numbers/markets`: the market league table — engagement per 1,000 followers over a range,
//! ranked, "not available" for a market without a follower figure — and its CSV. Everything
//! comes from `chorus_app::numbers::league`.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use chorus_app::numbers::{self, ReportFilters, decimal};
use chorus_core::stories::limits::Network;
use serde::Deserialize;

use super::views::{NumbersTabs, csv_response, figure};
use crate::auth::PageUser;
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::{Shell, render};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/numbers/markets", get(show))
        .route("/numbers/markets.csv", get(csv))
}

#[derive(Debug, Default, Deserialize)]
struct Params {
    from: Option<String>,
    to: Option<String>,
    network: Option<String>,
}

impl Params {
    fn filters(&self) -> ReportFilters {
        let s = |v: &Option<String>| v.clone().unwrap_or_default();
        ReportFilters {
            from: s(&self.from),
            to: s(&self.to),
            network: s(&self.network),
            ..ReportFilters::default()
        }
    }
}

struct Row {
    rank: String,
    code: String,
    name: String,
    engagement: i64,
    followers: String,
    rate: String,
}

#[derive(Template)]
#[template(path = "numbers/markets.html")]
struct Page {
    shell: Shell,
    tabs: NumbersTabs,
    p: Params,
    from: String,
    to: String,
    networks: Vec<(&'static str, &'static str)>,
    rows: Vec<Row>,
    csv: String,
}

async fn show(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Query(p): Query<Params>,
) -> Result<Response, PageError> {
    let l = numbers::league(&state.app, &id.caller, &p.filters()).await?;
    let (from, to) = (l.from.to_string(), l.to.to_string());
    let csv = {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("from", &from);
        q.append_pair("to", &to);
        if let Some(n) = p
            .network
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            q.append_pair("network", n);
        }
        format!("/numbers/markets.csv?{}", q.finish())
    };
    Ok(render(&Page {
        shell: Shell::new(&state, &id, "numbers", "Numbers").await?,
        tabs: NumbersTabs { active: "markets" },
        csv,
        from,
        to,
        networks: Network::ALL
            .iter()
            .map(|n| (n.as_str(), n.label()))
            .collect(),
        rows: l
            .rows
            .into_iter()
            .map(|r| Row {
                rank: r.rank.map(|n| n.to_string()).unwrap_or_else(|| "–".into()),
                code: r.code,
                name: r.name,
                engagement: r.engagement,
                followers: figure(r.followers),
                rate: r
                    .per_thousand
                    .map_or_else(|| "not available".to_owned(), decimal),
            })
            .collect(),
        p,
    }))
}

async fn csv(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Query(p): Query<Params>,
) -> Result<Response, PageError> {
    Ok(csv_response(
        numbers::league_csv(&state.app, &id.caller, &p.filters()).await?,
    ))
}

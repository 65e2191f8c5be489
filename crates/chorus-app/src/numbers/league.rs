//! Two rankings for the Numbers pages: the market league table (engagement per 1,000
//! followers, so a large market does not win by size) and the top posts of a range.
//!
//! The contract:
//!
//! - Engagement is likes + reposts + replies + quotes gained in the range, the same figures as
//!   the overview's table by market (both come from [`report`]).
//! - A market's followers are its accounts' latest follower counts as of the range's last day:
//!   the sum of the follower rollups up to that day (every gain since the first measurement
//!   adds up to the latest count). A market with no follower measurement has no figure — "not
//!   available", never 0 — and so no rate; it is listed after the ranked markets, unranked.
//! - Only the markets the caller reads numbers of are listed (one market when filtered); a
//!   market they may not read is `NotFound`.

use std::collections::BTreeMap;

use chorus_core::MarketId;
use chorus_core::numbers::objective::ENGAGEMENT;
use chorus_core::numbers::{Dimension, Grain, Metric};
use chorus_store::RollupQuery;
use jiff::ToSpan;
use jiff::civil::Date;

use super::{ReportFilters, report};
use crate::{App, Caller, Result};

/// (code, name) of the markets the caller reads numbers of, for the pages' market filters.
pub async fn readable_markets(app: &App, caller: &Caller) -> Result<Vec<(String, String)>> {
    let (markets, _) = super::readable(app, caller).await?;
    Ok(markets
        .into_iter()
        .map(|m| (m.code.to_string(), m.name))
        .collect())
}

/// One market of the league table.
#[derive(Debug, Clone, PartialEq)]
pub struct LeagueRow {
    /// 1 for the best rate; `None` for a market without a follower figure.
    pub rank: Option<usize>,
    pub code: String,
    pub name: String,
    /// Likes + reposts + replies + quotes gained in the range.
    pub engagement: i64,
    /// The accounts' followers on the range's last day; `None`: never measured.
    pub followers: Option<i64>,
    /// Engagement per 1,000 followers; `None` without a follower figure above 0.
    pub per_thousand: Option<f64>,
}

/// The league table over a range of days.
#[derive(Debug, Clone, PartialEq)]
pub struct League {
    pub from: Date,
    pub to: Date,
    pub rows: Vec<LeagueRow>,
}

/// The filters a ranking takes from a report's: the range, a market and a network.
fn ranking_filters(f: &ReportFilters, group_by: &str) -> ReportFilters {
    ReportFilters {
        group_by: group_by.into(),
        metrics: ENGAGEMENT
            .iter()
            .map(|m| m.name())
            .collect::<Vec<_>>()
            .join(","),
        from: f.from.clone(),
        to: f.to.clone(),
        market: f.market.clone(),
        network: f.network.clone(),
        ..ReportFilters::default()
    }
}

/// The markets the caller reads, ranked by engagement per 1,000 followers over the range.
pub async fn league(app: &App, caller: &Caller, filters: &ReportFilters) -> Result<League> {
    let r = report(app, caller, &ranking_filters(filters, "market")).await?;
    let markets = app.store.markets().await?;
    let ids: Vec<MarketId> = markets
        .iter()
        .filter(|m| r.rows.iter().any(|row| row.subject == m.code.as_str()))
        .map(|m| m.id)
        .collect();

    // Followers as of the last day: every gain up to it, per market (through the network's
    // rollups, per market, when filtered by network).
    let network = filters.network.trim();
    let (dimension, subjects) = if network.is_empty() {
        (Dimension::Market, None)
    } else {
        (Dimension::Network, Some(vec![network.to_owned()]))
    };
    let query = RollupQuery {
        dimension,
        by_market: true,
        // Days: a range ends on a day, and a month's bucket would take the whole month.
        grain: Grain::Day,
        by_bucket: false,
        metrics: vec![Metric::Followers],
        from: None,
        to: r.to.checked_add(1.day()).ok(),
        markets: Some(ids),
        subjects,
    };
    let mut followers: BTreeMap<MarketId, i64> = BTreeMap::new();
    for row in app.store.rollups(&query).await? {
        if let Some(m) = row.market_id {
            *followers.entry(m).or_default() += row.value;
        }
    }

    let mut rows: Vec<LeagueRow> = r
        .rows
        .iter()
        .filter_map(|row| {
            let m = markets.iter().find(|m| m.code.as_str() == row.subject)?;
            let engagement = row.values.iter().flatten().sum();
            let followers = followers.get(&m.id).copied();
            Some(LeagueRow {
                rank: None,
                code: row.subject.clone(),
                name: m.name.clone(),
                engagement,
                followers,
                per_thousand: followers
                    .filter(|f| *f > 0)
                    .map(|f| engagement as f64 * 1000.0 / f as f64),
            })
        })
        .collect();
    rows.sort_by(|a, b| match (a.per_thousand, b.per_thousand) {
        (Some(x), Some(y)) => y.total_cmp(&x).then_with(|| a.code.cmp(&b.code)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.code.cmp(&b.code),
    });
    for (i, row) in rows.iter_mut().enumerate() {
        if row.per_thousand.is_some() {
            row.rank = Some(i + 1);
        }
    }
    Ok(League {
        from: r.from,
        to: r.to,
        rows,
    })
}

/// One post of the top posts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopPost {
    pub variant_id: i64,
    pub story_id: i64,
    pub title: String,
    pub market: String,
    pub handle: String,
    /// Likes, reposts, replies, quotes gained in the range.
    pub values: [i64; 4],
    pub engagement: i64,
}

/// The most engaging posts of a range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopPosts {
    pub from: Date,
    pub to: Date,
    pub rows: Vec<TopPost>,
}

/// At most `limit` posts of the caller's markets with the most engagement gained in the range
/// (ties by the newer post first).
pub async fn top_posts(
    app: &App,
    caller: &Caller,
    filters: &ReportFilters,
    limit: usize,
) -> Result<TopPosts> {
    // The rollups hold one dimension at a time: posts are not filtered by network.
    let filters = ReportFilters {
        network: String::new(),
        ..filters.clone()
    };
    let r = report(app, caller, &ranking_filters(&filters, "post,market")).await?;
    let mut ranked: Vec<(i64, i64, [i64; 4], String)> = r
        .rows
        .iter()
        .filter_map(|row| {
            let id = row.subject.parse::<i64>().ok()?;
            let mut values = [0i64; 4];
            for (v, x) in values.iter_mut().zip(&row.values) {
                *v = x.unwrap_or(0);
            }
            Some((
                values.iter().sum(),
                id,
                values,
                row.market.clone().unwrap_or_default(),
            ))
        })
        .collect();
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
    ranked.truncate(limit);
    let accounts = app.store.accounts(None).await?;
    let mut rows = Vec::with_capacity(ranked.len());
    for (engagement, id, values, market) in ranked {
        let Ok(v) = app.store.variant(id).await else {
            continue;
        };
        let story = app.store.story(v.story_id).await?;
        let handle = accounts
            .iter()
            .find(|a| a.id == v.account_id)
            .map(|a| a.handle.clone())
            .unwrap_or_default();
        rows.push(TopPost {
            variant_id: id,
            story_id: story.id,
            title: story.title,
            market,
            handle,
            values,
            engagement,
        });
    }
    Ok(TopPosts {
        from: r.from,
        to: r.to,
        rows,
    })
}

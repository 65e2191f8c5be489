//! The Numbers overview page in one call: the totals per metric over the caller's markets, a
//! daily series of one metric for the chart, the table by market and the principle × market
//! scorecard, and the choices of its filters. The filters are validated once (the plan of
//! [`report`](super::report)); one rollup read by market and day gives the totals, the table
//! and the chart, and one more the scorecard — the same plan and assembly as the API and the
//! CSV, so the page shows their figures for the same filters.

use chorus_core::numbers::Metric;
use chorus_core::numbers::listening::ConversationFigures;
use chorus_core::stories::limits::Network;
use jiff::ToSpan;
use jiff::civil::Date;

use chorus_core::numbers::Dimension;

use super::{Fetched, MetricInfo, Report, ReportFilters, plan, readable};
use crate::{App, Caller, Result};

/// A daily series of one metric over the range, every day present (0 where nothing changed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chart {
    pub metric: Metric,
    pub days: Vec<Date>,
    pub values: Vec<i64>,
}

/// What the overview shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Overview {
    pub from: Date,
    pub to: Date,
    /// (code, name) of the markets the caller reads, for the market filter.
    pub markets: Vec<(String, String)>,
    /// (id, name) of the campaigns running in those markets.
    pub campaigns: Vec<(i64, String)>,
    /// (id, "number. title") of the playbook's principles.
    pub principles: Vec<(i64, String)>,
    /// (id, "@handle") of the accounts in those markets.
    pub accounts: Vec<(i64, String)>,
    /// Zones "today" may be read in: UTC and those of the caller's markets.
    pub zones: Vec<String>,
    pub networks: Vec<Network>,
    /// Each metric with its total over the range (`None`: not available).
    pub totals: Vec<(MetricInfo, Option<i64>)>,
    /// The chart's metric by day; `None` when that metric is not available here.
    pub chart: Option<Chart>,
    pub by_market: Report,
    /// Principle × market; `None` when filtered by campaign, account or network (the rollups
    /// hold one dimension at a time).
    pub by_principle: Option<Report>,
    /// Whether anything was measured in the range (the page's empty state otherwise).
    pub measured: bool,
    /// Sentiment share and first responses from the conversation metrics' totals; `None` when
    /// conversation volume is not in the report (filtered by campaign, principle or account).
    pub conversations: Option<ConversationFigures>,
}

/// The overview for `filters` (its `group_by` and `series` are ignored; `metrics` names the
/// chart's metric, likes by default).
pub async fn overview(app: &App, caller: &Caller, filters: &ReportFilters) -> Result<Overview> {
    let chart_metric = match filters.metrics.trim() {
        "" => Metric::Likes,
        raw => Metric::parse(raw).map_err(|e| crate::Error::invalid("metrics", e.message))?,
    };
    let base = ReportFilters {
        group_by: "market".into(),
        metrics: String::new(),
        series: String::new(),
        grain: "day".into(),
        ..filters.clone()
    };
    // One plan: the totals and the table read from whole months and weeks where they fit, the
    // chart's one metric by day (the rest of every day is never drawn).
    let daily = plan(app, caller, &base).await?;
    let mut fetched = Fetched::read(app, &daily).await?;
    let by_market = fetched.report(&daily, false);
    let mut chart_plan = daily.clone();
    chart_plan.query.by_bucket = true;
    chart_plan.query.metrics = vec![chart_metric];
    fetched.raw = app.store.rollups(&chart_plan.query).await?;
    let series = fetched.report(&chart_plan, true);
    let totals: Vec<(MetricInfo, Option<i64>)> = by_market
        .metrics
        .iter()
        .enumerate()
        .map(|(i, info)| {
            let figures: Vec<i64> = by_market.rows.iter().filter_map(|r| r.values[i]).collect();
            let total = (info.available && !figures.is_empty()).then(|| figures.iter().sum());
            (info.clone(), total)
        })
        .collect();
    let conversations = ConversationFigures::from_totals(|metric| {
        totals
            .iter()
            .find(|(info, _)| info.metric == metric)
            .and_then(|(_, v)| *v)
    });
    let measured = by_market
        .rows
        .iter()
        .any(|r| r.values.iter().any(|v| v.is_some_and(|v| v != 0)));

    let i = series.metrics.iter().position(|m| m.metric == chart_metric);
    let chart = i.filter(|i| series.metrics[*i].available).map(|i| {
        let mut days = Vec::new();
        let mut d = series.from;
        while d <= series.to {
            days.push(d);
            match d.checked_add(1.day()) {
                Ok(next) => d = next,
                Err(_) => break,
            }
        }
        let mut values = vec![0i64; days.len()];
        for row in &series.rows {
            if let (Some(b), Some(v)) = (row.bucket, row.values[i])
                && let Ok(at) = days.binary_search(&b)
            {
                values[at] += v;
            }
        }
        Chart {
            metric: chart_metric,
            days,
            values,
        }
    });

    // The scorecard: the same plan by principle and market (narrowed to a principle if asked).
    let by_principle = match daily.filter {
        None | Some(Dimension::Principle) => {
            let mut card = daily.clone();
            card.query.dimension = Dimension::Principle;
            card.query.by_market = true;
            card.query.by_bucket = false;
            card.group_by = Dimension::Principle;
            card.by_market = true;
            Some(Fetched::read(app, &card).await?.report(&card, false))
        }
        Some(_) => None,
    };

    let (markets, everywhere) = readable(app, caller).await?;
    let ids: Vec<_> = markets.iter().map(|m| m.id).collect();
    let campaigns = app
        .store
        .campaigns()
        .await?
        .into_iter()
        .filter(|c| everywhere || c.markets.iter().any(|m| ids.contains(m)))
        .map(|c| (c.id, c.name))
        .collect();
    let principles = app
        .store
        .principles()
        .await?
        .into_iter()
        .map(|p| (p.id.0, format!("{}. {}", p.number, p.title)))
        .collect();
    let mut zones: Vec<String> = markets
        .iter()
        .map(|m| m.timezone.as_str().to_owned())
        .collect();
    zones.push("UTC".to_owned());
    zones.sort();
    zones.dedup();
    let accounts = app
        .store
        .accounts(None)
        .await?
        .into_iter()
        .filter(|a| ids.contains(&a.market_id))
        .map(|a| (a.id, format!("@{}", a.handle)))
        .collect();
    Ok(Overview {
        from: by_market.from,
        to: by_market.to,
        markets: markets
            .into_iter()
            .map(|m| (m.code.to_string(), m.name))
            .collect(),
        campaigns,
        principles,
        accounts,
        zones,
        networks: Network::ALL.to_vec(),
        totals,
        chart,
        by_principle,
        by_market,
        measured,
        conversations,
    })
}

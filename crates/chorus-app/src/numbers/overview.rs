//! The Numbers overview page in one call: the totals per metric over the caller's markets, a
//! daily series of one metric for the chart, the table by market and the principle × market
//! scorecard, and the choices of its filters — all through [`report`], so the page shows the
//! same figures as the API and the CSV for the same filters.

use chorus_core::numbers::Metric;
use chorus_core::stories::limits::Network;
use jiff::ToSpan;
use jiff::civil::Date;

use super::{MetricInfo, Report, ReportFilters, readable, report};
use crate::{App, Caller, Result};

/// A daily series of one metric over the range, every day present (0 where nothing changed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chart {
    pub metric: Metric,
    pub days: Vec<Date>,
    pub values: Vec<i64>,
}

/// What the overview shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overview {
    pub from: Date,
    pub to: Date,
    /// (code, name) of the markets the caller reads, for the market filter.
    pub markets: Vec<(String, String)>,
    /// (id, name) of the campaigns running in those markets.
    pub campaigns: Vec<(i64, String)>,
    /// (id, "number. title") of the playbook's principles.
    pub principles: Vec<(i64, String)>,
    pub networks: Vec<Network>,
    /// Each metric with its total over the range (`None`: not available).
    pub totals: Vec<(MetricInfo, Option<i64>)>,
    /// The chart's metric by day; `None` when that metric is not available here.
    pub chart: Option<Chart>,
    pub by_market: Report,
    /// Principle × market; `None` when filtered by campaign or network (the rollups hold one
    /// dimension at a time).
    pub by_principle: Option<Report>,
    /// Whether anything was measured in the range (the page's empty state otherwise).
    pub measured: bool,
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
        ..filters.clone()
    };
    let by_market = report(app, caller, &base).await?;
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
    let measured = by_market
        .rows
        .iter()
        .any(|r| r.values.iter().any(|v| v.is_some_and(|v| v != 0)));

    let series = report(
        app,
        caller,
        &ReportFilters {
            metrics: chart_metric.name().into(),
            series: "true".into(),
            grain: "day".into(),
            ..base.clone()
        },
    )
    .await?;
    let chart = series.metrics[0].available.then(|| {
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
            if let (Some(b), Some(v)) = (row.bucket, row.values[0])
                && let Ok(i) = days.binary_search(&b)
            {
                values[i] += v;
            }
        }
        Chart {
            metric: chart_metric,
            days,
            values,
        }
    });

    let by_principle = if filters.campaign.trim().is_empty() && filters.network.trim().is_empty() {
        Some(
            report(
                app,
                caller,
                &ReportFilters {
                    group_by: "principle,market".into(),
                    ..base.clone()
                },
            )
            .await?,
        )
    } else {
        None
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
    Ok(Overview {
        from: by_market.from,
        to: by_market.to,
        markets: markets
            .into_iter()
            .map(|m| (m.code.to_string(), m.name))
            .collect(),
        campaigns,
        principles,
        networks: Network::ALL.to_vec(),
        totals,
        chart,
        by_principle,
        by_market,
        measured,
    })
}

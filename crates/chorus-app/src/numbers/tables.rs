//! The CSV files of the campaign, post, league and top-posts tables: the same rows and figures
//! as their pages, "not available" written out (never 0), every cell guarded against formula
//! injection like the report's CSV.

use super::ReportFilters;
use super::campaign::{CampaignNumbers, CampaignNumbersInput, Outcome, campaign_numbers};
use super::csv::NOT_AVAILABLE;
use super::league::{league, top_posts};
use super::post::{CURVE_METRICS, post_numbers};
use crate::stories::export::{Export, guard};
use crate::{App, Caller, Error, Result};

/// Writes `header` and `rows`, each cell guarded.
fn write(header: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>> {
    let internal = |e: csv::Error| Error::Internal(e.to_string());
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).map_err(internal)?;
    for row in rows {
        w.write_record(row.iter().map(|c| guard(c)))
            .map_err(internal)?;
    }
    w.into_inner().map_err(|e| Error::Internal(e.to_string()))
}

fn figure(v: Option<i64>) -> String {
    v.map_or_else(|| NOT_AVAILABLE.to_owned(), |v| v.to_string())
}

/// A figure with at most one decimal ("12", "12.5").
pub fn decimal(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

/// Which of the campaign page's tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CampaignTable {
    Objectives,
    Markets,
    Days,
}

/// One of a campaign page's tables as CSV.
pub async fn campaign_csv(
    app: &App,
    caller: &Caller,
    id: i64,
    input: &CampaignNumbersInput,
    table: CampaignTable,
) -> Result<Export> {
    let c = campaign_numbers(app, caller, id, input).await?;
    let (name, bytes) = match table {
        CampaignTable::Objectives => ("objectives", objectives_csv(&c)?),
        CampaignTable::Markets => ("markets", markets_csv(&c)?),
        CampaignTable::Days => ("days", days_csv(&c)?),
    };
    Ok(Export {
        file_name: format!("chorus-campaign-{}-{name}-{}.csv", c.id, c.on),
        bytes,
    })
}

fn objectives_csv(c: &CampaignNumbers) -> Result<Vec<u8>> {
    let rows: Vec<Vec<String>> = c
        .objectives
        .iter()
        .map(|o| {
            let mut row = vec![
                o.objective.metric.clone(),
                o.measured.describe(),
                decimal(o.objective.target),
                o.objective.period.clone(),
            ];
            match &o.outcome {
                Outcome::Measured(p) => {
                    row.extend([
                        p.from.to_string(),
                        p.to.to_string(),
                        decimal(p.target),
                        p.actual.to_string(),
                        decimal(p.pace),
                        p.forecast.map_or_else(String::new, |f| decimal(f.at_end)),
                        p.standing.label().to_owned(),
                    ]);
                }
                Outcome::NotMeasured => row.extend(not_measured("not measured")),
                Outcome::NotAvailable { .. } => row.extend(not_measured(NOT_AVAILABLE)),
                Outcome::NoTarget => row.extend(not_measured("no target")),
            }
            row
        })
        .collect();
    write(
        &[
            "objective",
            "counted as",
            "target",
            "period",
            "from",
            "to",
            "target in window",
            "actual",
            "pace",
            "forecast",
            "standing",
        ],
        &rows,
    )
}

/// The progress columns of an objective without progress: no window, the reason in each
/// figure and as its standing (never a 0).
fn not_measured(why: &str) -> Vec<String> {
    let mut cells = vec![String::new(), String::new()];
    cells.extend(std::iter::repeat_n(why.to_owned(), 5));
    cells
}

fn markets_csv(c: &CampaignNumbers) -> Result<Vec<u8>> {
    let mut header = vec!["market", "name"];
    header.extend(c.metrics.iter().map(|m| m.metric.name()));
    header.push("engagement");
    let rows: Vec<Vec<String>> = c
        .by_market
        .iter()
        .map(|m| {
            let mut row = vec![m.code.clone(), m.name.clone()];
            row.extend(m.values.iter().map(|v| figure(*v)));
            row.push(m.engagement.to_string());
            row
        })
        .collect();
    write(&header, &rows)
}

fn days_csv(c: &CampaignNumbers) -> Result<Vec<u8>> {
    let mut header = vec!["day"];
    header.extend(c.daily.iter().map(|(m, _)| m.name()));
    let rows: Vec<Vec<String>> = c
        .days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let mut row = vec![d.to_string()];
            row.extend(c.daily.iter().map(|(_, v)| v[i].to_string()));
            row
        })
        .collect();
    write(&header, &rows)
}

/// A post's snapshot curve as CSV: one row per measurement, counts as reported.
pub async fn post_csv(app: &App, caller: &Caller, variant_id: i64) -> Result<Export> {
    let p = post_numbers(app, caller, variant_id).await?;
    let mut header = vec!["measured at", "hours since publication"];
    header.extend(CURVE_METRICS.iter().map(|m| m.name()));
    header.push("first_hour_likes");
    let rows: Vec<Vec<String>> = p
        .curve
        .iter()
        .map(|pt| {
            let mut row = vec![pt.at_local.clone(), decimal(pt.hours)];
            row.extend(CURVE_METRICS.iter().map(|m| figure(pt.counts.get(*m))));
            row.push(figure(pt.counts.first_hour_likes));
            row
        })
        .collect();
    Ok(Export {
        file_name: format!("chorus-post-{}.csv", p.variant_id),
        bytes: write(&header, &rows)?,
    })
}

/// The league table as CSV.
pub async fn league_csv(app: &App, caller: &Caller, filters: &ReportFilters) -> Result<Export> {
    let l = league(app, caller, filters).await?;
    let rows: Vec<Vec<String>> = l
        .rows
        .iter()
        .map(|r| {
            vec![
                r.rank.map(|n| n.to_string()).unwrap_or_default(),
                r.code.clone(),
                r.name.clone(),
                r.engagement.to_string(),
                figure(r.followers),
                r.per_thousand
                    .map_or_else(|| NOT_AVAILABLE.to_owned(), decimal),
            ]
        })
        .collect();
    Ok(Export {
        file_name: format!("chorus-markets-{}-{}.csv", l.from, l.to),
        bytes: write(
            &[
                "rank",
                "market",
                "name",
                "engagement",
                "followers",
                "engagement per 1000 followers",
            ],
            &rows,
        )?,
    })
}

/// The top posts as CSV.
pub async fn top_posts_csv(
    app: &App,
    caller: &Caller,
    filters: &ReportFilters,
    limit: usize,
) -> Result<Export> {
    let t = top_posts(app, caller, filters, limit).await?;
    let rows: Vec<Vec<String>> = t
        .rows
        .iter()
        .map(|p| {
            let mut row = vec![
                p.variant_id.to_string(),
                p.market.clone(),
                p.title.clone(),
                p.handle.clone(),
            ];
            row.extend(p.values.iter().map(|v| v.to_string()));
            row.push(p.engagement.to_string());
            row
        })
        .collect();
    Ok(Export {
        file_name: format!("chorus-top-posts-{}-{}.csv", t.from, t.to),
        bytes: write(
            &[
                "post",
                "market",
                "story",
                "account",
                "likes",
                "reposts",
                "replies",
                "quotes",
                "engagement",
            ],
            &rows,
        )?,
    })
}

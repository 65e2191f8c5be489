//! A campaign's numbers: each objective's progress against its target with a pace line and a
//! forecast, the campaign's figures by market, and a daily series — for the campaign's Numbers
//! page and, later, its PDF report.
//!
//! The contract:
//!
//! - Who reads is [`Action::ReadNumbers`](chorus_core::Action::ReadNumbers) (Forbidden for
//!   someone who reads numbers nowhere); a campaign none of whose markets the caller reads is
//!   `NotFound`. A campaign that also runs in other markets shows the caller's markets only,
//!   and says so ([`CampaignNumbers::partial`]).
//! - Figures are read from the rollups only: the campaign's own rollups for what its posts
//!   gained, the market rollups of its markets for what belongs to accounts or listening
//!   (followers, conversation volume), from the campaign's first day to its last or to the day
//!   asked for, whichever is earlier. Days are the markets' own.
//! - An objective's text is mapped by `chorus_core::numbers::objective::measure_of`; one Chorus
//!   does not measure is [`Outcome::NotMeasured`], one it measures but cannot read here (not
//!   counted on these networks, or not in the rollups yet) [`Outcome::NotAvailable`] — **never
//!   0 progress**. The math is `chorus_core::numbers::progress`.

use std::collections::BTreeMap;

use chorus_core::MarketId;
use chorus_core::numbers::objective::{Measure, Measured, Period, measure_of};
use chorus_core::numbers::progress::{self, Plan, Progress};
use chorus_core::numbers::{Dimension, Grain, Metric, Subject};
use chorus_core::stories::limits::Network;
use chorus_core::stories::{CampaignState, Objective};
use chorus_store::RollupQuery;
use jiff::ToSpan;
use jiff::civil::Date;

use super::{MetricInfo, metric_info, readable};
use crate::{App, Caller, Error, Result};

/// What the campaign page asks, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CampaignNumbersInput {
    /// The day to measure as of (YYYY-MM-DD); default today (UTC).
    pub on: String,
}

/// The metrics the campaign page shows per market and per day, in this order.
pub const CAMPAIGN_METRICS: [Metric; 7] = [
    Metric::Likes,
    Metric::Reposts,
    Metric::Replies,
    Metric::Quotes,
    Metric::Clicks,
    Metric::Followers,
    Metric::ConversationVolume,
];

/// What an objective's progress is, or why there is none.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Measured(Progress),
    /// Chorus counts nothing the objective's text names ("share of voice").
    NotMeasured,
    /// Chorus counts it, but not here: `why` (e.g. not in the rollups yet).
    NotAvailable {
        why: String,
    },
    /// The target is not above zero: no progress can be measured against it.
    NoTarget,
}

/// One objective as the page (and the PDF) shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectiveView {
    /// The objective as written.
    pub objective: Objective,
    pub measured: Measured,
    pub period: Period,
    pub outcome: Outcome,
    /// How the figure is counted, in a sentence.
    pub counted_as: String,
}

/// One market's figures over the campaign so far, one per [`CampaignNumbers::metrics`]
/// (`None`: not available), and engagement (likes + reposts + replies + quotes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketFigures {
    pub code: String,
    pub name: String,
    pub values: Vec<Option<i64>>,
    pub engagement: i64,
}

/// A campaign's numbers as of a day.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignNumbers {
    pub id: i64,
    pub name: String,
    pub state: CampaignState,
    pub starts_on: Date,
    pub ends_on: Date,
    /// The day measured as of.
    pub on: Date,
    /// The last day counted: `on` or the campaign's last day, whichever is earlier.
    pub last_day: Date,
    /// Whether the campaign also runs in markets the caller does not read (left out here).
    pub partial: bool,
    pub objectives: Vec<ObjectiveView>,
    pub metrics: Vec<MetricInfo>,
    pub by_market: Vec<MarketFigures>,
    /// Every campaign day up to `last_day`.
    pub days: Vec<Date>,
    /// Per day, summed over the markets: (metric, one value per day) for each available metric.
    pub daily: Vec<(Metric, Vec<i64>)>,
}

/// Whether the caller reads numbers in one of `markets` (pages link to a campaign's or a
/// post's numbers only then).
pub fn reads_numbers_in(caller: &Caller, markets: &[MarketId]) -> bool {
    chorus_core::permission::allows_in_any(&caller.actor, chorus_core::Action::ReadNumbers, markets)
}

/// A campaign the caller reads numbers of, for the list of campaign pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignItem {
    pub id: i64,
    pub name: String,
    pub state: CampaignState,
    pub starts_on: Date,
    pub ends_on: Date,
    /// Codes of its markets that the caller reads.
    pub markets: Vec<String>,
}

/// The campaigns running in a market the caller reads numbers of, latest first.
pub async fn campaign_list(app: &App, caller: &Caller) -> Result<Vec<CampaignItem>> {
    let (markets, _) = readable(app, caller).await?;
    Ok(app
        .store
        .campaigns()
        .await?
        .into_iter()
        .filter_map(|c| {
            let codes: Vec<String> = markets
                .iter()
                .filter(|m| c.markets.contains(&m.id))
                .map(|m| m.code.to_string())
                .collect();
            (!codes.is_empty()).then_some(CampaignItem {
                id: c.id,
                name: c.name,
                state: c.state,
                starts_on: c.starts_on,
                ends_on: c.ends_on,
                markets: codes,
            })
        })
        .collect())
}

/// Gains per (metric, day), summed over the caller's markets; and per (market, metric).
#[derive(Default)]
struct Gains {
    daily: BTreeMap<Metric, BTreeMap<Date, i64>>,
    by_market: BTreeMap<(MarketId, Metric), i64>,
}

/// The dimension a metric of a campaign is read from: the campaign's own rollups for what its
/// posts gained, its markets' rollups for accounts and listening.
fn read_by_campaign(m: Metric) -> bool {
    matches!(m.subject(), Subject::Post | Subject::Registrations)
}

/// The campaign's numbers for the caller, as of `input.on`.
pub async fn campaign_numbers(
    app: &App,
    caller: &Caller,
    id: i64,
    input: &CampaignNumbersInput,
) -> Result<CampaignNumbers> {
    let (markets, _) = readable(app, caller).await?;
    let on = match input.on.trim() {
        "" => jiff::Timestamp::now()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date(),
        raw => raw.parse::<Date>().map_err(|_| {
            Error::invalid(
                "on",
                format!("{raw:?} is not a date; write it as YYYY-MM-DD"),
            )
        })?,
    };
    let c = match app.store.campaign(id).await {
        Ok(c) => c,
        Err(chorus_store::StoreError::NotFound { .. }) => return Err(Error::NotFound("campaign")),
        Err(e) => return Err(e.into()),
    };
    let mine: Vec<_> = markets
        .iter()
        .filter(|m| c.markets.contains(&m.id))
        .collect();
    if mine.is_empty() {
        return Err(Error::NotFound("campaign"));
    }
    let ids: Vec<MarketId> = mine.iter().map(|m| m.id).collect();
    let partial = c.markets.iter().any(|m| !ids.contains(m));
    let last_day = on.min(c.ends_on);

    let accounts = app.store.accounts(None).await?;
    let mut networks: Vec<Network> = Network::ALL
        .into_iter()
        .filter(|n| {
            accounts
                .iter()
                .any(|a| a.network == n.as_str() && ids.contains(&a.market_id))
        })
        .collect();
    if networks.is_empty() {
        networks = Network::ALL.to_vec();
    }
    let infos: Vec<MetricInfo> = CAMPAIGN_METRICS
        .iter()
        .map(|m| metric_info(*m, &networks))
        .collect();
    let available = |m: Metric| infos.iter().any(|i| i.metric == m && i.available);

    let gains = if last_day >= c.starts_on {
        read_gains(app, c.id, &ids, c.starts_on, last_day, &available).await?
    } else {
        Gains::default()
    };

    let objectives = c
        .objectives
        .iter()
        .map(|o| {
            objective_view(o, c.starts_on, c.ends_on, on, &networks, |m| {
                gains
                    .daily
                    .get(&m)
                    .map(|d| d.iter().map(|(k, v)| (*k, *v)).collect())
                    .unwrap_or_default()
            })
        })
        .collect();

    let by_market = mine
        .iter()
        .map(|m| {
            let get = |metric: Metric| gains.by_market.get(&(m.id, metric)).copied().unwrap_or(0);
            MarketFigures {
                code: m.code.to_string(),
                name: m.name.clone(),
                values: infos
                    .iter()
                    .map(|i| i.available.then(|| get(i.metric)))
                    .collect(),
                engagement: chorus_core::numbers::objective::ENGAGEMENT
                    .iter()
                    .map(|x| get(*x))
                    .sum(),
            }
        })
        .collect();

    let mut days = Vec::new();
    let mut d = c.starts_on;
    while d <= last_day {
        days.push(d);
        match d.tomorrow() {
            Ok(next) => d = next,
            Err(_) => break,
        }
    }
    let daily = infos
        .iter()
        .filter(|i| i.available)
        .map(|i| {
            let per_day = gains.daily.get(&i.metric);
            let values = days
                .iter()
                .map(|d| per_day.and_then(|p| p.get(d)).copied().unwrap_or(0))
                .collect();
            (i.metric, values)
        })
        .collect();

    Ok(CampaignNumbers {
        id: c.id,
        name: c.name,
        state: c.state,
        starts_on: c.starts_on,
        ends_on: c.ends_on,
        on,
        last_day,
        partial,
        objectives,
        metrics: infos,
        by_market,
        days,
        daily,
    })
}

/// Reads the campaign's gains per market and day: its own rollups for post metrics, its
/// markets' for followers and conversation volume.
async fn read_gains(
    app: &App,
    campaign: i64,
    markets: &[MarketId],
    from: Date,
    last: Date,
    available: &impl Fn(Metric) -> bool,
) -> Result<Gains> {
    let (own, market_wide): (Vec<Metric>, Vec<Metric>) = CAMPAIGN_METRICS
        .iter()
        .copied()
        .filter(|m| available(*m))
        .partition(|m| read_by_campaign(*m));
    let mut gains = Gains::default();
    for (dimension, metrics, subjects) in [
        (Dimension::Campaign, own, Some(vec![campaign.to_string()])),
        (Dimension::Market, market_wide, None),
    ] {
        if metrics.is_empty() {
            continue;
        }
        let query = RollupQuery {
            dimension,
            by_market: true,
            grain: Grain::Day,
            by_bucket: true,
            metrics,
            from: Some(from),
            to: last.checked_add(1.day()).ok(),
            markets: Some(markets.to_vec()),
            subjects,
        };
        for row in app.store.rollups(&query).await? {
            let (Some(market), Some(day)) = (row.market_id, row.bucket) else {
                continue;
            };
            *gains
                .daily
                .entry(row.metric)
                .or_default()
                .entry(day)
                .or_default() += row.value;
            *gains.by_market.entry((market, row.metric)).or_default() += row.value;
        }
    }
    Ok(gains)
}

/// One objective's progress as of `on`, from the gains per day of each metric (`daily`), for a
/// campaign from `starts_on` to `ends_on` whose accounts are on `networks`.
pub fn objective_view(
    objective: &Objective,
    starts_on: Date,
    ends_on: Date,
    on: Date,
    networks: &[Network],
    daily: impl Fn(Metric) -> Vec<(Date, i64)>,
) -> ObjectiveView {
    let measured = measure_of(&objective.metric);
    let period = Period::of(&objective.period);
    let (outcome, counted_as) = match measured {
        Measured::NotMeasured { .. } => (
            Outcome::NotMeasured,
            "Chorus counts likes, reposts, replies, quotes, engagement, clicks, followers, \
             conversation volume and leads; name one of them to track this objective."
                .to_owned(),
        ),
        Measured::Counted(measure) => {
            let counted_as = counted_as(measure);
            let missing = measure.metrics().into_iter().find_map(|m| {
                let info = metric_info(m, networks);
                (!info.available).then(|| {
                    let why = info
                        .sources
                        .iter()
                        .map(|s| format!("{}: {}", s.network, s.note))
                        .collect::<Vec<_>>()
                        .join("; ");
                    format!("{} is not available here ({why})", measure.label())
                })
            });
            let outcome = match missing {
                Some(why) => Outcome::NotAvailable { why },
                None => {
                    let mut per_day: Vec<(Date, i64)> = Vec::new();
                    for m in measure.metrics() {
                        per_day.extend(daily(m));
                    }
                    let plan = Plan {
                        starts_on,
                        ends_on,
                        target: objective.target,
                        period,
                    };
                    match progress::progress(&plan, on, &per_day) {
                        Ok(p) => Outcome::Measured(p),
                        Err(progress::ProgressError::TargetNotPositive) => Outcome::NoTarget,
                        Err(e @ progress::ProgressError::EndsBeforeStart) => {
                            Outcome::NotAvailable { why: e.to_string() }
                        }
                    }
                }
            };
            (outcome, counted_as)
        }
    };
    ObjectiveView {
        objective: objective.clone(),
        measured,
        period,
        outcome,
        counted_as,
    }
}

/// How a measure is counted for a campaign, in a sentence for the page.
fn counted_as(measure: Measure) -> String {
    let whose = match measure {
        Measure::Metric(m) if !read_by_campaign(m) => {
            "in the campaign's markets (all their accounts and listening), not only its posts"
        }
        _ => "of the campaign's published posts",
    };
    // Follower rollups start from 0: an account's first count is its first gain.
    let caveat = if measure == Measure::Metric(Metric::Followers) {
        " An account first measured during the campaign counts all its followers as gained that day."
    } else {
        ""
    };
    format!(
        "{}: {} Counted {whose}.{caveat}",
        measure.label(),
        measure.definition()
    )
}

//! Numbers, read: the figures of what Chorus published, grouped as the caller asks, for the
//! pages, `GET /api/v1/numbers` and its CSV.
//!
//! The contract:
//!
//! - Who reads is the rule table's [`Action::ReadNumbers`]; a report covers only the markets the
//!   caller may read (all of them when unfiltered), and a market, campaign, principle or account
//!   they may not read is "not found", as if it did not exist.
//! - Filters arrive as text ([`ReportFilters`]) and are validated once (`plan.rs`); an error
//!   names the field. `tz` (an IANA zone, UTC by default) says what "today" is — the default
//!   last day — while buckets stay in each market's own zone, whatever `tz` says.
//! - Filters combine where the rollups can answer: a market with one of campaign, principle,
//!   account or network (an account with its own network or market too). Two of campaign,
//!   principle, account and network, or a filter with another grouping than its own or market,
//!   cannot be answered from the rollups and are `Invalid` naming the second filter (the rules
//!   in `plan.rs`).
//! - Every figure is read from the rollups (`Store::rollups`), never from raw snapshots. A figure
//!   is `None` — "not available" — when the metric is not counted on the networks in question
//!   (impressions on Bluesky), is not counted yet (leads), or is not carried by the grouping
//!   (followers have no principle, conversation volume no campaign); it is **never 0** for
//!   those. A figure that is available and absent from the rollups is 0.
//! - Every metric carries when it was last measured in the report's scope, per network and
//!   overall (`Store::last_measured`, kept beside the rollups): the latest fetch of posts'
//!   counts or followers, the latest person's click, the latest matched post stored.
//! - Rollups are kept per one dimension (and per market alongside), so a report filtered by a
//!   campaign, principle, account or network is grouped by that same dimension or by market.

mod campaign;
mod csv;
mod league;
mod overview;
pub mod pdf;
mod plan;
mod post;
mod tables;
pub mod weekly;
pub mod weekly_job;

use std::collections::{BTreeMap, BTreeSet};

use chorus_core::numbers::{Availability, Dimension, Grain, Metric};
use chorus_core::org::Market;
use chorus_core::permission::{allows, markets_where};
use chorus_core::stories::limits::Network;
use chorus_core::{Action, MarketId, Scope};
use chorus_store::{MeasuredRow, RollupRow};
use jiff::civil::Date;

use plan::{Plan, plan};
#[cfg(test)]
use plan::{date, group_by, zone};

use crate::{App, Caller, Error, Result};

pub use self::csv::{report_csv, write_csv};
pub use campaign::{
    CAMPAIGN_METRICS, CampaignItem, CampaignNumbers, CampaignNumbersInput, MarketFigures,
    ObjectiveView, Outcome, campaign_list, campaign_numbers, objective_view, reads_numbers_in,
};
pub use league::{League, LeagueRow, TopPost, TopPosts, league, readable_markets, top_posts};
pub use overview::{Chart, Overview, overview};
pub use pdf::report_pdf;
pub use post::{CURVE_METRICS, CurvePoint, PostNumbers, post_numbers};
pub use tables::{CampaignTable, campaign_csv, decimal, league_csv, post_csv, top_posts_csv};

/// A report as asked for, every field as typed (empty = not given).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportFilters {
    /// One dimension (`post`, `story`, `campaign`, `account`, `market`, `network`,
    /// `principle`), or one of them and `market` (`principle,market`). Default `market`.
    pub group_by: String,
    /// Metric names, comma separated. Default: every metric.
    pub metrics: String,
    /// First day (YYYY-MM-DD), inclusive. Default: 29 days before `to`.
    pub from: String,
    /// Last day (YYYY-MM-DD), inclusive. Default: today in `tz`.
    pub to: String,
    /// An IANA time zone: where "today" (the default `to`) is read. Default UTC. Buckets stay
    /// in each market's own zone whatever this says.
    pub tz: String,
    /// `day`, `week` or `month`. Default `day`.
    pub grain: String,
    /// A market's code.
    pub market: String,
    /// A campaign's id.
    pub campaign: String,
    /// A principle's id or slug.
    pub principle: String,
    /// A network's name.
    pub network: String,
    /// An account's id (the account's market and network are implied).
    pub account: String,
    /// `true`: a row per bucket too (a series); default totals over the range.
    pub series: String,
}

/// A metric as a report shows it: what it counts, and where it comes from on each network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricInfo {
    pub metric: Metric,
    pub definition: &'static str,
    /// Whether any network in the report counts it (otherwise every figure is "not available").
    pub available: bool,
    pub sources: Vec<Source>,
    /// When it was last measured in the report's scope (ms since the epoch, UTC), on any
    /// network; `None` when never (or not available).
    pub last_measured_ms: Option<i64>,
}

/// Where a metric comes from on one network, or why it is not available there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub network: &'static str,
    pub available: bool,
    /// The call and field, or why it is not available.
    pub note: &'static str,
    /// When it was last measured on this network in the report's scope.
    pub last_measured_ms: Option<i64>,
}

/// One row of a report: a subject (in a market, in a bucket, when grouped so) and one figure
/// per metric of [`Report::metrics`], in that order; `None` is "not available".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRow {
    /// The market's code, when grouped by market.
    pub market: Option<String>,
    /// The subject's id as text (a market's code, a network's name).
    pub subject: String,
    /// What people read: a campaign's name, a principle's number and title, a handle.
    pub label: String,
    pub bucket: Option<Date>,
    pub values: Vec<Option<i64>>,
}

/// Figures grouped as asked, with each metric's definition and availability.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub group_by: Dimension,
    /// Also grouped by market (a column of market codes).
    pub by_market: bool,
    pub grain: Grain,
    pub from: Date,
    /// Inclusive.
    pub to: Date,
    /// The zone "today" was read in (IANA name; `UTC` by default).
    pub tz: String,
    pub metrics: Vec<MetricInfo>,
    pub rows: Vec<ReportRow>,
    /// When anything in the report's scope was last measured: the latest of its metrics'.
    pub last_fetched_ms: Option<i64>,
    /// Whether the markets in the report hold demo accounts (`chorus serve --demo`), whose
    /// figures are generated: the pages say so. Read from the accounts' persisted demo mark,
    /// never guessed; a report of real accounts only is never labelled demo.
    pub demo: bool,
}

/// What the caller may read, with the names rows are labelled with.
#[derive(Debug, Clone)]
pub(crate) struct Scoped {
    /// The markets the caller reads (after a market filter), by code.
    pub markets: Vec<Market>,
    /// `None`: every market (the caller reads them all and gave no market filter).
    pub ids: Option<Vec<MarketId>>,
    /// Networks of the accounts in those markets (every network when there are none yet).
    pub networks: Vec<Network>,
    /// Whether a demo account is among those markets' accounts (of the network filtered by).
    pub demo: bool,
}

/// The markets the caller reads numbers of; `Forbidden` when none.
pub(crate) async fn readable(app: &App, caller: &Caller) -> Result<(Vec<Market>, bool)> {
    let all = app.store.markets().await?;
    let ids = markets_where(&caller.actor, Action::ReadNumbers, all.iter().map(|m| m.id));
    let everywhere = ids.is_none();
    let markets: Vec<Market> = all
        .into_iter()
        .filter(|m| ids.as_ref().is_none_or(|ids| ids.contains(&m.id)))
        .collect();
    if markets.is_empty() && !allows(&caller.actor, Action::ReadNumbers, Scope::Global) {
        return Err(Error::forbidden(
            "you may not see numbers in any market: analysts and market leads see their markets'",
        ));
    }
    Ok((markets, everywhere))
}

/// The figures the caller asked for, from the markets they read.
pub async fn report(app: &App, caller: &Caller, filters: &ReportFilters) -> Result<Report> {
    let plan = plan(app, caller, filters).await?;
    let bucketed = plan.query.by_bucket;
    let fetched = Fetched::read(app, &plan).await?;
    Ok(fetched.report(&plan, bucketed))
}

/// Whether the rollups hold `metric` today: the counts the collector measures, the clicks the
/// redirect counts, the posts listening matched, the inbox's first responses and Reach's
/// confirmed leads.
fn rolled_up(metric: Metric) -> bool {
    Metric::POST_COUNTS.contains(&metric)
        || Metric::CONVERSATIONS.contains(&metric)
        || matches!(metric, Metric::Followers | Metric::Clicks | Metric::Leads)
}

/// What `metric` is, and where it comes from on `networks`.
pub(crate) fn metric_info(metric: Metric, networks: &[Network]) -> MetricInfo {
    let sources: Vec<Source> = networks
        .iter()
        .map(|n| {
            let (available, note) = match metric.availability(n.as_str()) {
                _ if !rolled_up(metric) && metric.availability(n.as_str()).is_available() => {
                    (false, "counted, but not in Numbers' rollups yet")
                }
                Availability::Network { source } | Availability::Chorus { source } => {
                    (true, source)
                }
                Availability::NotAvailable { why } => (false, why),
            };
            Source {
                network: n.as_str(),
                available,
                note,
                last_measured_ms: None,
            }
        })
        .collect();
    MetricInfo {
        metric,
        definition: metric.definition(),
        available: sources.iter().any(|s| s.available),
        sources,
        last_measured_ms: None,
    }
}

/// `info` with the times its metric was last measured (`measured`: the scope's, any metric).
fn with_times(mut info: MetricInfo, measured: &[MeasuredRow]) -> MetricInfo {
    if !info.available {
        return info;
    }
    let mine = measured.iter().filter(|r| r.metric == info.metric);
    info.last_measured_ms = mine.clone().map(|r| r.at_ms).max();
    for s in &mut info.sources {
        if s.available {
            s.last_measured_ms = mine
                .clone()
                .filter(|r| r.network == s.network)
                .map(|r| r.at_ms)
                .max();
        }
    }
    info
}

type Key = (Option<MarketId>, String, Option<Date>);

/// What one plan read: the rollup rows (by bucket when the plan asks), the times its scope was
/// last measured and the names rows are labelled with. A report is made of it by bucket or
/// with the buckets summed ([`Fetched::report`]), so the overview's totals and its daily chart
/// come from one read.
pub(crate) struct Fetched {
    raw: Vec<RollupRow>,
    measured: Vec<MeasuredRow>,
    labels: Labels,
}

impl Fetched {
    pub(crate) async fn read(app: &App, plan: &Plan) -> Result<Fetched> {
        Ok(Fetched {
            raw: app.store.rollups(&plan.query).await?,
            measured: app.store.last_measured(&plan.query).await?,
            labels: Labels::load(app, plan.group_by, &plan.scoped).await?,
        })
    }

    /// The report of `plan`'s rows, a row per bucket when `bucketed` (the plan's query must
    /// then be by bucket), else summed over the range.
    pub(crate) fn report(&self, plan: &Plan, bucketed: bool) -> Report {
        let Plan {
            query,
            group_by,
            by_market,
            from,
            to,
            tz,
            scoped,
            ..
        } = plan;
        let (group_by, by_market) = (*group_by, *by_market);
        let infos: Vec<MetricInfo> = query
            .metrics
            .iter()
            .map(|m| with_times(metric_info(*m, &scoped.networks), &self.measured))
            .collect();
        let mut cells: BTreeMap<Key, BTreeMap<Metric, i64>> = BTreeMap::new();
        // Grouped by market through a filter's dimension: the market is the row's subject.
        let market_rows = group_by == Dimension::Market && query.dimension != Dimension::Market;
        for r in &self.raw {
            let bucket = r.bucket.filter(|_| bucketed);
            let key = if market_rows {
                (
                    None,
                    r.market_id.map(|m| m.0.to_string()).unwrap_or_default(),
                    bucket,
                )
            } else {
                (r.market_id.filter(|_| by_market), r.subject.clone(), bucket)
            };
            *cells.entry(key).or_default().entry(r.metric).or_default() += r.value;
        }
        // Grouped by market: every market in scope has a row, measured or not.
        if group_by == Dimension::Market && !bucketed {
            for m in &scoped.markets {
                cells.entry((None, m.id.0.to_string(), None)).or_default();
            }
        }
        let labels = &self.labels;
        let mut rows: Vec<(Sort, ReportRow)> = cells
            .into_iter()
            .map(|((market, subject, bucket), figures)| {
                let values = infos
                    .iter()
                    .map(|info| {
                        let m = info.metric;
                        let carried = query.dimension.carries(m)
                            && (group_by != Dimension::Network
                                || Network::parse(&subject)
                                    .is_ok_and(|n| metric_info(m, &[n]).available));
                        (info.available && carried).then(|| figures.get(&m).copied().unwrap_or(0))
                    })
                    .collect();
                let market = market.map(|id| labels.market_code(id));
                let (sort, label, subject) = labels.of(group_by, &subject);
                (
                    (market.clone(), sort, label.clone(), bucket),
                    ReportRow {
                        market,
                        subject,
                        label,
                        bucket,
                        values,
                    },
                )
            })
            .collect();
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        let last_fetched_ms = infos.iter().filter_map(|i| i.last_measured_ms).max();
        Report {
            group_by,
            by_market,
            grain: query.grain,
            from: *from,
            to: *to,
            tz: tz.clone(),
            metrics: infos,
            rows: rows.into_iter().map(|(_, r)| r).collect(),
            last_fetched_ms,
            demo: scoped.demo,
        }
    }
}

type Sort = (Option<String>, i64, String, Option<Date>);

/// Names of the subjects rows are grouped by.
struct Labels {
    markets: BTreeMap<i64, (String, String)>,
    names: BTreeMap<String, (i64, String)>,
}

impl Labels {
    async fn load(app: &App, group_by: Dimension, scoped: &Scoped) -> Result<Labels> {
        let markets = app
            .store
            .markets()
            .await?
            .into_iter()
            .map(|m| (m.id.0, (m.code.to_string(), m.name)))
            .collect();
        let mut names = BTreeMap::new();
        match group_by {
            Dimension::Campaign => {
                for c in app.store.campaigns().await? {
                    names.insert(c.id.to_string(), (0, c.name));
                }
            }
            Dimension::Principle => {
                for p in app.store.principles().await? {
                    names.insert(
                        p.id.0.to_string(),
                        (p.number, format!("{}. {}", p.number, p.title)),
                    );
                }
            }
            Dimension::Account => {
                let ids: BTreeSet<MarketId> = scoped.markets.iter().map(|m| m.id).collect();
                for a in app.store.accounts(None).await? {
                    if scoped.ids.is_none() || ids.contains(&a.market_id) {
                        names.insert(a.id.to_string(), (0, format!("@{}", a.handle)));
                    }
                }
            }
            _ => {}
        }
        Ok(Labels { markets, names })
    }

    fn market_code(&self, id: MarketId) -> String {
        self.markets
            .get(&id.0)
            .map_or_else(|| id.0.to_string(), |(code, _)| code.clone())
    }

    /// (sort key, label, subject as shown) of a row's subject.
    fn of(&self, group_by: Dimension, subject: &str) -> (i64, String, String) {
        match group_by {
            Dimension::Market => {
                let id = subject.parse::<i64>().unwrap_or_default();
                match self.markets.get(&id) {
                    Some((code, name)) => (0, name.clone(), code.clone()),
                    None => (0, subject.to_owned(), subject.to_owned()),
                }
            }
            Dimension::Network => {
                let label = Network::parse(subject).map_or(subject, |n| n.label());
                (0, label.to_owned(), subject.to_owned())
            }
            Dimension::Post => (0, format!("Post {subject}"), subject.to_owned()),
            Dimension::Story => (0, format!("Story {subject}"), subject.to_owned()),
            _ => match self.names.get(subject) {
                Some((n, label)) => (*n, label.clone(), subject.to_owned()),
                None => (
                    0,
                    format!("{} {subject}", group_by.name()),
                    subject.to_owned(),
                ),
            },
        }
    }
}

#[cfg(test)]
mod pages_tests;
#[cfg(test)]
mod tests;

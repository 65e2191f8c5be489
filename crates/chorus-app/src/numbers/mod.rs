//! Numbers, read: the figures of what Chorus published, grouped as the caller asks, for the
//! pages, `GET /api/v1/numbers` and its CSV.
//!
//! The contract:
//!
//! - Who reads is the rule table's [`Action::ReadNumbers`]; a report covers only the markets the
//!   caller may read (all of them when unfiltered), and a market, campaign or principle they may
//!   not read is "not found", as if it did not exist.
//! - Filters arrive as text ([`ReportFilters`]) and are validated here; an error names the field.
//! - Every figure is read from the rollups (`Store::rollups`), never from raw snapshots. A figure
//!   is `None` — "not available" — when the metric is not counted on the networks in question
//!   (impressions on Bluesky), is not rolled up yet (clicks, conversation volume, leads), or is
//!   not carried by the grouping (followers have no principle); it is **never 0** for those. A
//!   figure that is available and absent from the rollups is 0.
//! - Rollups are kept per one dimension (and per market alongside), so a report filtered by a
//!   campaign, principle or network is grouped by that same dimension or by market.

mod csv;
mod overview;

use std::collections::{BTreeMap, BTreeSet};

use chorus_core::numbers::{Availability, Dimension, Grain, Metric};
use chorus_core::org::{Market, MarketCode};
use chorus_core::permission::{allows, markets_where};
use chorus_core::stories::limits::Network;
use chorus_core::{Action, MarketId, Scope};
use chorus_store::{RollupQuery, RollupRow};
use jiff::ToSpan;
use jiff::civil::Date;

use crate::{App, Caller, Error, Result};

pub use self::csv::{report_csv, write_csv};
pub use overview::{Chart, Overview, overview};

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
    /// Last day (YYYY-MM-DD), inclusive. Default: today (UTC).
    pub to: String,
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
}

/// Where a metric comes from on one network, or why it is not available there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub network: &'static str,
    pub available: bool,
    /// The call and field, or why it is not available.
    pub note: &'static str,
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
    pub metrics: Vec<MetricInfo>,
    pub rows: Vec<ReportRow>,
    /// When the store last measured anything: not offered by the store yet.
    pub last_fetched_ms: Option<i64>,
    /// Whether the markets in the report hold demo accounts (`chorus serve --demo`), whose
    /// figures are generated: the pages say so. Read from the accounts' persisted demo mark,
    /// never guessed; a report of real accounts only is never labelled demo.
    pub demo: bool,
}

/// What the caller may read, with the names rows are labelled with.
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

/// A validated request: what to ask the rollups, and how to present the rows.
struct Plan {
    query: RollupQuery,
    /// What the rows are grouped by, as asked (`market` when a filter's dimension is queried
    /// per market).
    group_by: Dimension,
    by_market: bool,
    from: Date,
    to: Date,
    scoped: Scoped,
}

/// The figures the caller asked for, from the markets they read.
pub async fn report(app: &App, caller: &Caller, filters: &ReportFilters) -> Result<Report> {
    let plan = plan(app, caller, filters).await?;
    run(app, plan).await
}

/// Turns a core parse error into one naming `name`.
fn field(name: &'static str) -> impl Fn(chorus_core::validate::Invalid) -> Error {
    move |e| Error::invalid(name, e.message)
}

fn date(raw: &str, name: &'static str) -> Result<Option<Date>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse::<Date>().map(Some).map_err(|_| {
        Error::invalid(
            name,
            format!("{raw:?} is not a date; write it as YYYY-MM-DD"),
        )
    })
}

/// Parses `group_by`: one dimension, or one and `market`.
fn group_by(raw: &str) -> Result<(Dimension, bool)> {
    let parts: Vec<&str> = raw
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let dims = parts
        .iter()
        .map(|p| Dimension::parse(p).map_err(field("group_by")))
        .collect::<Result<Vec<_>>>()?;
    match dims.as_slice() {
        [] => Ok((Dimension::Market, false)),
        [d] => Ok((*d, false)),
        [Dimension::Market, d] | [d, Dimension::Market] if *d != Dimension::Market => {
            Ok((*d, true))
        }
        _ => Err(Error::invalid(
            "group_by",
            "group by one dimension, or one dimension and market (e.g. principle,market)",
        )),
    }
}

async fn plan(app: &App, caller: &Caller, f: &ReportFilters) -> Result<Plan> {
    let (readable, everywhere) = readable(app, caller).await?;
    let (mut dimension, mut by_market) = group_by(&f.group_by)?;
    let asked = dimension;
    let grain = match f.grain.trim() {
        "" => Grain::Day,
        g => Grain::parse(g).map_err(field("grain"))?,
    };
    let mut metrics = Vec::new();
    for name in f
        .metrics
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let m = Metric::parse(name).map_err(field("metrics"))?;
        if !metrics.contains(&m) {
            metrics.push(m);
        }
    }
    if metrics.is_empty() {
        metrics = Metric::ALL.to_vec();
    }
    let to = match date(&f.to, "to")? {
        Some(d) => d,
        None => jiff::Timestamp::now()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date(),
    };
    let from = match date(&f.from, "from")? {
        Some(d) => d,
        None => to
            .checked_sub(29.days())
            .map_err(|e| Error::invalid("to", e.to_string()))?,
    };
    if from > to {
        return Err(Error::invalid("from", "the first day comes after the last"));
    }
    let by_bucket = match f.series.trim() {
        "" | "false" => false,
        "true" => true,
        _ => return Err(Error::invalid("series", "use true or false")),
    };

    // A market filter narrows to one market the caller reads; one they may not read is not found.
    let (markets, ids) = match f.market.trim() {
        "" => {
            let ids = (!everywhere).then(|| readable.iter().map(|m| m.id).collect());
            (readable, ids)
        }
        code => {
            let code = MarketCode::parse(code).map_err(|_| Error::NotFound("market"))?;
            let m = readable
                .into_iter()
                .find(|m| m.code == code)
                .ok_or(Error::NotFound("market"))?;
            let ids = Some(vec![m.id]);
            (vec![m], ids)
        }
    };

    // At most one filter of another dimension; the rollups hold one dimension at a time.
    let mut filter: Option<(Dimension, &'static str, String)> = None;
    let mut set = |d: Dimension, name: &'static str, subject: String| -> Result<()> {
        if filter.is_some() {
            return Err(Error::invalid(
                name,
                "filter by one of campaign, principle and network at a time",
            ));
        }
        filter = Some((d, name, subject));
        Ok(())
    };
    if !f.campaign.trim().is_empty() {
        let id: i64 = f
            .campaign
            .trim()
            .parse()
            .map_err(|_| Error::invalid("campaign", "a campaign's id is a number"))?;
        let c = match app.store.campaign(id).await {
            Ok(c) => c,
            Err(chorus_store::StoreError::NotFound { .. }) => {
                return Err(Error::NotFound("campaign"));
            }
            Err(e) => return Err(e.into()),
        };
        let visible = ids
            .as_ref()
            .is_none_or(|ids| c.markets.iter().any(|m| ids.contains(m)));
        if !visible {
            return Err(Error::NotFound("campaign"));
        }
        set(Dimension::Campaign, "campaign", c.id.to_string())?;
    }
    if !f.principle.trim().is_empty() {
        let raw = f.principle.trim();
        let p = match raw.parse::<i64>() {
            Ok(id) => app.store.principle(chorus_core::PrincipleId(id)).await,
            Err(_) => app.store.principle_by_slug(raw).await,
        };
        let p = match p {
            Ok(p) => p,
            Err(chorus_store::StoreError::NotFound { .. }) => {
                return Err(Error::NotFound("principle"));
            }
            Err(e) => return Err(e.into()),
        };
        set(Dimension::Principle, "principle", p.id.0.to_string())?;
    }
    let mut network_filter = None;
    if !f.network.trim().is_empty() {
        let n = Network::parse(&f.network).map_err(field("network"))?;
        network_filter = Some(n);
        set(Dimension::Network, "network", n.as_str().to_owned())?;
    }
    let mut subjects = None;
    let mut group = asked;
    if let Some((d, name, subject)) = filter {
        if d == dimension {
            subjects = Some(vec![subject]);
        } else if dimension == Dimension::Market {
            dimension = d;
            by_market = true;
            group = Dimension::Market;
            subjects = Some(vec![subject]);
        } else {
            return Err(Error::invalid(
                name,
                format!("numbers filtered by {name} are grouped by {name} or by market"),
            ));
        }
    }

    let accounts = app.store.accounts(None).await?;
    let demo = accounts.iter().any(|a| {
        a.demo
            && markets.iter().any(|m| m.id == a.market_id)
            && network_filter.is_none_or(|n| n.as_str() == a.network)
    });
    let networks = match network_filter {
        Some(n) => vec![n],
        None => {
            let mut found: Vec<Network> = Network::ALL
                .into_iter()
                .filter(|n| {
                    accounts.iter().any(|a| {
                        a.network == n.as_str() && markets.iter().any(|m| m.id == a.market_id)
                    })
                })
                .collect();
            if found.is_empty() {
                found = Network::ALL.to_vec();
            }
            found
        }
    };
    Ok(Plan {
        query: RollupQuery {
            dimension,
            by_market,
            grain,
            by_bucket,
            metrics,
            from: Some(grain.start(from)),
            to: to.checked_add(1.day()).ok(),
            markets: ids.clone(),
            subjects,
        },
        group_by: group,
        by_market: by_market && group != Dimension::Market,
        from,
        to,
        scoped: Scoped {
            markets,
            ids,
            networks,
            demo,
        },
    })
}

/// Whether the rollups hold `metric` today: the counts the collector measures. Clicks and
/// conversation volume are counted elsewhere and not rolled up yet.
fn rolled_up(metric: Metric) -> bool {
    Metric::POST_COUNTS.contains(&metric) || metric == Metric::Followers
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
            }
        })
        .collect();
    MetricInfo {
        metric,
        definition: metric.definition(),
        available: sources.iter().any(|s| s.available),
        sources,
    }
}

type Key = (Option<MarketId>, String, Option<Date>);

async fn run(app: &App, plan: Plan) -> Result<Report> {
    let Plan {
        query,
        group_by,
        by_market,
        from,
        to,
        scoped,
    } = plan;
    let infos: Vec<MetricInfo> = query
        .metrics
        .iter()
        .map(|m| metric_info(*m, &scoped.networks))
        .collect();
    let raw = app.store.rollups(&query).await?;
    let mut cells: BTreeMap<Key, BTreeMap<Metric, i64>> = BTreeMap::new();
    // Grouped by market through a filter's dimension: the market is the row's subject.
    let market_rows = group_by == Dimension::Market && query.dimension != Dimension::Market;
    for RollupRow {
        market_id,
        subject,
        bucket,
        metric,
        value,
    } in raw
    {
        let key = if market_rows {
            (
                None,
                market_id.map(|m| m.0.to_string()).unwrap_or_default(),
                bucket,
            )
        } else {
            (market_id.filter(|_| by_market), subject, bucket)
        };
        *cells.entry(key).or_default().entry(metric).or_default() += value;
    }
    // Grouped by market: every market in scope has a row, measured or not.
    if group_by == Dimension::Market && !query.by_bucket {
        for m in &scoped.markets {
            cells.entry((None, m.id.0.to_string(), None)).or_default();
        }
    }
    let labels = Labels::load(app, group_by, &scoped).await?;
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
    Ok(Report {
        group_by,
        by_market,
        grain: query.grain,
        from,
        to,
        metrics: infos,
        rows: rows.into_iter().map(|(_, r)| r).collect(),
        last_fetched_ms: None,
        demo: scoped.demo,
    })
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
mod tests;

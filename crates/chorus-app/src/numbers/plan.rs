//! A report's filters, validated into what to ask the rollups (`Plan`): who may read which
//! markets, the range and its "today" in the caller's zone (`tz`), the grouping, and the
//! filters the rollups can answer together.
//!
//! What the rollups can answer: they keep every figure per one dimension and per market
//! alongside, so a report may be narrowed by a market **and** by one of campaign, principle,
//! account or network, and grouped by that dimension or by market. An account is on one
//! network and in one market, so `account` with its own `network` (or market) is that
//! account. What they cannot answer is two of campaign, principle, account and network at once
//! (campaign × principle, campaign × network, …: no rollup holds those pairs) or a filter with
//! another grouping (a campaign's figures by principle): both are `Invalid`, naming the second
//! filter. An account on another network than `network` is `Invalid` naming `network`; an
//! account, campaign or market the caller may not read — or an account outside the `market`
//! asked for — is `NotFound`.

use chorus_core::MarketId;
use chorus_core::numbers::{Dimension, Grain, Metric};
use chorus_core::org::{Market, MarketCode, TimeZoneName};
use chorus_core::stories::limits::Network;
use chorus_store::{RollupQuery, StoreError};
use jiff::ToSpan;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use super::{ReportFilters, Scoped, readable};
use crate::{App, Caller, Error, Result};

/// A validated request: what to ask the rollups, and how to present the rows.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub query: RollupQuery,
    /// What the rows are grouped by, as asked (`market` when a filter's dimension is queried
    /// per market).
    pub group_by: Dimension,
    pub by_market: bool,
    pub from: Date,
    pub to: Date,
    /// The zone "today" was read in (an IANA name; `UTC` when none was given).
    pub tz: String,
    pub scoped: Scoped,
    /// The dimension a filter narrowed to, if any (the overview's scorecard needs to know).
    pub filter: Option<Dimension>,
}

/// Turns a core parse error into one naming `name`.
pub(crate) fn field(name: &'static str) -> impl Fn(chorus_core::validate::Invalid) -> Error {
    move |e| Error::invalid(name, e.message)
}

pub(crate) fn date(raw: &str, name: &'static str) -> Result<Option<Date>> {
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
pub(crate) fn group_by(raw: &str) -> Result<(Dimension, bool)> {
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

/// Parses `tz`: an IANA zone, UTC when empty.
pub(crate) fn zone(raw: &str) -> Result<(String, TimeZone)> {
    match raw.trim() {
        "" => Ok(("UTC".to_owned(), TimeZone::UTC)),
        raw => {
            let name = TimeZoneName::parse(raw).map_err(field("tz"))?;
            Ok((name.as_str().to_owned(), name.zone()))
        }
    }
}

/// The metrics asked for, each once; every metric when none.
fn metrics(raw: &str) -> Result<Vec<Metric>> {
    let mut metrics = Vec::new();
    for name in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let m = Metric::parse(name).map_err(field("metrics"))?;
        if !metrics.contains(&m) {
            metrics.push(m);
        }
    }
    if metrics.is_empty() {
        metrics = Metric::ALL.to_vec();
    }
    Ok(metrics)
}

/// A store lookup whose `NotFound` is the caller's "not found" for `what`.
fn found<T>(r: std::result::Result<T, StoreError>, what: &'static str) -> Result<T> {
    match r {
        Ok(v) => Ok(v),
        Err(StoreError::NotFound { .. }) => Err(Error::NotFound(what)),
        Err(e) => Err(e.into()),
    }
}

pub(crate) async fn plan(app: &App, caller: &Caller, f: &ReportFilters) -> Result<Plan> {
    let (readable, everywhere) = readable(app, caller).await?;
    let (mut dimension, mut by_market) = group_by(&f.group_by)?;
    let asked = dimension;
    let grain = match f.grain.trim() {
        "" => Grain::Day,
        g => Grain::parse(g).map_err(field("grain"))?,
    };
    let metrics = metrics(&f.metrics)?;
    let (tz, zone) = zone(&f.tz)?;
    let to = match date(&f.to, "to")? {
        Some(d) => d,
        None => jiff::Timestamp::now().to_zoned(zone).date(),
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
    let (mut markets, mut ids): (Vec<Market>, Option<Vec<MarketId>>) = match f.market.trim() {
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

    let mut network_filter = match f.network.trim() {
        "" => None,
        raw => Some(Network::parse(raw).map_err(field("network"))?),
    };
    // Filters of other dimensions, in the order they are checked; at most one is answerable.
    let mut filters: Vec<(Dimension, &'static str, String)> = Vec::new();
    if !f.campaign.trim().is_empty() {
        let id: i64 = f
            .campaign
            .trim()
            .parse()
            .map_err(|_| Error::invalid("campaign", "a campaign's id is a number"))?;
        let c = found(app.store.campaign(id).await, "campaign")?;
        let visible = ids
            .as_ref()
            .is_none_or(|ids| c.markets.iter().any(|m| ids.contains(m)));
        if !visible {
            return Err(Error::NotFound("campaign"));
        }
        filters.push((Dimension::Campaign, "campaign", c.id.to_string()));
    }
    if !f.principle.trim().is_empty() {
        let raw = f.principle.trim();
        let p = match raw.parse::<i64>() {
            Ok(id) => app.store.principle(chorus_core::PrincipleId(id)).await,
            Err(_) => app.store.principle_by_slug(raw).await,
        };
        let p = found(p, "principle")?;
        filters.push((Dimension::Principle, "principle", p.id.0.to_string()));
    }
    if !f.account.trim().is_empty() {
        let id: i64 = f
            .account
            .trim()
            .parse()
            .map_err(|_| Error::invalid("account", "an account's id is a number"))?;
        let a = found(app.store.account(id).await, "account")?;
        let m = markets
            .iter()
            .find(|m| m.id == a.market_id)
            .cloned()
            .ok_or(Error::NotFound("account"))?;
        // An account is on one network: `network` may only repeat it.
        if let Some(n) = network_filter.take()
            && n.as_str() != a.network
        {
            return Err(Error::invalid(
                "network",
                format!(
                    "@{} is a {} account, not {}",
                    a.handle,
                    a.network,
                    n.label()
                ),
            ));
        }
        network_filter = Network::parse(&a.network).ok();
        // … and in one market: the report's scope is that market.
        markets = vec![m];
        ids = Some(vec![a.market_id]);
        filters.push((Dimension::Account, "account", a.id.to_string()));
    } else if let Some(n) = network_filter {
        filters.push((Dimension::Network, "network", n.as_str().to_owned()));
    }
    if let Some((_, name, _)) = filters.get(1) {
        return Err(Error::invalid(
            *name,
            "numbers are narrowed by a market and by one of campaign, principle, account and \
             network at a time: the rollups keep each of them apart, not in pairs",
        ));
    }

    let mut subjects = None;
    let mut group = asked;
    let filter = filters.first().map(|(d, _, _)| *d);
    if let Some((d, name, subject)) = filters.into_iter().next() {
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
        tz,
        scoped: Scoped {
            markets,
            ids,
            networks,
            demo,
        },
        filter,
    })
}

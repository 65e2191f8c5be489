//! What is read from the inbox: hourly volume per query against its trailing baseline (spike
//! hours marked), share of voice between a market's `us` and `competitor` queries, spike
//! alerts, first-response times per market and team, and each market's first-response target
//! (set by its leads).

use chorus_core::conversations::period::{self, Period, RawPeriod};
use chorus_core::conversations::{
    BASELINE_HOURS, ListeningQuery, QueryId, SPIKE_MIN_VOLUME, Side, is_spike,
    response_target_minutes,
};
use chorus_core::org::{Market, MarketCode};
use chorus_core::permission::allows;
use chorus_core::validate::FieldError;
use chorus_core::{Action, Scope};
use chorus_store::StoreError;

use super::queries::{self, code_of};
use super::{ResponseStats, SpikeAlert, Visible, markets_allowing, visible};
use crate::{App, Caller, Error, Result};

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;

/// One query's hourly volume with its trailing baseline, ready for a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct VolumeSeries {
    pub query_id: i64,
    pub name: String,
    /// Hour starts, seconds since the epoch (uPlot's x axis).
    pub hours: Vec<i64>,
    pub volume: Vec<i64>,
    /// Mean posts per hour over the week before each hour.
    pub baseline: Vec<f64>,
    /// Whether each hour is a spike (volume ≥ factor × baseline and ≥ the minimum).
    pub spike: Vec<bool>,
    pub spike_factor: f64,
}

/// The hourly series of a query the caller reads over `period`: the last N days (default 14)
/// ending at its latest hour with posts, or now when that is later (imported history is charted
/// where it is), or a from/to range of days. A period that does not parse is `Invalid` naming
/// `from`, `to` or `days`.
pub async fn volume(
    app: &App,
    caller: &Caller,
    query: i64,
    period: &RawPeriod,
) -> Result<VolumeSeries> {
    let q = queries::get(app, caller, query).await?.query;
    let span = period::resolve(period, volume_end(app, &q).await?, 14)?;
    series(app, &q, span).await
}

/// The end (exclusive, on an hour) of a query's data: the hour after its latest hour with
/// posts, or after the current hour when that is earlier.
async fn volume_end(app: &App, query: &ListeningQuery) -> Result<i64> {
    let latest = app.store.latest_volume_hour(&[query.id]).await?;
    let now_hour = chorus_store::now_ms().div_euclid(HOUR_MS) * HOUR_MS;
    Ok(latest.map_or(now_hour, |l| l.min(now_hour)) + HOUR_MS)
}

async fn series(app: &App, query: &ListeningQuery, span: Period) -> Result<VolumeSeries> {
    let start = span.from_ms.div_euclid(HOUR_MS) * HOUR_MS;
    let end = (span.to_ms - 1).div_euclid(HOUR_MS) * HOUR_MS;
    let hours = ((end - start) / HOUR_MS + 1).max(1);
    let origin = start - BASELINE_HOURS * HOUR_MS;
    let raw = app
        .store
        .query_volume(query.id, origin, end + HOUR_MS)
        .await?;
    let total = (hours + BASELINE_HOURS) as usize;
    let mut dense = vec![0i64; total];
    for (h, n) in raw {
        let i = ((h - origin) / HOUR_MS) as usize;
        if i < total {
            dense[i] = n;
        }
    }
    let mut out = VolumeSeries {
        query_id: query.id.0,
        name: query.name.clone(),
        hours: Vec::with_capacity(hours as usize),
        volume: Vec::with_capacity(hours as usize),
        baseline: Vec::with_capacity(hours as usize),
        spike: Vec::with_capacity(hours as usize),
        spike_factor: query.spike_factor,
    };
    let window = BASELINE_HOURS as usize;
    let mut sum: i64 = dense[..window].iter().sum();
    for i in window..total {
        let base = sum as f64 / BASELINE_HOURS as f64;
        let v = dense[i];
        out.hours.push((origin + i as i64 * HOUR_MS) / 1000);
        out.volume.push(v);
        out.baseline.push((base * 100.0).round() / 100.0);
        out.spike
            .push(is_spike(v, base, query.spike_factor, SPIKE_MIN_VOLUME));
        sum += v - dense[i - window];
    }
    Ok(out)
}

/// Share of voice of one market over a period ending at its latest data (or now).
#[derive(Debug, Clone, PartialEq)]
pub struct ShareOfVoice {
    /// The market's code.
    pub market: String,
    pub from_ms: i64,
    pub to_ms: i64,
    pub total: i64,
    pub entries: Vec<VoiceEntry>,
    /// Share of the `us` side, 0–1 (0 when there is no volume).
    pub us_share: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VoiceEntry {
    pub query_id: i64,
    pub name: String,
    pub side: Side,
    pub posts: i64,
    pub share: f64,
}

/// Share of voice of a market the caller reads (another is not found) over `period` (default
/// the last 30 days of its data; a period that does not parse is `Invalid` naming its field).
pub async fn share_of_voice(
    app: &App,
    caller: &Caller,
    market: &str,
    period: &RawPeriod,
) -> Result<ShareOfVoice> {
    let code = MarketCode::parse(market).map_err(|_| Error::NotFound("market"))?;
    let market = app.store.market_by_code(&code).await?;
    if !allows(
        &caller.actor,
        Action::ReadConversations,
        Scope::Market(market.id),
    ) {
        return Err(Error::NotFound("market"));
    }
    let span = period::resolve(period, voice_end(app, &market).await?, 30)?;
    voice(app, &market, span).await
}

/// The end of a market's listening data: just after its latest hour with posts, or now.
async fn voice_end(app: &App, market: &Market) -> Result<i64> {
    let now = chorus_store::now_ms();
    Ok(app
        .store
        .latest_volume_hour_in_market(market.id)
        .await?
        .map_or(now, |h| (h + HOUR_MS).min(now)))
}

async fn voice(app: &App, market: &Market, span: Period) -> Result<ShareOfVoice> {
    let (from, end) = (span.from_ms, span.to_ms);
    let rows = app.store.share_of_voice(market.id, from, end).await?;
    let total: i64 = rows.iter().map(|r| r.posts).sum();
    let share = |n: i64| {
        if total > 0 {
            n as f64 / total as f64
        } else {
            0.0
        }
    };
    let us: i64 = rows
        .iter()
        .filter(|r| r.side == Side::Us)
        .map(|r| r.posts)
        .sum();
    Ok(ShareOfVoice {
        market: market.code.to_string(),
        from_ms: from,
        to_ms: end,
        total,
        us_share: share(us),
        entries: rows
            .into_iter()
            .map(|r| VoiceEntry {
                query_id: r.query_id.0,
                share: share(r.posts),
                name: r.name,
                side: r.side,
                posts: r.posts,
            })
            .collect(),
    })
}

/// Recent spike alerts (newest first, at most `limit`) of the markets the caller reads, with
/// every market (to name them).
pub async fn alerts(
    app: &App,
    caller: &Caller,
    limit: i64,
) -> Result<(Vec<SpikeAlert>, Vec<Market>)> {
    let visible = visible(app, caller).await?;
    let alerts = app
        .store
        .spike_alerts(visible.ids.as_deref(), limit)
        .await?;
    Ok((alerts, visible.all))
}

/// Queries the Signals page's menu lists; a market may listen with thousands. A query past
/// them is still shown by its link (`?query=`, as spike alerts give).
pub const QUERY_MENU_MAX: i64 = 200;

/// The Signals page.
#[derive(Debug, Clone)]
pub struct SignalsPage {
    pub visible: Visible,
    /// The market shown.
    pub market: Market,
    /// The chart's menu: the market's first queries by name, and the linked one.
    pub queries: Vec<ListeningQuery>,
    /// Queries of the market the menu leaves out.
    pub more_queries: i64,
    /// The query charted.
    pub query: Option<ListeningQuery>,
    /// The period shown: what was asked, or the last 14 days when that did not parse.
    pub period: Period,
    /// Why the period asked for was not used (naming `from`, `to` or `days`), to show by the
    /// field.
    pub period_error: Option<FieldError>,
    /// Over the same period as the chart.
    pub sov: ShareOfVoice,
    pub alerts: Vec<SpikeAlert>,
}

/// The Signals page of a market the caller reads (by code, or the market of a linked query,
/// or their first), over `period` (default the last 14 days of the charted query's data).
pub async fn page(
    app: &App,
    caller: &Caller,
    market: Option<&str>,
    query: Option<i64>,
    period: &RawPeriod,
) -> Result<SignalsPage> {
    let visible = visible(app, caller).await?;
    // A query link (from a spike notification) selects its market.
    let linked = match query {
        Some(q) => match app.store.listening_query(QueryId(q)).await {
            Ok(q) if visible.reads(q.market_id) => Some(q),
            Ok(_) | Err(StoreError::NotFound { .. }) => None,
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let market = linked
        .as_ref()
        .and_then(|q| visible.markets.iter().find(|m| m.id == q.market_id))
        .or_else(|| match market {
            Some(code) => visible.find(code),
            None => visible.markets.first(),
        })
        .ok_or(Error::NotFound("market"))?
        .clone();
    let (mut queries, total) = app
        .store
        .listening_queries_page(Some(&[market.id]), None, 0, QUERY_MENU_MAX)
        .await?;
    if let Some(l) = linked.filter(|l| l.market_id == market.id)
        && !queries.iter().any(|q| q.id == l.id)
    {
        queries.insert(0, l);
    }
    let more_queries = total - queries.len() as i64;
    let chosen = query
        .and_then(|q| queries.iter().find(|x| x.id.0 == q))
        .or_else(|| queries.iter().find(|q| q.side == Side::Us))
        .or(queries.first())
        .cloned();
    let end = match &chosen {
        Some(q) => volume_end(app, q).await?,
        None => voice_end(app, &market).await?,
    };
    let (span, period_error) = match period::resolve(period, end, 14) {
        Ok(span) => (span, None),
        Err(e) => (period::resolve(&RawPeriod::default(), end, 14)?, Some(e)),
    };
    let sov = voice(app, &market, span).await?;
    let alerts = app
        .store
        .spike_alerts(Some(&visible.market_ids()), 20)
        .await?;
    Ok(SignalsPage {
        visible,
        market,
        queries,
        more_queries,
        query: chosen,
        period: span,
        period_error,
        sov,
        alerts,
    })
}

/// First-response figures of one market and team, with the names to show.
#[derive(Debug, Clone)]
pub struct TeamResponse {
    pub stats: ResponseStats,
    /// The market's code.
    pub market: String,
    /// The team's name; `None` for queries no team owns.
    pub team: Option<String>,
}

/// First-response figures per market and team for conversations that reached the inbox in the
/// last `days` days (1–366, default 30), in the markets the caller reads.
pub async fn response_times(
    app: &App,
    caller: &Caller,
    days: Option<i64>,
) -> Result<Vec<TeamResponse>> {
    let visible = visible(app, caller).await?;
    times(app, &visible, days.unwrap_or(30)).await
}

async fn times(app: &App, visible: &Visible, days: i64) -> Result<Vec<TeamResponse>> {
    let since = chorus_store::now_ms() - days.clamp(1, 366) * DAY_MS;
    let teams = app.store.teams(None).await?;
    Ok(app
        .store
        .response_stats(visible.ids.as_deref(), since)
        .await?
        .into_iter()
        .map(|s| TeamResponse {
            market: code_of(&visible.all, s.market_id),
            team: s
                .team_id
                .and_then(|t| teams.iter().find(|x| x.id == t))
                .map(|t| t.name.clone()),
            stats: s,
        })
        .collect())
}

/// A market's first-response target on the Response times page.
#[derive(Debug, Clone)]
pub struct Target {
    pub market: Market,
    pub minutes: Option<i64>,
    /// Whether the caller may set it.
    pub can_set: bool,
}

/// The Response times page: the targets of the caller's markets and 30 days of figures.
#[derive(Debug, Clone)]
pub struct ResponsesPage {
    pub targets: Vec<Target>,
    pub stats: Vec<TeamResponse>,
    pub days: i64,
}

pub async fn responses_page(app: &App, caller: &Caller) -> Result<ResponsesPage> {
    let visible = visible(app, caller).await?;
    let settable = markets_allowing(caller, Action::SetResponseTarget, &visible.all);
    let mut targets = Vec::new();
    for m in &visible.markets {
        targets.push(Target {
            minutes: app.store.response_target(m.id).await?,
            can_set: settable.iter().any(|s| s.id == m.id),
            market: m.clone(),
        });
    }
    let days = 30;
    Ok(ResponsesPage {
        stats: times(app, &visible, days).await?,
        targets,
        days,
    })
}

/// Sets a market's first-response target (its leads, admins): `minutes` between 5 and 10080.
pub async fn set_response_target(
    app: &App,
    caller: &Caller,
    market: &str,
    minutes: &str,
) -> Result<()> {
    if market.trim().is_empty() {
        return Err(Error::invalid("market", "choose a market"));
    }
    let code = MarketCode::parse(market).map_err(|_| Error::NotFound("market"))?;
    let market = app.store.market_by_code(&code).await?;
    if !allows(
        &caller.actor,
        Action::SetResponseTarget,
        Scope::Market(market.id),
    ) {
        return Err(Error::forbidden(
            "only the market's leads (and admins) set its first-response target",
        ));
    }
    let minutes: i64 = minutes
        .trim()
        .parse()
        .map_err(|_| Error::invalid("minutes", "give a number of minutes, e.g. 60"))?;
    let minutes = response_target_minutes(minutes).map_err(|e| e.at("minutes"))?;
    app.store
        .set_response_target(&caller.author(), market.id, minutes)
        .await?;
    Ok(())
}

//! One published post's numbers: its snapshot curve (likes, reposts, replies and quotes as the
//! network reported them at each measurement since publication), its first-hour likes, its
//! clicks where Chorus counts them, and where it came from (story, campaign, account).
//!
//! The contract: who reads is `ReadNumbers` in the post's story's market; a post in a market
//! the caller may not read, a variant that does not exist and one not published are all
//! `NotFound` alike. The curve is the variant's stored snapshots (`Store::post_snapshots`,
//! a few dozen rows a post: +1 h, +24 h, +7 d, +30 d, then daily); clicks come from the
//! rollups, and are `None` — "not available" — while the rollups do not hold them.

use chorus_core::numbers::{Dimension, Grain, Metric, PostCounts};
use chorus_core::permission::allows;
use chorus_core::stories::limits::Network;
use chorus_core::{Action, Scope};
use chorus_store::{PubState, RollupQuery};

use super::{MetricInfo, metric_info, readable};
use crate::{App, Caller, Error, Result};

/// The counts the curve draws, in this order.
pub const CURVE_METRICS: [Metric; 4] = [
    Metric::Likes,
    Metric::Reposts,
    Metric::Replies,
    Metric::Quotes,
];

/// One measurement of the post.
#[derive(Debug, Clone, PartialEq)]
pub struct CurvePoint {
    pub fetched_at_ms: i64,
    /// When, in the market's zone ("2026-03-10 12:00").
    pub at_local: String,
    /// Hours since publication.
    pub hours: f64,
    pub counts: PostCounts,
}

/// A published post's numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct PostNumbers {
    pub variant_id: i64,
    pub story_id: i64,
    pub story_title: String,
    /// (id, name) of the story's campaign.
    pub campaign: Option<(i64, String)>,
    pub market_code: String,
    pub market_name: String,
    /// The market's IANA zone (times on the page are in it).
    pub market_zone: String,
    pub handle: String,
    pub network: String,
    pub locale: String,
    pub body: String,
    pub published_uri: Option<String>,
    pub published_at_ms: i64,
    /// When it was published, in the market's zone.
    pub published_local: String,
    /// Oldest first.
    pub curve: Vec<CurvePoint>,
    /// Each metric's latest reported count (`None`: never reported).
    pub latest: PostCounts,
    /// Likes given in the first hour, when the collector measured them.
    pub first_hour_likes: Option<i64>,
    /// Clicks through Chorus's redirect; `None`: not available (see `clicks_info`).
    pub clicks: Option<i64>,
    pub clicks_info: MetricInfo,
    /// The curve's metrics with their definitions and availability on this post's network.
    pub metrics: Vec<MetricInfo>,
}

/// The numbers of the published variant `variant_id`.
pub async fn post_numbers(app: &App, caller: &Caller, variant_id: i64) -> Result<PostNumbers> {
    readable(app, caller).await?;
    let not_found = |e: chorus_store::StoreError| match e {
        chorus_store::StoreError::NotFound { .. } => Error::NotFound("post"),
        e => e.into(),
    };
    let v = app.store.variant(variant_id).await.map_err(not_found)?;
    let story = app.store.story(v.story_id).await.map_err(not_found)?;
    if !allows(
        &caller.actor,
        Action::ReadNumbers,
        Scope::Market(story.market_id),
    ) {
        return Err(Error::NotFound("post"));
    }
    let published_at_ms = match (v.pub_state, v.published_at_ms) {
        (PubState::Published, Some(at)) => at,
        _ => return Err(Error::NotFound("post")),
    };
    let market = app.store.market(story.market_id).await?;
    let account = app.store.account(v.account_id).await?;
    let campaign = match story.campaign_id {
        Some(id) => Some((id, app.store.campaign(id).await?.name)),
        None => None,
    };
    let network = Network::parse(&account.network).ok();
    let networks: Vec<Network> = network.into_iter().collect();

    let zone = market.timezone.zone();
    let local = |ms: i64| {
        jiff::Timestamp::from_millisecond(ms)
            .map(|t| {
                t.to_zoned(zone.clone())
                    .strftime("%Y-%m-%d %H:%M")
                    .to_string()
            })
            .unwrap_or_default()
    };
    let snapshots = app.store.post_snapshots(v.id).await?;
    let mut latest = PostCounts::default();
    let curve = snapshots
        .iter()
        .map(|s| {
            for m in Metric::POST_COUNTS {
                if let Some(n) = s.counts.get(m) {
                    latest.set(m, Some(n));
                }
            }
            CurvePoint {
                fetched_at_ms: s.fetched_at_ms,
                at_local: local(s.fetched_at_ms),
                hours: (s.fetched_at_ms - published_at_ms) as f64 / 3_600_000.0,
                counts: s.counts,
            }
        })
        .collect();

    let clicks_info = metric_info(Metric::Clicks, &networks);
    let clicks = if clicks_info.available {
        let mut q = RollupQuery::new(Dimension::Post, Grain::Month);
        q.metrics = vec![Metric::Clicks];
        q.subjects = Some(vec![v.id.to_string()]);
        q.markets = Some(vec![story.market_id]);
        Some(app.store.rollups(&q).await?.iter().map(|r| r.value).sum())
    } else {
        None
    };
    Ok(PostNumbers {
        variant_id: v.id,
        story_id: story.id,
        story_title: story.title,
        campaign,
        market_code: market.code.to_string(),
        market_name: market.name,
        market_zone: market.timezone.as_str().to_owned(),
        handle: account.handle,
        network: account.network,
        locale: v.locale,
        body: v.body,
        published_uri: v.published_uri,
        published_at_ms,
        published_local: local(published_at_ms),
        curve,
        first_hour_likes: latest.first_hour_likes,
        latest,
        clicks,
        clicks_info,
        metrics: CURVE_METRICS
            .iter()
            .map(|m| metric_info(*m, &networks))
            .collect(),
    })
}

//! Conversation volume in the rollups: every post the ingest pipeline stores that a listening
//! query matched is one matched post, counted once per market whose queries matched it (two
//! queries of one market matching it count once), in the local day of its *post time* in that
//! market's zone (as the signals' hourly volume counts by post time), under the market and the
//! post's network. It is tallied while a batch is written and upserted in the batch's own
//! transaction (both ingest writers), so the rollups always hold exactly the matches stored.
//!
//! A post is stored once (its URI is unique) and its matches never change afterwards, so the
//! tally only ever adds. Deleting a listening query deletes its matches (`ON DELETE CASCADE`)
//! but not the volume already counted: the figure is "matched when it arrived".

use std::collections::BTreeMap;

use chorus_core::MarketId;
use chorus_core::conversations::QueryId;
use chorus_core::numbers::{Dimension, Grain, Metric, bucket_of};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use super::SOURCE_CONVERSATIONS;
use super::deltas::{Deltas, zone};
use crate::StoreError;

/// Every market's zone, read once per batch that matched anything.
pub(crate) const MARKET_ZONES: &str = "SELECT id, timezone FROM markets";

/// Matched posts per (market, network, local day) of one batch.
#[derive(Default)]
pub(crate) struct Volume {
    zones: BTreeMap<i64, TimeZone>,
    days: BTreeMap<(i64, String, Date), i64>,
}

impl Volume {
    /// A tally over markets with these `(id, IANA zone name)`s.
    pub fn new(markets: impl IntoIterator<Item = (i64, String)>) -> Result<Volume, StoreError> {
        let mut zones = BTreeMap::new();
        for (id, name) in markets {
            zones.insert(id, zone(&name)?);
        }
        Ok(Volume {
            zones,
            days: BTreeMap::new(),
        })
    }

    /// Counts one stored post on `network` posted at `posted_at_ms` that `matches` matched,
    /// once per market among them.
    pub fn add(&mut self, network: &str, posted_at_ms: i64, matches: &[(QueryId, MarketId)]) {
        let Ok(at) = Timestamp::from_millisecond(posted_at_ms) else {
            return;
        };
        let mut markets: Vec<i64> = matches.iter().map(|(_, m)| m.0).collect();
        markets.sort_unstable();
        markets.dedup();
        for market in markets {
            // A market deleted since the query matched has no zone and no rollups.
            let Some(zone) = self.zones.get(&market) else {
                continue;
            };
            let day = bucket_of(at, zone, Grain::Day);
            *self
                .days
                .entry((market, network.to_owned(), day))
                .or_default() += 1;
        }
    }

    /// The rollup changes of the tally, measured (stored) at `now_ms`; empty when nothing
    /// matched.
    pub fn deltas(&self, now_ms: i64) -> Deltas {
        let mut deltas = Deltas::default();
        for ((market, network, day), n) in &self.days {
            let subjects = [
                (Dimension::Market, market.to_string()),
                (Dimension::Network, network.clone()),
            ];
            deltas.add_day(*market, &subjects, *day, Metric::ConversationVolume, *n);
            deltas.measured_in(*market, network, &subjects, SOURCE_CONVERSATIONS, now_ms);
        }
        deltas
    }
}

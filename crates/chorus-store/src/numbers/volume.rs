//! Conversation volume in the rollups: every post the ingest pipeline stores that a listening
//! query matched is one matched post, counted once per market whose queries matched it (two
//! queries of one market matching it count once), in the local day of its *post time* in that
//! market's zone (as the signals' hourly volume counts by post time), under the market and the
//! post's network. It is tallied while a batch is written and upserted in the batch's own
//! transaction (both ingest writers), so the rollups always hold exactly the matches stored.
//!
//! The same tally counts the matched posts whose sentiment was positive and negative when they
//! arrived (`Sentiment::of` the stored compound score), so a market's sentiment share is read
//! from the rollups too. Corrections made in the inbox later do not change it.
//!
//! A post is stored once (its URI is unique) and its matches never change afterwards, so the
//! tally only ever adds. Deleting a listening query deletes its matches (`ON DELETE CASCADE`)
//! but not the volume already counted: the figure is "matched when it arrived".

use std::collections::BTreeMap;

use chorus_core::conversations::Sentiment;
use chorus_core::numbers::{Dimension, Grain, Metric, bucket_of, bucket_span};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use super::SOURCE_CONVERSATIONS;
use super::deltas::{Deltas, zone};
use crate::StoreError;

/// Every market's zone, read once per batch that matched anything.
pub(crate) const MARKET_ZONES: &str = "SELECT id, timezone FROM markets";

/// A local day's first instant, the next day's first instant (ms) and its date.
type DaySpan = (i64, i64, Date);

/// Matched posts per (market, network, local day) of one batch.
#[derive(Default)]
pub(crate) struct Volume {
    /// Each market's zone, and the span `[start, end)` in ms and date of the last local day a
    /// post fell in: a batch's posts are close in time, so most find their day without a
    /// conversion to local time.
    zones: BTreeMap<i64, (TimeZone, Option<DaySpan>)>,
    /// The networks seen, so a tally key holds an index rather than a copy of the name.
    networks: Vec<String>,
    /// Matched, positive and negative posts per (market, network, local day).
    days: BTreeMap<(i64, usize, Date), [i64; 3]>,
    /// When each (market, network) last stored a matched post.
    stored: BTreeMap<(i64, usize), i64>,
}

impl Volume {
    /// A tally over markets with these `(id, IANA zone name)`s.
    pub fn new(markets: impl IntoIterator<Item = (i64, String)>) -> Result<Volume, StoreError> {
        let mut zones = BTreeMap::new();
        for (id, name) in markets {
            zones.insert(id, (zone(&name)?, None));
        }
        Ok(Volume {
            zones,
            ..Volume::default()
        })
    }

    /// Counts one post on `network` posted at `posted_at_ms` and stored at `stored_at_ms`,
    /// scored `sentiment` (compound), that `matches` matched, once per market among them.
    pub fn add(
        &mut self,
        network: &str,
        posted_at_ms: i64,
        stored_at_ms: i64,
        sentiment: f64,
        matches: &[crate::ingest::QueryMatch],
    ) {
        let mood = match Sentiment::of(sentiment) {
            Sentiment::Positive => Some(1),
            Sentiment::Negative => Some(2),
            Sentiment::Neutral => None,
        };
        let net = match self.networks.iter().position(|n| n == network) {
            Some(i) => i,
            None => {
                self.networks.push(network.to_owned());
                self.networks.len() - 1
            }
        };
        for (i, market) in matches.iter().map(|m| m.market).enumerate() {
            if matches[..i].iter().any(|m| m.market == market) {
                continue;
            }
            // A market deleted since the query matched has no zone and no rollups.
            let Some((zone, last)) = self.zones.get_mut(&market.0) else {
                continue;
            };
            let day = match last {
                Some((start, end, day)) if (*start..*end).contains(&posted_at_ms) => *day,
                _ => {
                    let Ok(at) = Timestamp::from_millisecond(posted_at_ms) else {
                        return;
                    };
                    let day = bucket_of(at, zone, Grain::Day);
                    let (start, end) = bucket_span(day, zone, Grain::Day);
                    *last = Some((start.as_millisecond(), end.as_millisecond(), day));
                    day
                }
            };
            let counts = self.days.entry((market.0, net, day)).or_default();
            counts[0] += 1;
            if let Some(i) = mood {
                counts[i] += 1;
            }
            let stored = self.stored.entry((market.0, net)).or_insert(stored_at_ms);
            *stored = (*stored).max(stored_at_ms);
        }
    }

    /// The rollup changes of the tally (and when each market last stored a matched post on
    /// each network); empty when nothing matched.
    pub fn deltas(&self) -> Deltas {
        let mut deltas = Deltas::default();
        let subjects = |market: i64, net: usize| {
            [
                (Dimension::Market, market.to_string()),
                (Dimension::Network, self.networks[net].clone()),
            ]
        };
        const METRICS: [Metric; 3] = [
            Metric::ConversationVolume,
            Metric::PositiveConversations,
            Metric::NegativeConversations,
        ];
        for ((market, net, day), counts) in &self.days {
            let subjects = subjects(*market, *net);
            for (metric, n) in METRICS.into_iter().zip(counts) {
                if *n != 0 {
                    deltas.add_day(*market, &subjects, *day, metric, *n);
                }
            }
        }
        for ((market, net), at) in &self.stored {
            let subjects = subjects(*market, *net);
            let network = &self.networks[*net];
            deltas.measured_in(*market, network, &subjects, SOURCE_CONVERSATIONS, *at);
        }
        deltas
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The day cache gives every instant the day `bucket_of` gives it, across the daylight
    /// saving changes of a half-hour zone and in the order a batch may hold them; positive and
    /// negative posts are counted beside the volume (0.049 is neutral).
    #[test]
    fn cached_days_are_the_local_days() {
        let mut v = Volume::new([(1, "America/St_Johns".to_owned())]).unwrap();
        let zone = jiff::tz::db().get("America/St_Johns").unwrap();
        // From 7 March 2026 00:00Z, every 17 minutes for 40 days, back and forth.
        let base = 1_772_841_600_000i64;
        let mut want: BTreeMap<Date, [i64; 3]> = BTreeMap::new();
        for i in 0..3400i64 {
            let at = base + (if i % 3 == 0 { 3400 - i } else { i }) * 17 * 60_000;
            v.add(
                "bluesky",
                at,
                0,
                [0.6, 0.0, -0.3, 0.049][(i % 4) as usize],
                &[
                    (
                        chorus_core::conversations::QueryId(1),
                        chorus_core::MarketId(1),
                    )
                        .into(),
                    (
                        chorus_core::conversations::QueryId(2),
                        chorus_core::MarketId(1),
                    )
                        .into(),
                ],
            );
            let t = Timestamp::from_millisecond(at).unwrap();
            let day = want.entry(bucket_of(t, &zone, Grain::Day)).or_default();
            day[0] += 1;
            match i % 4 {
                0 => day[1] += 1,
                2 => day[2] += 1,
                _ => {}
            }
        }
        let got: BTreeMap<Date, [i64; 3]> = v.days.iter().map(|((_, _, d), n)| (*d, *n)).collect();
        assert_eq!(got, want);
    }
}

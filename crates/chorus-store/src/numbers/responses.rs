//! First responses in the rollups: when a conversation gets its first reply from Chorus
//! (`Store::mark_reply_sent` sets `first_response_at`), each market whose queries matched it
//! counts one first response on the reply's local day in that market's zone, under the market
//! and the post's network, with the whole minutes from the conversation reaching the inbox to
//! the reply (summed, so a reader divides by the count for the mean) and whether that was within
//! the market's first-response target then. A market without a target counts the response and
//! its minutes but none within target. It is written in the transaction that records the reply,
//! so the rollups hold exactly the first responses stored; the clock is the one
//! `Store::response_stats` uses (`created_at` to `first_response_at`).

use chorus_core::conversations::{FirstResponse, Status, first_response};
use chorus_core::numbers::{Dimension, Grain, Metric, bucket_of};
use jiff::Timestamp;
use sqlx::{AnyConnection, Row};

use super::SOURCE_RESPONSES;
use super::deltas::{Deltas, zone};
use crate::StoreError;

/// The markets that matched a conversation, each with its zone and target, and the post's
/// network.
const MARKETS_OF: &str = "SELECT DISTINCT m.market_id, k.timezone, r.minutes, p.network \
    FROM conversation_matches m JOIN markets k ON k.id = m.market_id \
    JOIN posts p ON p.id = m.conversation_id \
    LEFT JOIN response_targets r ON r.market_id = m.market_id \
    WHERE m.conversation_id = $1 ORDER BY m.market_id";

/// Whole minutes (rounded to the nearest) between two instants in ms.
pub(crate) fn minutes_between(from_ms: i64, to_ms: i64) -> i64 {
    (to_ms - from_ms).max(0).saturating_add(30_000) / 60_000
}

/// Adds conversation `conversation`'s first response at `answered_ms` (it reached the inbox
/// at `created_ms`) to `deltas`.
pub(crate) async fn add_first_response(
    conn: &mut AnyConnection,
    deltas: &mut Deltas,
    conversation: i64,
    created_ms: i64,
    answered_ms: i64,
) -> Result<(), StoreError> {
    let Ok(at) = Timestamp::from_millisecond(answered_ms) else {
        return Ok(());
    };
    let rows = sqlx::query(MARKETS_OF)
        .bind(conversation)
        .fetch_all(&mut *conn)
        .await?;
    for r in rows {
        let market: i64 = r.try_get("market_id")?;
        let tz: String = r.try_get("timezone")?;
        let target: Option<i64> = r.try_get("minutes")?;
        let network: String = r.try_get("network")?;
        let day = bucket_of(at, &zone(&tz)?, Grain::Day);
        let subjects = [
            (Dimension::Market, market.to_string()),
            (Dimension::Network, network.clone()),
        ];
        deltas.add_day(market, &subjects, day, Metric::FirstResponses, 1);
        let minutes = minutes_between(created_ms, answered_ms);
        deltas.add_day(
            market,
            &subjects,
            day,
            Metric::FirstResponseMinutes,
            minutes,
        );
        // Within target by the inbox's own clock (`chorus_core::conversations::first_response`).
        let clock = first_response(
            created_ms,
            Some(answered_ms),
            Status::Waiting,
            answered_ms,
            target,
        );
        if matches!(
            clock,
            FirstResponse::Answered {
                within: Some(true),
                ..
            }
        ) {
            deltas.add_day(
                market,
                &subjects,
                day,
                Metric::FirstResponsesWithinTarget,
                1,
            );
        }
        deltas.measured_in(market, &network, &subjects, SOURCE_RESPONSES, answered_ms);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::minutes_between;

    #[test]
    fn minutes_round_to_the_nearest_and_never_go_negative() {
        assert_eq!(minutes_between(0, 29_999), 0);
        assert_eq!(minutes_between(0, 30_000), 1);
        assert_eq!(minutes_between(0, 90 * 60_000 + 10), 90);
        assert_eq!(minutes_between(5_000, 0), 0);
    }
}

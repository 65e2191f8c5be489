//! First-response times: each market's target, and how conversations and teams did against it.
//! A conversation's clock starts when it reached the inbox (`created_at`) and stops at the first
//! reply sent from Chorus; one marked done without a reply is never overdue (core's
//! `conversations::first_response` is the same rule for one conversation).

use chorus_core::audit::Author;
use chorus_core::{MarketId, TeamId};
use sqlx::Row;

use crate::audit::{self, Applied, Change, Lock};
use crate::{Store, StoreError, now_ms};

/// How one team (or the queries without a team) did in one market.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseStats {
    pub market_id: MarketId,
    /// `None`: conversations found by queries that no team owns.
    pub team_id: Option<TeamId>,
    pub conversations: i64,
    pub responded: i64,
    /// Mean minutes to the first response, over those answered.
    pub mean_minutes: Option<f64>,
    /// Answered within the market's target.
    pub within_target: i64,
    /// Not answered, not done, and already past the target.
    pub overdue: i64,
    pub target_minutes: Option<i64>,
}

impl Store {
    /// Sets (or replaces) a market's first-response target.
    pub async fn set_response_target(
        &self,
        author: &Author,
        market: MarketId,
        minutes: i64,
    ) -> Result<(), StoreError> {
        audit::write(
            self,
            author,
            Lock::id("markets", market.0),
            async |c| {
                let row = sqlx::query("SELECT minutes FROM response_targets WHERE market_id = $1")
                    .bind(market.0)
                    .fetch_optional(&mut *c)
                    .await?;
                Ok(row.map(|r| r.try_get::<i64, _>("minutes")).transpose()?)
            },
            async |c, before| {
                let n = sqlx::query(
                    "INSERT INTO response_targets (market_id, minutes, updated_at) \
                     VALUES ($1, $2, $3) ON CONFLICT (market_id) DO UPDATE \
                     SET minutes = excluded.minutes, updated_at = excluded.updated_at",
                )
                .bind(market.0)
                .bind(minutes)
                .bind(now_ms())
                .execute(&mut *c)
                .await
                .map_err(|e| {
                    if crate::error::is_foreign_key_violation(&e) {
                        StoreError::Reference("the market does not exist".into())
                    } else {
                        e.into()
                    }
                })?
                .rows_affected();
                let change = Change {
                    action: "response_target.set",
                    subject_type: "market",
                    subject_id: market.to_string(),
                    market: Some(market),
                    before: before.map(|m| serde_json::json!({ "first_response_minutes": m })),
                    after: Some(serde_json::json!({ "first_response_minutes": minutes })),
                };
                Ok(Applied::rows(n, 1, ()).audit(change))
            },
            async |_, _| StoreError::NotFound { what: "market" },
        )
        .await
    }

    pub async fn response_target(&self, market: MarketId) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query("SELECT minutes FROM response_targets WHERE market_id = $1")
            .bind(market.0)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| r.try_get("minutes")).transpose()?)
    }

    /// First-response figures per (market, team) for conversations that reached the inbox at
    /// or after `since_ms`, for the given markets (`None`: all).
    pub async fn response_stats(
        &self,
        markets: Option<&[MarketId]>,
        since_ms: i64,
    ) -> Result<Vec<ResponseStats>, StoreError> {
        let now = now_ms();
        let rows = sqlx::query(
            "SELECT t.market_id, t.team_id, COUNT(*) AS n, \
             CAST(SUM(CASE WHEN t.first_response_at IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS responded, \
             CAST(AVG(CASE WHEN t.first_response_at IS NOT NULL \
                 THEN (t.first_response_at - t.created_at) / 60000.0 END) AS DOUBLE PRECISION) AS mean_min, \
             CAST(SUM(CASE WHEN r.minutes IS NOT NULL AND t.first_response_at IS NOT NULL \
                 AND t.first_response_at - t.created_at <= r.minutes * 60000 THEN 1 ELSE 0 END) AS BIGINT) AS within, \
             CAST(SUM(CASE WHEN r.minutes IS NOT NULL AND t.first_response_at IS NULL \
                 AND t.status <> 'done' \
                 AND $2 - t.created_at > r.minutes * 60000 THEN 1 ELSE 0 END) AS BIGINT) AS overdue, \
             MAX(r.minutes) AS target \
             FROM (SELECT DISTINCT m.market_id, q.team_id, c.id, c.created_at, c.first_response_at, c.status \
                   FROM conversations c JOIN conversation_matches m ON m.conversation_id = c.id \
                   JOIN listening_queries q ON q.id = m.query_id WHERE c.created_at >= $1) t \
             LEFT JOIN response_targets r ON r.market_id = t.market_id \
             GROUP BY t.market_id, t.team_id ORDER BY t.market_id, t.team_id",
        )
        .bind(since_ms)
        .bind(now)
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::new();
        for r in rows {
            let market = MarketId(r.try_get("market_id")?);
            if markets.is_some_and(|ms| !ms.contains(&market)) {
                continue;
            }
            out.push(ResponseStats {
                market_id: market,
                team_id: r.try_get::<Option<i64>, _>("team_id")?.map(TeamId),
                conversations: r.try_get("n")?,
                responded: r.try_get("responded")?,
                mean_minutes: r.try_get("mean_min")?,
                within_target: r.try_get("within")?,
                overdue: r.try_get("overdue")?,
                target_minutes: r.try_get("target")?,
            });
        }
        Ok(out)
    }
}

//! Work left by migrations that SQL alone cannot do, run by [`Store::migrate`] after them.
//!
//! `event_rollups` (migrations 0014 and 0020): clicks, matched posts and first responses were
//! stored before they were rolled up where they are recorded. Their rollups need each market's
//! IANA zone, which SQLite cannot apply, so they are made here: in one transaction, the task's
//! row is taken (deleted), any rollups and last-measured rows of clicks and the conversation
//! metrics are cleared, and all are recomputed from `link_clicks`, `conversation_matches` (with
//! each post's sentiment) and `conversations.first_response_at` exactly as the writers add them
//! (`roll_up_click`'s subjects; [`Volume`]'s days; `add_first_response`). A first response's
//! "within target" is judged against the market's target now, the only one kept. A second process finding the row gone does
//! nothing, and a crash leaves the row for the next start. The rows are read in one go: an
//! installation with millions of clicks spends that memory once, at the upgrade.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use chorus_core::MarketId;
use chorus_core::conversations::QueryId;
use chorus_core::numbers::Metric;
use sqlx::Row;

use super::{Deltas, Dims, MARKET_ZONES, SOURCE_CLICKS, Volume, post_dims};
use crate::audit::{self, Lock};
use crate::{Store, StoreError};

const EVENT_ROLLUPS: &str = "event_rollups";

impl Store {
    /// Recomputes the rollups of clicks and conversation volume from the stored clicks and
    /// matches (what migration 0014 left to do, on demand): the same figures the writers keep,
    /// so it changes nothing unless they were lost. Returns how many people's clicks and
    /// (post, market) matches it rolled up.
    pub async fn rebuild_event_rollups(&self) -> Result<(usize, usize), StoreError> {
        sqlx::query("INSERT INTO numbers_pending (task) VALUES ($1) ON CONFLICT (task) DO NOTHING")
            .bind(EVENT_ROLLUPS)
            .execute(self.pool())
            .await?;
        self.numbers_pending().await
    }

    /// Runs the numbers work migrations left (see the module's docs); nothing when none is.
    /// Returns how many clicks and matches it rolled up.
    pub(crate) async fn numbers_pending(&self) -> Result<(usize, usize), StoreError> {
        let pending = sqlx::query("SELECT task FROM numbers_pending")
            .fetch_all(self.pool())
            .await?;
        if pending.is_empty() {
            return Ok((0, 0));
        }
        let mut tx = audit::begin(self, &Lock::nothing()).await?;
        let taken = sqlx::query("DELETE FROM numbers_pending WHERE task = $1")
            .bind(EVENT_ROLLUPS)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if taken == 0 {
            return Ok((0, 0));
        }
        let mut clear =
            sqlx::query("DELETE FROM numbers_rollups WHERE metric IN ($1, $2, $3, $4, $5, $6, $7)")
                .bind(Metric::Clicks.name());
        for m in Metric::CONVERSATIONS {
            clear = clear.bind(m.name());
        }
        clear.execute(&mut *tx).await?;
        sqlx::query("DELETE FROM numbers_measured WHERE source IN ($1, $2, $3)")
            .bind(SOURCE_CLICKS)
            .bind(super::SOURCE_CONVERSATIONS)
            .bind(super::SOURCE_RESPONSES)
            .execute(&mut *tx)
            .await?;

        let mut deltas = Deltas::default();
        let clicks = sqlx::query(
            "SELECT l.variant_id, c.at FROM link_clicks c JOIN links l ON l.id = c.link_id \
             WHERE c.bot = 0 ORDER BY l.variant_id, c.at",
        )
        .fetch_all(&mut *tx)
        .await?;
        let mut dims_of: BTreeMap<i64, Dims> = BTreeMap::new();
        for r in &clicks {
            let variant: i64 = r.try_get("variant_id")?;
            let at: i64 = r.try_get("at")?;
            let dims = match dims_of.entry(variant) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(e) => e.insert(post_dims(&mut tx, variant).await?.0),
            };
            deltas.add(dims, Metric::Clicks, at, 1);
            deltas.measured(dims, SOURCE_CLICKS, at);
        }
        deltas.write(&mut tx, self.backend()).await?;

        let zones = sqlx::query(MARKET_ZONES)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("timezone")?)))
            .collect::<Result<Vec<(i64, String)>, StoreError>>()?;
        let mut volume = Volume::new(zones)?;
        let matched = sqlx::query(
            "SELECT DISTINCT m.conversation_id, m.market_id, p.network, p.posted_at, p.sentiment, \
             c.created_at \
             FROM conversation_matches m JOIN conversations c ON c.id = m.conversation_id \
             JOIN posts p ON p.id = m.conversation_id ORDER BY p.posted_at",
        )
        .fetch_all(&mut *tx)
        .await?;
        for r in &matched {
            let network: String = r.try_get("network")?;
            let market = MarketId(r.try_get("market_id")?);
            volume.add(
                &network,
                r.try_get("posted_at")?,
                r.try_get("created_at")?,
                r.try_get("sentiment")?,
                &[(QueryId(0), market).into()],
            );
        }
        volume.deltas().write(&mut tx, self.backend()).await?;

        let answered = sqlx::query(
            "SELECT id, created_at, first_response_at FROM conversations \
             WHERE first_response_at IS NOT NULL ORDER BY id",
        )
        .fetch_all(&mut *tx)
        .await?;
        let mut responses = Deltas::default();
        for r in &answered {
            super::add_first_response(
                &mut tx,
                &mut responses,
                r.try_get("id")?,
                r.try_get("created_at")?,
                r.try_get("first_response_at")?,
            )
            .await?;
        }
        responses.write(&mut tx, self.backend()).await?;
        tx.commit().await?;
        tracing::info!(
            clicks = clicks.len(),
            matched = matched.len(),
            answered = answered.len(),
            "numbers: rolled up the clicks, matched posts and first responses stored before"
        );
        Ok((clicks.len(), matched.len()))
    }
}

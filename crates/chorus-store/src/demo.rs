//! The demo organization's publications (`chorus serve --demo`): demo accounts are connected to
//! no network, so nothing they hold was ever really published; the demo loader still gives
//! them a published history so that Numbers has something to show a newcomer.
//!
//! The contract: only a story whose every variant belongs to a **demo account**
//! (`accounts.demo`, migration 0011) can be recorded published here, so a real account's
//! publication only ever comes from the publisher (`publishing.rs`). The demo mark is what the
//! pages read to label generated figures as such, and what keeps the collector away from
//! those posts (`publications_due`, `accounts_due_followers`); connecting an account clears it.

use chorus_core::audit::Author;
use sqlx::Row;

use crate::audit::{self, Applied, Change, Lock};
use crate::{Store, StoreError};

/// A demo variant's publication: where it "went" and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoPublication {
    pub variant_id: i64,
    pub uri: String,
    pub published_at_ms: i64,
}

/// Why a story cannot be recorded published by the demo.
const NOT_DEMO: &str = "only a story whose every variant is on a demo account can be recorded \
    published without publishing it";

impl Store {
    /// Marks account `id` a demo account (see the module's documentation); audited.
    pub async fn mark_demo_account(&self, author: &Author, id: i64) -> Result<(), StoreError> {
        audit::write(
            self,
            author,
            Lock::id("accounts", id),
            async |c| {
                let row = sqlx::query("SELECT market_id FROM accounts WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *c)
                    .await?
                    .ok_or(StoreError::NotFound { what: "account" })?;
                Ok(row.try_get::<i64, _>("market_id")?)
            },
            async |c, market| {
                let n = sqlx::query("UPDATE accounts SET demo = 1 WHERE id = $1")
                    .bind(id)
                    .execute(&mut *c)
                    .await?
                    .rows_affected();
                let change = Change {
                    action: "account.demo",
                    subject_type: "account",
                    subject_id: id.to_string(),
                    market: Some(chorus_core::MarketId(*market)),
                    before: None,
                    after: Some(serde_json::json!({"demo": true})),
                };
                Ok(Applied::rows(n, 1, ()).audit(change))
            },
            async |_, _| StoreError::NotFound { what: "account" },
        )
        .await
    }

    /// Records story `story` published as `published` says, every variant of it (no more, no
    /// fewer), in one audited transaction. `State` (and nothing written) when a variant is not
    /// on a demo account, is already published, or the list is not the story's variants.
    pub async fn publish_demo_story(
        &self,
        author: &Author,
        story: i64,
        published: &[DemoPublication],
    ) -> Result<(), StoreError> {
        audit::write(
            self,
            author,
            Lock::id("stories", story).then("SELECT id FROM variants WHERE story_id = $1"),
            async |c| {
                let row = sqlx::query("SELECT market_id FROM stories WHERE id = $1")
                    .bind(story)
                    .fetch_optional(&mut *c)
                    .await?
                    .ok_or(StoreError::NotFound { what: "story" })?;
                let market: i64 = row.try_get("market_id")?;
                let ids = sqlx::query("SELECT id FROM variants WHERE story_id = $1 ORDER BY id")
                    .bind(story)
                    .fetch_all(&mut *c)
                    .await?
                    .iter()
                    .map(|r| r.try_get::<i64, _>("id"))
                    .collect::<Result<Vec<_>, _>>()?;
                let mut given: Vec<i64> = published.iter().map(|p| p.variant_id).collect();
                given.sort_unstable();
                if ids.is_empty() || ids != given {
                    return Err(StoreError::State(NOT_DEMO.into()));
                }
                Ok(market)
            },
            async |c, market| {
                let mut n = 0;
                for p in published {
                    n += sqlx::query(
                        "UPDATE variants SET pub_state = 'published', published_uri = $1, \
                         published_at = $2, scheduled_at = $2, updated_at = $2 \
                         WHERE id = $3 AND story_id = $4 AND pub_state <> 'published' \
                         AND account_id IN (SELECT id FROM accounts WHERE demo = 1)",
                    )
                    .bind(&p.uri)
                    .bind(p.published_at_ms)
                    .bind(p.variant_id)
                    .bind(story)
                    .execute(&mut *c)
                    .await?
                    .rows_affected();
                }
                let last = published.iter().map(|p| p.published_at_ms).max();
                sqlx::query(
                    "UPDATE stories SET state = 'published', updated_at = $1 WHERE id = $2",
                )
                .bind(last)
                .bind(story)
                .execute(&mut *c)
                .await?;
                let change = Change {
                    action: "story.demo_published",
                    subject_type: "story",
                    subject_id: story.to_string(),
                    market: Some(chorus_core::MarketId(*market)),
                    before: None,
                    after: Some(serde_json::json!({"variants": published.len()})),
                };
                Ok(Applied::rows(n, published.len() as u64, ()).audit(change))
            },
            async |_, _| StoreError::State(NOT_DEMO.into()),
        )
        .await
    }
}

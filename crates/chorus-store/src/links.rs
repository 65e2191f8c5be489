//! Click redirects (`/l/{code}`): the codes of the links each published variant holds, and
//! their clicks.
//!
//! A variant's links get their codes when it is published ([`Store::variant_links`]): once per
//! variant and target, in one transaction that takes the variant's locks like every writer of
//! stories, and reused by every later call, so a retried publish sends the same text. Only a
//! link the variant's own text holds gets a code (read inside that transaction, found with
//! `chorus_core::links::find`): a redirect can only ever lead where a variant pointed.
//!
//! A click is one row (`link_clicks`: the link, the instant, bot or person) written by one
//! INSERT, so concurrent clicks never lose a count on either backend; a person's click adds to
//! Numbers' rollups in the same transaction (`numbers::roll_up_click`), so a report's clicks are
//! always the clicks stored.

use chorus_core::links::{self, LinkCode};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit;
use crate::story_guard::lock_variant;
use crate::{Store, StoreError, now_ms};

/// A redirect: its code, the variant it belongs to and where it forwards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    pub id: i64,
    pub code: String,
    pub variant_id: i64,
    /// The link exactly as the variant's text holds it (UTM tags included).
    pub target: String,
    pub created_at_ms: i64,
}

/// A redirect with its clicks so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkClicks {
    pub link: Link,
    /// Clicks by people (user agents that are not bots).
    pub human: i64,
    /// Clicks by bots (`chorus_core::links::is_bot`).
    pub bot: i64,
}

const LINK_COLUMNS: &str = "id, code, variant_id, target, created_at";

/// How many fresh codes a target is given before giving up: a collision of 10 random base62
/// characters is already a one in 10^17 event.
const CODE_ATTEMPTS: usize = 4;

fn link_from_row(r: &AnyRow) -> Result<Link, StoreError> {
    Ok(Link {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        variant_id: r.try_get("variant_id")?,
        target: r.try_get("target")?,
        created_at_ms: r.try_get("created_at")?,
    })
}

impl Store {
    /// The redirects of `targets` (links of variant `variant`'s text), in their order: each
    /// target's code if it has one, a new one otherwise. A target the variant's text does not
    /// hold is refused (`Reference`) and nothing is created; an unknown variant is `NotFound`.
    pub async fn variant_links(
        &self,
        variant: i64,
        targets: &[String],
    ) -> Result<Vec<Link>, StoreError> {
        let mut tx = audit::begin(self, &lock_variant(variant)).await?;
        let body: String = sqlx::query("SELECT body FROM variants WHERE id = $1")
            .bind(variant)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound { what: "variant" })?
            .try_get("body")?;
        let held: Vec<&str> = links::find(&body)
            .iter()
            .map(|f| &body[f.start..f.end])
            .collect();
        if let Some(t) = targets.iter().find(|t| !held.contains(&t.as_str())) {
            return Err(StoreError::Reference(format!(
                "variant {variant}'s text holds no link {t:?}"
            )));
        }
        let select =
            format!("SELECT {LINK_COLUMNS} FROM links WHERE variant_id = $1 AND target = $2");
        let mut out = Vec::with_capacity(targets.len());
        for target in targets {
            let mut found = None;
            for _ in 0..CODE_ATTEMPTS {
                if let Some(row) = sqlx::query(&select)
                    .bind(variant)
                    .bind(target)
                    .fetch_optional(&mut *tx)
                    .await?
                {
                    found = Some(link_from_row(&row)?);
                    break;
                }
                // A code taken by another link (or this target made meanwhile) inserts nothing
                // and the next round reads or tries again.
                sqlx::query(
                    "INSERT INTO links (code, variant_id, target, created_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                )
                .bind(LinkCode::random().as_str())
                .bind(variant)
                .bind(target)
                .bind(now_ms())
                .execute(&mut *tx)
                .await?;
            }
            let link = match found {
                Some(l) => l,
                None => link_from_row(
                    &sqlx::query(&select)
                        .bind(variant)
                        .bind(target)
                        .fetch_optional(&mut *tx)
                        .await?
                        .ok_or_else(|| {
                            StoreError::corrupt("link codes", "no free code after several tries")
                        })?,
                )?,
            };
            out.push(link);
        }
        tx.commit().await?;
        Ok(out)
    }

    /// The redirect with this code, if there is one.
    pub async fn link(&self, code: &LinkCode) -> Result<Option<Link>, StoreError> {
        let row = sqlx::query(&format!("SELECT {LINK_COLUMNS} FROM links WHERE code = $1"))
            .bind(code.as_str())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(link_from_row).transpose()
    }

    /// Counts one click on link `link` at `at_ms`, a bot's or a person's: one INSERT, and for a
    /// person's click, +1 click in the rollups of the link's post (its post, story, campaign,
    /// account, market, network and principles, by day, week and month in the market's zone),
    /// in the same transaction. Bots' clicks are kept but not rolled up (the metric excludes
    /// them). `NotFound` when the link is gone.
    pub async fn record_click(&self, link: i64, bot: bool, at_ms: i64) -> Result<(), StoreError> {
        let mut tx = audit::begin(self, &audit::Lock::nothing()).await?;
        let variant: i64 = sqlx::query("SELECT variant_id FROM links WHERE id = $1")
            .bind(link)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound { what: "link" })?
            .try_get("variant_id")?;
        sqlx::query("INSERT INTO link_clicks (link_id, at, bot) VALUES ($1, $2, $3)")
            .bind(link)
            .bind(at_ms)
            .bind(i64::from(bot))
            .execute(&mut *tx)
            .await?;
        if !bot {
            crate::numbers::roll_up_click(&mut tx, self.backend(), variant, at_ms).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every redirect of variant `variant` with its clicks, in the order they were made.
    pub async fn link_clicks(&self, variant: i64) -> Result<Vec<LinkClicks>, StoreError> {
        let rows = sqlx::query(
            "SELECT l.id, l.code, l.variant_id, l.target, l.created_at, \
             COUNT(c.id) AS total, CAST(COALESCE(SUM(c.bot), 0) AS BIGINT) AS bots \
             FROM links l LEFT JOIN link_clicks c ON c.link_id = l.id \
             WHERE l.variant_id = $1 \
             GROUP BY l.id, l.code, l.variant_id, l.target, l.created_at ORDER BY l.id",
        )
        .bind(variant)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let total: i64 = r.try_get("total")?;
                let bot: i64 = r.try_get("bots")?;
                Ok(LinkClicks {
                    link: link_from_row(r)?,
                    human: total - bot,
                    bot,
                })
            })
            .collect()
    }
}

//! Outbound webhooks: the endpoints admins subscribe (audited), and — in `outbox.rs` — the
//! events recorded in the transaction of the change that caused them, their deliveries, each
//! with its `deliver_webhook` job, and the log of attempts.
//!
//! The store has no rules about who may manage endpoints or which addresses they may point at:
//! `chorus-app` checks both (admins only; the outbound guard's policy). It holds no secret:
//! an endpoint keeps the salt its signing secret is derived from (`chorus_core::webhooks`).

pub(crate) mod events;
mod outbox;

use chorus_core::MarketId;
use chorus_core::audit::Author;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::audit::{self, Applied, Change, Lock, snapshot};
use crate::{Store, StoreError, now_ms};

pub(crate) use outbox::record_event;
pub use outbox::{
    AttemptRecord, AttemptResult, DeliveryState, NewEvent, PendingDelivery, WEBHOOK_JOB,
    WebhookAttempt, WebhookDelivery, webhook_job_key,
};

/// A subscribed endpoint as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebhookEndpoint {
    pub id: i64,
    pub name: String,
    pub url: String,
    /// `None`: every market.
    pub market_id: Option<MarketId>,
    /// Event type names (`story.approved`, …), as subscribed.
    pub events: Vec<String>,
    /// What its signing secret is derived from (never shown; the audit log leaves it out).
    #[serde(skip)]
    pub secret_salt: String,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub disabled_at_ms: Option<i64>,
    /// Failed attempts since the last success.
    pub consecutive_failures: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

impl WebhookEndpoint {
    /// Whether an event of type `event_type` in `market` goes to this endpoint (enabled or not).
    pub fn wants(&self, event_type: &str, market: Option<MarketId>) -> bool {
        self.events.iter().any(|e| e == event_type)
            && (self.market_id.is_none() || self.market_id == market)
    }
}

/// What an admin sets on an endpoint (validated by the caller).
#[derive(Debug, Clone)]
pub struct EndpointInput<'a> {
    pub name: &'a str,
    pub url: &'a str,
    pub market_id: Option<MarketId>,
    pub events: &'a [&'a str],
    pub enabled: bool,
}

const COLUMNS: &str = "id, name, url, market_id, events, secret_salt, enabled, disabled_reason, \
     disabled_at, consecutive_failures, created_at, updated_at";

fn from_row(r: &AnyRow) -> Result<WebhookEndpoint, StoreError> {
    let events: String = r.try_get("events")?;
    Ok(WebhookEndpoint {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        url: r.try_get("url")?,
        market_id: r.try_get::<Option<i64>, _>("market_id")?.map(MarketId),
        events: events
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        secret_salt: r.try_get("secret_salt")?,
        enabled: r.try_get::<i64, _>("enabled")? != 0,
        disabled_reason: r.try_get("disabled_reason")?,
        disabled_at_ms: r.try_get("disabled_at")?,
        consecutive_failures: r.try_get("consecutive_failures")?,
        created_at_ms: r.try_get("created_at")?,
        updated_at_ms: r.try_get("updated_at")?,
    })
}

pub(crate) async fn load(conn: &mut AnyConnection, id: i64) -> Result<WebhookEndpoint, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM webhook_endpoints WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound { what: "webhook" })?;
    from_row(&row)
}

/// The enabled endpoints, for fanning an event out.
pub(crate) async fn enabled(conn: &mut AnyConnection) -> Result<Vec<WebhookEndpoint>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM webhook_endpoints WHERE enabled = 1 ORDER BY id"
    ))
    .fetch_all(conn)
    .await?;
    rows.iter().map(from_row).collect()
}

fn reference(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
            StoreError::Reference("that market does not exist".into())
        }
        _ => e.into(),
    }
}

impl Store {
    /// Every endpoint, oldest first.
    pub async fn webhooks(&self) -> Result<Vec<WebhookEndpoint>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM webhook_endpoints ORDER BY id"
        ))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// Endpoint `id` (`NotFound` when there is none).
    pub async fn webhook(&self, id: i64) -> Result<WebhookEndpoint, StoreError> {
        let mut conn = self.pool().acquire().await?;
        load(&mut conn, id).await
    }

    /// Subscribes a new endpoint whose secret derives from `salt` (audited `webhook.create`).
    pub async fn create_webhook(
        &self,
        author: &Author,
        input: &EndpointInput<'_>,
        salt: &str,
    ) -> Result<WebhookEndpoint, StoreError> {
        audit::write(
            self,
            author,
            Lock::nothing(),
            async |_| Ok(()),
            async |c, _| {
                let now = now_ms();
                let id: i64 = sqlx::query(
                    "INSERT INTO webhook_endpoints (name, url, market_id, events, secret_salt, \
                     enabled, consecutive_failures, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $7) RETURNING id",
                )
                .bind(input.name)
                .bind(input.url)
                .bind(input.market_id.map(|m| m.0))
                .bind(input.events.join(","))
                .bind(salt)
                .bind(i64::from(input.enabled))
                .bind(now)
                .fetch_one(&mut *c)
                .await
                .map_err(reference)?
                .try_get("id")?;
                let created = load(c, id).await?;
                let change = Change {
                    action: "webhook.create",
                    subject_type: "webhook",
                    subject_id: id.to_string(),
                    market: input.market_id,
                    before: None,
                    after: snapshot(&created),
                };
                Ok(Applied::rows(1, 1, created).audit(change))
            },
            async |_, _| StoreError::NotFound { what: "webhook" },
        )
        .await
    }

    /// Changes an endpoint (audited `webhook.update`). Turning one on clears why it was off and
    /// its count of failures; turning one off records `"turned off by an admin"`.
    pub async fn update_webhook(
        &self,
        author: &Author,
        id: i64,
        input: &EndpointInput<'_>,
    ) -> Result<WebhookEndpoint, StoreError> {
        audit::write(
            self,
            author,
            Lock::id("webhook_endpoints", id),
            async |c| load(c, id).await,
            async |c, before| {
                let now = now_ms();
                let (reason, at, failures) = match (before.enabled, input.enabled) {
                    (_, true) => (None, None, 0),
                    (true, false) => (Some("turned off by an admin".to_owned()), Some(now), 0),
                    (false, false) => (
                        before.disabled_reason.clone(),
                        before.disabled_at_ms,
                        before.consecutive_failures,
                    ),
                };
                let failures = if before.enabled && input.enabled {
                    before.consecutive_failures
                } else {
                    failures
                };
                let n = sqlx::query(
                    "UPDATE webhook_endpoints SET name = $1, url = $2, market_id = $3, \
                     events = $4, enabled = $5, disabled_reason = $6, disabled_at = $7, \
                     consecutive_failures = $8, updated_at = $9 WHERE id = $10",
                )
                .bind(input.name)
                .bind(input.url)
                .bind(input.market_id.map(|m| m.0))
                .bind(input.events.join(","))
                .bind(i64::from(input.enabled))
                .bind(reason)
                .bind(at)
                .bind(failures)
                .bind(now)
                .bind(id)
                .execute(&mut *c)
                .await
                .map_err(reference)?
                .rows_affected();
                let after = load(c, id).await?;
                let change = Change {
                    action: "webhook.update",
                    subject_type: "webhook",
                    subject_id: id.to_string(),
                    market: after.market_id.or(before.market_id),
                    before: snapshot(before),
                    after: snapshot(&after),
                };
                Ok(Applied::rows(n, 1, after).audit(change))
            },
            async |_, _| StoreError::NotFound { what: "webhook" },
        )
        .await
    }

    /// Gives an endpoint a new secret, derived from `salt` (audited `webhook.rotate_secret`,
    /// without the salt). Deliveries already queued are signed with the new one.
    pub async fn rotate_webhook_secret(
        &self,
        author: &Author,
        id: i64,
        salt: &str,
    ) -> Result<WebhookEndpoint, StoreError> {
        audit::write(
            self,
            author,
            Lock::id("webhook_endpoints", id),
            async |c| load(c, id).await,
            async |c, before| {
                let n = sqlx::query(
                    "UPDATE webhook_endpoints SET secret_salt = $1, updated_at = $2 WHERE id = $3",
                )
                .bind(salt)
                .bind(now_ms())
                .bind(id)
                .execute(&mut *c)
                .await?
                .rows_affected();
                let after = load(c, id).await?;
                let change = Change {
                    action: "webhook.rotate_secret",
                    subject_type: "webhook",
                    subject_id: id.to_string(),
                    market: before.market_id,
                    before: None,
                    after: Some(serde_json::json!({"secret": "rotated"})),
                };
                Ok(Applied::rows(n, 1, after).audit(change))
            },
            async |_, _| StoreError::NotFound { what: "webhook" },
        )
        .await
    }
}

/// What [`Store::prune_webhook_log`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PrunedLog {
    pub attempts: u64,
    pub deliveries: u64,
    pub events: u64,
}

impl Store {
    /// Deletes the delivery log older than `before_ms`: finished deliveries (delivered, failed,
    /// dropped) created before it with their attempts, then events left with no delivery. A
    /// delivery still queued, and its event, stay whatever their age. One transaction.
    pub async fn prune_webhook_log(&self, before_ms: i64) -> Result<PrunedLog, StoreError> {
        let mut tx = self.pool().begin().await?;
        let old = "SELECT id FROM webhook_deliveries WHERE state <> 'queued' AND created_at < $1";
        let attempts = sqlx::query(&format!(
            "DELETE FROM webhook_attempts WHERE delivery_id IN ({old})"
        ))
        .bind(before_ms)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let deliveries = sqlx::query(
            "DELETE FROM webhook_deliveries WHERE state <> 'queued' AND created_at < $1",
        )
        .bind(before_ms)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let events = sqlx::query(
            "DELETE FROM webhook_events WHERE created_at < $1 AND NOT EXISTS \
             (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = webhook_events.id)",
        )
        .bind(before_ms)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(PrunedLog {
            attempts,
            deliveries,
            events,
        })
    }
}

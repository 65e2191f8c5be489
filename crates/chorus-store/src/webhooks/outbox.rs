//! The webhook outbox: an event recorded inside the transaction of the change that caused it
//! ([`record_event`]), one delivery per endpoint subscribed to it, each delivery with its
//! `deliver_webhook` job in the same transaction; then the job's attempts, each logged with the
//! answer's status, the delivery and the job moved together ([`Store::webhook_attempted`]).
//!
//! Nobody subscribed means nothing is written: an event is kept only to be delivered.
//! An event's body is built once, here, and every attempt sends those bytes, so a retry or a
//! duplicate after a crash carries the same `id`.

use chorus_core::MarketId;
use chorus_core::webhooks::{DISABLE_AFTER_FAILURES, EventType, MAX_ATTEMPTS, new_event_id};
use sqlx::{AnyConnection, Row};

use super::{WebhookEndpoint, enabled, load};
use crate::audit::{self, Lock};
use crate::jobs::{self, Job, NewJob};
use crate::{Store, StoreError, now_ms};

/// The job kind that delivers one event to one endpoint.
pub const WEBHOOK_JOB: &str = "deliver_webhook";

/// The `deliver_webhook` job's key for delivery `id`.
pub fn webhook_job_key(id: i64) -> String {
    format!("webhook:{id}")
}

/// Something that happened, to tell the endpoints subscribed to it.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub kind: EventType,
    /// The market it happened in (`None`: only endpoints of every market hear it).
    pub market: Option<MarketId>,
    /// The event's `data`: ids and names, never personal data beyond what the type says.
    pub data: serde_json::Value,
}

/// Where a delivery is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    Queued,
    Delivered,
    /// Out of attempts, or refused for good (the guard refused the address).
    Failed,
    /// The endpoint was turned off before it went.
    Dropped,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Queued => "queued",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
            DeliveryState::Dropped => "dropped",
        }
    }

    fn parse(s: &str) -> Result<Self, StoreError> {
        Ok(match s {
            "queued" => DeliveryState::Queued,
            "delivered" => DeliveryState::Delivered,
            "failed" => DeliveryState::Failed,
            "dropped" => DeliveryState::Dropped,
            other => {
                return Err(StoreError::Corrupt {
                    what: "webhook delivery state",
                    message: format!("unknown state {other:?}"),
                });
            }
        })
    }
}

/// A delivery as its job needs it: the endpoint as it is now and the event's exact body.
#[derive(Debug, Clone)]
pub struct PendingDelivery {
    pub id: i64,
    pub state: DeliveryState,
    pub endpoint: WebhookEndpoint,
    pub event_id: String,
    pub event_type: String,
    pub body: String,
}

/// One delivery, for the admin page and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookDelivery {
    pub id: i64,
    pub endpoint_id: i64,
    pub event_id: String,
    pub event_type: String,
    pub state: DeliveryState,
    pub attempts: i64,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at_ms: i64,
    pub finished_at_ms: Option<i64>,
}

/// One attempt in the delivery log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookAttempt {
    pub delivery_id: i64,
    pub event_id: String,
    pub event_type: String,
    pub attempt: i64,
    pub at_ms: i64,
    pub status: Option<i64>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// What an attempt found.
#[derive(Debug, Clone)]
pub struct AttemptRecord<'a> {
    pub attempt: i64,
    /// The HTTP status answered, if one came.
    pub status: Option<i64>,
    pub error: Option<&'a str>,
    pub duration_ms: i64,
}

/// What becomes of the delivery after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptResult {
    /// A 2xx: delivered.
    Delivered,
    /// Failed for now: the job runs again at this time (ms).
    RetryAt(i64),
    /// Failed for good.
    Failed,
}

/// Records `event` inside the caller's transaction: its body, and for each enabled endpoint
/// subscribed to its type and market a delivery and its job. Returns the event's id, or `None`
/// when nobody listens (nothing is written).
pub(crate) async fn record_event(
    conn: &mut AnyConnection,
    event: &NewEvent,
) -> Result<Option<String>, StoreError> {
    let kind = event.kind.as_str();
    let targets: Vec<WebhookEndpoint> = enabled(conn)
        .await?
        .into_iter()
        .filter(|e| e.wants(kind, event.market))
        .collect();
    if targets.is_empty() {
        return Ok(None);
    }
    let (id, event_id) = insert_event(conn, event).await?;
    for endpoint in &targets {
        add_delivery(conn, id, endpoint.id).await?;
    }
    Ok(Some(event_id))
}

/// Writes the event's row and body; answers its row id and `evt_` id.
async fn insert_event(
    conn: &mut AnyConnection,
    event: &NewEvent,
) -> Result<(i64, String), StoreError> {
    let now = now_ms();
    let market_code: Option<String> = match event.market {
        Some(m) => sqlx::query("SELECT code FROM markets WHERE id = $1")
            .bind(m.0)
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| r.try_get("code"))
            .transpose()?,
        None => None,
    };
    let event_id = new_event_id();
    let created = jiff::Timestamp::from_millisecond(now)
        .map(|t| t.to_string())
        .unwrap_or_default();
    let body = serde_json::json!({
        "id": event_id,
        "type": event.kind.as_str(),
        "created_at": created,
        "market": market_code,
        "data": event.data,
    })
    .to_string();
    let id: i64 = sqlx::query(
        "INSERT INTO webhook_events (event_id, event_type, market_id, body, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(&event_id)
    .bind(event.kind.as_str())
    .bind(event.market.map(|m| m.0))
    .bind(&body)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?
    .try_get("id")?;
    Ok((id, event_id))
}

async fn add_delivery(
    conn: &mut AnyConnection,
    event: i64,
    endpoint: i64,
) -> Result<i64, StoreError> {
    let now = now_ms();
    let id: i64 = sqlx::query(
        "INSERT INTO webhook_deliveries (event_id, endpoint_id, state, attempts, created_at) \
         VALUES ($1, $2, 'queued', 0, $3) RETURNING id",
    )
    .bind(event)
    .bind(endpoint)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?
    .try_get("id")?;
    let key = webhook_job_key(id);
    let payload = format!("{{\"delivery\":{id}}}");
    jobs::enqueue(
        conn,
        &NewJob {
            kind: WEBHOOK_JOB,
            key: &key,
            payload: &payload,
            run_at_ms: now,
            max_attempts: MAX_ATTEMPTS,
        },
    )
    .await?;
    Ok(id)
}

const DELIVERY_COLUMNS: &str = "d.id, d.endpoint_id, e.event_id, e.event_type, d.state, \
     d.attempts, d.last_status, d.last_error, d.created_at, d.finished_at";

fn delivery_from_row(r: &sqlx::any::AnyRow) -> Result<WebhookDelivery, StoreError> {
    Ok(WebhookDelivery {
        id: r.try_get("id")?,
        endpoint_id: r.try_get("endpoint_id")?,
        event_id: r.try_get("event_id")?,
        event_type: r.try_get("event_type")?,
        state: DeliveryState::parse(&r.try_get::<String, _>("state")?)?,
        attempts: r.try_get("attempts")?,
        last_status: r.try_get("last_status")?,
        last_error: r.try_get("last_error")?,
        created_at_ms: r.try_get("created_at")?,
        finished_at_ms: r.try_get("finished_at")?,
    })
}

impl Store {
    /// Records `event` in a transaction of its own, for a change that has none to share (see
    /// [`record_event`]).
    pub async fn record_webhook_event(
        &self,
        event: &NewEvent,
    ) -> Result<Option<String>, StoreError> {
        let mut tx = audit::begin(self, &Lock::nothing()).await?;
        let id = record_event(&mut tx, event).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Queues a `webhook.test` event to endpoint `id` alone, whatever it subscribes to and
    /// whether it is on or off; answers the event's id and the delivery's.
    pub async fn send_test_webhook(
        &self,
        id: i64,
        data: serde_json::Value,
    ) -> Result<(String, i64), StoreError> {
        let mut tx = audit::begin(self, &Lock::nothing()).await?;
        let endpoint = load(&mut tx, id).await?;
        let event = NewEvent {
            kind: EventType::Test,
            market: endpoint.market_id,
            data,
        };
        let (row, event_id) = insert_event(&mut tx, &event).await?;
        let delivery = add_delivery(&mut tx, row, id).await?;
        tx.commit().await?;
        Ok((event_id, delivery))
    }

    /// Delivery `id` with its endpoint and body, for its job (`None`: it is gone).
    pub async fn pending_webhook_delivery(
        &self,
        id: i64,
    ) -> Result<Option<PendingDelivery>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        let Some(row) = sqlx::query(
            "SELECT d.id, d.state, d.endpoint_id, e.event_id, e.event_type, e.body \
             FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id \
             WHERE d.id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        else {
            return Ok(None);
        };
        let endpoint = load(&mut conn, row.try_get("endpoint_id")?).await?;
        Ok(Some(PendingDelivery {
            id,
            state: DeliveryState::parse(&row.try_get::<String, _>("state")?)?,
            endpoint,
            event_id: row.try_get("event_id")?,
            event_type: row.try_get("event_type")?,
            body: row.try_get("body")?,
        }))
    }

    /// Records an attempt of `delivery` by `job` in one transaction: the log's row, the
    /// delivery's state, the job's (done, queued again or failed) and the endpoint's count of
    /// failures — a success clears it; the [`DISABLE_AFTER_FAILURES`]th failure in a row turns
    /// the endpoint off. Answers whether this attempt turned it off.
    pub async fn webhook_attempted(
        &self,
        job: &Job,
        delivery: i64,
        attempt: &AttemptRecord<'_>,
        result: AttemptResult,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let mut tx = audit::begin(self, &Lock::nothing()).await?;
        let endpoint: i64 = sqlx::query("SELECT endpoint_id FROM webhook_deliveries WHERE id = $1")
            .bind(delivery)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound {
                what: "webhook delivery",
            })?
            .try_get("endpoint_id")?;
        sqlx::query(
            "INSERT INTO webhook_attempts (delivery_id, endpoint_id, attempt, at, status, error, \
             duration_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(delivery)
        .bind(endpoint)
        .bind(attempt.attempt)
        .bind(now)
        .bind(attempt.status)
        .bind(attempt.error)
        .bind(attempt.duration_ms)
        .execute(&mut *tx)
        .await?;
        let (state, finished) = match result {
            AttemptResult::Delivered => ("delivered", Some(now)),
            AttemptResult::RetryAt(_) => ("queued", None),
            AttemptResult::Failed => ("failed", Some(now)),
        };
        sqlx::query(
            "UPDATE webhook_deliveries SET state = $1, attempts = $2, last_status = $3, \
             last_error = $4, finished_at = $5 WHERE id = $6",
        )
        .bind(state)
        .bind(attempt.attempt)
        .bind(attempt.status)
        .bind(attempt.error)
        .bind(finished)
        .bind(delivery)
        .execute(&mut *tx)
        .await?;
        match result {
            AttemptResult::Delivered => jobs::finish(&mut tx, job.id, true, None).await?,
            AttemptResult::RetryAt(at) => {
                jobs::retry(&mut tx, job.id, at, attempt.error.unwrap_or("failed")).await?
            }
            AttemptResult::Failed => jobs::finish(&mut tx, job.id, false, attempt.error).await?,
        }
        let mut disabled = false;
        if result == AttemptResult::Delivered {
            sqlx::query("UPDATE webhook_endpoints SET consecutive_failures = 0 WHERE id = $1")
                .bind(endpoint)
                .execute(&mut *tx)
                .await?;
        } else {
            let n = sqlx::query(
                "UPDATE webhook_endpoints SET enabled = 0, disabled_at = $1, disabled_reason = $2, \
                 consecutive_failures = consecutive_failures + 1 \
                 WHERE id = $3 AND enabled = 1 AND consecutive_failures + 1 >= $4",
            )
            .bind(now)
            .bind(format!(
                "turned off after {DISABLE_AFTER_FAILURES} failed attempts in a row"
            ))
            .bind(endpoint)
            .bind(DISABLE_AFTER_FAILURES)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            disabled = n == 1;
            if !disabled {
                sqlx::query(
                    "UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + 1 \
                     WHERE id = $1",
                )
                .bind(endpoint)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(disabled)
    }

    /// Finishes `delivery`'s job without sending: its endpoint was turned off (or the delivery
    /// is gone or finished). The delivery, if still queued, is marked dropped.
    pub async fn webhook_dropped(
        &self,
        job: &Job,
        delivery: i64,
        why: &str,
    ) -> Result<(), StoreError> {
        let mut tx = audit::begin(self, &Lock::nothing()).await?;
        sqlx::query(
            "UPDATE webhook_deliveries SET state = 'dropped', last_error = $1, finished_at = $2 \
             WHERE id = $3 AND state = 'queued'",
        )
        .bind(why)
        .bind(now_ms())
        .bind(delivery)
        .execute(&mut *tx)
        .await?;
        jobs::finish(&mut tx, job.id, true, Some(why)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Endpoint `endpoint`'s latest deliveries, newest first.
    pub async fn webhook_deliveries(
        &self,
        endpoint: i64,
        limit: i64,
    ) -> Result<Vec<WebhookDelivery>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d \
             JOIN webhook_events e ON e.id = d.event_id \
             WHERE d.endpoint_id = $1 ORDER BY d.id DESC LIMIT $2"
        ))
        .bind(endpoint)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(delivery_from_row).collect()
    }

    /// Endpoint `endpoint`'s delivery log: its latest attempts, newest first.
    pub async fn webhook_attempts(
        &self,
        endpoint: i64,
        limit: i64,
    ) -> Result<Vec<WebhookAttempt>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.delivery_id, e.event_id, e.event_type, a.attempt, a.at, a.status, a.error, \
             a.duration_ms FROM webhook_attempts a \
             JOIN webhook_deliveries d ON d.id = a.delivery_id \
             JOIN webhook_events e ON e.id = d.event_id \
             WHERE a.endpoint_id = $1 ORDER BY a.id DESC LIMIT $2",
        )
        .bind(endpoint)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(WebhookAttempt {
                    delivery_id: r.try_get("delivery_id")?,
                    event_id: r.try_get("event_id")?,
                    event_type: r.try_get("event_type")?,
                    attempt: r.try_get("attempt")?,
                    at_ms: r.try_get("at")?,
                    status: r.try_get("status")?,
                    error: r.try_get("error")?,
                    duration_ms: r.try_get("duration_ms")?,
                })
            })
            .collect()
    }
}

//! `deliver_webhook`: one event to one endpoint, signed, through the guarded outbound client.
//!
//! Each attempt POSTs the event's stored body (the same bytes every time, so a duplicate carries
//! the same `id`) with `Chorus-Signature: t=…,v1=…` computed afresh for this attempt (see
//! `chorus_core::webhooks`), `Chorus-Event-Id`, `Chorus-Event-Type` and
//! `Chorus-Delivery-Attempt`. A 2xx delivers. Any other answer, a timeout or a failed
//! connection is retried after `chorus_core::webhooks::retry_delay` until the job's attempts
//! run out; an address the outbound guard refuses (a private network, unless `[outbound]
//! allow_private_addresses` opens it) fails at once. The store records the attempt, the
//! delivery, the job and the endpoint's failure count in one transaction, and turns the
//! endpoint off after `DISABLE_AFTER_FAILURES` failures in a row.
//!
//! At least once: a process that dies after the receiver took the request and before the
//! record commits leaves the job leased; it runs again when the lease expires, and the receiver
//! sees the same event id twice.

use std::time::{Duration, Instant};

use chorus_core::webhooks::{EventType, SigningSecret, retry_delay};
use chorus_networks::BoxFuture;
use chorus_networks::bluesky::SecretKey;
use chorus_store::{
    AttemptRecord, AttemptResult, DeliveryState, Job, Store, StoreError, WEBHOOK_JOB,
};

use crate::kinds::{JobKind, Outcome};

/// How long one attempt may take, connection and answer included.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(15);

/// The `deliver_webhook` kind.
pub struct DeliverWebhook {
    store: Store,
    key: SecretKey,
    http: chorus_outbound::Client,
}

impl DeliverWebhook {
    /// Delivers with secrets derived from `key` (the installation key) through `http` (the
    /// installation's guarded client).
    pub fn new(store: Store, key: SecretKey, http: chorus_outbound::Client) -> DeliverWebhook {
        DeliverWebhook { store, key, http }
    }

    async fn deliver(&self, job: &Job) -> Result<Outcome, StoreError> {
        let Some(delivery) = payload_delivery(&job.payload) else {
            self.store
                .finish_job(job.id, false, Some("bad payload"))
                .await?;
            return Ok(Outcome::Failed {
                error: format!("bad payload {:?}", job.payload),
            });
        };
        let Some(d) = self.store.pending_webhook_delivery(delivery).await? else {
            self.store
                .finish_job(job.id, true, Some("delivery gone"))
                .await?;
            return Ok(Outcome::Dropped {
                why: "the delivery is gone".into(),
            });
        };
        if d.state != DeliveryState::Queued {
            self.store
                .finish_job(job.id, true, Some("already finished"))
                .await?;
            return Ok(Outcome::Dropped {
                why: format!("delivery {delivery} is already {}", d.state.as_str()),
            });
        }
        let is_test = d.event_type == EventType::Test.as_str();
        if !d.endpoint.enabled && !is_test {
            let why = "the webhook is turned off";
            self.store.webhook_dropped(job, delivery, why).await?;
            return Ok(Outcome::Dropped { why: why.into() });
        }
        let secret = SigningSecret::derive(self.key.as_bytes(), &d.endpoint.secret_salt);
        let t = jiff::Timestamp::now().as_second();
        let started = Instant::now();
        let sent = self
            .http
            .post(&d.endpoint.url)
            .header("content-type", "application/json")
            .header("chorus-event-id", &d.event_id)
            .header("chorus-event-type", &d.event_type)
            .header("chorus-delivery-attempt", &job.attempts.to_string())
            .header("chorus-signature", &secret.header(t, d.body.as_bytes()))
            .body(d.body.clone().into_bytes())
            .timeout(ATTEMPT_TIMEOUT)
            .send()
            .await;
        let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let (status, error, permanent) = match &sent {
            Ok(r) if r.status().is_success() => (Some(r.status().as_u16()), None, false),
            Ok(r) => (
                Some(r.status().as_u16()),
                Some(format!("answered HTTP {}", r.status().as_u16())),
                false,
            ),
            Err(e) => (None, Some(e.to_string()), e.is_refused()),
        };
        drop(sent);
        let result = match (&error, permanent) {
            (None, _) => AttemptResult::Delivered,
            (Some(_), true) => AttemptResult::Failed,
            (Some(_), false) if job.attempts >= job.max_attempts => AttemptResult::Failed,
            (Some(_), false) => {
                let wait = i64::try_from(retry_delay(job.attempts).as_millis()).unwrap_or(0);
                AttemptResult::RetryAt(chorus_store::now_ms() + wait)
            }
        };
        let record = AttemptRecord {
            attempt: job.attempts,
            status: status.map(i64::from),
            error: error.as_deref(),
            duration_ms,
        };
        let turned_off = self
            .store
            .webhook_attempted(job, delivery, &record, result)
            .await?;
        if turned_off {
            tracing::warn!(
                endpoint = d.endpoint.id,
                "webhook turned off after repeated failures"
            );
        }
        let what = format!(
            "{} {} to webhook {}",
            d.event_type, d.event_id, d.endpoint.id
        );
        Ok(match (result, error) {
            (AttemptResult::Delivered, _) => Outcome::Done { what },
            (AttemptResult::RetryAt(_), e) => Outcome::RetryLater {
                error: e.unwrap_or_default(),
            },
            (AttemptResult::Failed, e) => Outcome::Failed {
                error: e.unwrap_or_default(),
            },
        })
    }
}

/// The delivery id in a job's payload (`{"delivery": 7}`).
fn payload_delivery(payload: &str) -> Option<i64> {
    serde_json::from_str::<serde_json::Value>(payload)
        .ok()?
        .get("delivery")?
        .as_i64()
}

impl JobKind for DeliverWebhook {
    fn name(&self) -> &'static str {
        WEBHOOK_JOB
    }

    fn run<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            match self.deliver(job).await {
                Ok(outcome) => outcome,
                Err(e) => Outcome::Unrecorded {
                    error: e.to_string(),
                },
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_name_their_delivery() {
        assert_eq!(payload_delivery(r#"{"delivery":7}"#), Some(7));
        assert_eq!(payload_delivery(r#"{"mail":7}"#), None);
        assert_eq!(payload_delivery("nope"), None);
    }
}

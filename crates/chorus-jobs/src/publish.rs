//! Publishing one variant: claim → begin (fix the publish key time) → publish through the
//! account's network → record the URI, or retry later, or mark failed and tell its people.

use std::collections::HashMap;
use std::sync::Arc;

use chorus_networks::Network;
use chorus_networks::bluesky::{
    Agent, Bluesky, BlueskyError, SecretKey, Xrpc, XrpcError, http_client,
};
use chorus_networks::model::{Image, PublishRequest};
use chorus_store::{Begin, Job, Retry, Store, Variant};
use tokio::sync::Mutex;

use crate::accounts::{ConnectError, open};
use crate::backoff;

/// What happened to a job (for tests and logs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Published { uri: String, already_existed: bool },
    AlreadyDone,
    Gone,
    RetryLater { error: String },
    Failed { error: String },
}

/// Whether an error is worth retrying, and when.
enum Verdict {
    Transient { after: Option<std::time::Duration> },
    Permanent,
}

pub(crate) struct Publisher {
    store: Store,
    key: SecretKey,
    /// One logged-in network client per account, reused across jobs.
    networks: Mutex<HashMap<i64, Arc<Bluesky>>>,
}

impl Publisher {
    pub(crate) fn new(store: Store, key: SecretKey) -> Self {
        Publisher {
            store,
            key,
            networks: Mutex::new(HashMap::new()),
        }
    }

    /// Runs one claimed publish job to an outcome, recording it in the database.
    pub(crate) async fn run(&self, job: &Job) -> Outcome {
        let outcome = self.run_inner(job).await;
        match &outcome {
            Outcome::Published {
                uri,
                already_existed,
            } => {
                tracing::info!(job = job.id, %uri, already_existed, "published")
            }
            Outcome::RetryLater { error } => {
                tracing::warn!(job = job.id, %error, "publish will be retried")
            }
            Outcome::Failed { error } => tracing::error!(job = job.id, %error, "publish failed"),
            Outcome::AlreadyDone | Outcome::Gone => {
                tracing::debug!(job = job.id, ?outcome, "nothing to publish")
            }
        }
        outcome
    }

    async fn run_inner(&self, job: &Job) -> Outcome {
        let variant_id = match serde_json::from_str::<serde_json::Value>(&job.payload)
            .ok()
            .and_then(|v| v["variant"].as_i64())
        {
            Some(v) => v,
            None => {
                let error = format!("job payload {:?} names no variant", job.payload);
                let _ = self.store.finish_job(job.id, false, Some(&error)).await;
                return Outcome::Failed { error };
            }
        };
        let (variant, key_at) = match self.store.begin_publish(job, variant_id).await {
            Ok(Begin::Work {
                variant, key_at_ms, ..
            }) => (variant, key_at_ms),
            Ok(Begin::AlreadyDone) => return Outcome::AlreadyDone,
            Ok(Begin::Gone) => return Outcome::Gone,
            Err(e) => {
                // The database is unreachable; leave the job leased: it is retried when the
                // lease expires.
                return Outcome::RetryLater {
                    error: e.to_string(),
                };
            }
        };
        let result = self.publish(&variant, key_at).await;
        let record = match &result {
            Ok((uri, _)) => self.store.complete_publish(job, variant_id, uri).await,
            Err((error, verdict)) => {
                let retry = match verdict {
                    Verdict::Transient { after } if job.attempts < job.max_attempts => {
                        let wait = after.unwrap_or_else(|| backoff::delay(job.attempts));
                        Retry::At(chorus_store::now_ms() + wait.as_millis() as i64)
                    }
                    _ => Retry::Never,
                };
                self.store.fail_publish(job, variant_id, error, retry).await
            }
        };
        if let Err(e) = record {
            return Outcome::RetryLater {
                error: format!("recording the outcome failed: {e}"),
            };
        }
        match result {
            Ok((uri, already_existed)) => Outcome::Published {
                uri,
                already_existed,
            },
            Err((error, Verdict::Transient { .. })) if job.attempts < job.max_attempts => {
                Outcome::RetryLater { error }
            }
            Err((error, _)) => Outcome::Failed { error },
        }
    }

    async fn publish(
        &self,
        v: &Variant,
        key_at_ms: i64,
    ) -> Result<(String, bool), (String, Verdict)> {
        let network = self.network(v.account_id).await.map_err(|e| {
            let verdict = match &e {
                ConnectError::Login(x) => xrpc_verdict(x),
                _ => Verdict::Permanent,
            };
            (e.to_string(), verdict)
        })?;
        let mut images = Vec::with_capacity(v.images.len());
        for meta in &v.images {
            let (meta, bytes) = self
                .store
                .image(meta.id)
                .await
                .map_err(|e| (e.to_string(), Verdict::Transient { after: None }))?;
            images.push(Image {
                bytes,
                mime: meta.mime,
                alt: meta.alt,
            });
        }
        let at = jiff::Timestamp::from_millisecond(key_at_ms)
            .map_err(|e| (e.to_string(), Verdict::Permanent))?;
        let mut request = PublishRequest::text(format!("variant-{}", v.id), at, v.body.clone());
        request.langs = vec![v.locale.split('-').next().unwrap_or(&v.locale).to_owned()];
        request.images = images;
        match network.publish(&request).await {
            Ok(p) => Ok((p.post.uri, p.already_existed)),
            Err(e) => {
                let verdict = bluesky_verdict(&e);
                if matches!(
                    &e,
                    BlueskyError::Xrpc(XrpcError::Auth { .. } | XrpcError::ExpiredToken { .. })
                ) {
                    self.networks.lock().await.remove(&v.account_id);
                }
                Err((e.to_string(), verdict))
            }
        }
    }

    async fn network(&self, account: i64) -> Result<Arc<Bluesky>, ConnectError> {
        if let Some(n) = self.networks.lock().await.get(&account) {
            return Ok(n.clone());
        }
        let stored = open(&self.store, &self.key, account).await?;
        let xrpc = Xrpc::new(http_client()?, &stored.pds)?;
        let agent = Agent::login(xrpc, &stored.did, &stored.app_password).await?;
        let network = Arc::new(Bluesky::new(agent));
        self.networks.lock().await.insert(account, network.clone());
        Ok(network)
    }
}

fn xrpc_verdict(e: &XrpcError) -> Verdict {
    match e {
        XrpcError::RateLimited { retry_after } => Verdict::Transient {
            after: *retry_after,
        },
        XrpcError::Server { .. } | XrpcError::Transport { .. } | XrpcError::ExpiredToken { .. } => {
            Verdict::Transient { after: None }
        }
        _ => Verdict::Permanent,
    }
}

fn bluesky_verdict(e: &BlueskyError) -> Verdict {
    match e {
        BlueskyError::Xrpc(x) => xrpc_verdict(x),
        BlueskyError::Identity(_) => Verdict::Transient { after: None },
        _ => Verdict::Permanent,
    }
}

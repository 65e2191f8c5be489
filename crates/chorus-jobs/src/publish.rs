//! Publishing one variant (job kind [`PUBLISH_JOB`], enqueued by the store when a story is
//! scheduled): begin (fix the variant's publish key time, once) → publish through the account's
//! [`DynNetwork`](chorus_networks::DynNetwork) → record the URI, or queue a retry, or mark the
//! variant failed and tell its people; each outcome in one transaction with the job's state.
//!
//! The text published is the variant's with every link swapped for its click redirect
//! (`{public_url}/l/{code}`, see `chorus_core::links`): the codes are made at the first attempt
//! and read back by every retry (`Store::variant_links`), so a retry sends the same text under
//! the same record key.
//!
//! Whether to retry is decided from the failure's [`ErrorKind`] alone (see
//! [`backoff::retry_after`]): transient errors and rate limits wait and try again while
//! attempts remain; refused credentials, rejected content and the rest fail at once.

use std::sync::Arc;

use chorus_core::links::{self, LinkCode, PublicBase};
use chorus_networks::model::{Image, PublishRequest, Published};
use chorus_networks::{BoxFuture, DynNetworkError, ErrorKind};
use chorus_store::{Begin, Job, PUBLISH_JOB, Retry, Store, Variant};

use crate::backoff;
use crate::connectors::Connectors;
use crate::kinds::{JobKind, Outcome};

/// The `publish_variant` job kind.
pub struct PublishVariant {
    store: Store,
    accounts: Arc<Connectors>,
    /// Where the installation is reached: the links of published posts point at its `/l/`.
    public_url: PublicBase,
}

impl PublishVariant {
    pub fn new(store: Store, accounts: Arc<Connectors>, public_url: PublicBase) -> Self {
        PublishVariant {
            store,
            accounts,
            public_url,
        }
    }

    /// The variant's text as it goes out: each link replaced by its redirect, whose code is
    /// made now or was made by an earlier attempt.
    async fn published_text(&self, v: &Variant) -> Result<String, DynNetworkError> {
        let targets = links::targets(&v.body, &self.public_url);
        if targets.is_empty() {
            return Ok(v.body.clone());
        }
        let made = self
            .store
            .variant_links(v.id, &targets)
            .await
            .map_err(|e| DynNetworkError::other(ErrorKind::TRANSIENT, e.to_string()))?;
        let mut codes = Vec::with_capacity(made.len());
        for link in made {
            let code = LinkCode::parse(&link.code).map_err(|e| {
                DynNetworkError::other(
                    ErrorKind::Invalid,
                    format!("stored link code {:?}: {}", link.code, e.message),
                )
            })?;
            codes.push((link.target, code));
        }
        Ok(links::published_text(&v.body, &self.public_url, |url| {
            codes.iter().find(|(t, _)| t == url).map(|(_, c)| c)
        }))
    }

    async fn run_job(&self, job: &Job) -> Outcome {
        let Some(variant_id) = serde_json::from_str::<serde_json::Value>(&job.payload)
            .ok()
            .and_then(|v| v["variant"].as_i64())
        else {
            let error = format!("job payload {:?} names no variant", job.payload);
            return match self.store.finish_job(job.id, false, Some(&error)).await {
                Ok(()) => Outcome::Failed { error },
                Err(e) => Outcome::Unrecorded {
                    error: e.to_string(),
                },
            };
        };
        let (variant, key_at) = match self.store.begin_publish(job, variant_id).await {
            Ok(Begin::Work {
                variant, key_at_ms, ..
            }) => (variant, key_at_ms),
            Ok(Begin::AlreadyDone) => {
                return Outcome::Done {
                    what: format!("variant {variant_id} was already published"),
                };
            }
            Ok(Begin::Gone) => {
                return Outcome::Dropped {
                    why: format!("variant {variant_id} was deleted or taken off the schedule"),
                };
            }
            Err(e) => {
                return Outcome::Unrecorded {
                    error: e.to_string(),
                };
            }
        };
        match self.publish(&variant, key_at).await {
            Ok(published) => {
                let uri = published.post.uri;
                match self.store.complete_publish(job, variant_id, &uri).await {
                    Ok(()) => Outcome::Done {
                        what: if published.already_existed {
                            format!("published {uri} (found, made by an earlier attempt)")
                        } else {
                            format!("published {uri}")
                        },
                    },
                    Err(e) => Outcome::Unrecorded {
                        error: format!("recording the publication of {uri} failed: {e}"),
                    },
                }
            }
            Err(e) => {
                let wait = backoff::retry_after(e.kind(), job.attempts, job.max_attempts);
                let error = explain(&e, job, wait.is_some());
                let retry = match wait {
                    Some(w) => Retry::At(chorus_store::now_ms() + w.as_millis() as i64),
                    None => Retry::Never,
                };
                if let Err(db) = self
                    .store
                    .fail_publish(job, variant_id, &error, retry)
                    .await
                {
                    return Outcome::Unrecorded {
                        error: format!("recording the failure ({error}) failed: {db}"),
                    };
                }
                if wait.is_some() {
                    Outcome::RetryLater { error }
                } else {
                    Outcome::Failed { error }
                }
            }
        }
    }

    async fn publish(&self, v: &Variant, key_at_ms: i64) -> Result<Published, DynNetworkError> {
        let mut images = Vec::with_capacity(v.images.len());
        for meta in &v.images {
            let (meta, bytes) = self
                .store
                .image(meta.id)
                .await
                .map_err(|e| DynNetworkError::other(ErrorKind::TRANSIENT, e.to_string()))?;
            images.push(Image {
                bytes,
                mime: meta.mime,
                alt: meta.alt,
            });
        }
        let at = jiff::Timestamp::from_millisecond(key_at_ms)
            .map_err(|e| DynNetworkError::other(ErrorKind::Invalid, e.to_string()))?;
        let text = self.published_text(v).await?;
        let mut request = PublishRequest::text(format!("variant-{}", v.id), at, text);
        request.langs = vec![v.locale.split('-').next().unwrap_or(&v.locale).to_owned()];
        request.images = images;
        let request = &request;
        self.accounts
            .call(v.account_id, |network| {
                Box::pin(async move { network.publish(request).await })
            })
            .await
    }
}

impl JobKind for PublishVariant {
    fn name(&self) -> &'static str {
        PUBLISH_JOB
    }

    fn run<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Outcome> {
        Box::pin(self.run_job(job))
    }
}

/// The reason recorded on the variant and sent to its people: what to do about it first.
fn explain(e: &DynNetworkError, job: &Job, will_retry: bool) -> String {
    match e.kind() {
        ErrorKind::Auth => format!(
            "the account's credentials were refused (its app password was revoked or changed): \
             an admin must reconnect it under Admin › Network accounts ({e})"
        ),
        ErrorKind::Refused => format!(
            "this server does not connect to the account's address (its outbound settings \
             refuse it): reconnect the account on a reachable server, or ask an operator ({e})"
        ),
        kind if kind.is_retryable() && !will_retry => {
            format!("gave up after {} attempts: {e}", job.attempts)
        }
        _ => e.to_string(),
    }
}

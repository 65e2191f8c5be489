//! Replying from the inbox: a reply recorded by the store (its id and `publish_at` fixed) is
//! published through the account's network, threaded under the conversation's post (the
//! network's [`reply_to`](chorus_networks::DynNetwork::reply_to) finds the parent and root),
//! with a publication id derived from the reply's id and time: sending again after a crash or a
//! lost answer finds the reply already made instead of posting twice.
//!
//! [`send_reply`] makes the first attempt while the person waits. When it fails in a way that
//! may pass (a server error, a rate limit, the database), the reply is marked failed with the
//! reason as before, and a [`SEND_REPLY_JOB`] is queued to try again with backoff; the job kind
//! [`SendReply`] runs it. A person retrying by hand meanwhile is safe: whoever moves the reply
//! from failed to sending sends it, and the publication id keeps the network's copy single.
//! Refused credentials, a deleted post and the like are not retried: the reply stays failed
//! with the reason, for a person.

use std::sync::Arc;

use chorus_networks::bluesky::SecretKey;
use chorus_networks::model::{PublishRequest, ReplyTarget};
use chorus_networks::{BoxFuture, DynNetworkError, ErrorKind};
use chorus_store::{Job, NewJob, Reply, Store, StoreError};

use crate::backoff;
use crate::connectors::Connectors;
use crate::kinds::{JobKind, Outcome};

/// The job kind that retries a reply.
pub const SEND_REPLY_JOB: &str = "send_reply";
/// Attempts the retry job makes after the first one failed.
pub const REPLY_MAX_ATTEMPTS: i64 = 5;

/// The retry job's idempotency key for a reply.
pub fn reply_job_key(reply_id: i64) -> String {
    format!("reply:{reply_id}")
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The network, or reaching the account, failed; [`ReplyError::kind`] says whether it may
    /// pass.
    #[error("sending the reply failed: {0}")]
    Network(#[from] DynNetworkError),
    #[error(
        "this conversation is on {conversation} and the account on {account}: answer from an \
         account on {conversation}"
    )]
    OtherNetwork {
        conversation: String,
        account: String,
    },
}

impl ReplyError {
    /// What the failure means, as for any network call: a database that did not answer may
    /// pass; a reply or conversation that is gone will not.
    pub fn kind(&self) -> ErrorKind {
        match self {
            ReplyError::Network(e) => e.kind(),
            ReplyError::Store(StoreError::NotFound { .. }) => ErrorKind::NotFound,
            ReplyError::Store(_) => ErrorKind::TRANSIENT,
            ReplyError::OtherNetwork { .. } => ErrorKind::Invalid,
        }
    }
}

/// [`send_reply_with`] through a client that reaches public addresses only (the production
/// default of `chorus_outbound`). Kept for callers that have no client at hand; callers that
/// do should pass the installation's client (its policy may allow a PDS on the local network).
pub async fn send_reply(
    store: &Store,
    key: &SecretKey,
    reply_id: i64,
) -> Result<Reply, ReplyError> {
    let http = chorus_networks::bluesky::http_client(&chorus_outbound::Builder::new(
        chorus_outbound::Policy::public_only(),
    ))
    .map_err(|e| ReplyError::Network(DynNetworkError::new(e)))?;
    send_reply_with(store, key, &http, reply_id).await
}

/// Publishes the stored reply `reply_id` through `http` (the installation's guarded client) and
/// records the outcome (sent with its URI, or failed with the reason). A failure that may pass
/// also queues a [`SEND_REPLY_JOB`] to try again.
pub async fn send_reply_with(
    store: &Store,
    key: &SecretKey,
    http: &chorus_outbound::Client,
    reply_id: i64,
) -> Result<Reply, ReplyError> {
    let accounts = Connectors::standard(store.clone(), key.clone(), http.clone());
    let e = match attempt(store, &accounts, reply_id).await {
        Ok(sent) => return Ok(sent),
        Err(e) => e,
    };
    store.mark_reply_failed(reply_id, &e.to_string()).await?;
    if e.kind().is_retryable() {
        let wait = e.kind().retry_after().unwrap_or_else(|| backoff::delay(1));
        let key = reply_job_key(reply_id);
        let payload = serde_json::json!({ "reply": reply_id }).to_string();
        let job = NewJob {
            kind: SEND_REPLY_JOB,
            key: &key,
            payload: &payload,
            run_at_ms: chorus_store::now_ms() + wait.as_millis() as i64,
            max_attempts: REPLY_MAX_ATTEMPTS,
        };
        match store.enqueue_job(&job).await {
            Ok(()) => tracing::info!(reply = reply_id, error = %e, "reply failed; will retry"),
            Err(db) => {
                tracing::warn!(reply = reply_id, error = %db, "queueing the reply's retry failed")
            }
        }
    }
    Err(e)
}

/// One attempt: publish and mark the reply sent.
async fn attempt(store: &Store, accounts: &Connectors, reply_id: i64) -> Result<Reply, ReplyError> {
    let reply = store.reply(reply_id).await?;
    let conversation = store.conversation(reply.conversation_id).await?;
    let post = &conversation.row.post;
    let account = store.account(reply.account_id).await?;
    if post.network != account.network {
        return Err(ReplyError::OtherNetwork {
            conversation: post.network.clone(),
            account: account.network,
        });
    }
    let root_cid = match &post.reply_root {
        Some(root) => store.post_by_uri(root).await?.and_then(|p| p.cid),
        None => None,
    };
    let target = ReplyTarget {
        uri: post.uri.clone(),
        cid: post.cid.clone(),
        root_uri: post.reply_root.clone(),
        root_cid,
    };
    let at = jiff::Timestamp::from_millisecond(reply.publish_at_ms)
        .map_err(|e| DynNetworkError::other(ErrorKind::Invalid, e.to_string()))?;
    let mut request = PublishRequest::text(format!("reply-{}", reply.id), at, reply.body.clone());
    if post.lang != "und" {
        request.langs = vec![post.lang.clone()];
    }
    let (request, target) = (&request, &target);
    let published = accounts
        .call(reply.account_id, |network| {
            Box::pin(async move {
                let mut request = request.clone();
                request.reply_to = Some(network.reply_to(target).await?);
                network.publish(&request).await
            })
        })
        .await?;
    Ok(store
        .mark_reply_sent(reply_id, &published.post.uri, &published.post.cid)
        .await?)
}

/// The `send_reply` job kind: retries a reply whose first attempt failed in a way that may pass.
pub struct SendReply {
    store: Store,
    accounts: Arc<Connectors>,
}

impl SendReply {
    pub fn new(store: Store, accounts: Arc<Connectors>) -> Self {
        SendReply { store, accounts }
    }

    async fn run_job(&self, job: &Job) -> Result<Outcome, StoreError> {
        let Some(reply_id) = serde_json::from_str::<serde_json::Value>(&job.payload)
            .ok()
            .and_then(|v| v["reply"].as_i64())
        else {
            let error = format!("job payload {:?} names no reply", job.payload);
            self.store.finish_job(job.id, false, Some(&error)).await?;
            return Ok(Outcome::Failed { error });
        };
        let reply = match self.store.reply(reply_id).await {
            Ok(r) => r,
            Err(StoreError::NotFound { .. }) => {
                self.store
                    .finish_job(job.id, true, Some("the reply was deleted"))
                    .await?;
                return Ok(Outcome::Dropped {
                    why: format!("reply {reply_id} was deleted"),
                });
            }
            Err(e) => return Err(e),
        };
        let taken = match reply.state.as_str() {
            "sent" => {
                self.store.finish_job(job.id, true, None).await?;
                return Ok(Outcome::Done {
                    what: format!("reply {reply_id} was already sent"),
                });
            }
            "failed" => match self.store.retry_reply(reply_id).await {
                Ok(_) => true,
                // A person retried it between our two reads: it is in their hands now.
                Err(StoreError::NotFound { .. }) => false,
                Err(e) => return Err(e),
            },
            _ => false,
        };
        if !taken {
            // Someone is sending it now: look again later, and find it sent (or failed).
            let error = format!("reply {reply_id} is being sent by someone else");
            return self.later(job, ErrorKind::TRANSIENT, error).await;
        }
        match attempt(&self.store, &self.accounts, reply_id).await {
            Ok(sent) => {
                self.store.finish_job(job.id, true, None).await?;
                Ok(Outcome::Done {
                    what: format!(
                        "reply {reply_id} sent: {}",
                        sent.uri.as_deref().unwrap_or("")
                    ),
                })
            }
            Err(e) => {
                self.store
                    .mark_reply_failed(reply_id, &e.to_string())
                    .await?;
                self.later(job, e.kind(), e.to_string()).await
            }
        }
    }

    /// Queues the job again when `kind` may pass and attempts remain; finishes it failed if not.
    async fn later(
        &self,
        job: &Job,
        kind: ErrorKind,
        error: String,
    ) -> Result<Outcome, StoreError> {
        match backoff::retry_after(kind, job.attempts, job.max_attempts) {
            Some(wait) => {
                let at = chorus_store::now_ms() + wait.as_millis() as i64;
                self.store.retry_job(job.id, at, &error).await?;
                Ok(Outcome::RetryLater { error })
            }
            None => {
                self.store.finish_job(job.id, false, Some(&error)).await?;
                Ok(Outcome::Failed { error })
            }
        }
    }
}

impl JobKind for SendReply {
    fn name(&self) -> &'static str {
        SEND_REPLY_JOB
    }

    fn run<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            self.run_job(job)
                .await
                .unwrap_or_else(|e| Outcome::Unrecorded {
                    error: e.to_string(),
                })
        })
    }
}

//! Replying from the inbox: a reply recorded by the store (its id and `publish_at` fixed) is
//! published through the market's Bluesky account, threaded under the conversation's post
//! (parent = the post, root = the root of its thread), with a record key derived from the
//! reply's id and time: sending again after a crash or a lost answer finds the reply already
//! made instead of posting twice.

use chorus_networks::Network;
use chorus_networks::bluesky::publish::parse_at_uri;
use chorus_networks::bluesky::{
    Agent, Bluesky, BlueskyError, SecretKey, Xrpc, XrpcError, http_client,
};
use chorus_networks::model::{PostRef, PublishRequest, ReplyTo};
use chorus_store::{Reply, Store, StoreError};
use serde::Deserialize;

use crate::accounts::{ConnectError, open};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the account cannot be used: {0}")]
    Account(#[from] ConnectError),
    #[error("only Bluesky conversations can be answered from Chorus (this one is from {0})")]
    Network(String),
    #[error("the reply account is on {0}, not Bluesky")]
    AccountNetwork(String),
    #[error("finding the thread of {uri} failed: {message}")]
    Thread { uri: String, message: String },
    #[error("publishing the reply failed: {0}")]
    Publish(#[from] BlueskyError),
}

#[derive(Deserialize)]
struct RecordOut {
    cid: String,
    value: serde_json::Value,
}

/// `com.atproto.repo.getRecord` for a post, through the account's PDS.
async fn get_post_record(agent: &Agent, uri: &str) -> Result<RecordOut, ReplyError> {
    let thread_err = |message: String| ReplyError::Thread {
        uri: uri.to_owned(),
        message,
    };
    let (repo, collection, rkey) = parse_at_uri(uri).map_err(|e| thread_err(e.to_string()))?;
    agent
        .query(
            "com.atproto.repo.getRecord",
            &[("repo", repo), ("collection", collection), ("rkey", rkey)],
        )
        .await
        .map_err(|e: XrpcError| thread_err(e.to_string()))
}

/// The parent and root references for replying to the post `uri` (whose CID we may know).
pub async fn thread_refs(
    store: &Store,
    agent: &Agent,
    uri: &str,
    cid: Option<&str>,
    root_uri: Option<&str>,
) -> Result<ReplyTo, ReplyError> {
    let record = match cid {
        Some(_) if root_uri.is_none() => None,
        _ => Some(get_post_record(agent, uri).await?),
    };
    let parent = PostRef {
        uri: uri.to_owned(),
        cid: match (cid, &record) {
            (Some(c), _) => c.to_owned(),
            (None, Some(r)) => r.cid.clone(),
            (None, None) => unreachable_cid(uri)?,
        },
    };
    let Some(root_uri) = root_uri else {
        return Ok(ReplyTo {
            root: parent.clone(),
            parent,
        });
    };
    // The parent's own record says what its root is, with the CID.
    let from_record = record.as_ref().and_then(|r| {
        let root = r.value.get("reply")?.get("root")?;
        Some(PostRef {
            uri: root.get("uri")?.as_str()?.to_owned(),
            cid: root.get("cid")?.as_str()?.to_owned(),
        })
    });
    let root = match from_record {
        Some(r) => r,
        None => match store.post_by_uri(root_uri).await?.and_then(|p| p.cid) {
            Some(cid) => PostRef {
                uri: root_uri.to_owned(),
                cid,
            },
            None => PostRef {
                uri: root_uri.to_owned(),
                cid: get_post_record(agent, root_uri).await?.cid,
            },
        },
    };
    Ok(ReplyTo { parent, root })
}

fn unreachable_cid(uri: &str) -> Result<String, ReplyError> {
    Err(ReplyError::Thread {
        uri: uri.to_owned(),
        message: "no content id known for the post".into(),
    })
}

/// Publishes the stored reply `reply_id` and records the outcome (sent with its URI, or failed
/// with the reason, to be retried with the same key).
pub async fn send_reply(
    store: &Store,
    key: &SecretKey,
    reply_id: i64,
) -> Result<Reply, ReplyError> {
    let result = publish(store, key, reply_id).await;
    match result {
        Ok((uri, cid)) => Ok(store.mark_reply_sent(reply_id, &uri, &cid).await?),
        Err(e) => {
            store.mark_reply_failed(reply_id, &e.to_string()).await?;
            Err(e)
        }
    }
}

async fn publish(
    store: &Store,
    key: &SecretKey,
    reply_id: i64,
) -> Result<(String, String), ReplyError> {
    let reply = store.reply(reply_id).await?;
    let conversation = store.conversation(reply.conversation_id).await?;
    let post = &conversation.row.post;
    if post.network != "bluesky" {
        return Err(ReplyError::Network(post.network.clone()));
    }
    let account = store.account(reply.account_id).await?;
    if account.network != "bluesky" {
        return Err(ReplyError::AccountNetwork(account.network));
    }
    let stored = open(store, key, reply.account_id).await?;
    let xrpc = Xrpc::new(http_client().map_err(ConnectError::from)?, &stored.pds)
        .map_err(ConnectError::from)?;
    let agent = Agent::login(xrpc, &stored.did, &stored.app_password)
        .await
        .map_err(ConnectError::from)?;
    let reply_to = thread_refs(
        store,
        &agent,
        &post.uri,
        post.cid.as_deref(),
        post.reply_root.as_deref(),
    )
    .await?;
    let at =
        jiff::Timestamp::from_millisecond(reply.publish_at_ms).map_err(|e| ReplyError::Thread {
            uri: post.uri.clone(),
            message: e.to_string(),
        })?;
    let mut request = PublishRequest::text(format!("reply-{}", reply.id), at, reply.body.clone());
    if post.lang != "und" {
        request.langs = vec![post.lang.clone()];
    }
    request.reply_to = Some(reply_to);
    let published = Bluesky::new(agent).publish(&request).await?;
    Ok((published.post.uri, published.post.cid))
}

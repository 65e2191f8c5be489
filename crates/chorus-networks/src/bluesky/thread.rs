//! Replying: the parent and root references a reply record needs (`reply.parent`,
//! `reply.root`, each a URI with its CID), from what Chorus knows of the post and, for what it
//! does not, the records themselves (`com.atproto.repo.getRecord` through the account's PDS).

use serde::Deserialize;

use crate::model::{PostRef, ReplyTarget, ReplyTo};

use super::BlueskyError;
use super::publish::parse_at_uri;
use super::session::Agent;

#[derive(Deserialize)]
struct RecordOut {
    cid: String,
    value: serde_json::Value,
}

/// A post record through the account's PDS.
async fn get_post_record(agent: &Agent, uri: &str) -> Result<RecordOut, BlueskyError> {
    let (repo, collection, rkey) = parse_at_uri(uri)?;
    Ok(agent
        .query(
            "com.atproto.repo.getRecord",
            &[("repo", repo), ("collection", collection), ("rkey", rkey)],
        )
        .await?)
}

/// The references for replying to `target`. A top-level post whose CID is known needs no
/// lookup; otherwise the post's record gives its CID and (for a reply) its own root, which
/// names the thread's root with its CID. Only when the record does not say is the root's CID
/// taken from `target.root_cid` or, failing that, the root's record.
pub async fn reply_to(agent: &Agent, target: &ReplyTarget) -> Result<ReplyTo, BlueskyError> {
    let (parent_cid, record) = match (&target.cid, &target.root_uri) {
        (Some(cid), None) => (cid.clone(), None),
        (cid, _) => {
            let r = get_post_record(agent, &target.uri).await?;
            (cid.clone().unwrap_or_else(|| r.cid.clone()), Some(r))
        }
    };
    let parent = PostRef {
        uri: target.uri.clone(),
        cid: parent_cid,
    };
    let Some(root_uri) = &target.root_uri else {
        return Ok(ReplyTo {
            root: parent.clone(),
            parent,
        });
    };
    let from_record = record.as_ref().and_then(|r| {
        let root = r.value.get("reply")?.get("root")?;
        Some(PostRef {
            uri: root.get("uri")?.as_str()?.to_owned(),
            cid: root.get("cid")?.as_str()?.to_owned(),
        })
    });
    let root = match (from_record, &target.root_cid) {
        (Some(r), _) => r,
        (None, Some(cid)) => PostRef {
            uri: root_uri.clone(),
            cid: cid.clone(),
        },
        (None, None) => PostRef {
            uri: root_uri.clone(),
            cid: get_post_record(agent, root_uri).await?.cid,
        },
    };
    Ok(ReplyTo { parent, root })
}

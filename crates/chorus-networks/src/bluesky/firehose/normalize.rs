//! From firehose frames to Chorus's network-independent [`StreamEvent`]s.
//!
//! `app.bsky.feed.post` records become [`Post`]s (facets give hashtags, mentions and links;
//! `reply` gives parent and root; record embeds give the quoted post); likes, reposts, follows,
//! replies and quotes become [`Engagement`]s; deletes become removals. Handles come from
//! `#identity` frames, remembered in a bounded map.

use std::collections::HashMap;

use crate::model::{
    Author, Engagement, EngagementKind, NetworkKind, Post, StreamEvent, StreamItem,
};

use super::cbor::Value;
use super::frame::{Action, Commit, Frame, RepoOp};

pub const POST: &str = "app.bsky.feed.post";
pub const LIKE: &str = "app.bsky.feed.like";
pub const REPOST: &str = "app.bsky.feed.repost";
pub const FOLLOW: &str = "app.bsky.graph.follow";

/// How many DID → handle pairs to remember before starting over.
const HANDLE_CACHE: usize = 200_000;

/// Turns frames into stream events; keeps the handles it has seen.
#[derive(Debug, Default)]
pub struct Normalizer {
    handles: HashMap<String, String>,
    /// Records in commits that could not be decoded (the rest of the commit is kept).
    pub bad_records: u64,
}

impl Normalizer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Remembers `did`'s handle (from a resolver or an earlier session).
    pub fn learn_handle(&mut self, did: &str, handle: &str) {
        if self.handles.len() >= HANDLE_CACHE {
            self.handles.clear();
        }
        self.handles.insert(did.to_owned(), handle.to_owned());
    }

    pub fn handle(&self, did: &str) -> Option<&str> {
        self.handles.get(did).map(String::as_str)
    }

    /// The event for a frame that has a sequence number; `None` for `#info`, error and unknown
    /// frames without one.
    pub fn normalize(&mut self, frame: &Frame<'_>) -> Option<StreamEvent> {
        let (cursor, items) = match frame {
            Frame::Commit(c) => (c.seq, self.commit(c)),
            Frame::Identity(i) => {
                if let Some(h) = i.handle {
                    self.learn_handle(i.did, h);
                }
                (
                    i.seq,
                    vec![StreamItem::Identity {
                        account: i.did.to_owned(),
                        handle: i.handle.map(str::to_owned),
                    }],
                )
            }
            Frame::Account(a) => (
                a.seq,
                vec![StreamItem::Account {
                    account: a.did.to_owned(),
                    active: a.active,
                    status: a.status.map(str::to_owned),
                }],
            ),
            Frame::Sync(s) => (s.seq, Vec::new()),
            Frame::Unknown { seq: Some(seq), .. } => (*seq, Vec::new()),
            Frame::Unknown { seq: None, .. } | Frame::Info(_) | Frame::Error(_) => return None,
        };
        Some(StreamEvent {
            network: NetworkKind::Bluesky,
            cursor,
            items,
        })
    }

    fn commit(&mut self, c: &Commit<'_>) -> Vec<StreamItem> {
        let mut items = Vec::new();
        for op in &c.ops {
            let uri = format!("at://{}/{}", c.repo, op.path);
            match op.action {
                Action::Delete => self.deleted(c, op, uri, &mut items),
                Action::Create | Action::Update => {
                    let record = match c.record(op) {
                        Some(Ok(r)) => r,
                        Some(Err(err)) => {
                            self.bad_records += 1;
                            tracing::warn!(seq = c.seq, path = op.path, %err, "skipping undecodable record");
                            continue;
                        }
                        None => continue, // not in the blocks (too big) or no CID
                    };
                    self.written(c, op, uri, &record, &mut items);
                }
            }
        }
        items
    }

    fn deleted(&self, c: &Commit<'_>, op: &RepoOp<'_>, uri: String, items: &mut Vec<StreamItem>) {
        let kind = match op.collection() {
            LIKE => Some(EngagementKind::Like),
            REPOST => Some(EngagementKind::Repost),
            FOLLOW => Some(EngagementKind::Follow),
            POST => None,
            _ => return,
        };
        if kind.is_none() {
            items.push(StreamItem::PostDeleted {
                uri: uri.clone(),
                author: c.repo.to_owned(),
            });
        }
        items.push(StreamItem::Engagement(Engagement::Removed {
            kind,
            record: uri,
            actor: c.repo.to_owned(),
        }));
    }

    fn written(
        &self,
        c: &Commit<'_>,
        op: &RepoOp<'_>,
        uri: String,
        record: &Value<'_>,
        items: &mut Vec<StreamItem>,
    ) {
        let added = |kind, subject: &str| {
            StreamItem::Engagement(Engagement::Added {
                kind,
                record: uri.clone(),
                actor: c.repo.to_owned(),
                subject: subject.to_owned(),
            })
        };
        let subject_uri = || record.get("subject")?.get("uri")?.as_str();
        match (op.collection(), op.action) {
            (POST, _) => {
                let post = self.post(c, op, uri.clone(), record);
                let created = op.action == Action::Create;
                let reply = post.reply_parent.clone().filter(|_| created);
                let quote = post.quote.clone().filter(|_| created);
                items.push(StreamItem::Post(Box::new(post)));
                if let Some(parent) = reply {
                    items.push(added(EngagementKind::Reply, &parent));
                }
                if let Some(quoted) = quote {
                    items.push(added(EngagementKind::Quote, &quoted));
                }
            }
            (LIKE, Action::Create) => {
                if let Some(s) = subject_uri() {
                    items.push(added(EngagementKind::Like, s));
                }
            }
            (REPOST, Action::Create) => {
                if let Some(s) = subject_uri() {
                    items.push(added(EngagementKind::Repost, s));
                }
            }
            (FOLLOW, Action::Create) => {
                if let Some(s) = record.get("subject").and_then(Value::as_str) {
                    items.push(added(EngagementKind::Follow, s));
                }
            }
            _ => {}
        }
    }

    fn post(&self, c: &Commit<'_>, op: &RepoOp<'_>, uri: String, r: &Value<'_>) -> Post {
        let strs = |v: Option<&Value<'_>>| -> Vec<String> {
            v.and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut hashtags = Vec::new();
        let mut mentions = Vec::new();
        let mut links = Vec::new();
        for facet in r.get("facets").and_then(Value::as_array).unwrap_or(&[]) {
            for feature in facet
                .get("features")
                .and_then(Value::as_array)
                .unwrap_or(&[])
            {
                let t = feature.get("$type").and_then(Value::as_str).unwrap_or("");
                let field = |name| feature.get(name).and_then(Value::as_str);
                match t {
                    "app.bsky.richtext.facet#tag" => push_unique(&mut hashtags, field("tag")),
                    "app.bsky.richtext.facet#mention" => push_unique(&mut mentions, field("did")),
                    "app.bsky.richtext.facet#link" => push_unique(&mut links, field("uri")),
                    _ => {}
                }
            }
        }
        for tag in strs(r.get("tags")) {
            push_unique(&mut hashtags, Some(&tag));
        }
        let embed = r.get("embed");
        let embed_type = embed
            .and_then(|e| e.get("$type"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let quote = match embed_type {
            "app.bsky.embed.record" => embed.and_then(|e| e.get("record")?.get("uri")?.as_str()),
            "app.bsky.embed.recordWithMedia" => {
                embed.and_then(|e| e.get("record")?.get("record")?.get("uri")?.as_str())
            }
            _ => None,
        };
        if embed_type == "app.bsky.embed.external" {
            push_unique(
                &mut links,
                embed.and_then(|e| e.get("external")?.get("uri")?.as_str()),
            );
        }
        let link_domains = domains(&links);
        let reply = r.get("reply");
        let reply_uri = |which| {
            reply
                .and_then(|x| x.get(which)?.get("uri")?.as_str())
                .map(str::to_owned)
        };
        Post {
            network: NetworkKind::Bluesky,
            uri,
            cid: op.cid.map(|c| c.to_string()),
            author: Author {
                id: c.repo.to_owned(),
                handle: self.handle(c.repo).map(str::to_owned),
            },
            text: r
                .get("text")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            langs: strs(r.get("langs")),
            hashtags,
            mentions,
            links,
            link_domains,
            reply_parent: reply_uri("parent"),
            reply_root: reply_uri("root"),
            quote: quote.map(str::to_owned),
            created_at: r
                .get("createdAt")
                .and_then(Value::as_str)
                .and_then(|s| s.parse().ok()),
            seen_at: c.time.parse().ok(),
        }
    }
}

fn push_unique(list: &mut Vec<String>, item: Option<&str>) {
    if let Some(item) = item.filter(|s| !s.is_empty())
        && !list.iter().any(|x| x == item)
    {
        list.push(item.to_owned());
    }
}

/// Lowercased hosts of http(s) URLs, deduplicated.
pub fn domains(links: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for link in links {
        let Some(rest) = link
            .strip_prefix("https://")
            .or_else(|| link.strip_prefix("http://"))
        else {
            continue;
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host = authority.rsplit('@').next().unwrap_or("");
        let host = host.split(':').next().unwrap_or("").to_ascii_lowercase();
        let host = host.strip_prefix("www.").map(str::to_owned).unwrap_or(host);
        push_unique(&mut out, Some(&host));
    }
    out
}

#[cfg(test)]
mod tests;

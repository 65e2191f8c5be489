//! Publishing: post records with facets, replies, quotes, images and link cards; delete.
//!
//! Exactly-once: the record key is [`Tid::derive`]d from the publication's Chorus id and first
//! time, and the record's `createdAt` is that same time, so every attempt writes the same key
//! and the same content. When `createRecord` fails in a way that may have taken effect (lost
//! response, server error — the reference PDS answers a duplicate key with a 500), we read the
//! record back: if it is there and is ours (same text, same `createdAt`) the earlier attempt
//! succeeded and we return it; if another record holds the key, we say so.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::model::{Image, LinkCard, PostRef, PublishRequest, Published};

use super::BlueskyError;
use super::identity::Handle;
use super::richtext::{self, Feature, MAX_BYTES, MAX_GRAPHEMES};
use super::rkey::Tid;
use super::session::Agent;
use super::xrpc::XrpcError;

pub const POST_COLLECTION: &str = "app.bsky.feed.post";
/// Bluesky's limit per image blob.
pub const MAX_IMAGE_BYTES: usize = 1_000_000;
pub const MAX_IMAGES: usize = 4;
pub const MAX_LANGS: usize = 3;
/// Attempts at `createRecord` within one call when the outcome is unclear.
const CREATE_ATTEMPTS: u32 = 3;
const IMAGE_TYPES: &[&str] = &["image/jpeg", "image/png", "image/webp", "image/gif"];

/// Checks what can be checked before anything is sent.
pub fn validate(req: &PublishRequest) -> Result<(), BlueskyError> {
    let graphemes = richtext::graphemes(&req.text);
    if graphemes > MAX_GRAPHEMES {
        return Err(BlueskyError::TooLong { graphemes });
    }
    if req.text.len() > MAX_BYTES {
        return Err(BlueskyError::TooManyBytes {
            bytes: req.text.len(),
        });
    }
    if req.langs.len() > MAX_LANGS {
        return Err(BlueskyError::TooManyLangs(req.langs.len()));
    }
    if req.images.len() > MAX_IMAGES {
        return Err(BlueskyError::TooManyImages(req.images.len()));
    }
    if !req.images.is_empty() && req.link_card.is_some() {
        return Err(BlueskyError::Embed(
            "a post carries either images or a link card, not both",
        ));
    }
    for (i, img) in req.images.iter().enumerate() {
        check_image(img).map_err(|reason| BlueskyError::Image { index: i, reason })?;
        if img.alt.trim().is_empty() {
            return Err(BlueskyError::Image {
                index: i,
                reason: "alt text is missing: describe the image for people who cannot see it"
                    .into(),
            });
        }
    }
    if let Some(thumb) = req.link_card.as_ref().and_then(|c| c.thumb.as_ref()) {
        check_image(thumb).map_err(|reason| BlueskyError::Image { index: 0, reason })?;
    }
    Ok(())
}

/// Size and type checks for an image: within the blob limit, an accepted type, and bytes that
/// really are that type.
pub fn check_image(img: &Image) -> Result<(), String> {
    if img.bytes.is_empty() {
        return Err("image is empty".into());
    }
    if img.bytes.len() > MAX_IMAGE_BYTES {
        return Err(format!(
            "image is {} bytes; the limit is {MAX_IMAGE_BYTES}: resize or recompress it",
            img.bytes.len()
        ));
    }
    if !IMAGE_TYPES.contains(&img.mime.as_str()) {
        return Err(format!(
            "type {} is not accepted (use JPEG, PNG, WebP or GIF)",
            img.mime
        ));
    }
    let sniffed = sniff(&img.bytes);
    if sniffed != Some(img.mime.as_str()) {
        return Err(format!(
            "declared {} but the bytes are {}",
            img.mime,
            sniffed.unwrap_or("not a known image type")
        ));
    }
    Ok(())
}

fn sniff(b: &[u8]) -> Option<&'static str> {
    if b.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if b.len() >= 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// Width and height of a PNG, JPEG dimensions are not parsed (aspect ratio is optional).
fn aspect_ratio(img: &Image) -> Option<(u32, u32)> {
    if img.mime == "image/png" && img.bytes.len() >= 24 {
        let w = u32::from_be_bytes([img.bytes[16], img.bytes[17], img.bytes[18], img.bytes[19]]);
        let h = u32::from_be_bytes([img.bytes[20], img.bytes[21], img.bytes[22], img.bytes[23]]);
        return (w > 0 && h > 0).then_some((w, h));
    }
    None
}

#[derive(Deserialize)]
struct Created {
    uri: String,
    cid: String,
}

#[derive(Deserialize)]
struct Fetched {
    uri: String,
    cid: Option<String>,
    value: Value,
}

/// Uploads a blob; returns the blob reference to embed.
async fn upload(agent: &Agent, img: &Image) -> Result<Value, BlueskyError> {
    #[derive(Deserialize)]
    struct Out {
        blob: Value,
    }
    let out: Out = agent.upload(&img.bytes, &img.mime).await?;
    Ok(out.blob)
}

/// Builds the post record for `req` (uploading its images).
pub async fn build_record(agent: &Agent, req: &PublishRequest) -> Result<Value, BlueskyError> {
    let spans = richtext::detect(&req.text);
    let mut dids: HashMap<Handle, String> = HashMap::new();
    for span in &spans {
        if let Feature::Mention(h) = &span.feature
            && !dids.contains_key(h)
        {
            #[derive(Deserialize)]
            struct Out {
                did: String,
            }
            match agent
                .xrpc()
                .query::<Out>(
                    "com.atproto.identity.resolveHandle",
                    &[("handle", h.as_str())],
                    None,
                )
                .await
            {
                Ok(out) => {
                    dids.insert(h.clone(), out.did);
                }
                Err(err) => {
                    tracing::info!(handle = %h, %err, "mention left as text: handle does not resolve")
                }
            }
        }
    }
    let facets = richtext::facets(&spans, |h| dids.get(h).cloned());
    let mut record = json!({
        "$type": POST_COLLECTION,
        "text": req.text,
        "createdAt": created_at(req.at),
    });
    if !req.langs.is_empty() {
        record["langs"] = json!(req.langs);
    }
    if !facets.is_empty() {
        record["facets"] = Value::Array(facets);
    }
    if let Some(r) = &req.reply_to {
        record["reply"] = json!({
            "root": {"uri": r.root.uri, "cid": r.root.cid},
            "parent": {"uri": r.parent.uri, "cid": r.parent.cid},
        });
    }
    let media = if !req.images.is_empty() {
        let mut images = Vec::new();
        for img in &req.images {
            let blob = upload(agent, img).await?;
            let mut entry = json!({"image": blob, "alt": img.alt});
            if let Some((w, h)) = aspect_ratio(img) {
                entry["aspectRatio"] = json!({"width": w, "height": h});
            }
            images.push(entry);
        }
        Some(json!({"$type": "app.bsky.embed.images", "images": images}))
    } else if let Some(card) = &req.link_card {
        Some(link_card(agent, card).await?)
    } else {
        None
    };
    let quote = req
        .quote
        .as_ref()
        .map(|q| json!({"uri": q.uri, "cid": q.cid}));
    record["embed"] = match (media, quote) {
        (None, None) => Value::Null,
        (Some(m), None) => m,
        (None, Some(q)) => json!({"$type": "app.bsky.embed.record", "record": q}),
        (Some(m), Some(q)) => json!({
            "$type": "app.bsky.embed.recordWithMedia",
            "record": {"$type": "app.bsky.embed.record", "record": q},
            "media": m,
        }),
    };
    if record["embed"].is_null()
        && let Some(obj) = record.as_object_mut()
    {
        obj.remove("embed");
    }
    Ok(record)
}

async fn link_card(agent: &Agent, card: &LinkCard) -> Result<Value, BlueskyError> {
    let mut external = json!({
        "uri": card.url,
        "title": card.title,
        "description": card.description,
    });
    if let Some(thumb) = &card.thumb {
        external["thumb"] = upload(agent, thumb).await?;
    }
    Ok(json!({"$type": "app.bsky.embed.external", "external": external}))
}

/// `createdAt` as the AT Protocol writes it: RFC 3339, UTC, milliseconds.
pub fn created_at(at: jiff::Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Publishes `req` exactly once (see the module docs).
pub async fn publish(agent: &Agent, req: &PublishRequest) -> Result<Published, BlueskyError> {
    validate(req)?;
    let did = agent.did().await;
    let rkey = Tid::derive(&req.id, req.at);
    let record = build_record(agent, req).await?;
    let body = json!({
        "repo": did.as_str(),
        "collection": POST_COLLECTION,
        "rkey": rkey.as_str(),
        "record": record,
    });
    // The key makes every attempt safe to repeat; a few are made when the outcome was unclear
    // and the record is not there (a transient server error, a dropped connection).
    let mut attempt = 0;
    loop {
        attempt += 1;
        let err = match agent
            .procedure::<_, Created>("com.atproto.repo.createRecord", &body)
            .await
        {
            Ok(c) => {
                return Ok(Published {
                    post: PostRef {
                        uri: c.uri,
                        cid: c.cid,
                    },
                    already_existed: false,
                });
            }
            Err(err) if err.is_ambiguous() || matches!(err, XrpcError::Rejected { .. }) => err,
            Err(err) => return Err(err.into()),
        };
        tracing::info!(rkey = %rkey, %err, attempt, "create failed; checking whether an earlier attempt published it");
        match get_post(agent, did.as_str(), rkey.as_str()).await? {
            Some(found) if is_ours(&found.value, &record) => {
                return Ok(Published {
                    post: PostRef {
                        uri: found.uri,
                        cid: found.cid.unwrap_or_default(),
                    },
                    already_existed: true,
                });
            }
            Some(found) => return Err(BlueskyError::RecordKeyTaken { uri: found.uri }),
            None if err.is_ambiguous() && attempt < CREATE_ATTEMPTS => {
                tokio::time::sleep(std::time::Duration::from_millis(200 * u64::from(attempt)))
                    .await;
            }
            None => return Err(err.into()),
        }
    }
}

fn is_ours(stored: &Value, record: &Value) -> bool {
    stored.get("text") == record.get("text") && stored.get("createdAt") == record.get("createdAt")
}

async fn get_post(agent: &Agent, did: &str, rkey: &str) -> Result<Option<Fetched>, BlueskyError> {
    match agent
        .xrpc()
        .query::<Fetched>(
            "com.atproto.repo.getRecord",
            &[
                ("repo", did),
                ("collection", POST_COLLECTION),
                ("rkey", rkey),
            ],
            None,
        )
        .await
    {
        Ok(f) => Ok(Some(f)),
        Err(XrpcError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Splits `at://did/collection/rkey`.
pub fn parse_at_uri(uri: &str) -> Result<(&str, &str, &str), BlueskyError> {
    let bad = || BlueskyError::BadUri(uri.to_owned());
    let rest = uri.strip_prefix("at://").ok_or_else(bad)?;
    let mut parts = rest.splitn(3, '/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(repo), Some(coll), Some(rkey))
            if !repo.is_empty() && !coll.is_empty() && !rkey.is_empty() && !rkey.contains('/') =>
        {
            Ok((repo, coll, rkey))
        }
        _ => Err(bad()),
    }
}

/// Deletes a record of this account. Deleting a record that is already gone succeeds.
pub async fn delete(agent: &Agent, uri: &str) -> Result<(), BlueskyError> {
    let (repo, collection, rkey) = parse_at_uri(uri)?;
    let did = agent.did().await;
    if repo != did.as_str() {
        return Err(BlueskyError::NotOurs {
            uri: uri.to_owned(),
        });
    }
    agent
        .procedure::<_, Value>(
            "com.atproto.repo.deleteRecord",
            &json!({"repo": repo, "collection": collection, "rkey": rkey}),
        )
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png() -> Vec<u8> {
        let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        b.extend(2u32.to_be_bytes());
        b.extend(3u32.to_be_bytes());
        b.extend([8, 6, 0, 0, 0]);
        b
    }

    fn req(text: &str) -> PublishRequest {
        PublishRequest::text("id", jiff::Timestamp::UNIX_EPOCH, text)
    }

    #[test]
    fn validates_before_sending() {
        assert!(validate(&req(&"é".repeat(300))).is_ok());
        assert!(matches!(
            validate(&req(&"e\u{301}".repeat(301))),
            Err(BlueskyError::TooLong { graphemes: 301 })
        ));
        let mut r = req("hi");
        r.images = vec![Image {
            bytes: png(),
            mime: "image/png".into(),
            alt: "a chart".into(),
        }];
        assert!(validate(&r).is_ok());
        r.images[0].alt = " ".into();
        assert!(matches!(
            validate(&r),
            Err(BlueskyError::Image { index: 0, .. })
        ));
        r.images[0] = Image {
            bytes: png(),
            mime: "image/jpeg".into(),
            alt: "x".into(),
        };
        assert!(matches!(validate(&r), Err(BlueskyError::Image { .. })));
        let mut big = vec![0u8; MAX_IMAGE_BYTES + 1];
        big[..3].copy_from_slice(&[0xff, 0xd8, 0xff]);
        r.images[0] = Image {
            bytes: big,
            mime: "image/jpeg".into(),
            alt: "x".into(),
        };
        assert!(matches!(validate(&r), Err(BlueskyError::Image { .. })));
        r.images = vec![
            Image {
                bytes: png(),
                mime: "image/png".into(),
                alt: "x".into()
            };
            5
        ];
        assert!(matches!(validate(&r), Err(BlueskyError::TooManyImages(5))));
    }

    #[test]
    fn parses_at_uris_and_png_sizes() {
        assert_eq!(
            parse_at_uri("at://did:plc:x/app.bsky.feed.post/3abc").unwrap(),
            ("did:plc:x", "app.bsky.feed.post", "3abc")
        );
        for bad in [
            "",
            "at://",
            "https://x/y/z",
            "at://did:plc:x/app.bsky.feed.post",
            "at://d/c/r/x",
        ] {
            assert!(parse_at_uri(bad).is_err(), "{bad}");
        }
        let img = Image {
            bytes: png(),
            mime: "image/png".into(),
            alt: "x".into(),
        };
        assert_eq!(aspect_ratio(&img), Some((2, 3)));
        assert_eq!(
            created_at("2026-11-26T06:00:00.5Z".parse().unwrap()),
            "2026-11-26T06:00:00.500Z"
        );
    }
}

//! Measuring what was published: post counts (`app.bsky.feed.getPosts`), an account's
//! followers (`app.bsky.actor.getProfile`) and likes within a window (`app.bsky.feed.getLikes`,
//! for first-hour velocity).
//!
//! These are AppView methods and their answers are public: with an AppView configured
//! ([`Bluesky::with_appview`]) they go to it without credentials, otherwise through the
//! account's PDS, which forwards them to its AppView. Failures keep their kind (a 429 is
//! `RateLimited` with the wait the server asked for), so a caller retries instead of recording
//! anything: nothing here ever turns a failure into a count of 0.

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::{Bluesky, BlueskyError};
use crate::model::{Counts, PostRef, ProfileCounts};

/// URIs per `getPosts` call (the method's limit).
pub const POSTS_PER_CALL: usize = 25;
/// Likes per `getLikes` page (the method's limit).
const LIKES_PER_PAGE: &str = "100";
/// Pages of likes read at most for one window: beyond them the count is not known.
const MAX_LIKE_PAGES: usize = 20;

async fn query<T: DeserializeOwned>(
    bluesky: &Bluesky,
    nsid: &str,
    params: &[(&str, &str)],
) -> Result<T, BlueskyError> {
    Ok(match &bluesky.appview {
        Some(appview) => appview.query(nsid, params, None).await?,
        None => bluesky.agent.query(nsid, params).await?,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PostView {
    uri: String,
    cid: String,
    #[serde(default)]
    like_count: u64,
    #[serde(default)]
    repost_count: u64,
    #[serde(default)]
    reply_count: u64,
    #[serde(default)]
    quote_count: u64,
    /// Only newer AppViews report it.
    #[serde(default)]
    bookmark_count: Option<u64>,
}

/// The counts of `uris`, in the order asked; posts the AppView does not know (deleted, or not
/// indexed yet) are left out.
pub async fn engagement(
    bluesky: &Bluesky,
    uris: &[String],
) -> Result<Vec<(PostRef, Counts)>, BlueskyError> {
    #[derive(Deserialize)]
    struct Out {
        posts: Vec<PostView>,
    }
    let mut out = Vec::with_capacity(uris.len());
    for chunk in uris.chunks(POSTS_PER_CALL) {
        let params: Vec<(&str, &str)> = chunk.iter().map(|u| ("uris", u.as_str())).collect();
        let got: Out = query(bluesky, "app.bsky.feed.getPosts", &params).await?;
        for uri in chunk {
            if let Some(p) = got.posts.iter().find(|p| &p.uri == uri) {
                out.push((
                    PostRef {
                        uri: p.uri.clone(),
                        cid: p.cid.clone(),
                    },
                    Counts {
                        likes: p.like_count,
                        reposts: p.repost_count,
                        replies: p.reply_count,
                        quotes: p.quote_count,
                        bookmarks: p.bookmark_count,
                    },
                ));
            }
        }
    }
    Ok(out)
}

/// The public counts of `actor` (a DID or handle).
pub async fn profile(bluesky: &Bluesky, actor: &str) -> Result<ProfileCounts, BlueskyError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Out {
        followers_count: Option<u64>,
        follows_count: Option<u64>,
        posts_count: Option<u64>,
    }
    let got: Out = query(bluesky, "app.bsky.actor.getProfile", &[("actor", actor)]).await?;
    Ok(ProfileCounts {
        followers: got.followers_count,
        follows: got.follows_count,
        posts: got.posts_count,
    })
}

/// How many likes of `uri` were created in `[from, until)`, by their `createdAt`; `None` when
/// there are more likes than Chorus reads for one window ([`MAX_LIKE_PAGES`] pages) and the
/// window was not reached.
pub async fn likes_between(
    bluesky: &Bluesky,
    uri: &str,
    from: jiff::Timestamp,
    until: jiff::Timestamp,
) -> Result<Option<u64>, BlueskyError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Like {
        created_at: String,
    }
    #[derive(Deserialize)]
    struct Out {
        likes: Vec<Like>,
        cursor: Option<String>,
    }
    let mut count = 0;
    let mut cursor: Option<String> = None;
    for _ in 0..MAX_LIKE_PAGES {
        let mut params = vec![("uri", uri), ("limit", LIKES_PER_PAGE)];
        if let Some(c) = &cursor {
            params.push(("cursor", c.as_str()));
        }
        let page: Out = query(bluesky, "app.bsky.feed.getLikes", &params).await?;
        for like in &page.likes {
            // A like whose time does not parse is not counted in any window.
            if let Ok(at) = like.created_at.parse::<jiff::Timestamp>()
                && from <= at
                && at < until
            {
                count += 1;
            }
        }
        match page.cursor {
            Some(c) if !page.likes.is_empty() => cursor = Some(c),
            _ => return Ok(Some(count)),
        }
    }
    Ok(None)
}

//! Comments on a story: the conversation between its author and its reviewers.
//!
//! Contract: whoever may read a story reads its comments and adds to them, in any state (a
//! published story can still be talked about); a comment is 1 to 4000 characters.

use std::collections::HashMap;

use chorus_core::UserId;
use chorus_core::validate::text;

use super::{readable_story, user_names};
use crate::{App, Caller, Result};

/// Longest comment accepted.
const MAX_COMMENT_CHARS: usize = 4000;

/// One comment, oldest first in lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub author_id: UserId,
    /// The author's display name (empty if the account is gone).
    pub author: String,
    pub body: String,
    pub at_ms: i64,
}

/// A story's comments, oldest first.
pub async fn list(app: &App, caller: &Caller, story: i64) -> Result<Vec<Comment>> {
    let story = readable_story(app, caller, story).await?;
    of(app, story.id, &user_names(app).await?).await
}

/// The comments of a story already read, with their authors' names from `names`.
pub(crate) async fn of(
    app: &App,
    story: i64,
    names: &HashMap<UserId, String>,
) -> Result<Vec<Comment>> {
    Ok(app
        .store
        .comments(story)
        .await?
        .into_iter()
        .map(|(author_id, body, at_ms)| Comment {
            author: names.get(&author_id).cloned().unwrap_or_default(),
            author_id,
            body,
            at_ms,
        })
        .collect())
}

/// Adds a comment to a story (errors name the field `body`).
pub async fn add(app: &App, caller: &Caller, story: i64, body: &str) -> Result<()> {
    let story = readable_story(app, caller, story).await?;
    let body = text(body, MAX_COMMENT_CHARS).map_err(|e| e.at("body"))?;
    app.store
        .add_comment(&caller.author(), story.id, &body)
        .await?;
    Ok(())
}

//! Comments on stories: conversation about the content, not content. They change nothing that
//! gets published, so they are not audited, do not send approved work back to draft and do not
//! count as changing the story for the four-eyes rule (see `story_editors`): a lead who only
//! commented may approve.

use chorus_core::UserId;
use chorus_core::audit::Author;
use sqlx::Row;

use crate::stories::reference;
use crate::{Store, StoreError, now_ms};

impl Store {
    /// Adds a comment to a story (comments are conversation, not content: not audited).
    pub async fn add_comment(
        &self,
        author: &Author,
        story: i64,
        body: &str,
    ) -> Result<(), StoreError> {
        let Some(uid) = author.user_id else {
            return Err(StoreError::Reference("comments need a person".into()));
        };
        sqlx::query(
            "INSERT INTO story_comments (story_id, author_id, body, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(story)
        .bind(uid.0)
        .bind(body)
        .bind(now_ms())
        .execute(self.pool())
        .await
        .map_err(|e| reference(e, "the story does not exist"))?;
        Ok(())
    }

    /// A story's comments, oldest first: (author, body, time).
    pub async fn comments(&self, story: i64) -> Result<Vec<(UserId, String, i64)>, StoreError> {
        sqlx::query(
            "SELECT author_id, body, created_at FROM story_comments WHERE story_id = $1 ORDER BY id",
        )
        .bind(story)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| Ok((UserId(r.try_get("author_id")?), r.try_get("body")?, r.try_get("created_at")?)))
        .collect()
    }
}

//! Who changed a story's content since it was last approved (the four-eyes rule: nobody
//! approves content they wrote or changed; see `chorus_core::stories::workflow`).
//!
//! Every change of content — a story's fields, a variant's account, locale or text, an image
//! added, removed or given other words — [`record`]s its author in the change's own
//! transaction, so the list can never miss a change that was written. An approval [`clear`]s it
//! in the approval's transaction: what was approved was seen by someone who did not change it,
//! and the next change starts the list again. Moving a time, commenting and the workflow's other
//! steps change no content and record nobody. The list is read with the story
//! ([`crate::Story::changed_by`]); what each person changed is in the audit log.

use std::collections::HashMap;

use chorus_core::UserId;
use chorus_core::audit::Author;
use sqlx::{AnyConnection, Row};

use crate::{StoreError, now_ms};

/// Notes that `author` changed story `story`'s content now (nothing for the system: it is not a
/// person who could approve).
pub(crate) async fn record(
    conn: &mut AnyConnection,
    story: i64,
    author: &Author,
) -> Result<(), StoreError> {
    let Some(user) = author.user_id else {
        return Ok(());
    };
    sqlx::query(
        "INSERT INTO story_editors (story_id, user_id, changed_at) VALUES ($1, $2, $3) \
         ON CONFLICT (story_id, user_id) DO UPDATE SET changed_at = excluded.changed_at",
    )
    .bind(story)
    .bind(user.0)
    .bind(now_ms())
    .execute(conn)
    .await?;
    Ok(())
}

/// Empties the list of story `story` (it was just approved).
pub(crate) async fn clear(conn: &mut AnyConnection, story: i64) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM story_editors WHERE story_id = $1")
        .bind(story)
        .execute(conn)
        .await?;
    Ok(())
}

/// Who changed story `story`'s content since it was last approved, by id.
pub(crate) async fn of(conn: &mut AnyConnection, story: i64) -> Result<Vec<UserId>, StoreError> {
    sqlx::query("SELECT user_id FROM story_editors WHERE story_id = $1 ORDER BY user_id")
        .bind(story)
        .fetch_all(conn)
        .await?
        .iter()
        .map(|r| Ok(UserId(r.try_get("user_id")?)))
        .collect()
}

/// The same for many stories at once (a list), by story id; stories nobody changed since their
/// approval are absent.
pub(crate) async fn of_many(
    conn: &mut AnyConnection,
    stories: &[i64],
) -> Result<HashMap<i64, Vec<UserId>>, StoreError> {
    let mut out: HashMap<i64, Vec<UserId>> = HashMap::new();
    // Story ids are integers, so listing them inline is safe; in chunks, to keep statements
    // short.
    for chunk in stories.chunks(500) {
        let ids = chunk
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let rows = sqlx::query(&format!(
            "SELECT story_id, user_id FROM story_editors WHERE story_id IN ({ids}) \
             ORDER BY story_id, user_id"
        ))
        .fetch_all(&mut *conn)
        .await?;
        for r in &rows {
            out.entry(r.try_get("story_id")?)
                .or_default()
                .push(UserId(r.try_get("user_id")?));
        }
    }
    Ok(out)
}

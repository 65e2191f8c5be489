//! Working the inbox: status, assignee and tags (one conversation or many at once), internal
//! notes, and replies. Each change to each conversation is audited in the same transaction.

use chorus_core::audit::Author;
use chorus_core::conversations::{ConversationId, Status};
use chorus_core::{MarketId, UserId};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use crate::audit::{self, Applied, Change, Lock, snapshot};
use crate::inbox::{Reply, reply_from_row};
use crate::webhooks::{self, NewEvent};
use crate::{Store, StoreError, now_ms};
use chorus_core::webhooks::EventType;

/// What to change on each conversation; `None` leaves a field alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConversationChange {
    pub status: Option<Status>,
    /// `Some(None)` unassigns.
    pub assignee: Option<Option<UserId>>,
    pub add_tags: Vec<String>,
    pub remove_tags: Vec<String>,
}

impl ConversationChange {
    pub fn is_empty(&self) -> bool {
        self.status.is_none()
            && self.assignee.is_none()
            && self.add_tags.is_empty()
            && self.remove_tags.is_empty()
    }
}

/// The audited state of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct State {
    status: String,
    assignee_id: Option<i64>,
    tags: Vec<String>,
}

async fn state(conn: &mut AnyConnection, id: i64) -> Result<(State, Option<MarketId>), StoreError> {
    let row = sqlx::query(
        "SELECT status, assignee_id, (SELECT MIN(market_id) FROM conversation_matches m \
         WHERE m.conversation_id = c.id) AS market_id FROM conversations c WHERE c.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound {
        what: "conversation",
    })?;
    let tags =
        sqlx::query("SELECT tag FROM conversation_tags WHERE conversation_id = $1 ORDER BY tag")
            .bind(id)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| r.try_get("tag"))
            .collect::<Result<Vec<String>, _>>()?;
    Ok((
        State {
            status: row.try_get("status")?,
            assignee_id: row.try_get("assignee_id")?,
            tags,
        },
        row.try_get::<Option<i64>, _>("market_id")?.map(MarketId),
    ))
}

impl Store {
    /// Applies `change` to every conversation in `ids` in one transaction, with one audit entry
    /// per conversation that changed. Returns how many changed. An unknown conversation is
    /// `NotFound` and nothing changes.
    pub async fn change_conversations(
        &self,
        author: &Author,
        ids: &[ConversationId],
        change: &ConversationChange,
    ) -> Result<usize, StoreError> {
        let keys: Vec<i64> = ids.iter().map(|c| c.0).collect();
        audit::write(
            self,
            author,
            Lock::ids("conversations", &keys),
            async |c| {
                let mut before = Vec::with_capacity(ids.len());
                for id in ids {
                    before.push(state(c, id.0).await?);
                }
                Ok(before)
            },
            async |c, before| {
                let now = now_ms();
                let (mut rows, mut expected) = (0, 0);
                let mut entries = Vec::new();
                for (id, (was, market)) in ids.iter().zip(before) {
                    if let Some(s) = change.status {
                        expected += 1;
                        rows += sqlx::query(
                            "UPDATE conversations SET status = $1, updated_at = $2 WHERE id = $3",
                        )
                        .bind(s.as_str())
                        .bind(now)
                        .bind(id.0)
                        .execute(&mut *c)
                        .await?
                        .rows_affected();
                    }
                    if let Some(a) = change.assignee {
                        expected += 1;
                        rows += sqlx::query(
                            "UPDATE conversations SET assignee_id = $1, updated_at = $2 \
                             WHERE id = $3",
                        )
                        .bind(a.map(|u| u.0))
                        .bind(now)
                        .bind(id.0)
                        .execute(&mut *c)
                        .await
                        .map_err(|e| {
                            if crate::error::is_foreign_key_violation(&e) {
                                StoreError::Reference("the assignee does not exist".into())
                            } else {
                                e.into()
                            }
                        })?
                        .rows_affected();
                    }
                    for t in &change.add_tags {
                        sqlx::query(
                            "INSERT INTO conversation_tags (conversation_id, tag) VALUES ($1, $2) \
                             ON CONFLICT DO NOTHING",
                        )
                        .bind(id.0)
                        .bind(t)
                        .execute(&mut *c)
                        .await?;
                    }
                    for t in &change.remove_tags {
                        sqlx::query(
                            "DELETE FROM conversation_tags WHERE conversation_id = $1 AND tag = $2",
                        )
                        .bind(id.0)
                        .bind(t)
                        .execute(&mut *c)
                        .await?;
                    }
                    let (now_state, _) = state(c, id.0).await?;
                    if now_state.assignee_id != was.assignee_id
                        && let Some(assignee) = now_state.assignee_id
                    {
                        let event = NewEvent {
                            kind: EventType::ConversationAssigned,
                            market: *market,
                            data: serde_json::json!({
                                "conversation_id": id.0,
                                "assignee_id": assignee,
                                "status": now_state.status,
                            }),
                        };
                        webhooks::record_event(c, &event).await?;
                    }
                    if now_state != *was {
                        entries.push(Change {
                            action: "conversation.update",
                            subject_type: "conversation",
                            subject_id: id.to_string(),
                            market: *market,
                            before: snapshot(was),
                            after: snapshot(&now_state),
                        });
                    }
                }
                let changed = entries.len();
                Ok(entries
                    .into_iter()
                    .fold(Applied::rows(rows, expected, changed), Applied::audit))
            },
            async |_, _| StoreError::NotFound {
                what: "conversation",
            },
        )
        .await
    }

    /// Adds an internal note.
    pub async fn add_note(
        &self,
        author: &Author,
        id: ConversationId,
        body: &str,
    ) -> Result<i64, StoreError> {
        audit::write(
            self,
            author,
            Lock::nothing(),
            async |c| Ok(state(c, id.0).await?.1),
            async |c, market| {
                let note_id: i64 = sqlx::query(
                    "INSERT INTO conversation_notes (conversation_id, author_id, author_label, \
                     body, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(id.0)
                .bind(author.user_id.map(|u| u.0))
                .bind(&author.label)
                .bind(body)
                .bind(now_ms())
                .fetch_one(&mut *c)
                .await?
                .try_get("id")?;
                let change = Change {
                    action: "conversation.note",
                    subject_type: "conversation",
                    subject_id: id.to_string(),
                    market: *market,
                    before: None,
                    after: Some(serde_json::json!({ "note_id": note_id, "body": body })),
                };
                Ok(Applied::rows(1, 1, note_id).audit(change))
            },
            async |_, _| StoreError::NotFound {
                what: "conversation",
            },
        )
        .await
    }

    /// Records a reply about to be sent from `account_id`. Its id and `publish_at` make the
    /// network's record key, so sending it again after a crash cannot post twice.
    pub async fn create_reply(
        &self,
        author: &Author,
        id: ConversationId,
        account_id: i64,
        body: &str,
    ) -> Result<Reply, StoreError> {
        audit::write(
            self,
            author,
            Lock::nothing(),
            async |c| Ok(state(c, id.0).await?.1),
            async |c, market| {
                let now = now_ms();
                let row = sqlx::query(
                    "INSERT INTO conversation_replies (conversation_id, author_id, author_label, \
                     account_id, body, state, publish_at, created_at) \
                     VALUES ($1, $2, $3, $4, $5, 'sending', $6, $6) RETURNING *",
                )
                .bind(id.0)
                .bind(author.user_id.map(|u| u.0))
                .bind(&author.label)
                .bind(account_id)
                .bind(body)
                .bind(now)
                .fetch_one(&mut *c)
                .await
                .map_err(|e| {
                    if crate::error::is_foreign_key_violation(&e) {
                        StoreError::Reference("the account does not exist".into())
                    } else {
                        e.into()
                    }
                })?;
                let reply = reply_from_row(&row)?;
                let change = Change {
                    action: "conversation.reply",
                    subject_type: "conversation",
                    subject_id: id.to_string(),
                    market: *market,
                    before: None,
                    after: Some(serde_json::json!({
                        "reply_id": reply.id, "account_id": account_id, "body": body,
                    })),
                };
                Ok(Applied::rows(1, 1, reply).audit(change))
            },
            async |_, _| StoreError::NotFound {
                what: "conversation",
            },
        )
        .await
    }

    pub async fn reply(&self, reply_id: i64) -> Result<Reply, StoreError> {
        let row = sqlx::query("SELECT * FROM conversation_replies WHERE id = $1")
            .bind(reply_id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound { what: "reply" })?;
        reply_from_row(&row)
    }

    /// Marks a reply sent; the conversation's first response time is set if it was not, and a
    /// new or open conversation moves to waiting (for the other side).
    pub async fn mark_reply_sent(
        &self,
        reply_id: i64,
        uri: &str,
        cid: &str,
    ) -> Result<Reply, StoreError> {
        let system = Author {
            user_id: None,
            label: format!("system (reply {reply_id})"),
        };
        let backend = self.backend();
        audit::write(
            self,
            &system,
            Lock::id("conversation_replies", reply_id),
            async |_| Ok(()),
            async |c, _| {
                let now = now_ms();
                let row = sqlx::query(
                    "UPDATE conversation_replies SET state = 'sent', uri = $1, cid = $2, \
                     error = NULL, sent_at = $3 WHERE id = $4 RETURNING *",
                )
                .bind(uri)
                .bind(cid)
                .bind(now)
                .bind(reply_id)
                .fetch_optional(&mut *c)
                .await?
                .ok_or(StoreError::NotFound { what: "reply" })?;
                let reply = reply_from_row(&row)?;
                // The first reply of a conversation is a first response in Numbers too.
                let unanswered = sqlx::query(
                    "SELECT created_at FROM conversations \
                     WHERE id = $1 AND first_response_at IS NULL",
                )
                .bind(reply.conversation_id.0)
                .fetch_optional(&mut *c)
                .await?;
                if let Some(r) = unanswered {
                    let created: i64 = r.try_get("created_at")?;
                    let mut deltas = crate::numbers::Deltas::default();
                    crate::numbers::add_first_response(
                        c,
                        &mut deltas,
                        reply.conversation_id.0,
                        created,
                        now,
                    )
                    .await?;
                    deltas.write(c, backend).await?;
                }
                let n = sqlx::query(
                    "UPDATE conversations SET first_response_at = COALESCE(first_response_at, $1), \
                     status = CASE WHEN status IN ('new', 'open') THEN 'waiting' ELSE status END, \
                     updated_at = $1 WHERE id = $2",
                )
                .bind(now)
                .bind(reply.conversation_id.0)
                .execute(&mut *c)
                .await?
                .rows_affected();
                let (_, market) = state(c, reply.conversation_id.0).await?;
                let event = NewEvent {
                    kind: EventType::ConversationReplied,
                    market,
                    data: serde_json::json!({
                        "conversation_id": reply.conversation_id.0,
                        "reply_id": reply_id,
                        "uri": uri,
                    }),
                };
                webhooks::record_event(c, &event).await?;
                let change = Change {
                    action: "conversation.reply_sent",
                    subject_type: "conversation",
                    subject_id: reply.conversation_id.to_string(),
                    market,
                    before: None,
                    after: Some(serde_json::json!({ "reply_id": reply_id, "uri": uri })),
                };
                Ok(Applied::rows(n, 1, reply).audit(change))
            },
            async |_, _| StoreError::NotFound {
                what: "conversation",
            },
        )
        .await
    }

    /// Records why sending a reply failed (it can be retried with the same key).
    pub async fn mark_reply_failed(&self, reply_id: i64, error: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE conversation_replies SET state = 'failed', error = $1 WHERE id = $2")
            .bind(error)
            .bind(reply_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Marks a failed reply as being sent again. A reply that is not failed (sent, or being
    /// sent by someone else) is refused with `State`; one that does not exist is `NotFound`.
    pub async fn retry_reply(&self, reply_id: i64) -> Result<Reply, StoreError> {
        let row = sqlx::query(
            "UPDATE conversation_replies SET state = 'sending' WHERE id = $1 AND state = 'failed' \
             RETURNING *",
        )
        .bind(reply_id)
        .fetch_optional(self.pool())
        .await?;
        match row {
            Some(row) => reply_from_row(&row),
            None => Err(match self.reply(reply_id).await?.state.as_str() {
                "sent" => {
                    StoreError::State("this reply was sent; there is nothing to retry".into())
                }
                _ => StoreError::State(
                    "this reply is being sent now; only a failed reply can be sent again".into(),
                ),
            }),
        }
    }
}

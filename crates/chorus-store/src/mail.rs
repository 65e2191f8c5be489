//! The mail outbox: one row per email, enqueued together with its `send_mail` job in one
//! transaction, and moved to sent, failed or bounced by that job (or by a bounce report).
//!
//! The caller's key makes enqueueing idempotent: a second enqueue with the same key finds the
//! first message and adds no job, so the same email is never queued twice. The job records its
//! outcome and the message's state in one transaction (`mail_sent`, `mail_retry`,
//! `mail_failed`), so in normal operation a message is sent once; only a crash between the
//! SMTP server's acceptance and that commit sends it again, under the same Message-ID.
//!
//! The store has no rules about content or addresses: they are validated above
//! (`chorus-app::mail`, `chorus-jobs::mail`).

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::direct::Bind;
use crate::jobs::{self, NewJob};
use crate::{Store, StoreError, now_ms};

/// The job kind that sends an outbox message.
pub const MAIL_JOB: &str = "send_mail";

/// Attempts a message gets before it is failed for good (with the queue's backoff, about an
/// hour and a half of retries).
pub const MAIL_MAX_ATTEMPTS: i64 = 10;

/// A message to enqueue.
#[derive(Debug, Clone)]
pub struct NewMail<'a> {
    /// Idempotency key (e.g. `mail-test:{nonce}`, `confirm:{submission}`).
    pub key: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: Option<&'a str>,
    /// The `List-Unsubscribe` value, when the message has one.
    pub list_unsubscribe: Option<&'a str>,
    /// Adds `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
    pub one_click: bool,
    pub locale: &'a str,
}

/// A file attached to a message (a report's PDF).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailAttachment {
    pub file_name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// Where a message is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailState {
    Queued,
    /// The SMTP server accepted it.
    Sent,
    /// Refused for good (a 5xx, or out of attempts).
    Failed,
    /// Accepted, then reported undeliverable.
    Bounced,
}

impl MailState {
    pub fn as_str(self) -> &'static str {
        match self {
            MailState::Queued => "queued",
            MailState::Sent => "sent",
            MailState::Failed => "failed",
            MailState::Bounced => "bounced",
        }
    }

    fn parse(s: &str) -> Result<Self, StoreError> {
        Ok(match s {
            "queued" => MailState::Queued,
            "sent" => MailState::Sent,
            "failed" => MailState::Failed,
            "bounced" => MailState::Bounced,
            other => {
                return Err(StoreError::Corrupt {
                    what: "mail state",
                    message: format!("unknown state {other:?}"),
                });
            }
        })
    }
}

/// A message as the outbox holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMail {
    pub id: i64,
    pub key: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    pub list_unsubscribe: Option<String>,
    pub one_click: bool,
    pub locale: String,
    pub state: MailState,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at_ms: i64,
    pub sent_at_ms: Option<i64>,
    pub bounced_at_ms: Option<i64>,
    /// When a sender had written all of it to the SMTP server, before the reply
    /// ([`Store::mail_handed_over`]); cleared by a failure it lived to see.
    pub handed_over_at_ms: Option<i64>,
}

/// What enqueueing did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enqueued {
    pub id: i64,
    /// False when a message with the same key was already there (nothing was added).
    pub created: bool,
}

/// The `send_mail` job's key for message `id`.
pub fn mail_job_key(id: i64) -> String {
    format!("mail:{id}")
}

const COLUMNS: &str = "id, key, to_address, subject, text_body, html_body, list_unsubscribe, \
     one_click, locale, state, attempts, last_error, created_at, sent_at, bounced_at, \
     handed_over_at";

fn from_row(r: &AnyRow) -> Result<OutboxMail, StoreError> {
    Ok(OutboxMail {
        id: r.try_get("id")?,
        key: r.try_get("key")?,
        to: r.try_get("to_address")?,
        subject: r.try_get("subject")?,
        text: r.try_get("text_body")?,
        html: r.try_get("html_body")?,
        list_unsubscribe: r.try_get("list_unsubscribe")?,
        one_click: r.try_get::<i64, _>("one_click")? != 0,
        locale: r.try_get("locale")?,
        state: MailState::parse(&r.try_get::<String, _>("state")?)?,
        attempts: r.try_get("attempts")?,
        last_error: r.try_get("last_error")?,
        created_at_ms: r.try_get("created_at")?,
        sent_at_ms: r.try_get("sent_at")?,
        bounced_at_ms: r.try_get("bounced_at")?,
        handed_over_at_ms: r.try_get("handed_over_at")?,
    })
}

/// Enqueues `mail` and its `send_mail` job inside the caller's transaction (for store methods
/// whose write needs an email, e.g. a submission's confirmation). A message with the same key
/// already there is answered as it is, and no job is added.
pub(crate) async fn enqueue(
    conn: &mut AnyConnection,
    mail: &NewMail<'_>,
) -> Result<Enqueued, StoreError> {
    enqueue_with(conn, mail, &[]).await
}

/// The statement adding a message unless its key is there; its parameters are
/// [`NewMail::binds`].
const INSERT: &str = "INSERT INTO mail_outbox (key, to_address, subject, text_body, html_body, \
     list_unsubscribe, one_click, locale, state, attempts, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued', 0, $9) ON CONFLICT (key) DO NOTHING";

impl NewMail<'_> {
    /// [`INSERT`]'s parameters, `now` the time it is queued.
    fn binds(&self, now: i64) -> Vec<Bind> {
        let s = |v: Option<&str>| Bind::OptS(v.map(str::to_owned));
        vec![
            Bind::S(self.key.to_owned()),
            Bind::S(self.to.to_owned()),
            Bind::S(self.subject.to_owned()),
            Bind::S(self.text.to_owned()),
            s(self.html),
            s(self.list_unsubscribe),
            Bind::I(i64::from(self.one_click)),
            Bind::S(self.locale.to_owned()),
            Bind::I(now),
        ]
    }
}

/// The `send_mail` job of new message `id`, due at `now`.
struct SendJob {
    key: String,
    payload: String,
    now: i64,
}

impl SendJob {
    fn new(id: i64, now: i64) -> Self {
        SendJob {
            key: mail_job_key(id),
            payload: format!("{{\"mail\":{id}}}"),
            now,
        }
    }

    fn job(&self) -> NewJob<'_> {
        NewJob {
            kind: MAIL_JOB,
            key: &self.key,
            payload: &self.payload,
            run_at_ms: self.now,
            max_attempts: MAIL_MAX_ATTEMPTS,
        }
    }
}

/// [`enqueue`] with files attached; they are written only when the message is new.
async fn enqueue_with(
    conn: &mut AnyConnection,
    mail: &NewMail<'_>,
    attachments: &[MailAttachment],
) -> Result<Enqueued, StoreError> {
    let now = now_ms();
    let inserted = Bind::all_to_sqlx(
        sqlx::query(&format!("{INSERT} RETURNING id")),
        &mail.binds(now),
    )
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(row) = inserted {
        let id: i64 = row.try_get("id")?;
        for a in attachments {
            sqlx::query(
                "INSERT INTO mail_attachments (mail_id, file_name, content_type, bytes) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(id)
            .bind(&a.file_name)
            .bind(&a.content_type)
            .bind(&a.bytes)
            .execute(&mut *conn)
            .await?;
        }
        jobs::enqueue(conn, &SendJob::new(id, now).job()).await?;
        return Ok(Enqueued { id, created: true });
    }
    let row = sqlx::query("SELECT id FROM mail_outbox WHERE key = $1")
        .bind(mail.key)
        .fetch_one(&mut *conn)
        .await?;
    Ok(Enqueued {
        id: row.try_get("id")?,
        created: false,
    })
}

/// [`enqueue`] on a direct SQLite connection (inside its transaction; no `RETURNING`, which
/// SQLite runs through a statement journal: the new id is `last_insert_rowid`).
pub(crate) fn enqueue_direct(
    conn: &rusqlite::Connection,
    mail: &NewMail<'_>,
) -> Result<Enqueued, StoreError> {
    let now = now_ms();
    let mut insert = conn.prepare_cached(INSERT)?;
    Bind::all_to_rusqlite(&mut insert, &mail.binds(now))?;
    if insert.raw_execute()? == 1 {
        let id = conn.last_insert_rowid();
        jobs::enqueue_direct(conn, &SendJob::new(id, now).job())?;
        return Ok(Enqueued { id, created: true });
    }
    let id = conn
        .prepare_cached("SELECT id FROM mail_outbox WHERE key = $1")?
        .query_row([mail.key], |r| r.get(0))?;
    Ok(Enqueued { id, created: false })
}

impl Store {
    /// Enqueues `mail` and its `send_mail` job in a transaction of their own. A message with
    /// the same key already there is answered as it is (`created: false`), nothing added.
    pub async fn enqueue_mail(&self, mail: &NewMail<'_>) -> Result<Enqueued, StoreError> {
        let mut tx = self.pool().begin().await?;
        let out = enqueue(&mut tx, mail).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// [`Store::enqueue_mail`] with files attached (written with the message, in its
    /// transaction; a second enqueue with the same key adds nothing).
    pub async fn enqueue_mail_with(
        &self,
        mail: &NewMail<'_>,
        attachments: &[MailAttachment],
    ) -> Result<Enqueued, StoreError> {
        let mut tx = self.pool().begin().await?;
        let out = enqueue_with(&mut tx, mail, attachments).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// The files attached to message `mail`, in the order they were attached.
    pub async fn mail_attachments(&self, mail: i64) -> Result<Vec<MailAttachment>, StoreError> {
        let rows = sqlx::query(
            "SELECT file_name, content_type, bytes FROM mail_attachments WHERE mail_id = $1 \
             ORDER BY id",
        )
        .bind(mail)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(MailAttachment {
                    file_name: r.try_get("file_name")?,
                    content_type: r.try_get("content_type")?,
                    bytes: r.try_get("bytes")?,
                })
            })
            .collect()
    }

    /// The message `id`, if there is one.
    pub async fn outbox_mail(&self, id: i64) -> Result<Option<OutboxMail>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM mail_outbox WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// The latest `limit` messages, newest first (for operators and tests).
    pub async fn recent_mail(&self, limit: i64) -> Result<Vec<OutboxMail>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM mail_outbox ORDER BY created_at DESC, id DESC LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// Messages waiting to be sent (for the "mail is off" log line).
    pub async fn queued_mail_count(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM mail_outbox WHERE state = 'queued'")
            .fetch_one(self.pool())
            .await?;
        Ok(row.try_get("n")?)
    }

    /// Message `mail` was written in full to the SMTP server by a sender that died before the
    /// reply (its journal says so, `chorus-jobs/src/mail_journal.rs`): marks it, so it is
    /// recorded as sent, not sent again. False when the message is no longer queued.
    pub async fn mail_handed_over(&self, mail: i64) -> Result<bool, StoreError> {
        let n = sqlx::query(
            "UPDATE mail_outbox SET handed_over_at = $1 WHERE id = $2 AND state = 'queued'",
        )
        .bind(now_ms())
        .bind(mail)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(n > 0)
    }

    /// The SMTP server accepted message `mail` (or, with a `note`, is presumed to have: see
    /// [`Store::mail_handed_over`]): marks it sent, the note kept for operators, and its job
    /// `job` done, in one transaction. False when the message was no longer queued (nothing
    /// changed but the job).
    pub async fn mail_sent(
        &self,
        job: i64,
        mail: i64,
        note: Option<&str>,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let mut tx = self.pool().begin().await?;
        let n = sqlx::query(
            "UPDATE mail_outbox SET state = 'sent', sent_at = $1, attempts = attempts + 1, \
             last_error = $2 WHERE id = $3 AND state = 'queued'",
        )
        .bind(now)
        .bind(note)
        .bind(mail)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        jobs::finish(&mut tx, job, true, None).await?;
        tx.commit().await?;
        Ok(n > 0)
    }

    /// An attempt failed in a way that may pass (a 4xx, a lost connection): counts it, keeps
    /// `error` for operators, clears the hand-over mark and queues job `job` again at
    /// `run_at_ms`, in one transaction.
    pub async fn mail_retry(
        &self,
        job: i64,
        mail: i64,
        run_at_ms: i64,
        error: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "UPDATE mail_outbox SET attempts = attempts + 1, last_error = $1, \
             handed_over_at = NULL WHERE id = $2 AND state = 'queued'",
        )
        .bind(error)
        .bind(mail)
        .execute(&mut *tx)
        .await?;
        jobs::retry(&mut tx, job, run_at_ms, error).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The message was refused for good (a 5xx, an address the server will not take, or out of
    /// attempts): marks it failed with `error` and its job failed, in one transaction.
    pub async fn mail_failed(&self, job: i64, mail: i64, error: &str) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "UPDATE mail_outbox SET state = 'failed', attempts = attempts + 1, last_error = $1 \
             WHERE id = $2 AND state = 'queued'",
        )
        .bind(error)
        .bind(mail)
        .execute(&mut *tx)
        .await?;
        jobs::finish(&mut tx, job, false, Some(error)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A sent message was reported undeliverable (a bounce): marks it bounced with `reason`.
    /// False when there is no such sent message (a bounce of something not sent, or recorded
    /// already).
    pub async fn record_mail_bounce(&self, mail: i64, reason: &str) -> Result<bool, StoreError> {
        let n = sqlx::query(
            "UPDATE mail_outbox SET state = 'bounced', bounced_at = $1, last_error = $2 \
             WHERE id = $3 AND state = 'sent'",
        )
        .bind(now_ms())
        .bind(reason)
        .bind(mail)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(n > 0)
    }
}

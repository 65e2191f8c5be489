//! What several Chorus processes on one PostgreSQL database coordinate through it
//! (docs/scale-out.md): who leads a singleton (a session-level advisory lock held on a
//! connection of its own), wake-ups when the listening queries change (`LISTEN` on the channel
//! that every change notifies at its commit), and the dead letters of the post stream.
//!
//! On SQLite there is one process: it always leads and nothing needs waking.

use sqlx::postgres::{PgConnection, PgListener};
use sqlx::{Connection, Row};

use crate::listening::LISTENING_CHANNEL;
use crate::{Backend, DatabaseUrl, Store, StoreError, now_ms};

/// The lock a singleton holds while it runs: on PostgreSQL, an advisory lock that ends with
/// its connection — a process that dies (even by SIGKILL) lets go when the server notices the
/// connection closed.
#[derive(Debug)]
pub struct Leadership {
    conn: Option<PgConnection>,
}

impl Leadership {
    /// Whether the lock is still held: the connection answers. A leader that lost it must stop
    /// (another process may lead by now).
    pub async fn still_held(&mut self) -> bool {
        match &mut self.conn {
            None => true,
            Some(c) => c.ping().await.is_ok(),
        }
    }
}

/// One dead letter: a message of the post stream a worker gave up on.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadLetter {
    pub stream: String,
    pub stream_sequence: i64,
    pub message_id: Option<String>,
    pub subject: String,
    /// The message as received (lossily UTF-8).
    pub payload: String,
    pub error: String,
    pub deliveries: i64,
}

/// A stable 64-bit key for an advisory lock's name (FNV-1a).
fn lock_key(name: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h as i64
}

impl Store {
    /// Tries to become the one process running the singleton `name` (e.g. the firehose
    /// reader). `None`: another process holds it now; try again later.
    pub async fn try_lead(&self, name: &str) -> Result<Option<Leadership>, StoreError> {
        let DatabaseUrl::Postgres(url) = self.url() else {
            return Ok(Some(Leadership { conn: None }));
        };
        let mut conn = PgConnection::connect(url).await?;
        let got: bool = sqlx::query("SELECT pg_try_advisory_lock($1) AS got")
            .bind(lock_key(name))
            .fetch_one(&mut conn)
            .await?
            .try_get("got")?;
        Ok(got.then_some(Leadership { conn: Some(conn) }))
    }

    /// A receiver that gets a message soon after any process changed the listening queries
    /// (PostgreSQL's `LISTEN`, reconnecting as needed). `None` on SQLite, where the one process
    /// that changes them is the one that reads them. A wake-up only says "look": the listening
    /// version is the truth, and a periodic check backs the signal up.
    pub async fn listening_changes(
        &self,
    ) -> Result<Option<tokio::sync::mpsc::Receiver<i64>>, StoreError> {
        let DatabaseUrl::Postgres(url) = self.url() else {
            return Ok(None);
        };
        let mut listener = PgListener::connect(url).await?;
        listener.listen(LISTENING_CHANNEL).await?;
        let (tx, rx) = tokio::sync::mpsc::channel(1);
        tokio::spawn(async move {
            loop {
                match listener.recv().await {
                    Ok(n) => {
                        let version = n.payload().parse().unwrap_or(0);
                        if tx.is_closed() {
                            return;
                        }
                        // Full: a wake-up is already waiting, which is as good.
                        let _ = tx.try_send(version);
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "listening for query changes failed; retrying");
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                        if tx.is_closed() {
                            return;
                        }
                    }
                }
            }
        });
        Ok(Some(rx))
    }

    /// Keeps a message of the post stream that a worker gave up on (once per stream
    /// position: a second worker giving up on the same one changes nothing).
    pub async fn add_dead_letter(&self, d: &DeadLetter) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO ingest_dead_letters (stream, stream_sequence, message_id, subject, \
             payload, error, deliveries, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (stream, stream_sequence) DO NOTHING",
        )
        .bind(&d.stream)
        .bind(d.stream_sequence)
        .bind(d.message_id.as_deref())
        .bind(&d.subject)
        .bind(&d.payload)
        .bind(&d.error)
        .bind(d.deliveries)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The dead letters of `stream`, oldest first.
    pub async fn dead_letters(&self, stream: &str) -> Result<Vec<DeadLetter>, StoreError> {
        sqlx::query(
            "SELECT stream, stream_sequence, message_id, subject, payload, error, deliveries \
             FROM ingest_dead_letters WHERE stream = $1 ORDER BY stream_sequence",
        )
        .bind(stream)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(DeadLetter {
                stream: r.try_get("stream")?,
                stream_sequence: r.try_get("stream_sequence")?,
                message_id: r.try_get("message_id")?,
                subject: r.try_get("subject")?,
                payload: r.try_get("payload")?,
                error: r.try_get("error")?,
                deliveries: r.try_get("deliveries")?,
            })
        })
        .collect()
    }

    /// How many dead letters there are (for `/metrics`).
    pub async fn dead_letter_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM ingest_dead_letters")
            .fetch_one(self.pool())
            .await?
            .try_get("n")?)
    }

    /// The revisions of `query` its stored matches were made by, with how many each, oldest
    /// first: after a change, which workers had picked it up.
    pub async fn query_match_revisions(
        &self,
        query: chorus_core::conversations::QueryId,
    ) -> Result<Vec<(Option<i64>, i64)>, StoreError> {
        sqlx::query(
            "SELECT query_revision, COUNT(*) AS n FROM conversation_matches WHERE query_id = $1 \
             GROUP BY query_revision ORDER BY query_revision",
        )
        .bind(query.0)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| Ok((r.try_get("query_revision")?, r.try_get("n")?)))
        .collect()
    }

    /// Whether this store is one several processes can share.
    pub fn shared_by_processes(&self) -> bool {
        self.backend() == Backend::Postgres
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn lock_keys_are_stable_and_distinct() {
        assert_eq!(super::lock_key("firehose"), super::lock_key("firehose"));
        assert_ne!(super::lock_key("firehose"), super::lock_key("feeds"));
    }
}

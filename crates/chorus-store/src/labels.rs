//! Corrections of a conversation's language and sentiment (migration 0025): each one a row of
//! `conversation_labels` with who and when, written with the conversation's shown labels
//! (`conversations.lang`, `conversations.sentiment`) and an audit entry in one transaction. A
//! later correction supersedes for what it sets; every earlier one stays as history. The
//! model's own answer stays in `posts`, so before and after can be compared.
//!
//! No rules about who may correct what here: the use case has authorized.

use chorus_core::MarketId;
use chorus_core::audit::Author;
use chorus_core::conversations::{ConversationId, Sentiment};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use crate::audit::{self, Applied, Change, Lock, snapshot};
use crate::{Store, StoreError, in_list, now_ms};

/// What a person set: `None` leaves that label alone (at least one is set).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelCorrection {
    /// A language code (`es`, `fi`), already validated.
    pub lang: Option<String>,
    /// The language's name in words ("Spanish"), for the audit log's sentence.
    pub lang_name: Option<String>,
    pub sentiment: Option<Sentiment>,
}

/// One correction as the conversation's history shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct CorrectionRecord {
    pub id: i64,
    pub lang: Option<String>,
    pub sentiment: Option<Sentiment>,
    /// What the conversation showed before this correction.
    pub lang_before: String,
    pub sentiment_before: f64,
    /// The author's name as it is now (the label recorded at the time for a deleted account).
    pub author: String,
    pub created_at_ms: i64,
}

/// A corrected conversation's text with the labels people gave it (the newest of each), a
/// line of the corrections dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct CorrectedText {
    pub conversation_id: ConversationId,
    pub text: String,
    pub lang: Option<String>,
    pub sentiment: Option<Sentiment>,
    /// What the model answered when the post arrived (kept in `posts`).
    pub model_lang: String,
    pub model_sentiment: f64,
    /// The newest correction's time.
    pub corrected_at_ms: i64,
}

/// The audited labels of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Shown {
    lang: String,
    sentiment: f64,
}

/// The shown labels, the newest corrected value of each label, and the conversation's first
/// market (for the audit entry).
struct Before {
    shown: Shown,
    corrected_lang: Option<String>,
    corrected_sentiment: Option<String>,
    market: Option<MarketId>,
}

async fn before(conn: &mut AnyConnection, id: i64) -> Result<Before, StoreError> {
    let row = sqlx::query(
        "SELECT c.lang, c.sentiment, \
         (SELECT l.lang FROM conversation_labels l WHERE l.conversation_id = c.id \
          AND l.lang IS NOT NULL ORDER BY l.id DESC LIMIT 1) AS corrected_lang, \
         (SELECT l.sentiment FROM conversation_labels l WHERE l.conversation_id = c.id \
          AND l.sentiment IS NOT NULL ORDER BY l.id DESC LIMIT 1) AS corrected_sentiment, \
         (SELECT MIN(m.market_id) FROM conversation_matches m WHERE m.conversation_id = c.id) \
          AS market_id FROM conversations c WHERE c.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound {
        what: "conversation",
    })?;
    Ok(Before {
        shown: Shown {
            lang: row.try_get("lang")?,
            sentiment: row.try_get("sentiment")?,
        },
        corrected_lang: row.try_get("corrected_lang")?,
        corrected_sentiment: row.try_get("corrected_sentiment")?,
        market: row.try_get::<Option<i64>, _>("market_id")?.map(MarketId),
    })
}

fn sentiment_of(raw: Option<String>) -> Result<Option<Sentiment>, StoreError> {
    raw.map(|s| Sentiment::parse(&s).map_err(|e| StoreError::corrupt("label sentiment", e)))
        .transpose()
}

impl Store {
    /// Records a person's correction of conversation `id` and shows it: one row of history,
    /// the conversation's labels and an audit entry (`conversation.labels`) in one transaction.
    /// Returns false, writing nothing, when people already gave it exactly these labels (a
    /// second click); a correction that agrees with the model is recorded (it confirms the
    /// answer for training). An unknown conversation is `NotFound`.
    pub async fn correct_conversation_labels(
        &self,
        author: &Author,
        id: ConversationId,
        correction: &LabelCorrection,
    ) -> Result<bool, StoreError> {
        audit::write(
            self,
            author,
            Lock::id("conversations", id.0),
            async |c| before(c, id.0).await,
            async |c, was| {
                let same_lang = correction
                    .lang
                    .as_ref()
                    .is_none_or(|l| was.corrected_lang.as_ref() == Some(l));
                let same_sentiment = correction
                    .sentiment
                    .is_none_or(|s| was.corrected_sentiment.as_deref() == Some(s.as_str()));
                if same_lang && same_sentiment {
                    return Ok(Applied::rows(0, 0, false));
                }
                let now = now_ms();
                let shown = Shown {
                    lang: correction
                        .lang
                        .clone()
                        .unwrap_or_else(|| was.shown.lang.clone()),
                    sentiment: correction
                        .sentiment
                        .map_or(was.shown.sentiment, Sentiment::labelled_score),
                };
                sqlx::query(
                    "INSERT INTO conversation_labels (conversation_id, lang, sentiment, \
                     lang_before, sentiment_before, author_id, author_label, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(id.0)
                .bind(correction.lang.clone())
                .bind(correction.sentiment.map(|s| s.as_str()))
                .bind(&was.shown.lang)
                .bind(was.shown.sentiment)
                .bind(author.user_id.map(|u| u.0))
                .bind(&author.label)
                .bind(now)
                .execute(&mut *c)
                .await?;
                let rows = sqlx::query(
                    "UPDATE conversations SET lang = $1, sentiment = $2, updated_at = $3 \
                     WHERE id = $4",
                )
                .bind(&shown.lang)
                .bind(shown.sentiment)
                .bind(now)
                .bind(id.0)
                .execute(&mut *c)
                .await?
                .rows_affected();
                let mut after = snapshot(&shown);
                if let Some(serde_json::Value::Object(o)) = after.as_mut() {
                    if let Some(s) = correction.sentiment {
                        o.insert("sentiment_label".into(), s.as_str().into());
                    }
                    if let Some(name) = &correction.lang_name {
                        o.insert("language".into(), name.as_str().into());
                    }
                }
                let change = Change {
                    action: "conversation.labels",
                    subject_type: "conversation",
                    subject_id: id.to_string(),
                    market: was.market,
                    before: snapshot(&was.shown),
                    after,
                };
                Ok(Applied::rows(rows, 1, true).audit(change))
            },
            async |_, _| StoreError::NotFound {
                what: "conversation",
            },
        )
        .await
    }

    /// Every correction of conversation `id`, oldest first.
    pub async fn label_corrections(
        &self,
        id: ConversationId,
    ) -> Result<Vec<CorrectionRecord>, StoreError> {
        sqlx::query(
            "SELECT l.id, l.lang, l.sentiment, l.lang_before, l.sentiment_before, \
             COALESCE(u.display_name, l.author_label) AS author, l.created_at \
             FROM conversation_labels l LEFT JOIN users u ON u.id = l.author_id \
             WHERE l.conversation_id = $1 ORDER BY l.id",
        )
        .bind(id.0)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(CorrectionRecord {
                id: r.try_get("id")?,
                lang: r.try_get("lang")?,
                sentiment: sentiment_of(r.try_get("sentiment")?)?,
                lang_before: r.try_get("lang_before")?,
                sentiment_before: r.try_get("sentiment_before")?,
                author: r.try_get("author")?,
                created_at_ms: r.try_get("created_at")?,
            })
        })
        .collect()
    }

    /// The corrections dataset: every corrected conversation matched by a query of one of
    /// `markets` (`None`: all), with its text and the newest value of each label people gave
    /// it, ordered by conversation.
    pub async fn corrected_texts(
        &self,
        markets: Option<&[MarketId]>,
    ) -> Result<Vec<CorrectedText>, StoreError> {
        let scope = match markets {
            None => String::new(),
            Some([]) => return Ok(Vec::new()),
            Some(m) => format!(
                " AND EXISTS (SELECT 1 FROM conversation_matches m WHERE m.conversation_id = c.id \
                 AND m.market_id IN ({}))",
                in_list(1, m.len())
            ),
        };
        let sql = format!(
            "SELECT c.id, p.body, p.lang AS model_lang, p.sentiment AS model_sentiment, \
             (SELECT l.lang FROM conversation_labels l WHERE l.conversation_id = c.id \
              AND l.lang IS NOT NULL ORDER BY l.id DESC LIMIT 1) AS lang, \
             (SELECT l.sentiment FROM conversation_labels l WHERE l.conversation_id = c.id \
              AND l.sentiment IS NOT NULL ORDER BY l.id DESC LIMIT 1) AS sentiment, \
             (SELECT MAX(l.created_at) FROM conversation_labels l \
              WHERE l.conversation_id = c.id) AS corrected_at \
             FROM conversations c JOIN posts p ON p.id = c.id \
             WHERE EXISTS (SELECT 1 FROM conversation_labels l WHERE l.conversation_id = c.id)\
             {scope} ORDER BY c.id"
        );
        let mut q = sqlx::query(&sql);
        for m in markets.unwrap_or_default() {
            q = q.bind(m.0);
        }
        q.fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| {
                Ok(CorrectedText {
                    conversation_id: ConversationId(r.try_get("id")?),
                    text: r.try_get("body")?,
                    lang: r.try_get("lang")?,
                    sentiment: sentiment_of(r.try_get("sentiment")?)?,
                    model_lang: r.try_get("model_lang")?,
                    model_sentiment: r.try_get("model_sentiment")?,
                    corrected_at_ms: r.try_get("corrected_at")?,
                })
            })
            .collect()
    }
}

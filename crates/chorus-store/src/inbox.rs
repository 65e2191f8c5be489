//! Reading the inbox: conversations filtered and paged newest first (keyset paging, so the
//! millionth row costs what the first does), and one conversation with its thread.

use std::collections::HashMap;
use std::sync::LazyLock;

use chorus_core::conversations::{AssigneeFilter, ConversationId, QueryId, Sentiment, Status};
use chorus_core::{MarketId, TeamId, UserId};
use sqlx::Row;

use crate::direct::{Bind, RowGet, query_direct};
use crate::ingest::{POST_COLUMNS, StoredPost, post_from_row};
use crate::{Store, StoreError, in_list};

/// Filters for [`Store::inbox`]. `None` everywhere lists everything (for admins).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InboxQuery {
    /// Visibility: only conversations matched by a query of one of these markets (`None`: all).
    pub visible_markets: Option<Vec<MarketId>>,
    pub market: Option<MarketId>,
    pub query: Option<QueryId>,
    /// Only conversations matched by a query whose name contains this text (letters compared
    /// in lower case; SQLite lowers ASCII letters only).
    pub query_name: Option<String>,
    /// Only conversations matched by a query this team owns.
    pub team: Option<TeamId>,
    pub network: Option<String>,
    pub lang: Option<String>,
    pub sentiment: Option<Sentiment>,
    pub status: Option<Status>,
    /// Leave out conversations that are done (the inbox's default: open work only).
    pub exclude_done: bool,
    pub assignee: Option<AssigneeFilter>,
    pub tag: Option<String>,
    /// Post time bounds, milliseconds (from inclusive, until exclusive).
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    /// Keyset cursor: only conversations older than this (posted_at, id).
    pub before: Option<(i64, i64)>,
    pub limit: i64,
}

/// One conversation as the inbox lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct ConversationRow {
    pub id: ConversationId,
    pub post: StoredPost,
    pub status: Status,
    pub assignee: Option<(UserId, String)>,
    /// Matched queries: id, name, market.
    pub queries: Vec<(QueryId, String, MarketId)>,
    pub tags: Vec<String>,
    pub created_at_ms: i64,
    pub first_response_at_ms: Option<i64>,
    /// The language and sentiment the conversation shows: a person's correction where there
    /// is one, else the model's answer (which `post` keeps either way).
    pub lang: String,
    pub sentiment: f64,
}

impl ConversationRow {
    pub fn markets(&self) -> Vec<MarketId> {
        let mut m: Vec<MarketId> = self.queries.iter().map(|q| q.2).collect();
        m.sort();
        m.dedup();
        m
    }
}

/// A note on a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub id: i64,
    /// The author's display name (the label recorded with the note when they have no account).
    pub author: String,
    pub body: String,
    pub created_at_ms: i64,
}

/// A reply sent (or being sent) from the inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub id: i64,
    pub conversation_id: ConversationId,
    pub author: String,
    pub account_id: i64,
    pub body: String,
    /// sending | sent | failed
    pub state: String,
    pub publish_at_ms: i64,
    pub uri: Option<String>,
    pub cid: Option<String>,
    pub error: Option<String>,
    pub created_at_ms: i64,
}

/// One conversation with everything its page shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ConversationDetail {
    pub row: ConversationRow,
    /// The thread around the post, oldest first (the post itself included).
    pub thread: Vec<StoredPost>,
    pub notes: Vec<Note>,
    pub replies: Vec<Reply>,
    /// People's corrections of its language and sentiment, oldest first.
    pub corrections: Vec<crate::CorrectionRecord>,
}

pub(crate) fn reply_from_row(r: &sqlx::any::AnyRow) -> Result<Reply, StoreError> {
    Ok(Reply {
        id: r.try_get("id")?,
        conversation_id: ConversationId(r.try_get("conversation_id")?),
        author: r.try_get("author_label")?,
        account_id: r.try_get("account_id")?,
        body: r.try_get("body")?,
        state: r.try_get("state")?,
        publish_at_ms: r.try_get("publish_at")?,
        uri: r.try_get("uri")?,
        cid: r.try_get("cid")?,
        error: r.try_get("error")?,
        created_at_ms: r.try_get("created_at")?,
    })
}

/// [`POST_COLUMNS`] qualified with the `p` alias (only the columns a [`StoredPost`] reads).
static P_POST_COLUMNS: LazyLock<String> = LazyLock::new(|| {
    POST_COLUMNS
        .split(',')
        .map(|c| format!("p.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
});

impl Store {
    /// Conversations matching `q`, newest first.
    pub async fn inbox(&self, q: &InboxQuery) -> Result<Vec<ConversationRow>, StoreError> {
        let Some((cond, binds)) = inbox_where(q, true) else {
            return Ok(Vec::new());
        };
        let mut sql = format!("SELECT c.id FROM conversations c WHERE 1 = 1{cond}");
        let limit = if q.limit <= 0 { 50 } else { q.limit.min(500) };
        sql.push_str(&format!(
            " ORDER BY c.posted_at DESC, c.id DESC LIMIT {limit}"
        ));
        if let Some(reader) = self.reader() {
            return reader
                .read(move |conn| {
                    let ids = query_direct(conn, &sql, &binds, |r| r.i64("id"))?;
                    conversation_rows_direct(conn, &ids)
                })
                .await;
        }
        let ids = self.pooled_all(&sql, &binds, |r| r.i64("id")).await?;
        self.conversation_rows(&ids).await
    }

    /// How many conversations each status has among those `q` selects, leaving out its status
    /// filters, cursor and limit; statuses with none are absent.
    pub async fn inbox_counts(&self, q: &InboxQuery) -> Result<Vec<(Status, i64)>, StoreError> {
        let Some((cond, binds)) = inbox_where(q, false) else {
            return Ok(Vec::new());
        };
        let sql = format!(
            "SELECT c.status, COUNT(*) AS n FROM conversations c WHERE 1 = 1{cond} GROUP BY c.status"
        );
        self.read_all(sql, binds, |r| {
            let status = r.string("status")?;
            Ok((
                Status::parse(&status)
                    .map_err(|e| StoreError::corrupt("conversation status", e))?,
                r.i64("n")?,
            ))
        })
        .await
    }

    /// The rows for `ids`, in the order given (missing ids are left out).
    pub async fn conversation_rows(&self, ids: &[i64]) -> Result<Vec<ConversationRow>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        if let Some(reader) = self.reader() {
            let ids = ids.to_vec();
            return reader
                .read(move |conn| conversation_rows_direct(conn, &ids))
                .await;
        }
        let binds = id_binds(ids);
        let rows = self
            .pooled_all(&rows_sql(ids.len()), &binds, conversation_from_row)
            .await?;
        let labels = self
            .pooled_all(&labels_sql(ids.len()), &binds, label_from_row)
            .await?;
        Ok(assemble(ids, rows, labels))
    }

    /// One conversation with its thread, notes and replies.
    pub async fn conversation(&self, id: ConversationId) -> Result<ConversationDetail, StoreError> {
        let row = self
            .conversation_rows(&[id.0])
            .await?
            .pop()
            .ok_or(StoreError::NotFound {
                what: "conversation",
            })?;
        let root = row
            .post
            .reply_root
            .clone()
            .unwrap_or_else(|| row.post.uri.clone());
        let parent = row.post.reply_parent.clone().unwrap_or_default();
        let thread = self
            .pooled_all(
                &format!(
                    "SELECT {POST_COLUMNS} FROM posts WHERE uri = $1 OR reply_root = $1 \
                     OR uri = $2 OR reply_parent = $3 ORDER BY posted_at, id LIMIT 200"
                ),
                &[
                    Bind::S(root),
                    Bind::S(parent),
                    Bind::S(row.post.uri.clone()),
                ],
                post_from_row,
            )
            .await?;
        let notes = sqlx::query(
            "SELECT n.id, COALESCE(u.display_name, n.author_label) AS author, n.body, \
             n.created_at FROM conversation_notes n LEFT JOIN users u ON u.id = n.author_id \
             WHERE n.conversation_id = $1 ORDER BY n.id",
        )
        .bind(id.0)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(Note {
                id: r.try_get("id")?,
                author: r.try_get("author")?,
                body: r.try_get("body")?,
                created_at_ms: r.try_get("created_at")?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        // Replies by their author's name as it is now, like notes (the stored label is the
        // email address at the time, kept for authors since deleted).
        let replies = sqlx::query(
            "SELECT r.*, COALESCE(u.display_name, r.author_label) AS author_name \
             FROM conversation_replies r LEFT JOIN users u ON u.id = r.author_id \
             WHERE r.conversation_id = $1 ORDER BY r.id",
        )
        .bind(id.0)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            let mut reply = reply_from_row(r)?;
            reply.author = r.try_get("author_name")?;
            Ok(reply)
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        let corrections = self.label_corrections(id).await?;
        Ok(ConversationDetail {
            row,
            thread,
            notes,
            replies,
            corrections,
        })
    }

    /// For each of `posts` that is a conversation, the markets whose queries matched it, as
    /// `(post id, market)` pairs ordered by post then market; posts that are no conversation
    /// are absent. One statement per thousand posts (a preview asks about a page of matches).
    pub async fn markets_of_posts(
        &self,
        posts: &[i64],
    ) -> Result<Vec<(i64, MarketId)>, StoreError> {
        let mut out = Vec::new();
        for chunk in posts.chunks(1000) {
            let sql = format!(
                "SELECT DISTINCT conversation_id, market_id FROM conversation_matches \
                 WHERE conversation_id IN ({}) ORDER BY conversation_id, market_id",
                in_list(1, chunk.len())
            );
            out.extend(
                self.read_all(sql, chunk.iter().map(|p| Bind::I(*p)).collect(), |r| {
                    Ok((r.i64("conversation_id")?, MarketId(r.i64("market_id")?)))
                })
                .await?,
            );
        }
        Ok(out)
    }

    /// The markets whose queries matched a conversation (for permission checks).
    pub async fn conversation_markets(
        &self,
        id: ConversationId,
    ) -> Result<Vec<MarketId>, StoreError> {
        let rows = sqlx::query(
            "SELECT DISTINCT market_id FROM conversation_matches WHERE conversation_id = $1 \
             ORDER BY market_id",
        )
        .bind(id.0)
        .fetch_all(self.pool())
        .await?;
        if rows.is_empty() {
            let exists = sqlx::query("SELECT 1 AS one FROM conversations WHERE id = $1")
                .bind(id.0)
                .fetch_optional(self.pool())
                .await?;
            if exists.is_none() {
                return Err(StoreError::NotFound {
                    what: "conversation",
                });
            }
        }
        rows.iter()
            .map(|r| Ok(MarketId(r.try_get("market_id")?)))
            .collect()
    }
}

/// The conditions (` AND …`) of `q` and their binds, numbered from `$1`; `None` when nothing
/// is visible. Without `with_status` the status filters and the paging cursor are left out
/// (the counts per status are of everything else the filters select).
fn inbox_where(q: &InboxQuery, with_status: bool) -> Option<(String, Vec<Bind>)> {
    let mut sql = String::new();
    let mut binds: Vec<Bind> = Vec::new();
    let mut push = |sql: &mut String, cond: &str, b: Vec<Bind>| {
        // Conditions use `?` placeholders numbered here in order.
        let mut out = String::new();
        let mut it = b.into_iter();
        for ch in cond.chars() {
            if ch == '?' {
                if let Some(v) = it.next() {
                    binds.push(v);
                    out.push_str(&format!("${}", binds.len()));
                }
            } else {
                out.push(ch);
            }
        }
        sql.push_str(" AND ");
        sql.push_str(&out);
    };
    if with_status {
        if let Some(s) = q.status {
            push(&mut sql, "c.status = ?", vec![Bind::S(s.as_str().into())]);
        }
        if q.exclude_done {
            push(
                &mut sql,
                "c.status <> ?",
                vec![Bind::S(Status::Done.as_str().into())],
            );
        }
    }
    if let Some(n) = &q.network {
        push(&mut sql, "c.network = ?", vec![Bind::S(n.clone())]);
    }
    if let Some(l) = &q.lang {
        push(&mut sql, "c.lang = ?", vec![Bind::S(l.clone())]);
    }
    if let Some(s) = q.sentiment {
        let (lo, hi) = s.range();
        push(
            &mut sql,
            "c.sentiment >= ? AND c.sentiment < ?",
            vec![Bind::F(lo), Bind::F(hi)],
        );
    }
    match q.assignee {
        Some(AssigneeFilter::Nobody) => sql.push_str(" AND c.assignee_id IS NULL"),
        Some(AssigneeFilter::User(u)) => {
            push(&mut sql, "c.assignee_id = ?", vec![Bind::I(u.0)]);
        }
        None => {}
    }
    if let Some(t) = &q.tag {
        push(
            &mut sql,
            "EXISTS (SELECT 1 FROM conversation_tags t WHERE t.conversation_id = c.id AND t.tag = ?)",
            vec![Bind::S(t.clone())],
        );
    }
    if let Some(s) = q.since_ms {
        push(&mut sql, "c.posted_at >= ?", vec![Bind::I(s)]);
    }
    if let Some(u) = q.until_ms {
        push(&mut sql, "c.posted_at < ?", vec![Bind::I(u)]);
    }
    if let Some((at, id)) = q.before.filter(|_| with_status) {
        push(
            &mut sql,
            "(c.posted_at < ? OR (c.posted_at = ? AND c.id < ?))",
            vec![Bind::I(at), Bind::I(at), Bind::I(id)],
        );
    }
    let needs_match = q.visible_markets.is_some()
        || q.market.is_some()
        || q.query.is_some()
        || q.query_name.is_some()
        || q.team.is_some();
    if needs_match {
        if matches!(&q.visible_markets, Some(v) if v.is_empty()) {
            return None;
        }
        let mut cond = String::from(
            "EXISTS (SELECT 1 FROM conversation_matches m WHERE m.conversation_id = c.id",
        );
        let mut b = Vec::new();
        if let Some(v) = &q.visible_markets {
            cond.push_str(" AND m.market_id IN (");
            cond.push_str(&vec!["?"; v.len()].join(", "));
            cond.push(')');
            b.extend(v.iter().map(|m| Bind::I(m.0)));
        }
        if let Some(m) = q.market {
            cond.push_str(" AND m.market_id = ?");
            b.push(Bind::I(m.0));
        }
        if let Some(qid) = q.query {
            cond.push_str(" AND m.query_id = ?");
            b.push(Bind::I(qid.0));
        }
        if let Some(name) = &q.query_name {
            cond.push_str(
                " AND m.query_id IN (SELECT id FROM listening_queries \
                 WHERE LOWER(name) LIKE ? ESCAPE '\\')",
            );
            b.push(Bind::S(crate::like_contains(name)));
        }
        if let Some(t) = q.team {
            cond.push_str(
                " AND m.query_id IN (SELECT id FROM listening_queries WHERE team_id = ?)",
            );
            b.push(Bind::I(t.0));
        }
        cond.push(')');
        push(&mut sql, &cond, b);
    }
    Some((sql, binds))
}

/// The conversation and post columns of `n` conversations (`$1 … $n`).
fn rows_sql(n: usize) -> String {
    format!(
        "SELECT c.id AS conv_id, c.status, c.assignee_id, u.display_name, c.created_at AS c_created, \
         c.first_response_at, c.lang AS c_lang, c.sentiment AS c_sentiment, {post} FROM conversations c JOIN posts p ON p.id = c.id \
         LEFT JOIN users u ON u.id = c.assignee_id WHERE c.id IN ({list})",
        post = &*P_POST_COLUMNS,
        list = in_list(1, n)
    )
}

/// The matched queries (kind 0) and tags (kind 1) of `n` conversations, in one statement.
fn labels_sql(n: usize) -> String {
    let list = in_list(1, n);
    format!(
        "SELECT m.conversation_id AS cid, CAST(0 AS BIGINT) AS kind, m.query_id AS qid, \
         m.market_id AS mid, q.name AS label \
         FROM conversation_matches m JOIN listening_queries q ON q.id = m.query_id \
         WHERE m.conversation_id IN ({list}) \
         UNION ALL SELECT conversation_id, 1, 0, 0, tag FROM conversation_tags \
         WHERE conversation_id IN ({list}) ORDER BY 2, 3, 5"
    )
}

/// A matched query or a tag of a conversation.
enum Label {
    Query(i64, QueryId, String, MarketId),
    Tag(i64, String),
}

fn label_from_row(r: &dyn RowGet) -> Result<Label, StoreError> {
    let cid = r.i64("cid")?;
    let label = r.string("label")?;
    Ok(if r.i64("kind")? == 0 {
        Label::Query(cid, QueryId(r.i64("qid")?), label, MarketId(r.i64("mid")?))
    } else {
        Label::Tag(cid, label)
    })
}

/// A conversation row without its queries and tags (see [`assemble`]).
fn conversation_from_row(r: &dyn RowGet) -> Result<ConversationRow, StoreError> {
    let status = r.string("status")?;
    let assignee = match r.opt_i64("assignee_id")? {
        Some(u) => Some((UserId(u), r.opt_string("display_name")?.unwrap_or_default())),
        None => None,
    };
    Ok(ConversationRow {
        id: ConversationId(r.i64("conv_id")?),
        post: post_from_row(r)?,
        status: Status::parse(&status)
            .map_err(|e| StoreError::corrupt("conversation status", e))?,
        assignee,
        queries: Vec::new(),
        tags: Vec::new(),
        created_at_ms: r.i64("c_created")?,
        first_response_at_ms: r.opt_i64("first_response_at")?,
        lang: r.string("c_lang")?,
        sentiment: r.f64("c_sentiment")?,
    })
}

/// The rows in the order of `ids` (missing ids left out), each with its queries and tags.
fn assemble(ids: &[i64], rows: Vec<ConversationRow>, labels: Vec<Label>) -> Vec<ConversationRow> {
    let mut by_id: HashMap<i64, ConversationRow> = rows.into_iter().map(|r| (r.id.0, r)).collect();
    for label in labels {
        match label {
            Label::Query(cid, q, name, m) => {
                if let Some(row) = by_id.get_mut(&cid) {
                    row.queries.push((q, name, m));
                }
            }
            Label::Tag(cid, tag) => {
                if let Some(row) = by_id.get_mut(&cid) {
                    row.tags.push(tag);
                }
            }
        }
    }
    ids.iter().filter_map(|id| by_id.remove(id)).collect()
}

/// [`Store::conversation_rows`] on a direct SQLite connection.
fn conversation_rows_direct(
    conn: &rusqlite::Connection,
    ids: &[i64],
) -> Result<Vec<ConversationRow>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let binds = id_binds(ids);
    let rows = query_direct(conn, &rows_sql(ids.len()), &binds, |r| {
        conversation_from_row(r)
    })?;
    let labels = query_direct(conn, &labels_sql(ids.len()), &binds, |r| label_from_row(r))?;
    Ok(assemble(ids, rows, labels))
}

/// `ids` as the binds of [`rows_sql`] and [`labels_sql`].
fn id_binds(ids: &[i64]) -> Vec<Bind> {
    ids.iter().map(|id| Bind::I(*id)).collect()
}

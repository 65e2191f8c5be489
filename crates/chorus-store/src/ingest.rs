//! What the ingest pipeline writes: posts, the conversations and matches they produced, hourly
//! volumes per query, the matched posts per market in Numbers' rollups (`numbers::Volume`:
//! a few upserts per batch, only when something matched), and the source's cursor — all of one
//! batch in one transaction, so a
//! restart resumes exactly after the last batch that committed, and a post whose URI is
//! already stored is skipped (stored once, counted once).

use std::collections::{BTreeMap, HashMap, HashSet};

use chorus_core::MarketId;
use chorus_core::conversations::QueryId;
use sqlx::{AnyConnection, Row};

use crate::direct::{Bind, RowGet};
use crate::{Store, StoreError, now_ms};

mod sqlite;

/// A post to store, already analyzed and matched.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPost {
    /// The network's id for the post (`at://…`, a feed item id, `import:…`).
    pub uri: String,
    pub network: String,
    /// Stable author id (a DID, a feed's URL, an import's author column).
    pub author: String,
    pub author_handle: Option<String>,
    /// Untrusted text.
    pub body: String,
    /// The language filters and queries read: a code or `und` (see [`Labels`] for where it
    /// came from).
    pub lang: String,
    /// Sentiment score in −1..=1, banded by `chorus_core::conversations::Sentiment::of`: the
    /// sentiment model's `P(positive) − P(negative)` kept inside its label's band, or VADER's
    /// compound score in VADER mode.
    pub sentiment: f64,
    /// The detected and declared languages and the confidences behind `lang` and `sentiment`.
    pub labels: Labels,
    pub posted_at_ms: i64,
    pub reply_parent: Option<String>,
    pub reply_root: Option<String>,
    pub quote_of: Option<String>,
    pub cid: Option<String>,
    /// A web address to open the post at, when it has one (feeds).
    pub link: Option<String>,
    /// Country code, when the source said (`country:` in queries).
    pub country: Option<String>,
    /// Lowercased host names of the post's links (`site:` in queries).
    pub domains: Vec<String>,
    /// The queries it matched, with their markets and revisions.
    pub matches: Vec<QueryMatch>,
}

/// A listening query a post matched: the query, its market, and the query's revision at the
/// time (`ListeningQuery::revision`; stored with the match).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QueryMatch {
    pub query: QueryId,
    pub market: MarketId,
    pub revision: i64,
}

impl From<(QueryId, MarketId)> for QueryMatch {
    /// A match of revision 0 (tests, and posts matched outside a running set).
    fn from((query, market): (QueryId, MarketId)) -> Self {
        QueryMatch {
            query,
            market,
            revision: 0,
        }
    }
}

/// How a post's language and sentiment were arrived at, kept beside the one language filters
/// read (migration 0026). `None` everywhere for posts stored before it, whose single label mixed
/// the detector's answer with the source's.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Labels {
    /// The language detector's answer: a code, or `und` when it could not tell.
    pub detected_lang: Option<String>,
    /// The first language the source declared (a client's setting, an import's column).
    pub source_lang: Option<String>,
    /// The detector's confidence in `detected_lang`, 0..=1 (0 for `und`).
    pub lang_confidence: Option<f64>,
    /// The sentiment model's probability of the label the score falls in (`None` in VADER
    /// mode, which has no such probability).
    pub sentiment_confidence: Option<f64>,
}

impl Labels {
    /// The language the source declared, when it differs from the detected one: what a reader
    /// is shown as "source said …".
    pub fn disagreeing_source(&self) -> Option<&str> {
        match (&self.detected_lang, &self.source_lang) {
            (Some(d), Some(s)) if d != s && d != "und" => Some(s),
            _ => None,
        }
    }
}

/// What one [`Store::ingest_batch`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IngestReport {
    /// Posts newly stored.
    pub stored: usize,
    /// Posts skipped because their URI was already stored (or repeated in the batch).
    pub duplicates: usize,
    /// Conversations created (stored posts with at least one match).
    pub conversations: usize,
    /// Posts newly stored whose time falls in the last two hours (spike checks care).
    pub recent: usize,
}

/// One stored post, for previews and thread views.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPost {
    pub id: i64,
    pub uri: String,
    pub network: String,
    pub author: String,
    pub author_handle: Option<String>,
    pub body: String,
    /// The language filters read (see [`NewPost::lang`]).
    pub lang: String,
    pub sentiment: f64,
    pub labels: Labels,
    pub posted_at_ms: i64,
    pub received_at_ms: i64,
    pub reply_parent: Option<String>,
    pub reply_root: Option<String>,
    pub cid: Option<String>,
    pub link: Option<String>,
    /// Country code, when the source said.
    pub country: Option<String>,
    /// Lowercased host names of the post's links.
    pub domains: Vec<String>,
}

/// The 20 columns ingest writes into `posts`, in bind order.
pub(crate) const INSERT_POST_COLUMNS: &str = "uri, network, author, author_handle, body, lang, \
    sentiment, posted_at, received_at, reply_parent, reply_root, quote_of, cid, link, country, \
    domains, detected_lang, source_lang, lang_confidence, sentiment_confidence";

/// A post's link domains as stored: space-separated, `None` when there are none.
pub(crate) fn domains_column(domains: &[String]) -> Option<String> {
    (!domains.is_empty()).then(|| domains.join(" "))
}

/// The 8 columns ingest writes into `conversations`, in bind order.
pub(crate) const INSERT_CONVERSATION_COLUMNS: &str =
    "id, status, network, lang, sentiment, posted_at, created_at, updated_at";

/// Adds a batch's count to an hour's volume.
pub(crate) const VOLUME_CONFLICT: &str =
    "ON CONFLICT (query_id, hour) DO UPDATE SET posts = query_volume.posts + excluded.posts";

/// Stores a source's position (`$1` source, `$2` position, `$3` time).
pub(crate) const UPSERT_CURSOR: &str = "INSERT INTO ingest_cursors (source, position, updated_at) \
    VALUES ($1, $2, $3) ON CONFLICT (source) DO UPDATE SET position = excluded.position, \
    updated_at = excluded.updated_at";

pub(crate) const POST_COLUMNS: &str = "id, uri, network, author, author_handle, body, lang, \
    sentiment, posted_at, received_at, reply_parent, reply_root, cid, link, country, domains, \
    detected_lang, source_lang, lang_confidence, sentiment_confidence";

pub(crate) fn post_from_row(r: &dyn RowGet) -> Result<StoredPost, StoreError> {
    Ok(StoredPost {
        id: r.i64("id")?,
        uri: r.string("uri")?,
        network: r.string("network")?,
        author: r.string("author")?,
        author_handle: r.opt_string("author_handle")?,
        body: r.string("body")?,
        lang: r.string("lang")?,
        sentiment: r.f64("sentiment")?,
        labels: Labels {
            detected_lang: r.opt_string("detected_lang")?,
            source_lang: r.opt_string("source_lang")?,
            lang_confidence: r.opt_f64("lang_confidence")?,
            sentiment_confidence: r.opt_f64("sentiment_confidence")?,
        },
        posted_at_ms: r.i64("posted_at")?,
        received_at_ms: r.i64("received_at")?,
        reply_parent: r.opt_string("reply_parent")?,
        reply_root: r.opt_string("reply_root")?,
        cid: r.opt_string("cid")?,
        link: r.opt_string("link")?,
        country: r.opt_string("country")?,
        domains: r
            .opt_string("domains")?
            .map(|d| d.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default(),
    })
}

/// Rows per multi-row INSERT on PostgreSQL: well under its 65,535 parameters.
const POST_CHUNK: usize = 400;
const ROW_CHUNK: usize = 1000;
pub(crate) const HOUR_MS: i64 = 3_600_000;

/// `($1, …, $n), ($n+1, …)`: `rows` groups of `cols` placeholders.
fn placeholders(rows: usize, cols: usize) -> String {
    let mut s = String::with_capacity(rows * cols * 5);
    let mut n = 1;
    for r in 0..rows {
        if r > 0 {
            s.push_str(", ");
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push_str(", ");
            }
            s.push('$');
            s.push_str(&n.to_string());
            n += 1;
        }
        s.push(')');
    }
    s
}

/// The posts of a batch that are new to it: repeats inside the batch count as duplicates and
/// the first one wins.
fn unique_posts(posts: &[NewPost]) -> Vec<&NewPost> {
    let mut seen = HashSet::with_capacity(posts.len());
    posts
        .iter()
        .filter(|p| seen.insert(p.uri.as_str()))
        .collect()
}

/// The queries a post matched, each once.
pub(crate) fn distinct_matches(p: &NewPost) -> Vec<QueryMatch> {
    let mut qs = p.matches.clone();
    qs.sort();
    qs.dedup_by_key(|m| m.query);
    qs
}

/// The start of the hour `at_ms` falls in.
pub(crate) fn hour_of(at_ms: i64) -> i64 {
    at_ms.div_euclid(HOUR_MS) * HOUR_MS
}

/// Whether a post is recent enough for spike checks to care.
pub(crate) fn is_recent(p: &NewPost, now: i64) -> bool {
    p.posted_at_ms >= now - 2 * HOUR_MS
}

impl Store {
    /// Stores one batch and the source's new `position` in one transaction. Takes the batch by
    /// value: on SQLite it is written on a blocking thread with a connection of its own.
    pub async fn ingest_batch(
        &self,
        source: &str,
        position: &str,
        posts: Vec<NewPost>,
    ) -> Result<IngestReport, StoreError> {
        self.ingest(Some((source.to_owned(), position.to_owned())), posts)
            .await
    }

    /// Stores one batch in one transaction, without a source position: what a stream worker
    /// writes (the stream keeps the position; several workers write at once). Idempotent: a
    /// post stored before is skipped with its matches, so a redelivered batch changes nothing.
    pub async fn ingest_posts(&self, posts: Vec<NewPost>) -> Result<IngestReport, StoreError> {
        self.ingest(None, posts).await
    }

    async fn ingest(
        &self,
        cursor: Option<(String, String)>,
        posts: Vec<NewPost>,
    ) -> Result<IngestReport, StoreError> {
        let now = now_ms();
        match self.writer() {
            Some(writer) => sqlite::write(writer, cursor, posts, now).await,
            None => self.ingest_batch_pooled(cursor, &posts, now).await,
        }
    }

    /// The batch written through the pool, in multi-row statements (PostgreSQL: one round trip
    /// per few hundred rows). Without a cursor (stream workers, several at once) posts are
    /// written in URI order, and volumes and rollups always go in key order, so concurrent
    /// writers of overlapping batches wait for each other instead of deadlocking.
    async fn ingest_batch_pooled(
        &self,
        cursor: Option<(String, String)>,
        posts: &[NewPost],
        now: i64,
    ) -> Result<IngestReport, StoreError> {
        let mut unique = unique_posts(posts);
        if cursor.is_none() {
            // Stream workers write at once: the same order everywhere means no deadlock.
            unique.sort_unstable_by(|a, b| a.uri.cmp(&b.uri));
        }
        let mut report = IngestReport {
            duplicates: posts.len() - unique.len(),
            ..IngestReport::default()
        };
        let mut tx = self.pool().begin().await?;
        let mut new_ids: HashMap<String, i64> = HashMap::with_capacity(unique.len());
        for chunk in unique.chunks(POST_CHUNK) {
            insert_posts(&mut tx, chunk, now, &mut new_ids).await?;
        }
        report.stored = new_ids.len();
        report.duplicates += unique.len() - new_ids.len();
        let stored: Vec<(i64, &NewPost)> = unique
            .iter()
            .filter_map(|p| new_ids.get(&p.uri).map(|id| (*id, *p)))
            .collect();
        report.recent = stored.iter().filter(|(_, p)| is_recent(p, now)).count();
        let conversations: Vec<(i64, &NewPost)> = stored
            .iter()
            .filter(|(_, p)| !p.matches.is_empty())
            .copied()
            .collect();
        report.conversations = conversations.len();
        for chunk in conversations.chunks(ROW_CHUNK / 2) {
            insert_conversations(&mut tx, chunk, now).await?;
        }
        let matches: Vec<(i64, QueryMatch, i64)> = conversations
            .iter()
            .flat_map(|(id, p)| {
                distinct_matches(p)
                    .into_iter()
                    .map(move |m| (*id, m, p.posted_at_ms))
            })
            .collect();
        for chunk in matches.chunks(ROW_CHUNK) {
            let sql = format!(
                "INSERT INTO conversation_matches (conversation_id, query_id, market_id, \
                 posted_at, query_revision) VALUES {}",
                placeholders(chunk.len(), 5)
            );
            let mut q = sqlx::query(&sql);
            for (c, m, at) in chunk {
                q = q
                    .bind(*c)
                    .bind(m.query.0)
                    .bind(m.market.0)
                    .bind(*at)
                    .bind(m.revision);
            }
            q.execute(&mut *tx).await?;
        }
        if !conversations.is_empty() {
            let zones = sqlx::query(crate::numbers::MARKET_ZONES)
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| Ok((r.try_get("id")?, r.try_get("timezone")?)))
                .collect::<Result<Vec<(i64, String)>, StoreError>>()?;
            let mut tally = crate::numbers::Volume::new(zones)?;
            for (_, p) in &conversations {
                tally.add(&p.network, p.posted_at_ms, now, p.sentiment, &p.matches);
            }
            tally.deltas().write(&mut tx, self.backend()).await?;
        }
        let mut volume: BTreeMap<(i64, i64), i64> = BTreeMap::new();
        for (_, m, at) in &matches {
            *volume.entry((m.query.0, hour_of(*at))).or_default() += 1;
        }
        let volume: Vec<((i64, i64), i64)> = volume.into_iter().collect();
        for chunk in volume.chunks(ROW_CHUNK) {
            let sql = format!(
                "INSERT INTO query_volume (query_id, hour, posts) VALUES {} {VOLUME_CONFLICT}",
                placeholders(chunk.len(), 3)
            );
            let mut q = sqlx::query(&sql);
            for ((qid, hour), n) in chunk {
                q = q.bind(*qid).bind(*hour).bind(*n);
            }
            q.execute(&mut *tx).await?;
        }
        if let Some((source, position)) = cursor {
            sqlx::query(UPSERT_CURSOR)
                .bind(source)
                .bind(position)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(report)
    }

    /// Where `source` stopped: the position of the last batch stored.
    pub async fn ingest_cursor(&self, source: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT position FROM ingest_cursors WHERE source = $1")
            .bind(source)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| r.try_get("position")).transpose()?)
    }

    /// Sets a source's position without rows (e.g. a feed polled with nothing new).
    pub async fn set_ingest_cursor(&self, source: &str, position: &str) -> Result<(), StoreError> {
        self.ingest_batch(source, position, Vec::new())
            .await
            .map(|_| ())
    }

    /// Stored posts received at or after `since_ms`, oldest first, `limit` at a time after the
    /// post id `after` (for paging through a preview window: 0 for the first page, then the last
    /// id of the page before). The first page starts at [`Self::first_post_received_since`];
    /// later pages go on from `after`.
    pub async fn posts_received_since(
        &self,
        since_ms: i64,
        after: i64,
        limit: i64,
    ) -> Result<Vec<StoredPost>, StoreError> {
        let after = if after > 0 {
            after
        } else {
            match self.first_post_received_since(since_ms).await? {
                Some(first) => first - 1,
                None => return Ok(Vec::new()),
            }
        };
        self.pooled_all(
            &format!(
                "SELECT {POST_COLUMNS} FROM posts WHERE id > $1 AND received_at >= $2 \
                 ORDER BY id LIMIT $3"
            ),
            &[
                Bind::I(after),
                Bind::I(since_ms),
                Bind::I(limit.clamp(1, 10_000)),
            ],
            post_from_row,
        )
        .await
    }

    /// The id of the first post received at or after `since_ms`, if any, by a binary search over
    /// ids: posts get growing ids in the order they are stored, and each batch's receipt time
    /// is read just before it is stored, so receipt times grow with ids (two writers racing
    /// can put a post a batch's write time out of order, which moves a window's edge by that
    /// much). About 20 primary-key lookups for a million posts, and no index on the time for
    /// ingest to keep up.
    pub async fn first_post_received_since(
        &self,
        since_ms: i64,
    ) -> Result<Option<i64>, StoreError> {
        fn id_and_time(r: &dyn RowGet) -> Result<(i64, i64), StoreError> {
            Ok((r.i64("id")?, r.i64("received_at")?))
        }
        let one = |sql: &'static str, id: i64| async move {
            let rows = self.pooled_all(sql, &[Bind::I(id)], id_and_time).await?;
            Ok::<_, StoreError>(rows.into_iter().next())
        };
        // The first post at or after `id`: (its id, its receipt time).
        let at_or_after = |id: i64| {
            one(
                "SELECT id, received_at FROM posts WHERE id >= $1 ORDER BY id LIMIT 1",
                id,
            )
        };
        let Some((first, first_at)) = at_or_after(i64::MIN).await? else {
            return Ok(None);
        };
        if first_at >= since_ms {
            return Ok(Some(first));
        }
        // The last post (there is one: `first` exists).
        let Some((last, last_at)) = one(
            "SELECT id, received_at FROM posts WHERE id >= $1 ORDER BY id DESC LIMIT 1",
            first,
        )
        .await?
        else {
            return Ok(None);
        };
        if last_at < since_ms {
            return Ok(None);
        }
        // Over id values v: is the first post at or after v received since `since_ms`? False
        // at `lo`, true at `hi`, and (times growing with ids) false then true in between.
        let (mut lo, mut hi, mut found) = (first, last, last);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            match at_or_after(mid).await? {
                Some((id, at)) if at >= since_ms => (hi, found) = (mid, id),
                _ => lo = mid,
            }
        }
        Ok(Some(found))
    }

    /// The stored post with this URI, if any.
    pub async fn post_by_uri(&self, uri: &str) -> Result<Option<StoredPost>, StoreError> {
        Ok(self
            .pooled_all(
                &format!("SELECT {POST_COLUMNS} FROM posts WHERE uri = $1"),
                &[Bind::S(uri.to_owned())],
                post_from_row,
            )
            .await?
            .into_iter()
            .next())
    }

    /// Numbers of stored posts and conversations.
    pub async fn ingest_counts(&self) -> Result<(i64, i64), StoreError> {
        let r = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM posts) AS p, (SELECT COUNT(*) FROM conversations) AS c",
        )
        .fetch_one(self.pool())
        .await?;
        Ok((r.try_get("p")?, r.try_get("c")?))
    }

    /// Deletes stored posts older than `before_ms` that no query matched; returns how many.
    pub async fn prune_unmatched_posts(&self, before_ms: i64) -> Result<u64, StoreError> {
        // Posts before the first one received since `before_ms`: a range of ids, not a scan
        // of every post's time.
        let bound = self
            .first_post_received_since(before_ms)
            .await?
            .unwrap_or(i64::MAX);
        Ok(sqlx::query(
            "DELETE FROM posts WHERE id < $1 AND received_at < $2 \
             AND NOT EXISTS (SELECT 1 FROM conversations c WHERE c.id = posts.id)",
        )
        .bind(bound)
        .bind(before_ms)
        .execute(self.pool())
        .await?
        .rows_affected())
    }
}

async fn insert_posts(
    conn: &mut AnyConnection,
    chunk: &[&NewPost],
    now: i64,
    new_ids: &mut HashMap<String, i64>,
) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO posts ({INSERT_POST_COLUMNS}) VALUES {} \
         ON CONFLICT (uri) DO NOTHING RETURNING id, uri",
        placeholders(chunk.len(), 20)
    );
    let mut q = sqlx::query(&sql);
    for p in chunk {
        q = q
            .bind(p.uri.as_str())
            .bind(p.network.as_str())
            .bind(p.author.as_str())
            .bind(p.author_handle.as_deref())
            .bind(p.body.as_str())
            .bind(p.lang.as_str())
            .bind(p.sentiment)
            .bind(p.posted_at_ms)
            .bind(now)
            .bind(p.reply_parent.as_deref())
            .bind(p.reply_root.as_deref())
            .bind(p.quote_of.as_deref())
            .bind(p.cid.as_deref())
            .bind(p.link.as_deref())
            .bind(p.country.as_deref())
            .bind(domains_column(&p.domains))
            .bind(p.labels.detected_lang.as_deref())
            .bind(p.labels.source_lang.as_deref())
            .bind(p.labels.lang_confidence)
            .bind(p.labels.sentiment_confidence);
    }
    for row in q.fetch_all(&mut *conn).await? {
        new_ids.insert(row.try_get("uri")?, row.try_get("id")?);
    }
    Ok(())
}

async fn insert_conversations(
    conn: &mut AnyConnection,
    chunk: &[(i64, &NewPost)],
    now: i64,
) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO conversations ({INSERT_CONVERSATION_COLUMNS}) VALUES {}",
        placeholders(chunk.len(), 8)
    );
    let mut q = sqlx::query(&sql);
    for (id, p) in chunk {
        q = q
            .bind(*id)
            .bind("new")
            .bind(p.network.as_str())
            .bind(p.lang.as_str())
            .bind(p.sentiment)
            .bind(p.posted_at_ms)
            .bind(now)
            .bind(now);
    }
    q.execute(&mut *conn).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::placeholders;

    #[test]
    fn placeholders_number_rows_in_order() {
        assert_eq!(placeholders(2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(placeholders(1, 1), "($1)");
    }
}

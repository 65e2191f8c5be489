//! The ingest writer for SQLite: the store's direct write connection (`direct::Writer`),
//! prepared statements bound row by row, run on a blocking thread.
//!
//! Through the pool, every statement is a message to sqlx's SQLite worker thread and every
//! value an owned copy; for ingest that was 60% of an import's time. SQLite itself inserts a
//! row in a few microseconds, so here a batch is one `BEGIN IMMEDIATE … COMMIT` of single-row
//! statements prepared once per batch (and no `RETURNING`: SQLite runs it like a trigger, which
//! makes every insert copy the pages it touches into a statement journal first; the new id is
//! `last_insert_rowid` instead). The transaction holds the rows, Numbers' conversation volume
//! (`numbers::Volume`) and the source's cursor together, as on PostgreSQL.

use std::collections::BTreeMap;

use rusqlite::{Connection, TransactionBehavior, params};

use super::{
    INSERT_CONVERSATION_COLUMNS, INSERT_POST_COLUMNS, IngestReport, NewPost, UPSERT_CURSOR,
    VOLUME_CONFLICT, distinct_matches, domains_column, hour_of, is_recent,
};
use crate::StoreError;
use crate::numbers::{MARKET_ZONES, UPSERT_MEASURED, UPSERT_ROLLUP, Volume};

/// Writes one batch and the cursor in one transaction, through the store's direct writer.
pub(crate) async fn write(
    writer: &crate::direct::Writer,
    cursor: Option<(String, String)>,
    posts: Vec<NewPost>,
    now: i64,
) -> Result<IngestReport, StoreError> {
    writer
        .write("an ingest batch", move |conn| {
            write_batch(conn, cursor, &posts, now)
        })
        .await
}

fn write_batch(
    conn: &mut Connection,
    cursor: Option<(String, String)>,
    posts: &[NewPost],
    now: i64,
) -> Result<IngestReport, StoreError> {
    // Repeats inside the batch need no pass of their own: the second insert of a URI changes
    // nothing and counts as a duplicate, as one stored by an earlier batch does.
    let mut report = IngestReport::default();
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    {
        let mut insert_post = tx.prepare(&format!(
            "INSERT INTO posts ({INSERT_POST_COLUMNS}) VALUES \
             (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, \
             ?20) \
             ON CONFLICT (uri) DO NOTHING"
        ))?;
        let mut insert_conversation = tx.prepare(&format!(
            "INSERT INTO conversations ({INSERT_CONVERSATION_COLUMNS}) \
             VALUES (?1, 'new', ?2, ?3, ?4, ?5, ?6, ?6)"
        ))?;
        let mut insert_match = tx.prepare(
            "INSERT INTO conversation_matches (conversation_id, query_id, market_id, posted_at, \
             query_revision) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        let mut volume: BTreeMap<(i64, i64), i64> = BTreeMap::new();
        // Numbers' conversation volume, made when the first matched post comes.
        let mut tally: Option<Volume> = None;
        for p in posts {
            let inserted = insert_post.execute(params![
                p.uri,
                p.network,
                p.author,
                p.author_handle,
                p.body,
                p.lang,
                p.sentiment,
                p.posted_at_ms,
                now,
                p.reply_parent,
                p.reply_root,
                p.quote_of,
                p.cid,
                p.link,
                p.country,
                domains_column(&p.domains),
                p.labels.detected_lang,
                p.labels.source_lang,
                p.labels.lang_confidence,
                p.labels.sentiment_confidence,
            ])?;
            if inserted == 0 {
                report.duplicates += 1;
                continue;
            }
            let id = tx.last_insert_rowid();
            report.stored += 1;
            if is_recent(p, now) {
                report.recent += 1;
            }
            if p.matches.is_empty() {
                continue;
            }
            report.conversations += 1;
            if tally.is_none() {
                let mut zones = tx.prepare_cached(MARKET_ZONES)?;
                let rows = zones
                    .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
                    .collect::<Result<Vec<_>, _>>()?;
                tally = Some(Volume::new(rows)?);
            }
            if let Some(t) = tally.as_mut() {
                t.add(&p.network, p.posted_at_ms, now, p.sentiment, &p.matches);
            }
            insert_conversation.execute(params![
                id,
                p.network,
                p.lang,
                p.sentiment,
                p.posted_at_ms,
                now
            ])?;
            for m in distinct_matches(p) {
                insert_match.execute(params![
                    id,
                    m.query.0,
                    m.market.0,
                    p.posted_at_ms,
                    m.revision
                ])?;
                *volume
                    .entry((m.query.0, hour_of(p.posted_at_ms)))
                    .or_default() += 1;
            }
        }
        let mut add_volume = tx.prepare(&format!(
            "INSERT INTO query_volume (query_id, hour, posts) VALUES (?1, ?2, ?3) {VOLUME_CONFLICT}"
        ))?;
        for ((query, hour), n) in volume {
            add_volume.execute(params![query, hour, n])?;
        }
        if let Some(t) = tally {
            let deltas = t.deltas();
            let mut rollup = tx.prepare(UPSERT_ROLLUP)?;
            for ((dim, grain, market, bucket, subject, metric), value) in deltas.rollup_rows() {
                rollup.execute(params![
                    dim.name(),
                    grain.name(),
                    market,
                    bucket,
                    subject,
                    metric.name(),
                    value
                ])?;
            }
            let mut measured = tx.prepare(UPSERT_MEASURED)?;
            for ((dim, market, subject, network, source), at) in deltas.measured_rows() {
                measured.execute(params![dim.name(), market, subject, network, source, at])?;
            }
        }
        if let Some((source, position)) = &cursor {
            tx.execute(UPSERT_CURSOR, params![source, position, now])?;
        }
    }
    tx.commit()?;
    Ok(report)
}

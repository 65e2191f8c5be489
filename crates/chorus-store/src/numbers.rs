//! Numbers: snapshots of what the networks report about what Chorus published, and the
//! rollups every Numbers page reads, maintained in the same transaction as each snapshot.
//!
//! The contract (see `migrations/*/0008_numbers.sql` for the tables):
//!
//! - A snapshot holds running totals as reported; a count the network did not report is NULL,
//!   never 0. Inserting the same (variant, fetch time) again changes nothing, so a collector
//!   retrying after a crash cannot count twice.
//! - A rollup bucket holds the *gain* within it: for every metric, the value of a snapshot minus
//!   the value of the one before it (by fetch time, among those that reported the metric; 0
//!   before the first), in the bucket of the later snapshot's fetch time in the market's time
//!   zone. Sums over buckets and subjects are meaningful, and a subject's sum over every bucket is
//!   its latest count. Snapshots may arrive in any order: one landing between two others adds
//!   its own gain and takes the same amount off the next one's, so the rollups always equal a
//!   recomputation from the snapshots (the property test in `tests/conformance/numbers.rs`).
//! - A post counts toward its post, story, campaign (if any), account, market (its story's),
//!   network and every principle its story cites; followers toward their account, its market
//!   and network. The dimensions and the market's zone are read when the snapshot is inserted:
//!   a published story does not change, but a market's time zone may, and the buckets already
//!   written keep the zone they were written in.
//!
//! Writers of the same variant or account are serialized (SQLite: `BEGIN IMMEDIATE`;
//! PostgreSQL: the variants' or accounts' rows `FOR UPDATE`, in id order), and rollup rows are
//! upserted in one sorted order, so concurrent collectors neither lose a gain nor deadlock.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use chorus_core::numbers::{Dimension, Grain, Metric, PostCounts, bucket_of};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use sqlx::{AnyConnection, Row};

use crate::audit::{self, Lock};
use crate::{Backend, Store, StoreError};

mod read;

pub use read::{DueAccount, DuePublication, RollupQuery, RollupRow};

/// A measurement of a published variant's counts to store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewPostSnapshot {
    pub variant_id: i64,
    pub fetched_at_ms: i64,
    pub counts: PostCounts,
    /// When the variant is to be measured next (`chorus_core::numbers::schedule::next_due`).
    pub next_due_ms: i64,
}

/// A measurement of an account's followers to store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewFollowerSnapshot {
    pub account_id: i64,
    pub fetched_at_ms: i64,
    pub followers: Option<i64>,
}

/// A stored measurement of a variant's counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostSnapshot {
    pub variant_id: i64,
    pub fetched_at_ms: i64,
    pub account_id: i64,
    pub network: String,
    pub counts: PostCounts,
}

/// A stored measurement of an account's followers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowerSnapshot {
    pub account_id: i64,
    pub fetched_at_ms: i64,
    pub followers: Option<i64>,
}

/// The snapshot columns of each post metric, in [`Metric::POST_COUNTS`] order.
const POST_COLUMNS: [(Metric, &str); 6] = [
    (Metric::Likes, "likes"),
    (Metric::Reposts, "reposts"),
    (Metric::Replies, "replies"),
    (Metric::Quotes, "quotes"),
    (Metric::Bookmarks, "bookmarks"),
    (Metric::FirstHourLikes, "first_hour_likes"),
];

/// What a measured thing rolls up into: its market, that market's zone, and its subjects per
/// dimension.
struct Dims {
    market: i64,
    zone: TimeZone,
    subjects: Vec<(Dimension, String)>,
}

/// Rollup changes gathered over a transaction, upserted at its end in key order.
#[derive(Default)]
struct Deltas(BTreeMap<(Dimension, Grain, i64, String, String, Metric), i64>);

impl Deltas {
    /// Adds `gain` of `metric` at `at_ms` to every subject of `dims`, in every bucket size.
    fn add(&mut self, dims: &Dims, metric: Metric, at_ms: i64, gain: i64) {
        if gain == 0 {
            return;
        }
        let Ok(at) = Timestamp::from_millisecond(at_ms) else {
            return;
        };
        for grain in Grain::ALL {
            let bucket = bucket_of(at, &dims.zone, grain).to_string();
            for (dim, subject) in &dims.subjects {
                *self
                    .0
                    .entry((
                        *dim,
                        grain,
                        dims.market,
                        bucket.clone(),
                        subject.clone(),
                        metric,
                    ))
                    .or_default() += gain;
            }
        }
    }

    /// Upserts the gathered changes in key order: on PostgreSQL [`UPSERT_ROWS`] rows per
    /// statement (each key once per statement, as it requires), saving round trips; on SQLite,
    /// in process, one prepared single-row statement is cheaper than many long ones.
    async fn write(self, conn: &mut AnyConnection, backend: Backend) -> Result<(), StoreError> {
        let per = match backend {
            Backend::Sqlite => 1,
            Backend::Postgres => UPSERT_ROWS,
        };
        let rows: Vec<_> = self.0.into_iter().filter(|(_, v)| *v != 0).collect();
        for chunk in rows.chunks(per) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| {
                    let p = i * 7;
                    format!(
                        "(${}, ${}, ${}, ${}, ${}, ${}, ${})",
                        p + 1,
                        p + 2,
                        p + 3,
                        p + 4,
                        p + 5,
                        p + 6,
                        p + 7
                    )
                })
                .collect();
            let sql = format!(
                "INSERT INTO numbers_rollups (dimension, grain, market_id, bucket, subject, \
                 metric, value) VALUES {} \
                 ON CONFLICT (dimension, grain, market_id, bucket, subject, metric) \
                 DO UPDATE SET value = numbers_rollups.value + excluded.value",
                values.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for ((dim, grain, market, bucket, subject, metric), value) in chunk {
                q = q
                    .bind(dim.name())
                    .bind(grain.name())
                    .bind(*market)
                    .bind(bucket.as_str())
                    .bind(subject.as_str())
                    .bind(metric.name())
                    .bind(*value);
            }
            q.execute(&mut *conn).await?;
        }
        Ok(())
    }
}

/// Rollup rows per upsert statement: 7 parameters each, well under both backends' limits.
const UPSERT_ROWS: usize = 200;

fn zone(name: &str) -> Result<TimeZone, StoreError> {
    jiff::tz::db()
        .get(name)
        .map_err(|e| StoreError::corrupt("market time zone", e))
}

/// The dimensions of variant `variant` (`NotFound` when it is gone).
async fn post_dims(
    conn: &mut AnyConnection,
    variant: i64,
) -> Result<(Dims, i64, String), StoreError> {
    let row = sqlx::query(
        "SELECT v.story_id, v.account_id, a.network, s.market_id, s.campaign_id, m.timezone \
         FROM variants v JOIN stories s ON s.id = v.story_id \
         JOIN accounts a ON a.id = v.account_id JOIN markets m ON m.id = s.market_id \
         WHERE v.id = $1",
    )
    .bind(variant)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound { what: "variant" })?;
    let story: i64 = row.try_get("story_id")?;
    let account: i64 = row.try_get("account_id")?;
    let network: String = row.try_get("network")?;
    let market: i64 = row.try_get("market_id")?;
    let campaign: Option<i64> = row.try_get("campaign_id")?;
    let zone = zone(&row.try_get::<String, _>("timezone")?)?;
    let mut subjects = vec![
        (Dimension::Post, variant.to_string()),
        (Dimension::Story, story.to_string()),
        (Dimension::Account, account.to_string()),
        (Dimension::Market, market.to_string()),
        (Dimension::Network, network.clone()),
    ];
    if let Some(c) = campaign {
        subjects.push((Dimension::Campaign, c.to_string()));
    }
    let principles =
        sqlx::query("SELECT principle_id FROM story_principles WHERE story_id = $1 ORDER BY 1")
            .bind(story)
            .fetch_all(&mut *conn)
            .await?;
    for p in principles {
        subjects.push((Dimension::Principle, p.try_get::<i64, _>(0)?.to_string()));
    }
    Ok((
        Dims {
            market,
            zone,
            subjects,
        },
        account,
        network,
    ))
}

/// The dimensions of account `account`'s followers.
async fn account_dims(conn: &mut AnyConnection, account: i64) -> Result<Dims, StoreError> {
    let row = sqlx::query(
        "SELECT a.network, a.market_id, m.timezone FROM accounts a \
         JOIN markets m ON m.id = a.market_id WHERE a.id = $1",
    )
    .bind(account)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound { what: "account" })?;
    let market: i64 = row.try_get("market_id")?;
    Ok(Dims {
        market,
        zone: zone(&row.try_get::<String, _>("timezone")?)?,
        subjects: vec![
            (Dimension::Account, account.to_string()),
            (Dimension::Market, market.to_string()),
            (Dimension::Network, row.try_get("network")?),
        ],
    })
}

/// The nearest value of `column` in `table` for `key_col = key` strictly before (`before`) or
/// after `at` among rows that reported it: `(fetched_at, value)`.
async fn neighbour(
    conn: &mut AnyConnection,
    table: &str,
    key_col: &str,
    key: i64,
    column: &str,
    at: i64,
    before: bool,
) -> Result<Option<(i64, i64)>, StoreError> {
    let (cmp, order) = if before { ("<", "DESC") } else { (">", "ASC") };
    let row = sqlx::query(&format!(
        "SELECT fetched_at, {column} AS v FROM {table} WHERE {key_col} = $1 \
         AND fetched_at {cmp} $2 AND {column} IS NOT NULL ORDER BY fetched_at {order} LIMIT 1"
    ))
    .bind(key)
    .bind(at)
    .fetch_optional(conn)
    .await?;
    row.map(|r| Ok((r.try_get("fetched_at")?, r.try_get("v")?)))
        .transpose()
}

/// The row of `table` for `key_col = key` just before (`before`) or after `at`: its fetch time
/// and its values of `columns`, in order.
type Adjacent = Option<(i64, Vec<Option<i64>>)>;

async fn adjacent(
    conn: &mut AnyConnection,
    (table, key_col, key): (&str, &str, i64),
    columns: &[&str],
    at: i64,
    before: bool,
) -> Result<Adjacent, StoreError> {
    let (cmp, order) = if before { ("<", "DESC") } else { (">", "ASC") };
    let row = sqlx::query(&format!(
        "SELECT fetched_at, {} FROM {table} WHERE {key_col} = $1 AND fetched_at {cmp} $2 \
         ORDER BY fetched_at {order} LIMIT 1",
        columns.join(", ")
    ))
    .bind(key)
    .bind(at)
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        let values = columns
            .iter()
            .map(|c| r.try_get::<Option<i64>, _>(*c))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((r.try_get("fetched_at")?, values))
    })
    .transpose()
}

/// The nearest reported value of column `i` of `columns` on one side of `at`: from the
/// adjacent row when it reported it (the usual case, no query), else by a query that skips the
/// rows that did not.
#[allow(clippy::too_many_arguments)]
async fn nearest(
    conn: &mut AnyConnection,
    key: (&str, &str, i64),
    adjacent: &Adjacent,
    columns: &[&str],
    i: usize,
    at: i64,
    before: bool,
) -> Result<Option<(i64, i64)>, StoreError> {
    match adjacent {
        None => Ok(None),
        Some((t, values)) => match values[i] {
            Some(v) => Ok(Some((*t, v))),
            None => neighbour(conn, key.0, key.1, key.2, columns[i], at, before).await,
        },
    }
}

/// Adds the rollup changes of a new measurement at `at` (`values` of `columns`, `None` where
/// not reported): for each reported value, its gain over the previous reported value in its
/// bucket, and the same amount off the next reported value's gain in that one's.
async fn gains(
    conn: &mut AnyConnection,
    deltas: &mut Deltas,
    dims: &Dims,
    key: (&str, &str, i64),
    columns: &[(Metric, &str)],
    at: i64,
    values: &[Option<i64>],
) -> Result<(), StoreError> {
    if values.iter().all(Option::is_none) {
        return Ok(());
    }
    let names: Vec<&str> = columns.iter().map(|(_, c)| *c).collect();
    let before = adjacent(conn, key, &names, at, true).await?;
    let after = adjacent(conn, key, &names, at, false).await?;
    for (i, (metric, _)) in columns.iter().enumerate() {
        let Some(value) = values[i] else {
            continue;
        };
        let prev = nearest(conn, key, &before, &names, i, at, true)
            .await?
            .map_or(0, |(_, v)| v);
        deltas.add(dims, *metric, at, value - prev);
        if let Some((next_at, _)) = nearest(conn, key, &after, &names, i, at, false).await? {
            deltas.add(dims, *metric, next_at, prev - value);
        }
    }
    Ok(())
}

impl Store {
    /// Stores measurements of published variants and their next due times, and updates the
    /// rollups, in one transaction. A measurement already stored (same variant and fetch time)
    /// is skipped; returns how many were new. `NotFound` (and nothing stored) when a variant is
    /// gone.
    pub async fn record_post_snapshots(
        &self,
        snapshots: &[NewPostSnapshot],
    ) -> Result<u64, StoreError> {
        let ids: Vec<i64> = snapshots.iter().map(|s| s.variant_id).collect();
        let mut tx = audit::begin(self, &Lock::ids("variants", &ids)).await?;
        let mut deltas = Deltas::default();
        let mut dims_of: BTreeMap<i64, (Dims, i64, String)> = BTreeMap::new();
        let mut new = 0;
        for s in snapshots {
            let (dims, account, network) = match dims_of.entry(s.variant_id) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(e) => e.insert(post_dims(&mut tx, s.variant_id).await?),
            };
            let c = &s.counts;
            let n = sqlx::query(
                "INSERT INTO numbers_post_snapshots (variant_id, fetched_at, account_id, network, \
                 likes, reposts, replies, quotes, bookmarks, first_hour_likes) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                 ON CONFLICT (variant_id, fetched_at) DO NOTHING",
            )
            .bind(s.variant_id)
            .bind(s.fetched_at_ms)
            .bind(*account)
            .bind(network.as_str())
            .bind(c.likes)
            .bind(c.reposts)
            .bind(c.replies)
            .bind(c.quotes)
            .bind(c.bookmarks)
            .bind(c.first_hour_likes)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            sqlx::query(
                "INSERT INTO numbers_post_due (variant_id, next_at, last_fetched_at) \
                 VALUES ($1, $2, $3) ON CONFLICT (variant_id) DO UPDATE SET \
                 next_at = excluded.next_at, last_fetched_at = CASE \
                 WHEN numbers_post_due.last_fetched_at IS NULL \
                 OR numbers_post_due.last_fetched_at < excluded.last_fetched_at \
                 THEN excluded.last_fetched_at ELSE numbers_post_due.last_fetched_at END",
            )
            .bind(s.variant_id)
            .bind(s.next_due_ms)
            .bind(s.fetched_at_ms)
            .execute(&mut *tx)
            .await?;
            if n == 0 {
                continue;
            }
            new += 1;
            let values: Vec<Option<i64>> = POST_COLUMNS.iter().map(|(m, _)| c.get(*m)).collect();
            let key = ("numbers_post_snapshots", "variant_id", s.variant_id);
            gains(
                &mut tx,
                &mut deltas,
                dims,
                key,
                &POST_COLUMNS,
                s.fetched_at_ms,
                &values,
            )
            .await?;
        }
        deltas.write(&mut tx, self.backend()).await?;
        tx.commit().await?;
        Ok(new)
    }

    /// Moves a published variant's next measurement to `next_due_ms` without measuring it (the
    /// network no longer knows the post: it was deleted there). Its snapshots stay.
    pub async fn postpone_post_snapshot(
        &self,
        variant: i64,
        next_due_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO numbers_post_due (variant_id, next_at, last_fetched_at) \
             VALUES ($1, $2, NULL) ON CONFLICT (variant_id) DO UPDATE SET next_at = excluded.next_at",
        )
        .bind(variant)
        .bind(next_due_ms)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Stores measurements of accounts' followers and updates the rollups, in one transaction;
    /// like [`Store::record_post_snapshots`] (returns how many were new).
    pub async fn record_follower_snapshots(
        &self,
        snapshots: &[NewFollowerSnapshot],
    ) -> Result<u64, StoreError> {
        let ids: Vec<i64> = snapshots.iter().map(|s| s.account_id).collect();
        let mut tx = audit::begin(self, &Lock::ids("accounts", &ids)).await?;
        let mut deltas = Deltas::default();
        let mut dims_of: BTreeMap<i64, Dims> = BTreeMap::new();
        let mut new = 0;
        for s in snapshots {
            let dims = match dims_of.entry(s.account_id) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(e) => e.insert(account_dims(&mut tx, s.account_id).await?),
            };
            let n = sqlx::query(
                "INSERT INTO numbers_follower_snapshots (account_id, fetched_at, followers) \
                 VALUES ($1, $2, $3) ON CONFLICT (account_id, fetched_at) DO NOTHING",
            )
            .bind(s.account_id)
            .bind(s.fetched_at_ms)
            .bind(s.followers)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                continue;
            }
            new += 1;
            let key = ("numbers_follower_snapshots", "account_id", s.account_id);
            gains(
                &mut tx,
                &mut deltas,
                dims,
                key,
                &[(Metric::Followers, "followers")],
                s.fetched_at_ms,
                &[s.followers],
            )
            .await?;
        }
        deltas.write(&mut tx, self.backend()).await?;
        tx.commit().await?;
        Ok(new)
    }
}

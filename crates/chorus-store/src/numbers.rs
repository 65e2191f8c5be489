//! Numbers: snapshots of what the networks report about what Chorus published, and the
//! rollups every Numbers page reads, maintained in the same transaction as each measurement.
//!
//! The contract (see `migrations/*/0008_numbers.sql` and `0014_numbers_measured.sql`):
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
//!   recomputation from the snapshots (the property test in `tests/conformance/numbers_prop.rs`).
//! - Events are counted where they are recorded: a person's click (`Store::record_click`) is +1
//!   click in the bucket of its instant, in the click's own transaction ([`roll_up_click`]).
//! - A post counts toward its post, story, campaign (if any), account, market (its story's),
//!   network and every principle its story cites; followers toward their account, its market
//!   and network. The dimensions and the market's zone are read when the measurement is
//!   inserted: a published story does not change, but a market's time zone may, and the buckets
//!   already written keep the zone they were written in.
//! - Beside each rollup, `numbers_measured` keeps when each subject was last measured, per
//!   network and source (a post's counts, followers, clicks, matched posts), so a report says
//!   how fresh its figures are without reading the snapshots (`Store::last_measured`).
//!
//! Writers of the same variant or account are serialized (SQLite: `BEGIN IMMEDIATE`;
//! PostgreSQL: the variants' or accounts' rows `FOR UPDATE`, in id order), and rollup rows are
//! upserted in one sorted order, so concurrent collectors and clicks neither lose a gain nor
//! deadlock.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use chorus_core::numbers::{Dimension, Metric, PostCounts};
use sqlx::{AnyConnection, Row};

use crate::audit::{self, Lock};
use crate::{Backend, Store, StoreError};

mod backfill;
mod deltas;
mod leads;
mod read;
mod responses;
mod volume;

pub(crate) use deltas::{Deltas, UPSERT_MEASURED, UPSERT_ROLLUP};
use deltas::{Dims, zone};
pub(crate) use leads::{LeadSubjects, roll_up_lead};
pub(crate) use responses::add_first_response;
pub(crate) use volume::{MARKET_ZONES, Volume};

pub use read::{DueAccount, DuePublication, MeasuredRow, RollupQuery, RollupRow};

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

/// The sources of `numbers_measured` (migration 0014): what was measured, by whom.
pub(crate) const SOURCE_POSTS: &str = "posts";
pub(crate) const SOURCE_FOLLOWERS: &str = "followers";
pub(crate) const SOURCE_CLICKS: &str = "clicks";
pub(crate) const SOURCE_CONVERSATIONS: &str = "conversations";
pub(crate) const SOURCE_RESPONSES: &str = "responses";

/// The `numbers_measured` source that measures `metric`, if any does.
pub(crate) fn source_of(metric: Metric) -> Option<&'static str> {
    match metric {
        Metric::Followers => Some(SOURCE_FOLLOWERS),
        Metric::Clicks => Some(SOURCE_CLICKS),
        Metric::ConversationVolume
        | Metric::PositiveConversations
        | Metric::NegativeConversations => Some(SOURCE_CONVERSATIONS),
        Metric::FirstResponses
        | Metric::FirstResponsesWithinTarget
        | Metric::FirstResponseMinutes => Some(SOURCE_RESPONSES),
        m if Metric::POST_COUNTS.contains(&m) => Some(SOURCE_POSTS),
        _ => None,
    }
}

/// Adds one person's click at `at_ms` on a link of variant `variant` to the rollups, inside the
/// caller's transaction (`Store::record_click`).
pub(crate) async fn roll_up_click(
    conn: &mut AnyConnection,
    backend: Backend,
    variant: i64,
    at_ms: i64,
) -> Result<(), StoreError> {
    let (dims, _, _) = post_dims(conn, variant).await?;
    let mut deltas = Deltas::default();
    deltas.add(&dims, Metric::Clicks, at_ms, 1);
    deltas.measured(&dims, SOURCE_CLICKS, at_ms);
    deltas.write(conn, backend).await
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
            network: network.clone(),
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
    let network: String = row.try_get("network")?;
    Ok(Dims {
        market,
        zone: zone(&row.try_get::<String, _>("timezone")?)?,
        subjects: vec![
            (Dimension::Account, account.to_string()),
            (Dimension::Market, market.to_string()),
            (Dimension::Network, network.clone()),
        ],
        network,
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
            deltas.measured(dims, SOURCE_POSTS, s.fetched_at_ms);
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
            deltas.measured(dims, SOURCE_FOLLOWERS, s.fetched_at_ms);
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

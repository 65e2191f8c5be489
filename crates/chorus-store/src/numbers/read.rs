//! Reading Numbers: what is due a measurement, the stored snapshots, and the rollup query the
//! pages and `GET /api/v1/numbers` call (group by one dimension, optionally by market and by
//! bucket too; metrics; a range of buckets; the markets the caller may see).

use chorus_core::MarketId;
use chorus_core::numbers::{Dimension, Grain, Metric, PostCounts};
use jiff::civil::Date;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{FollowerSnapshot, POST_COLUMNS, PostSnapshot, source_of};
use crate::{Store, StoreError, in_list};

/// A published variant due a measurement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuePublication {
    pub variant_id: i64,
    pub account_id: i64,
    pub network: String,
    /// The post's address on the network (at:// on Bluesky).
    pub uri: String,
    pub published_at_ms: i64,
    /// The last measurement, if any.
    pub last_fetched_ms: Option<i64>,
    /// When it fell due.
    pub due_ms: i64,
}

/// An account whose followers are due a measurement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueAccount {
    pub account_id: i64,
    pub network: String,
    /// The account's id on the network (a DID on Bluesky).
    pub external_id: String,
    pub handle: String,
    pub last_fetched_ms: Option<i64>,
}

/// What to read from the rollups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollupQuery {
    /// Group by this dimension's subjects.
    pub dimension: Dimension,
    /// Also group by market (the post's story's market, or the account's).
    pub by_market: bool,
    pub grain: Grain,
    /// Also group by bucket (a series); otherwise totals over the range.
    pub by_bucket: bool,
    /// Empty: every metric.
    pub metrics: Vec<Metric>,
    /// Buckets starting on or after this local date (inclusive); `None`: from the first.
    pub from: Option<Date>,
    /// Buckets starting before this local date (exclusive); `None`: to the last.
    pub to: Option<Date>,
    /// Only these markets (the ones the caller may see); `None`: every market.
    pub markets: Option<Vec<MarketId>>,
    /// Only these subjects of the dimension (ids as text, or network names); `None`: all.
    pub subjects: Option<Vec<String>>,
}

impl RollupQuery {
    /// Totals per subject of `dimension` by `grain`, every metric, market and bucket.
    pub fn new(dimension: Dimension, grain: Grain) -> RollupQuery {
        RollupQuery {
            dimension,
            by_market: false,
            grain,
            by_bucket: false,
            metrics: Vec::new(),
            from: None,
            to: None,
            markets: None,
            subjects: None,
        }
    }
}

/// One figure of a rollup query: the sum of the gains of `metric` for `subject` (in `market`
/// and `bucket` when grouped by them).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RollupRow {
    pub market_id: Option<MarketId>,
    pub subject: String,
    pub bucket: Option<Date>,
    pub metric: Metric,
    pub value: i64,
}

/// When a metric was last measured on a network, in a query's scope.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct MeasuredRow {
    pub network: String,
    pub metric: Metric,
    /// Milliseconds since the Unix epoch, UTC: the latest fetch of a post's counts or an
    /// account's followers, the latest person's click, the latest matched post stored.
    pub at_ms: i64,
}

fn post_snapshot(r: &AnyRow) -> Result<PostSnapshot, StoreError> {
    let mut counts = PostCounts::default();
    for (metric, column) in POST_COLUMNS {
        counts.set(metric, r.try_get::<Option<i64>, _>(column)?);
    }
    Ok(PostSnapshot {
        variant_id: r.try_get("variant_id")?,
        fetched_at_ms: r.try_get("fetched_at")?,
        account_id: r.try_get("account_id")?,
        network: r.try_get("network")?,
        counts,
    })
}

impl Store {
    /// Published variants (with a network address) due a measurement at `now_ms`, most overdue
    /// first, at most `limit`; never a demo account's (its history is generated). One never
    /// measured is due `first_after_ms` after publication.
    pub async fn publications_due(
        &self,
        now_ms: i64,
        first_after_ms: i64,
        limit: i64,
    ) -> Result<Vec<DuePublication>, StoreError> {
        let rows = sqlx::query(
            "SELECT v.id, v.account_id, a.network, v.published_uri, v.published_at, \
             d.last_fetched_at, COALESCE(d.next_at, v.published_at + $2) AS due \
             FROM variants v JOIN accounts a ON a.id = v.account_id \
             LEFT JOIN numbers_post_due d ON d.variant_id = v.id \
             WHERE a.demo = 0 AND v.pub_state = 'published' AND v.published_uri IS NOT NULL \
             AND v.published_at IS NOT NULL AND COALESCE(d.next_at, v.published_at + $2) <= $1 \
             ORDER BY due, v.id LIMIT $3",
        )
        .bind(now_ms)
        .bind(first_after_ms)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DuePublication {
                    variant_id: r.try_get("id")?,
                    account_id: r.try_get("account_id")?,
                    network: r.try_get("network")?,
                    uri: r.try_get("published_uri")?,
                    published_at_ms: r.try_get("published_at")?,
                    last_fetched_ms: r.try_get("last_fetched_at")?,
                    due_ms: r.try_get("due")?,
                })
            })
            .collect()
    }

    /// Accounts whose followers were never measured or last measured at or before
    /// `measured_before_ms`; never a demo account.
    pub async fn accounts_due_followers(
        &self,
        measured_before_ms: i64,
    ) -> Result<Vec<DueAccount>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.id, a.network, a.external_id, a.handle, MAX(f.fetched_at) AS last \
             FROM accounts a LEFT JOIN numbers_follower_snapshots f ON f.account_id = a.id \
             WHERE a.demo = 0 GROUP BY a.id, a.network, a.external_id, a.handle \
             HAVING MAX(f.fetched_at) IS NULL OR MAX(f.fetched_at) <= $1 ORDER BY a.id",
        )
        .bind(measured_before_ms)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DueAccount {
                    account_id: r.try_get("id")?,
                    network: r.try_get("network")?,
                    external_id: r.try_get("external_id")?,
                    handle: r.try_get("handle")?,
                    last_fetched_ms: r.try_get("last")?,
                })
            })
            .collect()
    }

    /// A variant's measurements, oldest first (a post's curve).
    pub async fn post_snapshots(&self, variant: i64) -> Result<Vec<PostSnapshot>, StoreError> {
        let rows = sqlx::query(
            "SELECT variant_id, fetched_at, account_id, network, likes, reposts, replies, quotes, \
             bookmarks, first_hour_likes FROM numbers_post_snapshots WHERE variant_id = $1 \
             ORDER BY fetched_at",
        )
        .bind(variant)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(post_snapshot).collect()
    }

    /// An account's follower measurements, oldest first.
    pub async fn follower_snapshots(
        &self,
        account: i64,
    ) -> Result<Vec<FollowerSnapshot>, StoreError> {
        let rows = sqlx::query(
            "SELECT account_id, fetched_at, followers FROM numbers_follower_snapshots \
             WHERE account_id = $1 ORDER BY fetched_at",
        )
        .bind(account)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(FollowerSnapshot {
                    account_id: r.try_get("account_id")?,
                    fetched_at_ms: r.try_get("fetched_at")?,
                    followers: r.try_get("followers")?,
                })
            })
            .collect()
    }

    /// Sums of rollups as `query` asks, ordered by market, subject, bucket and metric. Only
    /// rollup rows are read, never snapshots. A figure that is 0 may be absent.
    pub async fn rollups(&self, query: &RollupQuery) -> Result<Vec<RollupRow>, StoreError> {
        let mut filters = vec!["dimension = $1".to_owned(), "grain = $2".to_owned()];
        let mut texts: Vec<String> = vec![
            query.dimension.name().to_owned(),
            query.grain.name().to_owned(),
        ];
        // Text parameters first ($3…), then the market ids.
        let mut bind_texts = |column: &str, values: &[String], filters: &mut Vec<String>| {
            filters.push(format!(
                "{column} IN ({})",
                in_list(texts.len() + 1, values.len())
            ));
            texts.extend(values.iter().cloned());
        };
        if !query.metrics.is_empty() {
            let names: Vec<String> = query.metrics.iter().map(|m| m.name().to_owned()).collect();
            bind_texts("metric", &names, &mut filters);
        }
        if let Some(subjects) = &query.subjects {
            if subjects.is_empty() {
                return Ok(Vec::new());
            }
            bind_texts("subject", subjects, &mut filters);
        }
        if let Some(from) = query.from {
            texts.push(from.to_string());
            filters.push(format!("bucket >= ${}", texts.len()));
        }
        if let Some(to) = query.to {
            texts.push(to.to_string());
            filters.push(format!("bucket < ${}", texts.len()));
        }
        let markets: Vec<i64> = match &query.markets {
            Some(m) if m.is_empty() => return Ok(Vec::new()),
            Some(m) => m.iter().map(|m| m.0).collect(),
            None => Vec::new(),
        };
        if markets.is_empty() {
            // Every market: still named, so that the primary key (dimension, grain, market,
            // bucket, …) is searched market by market for the bucket range; without it a date
            // range read every bucket of every market (a year of principle rollups for a
            // 30-day overview).
            filters.push("market_id IN (SELECT id FROM markets)".to_owned());
        } else {
            let first = texts.len() + 1;
            filters.push(format!("market_id IN ({})", in_list(first, markets.len())));
        }
        let mut group = Vec::new();
        if query.by_market {
            group.push("market_id");
        }
        group.push("subject");
        if query.by_bucket {
            group.push("bucket");
        }
        group.push("metric");
        let group = group.join(", ");
        let sql = format!(
            "SELECT {group}, CAST(SUM(value) AS BIGINT) AS total FROM numbers_rollups \
             WHERE {} GROUP BY {group} ORDER BY {group}",
            filters.join(" AND ")
        );
        let mut q = sqlx::query(&sql);
        for t in texts {
            q = q.bind(t);
        }
        for m in markets {
            q = q.bind(m);
        }
        let rows = q.fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| {
                let metric: String = r.try_get("metric")?;
                let bucket = if query.by_bucket {
                    let b: String = r.try_get("bucket")?;
                    Some(
                        b.parse::<Date>()
                            .map_err(|e| StoreError::corrupt("rollup bucket", e))?,
                    )
                } else {
                    None
                };
                Ok(RollupRow {
                    market_id: if query.by_market {
                        Some(MarketId(r.try_get("market_id")?))
                    } else {
                        None
                    },
                    subject: r.try_get("subject")?,
                    bucket,
                    metric: Metric::parse(&metric)
                        .map_err(|e| StoreError::corrupt("rollup metric", e))?,
                    value: r.try_get("total")?,
                })
            })
            .collect()
    }

    /// When each metric of `query` was last measured, per network, among the subjects, markets
    /// and dimension it names (its buckets, grouping and grain do not matter): read from
    /// `numbers_measured`, kept with the rollups. A metric nothing measures (leads, impressions)
    /// or that was never measured in the scope has no row. Ordered by network and metric.
    pub async fn last_measured(&self, query: &RollupQuery) -> Result<Vec<MeasuredRow>, StoreError> {
        let mut filters = vec!["dimension = $1".to_owned()];
        let mut texts = vec![query.dimension.name().to_owned()];
        if let Some(subjects) = &query.subjects {
            if subjects.is_empty() {
                return Ok(Vec::new());
            }
            filters.push(format!(
                "subject IN ({})",
                in_list(texts.len() + 1, subjects.len())
            ));
            texts.extend(subjects.iter().cloned());
        }
        let markets: Vec<i64> = match &query.markets {
            Some(m) if m.is_empty() => return Ok(Vec::new()),
            Some(m) => m.iter().map(|m| m.0).collect(),
            None => Vec::new(),
        };
        if !markets.is_empty() {
            let first = texts.len() + 1;
            filters.push(format!("market_id IN ({})", in_list(first, markets.len())));
        }
        let sql = format!(
            "SELECT network, source, MAX(at) AS at FROM numbers_measured WHERE {} \
             GROUP BY network, source",
            filters.join(" AND ")
        );
        let mut q = sqlx::query(&sql);
        for t in texts {
            q = q.bind(t);
        }
        for m in markets {
            q = q.bind(m);
        }
        let mut by_source: Vec<(String, String, i64)> = Vec::new();
        for r in q.fetch_all(self.pool()).await? {
            by_source.push((
                r.try_get("network")?,
                r.try_get("source")?,
                r.try_get("at")?,
            ));
        }
        let metrics: &[Metric] = if query.metrics.is_empty() {
            &Metric::ALL
        } else {
            &query.metrics
        };
        let mut out: Vec<MeasuredRow> = by_source
            .iter()
            .flat_map(|(network, source, at)| {
                metrics
                    .iter()
                    .filter(|m| source_of(**m) == Some(source.as_str()))
                    .map(|m| MeasuredRow {
                        network: network.clone(),
                        metric: *m,
                        at_ms: *at,
                    })
            })
            .collect();
        out.sort();
        Ok(out)
    }
}

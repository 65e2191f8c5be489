//! Reading Numbers: what is due a measurement, the stored snapshots, and the rollup query the
//! pages and `GET /api/v1/numbers` call (group by one dimension, optionally by market and by
//! bucket too; metrics; a range of buckets; the markets the caller may see).

use chorus_core::MarketId;
use chorus_core::numbers::{Dimension, Grain, Metric, PostCounts, cover};
use jiff::civil::Date;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{FollowerSnapshot, POST_COLUMNS, PostSnapshot, source_of};
use crate::direct::{Bind, RowGet};
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
    ///
    /// Read on a direct connection on SQLite (`read_all`). Totals over a range of days (not by
    /// bucket) are summed from the fewest whole buckets that tile the range ([`cover`]: whole
    /// months, then whole ISO weeks, then days): every rollup is kept in all three grains from
    /// the same day's gains, so the sum is the same from a seventh of the rows.
    pub async fn rollups(&self, query: &RollupQuery) -> Result<Vec<RollupRow>, StoreError> {
        let Some((sql, binds)) = rollup_sql(query) else {
            return Ok(Vec::new());
        };
        let rows = self.read_all(sql, binds, raw_rollup).await?;
        // Rows come ordered with the metric varying fastest: a run of rows shares its bucket,
        // so each bucket's text is parsed once per run (a campaign page reads thousands).
        let mut last: Option<(String, Date)> = None;
        rows.into_iter()
            .map(|(market, subject, bucket, metric, value)| {
                let bucket = match bucket.filter(|_| query.by_bucket) {
                    Some(b) => Some(match &last {
                        Some((text, date)) if *text == b => *date,
                        _ => {
                            let date = b
                                .parse::<Date>()
                                .map_err(|e| StoreError::corrupt("rollup bucket", e))?;
                            last = Some((b, date));
                            date
                        }
                    }),
                    None => None,
                };
                Ok(RollupRow {
                    market_id: market.filter(|_| query.by_market).map(MarketId),
                    subject,
                    bucket,
                    metric: Metric::parse(&metric)
                        .map_err(|e| StoreError::corrupt("rollup metric", e))?,
                    value,
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
        let mut binds: Vec<Bind> = texts.into_iter().map(Bind::S).collect();
        binds.extend(markets.into_iter().map(Bind::I));
        let by_source = self
            .read_all(sql, binds, |r| {
                Ok((r.string("network")?, r.string("source")?, r.i64("at")?))
            })
            .await?;
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

/// A rollup sum as read: market, subject, bucket, metric, value.
type RawRollup = (Option<i64>, String, Option<String>, String, i64);

fn raw_rollup(r: &dyn RowGet) -> Result<RawRollup, StoreError> {
    Ok((
        r.opt_i64("market_id")?,
        r.string("subject")?,
        r.opt_string("bucket")?,
        r.string("metric")?,
        r.i64("total")?,
    ))
}

/// The statement and binds of [`Store::rollups`]; `None` when nothing can match (no subject or
/// no market asked for).
fn rollup_sql(query: &RollupQuery) -> Option<(String, Vec<Bind>)> {
    let markets: Option<&[MarketId]> = match &query.markets {
        Some(m) if m.is_empty() => return None,
        Some(m) => Some(m),
        None => None,
    };
    if query.subjects.as_ref().is_some_and(Vec::is_empty) {
        return None;
    }
    // Every metric asked: no filter (a rollup row is of one of them).
    let all_metrics = Metric::ALL.iter().all(|m| query.metrics.contains(m));
    let runs: Vec<(Grain, Option<Date>, Option<Date>)> = match (query.grain, query.from, query.to) {
        (Grain::Day, Some(from), Some(to)) if !query.by_bucket => cover(from, to)
            .into_iter()
            .map(|(g, a, b)| (g, Some(a), Some(b)))
            .collect(),
        (grain, from, to) => vec![(grain, from, to)],
    };
    if runs.is_empty() {
        return None;
    }
    let mut binds: Vec<Bind> = Vec::new();
    let param = |binds: &mut Vec<Bind>, b: Bind| {
        binds.push(b);
        format!("${}", binds.len())
    };
    let mut parts = Vec::new();
    for (grain, from, to) in runs {
        let mut filters = vec![
            format!(
                "dimension = {}",
                param(&mut binds, Bind::S(query.dimension.name().into()))
            ),
            format!(
                "grain = {}",
                param(&mut binds, Bind::S(grain.name().into()))
            ),
        ];
        if !query.metrics.is_empty() && !all_metrics {
            let list: Vec<String> = query
                .metrics
                .iter()
                .map(|m| param(&mut binds, Bind::S(m.name().into())))
                .collect();
            filters.push(format!("metric IN ({})", list.join(", ")));
        }
        if let Some(subjects) = &query.subjects {
            let list: Vec<String> = subjects
                .iter()
                .map(|s| param(&mut binds, Bind::S(s.clone())))
                .collect();
            filters.push(format!("subject IN ({})", list.join(", ")));
        }
        if let Some(from) = from {
            filters.push(format!(
                "bucket >= {}",
                param(&mut binds, Bind::S(from.to_string()))
            ));
        }
        if let Some(to) = to {
            filters.push(format!(
                "bucket < {}",
                param(&mut binds, Bind::S(to.to_string()))
            ));
        }
        match markets {
            // Every market: still named, so that the primary key (dimension, grain, market,
            // bucket, …) is searched market by market for the bucket range; without it a date
            // range read every bucket of every market.
            None => filters.push("market_id IN (SELECT id FROM markets)".to_owned()),
            Some(ids) => {
                let list: Vec<String> = ids
                    .iter()
                    .map(|m| param(&mut binds, Bind::I(m.0)))
                    .collect();
                filters.push(format!("market_id IN ({})", list.join(", ")));
            }
        }
        parts.push(filters.join(" AND "));
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
    let market = if query.by_market {
        "market_id"
    } else {
        "CAST(NULL AS BIGINT) AS market_id"
    };
    let bucket = if query.by_bucket {
        "bucket"
    } else {
        "CAST(NULL AS TEXT) AS bucket"
    };
    // By market and bucket over one run of one grain, every (market, subject, bucket, metric)
    // is one row of the primary key already: read the rows as they are, in order, without the
    // grouping (half the work on a campaign's page).
    if query.by_market && query.by_bucket && parts.len() == 1 {
        return Some((
            format!(
                "SELECT market_id, subject, bucket, metric, value AS total FROM numbers_rollups \
                 WHERE {} ORDER BY {group}",
                parts[0]
            ),
            binds,
        ));
    }
    // One run: read the table directly; several: the sum over their rows.
    let source = match parts.as_slice() {
        [only] => format!("numbers_rollups WHERE {only}"),
        _ => {
            let parts: Vec<String> = parts
                .iter()
                .map(|w| {
                    format!(
                        "SELECT market_id, subject, bucket, metric, value FROM numbers_rollups \
                         WHERE {w}"
                    )
                })
                .collect();
            format!("({}) AS r", parts.join(" UNION ALL "))
        }
    };
    Some((
        format!(
            "SELECT {market}, subject, {bucket}, metric, CAST(SUM(value) AS BIGINT) AS total \
             FROM {source} GROUP BY {group} ORDER BY {group}"
        ),
        binds,
    ))
}

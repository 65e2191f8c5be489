//! The write half of the rollups: changes gathered over one transaction (gains per bucket, and
//! the latest measurement per subject), upserted at its end in key order, so concurrent writers
//! take row locks in one order and never deadlock.

use std::collections::BTreeMap;

use chorus_core::numbers::{Dimension, Grain, Metric, bucket_of};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use sqlx::AnyConnection;

use crate::{Backend, StoreError};

/// What a measured thing rolls up into: its market, that market's zone, its network and its
/// subjects per dimension.
pub(crate) struct Dims {
    pub market: i64,
    pub zone: TimeZone,
    pub network: String,
    pub subjects: Vec<(Dimension, String)>,
}

type RollupKey = (Dimension, Grain, i64, String, String, Metric);
type MeasuredKey = (Dimension, i64, String, String, &'static str);

/// Rollup changes gathered over a transaction, upserted at its end in key order.
#[derive(Default)]
pub(crate) struct Deltas {
    sums: BTreeMap<RollupKey, i64>,
    measured: BTreeMap<MeasuredKey, i64>,
}

/// The upsert of one rollup row (`$1`…`$7`): the same text on both backends, so the SQLite
/// ingest writer (rusqlite) runs it as well.
pub(crate) const UPSERT_ROLLUP: &str = "INSERT INTO numbers_rollups (dimension, grain, market_id, \
    bucket, subject, metric, value) VALUES ($1, $2, $3, $4, $5, $6, $7) \
    ON CONFLICT (dimension, grain, market_id, bucket, subject, metric) \
    DO UPDATE SET value = numbers_rollups.value + excluded.value";

/// The upsert of one last-measured row (`$1`…`$6`), keeping the later instant.
pub(crate) const UPSERT_MEASURED: &str = "INSERT INTO numbers_measured (dimension, market_id, \
    subject, network, source, at) VALUES ($1, $2, $3, $4, $5, $6) \
    ON CONFLICT (dimension, market_id, subject, network, source) DO UPDATE SET at = CASE \
    WHEN excluded.at > numbers_measured.at THEN excluded.at ELSE numbers_measured.at END";

impl Deltas {
    /// Adds `gain` of `metric` at `at_ms` to every subject of `dims`, in every bucket size.
    pub fn add(&mut self, dims: &Dims, metric: Metric, at_ms: i64, gain: i64) {
        if gain == 0 {
            return;
        }
        let Ok(at) = Timestamp::from_millisecond(at_ms) else {
            return;
        };
        let day = bucket_of(at, &dims.zone, Grain::Day);
        self.add_day(dims.market, &dims.subjects, day, metric, gain);
    }

    /// Adds `gain` of `metric` on local date `day` (of `market`'s zone) to every one of
    /// `subjects`, in the day's, week's and month's buckets.
    pub fn add_day(
        &mut self,
        market: i64,
        subjects: &[(Dimension, String)],
        day: Date,
        metric: Metric,
        gain: i64,
    ) {
        for grain in Grain::ALL {
            let bucket = grain.start(day).to_string();
            for (dim, subject) in subjects {
                *self
                    .sums
                    .entry((*dim, grain, market, bucket.clone(), subject.clone(), metric))
                    .or_default() += gain;
            }
        }
    }

    /// Notes that `source` (see `numbers_measured`) was measured at `at_ms` for every subject
    /// of `dims`.
    pub fn measured(&mut self, dims: &Dims, source: &'static str, at_ms: i64) {
        self.measured_in(dims.market, &dims.network, &dims.subjects, source, at_ms);
    }

    /// Notes that `source` was measured at `at_ms` on `network` for every one of `subjects` in
    /// `market`.
    pub fn measured_in(
        &mut self,
        market: i64,
        network: &str,
        subjects: &[(Dimension, String)],
        source: &'static str,
        at_ms: i64,
    ) {
        for (dim, subject) in subjects {
            let at = self
                .measured
                .entry((*dim, market, subject.clone(), network.to_owned(), source))
                .or_insert(at_ms);
            *at = (*at).max(at_ms);
        }
    }

    /// The rollup rows to upsert, in key order, zeros left out.
    pub fn rollup_rows(&self) -> impl Iterator<Item = (&RollupKey, i64)> {
        self.sums
            .iter()
            .filter(|(_, v)| **v != 0)
            .map(|(k, v)| (k, *v))
    }

    /// The last-measured rows to upsert, in key order.
    pub fn measured_rows(&self) -> impl Iterator<Item = (&MeasuredKey, i64)> {
        self.measured.iter().map(|(k, v)| (k, *v))
    }

    /// Upserts the gathered changes in key order: on PostgreSQL [`UPSERT_ROWS`] rows per
    /// statement (each key once per statement, as it requires), saving round trips; on SQLite,
    /// in process, one prepared single-row statement is cheaper than many long ones.
    pub async fn write(self, conn: &mut AnyConnection, backend: Backend) -> Result<(), StoreError> {
        let per = match backend {
            Backend::Sqlite => 1,
            Backend::Postgres => UPSERT_ROWS,
        };
        let rows: Vec<_> = self.rollup_rows().collect();
        for chunk in rows.chunks(per) {
            let sql = multi_row(UPSERT_ROLLUP, 7, chunk.len());
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
        let rows: Vec<_> = self.measured_rows().collect();
        for chunk in rows.chunks(per) {
            let sql = multi_row(UPSERT_MEASURED, 6, chunk.len());
            let mut q = sqlx::query(&sql);
            for ((dim, market, subject, network, source), at) in chunk {
                q = q
                    .bind(dim.name())
                    .bind(*market)
                    .bind(subject.as_str())
                    .bind(network.as_str())
                    .bind(*source)
                    .bind(*at);
            }
            q.execute(&mut *conn).await?;
        }
        Ok(())
    }
}

/// `single` (a one-row `INSERT … VALUES ($1, …, $cols) ON CONFLICT …`) with `rows` rows of
/// placeholders.
fn multi_row(single: &str, cols: usize, rows: usize) -> String {
    let one = format!(
        "({})",
        (1..=cols)
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let values: Vec<String> = (0..rows)
        .map(|r| {
            let p = r * cols;
            format!(
                "({})",
                (1..=cols)
                    .map(|i| format!("${}", p + i))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .collect();
    single.replacen(&one, &values.join(", "), 1)
}

/// Rollup rows per upsert statement: 7 parameters each, well under both backends' limits.
const UPSERT_ROWS: usize = 200;

/// The zone named `name` (a market's).
pub(crate) fn zone(name: &str) -> Result<TimeZone, StoreError> {
    jiff::tz::db()
        .get(name)
        .map_err(|e| StoreError::corrupt("market time zone", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_row_numbers_placeholders_in_order() {
        let sql = multi_row(UPSERT_MEASURED, 6, 2);
        assert!(
            sql.contains("VALUES ($1, $2, $3, $4, $5, $6), ($7, $8, $9, $10, $11, $12) ON"),
            "{sql}"
        );
        assert_eq!(multi_row(UPSERT_ROLLUP, 7, 1), UPSERT_ROLLUP);
    }
}

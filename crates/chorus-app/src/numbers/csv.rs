//! A report as CSV, for spreadsheets: the same rows and figures as the page and the API, "not
//! available" written out (never 0), a last column saying when the report's scope was last
//! measured (RFC 3339, UTC; empty when never), and every cell a spreadsheet would run as a
//! formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) given a leading
//! apostrophe.

use super::{Report, ReportFilters, report};
use crate::stories::export::{Export, guard};
use crate::{App, Caller, Error, Result};

/// What a figure reads as when the metric is not available for its row.
pub const NOT_AVAILABLE: &str = "not available";

/// The report the caller asked for, as a CSV file.
pub async fn report_csv(app: &App, caller: &Caller, filters: &ReportFilters) -> Result<Export> {
    let r = report(app, caller, filters).await?;
    Ok(Export {
        file_name: format!("chorus-numbers-{}-{}-{}.csv", r.group_by, r.from, r.to),
        bytes: write_csv(&r)?,
    })
}

/// The rows of `report`: `market` (when grouped by market too), the subject's id and name,
/// `bucket` (in a series), one column per metric, then `last_measured_at`.
pub fn write_csv(report: &Report) -> Result<Vec<u8>> {
    let internal = |e: csv::Error| Error::Internal(e.to_string());
    let series = report.rows.iter().any(|r| r.bucket.is_some());
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = Vec::new();
    if report.by_market {
        header.push("market".into());
    }
    header.push(report.group_by.name().into());
    header.push("name".into());
    if series {
        header.push("bucket".into());
    }
    header.extend(report.metrics.iter().map(|m| m.metric.name().to_owned()));
    header.push("last_measured_at".into());
    w.write_record(&header).map_err(internal)?;
    let measured = report
        .last_fetched_ms
        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .map(|t| guard(&t.to_string()))
        .unwrap_or_default();
    for row in &report.rows {
        let mut cells: Vec<String> = Vec::with_capacity(header.len());
        if report.by_market {
            cells.push(guard(row.market.as_deref().unwrap_or_default()));
        }
        cells.push(guard(&row.subject));
        cells.push(guard(&row.label));
        if series {
            cells.push(row.bucket.map(|b| b.to_string()).unwrap_or_default());
        }
        // Figures may be negative (a drop, e.g. unlikes): a leading minus is guarded too, so a
        // spreadsheet reads text rather than a formula; the value is still plain to read.
        cells.extend(row.values.iter().map(|v| match v {
            Some(n) => guard(&n.to_string()),
            None => NOT_AVAILABLE.to_owned(),
        }));
        cells.push(measured.clone());
        w.write_record(&cells).map_err(internal)?;
    }
    w.into_inner().map_err(|e| Error::Internal(e.to_string()))
}

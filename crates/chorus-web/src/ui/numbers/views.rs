//! What the Numbers pages share: their tabs, a CSV file as a response, and the figures a chart
//! carries in its data attributes for `static/numbers.js`.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use chorus_app::stories::export::Export;
use jiff::civil::Date;

/// The Numbers tabs; `active` is the current one.
pub struct NumbersTabs {
    pub active: &'static str,
}

/// A CSV file to download.
pub fn csv_response(file: Export) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", file.file_name),
            ),
        ],
        file.bytes,
    )
        .into_response()
}

/// Days as chart x values: seconds of each day's UTC midnight, comma separated.
pub fn day_axis(days: &[Date]) -> String {
    days.iter()
        .map(|d| {
            d.to_zoned(jiff::tz::TimeZone::UTC)
                .map(|z| z.timestamp().as_second().to_string())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Values, comma separated.
pub fn values<T: ToString>(v: impl IntoIterator<Item = T>) -> String {
    v.into_iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// A figure or "not available" (never 0).
pub fn figure(v: Option<i64>) -> String {
    v.map_or_else(|| "not available".to_owned(), |v| v.to_string())
}

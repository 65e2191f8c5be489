//! Times on pages in the viewer's own zone. Every page request runs inside [`scope`], which
//! reads the viewer's zone from the `chorus_tz` cookie (set on every page by `/static/time.js`
//! from the browser's `Intl` zone, and by `stories.js`) and keeps it for the request, so
//! [`super::format_time`] writes "6 Dec 2026, 19:58 EET" for a viewer in Helsinki without each
//! page passing the zone along. Before the browser has told us (the very first page), times
//! are in UTC and say so.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use jiff::tz::TimeZone;

use super::stories::zones;

tokio::task_local! {
    static VIEWER_ZONE: TimeZone;
}

/// Middleware: runs the rest of the request with the viewer's zone known to [`zone`].
pub async fn scope(req: Request, next: Next) -> Response {
    let viewer = zones::viewer(None, req.headers());
    VIEWER_ZONE.scope(viewer.tz, next.run(req)).await
}

/// The zone of the viewer whose request is being served (UTC outside a request, or when the
/// browser has not told us).
pub fn zone() -> TimeZone {
    VIEWER_ZONE
        .try_with(TimeZone::clone)
        .unwrap_or(TimeZone::UTC)
}

/// `ms` as people read it in `tz`, e.g. "6 Dec 2026, 19:58 EET".
pub fn format_in(ms: i64, tz: &TimeZone) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| {
            t.to_zoned(tz.clone())
                .strftime("%-d %b %Y, %H:%M %Z")
                .to_string()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_is_shown_on_the_viewers_clock_with_its_zone() {
        let ms = 1_796_579_881_200; // 2026-12-06T17:58:01.2Z
        assert_eq!(format_in(ms, &TimeZone::UTC), "6 Dec 2026, 17:58 UTC");
        let helsinki = TimeZone::get("Europe/Helsinki").unwrap();
        assert_eq!(format_in(ms, &helsinki), "6 Dec 2026, 19:58 EET");
    }

    #[tokio::test]
    async fn the_zone_is_the_requests() {
        assert_eq!(zone(), TimeZone::UTC);
        let tokyo = TimeZone::get("Asia/Tokyo").unwrap();
        let inside = VIEWER_ZONE.scope(tokyo.clone(), async { zone() }).await;
        assert_eq!(inside, tokyo);
    }
}

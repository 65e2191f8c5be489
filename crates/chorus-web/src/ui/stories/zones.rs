//! Times as people read them: in the market's timezone, with the viewer's alongside.
//!
//! The viewer's zone comes from, in order: the `tz` query parameter, the `chorus_tz` cookie
//! (set by `/static/stories.js` from the browser's `Intl.DateTimeFormat().resolvedOptions()`
//! zone), or UTC. It is only ever used to *show* times; what is stored is an instant, and what
//! people enter is the market's wall-clock time.

use axum::http::HeaderMap;
use chorus_core::org::TimeZoneName;
use chorus_core::stories::schedule;
use jiff::Timestamp;
use jiff::tz::{AmbiguousOffset, TimeZone};

use crate::auth::cookies;

/// The cookie the browser script sets to the browser's IANA zone.
pub const TZ_COOKIE: &str = "chorus_tz";

/// The viewer's zone and where it came from.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// The IANA name, e.g. `Europe/Berlin` (`UTC` when unknown).
    pub name: String,
    pub tz: TimeZone,
    /// False when nothing told us the zone and UTC is a guess.
    pub known: bool,
}

impl Viewer {
    pub fn utc() -> Viewer {
        Viewer {
            name: "UTC".into(),
            tz: TimeZone::UTC,
            known: false,
        }
    }
}

pub fn viewer(query: Option<&str>, headers: &HeaderMap) -> Viewer {
    let from = |raw: Option<String>| raw.and_then(|z| TimeZoneName::parse(&z).ok());
    let q = from(query.filter(|q| !q.trim().is_empty()).map(str::to_owned));
    let c = from(cookies::get(headers, TZ_COOKIE).map(|v| v.replace("%2F", "/")));
    match q.or(c) {
        Some(zone) => Viewer {
            name: zone.as_str().to_owned(),
            tz: zone.zone(),
            known: true,
        },
        None => Viewer::utc(),
    }
}

/// One instant shown twice: in the market's zone, and in the viewer's when it differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    /// e.g. "Sun 29 Mar 2026, 04:30 EEST"
    pub market: String,
    /// e.g. "03:30 CEST (your time)"; empty when the viewer's clock shows the same.
    pub viewer: String,
    /// `datetime-local` value in the market's zone.
    pub input: String,
    /// ISO 8601 instant for `<time datetime>`.
    pub iso: String,
    /// Set when this wall-clock time happens twice in the market (clocks went back).
    pub fold_note: String,
}

pub fn show(at_ms: i64, market: &TimeZoneName, viewer: &Viewer) -> Shown {
    let Ok(at) = Timestamp::from_millisecond(at_ms) else {
        return Shown {
            market: String::new(),
            viewer: String::new(),
            input: String::new(),
            iso: String::new(),
            fold_note: String::new(),
        };
    };
    let mz = market.zone();
    let vz = viewer.tz.clone();
    let in_market = at.to_zoned(mz.clone());
    let in_viewer = at.to_zoned(vz);
    let same = in_market.offset() == in_viewer.offset()
        && in_market.strftime("%Z").to_string() == in_viewer.strftime("%Z").to_string();
    let viewer_text = if same {
        String::new()
    } else if in_market.date() == in_viewer.date() {
        format!("{} your time", in_viewer.strftime("%H:%M %Z"))
    } else {
        format!("{} your time", in_viewer.strftime("%a %-d %b, %H:%M %Z"))
    };
    let fold_note = match mz.to_ambiguous_zoned(in_market.datetime()).offset() {
        AmbiguousOffset::Fold { before, .. } => format!(
            "{} happens twice in {} that day (the clocks go back); this is the {} one.",
            in_market.strftime("%H:%M"),
            market.as_str(),
            if in_market.offset() == before {
                "first"
            } else {
                "second"
            }
        ),
        _ => String::new(),
    };
    Shown {
        market: schedule::show(at, &mz),
        viewer: viewer_text,
        input: schedule::input_value(at, &mz),
        iso: at.to_string(),
        fold_note,
    }
}

/// "14:05 EET" in `zone`.
pub fn clock(at_ms: i64, zone: &TimeZone) -> String {
    Timestamp::from_millisecond(at_ms)
        .map(|t| t.to_zoned(zone.clone()).strftime("%H:%M %Z").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn tz(s: &str) -> TimeZoneName {
        TimeZoneName::parse(s).unwrap()
    }

    fn v(s: &str) -> Viewer {
        viewer(Some(s), &HeaderMap::new())
    }

    #[test]
    fn viewer_zone_comes_from_query_then_cookie_then_utc() {
        let mut h = HeaderMap::new();
        assert!(!viewer(None, &h).known);
        assert_eq!(viewer(None, &h).name, "UTC");
        h.insert(
            axum::http::header::COOKIE,
            HeaderValue::from_static("chorus_tz=Australia%2FSydney"),
        );
        assert_eq!(viewer(None, &h).name, "Australia/Sydney");
        assert_eq!(viewer(Some("Europe/Helsinki"), &h).name, "Europe/Helsinki");
        assert_eq!(
            viewer(Some("Mars/Olympus"), &h).name,
            "Australia/Sydney",
            "a bad query value falls back to the cookie"
        );
    }

    #[test]
    fn shows_market_time_with_viewer_time_and_fold_notes() {
        // 2026-10-25 00:30Z is 03:30 EEST in Helsinki, the first of two 03:30s.
        let first = Timestamp::from_second(1_792_888_200).unwrap();
        assert_eq!(first.to_string(), "2026-10-25T00:30:00Z");
        let s = show(
            first.as_millisecond(),
            &tz("Europe/Helsinki"),
            &v("Europe/Berlin"),
        );
        assert_eq!(s.market, "Sun 25 Oct 2026, 03:30 EEST");
        assert_eq!(s.viewer, "02:30 CEST your time");
        assert_eq!(s.input, "2026-10-25T03:30");
        assert!(s.fold_note.contains("first"), "{}", s.fold_note);
        let second = show(
            first.as_millisecond() + 3_600_000,
            &tz("Europe/Helsinki"),
            &v("Europe/Helsinki"),
        );
        assert_eq!(second.market, "Sun 25 Oct 2026, 03:30 EET");
        assert!(second.fold_note.contains("second"), "{}", second.fold_note);
        assert_eq!(second.viewer, "", "same zone: nothing alongside");
        let ordinary = show(
            first.as_millisecond() + 86_400_000,
            &tz("Europe/Helsinki"),
            &v("Australia/Sydney"),
        );
        assert_eq!(ordinary.fold_note, "");
        assert_eq!(ordinary.viewer, "11:30 AEDT your time");
        let other_day = show(
            first.as_millisecond() + 86_400_000,
            &tz("Europe/Helsinki"),
            &v("America/Sao_Paulo"),
        );
        assert_eq!(other_day.market, "Mon 26 Oct 2026, 02:30 EET");
        assert_eq!(other_day.viewer, "Sun 25 Oct, 21:30 -03 your time");
    }
}

//! Scheduled times: entered as a local wall-clock time in the market's timezone, stored as an
//! instant (UTC), shown in the market's zone with the viewer's alongside.
//!
//! Daylight-saving changes are handled explicitly. A local time that does not exist (the hour
//! skipped when clocks go forward) is refused with the nearest valid times; a local time that
//! happens twice (the hour repeated when clocks go back) is taken at its first occurrence, and
//! the form says so.

use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{Timestamp, Zoned};

use crate::org::TimeZoneName;
use crate::validate::{Invalid, quoted};

/// A resolved schedule time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub at: Timestamp,
    /// Set when the local time occurred twice and the first one was taken.
    pub note: Option<String>,
}

/// Parses `YYYY-MM-DDTHH:MM` (what `<input type="datetime-local">` sends) or with a space.
///
/// Years before 1 are refused, as the input itself refuses them: ISO writes them with six
/// digits (`-009998`), which [`input_value`] does not, so the form could not show them again.
pub fn parse_local(raw: &str) -> Result<DateTime, Invalid> {
    let s = raw.trim().replace(' ', "T");
    match s.parse::<DateTime>() {
        Ok(dt) if dt.year() >= 1 => Ok(dt),
        _ => Err(Invalid::new(format!(
            "{} is not a date and time; use YYYY-MM-DD HH:MM, e.g. 2026-12-01 09:30",
            quoted(raw)
        ))),
    }
}

/// The instant of `local` wall-clock time in `zone`.
pub fn resolve(local: DateTime, zone: &TimeZoneName) -> Result<Slot, Invalid> {
    let tz = zone.zone();
    match tz.to_ambiguous_zoned(local).offset() {
        AmbiguousOffset::Unambiguous { offset } => Ok(Slot {
            at: offset
                .to_timestamp(local)
                .map_err(|e| Invalid::new(e.to_string()))?,
            note: None,
        }),
        AmbiguousOffset::Gap { before, after } => {
            let earlier = before
                .to_timestamp(local)
                .ok()
                .map(|t| t.to_zoned(tz.clone()).strftime("%H:%M").to_string());
            let later = after
                .to_timestamp(local)
                .ok()
                .map(|t| t.to_zoned(tz.clone()).strftime("%H:%M").to_string());
            Err(Invalid::new(format!(
                "{} does not exist in {} on {}: the clocks go forward then. Choose a time before \
                 or after the change{}",
                local.strftime("%H:%M"),
                zone.as_str(),
                local.date(),
                match (later, earlier) {
                    (Some(a), Some(b)) => format!(", e.g. {a} or {b}"),
                    _ => String::new(),
                }
            )))
        }
        AmbiguousOffset::Fold { before, after: _ } => Ok(Slot {
            at: before
                .to_timestamp(local)
                .map_err(|e| Invalid::new(e.to_string()))?,
            note: Some(format!(
                "{} happens twice in {} on {} (the clocks go back); the first one, {}, is used",
                local.strftime("%H:%M"),
                zone.as_str(),
                local.date(),
                before
            )),
        }),
    }
}

/// `at` in `zone`, e.g. "Sun 29 Mar 2026, 04:30 EEST".
pub fn show(at: Timestamp, zone: &TimeZone) -> String {
    at.to_zoned(zone.clone())
        .strftime("%a %-d %b %Y, %H:%M %Z")
        .to_string()
}

/// `at` as the value of a `datetime-local` input in `zone`.
pub fn input_value(at: Timestamp, zone: &TimeZone) -> String {
    at.to_zoned(zone.clone())
        .strftime("%Y-%m-%dT%H:%M")
        .to_string()
}

/// The zoned time, for calendar placement.
pub fn zoned(at: Timestamp, zone: &TimeZoneName) -> Zoned {
    at.to_zoned(zone.zone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tz(name: &str) -> TimeZoneName {
        TimeZoneName::parse(name).unwrap()
    }

    #[test]
    fn ordinary_times_convert_both_ways() {
        let slot = resolve(
            parse_local("2026-06-15 09:30").unwrap(),
            &tz("Europe/Helsinki"),
        )
        .unwrap();
        assert_eq!(slot.at.to_string(), "2026-06-15T06:30:00Z", "EEST is UTC+3");
        assert_eq!(slot.note, None);
        assert_eq!(
            input_value(slot.at, &tz("Europe/Helsinki").zone()),
            "2026-06-15T09:30"
        );
        assert_eq!(
            show(slot.at, &tz("America/Sao_Paulo").zone()),
            "Mon 15 Jun 2026, 03:30 -03"
        );
        assert!(parse_local("tomorrow").is_err());
        assert!(parse_local("2026-06-15T09:30").is_ok());
    }

    /// Found by fuzzing (`fuzz/artifacts/core_parse/`): `-009998-01-01 00:00` parsed, but the
    /// form's value of it was `-9998-01-01T00:00`, which did not. Every accepted year's value
    /// reads back as the same minute.
    #[test]
    fn years_before_one_are_refused_and_the_rest_read_back() {
        for raw in [
            "-009998-01-01 00:00",
            "0000-01-01 00:00",
            "-000001-12-31 23:59",
        ] {
            assert!(parse_local(raw).is_err(), "{raw}");
        }
        for raw in ["0001-01-01 00:00", "0999-06-15 12:00", "9999-12-29 23:59"] {
            let dt = parse_local(raw).unwrap();
            let zone = tz("America/Sao_Paulo");
            let at = resolve(dt, &zone).unwrap().at;
            let value = input_value(at, &zone.zone());
            assert_eq!(parse_local(&value).unwrap(), dt, "{raw} → {value}");
        }
        // The last day of 9999 west of UTC is past the last instant jiff keeps: refused, no panic.
        let last = parse_local("9999-12-31 23:59").unwrap();
        assert!(resolve(last, &tz("America/Sao_Paulo")).is_err());
    }

    #[test]
    fn spring_forward_gap_is_refused_in_both_hemispheres() {
        // Helsinki: 2026-03-29 03:00 → 04:00.
        let err = resolve(
            parse_local("2026-03-29 03:30").unwrap(),
            &tz("Europe/Helsinki"),
        )
        .unwrap_err();
        assert!(err.message.contains("does not exist"), "{err}");
        assert!(err.message.contains("clocks go forward"), "{err}");
        // Sydney: 2026-10-04 02:00 → 03:00.
        let err = resolve(
            parse_local("2026-10-04 02:15").unwrap(),
            &tz("Australia/Sydney"),
        )
        .unwrap_err();
        assert!(err.message.contains("does not exist"), "{err}");
        // The hour after the gap is fine and an hour "shorter" in UTC.
        let before = resolve(
            parse_local("2026-10-04 01:30").unwrap(),
            &tz("Australia/Sydney"),
        )
        .unwrap();
        let after = resolve(
            parse_local("2026-10-04 03:30").unwrap(),
            &tz("Australia/Sydney"),
        )
        .unwrap();
        assert_eq!(after.at.duration_since(before.at).as_secs(), 3600);
    }

    #[test]
    fn fall_back_fold_takes_the_first_occurrence_in_both_hemispheres() {
        // Helsinki: 2026-10-25 04:00 → 03:00; 03:30 happens twice (EEST then EET).
        let slot = resolve(
            parse_local("2026-10-25 03:30").unwrap(),
            &tz("Europe/Helsinki"),
        )
        .unwrap();
        assert_eq!(slot.at.to_string(), "2026-10-25T00:30:00Z");
        assert!(slot.note.unwrap().contains("happens twice"));
        // Sydney: 2026-04-05 03:00 → 02:00; 02:30 happens twice (AEDT then AEST).
        let slot = resolve(
            parse_local("2026-04-05 02:30").unwrap(),
            &tz("Australia/Sydney"),
        )
        .unwrap();
        assert_eq!(slot.at.to_string(), "2026-04-04T15:30:00Z");
        assert!(slot.note.is_some());
        // A day across the change has 25 hours of wall clock: 00:00 to 00:00 next day.
        let d0 = resolve(
            parse_local("2026-04-05 00:00").unwrap(),
            &tz("Australia/Sydney"),
        )
        .unwrap();
        let d1 = resolve(
            parse_local("2026-04-06 00:00").unwrap(),
            &tz("Australia/Sydney"),
        )
        .unwrap();
        assert_eq!(d1.at.duration_since(d0.at).as_secs(), 25 * 3600);
    }
}

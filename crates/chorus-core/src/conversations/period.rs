//! The period a Signals chart covers: a preset of the last N days, or a from/to range of days
//! (UTC calendar days, both inclusive), as a person picks it on the Signals page or passes it to
//! the API. Errors name the field (`from`, `to`, `days`) and say how to fix it.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::validate::{FieldError, Invalid, quoted};

const DAY_MS: i64 = 86_400_000;

/// The presets the Signals page offers, in days.
pub const PRESETS: [i64; 4] = [7, 14, 30, 90];

/// The longest period a chart covers, in days.
pub const MAX_DAYS: i64 = 366;

/// A half-open span of time, milliseconds since the epoch: `from_ms..to_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from_ms: i64,
    pub to_ms: i64,
}

impl Period {
    /// How many whole days it spans (at least 1).
    pub fn days(self) -> i64 {
        ((self.to_ms - self.from_ms) / DAY_MS).max(1)
    }
}

/// The period asked for, as typed (every part optional).
#[derive(Debug, Clone, Default)]
pub struct RawPeriod {
    /// `YYYY-MM-DD`, the first day shown.
    pub from: Option<String>,
    /// `YYYY-MM-DD`, the last day shown.
    pub to: Option<String>,
    /// The last N days (1–366), when no `from` is given.
    pub days: Option<i64>,
}

fn day(field: &'static str, raw: &str) -> Result<Date, FieldError> {
    raw.trim().parse::<Date>().map_err(|_| {
        Invalid::new(format!(
            "{} is not a date; pick one, or type it as year-month-day, e.g. 2026-12-01",
            quoted(raw)
        ))
        .at(field)
    })
}

fn start_of(d: Date) -> i64 {
    d.to_zoned(TimeZone::UTC)
        .map(|z| z.timestamp().as_millisecond())
        .unwrap_or(0)
}

/// Resolves `raw` against `end_ms`, the end of the data (its latest hour, or now), which a
/// preset ends at. With `from` (and optionally `to`, default the day of `end_ms`) the period is
/// those days; else the last `days` days (default `default_days`) up to `end_ms`.
pub fn resolve(raw: &RawPeriod, end_ms: i64, default_days: i64) -> Result<Period, FieldError> {
    let from = raw
        .from
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| day("from", s))
        .transpose()?;
    let to = raw
        .to
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| day("to", s))
        .transpose()?;
    if from.is_none() && to.is_some() {
        return Err(
            Invalid::new("pick the first day too, or choose one of the presets").at("from"),
        );
    }
    let Some(from) = from else {
        let days = raw.days.unwrap_or(default_days);
        if !(1..=MAX_DAYS).contains(&days) {
            return Err(Invalid::new(format!("choose between 1 and {MAX_DAYS} days")).at("days"));
        }
        return Ok(Period {
            from_ms: end_ms - days * DAY_MS,
            to_ms: end_ms,
        });
    };
    let end_day = Timestamp::from_millisecond(end_ms)
        .map(|t| t.to_zoned(TimeZone::UTC).date())
        .unwrap_or(from);
    let to = to.unwrap_or(end_day);
    if to < from {
        return Err(Invalid::new("the last day comes before the first day").at("to"));
    }
    let period = Period {
        from_ms: start_of(from),
        to_ms: start_of(to) + DAY_MS,
    };
    if period.days() > MAX_DAYS {
        return Err(Invalid::new(format!(
            "a period can be at most {MAX_DAYS} days; pick a later first day"
        ))
        .at("from"));
    }
    Ok(period)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> i64 {
        start_of(s.parse().unwrap())
    }

    fn raw(from: Option<&str>, to: Option<&str>, days: Option<i64>) -> RawPeriod {
        RawPeriod {
            from: from.map(str::to_owned),
            to: to.map(str::to_owned),
            days,
        }
    }

    #[test]
    fn a_preset_ends_at_the_data() {
        let end = at("2026-12-07") + 5 * 3_600_000;
        let p = resolve(&raw(None, None, Some(7)), end, 14).unwrap();
        assert_eq!(p.to_ms, end);
        assert_eq!(p.from_ms, end - 7 * DAY_MS);
        assert_eq!(p.days(), 7);
        let d = resolve(&RawPeriod::default(), end, 14).unwrap();
        assert_eq!(d.days(), 14);
    }

    #[test]
    fn a_range_covers_both_days_whole() {
        let end = at("2026-12-07");
        let p = resolve(
            &raw(Some("2026-11-01"), Some("2026-11-30"), Some(7)),
            end,
            14,
        )
        .unwrap();
        assert_eq!(p.from_ms, at("2026-11-01"));
        assert_eq!(p.to_ms, at("2026-12-01"));
        assert_eq!(p.days(), 30);
        let open = resolve(&raw(Some("2026-12-01"), Some(""), None), end, 14).unwrap();
        assert_eq!(
            open.to_ms,
            at("2026-12-08"),
            "to defaults to the data's last day"
        );
    }

    #[test]
    fn errors_name_the_field_in_words() {
        let end = at("2026-12-07");
        let e = resolve(&raw(Some("yesterday"), None, None), end, 14).unwrap_err();
        assert_eq!(e.field, "from");
        assert!(e.message.contains("year-month-day"), "{}", e.message);
        let e = resolve(&raw(Some("2026-12-05"), Some("2026-12-01"), None), end, 14).unwrap_err();
        assert_eq!(e.field, "to");
        assert_eq!(e.message, "the last day comes before the first day");
        let e = resolve(&raw(None, Some("2026-12-01"), None), end, 14).unwrap_err();
        assert_eq!(e.field, "from");
        let e = resolve(&raw(None, None, Some(0)), end, 14).unwrap_err();
        assert_eq!(e.field, "days");
        let e = resolve(&raw(Some("2024-01-01"), Some("2026-01-01"), None), end, 14).unwrap_err();
        assert_eq!(e.field, "from");
    }
}

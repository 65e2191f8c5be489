//! Calendar buckets: the day, ISO week (Monday to Sunday) or month an instant falls in, in a
//! market's IANA time zone.
//!
//! A bucket is named by its first local date (`2026-03-29` for that day, the Monday for a week,
//! the 1st for a month), which sorts as text and means the same thing in every market: "that
//! day in the market's own calendar". Its span is from the local start of its first day to the
//! local start of the day after its last, so a day is 23 or 25 hours long across a daylight
//! saving change and a bucket boundary never falls in the middle of a local day, whatever the
//! zone's offset (half hours in Asia/Kolkata, Australia/Adelaide and America/St_Johns). A day
//! whose midnight does not exist (a change at 00:00) starts at its first instant.

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};

use crate::validate::Invalid;

/// The size of a bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grain {
    Day,
    /// ISO week: Monday to Sunday.
    Week,
    Month,
}

impl Grain {
    pub const ALL: [Grain; 3] = [Grain::Day, Grain::Week, Grain::Month];

    pub fn name(self) -> &'static str {
        match self {
            Grain::Day => "day",
            Grain::Week => "week",
            Grain::Month => "month",
        }
    }

    pub fn parse(raw: &str) -> Result<Grain, Invalid> {
        match raw.trim() {
            "day" => Ok(Grain::Day),
            "week" => Ok(Grain::Week),
            "month" => Ok(Grain::Month),
            _ => Err(Invalid::new(format!(
                "{raw:?} is not a bucket size; use day, week or month"
            ))),
        }
    }

    /// The first date of the bucket of this size that contains `date`.
    pub fn start(self, date: Date) -> Date {
        match self {
            Grain::Day => date,
            Grain::Week => {
                let back = i64::from(date.weekday().to_monday_zero_offset());
                date.checked_sub(back.days()).unwrap_or(date)
            }
            Grain::Month => date.first_of_month(),
        }
    }

    /// The first date of the next bucket after the one starting at `start`.
    pub fn next(self, start: Date) -> Date {
        let step = match self {
            Grain::Day => 1.day(),
            Grain::Week => 1.week(),
            Grain::Month => 1.month(),
        };
        start.checked_add(step).unwrap_or(start)
    }
}

impl std::fmt::Display for Grain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The first local date of the `grain` bucket that `at` falls in, in `zone`.
pub fn bucket_of(at: Timestamp, zone: &TimeZone, grain: Grain) -> Date {
    grain.start(at.to_zoned(zone.clone()).date())
}

/// The instants `[start, end)` of the `grain` bucket that begins on local date `start` in
/// `zone` (`start` is taken as given: pass a date from [`bucket_of`] or [`Grain::start`]).
pub fn bucket_span(start: Date, zone: &TimeZone, grain: Grain) -> (Timestamp, Timestamp) {
    (day_start(start, zone), day_start(grain.next(start), zone))
}

/// The first instant of local date `date` in `zone`: midnight, or the first time after a gap
/// when midnight was skipped.
fn day_start(date: Date, zone: &TimeZone) -> Timestamp {
    let midnight = date.to_datetime(Time::midnight());
    zone.to_ambiguous_timestamp(midnight)
        .compatible()
        // Only dates at the ends of jiff's range (years ±9999) fail; none is a bucket.
        .unwrap_or(Timestamp::MIN)
}

/// The local dates `[from, to)` as the fewest whole buckets: a month where a whole month fits,
/// else an ISO week where a whole week fits, else a day, in date order; each item is
/// `(grain, first bucket, end)`, a run of buckets of that grain starting on or after `first`
/// and before `end`. Since every rollup is kept in all three grains from the same day's gain,
/// a sum over these runs equals the sum over the days of the range, from a fraction of the
/// rows (4 weeks and 2 days instead of 30 days).
pub fn cover(from: Date, to: Date) -> Vec<(Grain, Date, Date)> {
    let mut runs: Vec<(Grain, Date, Date)> = Vec::new();
    let mut d = from;
    while d < to {
        let grain = [Grain::Month, Grain::Week]
            .into_iter()
            .find(|g| g.start(d) == d && g.next(d) <= to && g.next(d) > d)
            .unwrap_or(Grain::Day);
        let next = grain.next(d);
        if next <= d {
            break;
        }
        match runs.last_mut() {
            Some((g, _, end)) if *g == grain && *end == d => *end = next,
            _ => runs.push((grain, d, next)),
        }
        d = next;
    }
    runs
}

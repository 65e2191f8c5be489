//! When a market's weekly Numbers email is due: every Monday at 08:00 in the market's time
//! zone, about the ISO week (Monday to Sunday) that just ended. Until the next Monday 08:00 the
//! same week stays due, so a run later in the week (after a restart) still sends it; callers
//! make sending idempotent per week. Pure: callers pass "now".

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

/// The local time on Monday when the report goes out.
pub const SEND_AT: Time = Time::constant(8, 0, 0, 0);

/// The first day (a Monday) of the week whose report is due at `now` in `tz`, or `None` on a
/// Monday before 08:00 local (last week's report is not due yet; the one before is past).
pub fn due_week(now: Timestamp, tz: &TimeZone) -> Option<Date> {
    let today = now.to_zoned(tz.clone()).date();
    let monday = today
        .checked_sub(i64::from(today.weekday().to_monday_zero_offset()).days())
        .ok()?;
    // 08:00 exists every Monday in every zone in use (DST moves happen at night); a gap or a
    // fold resolves to the later instant, which is what a person reads as 08:00.
    let send_at = monday.to_datetime(SEND_AT).to_zoned(tz.clone()).ok()?;
    if now < send_at.timestamp() {
        return None;
    }
    monday.checked_sub(7.days()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_week_that_ended_is_due_from_monday_8_local() {
        let helsinki = TimeZone::get("Europe/Helsinki").unwrap();
        let kolkata = TimeZone::get("Asia/Kolkata").unwrap();
        let sao_paulo = TimeZone::get("America/Sao_Paulo").unwrap();
        let at = |s: &str| s.parse::<Timestamp>().unwrap();
        let day = |s: &str| Some(s.parse::<Date>().unwrap());
        for (now, tz, due) in [
            // Monday 2026-03-09 08:00 in Helsinki (UTC+2) is 06:00 UTC.
            ("2026-03-09T05:59:59Z", &helsinki, None),
            ("2026-03-09T06:00:00Z", &helsinki, day("2026-03-02")),
            ("2026-03-11T12:00:00Z", &helsinki, day("2026-03-02")),
            ("2026-03-15T21:59:59Z", &helsinki, day("2026-03-02")),
            // Sunday 22:00 UTC is already Monday 00:00 in Helsinki: not yet 08:00.
            ("2026-03-15T22:00:00Z", &helsinki, None),
            // Summer time (UTC+3): Monday 2026-03-30 08:00 is 05:00 UTC.
            ("2026-03-30T04:59:00Z", &helsinki, None),
            ("2026-03-30T05:00:00Z", &helsinki, day("2026-03-23")),
            // Half-hour offset: 08:00 in Kolkata is 02:30 UTC.
            ("2026-03-09T02:29:00Z", &kolkata, None),
            ("2026-03-09T02:30:00Z", &kolkata, day("2026-03-02")),
            // West of UTC: Monday 08:00 in São Paulo (UTC-3) is 11:00 UTC.
            ("2026-03-09T10:59:00Z", &sao_paulo, None),
            ("2026-03-09T11:00:00Z", &sao_paulo, day("2026-03-02")),
            // Across a year boundary.
            ("2027-01-04T06:00:00Z", &helsinki, day("2026-12-28")),
        ] {
            assert_eq!(
                due_week(at(now), tz),
                due,
                "{now} in {}",
                tz.iana_name().unwrap()
            );
        }
    }
}

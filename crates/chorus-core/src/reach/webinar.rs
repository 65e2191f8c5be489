//! Webinars: who gets a seat, who is promoted when one frees, when reminders are due, and the
//! attendance list a webinar tool exports. Pure; `chorus-store`'s `reach/registrations.rs`
//! applies these rules inside its transactions.
//!
//! - A seat: registered while fewer people are registered than the capacity (`None`: no limit)
//!   **and nobody is waiting** (a free seat goes to the waitlist first, never to a newcomer),
//!   else waitlisted ([`seat_for`]).
//! - Promotion: when seats free (a cancellation, a larger capacity), the first waiting, in the
//!   order they registered, take them ([`promotions`]).
//! - Reminders: a day and an hour before the start ([`Reminder`]). Only the latest whose time
//!   has come is due ([`reminder_due`]): a server that was down through the day-before time
//!   sends the hour-before one alone, not both at once. A seat that became registered after a
//!   reminder's time gets no late copy of it (the invitation it just received says the same).
//!   Each reminder's outbox key ([`reminder_key`]) names the seat and the reminder, so it is
//!   queued once, whatever the number of runs or restarts.
//! - Attendance: the list a webinar tool exports, as CSV ([`parse_attendance`]): a header
//!   naming the columns (email; attended yes/no; minutes), `,` or `;` between cells, a UTF-8
//!   byte-order mark tolerated, quoted cells as RFC 4180 writes them; errors name the line and
//!   the column. Someone listed twice (they rejoined) is one person with the minutes added up.

use jiff::Timestamp;

use crate::org::TimeZoneName;
use crate::reach::RegistrationState;

/// The state of a new seat at a webinar with `capacity` (`None`: no limit), `registered`
/// people registered and `waiting` on the waitlist.
pub fn seat_for(capacity: Option<i64>, registered: i64, waiting: i64) -> RegistrationState {
    match capacity {
        None => RegistrationState::Registered,
        Some(c) if registered < c && waiting == 0 => RegistrationState::Registered,
        Some(_) => RegistrationState::Waitlisted,
    }
}

/// How many of the waitlist (`waiting`, in order) are promoted at a webinar with `capacity`
/// and `registered` people registered: the first ones, as many as there are free seats.
pub fn promotions(capacity: Option<i64>, registered: i64, waiting: usize) -> usize {
    let free = match capacity {
        None => return waiting,
        Some(c) => c.saturating_sub(registered).max(0),
    };
    usize::try_from(free).unwrap_or(usize::MAX).min(waiting)
}

/// A webinar's time, place and seats as typed in the staff form (plain strings).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawWebinar {
    /// Local wall-clock time in `time_zone`: `YYYY-MM-DDTHH:MM` (a `datetime-local` input).
    pub starts_at: String,
    /// An IANA zone, e.g. `Europe/Helsinki`.
    pub time_zone: String,
    pub duration_minutes: String,
    /// Empty: no limit.
    pub capacity: String,
    pub join_url: String,
}

/// A webinar's time, place and seats, valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebinarSettings {
    pub starts_at: Timestamp,
    pub zone: TimeZoneName,
    pub duration_minutes: i64,
    pub capacity: Option<i64>,
    pub join_url: String,
    /// Set when the local time happens twice (the clocks go back) and the first was taken.
    pub note: Option<String>,
}

/// The longest webinar, in minutes (a day).
pub const MAX_DURATION_MINUTES: i64 = 24 * 60;
/// The largest capacity.
pub const MAX_CAPACITY: i64 = 100_000;

/// Validates the staff form; errors name the field. A local time that does not exist in the
/// zone (the clocks go forward) is refused, one that happens twice is taken at its first
/// occurrence (`stories::schedule::resolve`, the same rule as scheduled posts).
pub fn parse_webinar(raw: &RawWebinar) -> Result<WebinarSettings, crate::FieldError> {
    use crate::Invalid;
    use crate::stories::schedule::{parse_local, resolve};
    let zone = TimeZoneName::parse(&raw.time_zone).map_err(|e| e.at("time_zone"))?;
    let local = parse_local(&raw.starts_at).map_err(|e| e.at("starts_at"))?;
    let slot = resolve(local, &zone).map_err(|e| e.at("starts_at"))?;
    let number = |field: &'static str, s: &str, min: i64, max: i64| {
        s.trim()
            .parse::<i64>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| {
                Invalid::new(format!("must be a whole number from {min} to {max}")).at(field)
            })
    };
    let duration_minutes = number(
        "duration_minutes",
        &raw.duration_minutes,
        1,
        MAX_DURATION_MINUTES,
    )?;
    let capacity = match raw.capacity.trim() {
        "" => None,
        c => Some(number("capacity", c, 1, MAX_CAPACITY)?),
    };
    let join_url = raw.join_url.trim();
    let ok_url = (join_url.starts_with("https://") || join_url.starts_with("http://"))
        && join_url.len() > "https://".len()
        && join_url.len() <= 2000
        && !join_url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '"');
    if !ok_url {
        return Err(
            Invalid::new("must be the web address people join at, starting with https://")
                .at("join_url"),
        );
    }
    Ok(WebinarSettings {
        starts_at: slot.at,
        zone,
        duration_minutes,
        capacity,
        join_url: join_url.to_owned(),
        note: slot.note,
    })
}

/// A reminder before a webinar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reminder {
    /// 24 hours before the start.
    DayBefore,
    /// One hour before the start.
    HourBefore,
}

impl Reminder {
    pub const ALL: [Reminder; 2] = [Reminder::DayBefore, Reminder::HourBefore];

    /// How long before the start it is due.
    pub fn lead_time(self) -> jiff::SignedDuration {
        match self {
            Reminder::DayBefore => jiff::SignedDuration::from_hours(24),
            Reminder::HourBefore => jiff::SignedDuration::from_hours(1),
        }
    }

    /// `24h` or `1h`, as in the outbox key.
    pub fn as_str(self) -> &'static str {
        match self {
            Reminder::DayBefore => "24h",
            Reminder::HourBefore => "1h",
        }
    }

    /// When it is due for a webinar starting at `starts_at`.
    pub fn due_at(self, starts_at: Timestamp) -> Timestamp {
        starts_at.checked_sub(self.lead_time()).unwrap_or(starts_at)
    }
}

/// The reminder due at `now` for a seat registered since `seat_since` at a webinar starting at
/// `starts_at`: the latest reminder whose time has come, if the webinar has not started and the
/// seat was registered before that reminder's time; else none.
pub fn reminder_due(
    starts_at: Timestamp,
    seat_since: Timestamp,
    now: Timestamp,
) -> Option<Reminder> {
    if now >= starts_at {
        return None;
    }
    let latest = Reminder::ALL
        .into_iter()
        .filter(|r| r.due_at(starts_at) <= now)
        .max()?;
    (seat_since < latest.due_at(starts_at)).then_some(latest)
}

/// The outbox key of `reminder` for registration `registration`:
/// `webinar-reminder:{registration}:{24h|1h}`.
pub fn reminder_key(registration: crate::RegistrationId, reminder: Reminder) -> String {
    format!("webinar-reminder:{}:{}", registration.0, reminder.as_str())
}

/// Whether `locale` reads Finnish (`fi`, `fi-FI`); everything else reads English.
fn finnish(locale: &str) -> bool {
    locale
        .split('-')
        .next()
        .is_some_and(|l| l.eq_ignore_ascii_case("fi"))
}

/// When a webinar is, in its own zone, in words for `locale` (Finnish or English): e.g.
/// "Wednesday 20 January 2027, 15:00–16:30 EET (Europe/Helsinki)" or
/// "keskiviikko 20.1.2027 klo 15.00–16.30 EET (Europe/Helsinki)". For the landing page,
/// the mails and the staff pages alike.
pub fn when_text(
    starts_at: Timestamp,
    duration_minutes: i64,
    zone: &TimeZoneName,
    locale: &str,
) -> String {
    let tz = zone.zone();
    let start = starts_at.to_zoned(tz.clone());
    let end = starts_at
        .checked_add(jiff::SignedDuration::from_mins(duration_minutes.max(0)))
        .unwrap_or(starts_at)
        .to_zoned(tz);
    let abbr = start.strftime("%Z").to_string();
    if finnish(locale) {
        const DAYS: [&str; 7] = [
            "maanantai",
            "tiistai",
            "keskiviikko",
            "torstai",
            "perjantai",
            "lauantai",
            "sunnuntai",
        ];
        let day = DAYS[usize::from(start.weekday().to_monday_zero_offset().unsigned_abs())];
        format!(
            "{day} {}.{}.{} klo {}–{} {abbr} ({})",
            start.day(),
            start.month(),
            start.year(),
            start.strftime("%H.%M"),
            end.strftime("%H.%M"),
            zone.as_str()
        )
    } else {
        format!(
            "{}, {}–{} {abbr} ({})",
            start.strftime("%A %-d %B %Y"),
            start.strftime("%H:%M"),
            end.strftime("%H:%M"),
            zone.as_str()
        )
    }
}

/// What the landing page says about seats, for `locale`: how many are left, "Full, waitlist
/// open" once taken (or while people wait), nothing when there is no limit, "Cancelled" for a
/// cancelled webinar.
pub fn seats_text(
    capacity: Option<i64>,
    registered: i64,
    waiting: i64,
    cancelled: bool,
    locale: &str,
) -> String {
    let fi = finnish(locale);
    if cancelled {
        return if fi { "Peruttu" } else { "Cancelled" }.to_owned();
    }
    let Some(capacity) = capacity else {
        return String::new();
    };
    match seat_for(Some(capacity), registered, waiting) {
        RegistrationState::Registered => {
            let left = capacity - registered;
            match (fi, left) {
                (true, 1) => "1 paikka jäljellä".to_owned(),
                (true, n) => format!("{n} paikkaa jäljellä"),
                (false, 1) => "1 seat left".to_owned(),
                (false, n) => format!("{n} seats left"),
            }
        }
        _ if fi => "Täynnä – jonoon voi ilmoittautua".to_owned(),
        _ => "Full – waitlist open".to_owned(),
    }
}

mod attendance;

pub use attendance::{Attendance, AttendanceError, parse_attendance};

#[cfg(test)]
#[path = "webinar_tests.rs"]
mod tests;

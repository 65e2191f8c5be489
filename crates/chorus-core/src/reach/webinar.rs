//! Webinars: who gets a seat, who is promoted when one frees, when reminders are due, and the
//! attendance list a webinar tool exports. Pure; `chorus-store`'s `reach/registrations.rs`
//! applies these rules inside its transactions.
//!
//! - A seat: registered while fewer people are registered than the capacity (`None`: no limit)
//!   **and nobody is waiting** (a free seat goes to the waitlist first, never to a newcomer),
//!   else waitlisted ([`seat_for`]).
//! - Promotion: when seats free (a cancellation, a larger capacity), the first waiting, in the
//!   order they registered, take them ([`promotions`]).

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

#[cfg(test)]
#[path = "webinar_tests.rs"]
mod tests;

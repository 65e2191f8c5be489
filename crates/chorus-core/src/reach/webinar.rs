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

/// One person's attendance, as imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attendance {
    pub email: crate::user::Email,
    pub attended: bool,
    /// `None` when the list has no minutes column.
    pub minutes: Option<i64>,
}

/// A line of an attendance list that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}{}: {message}", column.as_ref().map(|(n, name)| format!(", column {n} ({name})")).unwrap_or_default())]
pub struct AttendanceError {
    /// 1-based, the header being line 1.
    pub line: usize,
    /// 1-based column number and its header name.
    pub column: Option<(usize, String)>,
    pub message: String,
}

/// The headers each column is known by (compared without case, spaces or punctuation).
const EMAIL_NAMES: &[&str] = &[
    "email",
    "emailaddress",
    "useremail",
    "mail",
    "sahkoposti",
    "sähköposti",
];
const ATTENDED_NAMES: &[&str] = &[
    "attended",
    "attendance",
    "present",
    "osallistui",
    "paikalla",
];
const MINUTES_NAMES: &[&str] = &[
    "minutes",
    "durationminutes",
    "duration",
    "timeinsessionminutes",
    "minuutit",
    "kesto",
];

fn normalize_header(h: &str) -> String {
    h.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Reads an attendance list (see the module's contract). At most 100,000 lines.
pub fn parse_attendance(input: &str) -> Result<Vec<Attendance>, AttendanceError> {
    let input = input.strip_prefix('\u{feff}').unwrap_or(input);
    let err = |line: usize, column: Option<(usize, String)>, message: String| AttendanceError {
        line,
        column,
        message,
    };
    let mut lines = records(input);
    let Some((_, header)) = lines.next().transpose()? else {
        return Err(err(
            1,
            None,
            "the file is empty; expected a header such as email,attended,minutes".into(),
        ));
    };
    let sep = if header.matches(';').count() > header.matches(',').count() {
        ';'
    } else {
        ','
    };
    let names: Vec<String> = split(&header, sep).map_err(|m| err(1, None, m))?;
    let find = |known: &[&str]| {
        names
            .iter()
            .position(|n| known.contains(&normalize_header(n).as_str()))
    };
    let email_col = find(EMAIL_NAMES).ok_or_else(|| {
        err(
            1,
            None,
            format!("no email column in the header ({})", names.join(", ")),
        )
    })?;
    let (attended_col, minutes_col) = (find(ATTENDED_NAMES), find(MINUTES_NAMES));
    let mut out: Vec<Attendance> = Vec::new();
    for record in lines {
        let (line, text) = record?;
        if line > 100_000 {
            return Err(err(
                line,
                None,
                "the list is too long (100,000 lines at most)".into(),
            ));
        }
        if text.trim().is_empty() {
            continue;
        }
        let cells = split(&text, sep).map_err(|m| err(line, None, m))?;
        let column = |i: usize| Some((i + 1, names[i].clone()));
        let cell = |i: usize| cells.get(i).map(|c| c.trim()).unwrap_or("");
        let email = crate::user::Email::parse(cell(email_col))
            .map_err(|e| err(line, column(email_col), e.message))?;
        let minutes = match minutes_col {
            None => None,
            Some(i) if cell(i).is_empty() => Some(0),
            Some(i) => Some(parse_minutes(cell(i)).ok_or_else(|| {
                err(
                    line,
                    column(i),
                    format!("'{}' is not a number of minutes", cell(i)),
                )
            })?),
        };
        let attended = match attended_col {
            Some(i) => parse_yes_no(cell(i))
                .ok_or_else(|| err(line, column(i), format!("'{}' is not yes or no", cell(i))))?,
            // A tool that lists only who came: being listed (with time, if counted) is attending.
            None => minutes.is_none_or(|m| m > 0),
        };
        match out.iter_mut().find(|a| a.email == email) {
            Some(a) => {
                a.attended |= attended;
                a.minutes = match (a.minutes, minutes) {
                    (Some(x), Some(y)) => Some(x + y),
                    (x, y) => x.or(y),
                };
            }
            None => out.push(Attendance {
                email,
                attended,
                minutes,
            }),
        }
    }
    Ok(out)
}

fn parse_yes_no(s: &str) -> Option<bool> {
    match s.to_lowercase().as_str() {
        "yes" | "y" | "true" | "1" | "x" | "kyllä" | "k" => Some(true),
        "no" | "n" | "false" | "0" | "" | "ei" | "e" => Some(false),
        _ => None,
    }
}

/// Whole minutes, or a decimal that is rounded (some tools write "12.5").
fn parse_minutes(s: &str) -> Option<i64> {
    if let Ok(n) = s.parse::<i64>() {
        return (0..=100_000).contains(&n).then_some(n);
    }
    let f: f64 = s.replace(',', ".").parse().ok()?;
    (f.is_finite() && (0.0..=100_000.0).contains(&f)).then(|| f.round() as i64)
}

/// The file's records with their 1-based line numbers; a quoted cell may hold line breaks.
fn records(input: &str) -> impl Iterator<Item = Result<(usize, String), AttendanceError>> + '_ {
    let mut rest = input;
    let mut line = 0;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        line += 1;
        let start_line = line;
        let mut quoted = false;
        for (i, c) in rest.char_indices() {
            match c {
                '"' => quoted = !quoted,
                '\n' if quoted => line += 1,
                '\n' => {
                    let record = rest[..i].trim_end_matches('\r').to_owned();
                    rest = &rest[i + 1..];
                    return Some(Ok((start_line, record)));
                }
                _ => {}
            }
        }
        if quoted {
            rest = "";
            return Some(Err(AttendanceError {
                line: start_line,
                column: None,
                message: "a quoted cell is not closed".into(),
            }));
        }
        let record = rest.trim_end_matches('\r').to_owned();
        rest = "";
        Some(Ok((start_line, record)))
    })
}

/// Splits one record at `sep`, RFC 4180 quoting (`""` inside quotes is one `"`).
fn split(record: &str, sep: char) -> Result<Vec<String>, String> {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut chars = record.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            '"' if quoted => quoted = false,
            '"' if cell.trim().is_empty() => {
                cell.clear();
                quoted = true;
            }
            c if c == sep && !quoted => cells.push(std::mem::take(&mut cell)),
            c => cell.push(c),
        }
    }
    if quoted {
        return Err("a quoted cell is not closed".into());
    }
    cells.push(cell);
    Ok(cells)
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

//! iCalendar (RFC 5545) invitations for webinar registrations: one `VEVENT` per message, with
//! `METHOD:REQUEST` for an invitation or an update and `METHOD:CANCEL` for a cancellation
//! (RFC 5546, iTIP), so calendar programs file every later message onto the same entry.
//!
//! The contract:
//! - `UID` is the registration's own (stable for its life: `reach_registrations.uid`), and
//!   `SEQUENCE` the webinar's (it goes up with every change attendees must hear of), so an
//!   update replaces the entry instead of adding a second one, and an older message never
//!   overrides a newer one.
//! - `DTSTART`/`DTEND` are local times with `TZID` set to the webinar's IANA zone, and the
//!   document carries that zone's `VTIMEZONE`, built from the tz database's transitions around
//!   the event (the one in force at the start and those until a year after the end), so a
//!   program that does not know the IANA name still places the event right.
//! - Text values are escaped (`\\`, `;`, `,`, newlines; other control characters dropped), and
//!   content lines are folded at 75 octets without splitting a UTF-8 character (§3.1).
//!
//! Pure: the caller passes every value, the time the message is made (`DTSTAMP`) included.

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::{Offset, TimeZone};

use crate::org::TimeZoneName;

/// What the message asks of the calendar program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Add the event, or replace it when the `UID` is known and `SEQUENCE` is newer.
    Request,
    /// Remove the event (the webinar or the registration was cancelled).
    Cancel,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Request => "REQUEST",
            Method::Cancel => "CANCEL",
        }
    }

    /// The MIME type of a message's `.ics` part (`text/calendar; method=…`, RFC 6047).
    pub fn content_type(self) -> String {
        format!("text/calendar; charset=utf-8; method={}", self.as_str())
    }
}

/// A person in the invitation: the organizer (who sends) or the attendee (who receives).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    /// Shown as the `CN` parameter; may be empty.
    pub name: String,
    pub email: String,
}

/// Everything one invitation says.
#[derive(Debug, Clone)]
pub struct Invitation {
    pub method: Method,
    /// Stable for the registration's life (`reach_registrations.uid`).
    pub uid: String,
    /// The webinar's sequence (`reach_webinars.sequence`).
    pub sequence: i64,
    pub starts_at: Timestamp,
    pub duration_minutes: i64,
    pub zone: TimeZoneName,
    /// When the message was made (`DTSTAMP`).
    pub stamp: Timestamp,
    pub organizer: Party,
    pub attendee: Party,
    pub summary: String,
    pub description: String,
    /// Where it happens: the join address for an online event.
    pub location: String,
    /// The join address (`URL`); empty for none.
    pub url: String,
}

/// The whole `.ics` document for `inv`, with CRLF line ends.
pub fn invitation(inv: &Invitation) -> String {
    let tz = inv.zone.zone();
    let tzid = inv.zone.as_str();
    let ends_at = inv
        .starts_at
        .checked_add(jiff::SignedDuration::from_mins(inv.duration_minutes.max(0)))
        .unwrap_or(inv.starts_at);
    let mut out = Lines::default();
    out.line("BEGIN:VCALENDAR");
    out.line("VERSION:2.0");
    out.line("PRODID:-//Chorus//Reach webinars//EN");
    out.line("CALSCALE:GREGORIAN");
    out.line(&format!("METHOD:{}", inv.method.as_str()));
    vtimezone(&mut out, &tz, tzid, inv.starts_at, ends_at);
    out.line("BEGIN:VEVENT");
    out.line(&format!("UID:{}", escape(&inv.uid)));
    out.line(&format!("SEQUENCE:{}", inv.sequence.max(0)));
    out.line(&format!("DTSTAMP:{}", utc(inv.stamp)));
    out.line(&format!(
        "DTSTART;TZID={}:{}",
        param(tzid),
        local(inv.starts_at, &tz)
    ));
    out.line(&format!(
        "DTEND;TZID={}:{}",
        param(tzid),
        local(ends_at, &tz)
    ));
    out.line(&format!(
        "ORGANIZER{}:mailto:{}",
        cn(&inv.organizer.name),
        inv.organizer.email
    ));
    let (partstat, role) = match inv.method {
        Method::Request => (";PARTSTAT=ACCEPTED;RSVP=FALSE", ";ROLE=REQ-PARTICIPANT"),
        Method::Cancel => ("", ";ROLE=REQ-PARTICIPANT"),
    };
    out.line(&format!(
        "ATTENDEE{}{role}{partstat}:mailto:{}",
        cn(&inv.attendee.name),
        inv.attendee.email
    ));
    out.line(&format!("SUMMARY:{}", escape(&inv.summary)));
    if !inv.description.is_empty() {
        out.line(&format!("DESCRIPTION:{}", escape(&inv.description)));
    }
    if !inv.location.is_empty() {
        out.line(&format!("LOCATION:{}", escape(&inv.location)));
    }
    if is_uri(&inv.url) {
        out.line(&format!("URL:{}", inv.url));
    }
    let status = match inv.method {
        Method::Request => "CONFIRMED",
        Method::Cancel => "CANCELLED",
    };
    out.line(&format!("STATUS:{status}"));
    out.line("TRANSP:OPAQUE");
    out.line("END:VEVENT");
    out.line("END:VCALENDAR");
    out.0
}

/// The `VTIMEZONE` of `tz` for an event from `start` to `end`: the observance in force at
/// `start` and every transition until a year after `end` (a calendar program may show the
/// event's neighbourhood; a later change of the webinar sends a new document anyway). A zone
/// with no transitions (UTC, a fixed offset) gets one `STANDARD` observance.
fn vtimezone(out: &mut Lines, tz: &TimeZone, tzid: &str, start: Timestamp, end: Timestamp) {
    out.line("BEGIN:VTIMEZONE");
    out.line(&format!("TZID:{}", escape(tzid)));
    let horizon = end
        .checked_add(jiff::SignedDuration::from_hours(24 * 366))
        .unwrap_or(end);
    // The transition in force at `start` (its onset is at or before it), then the later ones.
    // The transition in force at `start` (its onset at or before it), then the later ones.
    let at_or_before = start
        .checked_add(jiff::SignedDuration::from_nanos(1))
        .unwrap_or(start);
    let observances: Vec<Observance> = tz
        .preceding(at_or_before)
        .take(1)
        .chain(tz.following(start).take_while(|t| t.timestamp() <= horizon))
        .map(|t| Observance {
            at: t.timestamp(),
            from: tz.to_offset(
                t.timestamp()
                    .checked_sub(jiff::SignedDuration::from_secs(1))
                    .unwrap_or(t.timestamp()),
            ),
            to: t.offset(),
            dst: t.dst().is_dst(),
            name: t.abbreviation().to_owned(),
        })
        .collect();
    if observances.is_empty() {
        let info = tz.to_offset_info(start);
        let offset = info.offset();
        out.line("BEGIN:STANDARD");
        out.line("DTSTART:19700101T000000");
        out.line(&format!("TZOFFSETFROM:{}", utc_offset(offset)));
        out.line(&format!("TZOFFSETTO:{}", utc_offset(offset)));
        out.line(&format!("TZNAME:{}", escape(info.abbreviation())));
        out.line("END:STANDARD");
    }
    for o in observances {
        let kind = if o.dst { "DAYLIGHT" } else { "STANDARD" };
        out.line(&format!("BEGIN:{kind}"));
        // The onset as a local time on the clock that was in force before it (§3.6.5).
        out.line(&format!("DTSTART:{}", civil(o.from.to_datetime(o.at))));
        out.line(&format!("TZOFFSETFROM:{}", utc_offset(o.from)));
        out.line(&format!("TZOFFSETTO:{}", utc_offset(o.to)));
        if !o.name.is_empty() {
            out.line(&format!("TZNAME:{}", escape(&o.name)));
        }
        out.line(&format!("END:{kind}"));
    }
    out.line("END:VTIMEZONE");
}

/// One transition of a zone, as a `STANDARD` or `DAYLIGHT` observance.
struct Observance {
    at: Timestamp,
    from: Offset,
    to: Offset,
    dst: bool,
    name: String,
}

/// Content lines, each folded and ended with CRLF.
#[derive(Default)]
struct Lines(String);

impl Lines {
    fn line(&mut self, line: &str) {
        fold_into(&mut self.0, line);
    }
}

/// Escapes an iCalendar TEXT value (§3.3.11): `\\`, `;`, `,` and newlines; a CR of a CRLF is
/// dropped, and so is every other control character (they have no place in a content line).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds one content line into `out`: at most 75 octets per line, continuation lines start with
/// a space, never inside a UTF-8 character; ends it with CRLF.
pub fn fold_into(out: &mut String, line: &str) {
    let mut used = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if used + n > 75 {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += n;
    }
    out.push_str("\r\n");
}

/// A parameter value (§3.2): quoted when it holds `:`, `;` or `,`; `"` and control characters
/// cannot appear in one and are dropped.
fn param(s: &str) -> String {
    let clean: String = s.chars().filter(|c| *c != '"' && !c.is_control()).collect();
    if clean.contains([':', ';', ',']) {
        format!("\"{clean}\"")
    } else {
        clean
    }
}

fn cn(name: &str) -> String {
    if name.trim().is_empty() {
        String::new()
    } else {
        format!(";CN={}", param(name.trim()))
    }
}

/// Only an absolute http(s) address goes into `URL:` (a URI value is not escaped).
fn is_uri(s: &str) -> bool {
    (s.starts_with("https://") || s.starts_with("http://"))
        && !s.chars().any(|c| c.is_control() || c.is_whitespace())
}

fn utc(t: Timestamp) -> String {
    t.strftime("%Y%m%dT%H%M%SZ").to_string()
}

fn local(t: Timestamp, tz: &TimeZone) -> String {
    civil(tz.to_datetime(t))
}

fn civil(dt: DateTime) -> String {
    dt.strftime("%Y%m%dT%H%M%S").to_string()
}

/// `+0200`, `-0330`, `+054500` (seconds only when there are some).
fn utc_offset(o: Offset) -> String {
    let secs = o.seconds();
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.unsigned_abs();
    let (h, m, s) = (a / 3600, a % 3600 / 60, a % 60);
    if s == 0 {
        format!("{sign}{h:02}{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}{s:02}")
    }
}

#[cfg(test)]
#[path = "ics_tests.rs"]
mod tests;

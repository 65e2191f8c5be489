//! The calendar taken out: as iCalendar (`.ics`, one event per variant with a time) for calendar
//! programs, and as CSV for spreadsheets (the import reads it back, see [`super::import`]).
//! Both hold exactly what the calendar shows the caller, with the same filters.
//!
//! The iCalendar writer (RFC 5545) is small and written here: text values are escaped (`\\`,
//! `;`, `,`, newlines), content lines are folded at 75 octets without splitting a UTF-8
//! character (§3.1, §3.3.11), and times are UTC (`…Z`) so every calendar program places them
//! right whatever its zone; the market's local time is in the description. CSV cells that a
//! spreadsheet would run as formulas get a leading apostrophe ([`guard`]).

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::calendar::{CalendarQuery, calendar};
use crate::{App, Caller, Error, Result};

/// A file to hand over.
#[derive(Debug, Clone)]
pub struct Export {
    /// e.g. `chorus-calendar-2026-09-28.csv`.
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// The calendar asked for as CSV, one row per variant.
pub async fn calendar_csv(
    app: &App,
    caller: &Caller,
    q: &CalendarQuery,
    viewer: &TimeZone,
) -> Result<Export> {
    let cal = calendar(app, caller, q, viewer).await?;
    let internal = |e: csv::Error| Error::Internal(e.to_string());
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "variant_id",
        "story_id",
        "story",
        "state",
        "market",
        "campaign",
        "account",
        "network",
        "locale",
        "time",
        "timezone",
        "utc",
        "publication",
        "published_uri",
        "text",
    ])
    .map_err(internal)?;
    for item in &cal.entries {
        let e = &item.entry;
        let campaign = e
            .campaign_id
            .and_then(|c| cal.lookup.campaign(c))
            .map(|c| c.slug.clone())
            .unwrap_or_default();
        let zone = cal
            .lookup
            .market(e.market_id)
            .map(|m| m.timezone.as_str().to_owned())
            .unwrap_or_default();
        let utc = Timestamp::from_millisecond(e.scheduled_at_ms)
            .map(|t| t.to_string())
            .unwrap_or_default();
        w.write_record([
            e.variant_id.to_string(),
            e.story_id.to_string(),
            guard(&e.title),
            e.story_state.as_str().to_owned(),
            cal.lookup.market_code(e.market_id),
            campaign,
            e.account_handle.clone(),
            e.network.clone(),
            e.locale.clone(),
            item.local.strftime("%Y-%m-%d %H:%M").to_string(),
            zone,
            utc,
            e.pub_state.as_str().to_owned(),
            e.published_uri.clone().unwrap_or_default(),
            guard(&e.body),
        ])
        .map_err(internal)?;
    }
    let bytes = w.into_inner().map_err(|e| Error::Internal(e.to_string()))?;
    Ok(Export {
        file_name: format!("chorus-calendar-{}.csv", cal.range.start),
        bytes,
    })
}

/// The calendar asked for as iCalendar; `story_link` gives the address of a story's page (by
/// id) for each event's description.
pub async fn calendar_ics(
    app: &App,
    caller: &Caller,
    q: &CalendarQuery,
    viewer: &TimeZone,
    story_link: impl Fn(i64) -> String,
) -> Result<Export> {
    let cal = calendar(app, caller, q, viewer).await?;
    let events: Vec<Event> = cal
        .entries
        .iter()
        .map(|item| {
            let (e, local) = (&item.entry, &item.local);
            let code = cal.lookup.market_code(e.market_id);
            Event {
                uid: format!("variant-{}@chorus", e.variant_id),
                start_ms: e.scheduled_at_ms,
                minutes: 15,
                summary: format!("[{code}] {} (@{}, {})", e.title, e.account_handle, e.locale),
                description: format!(
                    "{} in {}\n{} · {}\n\n{}\n\nStory: {}",
                    local.strftime("%a %-d %b %Y, %H:%M %Z"),
                    local.time_zone().iana_name().unwrap_or(""),
                    item.status.label(),
                    e.network,
                    e.body,
                    story_link(e.story_id)
                ),
                url: match story_link(e.story_id) {
                    // A calendar application opens URL: as it is; only an absolute link works.
                    link if link.starts_with("http") => link,
                    _ => String::new(),
                },
                categories: vec![item.status.label().to_owned(), code],
            }
        })
        .collect();
    let body = ics_calendar("Chorus stories", &events, Timestamp::now().as_millisecond());
    Ok(Export {
        file_name: format!("chorus-calendar-{}.ics", cal.range.start),
        bytes: body.into_bytes(),
    })
}

/// A cell a spreadsheet would run as a formula, with a leading apostrophe (the import takes it
/// off again).
pub fn guard(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

/// One iCalendar event.
#[derive(Debug, Clone)]
pub struct Event {
    /// Globally unique and stable, e.g. `variant-42@chorus.example.com`.
    pub uid: String,
    pub start_ms: i64,
    pub minutes: i64,
    pub summary: String,
    pub description: String,
    pub url: String,
    pub categories: Vec<String>,
}

/// Escapes an iCalendar TEXT value.
pub fn ics_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds one content line: at most 75 octets per line, continuation lines start with a space.
pub fn ics_fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / 70 * 3);
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
    out
}

fn stamp(ms: i64) -> String {
    Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y%m%dT%H%M%SZ").to_string())
        .unwrap_or_default()
}

/// A whole iCalendar document. `now_ms` is the DTSTAMP of every event.
pub fn ics_calendar(name: &str, events: &[Event], now_ms: i64) -> String {
    let mut out = String::new();
    let mut line = |s: String| out.push_str(&ics_fold(&s));
    line("BEGIN:VCALENDAR".into());
    line("VERSION:2.0".into());
    line("PRODID:-//Chorus//Stories calendar//EN".into());
    line("CALSCALE:GREGORIAN".into());
    line(format!("X-WR-CALNAME:{}", ics_escape(name)));
    for e in events {
        line("BEGIN:VEVENT".into());
        line(format!("UID:{}", ics_escape(&e.uid)));
        line(format!("DTSTAMP:{}", stamp(now_ms)));
        line(format!("DTSTART:{}", stamp(e.start_ms)));
        line(format!("DTEND:{}", stamp(e.start_ms + e.minutes * 60_000)));
        line(format!("SUMMARY:{}", ics_escape(&e.summary)));
        line(format!("DESCRIPTION:{}", ics_escape(&e.description)));
        if !e.url.is_empty() {
            line(format!("URL:{}", e.url));
        }
        if !e.categories.is_empty() {
            let cats: Vec<String> = e.categories.iter().map(|c| ics_escape(c)).collect();
            line(format!("CATEGORIES:{}", cats.join(",")));
        }
        line("END:VEVENT".into());
    }
    line("END:VCALENDAR".into());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text_values() {
        assert_eq!(ics_escape("a;b,c\\d\ne\r"), "a\\;b\\,c\\\\d\\ne");
    }

    #[test]
    fn folds_at_75_octets_without_splitting_characters() {
        let long = format!("SUMMARY:{}", "ä".repeat(60));
        let folded = ics_fold(&long);
        for l in folded.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{} octets: {l}", l.len());
        }
        let unfolded = folded.replace("\r\n ", "");
        assert_eq!(unfolded, format!("{long}\r\n"));
        assert_eq!(ics_fold("SHORT"), "SHORT\r\n");
    }

    #[test]
    fn writes_events_in_utc() {
        let ics = ics_calendar(
            "FI, Northwind",
            &[Event {
                uid: "variant-7@chorus.test".into(),
                start_ms: 1_792_888_200_000,
                minutes: 15,
                summary: "Launch; day one".into(),
                description: "09:30 EET\nbluesky".into(),
                url: "http://localhost/stories/3".into(),
                categories: vec!["scheduled".into(), "FI".into()],
            }],
            0,
        );
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(ics.contains("X-WR-CALNAME:FI\\, Northwind\r\n"));
        assert!(ics.contains("DTSTART:20261025T003000Z\r\n"));
        assert!(ics.contains("DTEND:20261025T004500Z\r\n"));
        assert!(ics.contains("SUMMARY:Launch\\; day one\r\n"));
        assert!(ics.contains("DESCRIPTION:09:30 EET\\nbluesky\r\n"));
        assert!(ics.contains("CATEGORIES:scheduled,FI\r\n"));
        assert!(ics.ends_with("END:VEVENT\r\nEND:VCALENDAR\r\n"));
        assert!(
            !ics.replace("\r\n", "").contains('\n'),
            "only CRLF line ends"
        );
    }

    #[test]
    fn formulas_are_defused_and_plain_text_is_not() {
        for (cell, out) in [
            ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"),
            ("+1", "'+1"),
            ("-1", "'-1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("Launch day", "Launch day"),
            ("", ""),
        ] {
            assert_eq!(guard(cell), out, "{cell}");
        }
    }
}

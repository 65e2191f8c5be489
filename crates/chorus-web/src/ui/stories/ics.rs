//! The calendar as iCalendar (RFC 5545): one VEVENT per scheduled variant.
//!
//! Written by hand because it is small: text values are escaped (`\\`, `;`, `,`, newlines) and
//! content lines are folded at 75 octets without splitting a UTF-8 character (RFC 5545 §3.1,
//! §3.3.11). Times are UTC (`…Z`), so every calendar program places them correctly whatever its
//! own zone; the market's local time is in the description.

use jiff::Timestamp;

/// One event.
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

/// Escapes a TEXT value.
pub fn escape(s: &str) -> String {
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
pub fn fold(line: &str) -> String {
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

/// The whole calendar. `now_ms` is the DTSTAMP of every event.
pub fn calendar(name: &str, events: &[Event], now_ms: i64) -> String {
    let mut out = String::new();
    let mut line = |s: String| out.push_str(&fold(&s));
    line("BEGIN:VCALENDAR".into());
    line("VERSION:2.0".into());
    line("PRODID:-//Chorus//Stories calendar//EN".into());
    line("CALSCALE:GREGORIAN".into());
    line(format!("X-WR-CALNAME:{}", escape(name)));
    for e in events {
        line("BEGIN:VEVENT".into());
        line(format!("UID:{}", escape(&e.uid)));
        line(format!("DTSTAMP:{}", stamp(now_ms)));
        line(format!("DTSTART:{}", stamp(e.start_ms)));
        line(format!("DTEND:{}", stamp(e.start_ms + e.minutes * 60_000)));
        line(format!("SUMMARY:{}", escape(&e.summary)));
        line(format!("DESCRIPTION:{}", escape(&e.description)));
        if !e.url.is_empty() {
            line(format!("URL:{}", e.url));
        }
        if !e.categories.is_empty() {
            let cats: Vec<String> = e.categories.iter().map(|c| escape(c)).collect();
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
        assert_eq!(escape("a;b,c\\d\ne\r"), "a\\;b\\,c\\\\d\\ne");
    }

    #[test]
    fn folds_at_75_octets_without_splitting_characters() {
        let long = format!("SUMMARY:{}", "ä".repeat(60));
        let folded = fold(&long);
        for l in folded.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{} octets: {l}", l.len());
        }
        let unfolded = folded.replace("\r\n ", "");
        assert_eq!(unfolded, format!("{long}\r\n"));
        assert_eq!(fold("SHORT"), "SHORT\r\n");
    }

    #[test]
    fn writes_events_in_utc() {
        let ics = calendar(
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
}

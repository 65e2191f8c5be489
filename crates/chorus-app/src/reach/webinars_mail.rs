//! The words of the mails about a webinar seat, in English and Finnish (the recipient's locale,
//! else its language, else English: `mail::Templates::pick`). Each mail has a plain-text part
//! and an HTML part with every value escaped; each ends with the link that cancels the seat.

use chorus_core::org::Locale;

use crate::mail::{Template, Templates};

/// Which mail about a seat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// Registered: the invitation, `.ics` attached.
    Invitation,
    /// Full: on the waitlist (no `.ics`: there is no seat yet).
    Waitlisted,
    /// A seat freed and the waitlist's first got it: the invitation, `.ics` attached.
    Promoted,
    /// The time or place changed: the new invitation (higher SEQUENCE), `.ics` attached.
    Updated,
    /// The webinar was cancelled: `.ics` with `METHOD:CANCEL`.
    WebinarCancelled,
    /// The seat was cancelled (by the person or by staff): `.ics` with `METHOD:CANCEL`.
    SeatCancelled,
    /// A day before.
    Reminder24h,
    /// An hour before.
    Reminder1h,
}

/// What fills a mail in.
#[derive(Debug, Clone)]
pub struct Fill<'a> {
    pub name: &'a str,
    pub title: &'a str,
    /// The time in the webinar's zone, in words for the recipient's locale.
    pub when: &'a str,
    pub join_url: &'a str,
    /// The link that cancels the seat (empty when the installation has no public address).
    pub cancel_url: &'a str,
    /// The link that withdraws consent (no more mail about this webinar at all; empty when the
    /// installation cannot sign one).
    pub withdraw_url: &'a str,
}

struct Words {
    hello: &'static str,
    subject: fn(Notice, &str) -> String,
    body: fn(Notice) -> &'static str,
    when: &'static str,
    join: &'static str,
    attached: &'static str,
    cancel: &'static str,
    withdraw: &'static str,
    why: &'static str,
}

const EN: Words = Words {
    hello: "Hello",
    subject: |n, t| match n {
        Notice::Invitation => format!("You're registered: {t}"),
        Notice::Waitlisted => format!("You're on the waitlist: {t}"),
        Notice::Promoted => format!("A seat opened up for you: {t}"),
        Notice::Updated => format!("Changed: {t}"),
        Notice::WebinarCancelled => format!("Cancelled: {t}"),
        Notice::SeatCancelled => format!("Your seat is cancelled: {t}"),
        Notice::Reminder24h => format!("Tomorrow: {t}"),
        Notice::Reminder1h => format!("In an hour: {t}"),
    },
    body: |n| match n {
        Notice::Invitation => "Your seat is confirmed.",
        Notice::Waitlisted => {
            "The webinar is full, so you are on the waitlist. If a seat frees up, it is yours \
             in the order people registered, and we will send you the invitation."
        }
        Notice::Promoted => "A seat freed up and it is now yours.",
        Notice::Updated => "The webinar has changed. Here are the new details.",
        Notice::WebinarCancelled => {
            "We are sorry: the webinar is cancelled. Your calendar entry is removed."
        }
        Notice::SeatCancelled => {
            "Your seat is cancelled, as asked. Your calendar entry is removed."
        }
        Notice::Reminder24h => "A reminder: the webinar is tomorrow.",
        Notice::Reminder1h => "A reminder: the webinar starts in an hour.",
    },
    when: "When",
    join: "Join",
    attached: "The calendar entry is attached.",
    cancel: "Can't make it? Cancel your seat",
    withdraw: "No more email about this webinar (withdraw your consent)",
    why: "You receive this because you registered for this webinar.",
};

const FI: Words = Words {
    hello: "Hei",
    subject: |n, t| match n {
        Notice::Invitation => format!("Olet ilmoittautunut: {t}"),
        Notice::Waitlisted => format!("Olet jonossa: {t}"),
        Notice::Promoted => format!("Sinulle vapautui paikka: {t}"),
        Notice::Updated => format!("Muuttunut: {t}"),
        Notice::WebinarCancelled => format!("Peruttu: {t}"),
        Notice::SeatCancelled => format!("Paikkasi on peruttu: {t}"),
        Notice::Reminder24h => format!("Huomenna: {t}"),
        Notice::Reminder1h => format!("Tunnin päästä: {t}"),
    },
    body: |n| match n {
        Notice::Invitation => "Paikkasi on vahvistettu.",
        Notice::Waitlisted => {
            "Webinaari on täynnä, joten olet jonossa. Jos paikka vapautuu, se annetaan \
             ilmoittautumisjärjestyksessä, ja lähetämme sinulle kutsun."
        }
        Notice::Promoted => "Paikka vapautui, ja se on nyt sinun.",
        Notice::Updated => "Webinaari on muuttunut. Tässä uudet tiedot.",
        Notice::WebinarCancelled => {
            "Valitettavasti webinaari on peruttu. Kalenterimerkintäsi poistetaan."
        }
        Notice::SeatCancelled => {
            "Paikkasi on peruttu pyyntösi mukaan. Kalenterimerkintäsi poistetaan."
        }
        Notice::Reminder24h => "Muistutus: webinaari on huomenna.",
        Notice::Reminder1h => "Muistutus: webinaari alkaa tunnin päästä.",
    },
    when: "Aika",
    join: "Liity",
    attached: "Kalenterimerkintä on liitteenä.",
    cancel: "Etkö pääsekään? Peru paikkasi",
    withdraw: "Ei enää sähköpostia tästä webinaarista (peru suostumuksesi)",
    why: "Saat tämän, koska ilmoittauduit tähän webinaariin.",
};

/// Whether `notice` carries an `.ics` file.
pub fn has_ics(notice: Notice) -> bool {
    !matches!(
        notice,
        Notice::Waitlisted | Notice::Reminder24h | Notice::Reminder1h
    )
}

/// The mail in English and Finnish.
pub fn templates(notice: Notice, fill: &Fill<'_>) -> Templates {
    let t = Templates::new(render(notice, fill, &EN));
    match Locale::parse("fi") {
        Ok(fi) => t.with(&fi, render(notice, fill, &FI)),
        Err(_) => t,
    }
}

fn render(notice: Notice, f: &Fill<'_>, w: &Words) -> Template {
    let ended = matches!(notice, Notice::WebinarCancelled | Notice::SeatCancelled);
    let greeting = if f.name.trim().is_empty() {
        format!("{},", w.hello)
    } else {
        format!("{} {},", w.hello, f.name.trim())
    };
    let mut text = format!(
        "{greeting}\n\n{}\n\n{}\n{}: {}\n",
        (w.body)(notice),
        f.title,
        w.when,
        f.when
    );
    let mut html = format!(
        "<p>{}</p><p>{}</p><p><strong>{}</strong><br>{}: {}</p>",
        esc(&greeting),
        esc((w.body)(notice)),
        esc(f.title),
        esc(w.when),
        esc(f.when)
    );
    let joinable = !ended && notice != Notice::Waitlisted && !f.join_url.is_empty();
    if joinable {
        text.push_str(&format!("{}: {}\n", w.join, f.join_url));
        html.push_str(&format!(
            "<p>{}: <a href=\"{}\">{}</a></p>",
            esc(w.join),
            esc(f.join_url),
            esc(f.join_url)
        ));
    }
    if has_ics(notice) && !ended {
        text.push_str(&format!("\n{}\n", w.attached));
        html.push_str(&format!("<p>{}</p>", esc(w.attached)));
    }
    text.push_str(&format!("\n-- \n{}\n", w.why));
    html.push_str(&format!("<hr><p><small>{}", esc(w.why)));
    if !ended && !f.cancel_url.is_empty() {
        text.push_str(&format!("{}: {}\n", w.cancel, f.cancel_url));
        html.push_str(&format!(
            " <a href=\"{}\">{}</a>",
            esc(f.cancel_url),
            esc(w.cancel)
        ));
    }
    if !f.withdraw_url.is_empty() {
        text.push_str(&format!("{}: {}\n", w.withdraw, f.withdraw_url));
        html.push_str(&format!(
            " · <a href=\"{}\">{}</a>",
            esc(f.withdraw_url),
            esc(w.withdraw)
        ));
    }
    html.push_str("</small></p>");
    Template {
        subject: (w.subject)(notice, &one_line(f.title)),
        text,
        html: Some(html),
    }
}

/// A subject is one line: line breaks and other control characters become spaces.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Escapes text for HTML.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill() -> Fill<'static> {
        Fill {
            name: "<b>Eve</b>",
            title: "Listening\r\nBcc: x@example.com <script>",
            when: "Wednesday 20 January 2027, 15:00–16:30 EET (Europe/Helsinki)",
            join_url: "https://meet.example.com/abc?x=1&y=2",
            cancel_url: "https://chorus.example/r/seat/abc",
            withdraw_url: "https://chorus.example/r/unsubscribe/1.xyz",
        }
    }

    #[test]
    fn every_mail_has_a_text_part_a_one_line_subject_and_escaped_html() {
        let l = |s: &str| Locale::parse(s).unwrap();
        for notice in [
            Notice::Invitation,
            Notice::Waitlisted,
            Notice::Promoted,
            Notice::Updated,
            Notice::WebinarCancelled,
            Notice::SeatCancelled,
            Notice::Reminder24h,
            Notice::Reminder1h,
        ] {
            for locale in ["en", "fi-FI"] {
                let all = templates(notice, &fill());
                let (_, t) = all.pick(&l(locale));
                assert!(!t.subject.contains(['\r', '\n']), "{notice:?}");
                assert!(t.text.contains("20 January 2027"));
                let html = t.html.clone().unwrap();
                assert!(!html.contains("<script>") && !html.contains("<b>Eve"));
                assert!(html.contains("&lt;b&gt;Eve&lt;/b&gt;"));
                let ended = matches!(notice, Notice::WebinarCancelled | Notice::SeatCancelled);
                assert_eq!(t.text.contains("/r/seat/abc"), !ended, "{notice:?}");
                assert!(t.text.contains("/r/unsubscribe/1.xyz"), "{notice:?}");
            }
        }
        let invitation = templates(Notice::Invitation, &fill());
        let (used, fi) = invitation.pick(&l("fi"));
        assert_eq!(used, "fi");
        assert!(fi.subject.starts_with("Olet ilmoittautunut"));
        assert!(fi.text.contains("https://meet.example.com/abc?x=1&y=2"));
        let waitlisted = templates(Notice::Waitlisted, &fill());
        let (_, w) = waitlisted.pick(&l("en"));
        assert!(
            !w.text.contains("meet.example.com"),
            "no join link on the waitlist"
        );
    }
}

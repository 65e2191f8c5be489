//! The words of the public opt-in's mails, in English and Finnish (the visitor's locale, else
//! its language, else English: `mail::Templates::pick`): the confirmation request and, for a
//! gated asset, the download that follows. Every mail has a plain-text part and an HTML part in
//! which every value is escaped, and ends with the one-click withdrawal link (also sent as
//! `List-Unsubscribe` with RFC 8058's one-click POST).

use chorus_core::org::Locale;

use crate::mail::{Template, Templates};

/// Which mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// "Please confirm": the button's link; nothing is kept as a contact until it is pressed.
    Confirm,
    /// "Your download": the signed link, and the preference page for a fresh one later.
    Download,
}

/// What fills a mail in.
#[derive(Debug, Clone)]
pub struct Fill<'a> {
    pub name: &'a str,
    /// The offer's title in the visitor's locale.
    pub title: &'a str,
    /// Confirm: the confirmation page. Download: the signed download link.
    pub action_url: &'a str,
    /// When `action_url` stops working, in words.
    pub expires: &'a str,
    /// The preference page (download mails).
    pub prefs_url: &'a str,
    /// The withdrawal link every mail carries.
    pub withdraw_url: &'a str,
}

struct Words {
    hello: &'static str,
    confirm_subject: &'static str,
    confirm_body: &'static str,
    confirm_button: &'static str,
    confirm_ignore: &'static str,
    download_subject: &'static str,
    download_body: &'static str,
    download_button: &'static str,
    expires: &'static str,
    prefs: &'static str,
    why: &'static str,
    withdraw: &'static str,
}

const EN: Words = Words {
    hello: "Hello",
    confirm_subject: "Please confirm",
    confirm_body: "Thank you for your interest. Please confirm your email address to receive:",
    confirm_button: "Confirm my email address",
    confirm_ignore: "If you did not ask for this, ignore this email: nothing is kept about you \
                     unless you confirm.",
    download_subject: "Your download",
    download_body: "Thank you for confirming. Here is your download:",
    download_button: "Download",
    expires: "This link works until",
    prefs: "Need a fresh link later? Your preference page has one:",
    why: "You receive this email because this address was entered in our form.",
    withdraw: "Withdraw consent and stop these emails",
};

const FI: Words = Words {
    hello: "Hei",
    confirm_subject: "Vahvista tilauksesi",
    confirm_body: "Kiitos kiinnostuksestasi. Vahvista sähköpostiosoitteesi, niin saat:",
    confirm_button: "Vahvista sähköpostiosoitteeni",
    confirm_ignore: "Jos et pyytänyt tätä, voit jättää viestin huomiotta: sinusta ei tallenneta \
                     mitään, ellet vahvista.",
    download_subject: "Latauksesi",
    download_body: "Kiitos vahvistuksesta. Tässä latauksesi:",
    download_button: "Lataa",
    expires: "Linkki toimii asti",
    prefs: "Tarvitsetko myöhemmin uuden linkin? Asetussivultasi saat sen:",
    why: "Saat tämän viestin, koska tämä osoite annettiin lomakkeellamme.",
    withdraw: "Peru suostumus ja lopeta viestit",
};

/// The mail in every locale it is written in.
pub fn templates(kind: Kind, fill: &Fill<'_>) -> Templates {
    let t = Templates::new(render(kind, fill, &EN));
    match Locale::parse("fi") {
        Ok(fi) => t.with(&fi, render(kind, fill, &FI)),
        Err(_) => t,
    }
}

fn render(kind: Kind, f: &Fill<'_>, w: &Words) -> Template {
    let name = one_line(f.name.trim());
    let greeting = if name.is_empty() {
        format!("{},", w.hello)
    } else {
        format!("{} {name},", w.hello)
    };
    let title = one_line(f.title);
    let (subject, body, button) = match kind {
        Kind::Confirm => (w.confirm_subject, w.confirm_body, w.confirm_button),
        Kind::Download => (w.download_subject, w.download_body, w.download_button),
    };
    let mut text = format!(
        "{greeting}\n\n{body}\n{title}\n\n{button}:\n{}\n\n{} {}.\n",
        f.action_url, w.expires, f.expires
    );
    let mut html = format!(
        "<div style=\"font-family:system-ui,sans-serif;max-width:560px;margin:0 auto;color:#1f2933\">\
         <p>{}</p><p>{}</p><p style=\"font-size:18px\"><strong>{}</strong></p>\
         <p><a href=\"{}\" style=\"display:inline-block;background:#3949ab;color:#fff;\
         padding:12px 20px;border-radius:6px;text-decoration:none\">{}</a></p>\
         <p style=\"color:#52606d\">{} {}.</p>",
        esc(&greeting),
        esc(body),
        esc(&title),
        esc(f.action_url),
        esc(button),
        esc(w.expires),
        esc(f.expires)
    );
    match kind {
        Kind::Confirm => {
            text.push_str(&format!("\n{}\n", w.confirm_ignore));
            html.push_str(&format!(
                "<p style=\"color:#52606d\">{}</p>",
                esc(w.confirm_ignore)
            ));
        }
        Kind::Download if !f.prefs_url.is_empty() => {
            text.push_str(&format!("\n{}\n{}\n", w.prefs, f.prefs_url));
            html.push_str(&format!(
                "<p>{} <a href=\"{}\">{}</a></p>",
                esc(w.prefs),
                esc(f.prefs_url),
                esc(f.prefs_url)
            ));
        }
        Kind::Download => {}
    }
    text.push_str(&format!(
        "\n-- \n{}\n{}: {}\n",
        w.why, w.withdraw, f.withdraw_url
    ));
    html.push_str(&format!(
        "<hr style=\"border:none;border-top:1px solid #e4e7eb\"><p style=\"color:#7b8794;\
         font-size:13px\">{} <a href=\"{}\">{}</a></p></div>",
        esc(w.why),
        esc(f.withdraw_url),
        esc(w.withdraw)
    ));
    Template {
        subject: format!("{subject}: {title}"),
        text,
        html: Some(html),
    }
}

/// A subject or greeting is one line: control characters become spaces.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Escapes text for HTML (element content and quoted attributes).
pub(crate) fn esc(s: &str) -> String {
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
            name: "<script>alert(1)</script>",
            title: "The \"guide\" & <b>more</b>\r\nBcc: x@example.com",
            action_url: "https://chorus.example/r/confirm/abc",
            expires: "10 December 2026 12:00 UTC",
            prefs_url: "https://chorus.example/r/prefs/def",
            withdraw_url: "https://chorus.example/r/unsubscribe/1.sig",
        }
    }

    #[test]
    fn every_mail_has_text_escaped_html_a_one_line_subject_and_withdrawal() {
        for kind in [Kind::Confirm, Kind::Download] {
            for locale in ["en", "fi", "sv"] {
                let templates = templates(kind, &fill());
                let (_, t) = templates.pick(&Locale::parse(locale).unwrap());
                assert!(!t.subject.contains(['\r', '\n']), "{}", t.subject);
                assert!(
                    t.text.contains("<script>alert(1)</script>"),
                    "text is as typed"
                );
                assert!(t.text.contains(fill().action_url));
                assert!(t.text.contains(fill().withdraw_url));
                let html = t.html.as_deref().unwrap();
                assert!(
                    !html.contains("<script>") && !html.contains("<b>more"),
                    "{html}"
                );
                assert!(html.contains("&lt;script&gt;") && html.contains("&quot;guide&quot;"));
                assert!(html.contains("href=\"https://chorus.example/r/unsubscribe/1.sig\""));
            }
        }
        let d = templates(Kind::Download, &fill());
        let (used, fi) = d.pick(&Locale::parse("fi-FI").unwrap());
        assert_eq!(used, "fi");
        assert!(fi.subject.starts_with("Latauksesi") && fi.text.contains("/r/prefs/def"));
    }
}

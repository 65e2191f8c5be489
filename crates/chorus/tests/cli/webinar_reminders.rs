//! Webinar reminders exactly once under crashes: a webinar starts an hour and ~20 seconds from
//! now, and people registered two days ago (through the opt-in's own store calls: submit, then
//! confirm, which seats them), so the day-before reminder is due at once and the hour-before one
//! 20 seconds later. `chorus serve`, with `[mail]` pointing at maildev, is killed with SIGKILL
//! at random moments from its start until well past the hour-before time, and restarted, again
//! and again; then one last run finishes.
//!
//! What must hold: each reminder is queued exactly once (the outbox key
//! `webinar-reminder:{registration}:{24h|1h}` makes a second enqueue a no-op: the outbox holds
//! one day-before and one hour-before message per person, both sent), and maildev received one
//! day-before and one hour-before reminder per person — one *message*, by Message-ID. SMTP
//! cannot make delivery itself exactly once: a kill after the server accepted a message and
//! before the outbox recorded it sends that message again on restart, with the same Message-ID
//! (derived from the outbox row), which is how mail clients and this test recognise the copy.
//! The copies seen are printed.

use std::time::{Duration, Instant};

use chorus_core::audit::Author;
use chorus_core::org::MarketInput;
use chorus_core::reach::attribution::Utm;
use chorus_core::reach::consent::{LegalBasis, email_digest};
use chorus_core::reach::{OfferKind, OfferState};
use chorus_store::reach::{NewConsentText, NewOffer, OfferPage, Webinar};
use chorus_store::{ConfirmOutcome, ConfirmRequest, DatabaseUrl, NewSubmission, ReachMail, Store};

use crate::mail::{emails, maildev};
use crate::support::chorus;

const PEOPLE: usize = 6;
const KEY_B64: &str = "q83vASNFZ4mrze8BI0VniavN7wEjRWeJq83vASNFZ4k=";

/// The webinar starting at `starts_at` and PEOPLE registrations made two days ago; answers the
/// people's addresses.
async fn seed(store: &Store, starts_at: jiff::Timestamp, tag: &str) -> Vec<String> {
    let sys = Author::system("reminder-test");
    let fi = store
        .create_market(
            &sys,
            &MarketInput::parse("FI", "Finland", "FI", &["fi-FI".into()], "Europe/Helsinki")
                .unwrap(),
        )
        .await
        .unwrap();
    let text = store
        .create_consent_text(
            &sys,
            &NewConsentText {
                market: fi.id,
                locale: "en".into(),
                body: "I agree.".into(),
                legal_basis: LegalBasis::Consent,
                privacy_url: "https://example.com/privacy".into(),
            },
        )
        .await
        .unwrap();
    let offer = store
        .create_offer(
            &sys,
            &NewOffer {
                kind: OfferKind::Webinar,
                market: fi.id,
                slug: "reminders".into(),
                campaign: None,
                state: OfferState::Live,
                fields_json: "[]".into(),
                pages: vec![OfferPage {
                    locale: "en".into(),
                    title: format!("Reminder test {tag}"),
                    description: String::new(),
                }],
                asset: None,
                webinar: Some(Webinar {
                    starts_at,
                    duration_minutes: 45,
                    time_zone: "Europe/Helsinki".into(),
                    capacity: None,
                    join_url: "https://meet.example.com/reminders".into(),
                    sequence: 0,
                    cancelled_at: None,
                }),
            },
        )
        .await
        .unwrap();
    let two_days_ago = jiff::Timestamp::now().as_millisecond() - 2 * 86_400_000;
    let mut people = Vec::new();
    for i in 0..PEOPLE {
        let email = format!("remind-{tag}-{i}@example.org");
        let token = format!("token-{tag}-{i}");
        store
            .submit(
                NewSubmission {
                    offer: offer.id,
                    email: email.clone(),
                    email_sha256: email_digest(&email),
                    name: "Remind Me".into(),
                    answers_json: "{}".into(),
                    locale: "en".into(),
                    consent_text: text.id,
                    form_version: 1,
                    token_sha256: token.clone(),
                    expires_at_ms: two_days_ago + 72 * 3_600_000,
                    ip: "192.0.2.0/24".into(),
                    user_agent: "test".into(),
                    page_url: "http://127.0.0.1/r/reminders".into(),
                    utm: Utm::default(),
                    at_ms: two_days_ago,
                },
                {
                    let to = email.clone();
                    move |_| ReachMail {
                        to,
                        subject: "Confirm".into(),
                        text: "Press the button.".into(),
                        html: None,
                        list_unsubscribe: None,
                        one_click: false,
                        locale: "en".into(),
                    }
                },
            )
            .await
            .unwrap();
        let confirmed = store
            .confirm(
                &ConfirmRequest {
                    token_sha256: &token,
                    at_ms: two_days_ago,
                    prefs_token_sha256: &format!("prefs-{token}"),
                    ip: "192.0.2.0/24",
                    user_agent: "test",
                    mail: None,
                },
                &email_digest(&email),
            )
            .await
            .unwrap();
        assert!(matches!(confirmed, ConfirmOutcome::Confirmed(_)));
        people.push(email);
    }
    people
}

fn start_serve(dir: &std::path::Path, smtp: u16) -> std::process::Child {
    chorus()
        .args(["serve", "--port", "0", "--data-dir"])
        .arg(dir)
        .env("CHORUS__SECRET_KEY", KEY_B64)
        .env("CHORUS__MAIL__HOST", "127.0.0.1")
        .env("CHORUS__MAIL__PORT", smtp.to_string())
        .env("CHORUS__MAIL__SECURITY", "none")
        .env("CHORUS__MAIL__FROM", "Chorus <chorus@example.com>")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// Reminders that reached maildev for `people`: (address, subject) pairs.
/// The reminders maildev received for `people`: (to, subject, Message-ID).
fn arrived(web: u16, people: &[String]) -> Vec<(String, String, String)> {
    emails(web)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|e| {
            let to = e["to"][0]["address"].as_str()?.to_owned();
            let subject = e["subject"].as_str()?.to_owned();
            let id = e["messageId"].as_str()?.to_owned();
            (people.contains(&to)
                && (subject.starts_with("Tomorrow:") || subject.starts_with("In an hour:")))
            .then_some((to, subject, id))
        })
        .collect()
}

/// The distinct messages (by Message-ID) among `got` for `person` whose subject starts with
/// `prefix`, and how many copies arrived in all.
fn messages(got: &[(String, String, String)], person: &str, prefix: &str) -> (usize, usize) {
    let copies: Vec<&String> = got
        .iter()
        .filter(|(to, s, _)| to == person && s.starts_with(prefix))
        .map(|(_, _, id)| id)
        .collect();
    let distinct: std::collections::BTreeSet<&&String> = copies.iter().collect();
    (distinct.len(), copies.len())
}

#[test]
fn reminders_are_mailed_once_each_through_repeated_sigkills() {
    crate::support::install_tls();
    let Some((smtp, web)) = maildev() else { return };
    let dir = tempfile::tempdir().unwrap();
    let tag = format!("{:08x}", rand::random::<u32>());
    let hour_due_in = Duration::from_secs(20);
    let starts_at = jiff::Timestamp::now()
        + jiff::SignedDuration::from_hours(1)
        + jiff::SignedDuration::try_from(hour_due_in).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let store = rt.block_on(async {
        let store = Store::open(&DatabaseUrl::sqlite_in(dir.path()))
            .await
            .unwrap();
        let people = seed(&store, starts_at, &tag).await;
        (store, people)
    });
    let (store, people) = store;
    let hour_due = Instant::now() + hour_due_in;

    // Kill at random moments from the start (the day-before reminders go out) until well past
    // the hour-before time.
    let mut kills = 0;
    let mut kills_after_hour_due = 0;
    while Instant::now() < hour_due + Duration::from_secs(40) || kills < 10 {
        let mut child = start_serve(dir.path(), smtp);
        std::thread::sleep(Duration::from_millis(300 + rand::random::<u64>() % 2_700));
        child.kill().unwrap(); // SIGKILL: no graceful shutdown
        child.wait().unwrap();
        kills += 1;
        if Instant::now() > hour_due {
            kills_after_hour_due += 1;
        }
        assert!(kills < 200, "the kill loop did not end");
    }
    assert!(
        kills_after_hour_due >= 3,
        "{kills_after_hour_due} kills after the hour-before time"
    );

    // One last run, uninterrupted, finishes what is left.
    let mut child = start_serve(dir.path(), smtp);
    let deadline = Instant::now() + Duration::from_secs(120);
    let delivered = |got: &[(String, String, String)]| {
        people
            .iter()
            .all(|p| messages(got, p, "Tomorrow:").0 == 1 && messages(got, p, "In an hour:").0 == 1)
    };
    while !delivered(&arrived(web, &people)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(500));
    }
    // Room for a second message to show up, if there were one.
    std::thread::sleep(Duration::from_secs(3));
    let _ = child.kill();
    let _ = child.wait();

    let got = arrived(web, &people);
    let mut copies = 0;
    for p in &people {
        let (day, day_copies) = messages(&got, p, "Tomorrow:");
        let (hour, hour_copies) = messages(&got, p, "In an hour:");
        assert_eq!(
            (day, hour),
            (1, 1),
            "{p}: one day-before and one hour-before reminder after {kills} SIGKILLs ({got:?})"
        );
        copies += day_copies + hour_copies - 2;
    }
    println!(
        "{} reminders, one message each, after {kills} SIGKILLs; {copies} delivered again \
         (a kill between the SMTP server's acceptance and the outbox's record), same Message-ID",
        2 * PEOPLE
    );
    // The outbox agrees: two reminder messages per person, each sent.
    rt.block_on(async {
        let outbox = store.recent_mail(1000).await.unwrap();
        let reminders: Vec<_> = outbox
            .iter()
            .filter(|m| m.key.starts_with("webinar-reminder:"))
            .collect();
        assert_eq!(reminders.len(), 2 * PEOPLE);
        assert!(
            reminders
                .iter()
                .all(|m| m.state == chorus_store::MailState::Sent),
            "{reminders:?}"
        );
    });
}

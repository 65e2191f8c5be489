//! The weekly Numbers email, end to end against the real maildev (`.ci/setup-smtp.sh`; the
//! test prints why and passes when it cannot run, unless CHORUS_REQUIRE_SERVICES=1): the
//! use case queues one message per reader and week, the `send_mail` kind delivers it, and what
//! arrives has the market's subject, the figures in the text part and the PDF attached; another
//! market's analyst and a person who turned the email off (on their account page) get none; a
//! second run in the same week queues nothing.

use std::time::Duration;

use chorus_app::numbers::weekly::{OPT_OUT_KIND, send_reports};
use chorus_app::{App, AppConfig, PublicBase};
use chorus_core::Role;
use chorus_core::audit::Author;
use chorus_core::org::MarketCode;
use chorus_core::user::{Email, Membership};
use chorus_jobs::mail::{Mailer, Security, SendMail, SmtpSettings};
use chorus_jobs::{JobKind, Outcome};
use chorus_store::{MAIL_JOB, NewUser, Store};
use reqwest::StatusCode;
use serde_json::Value;

use crate::numbers::{seed_market, seed_principle};
use crate::numbers_pdf::pdf_text;
use crate::support::{Browser, email, spawn_app};

/// maildev's SMTP and web ports (CHORUS_SMTP, "SMTP WEB", as `scripts/test` exports; else the
/// defaults), or `None` (skip) when it does not answer.
async fn maildev() -> Option<(u16, u16)> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (smtp, web) = std::env::var("CHORUS_SMTP")
        .ok()
        .and_then(|l| {
            let mut it = l.split_whitespace().map(str::parse::<u16>);
            Some((it.next()?.ok()?, it.next()?.ok()?))
        })
        .unwrap_or((1025, 1080));
    if emails(web).await.is_some() {
        return Some((smtp, web));
    }
    let reason = format!("maildev does not answer on :{web} (run .ci/setup-smtp.sh)");
    assert!(
        std::env::var("CHORUS_REQUIRE_SERVICES").as_deref() != Ok("1"),
        "{reason} (CHORUS_REQUIRE_SERVICES=1)"
    );
    eprintln!("skipped: {reason}");
    None
}

async fn emails(web: u16) -> Option<Vec<Value>> {
    let r = reqwest::get(format!("http://127.0.0.1:{web}/email"))
        .await
        .ok()?;
    r.json().await.ok()
}

/// What maildev holds for `to`.
async fn received(web: u16, to: &str) -> Vec<Value> {
    emails(web)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| {
            e["to"]
                .as_array()
                .is_some_and(|a| a.iter().any(|t| t["address"] == to))
        })
        .collect()
}

async fn person(store: &Store, address: &str, role: Role, market: &str) -> Email {
    let m = store
        .market_by_code(&MarketCode::parse(market).unwrap())
        .await
        .unwrap();
    let email = Email::parse(address).unwrap();
    store
        .create_user(
            &Author::system("test"),
            &NewUser {
                email: email.clone(),
                display_name: address.into(),
                password_hash: None,
                memberships: vec![Membership::new(role, Some(m.id)).unwrap()],
            },
        )
        .await
        .unwrap();
    email
}

/// Sends every queued message through `send_mail` on `smtp`, as the worker would.
async fn deliver(store: &Store, smtp: u16) -> usize {
    let mailer = Mailer::new(SmtpSettings {
        host: "127.0.0.1".into(),
        port: smtp,
        security: Security::None,
        credentials: None,
        from: "Chorus <chorus@example.com>".into(),
        reply_to: None,
        timeout: Duration::from_secs(10),
    })
    .unwrap();
    let kind = SendMail::new(store.clone(), mailer);
    let mut sent = 0;
    while let Some(job) = store.claim_job("test", &[MAIL_JOB], 60_000).await.unwrap() {
        let outcome = kind.run(&job).await;
        assert!(matches!(outcome, Outcome::Done { .. }), "{outcome:?}");
        sent += 1;
    }
    sent
}

#[tokio::test]
async fn readers_get_last_weeks_numbers_once_with_the_pdf_attached() {
    let Some((smtp, web)) = maildev().await else {
        return;
    };
    let app = spawn_app().await;
    let store = &app.store;
    let p = seed_principle(store).await;
    // FI: 6 likes on 10 March and 6 more on the 12th (the week of Monday 9 March); BR: 30.
    seed_market(store, "FI", p, 12, 3).await;
    seed_market(store, "BR", p, 30, 7).await;
    let nonce = format!("{:012x}", rand::random::<u64>() >> 16);
    let fi_analyst = person(
        store,
        &format!("fi-{nonce}@example.org"),
        Role::Analyst,
        "FI",
    )
    .await;
    let fi_lead = person(
        store,
        &format!("lead-{nonce}@example.org"),
        Role::MarketLead,
        "FI",
    )
    .await;
    let br_analyst = person(
        store,
        &format!("br-{nonce}@example.org"),
        Role::Analyst,
        "BR",
    )
    .await;
    let fi_editor = person(
        store,
        &format!("ed-{nonce}@example.org"),
        Role::Editor,
        "FI",
    )
    .await;

    // The seeded FI analyst turns the email off on their account page; an editor is not offered it.
    let analyst = Browser::login_as(&app, Role::Analyst).await;
    let (_, html) = analyst.get_html("/account").await;
    assert!(html.contains("name=\"numbers_weekly\" checked"), "{html}");
    let resp = analyst.post_form("/account/email", &[]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, html) = analyst.get_html("/account").await;
    assert!(
        html.contains("name=\"numbers_weekly\">"),
        "unticked: {html}"
    );
    let editor = Browser::login_as(&app, Role::Editor).await;
    assert!(
        !editor
            .get_html("/account")
            .await
            .1
            .contains("numbers_weekly")
    );
    let opted = store
        .user_by_email(&Email::parse(&email(Role::Analyst)).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(store.mail_opted_out(opted.id, OPT_OUT_KIND).await.unwrap());

    let uc = App::new(store.clone(), AppConfig::default())
        .with_public_url(PublicBase::parse("https://chorus.example").unwrap());
    let at = |s: &str| s.parse::<jiff::Timestamp>().unwrap();
    // Monday 16 March, 07:59 in Helsinki and 04:59 in São Paulo: nothing is due yet.
    let early = send_reports(&uc, at("2026-03-16T05:59:00Z")).await.unwrap();
    assert_eq!((early.markets, early.queued), (0, 0));
    // 13:00 UTC: past 08:00 in both zones.
    let run = send_reports(&uc, at("2026-03-16T13:00:00Z")).await.unwrap();
    assert_eq!(run.markets, 2, "{run:?}");
    // FI: the lead, the new analyst, the seeded lead and admin and global lead; BR: its
    // analyst, the seeded admin and global lead. Not the seeded analyst (opted out), not
    // editors. Counted in the outbox, where nothing else writes.
    let outbox = store.recent_mail(100).await.unwrap();
    let to: Vec<&str> = outbox.iter().map(|m| m.to.as_str()).collect();
    assert_eq!(run.queued, outbox.len());
    assert!(
        !to.contains(&email(Role::Analyst).as_str()),
        "opted out: {to:?}"
    );
    assert!(!to.contains(&fi_editor.as_str()), "{to:?}");
    assert!(!to.contains(&email(Role::Editor).as_str()), "{to:?}");
    // A second run in the week, and one on Sunday, queue nothing more.
    let again = send_reports(&uc, at("2026-03-16T13:05:00Z")).await.unwrap();
    assert_eq!((again.queued, again.already), (0, run.queued));
    let sunday = send_reports(&uc, at("2026-03-22T12:00:00Z")).await.unwrap();
    assert_eq!(sunday.queued, 0);
    assert_eq!(deliver(store, smtp).await, run.queued);
    assert_eq!(deliver(store, smtp).await, 0, "each message is sent once");

    // FI's readers: one message in Finnish (the market's locale), FI's figures, the PDF.
    for reader in [&fi_analyst, &fi_lead] {
        let got = received(web, reader.as_str()).await;
        assert_eq!(got.len(), 1, "{reader}: {got:#?}");
        let e = &got[0];
        assert_eq!(
            e["subject"],
            "Chorus Numbers: Finland (FI), 2026-03-09 – 2026-03-15"
        );
        let text = e["text"].as_str().unwrap();
        let likes = text
            .lines()
            .find(|l| l.starts_with("Tykkäykset"))
            .unwrap_or_else(|| panic!("{text}"));
        assert_eq!(
            likes.split_whitespace().collect::<Vec<_>>(),
            ["Tykkäykset", "12", "0", "+12"],
            "{text}"
        );
        let reposts: Vec<&str> = text
            .lines()
            .find(|l| l.starts_with("Uudelleenjaot"))
            .unwrap()
            .split_whitespace()
            .collect();
        assert_eq!(reposts, ["Uudelleenjaot", "3", "0", "+3"], "{text}");
        assert!(
            text.contains("Näyttökerrat") && text.contains("ei saatavilla"),
            "{text}"
        );
        assert!(
            text.contains("https://chorus.example/numbers?market=FI&from=2026-03-09&to=2026-03-15"),
            "{text}"
        );
        assert!(
            text.contains("1. Story FI — “post”: 12 tykkäystä"),
            "the top post, by its story and text: {text}"
        );
        assert!(!text.contains("Brazil") && !text.contains("30"), "{text}");
        assert_eq!(
            e["headers"]["list-unsubscribe"],
            "<https://chorus.example/account>"
        );
        let files = e["attachments"].as_array().unwrap();
        assert_eq!(files.len(), 1, "{e}");
        assert_eq!(files[0]["contentType"], "application/pdf");
        assert_eq!(
            files[0]["fileName"],
            "chorus-numbers-fi-2026-03-09-2026-03-15.pdf"
        );
        // maildev serves it under the name it stored it as.
        let stored = files[0]["generatedFileName"].as_str().unwrap();
        let id = e["id"].as_str().unwrap();
        let pdf = reqwest::get(format!(
            "http://127.0.0.1:{web}/email/{id}/attachment/{stored}"
        ))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
        if let Some((text, _)) = pdf_text(&pdf) {
            assert!(
                text.contains("Market report · 2026-03-09 to 2026-03-15"),
                "{text}"
            );
            let row: Vec<&str> = text
                .lines()
                .find(|l| l.trim_start().starts_with("Finland ") && l.contains(" 12 "))
                .unwrap_or_else(|| panic!("{text}"))
                .split_whitespace()
                .collect();
            assert_eq!(row[1..3], ["12", "3"], "{text}");
        }
    }
    // BR's analyst: BR's email only (in English: no Portuguese template), never FI's.
    let got = received(web, br_analyst.as_str()).await;
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(
        got[0]["subject"],
        "Chorus Numbers: Brazil (BR), 2026-03-09 – 2026-03-15"
    );
    let text = got[0]["text"].as_str().unwrap();
    assert!(text.contains("Likes") && text.contains(" 30 "), "{text}");
    assert!(!text.contains("Finland"), "{text}");
    assert!(received(web, fi_editor.as_str()).await.is_empty());
}

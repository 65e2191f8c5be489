//! The consent ledger through the public pages: the text the form shows is the text stored
//! (its hash checked); the confirmation link's GET confirms nothing, its POST confirms once, an
//! expired one is refused; withdrawal from an email's link (a page with a button, and the
//! one-click POST); export and erasure for staff.

use chorus_app::reach::subject;
use chorus_app::{App, AppConfig, Caller};
use chorus_core::Role;
use chorus_core::reach::ConsentEvent;
use chorus_core::reach::consent::{digest, email_digest};
use chorus_store::ConsentSubject;
use reqwest::StatusCode;

use super::{Reach, email, good, link_path, mail_to, reach, reach_with, unescape};

async fn caller(r: &Reach, role: Role) -> Caller {
    let user = r
        .app
        .store
        .user_by_email(&email(&crate::support::email(role)))
        .await
        .unwrap()
        .unwrap();
    let memberships = r.app.store.memberships(user.id).await.unwrap();
    Caller::person(
        user.clone(),
        chorus_core::Actor {
            user_id: user.id,
            memberships,
        },
    )
}

async fn history(r: &Reach, address: &str) -> Vec<chorus_store::LedgerRow> {
    r.app
        .store
        .consent_history(ConsentSubject::EmailSha256(&email_digest(address)))
        .await
        .unwrap()
}

#[tokio::test]
async fn the_text_on_the_form_is_the_text_in_the_ledger_and_a_get_confirms_nothing() {
    let consent = "I agree that Northwind may email me.\nLine two: <b>bold</b> & \"quoted\".";
    let r = reach_with(
        "The guide",
        consent,
        r#"[{"key":"company","label":"Company","kind":"text","required":true}]"#,
        |_| {},
    )
    .await;
    let landing = r.landing("").await;
    let start = landing.html.find("id=\"consent-text\">").unwrap() + "id=\"consent-text\">".len();
    let shown =
        unescape(&landing.html[start..start + landing.html[start..].find("</span>").unwrap()]);
    assert_eq!(shown, consent, "the page shows the stored words exactly");

    let resp = r.submit(&good("ana@example.com")).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let rows = history(&r, "ana@example.com").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].event, ConsentEvent::Submitted);
    assert_eq!(rows[0].consent_text.as_deref(), Some(shown.as_str()));
    assert_eq!(
        rows[0].consent_sha256.as_deref(),
        Some(digest(&shown).as_str())
    );
    assert_eq!(rows[0].ip.as_deref(), Some("127.0.0.0/24"), "truncated");

    // GET the emailed link: a button, nothing confirmed.
    let mail = mail_to(&r.app.store, "ana@example.com").await;
    assert!(
        mail.one_click
            && mail
                .list_unsubscribe
                .as_deref()
                .unwrap()
                .contains("/r/unsubscribe/")
    );
    let confirm = link_path(&mail.text, "/r/confirm/");
    let page = r.client().get(r.url(&confirm)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.unwrap();
    assert!(page.contains("method=\"post\"") && page.contains("ana@example.com"));
    assert!(
        r.app
            .store
            .contact_by_email_sha256(&email_digest("ana@example.com"))
            .await
            .unwrap()
            .is_none(),
        "a GET confirms nothing"
    );
    assert_eq!(history(&r, "ana@example.com").await.len(), 1);

    // The button confirms; the same link again is refused as used.
    let resp = r.client().post(r.url(&confirm)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.text().await.unwrap().contains("/r/download/"));
    let again = r.client().post(r.url(&confirm)).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert!(again.text().await.unwrap().contains("already been used"));
    let rows = history(&r, "ana@example.com").await;
    assert_eq!(
        rows.iter().map(|r| r.event).collect::<Vec<_>>(),
        vec![ConsentEvent::Submitted, ConsentEvent::Confirmed]
    );
    assert_eq!(rows[1].consent_text.as_deref(), Some(consent));
    // A token nobody was given.
    let resp = r
        .client()
        .post(r.url("/r/confirm/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_expired_link_is_refused_and_a_changed_download_link_too() {
    let r = reach_with("The guide", "I agree.", "[]", |s| {
        s.confirm_token_ttl = std::time::Duration::from_secs(1)
    })
    .await;
    let resp = r
        .submit(&[
            ("email", "late@example.com"),
            ("name", "Late"),
            ("consent", "on"),
        ])
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let confirm = link_path(
        &mail_to(&r.app.store, "late@example.com").await.text,
        "/r/confirm/",
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let page = r.client().get(r.url(&confirm)).send().await.unwrap();
    assert!(page.text().await.unwrap().contains("This link has expired"));
    let resp = r.client().post(r.url(&confirm)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::GONE);
    assert!(
        resp.text().await.unwrap().contains("href=\"/r/guide\""),
        "a way back to the form"
    );
    assert!(
        r.app
            .store
            .contact_by_email_sha256(&email_digest("late@example.com"))
            .await
            .unwrap()
            .is_none()
    );
    for bad in [
        "/r/download/1.9999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "/r/download/garbage",
    ] {
        let resp = r.client().get(r.url(bad)).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{bad}");
        let text = resp.text().await.unwrap();
        assert!(text.contains("This download link"), "{text}");
    }
}

#[tokio::test]
async fn withdrawal_works_from_the_emails_link_and_export_and_erasure_behave_as_written() {
    let r = reach().await;
    r.submit(&good("ana@example.com")).await;
    let mail = mail_to(&r.app.store, "ana@example.com").await;
    let confirm = link_path(&mail.text, "/r/confirm/");
    r.client().post(r.url(&confirm)).send().await.unwrap();
    let download_mail = super::outbox(&r.app.store)
        .await
        .into_iter()
        .find(|m| m.key.starts_with("reach-confirmed:"))
        .unwrap();
    // The download link gives the file.
    let download = link_path(&download_mail.text, "/r/download/");
    let file = r.client().get(r.url(&download)).send().await.unwrap();
    assert_eq!(file.status(), StatusCode::OK);
    assert_eq!(file.bytes().await.unwrap().as_ref(), super::GUIDE);

    // The email's withdrawal link: its GET shows a button and changes nothing.
    let list = download_mail.list_unsubscribe.clone().unwrap();
    let unsubscribe = link_path(&list, "/r/unsubscribe/");
    let page = r.client().get(r.url(&unsubscribe)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("Withdraw consent"));
    assert_eq!(history(&r, "ana@example.com").await.len(), 2);
    // A mail client's one-click POST (RFC 8058) withdraws.
    let resp = r
        .client()
        .post(r.url(&unsubscribe))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.text().await.unwrap().contains("Consent withdrawn"));
    let rows = history(&r, "ana@example.com").await;
    assert_eq!(rows.last().unwrap().event, ConsentEvent::Withdrawn);
    let prefs = link_path(&download_mail.text, "/r/prefs/");
    let page = r.client().get(r.url(&prefs)).send().await.unwrap();
    let page = page.text().await.unwrap();
    assert!(page.contains("Withdrawn"), "the preference page shows it");
    assert!(
        !page.contains("/r/download/"),
        "no fresh link once withdrawn"
    );
    let forged = format!("{}x", &unsubscribe[..unsubscribe.len() - 1]);
    let resp = r.client().post(r.url(&forged)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);

    // Export and erasure: staff who read leads in FI; a contributor may not.
    let app = App::new(r.app.store.clone(), AppConfig::default());
    let contributor = caller(&r, Role::Contributor).await;
    assert!(matches!(
        subject::export(&app, &contributor, "ana@example.com").await,
        Err(chorus_app::Error::NotFound(_))
    ));
    assert!(matches!(
        subject::erase(&app, &contributor, "ana@example.com").await,
        Err(chorus_app::Error::NotFound(_))
    ));
    let lead = caller(&r, Role::MarketLead).await;
    let export = subject::export(&app, &lead, "Ana@Example.com")
        .await
        .unwrap();
    assert_eq!(export.submissions.len(), 1);
    assert_eq!(export.submissions[0].name, "Ana Virtanen");
    assert_eq!(export.leads.len(), 1);
    let json = serde_json::to_value(&export).unwrap();
    assert_eq!(json["contact"]["email"], "ana@example.com");
    let before = history(&r, "ana@example.com").await;
    assert_eq!(before.last().unwrap().event, ConsentEvent::Exported);

    let erased = subject::erase(&app, &lead, "ana@example.com")
        .await
        .unwrap();
    assert_eq!(erased.submissions, 1);
    let after = history(&r, "ana@example.com").await;
    assert_eq!(after[..before.len()], before[..], "the ledger untouched");
    assert_eq!(after.last().unwrap().event, ConsentEvent::Erased);
    let contact = r
        .app
        .store
        .contact_by_email_sha256(&email_digest("ana@example.com"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (contact.email, contact.name),
        (None, None),
        "personal fields gone"
    );
    let export = subject::export(&app, &lead, "ana@example.com")
        .await
        .unwrap();
    assert!(export.submissions.is_empty());
    assert!(
        export.ledger.iter().any(|r| r.consent_text.is_some()),
        "the proof stays"
    );
    assert!(
        super::outbox(&r.app.store)
            .await
            .iter()
            .all(|m| m.to != "ana@example.com"),
        "nor in the outbox"
    );
    // The preference page no longer opens.
    let resp = r.client().get(r.url(&prefs)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

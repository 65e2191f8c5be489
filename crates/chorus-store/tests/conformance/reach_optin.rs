//! Reach's public double opt-in: a submission is stored with its ledger row and confirmation
//! email and makes no contact; confirming works once and before expiry, creates the contact and
//! a lead attributed to the story that brought the person; withdrawal, the preference page,
//! export and erasure behave as written, and the ledger only grows.

use chorus_core::MarketId;
use chorus_core::audit::Author;
use chorus_core::ids::{ConsentTextId, OfferId, SubmissionId};
use chorus_core::reach::attribution::Utm;
use chorus_core::reach::consent::{LegalBasis, digest, email_digest};
use chorus_core::reach::{ConsentEvent, OfferKind, OfferState};
use chorus_core::stories::CampaignInput;
use chorus_store::reach::{AssetFile, NewConsentText, NewOffer, OfferPage};
use chorus_store::{
    ConfirmOutcome, ConfirmRequest, ConsentSubject, NewSubmission, ReachMail, Store, StoryInput,
    SubmissionState, WithdrawBy, WithdrawRequest, confirm_mail_key, confirmed_mail_key,
};

use crate::support::finland_with_account;

const CONSENT: &str = "I agree that Northwind may email me about the guide. <b>Not bold</b>.";
const HOUR: i64 = 3_600_000;

struct World {
    offer: OfferId,
    market: MarketId,
    consent: ConsentTextId,
    story: i64,
    campaign: i64,
}

async fn world(store: &Store) -> World {
    let (market, _) = finland_with_account(store).await;
    let sys = Author::system("test");
    let campaign = store
        .create_campaign(
            &sys,
            &CampaignInput::parse(
                "Autumn guide",
                vec![],
                vec![market],
                vec![],
                "2026-01-01",
                "2026-12-31",
            )
            .unwrap(),
        )
        .await
        .unwrap()
        .id;
    let author = crate::support::user(store, "ed@example.com", vec![]).await;
    let story = store
        .create_story(
            &Author::user(author, "ed@example.com"),
            &StoryInput {
                market_id: market,
                campaign_id: Some(campaign),
                title: "The guide is out".into(),
                brief: "b".into(),
                principles: vec![],
            },
        )
        .await
        .unwrap()
        .id;
    let offer = store
        .create_offer(
            &sys,
            &NewOffer {
                kind: OfferKind::Asset,
                market,
                slug: "guide".into(),
                campaign: None,
                state: OfferState::Live,
                fields_json: "[]".into(),
                pages: vec![OfferPage {
                    locale: "en".into(),
                    title: "The guide".into(),
                    description: "d".into(),
                }],
                asset: Some(AssetFile {
                    file_name: "guide.pdf".into(),
                    content_type: "application/pdf".into(),
                    size_bytes: 3,
                    sha256: "ab".repeat(32),
                    storage_key: "assets/guide.pdf".into(),
                    cover_key: None,
                    cover_type: None,
                }),
                webinar: None,
            },
        )
        .await
        .unwrap()
        .id;
    let consent = store
        .create_consent_text(
            &sys,
            &NewConsentText {
                market,
                locale: "en".into(),
                body: CONSENT.into(),
                legal_basis: LegalBasis::Consent,
                privacy_url: "https://northwind.example/privacy".into(),
            },
        )
        .await
        .unwrap()
        .id;
    World {
        offer,
        market,
        consent,
        story,
        campaign,
    }
}

/// Submits for `email` at `at_ms` with token `token`; returns the submission.
async fn submit(
    store: &Store,
    w: &World,
    email: &str,
    token: &str,
    utm: &Utm,
    at_ms: i64,
) -> SubmissionId {
    store
        .submit(
            NewSubmission {
                offer: w.offer,
                email: email.into(),
                email_sha256: email_digest(email),
                name: "Ana <b>".into(),
                answers_json: r#"{"company":"Northwind"}"#.into(),
                locale: "en".into(),
                consent_text: w.consent,
                form_version: 1,
                token_sha256: token.into(),
                expires_at_ms: at_ms + 72 * HOUR,
                ip: "203.0.113.0/24".into(),
                user_agent: "Firefox".into(),
                page_url: "https://chorus.example/r/guide?utm_content=story-1".into(),
                utm: utm.clone(),
                at_ms,
            },
            {
                let to = email.to_owned();
                move |id| mail(&to, &format!("confirm {}", id.0))
            },
        )
        .await
        .unwrap()
}

fn mail(to: &str, subject: &str) -> ReachMail {
    ReachMail {
        to: to.into(),
        subject: subject.into(),
        text: "press the button".into(),
        html: None,
        list_unsubscribe: Some("<https://chorus.example/r/unsubscribe/x>".into()),
        one_click: true,
        locale: "en".into(),
    }
}

fn confirm_req<'a>(token: &'a str, at_ms: i64, mail: Option<&'a ReachMail>) -> ConfirmRequest<'a> {
    ConfirmRequest {
        token_sha256: token,
        at_ms,
        prefs_token_sha256: "prefs-hash",
        ip: "198.51.100.0/24",
        user_agent: "Chromium",
        mail,
    }
}

fn story_utm(story: i64) -> Utm {
    Utm::from_query(&format!(
        "utm_source=bluesky&utm_medium=social&utm_campaign=autumn&utm_content=story-{story}&utm_term=fi"
    ))
}

async fn a_submission_keeps_its_consent_and_mail_but_makes_no_contact(store: &Store) {
    let w = world(store).await;
    let t0 = 1_800_000_000_000;
    let id = submit(
        store,
        &w,
        "ana@example.com",
        "tok-1",
        &story_utm(w.story),
        t0,
    )
    .await;
    let hash = email_digest("ana@example.com");
    assert!(
        store
            .contact_by_email_sha256(&hash)
            .await
            .unwrap()
            .is_none(),
        "no contact before confirmation"
    );
    let s = store.submission_by_token("tok-1").await.unwrap().unwrap();
    assert_eq!((s.id, s.state), (id, SubmissionState::Pending));
    assert_eq!(s.story_id, Some(w.story));
    assert_eq!(s.utm.campaign.as_deref(), Some("autumn"));
    assert_eq!(store.submission(id).await.unwrap().unwrap(), s);
    assert!(store.submission_by_token("nope").await.unwrap().is_none());

    let history = store
        .consent_history(ConsentSubject::EmailSha256(&hash))
        .await
        .unwrap();
    assert_eq!(history.len(), 1);
    let row = &history[0];
    assert_eq!(row.event, ConsentEvent::Submitted);
    assert_eq!(
        row.consent_text.as_deref(),
        Some(CONSENT),
        "the exact words"
    );
    assert_eq!(
        row.consent_sha256.as_deref(),
        Some(digest(CONSENT).as_str())
    );
    assert_eq!(row.legal_basis.as_deref(), Some("consent"));
    assert_eq!(
        (
            row.form_version,
            row.ip.as_deref(),
            row.user_agent.as_deref()
        ),
        (Some(1), Some("203.0.113.0/24"), Some("Firefox"))
    );
    assert_eq!(
        (row.offer, row.market, row.contact),
        (Some(w.offer), Some(w.market), None)
    );
    assert!(
        row.utm
            .as_deref()
            .unwrap()
            .contains("\"utm_content\":\"story-")
    );

    let outbox = store.recent_mail(10).await.unwrap();
    let m = outbox
        .iter()
        .find(|m| m.key == confirm_mail_key(id))
        .expect("the confirmation email is queued with the submission");
    assert_eq!((m.to.as_str(), m.one_click), ("ana@example.com", true));
    assert_eq!(
        m.subject,
        format!("confirm {}", id.0),
        "rendered with its id"
    );

    let counts = store
        .recent_submissions("ana@example.com", t0, "203.0.113.0/24", t0 - HOUR, 10)
        .await
        .unwrap();
    assert_eq!((counts.by_email, counts.by_network), (1, 1));
    assert_eq!(counts.first_by_email_ms, Some(t0));
    let later = store
        .recent_submissions("ana@example.com", t0 + 1, "203.0.113.0/24", t0 + 1, 10)
        .await
        .unwrap();
    assert_eq!((later.by_email, later.first_by_network_ms), (0, None));

    // A story that does not exist keeps the tags but names no story.
    let other = submit(
        store,
        &w,
        "bo@example.com",
        "tok-2",
        &story_utm(999_999),
        t0,
    )
    .await;
    let s = store.submission(other).await.unwrap().unwrap();
    assert_eq!(
        (s.story_id, s.utm.content.as_deref()),
        (None, Some("story-999999"))
    );
    // Two from the network now; counting stops at the cap, the oldest is still the first.
    let network = |cap| store.recent_submissions("bo@example.com", t0, "203.0.113.0/24", t0, cap);
    assert_eq!(network(10).await.unwrap().by_network, 2);
    let capped = network(1).await.unwrap();
    assert_eq!(
        (capped.by_network, capped.first_by_network_ms),
        (1, Some(t0))
    );
}

async fn confirming_works_once_before_expiry_and_attributes_the_lead(store: &Store) {
    let w = world(store).await;
    let t0 = 1_800_000_000_000;
    let id = submit(
        store,
        &w,
        "ana@example.com",
        "tok-1",
        &story_utm(w.story),
        t0,
    )
    .await;
    let next = mail("ana@example.com", "your download");
    let ConfirmOutcome::Confirmed(c) = store
        .confirm(
            &confirm_req("tok-1", t0 + HOUR, Some(&next)),
            &email_digest("ana@example.com"),
        )
        .await
        .unwrap()
    else {
        panic!("confirms")
    };
    assert!(c.new_contact && c.new_lead);
    assert_eq!(c.seat, None, "an asset has no seats");
    assert_eq!(
        (c.submission, c.offer, c.kind),
        (id, w.offer, OfferKind::Asset)
    );
    assert_eq!(c.story_id, Some(w.story), "the lead carries its story");
    assert_eq!(c.campaign_id, Some(w.campaign), "and the story's campaign");
    let contact = store
        .contact_by_email_sha256(&email_digest("ana@example.com"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(contact.id, c.contact);
    assert_eq!(contact.email.as_deref(), Some("ana@example.com"));
    assert!(
        store
            .recent_mail(10)
            .await
            .unwrap()
            .iter()
            .any(|m| m.key == confirmed_mail_key(id) && m.subject == "your download")
    );

    // The same link again: refused as used, nothing written.
    assert!(matches!(
        store
            .confirm(&confirm_req("tok-1", t0 + 2 * HOUR, None), "x")
            .await
            .unwrap(),
        ConfirmOutcome::AlreadyConfirmed { offer, .. } if offer == w.offer
    ));
    // An expired link: refused as expired.
    submit(store, &w, "bo@example.com", "tok-2", &Utm::default(), t0).await;
    assert_eq!(
        store
            .confirm(&confirm_req("tok-2", t0 + 72 * HOUR, None), "x")
            .await
            .unwrap(),
        ConfirmOutcome::Expired {
            offer: w.offer,
            at_ms: t0 + 72 * HOUR
        }
    );
    assert!(
        store
            .contact_by_email_sha256(&email_digest("bo@example.com"))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store
            .confirm(&confirm_req("nope", t0, None), "x")
            .await
            .unwrap(),
        ConfirmOutcome::Unknown
    );

    // A second submission by the same person for the same offer: same contact, same lead,
    // first touch kept.
    submit(
        store,
        &w,
        "ana@example.com",
        "tok-3",
        &Utm::default(),
        t0 + 3 * HOUR,
    )
    .await;
    let ConfirmOutcome::Confirmed(again) = store
        .confirm(
            &confirm_req("tok-3", t0 + 4 * HOUR, None),
            &email_digest("ana@example.com"),
        )
        .await
        .unwrap()
    else {
        panic!("confirms")
    };
    assert!(!again.new_contact && !again.new_lead);
    assert_eq!((again.contact, again.lead), (c.contact, c.lead));
    let prefs = store.preferences("prefs-hash").await.unwrap().unwrap();
    assert_eq!(prefs.leads.len(), 1);
    assert_eq!(prefs.leads[0].story_id, Some(w.story), "first touch");
    assert_eq!(prefs.leads[0].submission, id);

    let history = store
        .consent_history(ConsentSubject::Contact(c.contact))
        .await
        .unwrap();
    let events: Vec<_> = history.iter().map(|r| r.event).collect();
    use ConsentEvent::*;
    assert_eq!(events, vec![Submitted, Confirmed, Submitted, Confirmed]);
    let confirmed = &history[1];
    assert_eq!(confirmed.consent_text.as_deref(), Some(CONSENT));
    assert_eq!(
        (confirmed.ip.as_deref(), confirmed.contact),
        (Some("198.51.100.0/24"), Some(c.contact)),
        "the confirming request's address"
    );
}

async fn withdrawal_export_and_erasure(store: &Store) {
    let w = world(store).await;
    let t0 = 1_800_000_000_000;
    let email = "ana@example.com";
    let hash = email_digest(email);
    let first = submit(store, &w, email, "tok-1", &story_utm(w.story), t0).await;
    store
        .confirm(&confirm_req("tok-1", t0 + 1, None), &hash)
        .await
        .unwrap();
    let pending = submit(store, &w, email, "tok-2", &Utm::default(), t0 + 2).await;
    let how = |by| WithdrawRequest {
        by,
        at_ms: t0 + 10,
        ip: "192.0.2.0/24",
        user_agent: "Mail client",
    };
    // The pending submission's email link: the lead of its offer is withdrawn and the pending
    // submission can no longer be confirmed.
    let out = store
        .withdraw(&how(WithdrawBy::Submission(pending)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(out.leads.len(), 1);
    assert_eq!(out.pending, Some(pending));
    assert!(matches!(
        store
            .confirm(&confirm_req("tok-2", t0 + 11, None), &hash)
            .await
            .unwrap(),
        ConfirmOutcome::Expired { .. }
    ));
    // Again: nothing more to withdraw, nothing appended.
    let again = store
        .withdraw(&how(WithdrawBy::Submission(first)))
        .await
        .unwrap()
        .unwrap();
    assert!(again.leads.is_empty() && again.pending.is_none());
    let prefs = store.preferences("prefs-hash").await.unwrap().unwrap();
    assert_eq!(prefs.leads[0].withdrawn_at_ms, Some(t0 + 10));
    assert!(
        store
            .withdraw(&how(WithdrawBy::PrefsToken {
                sha256: "unknown",
                offer: None
            }))
            .await
            .unwrap()
            .is_none()
    );
    // Confirming again undoes the withdrawal (consent given anew), first touch kept.
    submit(store, &w, email, "tok-3", &Utm::default(), t0 + 20).await;
    store
        .confirm(&confirm_req("tok-3", t0 + 21, None), &hash)
        .await
        .unwrap();
    let by_prefs = store
        .withdraw(&how(WithdrawBy::PrefsToken {
            sha256: "prefs-hash",
            offer: None,
        }))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_prefs.leads.len(), 1);

    let before = store
        .consent_history(ConsentSubject::EmailSha256(&hash))
        .await
        .unwrap();
    use ConsentEvent::*;
    assert_eq!(
        before.iter().map(|r| r.event).collect::<Vec<_>>(),
        vec![
            Submitted, Confirmed, Submitted, Withdrawn, Submitted, Confirmed, Withdrawn
        ]
    );

    assert_eq!(
        store.subject_markets(email, &hash).await.unwrap(),
        vec![w.market]
    );
    assert!(
        store
            .subject_markets("nobody@example.com", &email_digest("nobody@example.com"))
            .await
            .unwrap()
            .is_empty()
    );
    let staff = crate::support::user(store, "lead@example.com", vec![]).await;
    let export = store
        .export_subject(email, &hash, None, staff, t0 + 30)
        .await
        .unwrap();
    assert_eq!(
        export.contact.as_ref().unwrap().email.as_deref(),
        Some(email)
    );
    assert_eq!(export.submissions.len(), 3);
    assert_eq!(
        export.submissions[0].answers_json,
        r#"{"company":"Northwind"}"#
    );
    assert_eq!(export.leads.len(), 1);
    assert_eq!(export.ledger.len(), before.len() + 1);
    let last = export.ledger.last().unwrap();
    assert_eq!((last.event, last.actor), (Exported, Some(staff)));
    let json = serde_json::to_string(&export).unwrap();
    assert!(json.contains("\"event\":\"exported\"") && json.contains("\"kind\":\"asset\""));
    let elsewhere = store
        .export_subject(
            email,
            &hash,
            Some(&[MarketId(w.market.0 + 1000)]),
            staff,
            t0 + 31,
        )
        .await
        .unwrap();
    assert!(elsewhere.submissions.is_empty() && elsewhere.leads.is_empty());

    let erased = store
        .erase_subject(email, &hash, staff, t0 + 40)
        .await
        .unwrap();
    assert_eq!(erased.submissions, 3);
    assert_eq!(erased.messages, 3, "the three confirmation emails");
    let contact = store.contact_by_email_sha256(&hash).await.unwrap().unwrap();
    assert_eq!((contact.email, contact.name), (None, None));
    assert_eq!(contact.erased_at_ms, Some(t0 + 40));
    let s = store.submission(first).await.unwrap().unwrap();
    assert_eq!(
        (s.email.as_str(), s.name.as_str(), s.answers_json.as_str()),
        ("", "", "{}")
    );
    assert!(
        store
            .recent_mail(20)
            .await
            .unwrap()
            .iter()
            .all(|m| m.to != email && !m.text.contains("press")),
        "no address or body left in the outbox"
    );
    assert!(store.preferences("prefs-hash").await.unwrap().is_none());
    let after = store
        .consent_history(ConsentSubject::EmailSha256(&hash))
        .await
        .unwrap();
    assert_eq!(after[..before.len()], before[..], "earlier rows untouched");
    assert_eq!(after.last().unwrap().event, Erased);
    assert_eq!(
        after[0].consent_text.as_deref(),
        Some(CONSENT),
        "the proof stays"
    );
    let export = store
        .export_subject(email, &hash, None, staff, t0 + 50)
        .await
        .unwrap();
    assert!(
        export.submissions.is_empty(),
        "no submission under the address"
    );
    assert_eq!(export.contact.unwrap().email, None);
}

async fn unconfirmed_submissions_are_purged(store: &Store) {
    let w = world(store).await;
    let t0 = 1_800_000_000_000;
    let old = submit(store, &w, "old@example.com", "tok-1", &Utm::default(), t0).await;
    let kept = submit(store, &w, "ana@example.com", "tok-2", &Utm::default(), t0).await;
    store
        .confirm(
            &confirm_req("tok-2", t0 + 1, None),
            &email_digest("ana@example.com"),
        )
        .await
        .unwrap();
    let young = submit(
        store,
        &w,
        "new@example.com",
        "tok-3",
        &Utm::default(),
        t0 + 10 * HOUR,
    )
    .await;
    assert_eq!(store.purge_unconfirmed(t0 + HOUR).await.unwrap(), 1);
    assert!(store.submission(old).await.unwrap().is_none());
    assert!(
        store.submission(kept).await.unwrap().is_some(),
        "confirmed stays"
    );
    assert!(
        store.submission(young).await.unwrap().is_some(),
        "young stays"
    );
    let ledger = store
        .consent_history(ConsentSubject::EmailSha256(&email_digest(
            "old@example.com",
        )))
        .await
        .unwrap();
    assert_eq!(ledger.len(), 1, "the ledger keeps the purged one's proof");
}

async fn confirming_a_webinar_gives_a_seat_in_the_same_transaction(store: &Store) {
    let w = world(store).await;
    let sys = Author::system("test");
    // A webhook hears each confirmation and seat, recorded in the confirmation's transaction.
    let hook = store
        .create_webhook(
            &sys,
            &chorus_store::EndpointInput {
                name: "CRM",
                url: "https://crm.example.com/in",
                market_id: Some(w.market),
                events: &["reach.lead_confirmed", "reach.webinar_registration"],
                enabled: true,
            },
            "salt",
        )
        .await
        .unwrap();
    let webinar = store
        .create_offer(
            &sys,
            &NewOffer {
                kind: OfferKind::Webinar,
                market: w.market,
                slug: "live".into(),
                campaign: Some(w.campaign),
                state: OfferState::Live,
                fields_json: "[]".into(),
                pages: vec![OfferPage {
                    locale: "en".into(),
                    title: "Live".into(),
                    description: "d".into(),
                }],
                asset: None,
                webinar: Some(chorus_store::reach::Webinar {
                    starts_at: "2027-01-20T12:00:00Z".parse().unwrap(),
                    duration_minutes: 45,
                    time_zone: "Europe/Helsinki".into(),
                    capacity: Some(1),
                    join_url: "https://meet.example.com/x".into(),
                    sequence: 0,
                    cancelled_at: None,
                }),
            },
        )
        .await
        .unwrap()
        .id;
    let w = World {
        offer: webinar,
        ..w
    };
    let t0 = 1_800_000_000_000;
    let mut seats = Vec::new();
    for (email, token) in [("ana@example.com", "tok-1"), ("bo@example.com", "tok-2")] {
        submit(store, &w, email, token, &Utm::default(), t0).await;
        let ConfirmOutcome::Confirmed(c) = store
            .confirm(
                &ConfirmRequest {
                    prefs_token_sha256: email,
                    ..confirm_req(token, t0 + 1, None)
                },
                &email_digest(email),
            )
            .await
            .unwrap()
        else {
            panic!("confirms")
        };
        assert_eq!(c.kind, OfferKind::Webinar);
        assert_eq!(
            c.campaign_id,
            Some(w.campaign),
            "the offer's campaign without a story"
        );
        seats.push(c.seat.expect("a webinar gives a seat").1);
    }
    use chorus_core::reach::RegistrationState::*;
    assert_eq!(seats, vec![Registered, Waitlisted]);
    let mut heard = Vec::new();
    while let Some(job) = store
        .claim_job("w", &[chorus_store::WEBHOOK_JOB], 30_000)
        .await
        .unwrap()
    {
        let delivery: serde_json::Value = serde_json::from_str(&job.payload).unwrap();
        let d = store
            .pending_webhook_delivery(delivery["delivery"].as_i64().unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(d.endpoint.id, hook.id);
        let body: serde_json::Value = serde_json::from_str(&d.body).unwrap();
        assert_eq!(body["market"], "FI");
        assert!(
            !d.body.contains("@example.com"),
            "no personal data: {}",
            d.body
        );
        heard.push((
            body["type"].as_str().unwrap().to_owned(),
            body["data"]["seat"].as_str().unwrap_or("").to_owned(),
        ));
        store.finish_job(job.id, true, None).await.unwrap();
    }
    heard.sort();
    let want = [
        ("reach.lead_confirmed", ""),
        ("reach.lead_confirmed", ""),
        ("reach.webinar_registration", "registered"),
        ("reach.webinar_registration", "waitlisted"),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(a, b)| ((*a).into(), (*b).into()))
        .collect();
    assert_eq!(heard, want);
}

crate::support::conformance_suite!(
    confirming_a_webinar_gives_a_seat_in_the_same_transaction,
    a_submission_keeps_its_consent_and_mail_but_makes_no_contact,
    confirming_works_once_before_expiry_and_attributes_the_lead,
    withdrawal_export_and_erasure,
    unconfirmed_submissions_are_purged,
);

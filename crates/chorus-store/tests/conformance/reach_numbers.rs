//! Leads in Numbers: a confirmation that makes a new lead is +1 `leads` for the lead's market,
//! its first touch's story and campaign, and each principle the story cites, on the
//! confirmation's local day in the market's zone, in the confirmation's own transaction. A
//! second confirmation of the same person for the same offer keeps the first lead and counts
//! nothing more.

use chorus_core::audit::Author;
use chorus_core::numbers::{Dimension, Grain, Metric};
use chorus_core::reach::attribution::Utm;
use chorus_core::reach::consent::{LegalBasis, email_digest};
use chorus_core::reach::{OfferKind, OfferState};
use chorus_store::reach::{AssetFile, NewConsentText, NewOffer, OfferPage};
use chorus_store::{ConfirmOutcome, ConfirmRequest, NewSubmission, ReachMail, RollupQuery, Store};

use crate::numbers::{principles, world};

fn ms(at: &str) -> i64 {
    at.parse::<jiff::Timestamp>().unwrap().as_millisecond()
}

async fn leads(store: &Store, dim: Dimension) -> Vec<(String, String, i64)> {
    let mut q = RollupQuery::new(dim, Grain::Day);
    q.by_bucket = true;
    q.metrics = vec![Metric::Leads];
    let mut rows: Vec<(String, String, i64)> = store
        .rollups(&q)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.subject, r.bucket.unwrap().to_string(), r.value))
        .collect();
    rows.sort();
    rows
}

fn mail(to: &str) -> ReachMail {
    ReachMail {
        to: to.into(),
        subject: "Confirm".into(),
        text: "Press the button.".into(),
        html: None,
        list_unsubscribe: None,
        one_click: false,
        locale: "en".into(),
    }
}

async fn confirmed_leads_roll_up_on_the_local_day(store: &Store) {
    let author = Author::system("test");
    let ps = principles(store, 701, 2).await;
    // St John's is UTC−2:30 in June: 01:00Z on 2 June is 22:30 on 1 June there.
    let w = world(store, "NF", "America/St_Johns", &[], &author).await;
    let user = crate::support::user(store, "writer@example.com", vec![]).await;
    let w = crate::numbers::World {
        author: Author::user(user, "writer@example.com"),
        ..w
    };
    let (story, _) = w.story(store, true, &ps, &[]).await;
    let offer = store
        .create_offer(
            &author,
            &NewOffer {
                kind: OfferKind::Asset,
                market: w.market,
                slug: "numbers-guide".into(),
                campaign: None,
                state: OfferState::Live,
                fields_json: "[]".into(),
                pages: vec![OfferPage {
                    locale: "en".into(),
                    title: "Guide".into(),
                    description: String::new(),
                }],
                asset: Some(AssetFile {
                    file_name: "g.pdf".into(),
                    content_type: "application/pdf".into(),
                    size_bytes: 1,
                    sha256: "00".repeat(32),
                    storage_key: "assets/g.pdf".into(),
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
            &author,
            &NewConsentText {
                market: w.market,
                locale: "en".into(),
                body: "You may email me.".into(),
                legal_basis: LegalBasis::Consent,
                privacy_url: "https://example.com/p".into(),
            },
        )
        .await
        .unwrap()
        .id;
    let with_story = Utm::from_query(&format!("utm_source=bluesky&utm_content=story-{story}"));
    let direct = Utm::default();
    let mut n = 0;
    let mut sign_up = async |email: &str, utm: &Utm, at: i64| -> ConfirmOutcome {
        n += 1;
        let token = format!("token-{n}");
        store
            .submit(
                NewSubmission {
                    offer,
                    email: email.into(),
                    email_sha256: email_digest(email),
                    name: "Ana".into(),
                    answers_json: "{}".into(),
                    locale: "en".into(),
                    consent_text: consent,
                    form_version: 1,
                    token_sha256: token.clone(),
                    expires_at_ms: at + 3_600_000,
                    ip: "203.0.113.0".into(),
                    user_agent: "Firefox".into(),
                    page_url: "https://chorus.example/r/numbers-guide".into(),
                    utm: utm.clone(),
                    at_ms: at - 60_000,
                },
                {
                    let m = mail(email);
                    move |_| m
                },
            )
            .await
            .unwrap();
        store
            .confirm(
                &ConfirmRequest {
                    token_sha256: &token,
                    at_ms: at,
                    prefs_token_sha256: &format!("prefs-{n}"),
                    ip: "203.0.113.0",
                    user_agent: "Firefox",
                    mail: None,
                },
                &email_digest(email),
            )
            .await
            .unwrap()
    };
    let first = sign_up("ana@example.com", &with_story, ms("2026-06-02T01:00:00Z")).await;
    assert!(matches!(first, ConfirmOutcome::Confirmed(_)));
    // The same person and offer again, a day later: the first lead stays, nothing more counts.
    let again = sign_up("ana@example.com", &with_story, ms("2026-06-03T12:00:00Z")).await;
    assert!(matches!(again, ConfirmOutcome::Confirmed(ref c) if !c.new_lead));
    // Someone who came without a story's link counts for the market only.
    sign_up("bo@example.com", &direct, ms("2026-06-02T12:00:00Z")).await;

    let day1 = "2026-06-01".to_owned();
    let day2 = "2026-06-02".to_owned();
    let m = w.market.0.to_string();
    assert_eq!(
        leads(store, Dimension::Market).await,
        [(m.clone(), day1.clone(), 1), (m, day2, 1)]
    );
    assert_eq!(
        leads(store, Dimension::Story).await,
        [(story.to_string(), day1.clone(), 1)]
    );
    assert_eq!(
        leads(store, Dimension::Campaign).await,
        [(w.campaign.to_string(), day1.clone(), 1)]
    );
    let mut by_principle = vec![
        (ps[0].to_string(), day1.clone(), 1),
        (ps[1].to_string(), day1.clone(), 1),
    ];
    by_principle.sort();
    assert_eq!(leads(store, Dimension::Principle).await, by_principle);
    // Not a post's, an account's or a network's.
    assert!(leads(store, Dimension::Post).await.is_empty());
    assert!(leads(store, Dimension::Network).await.is_empty());
    // The month bucket holds both.
    let mut q = RollupQuery::new(Dimension::Market, Grain::Month);
    q.metrics = vec![Metric::Leads];
    let total: i64 = store
        .rollups(&q)
        .await
        .unwrap()
        .iter()
        .map(|r| r.value)
        .sum();
    assert_eq!(total, 2);
}

crate::support::conformance_suite!(confirmed_leads_roll_up_on_the_local_day);

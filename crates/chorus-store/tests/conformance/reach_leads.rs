//! Reach leads as staff read them: the list with every filter, keyset paging and counts, the
//! groupings of the overview, each offer's figures from the ledger, and one lead with its
//! principles, touches and consent history.
//!
//! The rows are written here with plain SQL on a second connection, because the store writes
//! leads only through the public double opt-in (another module's); what these tests check is the
//! reading, against rows whose every column is known.

use chorus_core::audit::Author;
use chorus_core::reach::consent::LegalBasis;
use chorus_core::reach::{ConsentEvent, OfferKind, OfferState};
use chorus_core::{LeadId, MarketId, OfferId, PrincipleId};
use chorus_store::reach::{AssetFile, LeadFilter, LeadGroup, NewConsentText, NewOffer, OfferPage};
use chorus_store::{DatabaseUrl, Store};
use sqlx::{AnyConnection, Connection};

use crate::numbers::{principles, world};

async fn raw(store: &Store) -> AnyConnection {
    let url = match store.url() {
        DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
        DatabaseUrl::Postgres(url) => url.clone(),
    };
    AnyConnection::connect(&url).await.unwrap()
}

async fn offer(store: &Store, market: MarketId, slug: &str, campaign: Option<i64>) -> OfferId {
    store
        .create_offer(
            &Author::system("test"),
            &NewOffer {
                kind: OfferKind::Asset,
                market,
                slug: slug.into(),
                campaign,
                state: OfferState::Live,
                fields_json: "[]".into(),
                pages: vec![
                    OfferPage {
                        locale: "fi".into(),
                        title: format!("{slug} (fi)"),
                        description: String::new(),
                    },
                    OfferPage {
                        locale: "en".into(),
                        title: format!("{slug} (en)"),
                        description: String::new(),
                    },
                ],
                asset: Some(AssetFile {
                    file_name: "a.pdf".into(),
                    content_type: "application/pdf".into(),
                    size_bytes: 10,
                    sha256: "00".repeat(32),
                    storage_key: format!("assets/{slug}.pdf"),
                    cover_key: None,
                    cover_type: None,
                }),
                webinar: None,
            },
        )
        .await
        .unwrap()
        .id
}

/// What one seeded lead is.
struct Seed<'a> {
    email: &'a str,
    offer: OfferId,
    market: MarketId,
    story: Option<i64>,
    campaign: Option<i64>,
    confirmed_at: i64,
    withdrawn_at: Option<i64>,
}

/// Writes a submission (confirmed), the contact (if new), the lead and the ledger's submitted
/// and confirmed rows, as the opt-in does; returns the lead's id.
async fn seed(c: &mut AnyConnection, text: i64, s: &Seed<'_>) -> LeadId {
    let hash = chorus_core::reach::consent::email_digest(s.email);
    let sub: i64 = sqlx::query_scalar(
        "INSERT INTO reach_submissions (offer_id, email, name, answers, locale, consent_text_id, \
         form_version, token_sha256, expires_at, state, confirmed_at, ip, user_agent, page_url, \
         utm_source, utm_medium, utm_campaign, utm_content, story_id, created_at) VALUES \
         ($1, $2, $3, '{}', 'fi', $4, 1, $5, $6, 'confirmed', $7, '192.168.1.0', 'Firefox', \
         'https://example.com/r/x', 'bluesky', 'social', 'spring', $8, $9, $10) RETURNING id",
    )
    .bind(s.offer.0)
    .bind(s.email)
    .bind(format!("Name of {}", s.email))
    .bind(text)
    .bind(format!("tok-{}-{}", s.email, s.offer.0))
    .bind(s.confirmed_at + 1000)
    .bind(s.confirmed_at)
    .bind(s.story.map(|id| format!("story-{id}")))
    .bind(s.story)
    .bind(s.confirmed_at - 60_000)
    .fetch_one(&mut *c)
    .await
    .unwrap();
    let existing: Option<i64> =
        sqlx::query_scalar("SELECT id FROM reach_contacts WHERE email = $1")
            .bind(s.email)
            .fetch_optional(&mut *c)
            .await
            .unwrap();
    let contact = match existing {
        Some(id) => id,
        None => sqlx::query_scalar(
            "INSERT INTO reach_contacts (email, email_sha256, name, prefs_token_sha256, \
             created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(s.email)
        .bind(&hash)
        .bind(format!("Name of {}", s.email))
        .bind(format!("prefs-{}", s.email))
        .bind(s.confirmed_at)
        .fetch_one(&mut *c)
        .await
        .unwrap(),
    };
    let lead: i64 = sqlx::query_scalar(
        "INSERT INTO reach_leads (contact_id, offer_id, market_id, submission_id, story_id, \
         campaign_id, utm_source, utm_medium, utm_campaign, utm_content, confirmed_at, \
         withdrawn_at) VALUES ($1, $2, $3, $4, $5, $6, 'bluesky', 'social', 'spring', $7, $8, $9) \
         RETURNING id",
    )
    .bind(contact)
    .bind(s.offer.0)
    .bind(s.market.0)
    .bind(sub)
    .bind(s.story)
    .bind(s.campaign)
    .bind(s.story.map(|id| format!("story-{id}")))
    .bind(s.confirmed_at)
    .bind(s.withdrawn_at)
    .fetch_one(&mut *c)
    .await
    .unwrap();
    for (event, at) in [
        ("submitted", s.confirmed_at - 60_000),
        ("confirmed", s.confirmed_at),
    ] {
        sqlx::query(
            "INSERT INTO reach_consent_events (event, at, email_sha256, contact_id, \
             submission_id, offer_id, market_id, consent_text_id, consent_text, consent_sha256, \
             legal_basis, form_version, locale, ip, user_agent, page_url, utm) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, 'Saa lähettää.', 'abc', 'consent', 1, 'fi', \
             '192.168.1.0', 'Firefox', 'https://example.com/r/x', '{}')",
        )
        .bind(event)
        .bind(at)
        .bind(&hash)
        .bind(contact)
        .bind(sub)
        .bind(s.offer.0)
        .bind(s.market.0)
        .bind(text)
        .execute(&mut *c)
        .await
        .unwrap();
    }
    LeadId(lead)
}

async fn leads_are_listed_filtered_counted_and_detailed(store: &Store) {
    let author = Author::system("test");
    let ps = principles(store, 501, 2).await;
    let fi = world(store, "FI", "Europe/Helsinki", &[], &author).await;
    let se = world(store, "SE", "Europe/Stockholm", &[], &author).await;
    let user = crate::support::user(store, "writer@example.com", vec![]).await;
    let writer = Author::user(user, "writer@example.com");
    let fi = crate::numbers::World {
        author: writer.clone(),
        ..fi
    };
    let (story, _) = fi.story(store, true, &ps[..1], &[]).await;
    let (other_story, _) = fi.story(store, false, &ps, &[]).await;
    let paper = offer(store, fi.market, "paper", Some(fi.campaign)).await;
    let guide = offer(store, fi.market, "guide", None).await;
    let swedish = offer(store, se.market, "svensk", None).await;
    let text = store
        .create_consent_text(
            &author,
            &NewConsentText {
                market: fi.market,
                locale: "fi".into(),
                body: "Saa lähettää.".into(),
                legal_basis: LegalBasis::Consent,
                privacy_url: "https://example.com/privacy".into(),
            },
        )
        .await
        .unwrap();
    let mut c = raw(store).await;
    let t0 = 1_780_000_000_000_i64;
    let seeds = [
        (
            "anna@example.com",
            paper,
            fi.market,
            Some(story),
            Some(fi.campaign),
            t0,
            None,
        ),
        (
            "bo@example.com",
            paper,
            fi.market,
            Some(other_story),
            Some(fi.campaign),
            t0 + 10,
            Some(t0 + 99),
        ),
        (
            "anna@example.com",
            guide,
            fi.market,
            Some(story),
            None,
            t0 + 20,
            None,
        ),
        (
            "cid@example.com",
            guide,
            fi.market,
            None,
            None,
            t0 + 20,
            None,
        ),
        (
            "sven@example.com",
            swedish,
            se.market,
            None,
            None,
            t0 + 30,
            None,
        ),
    ];
    let mut ids = Vec::new();
    for (email, offer, market, story, campaign, confirmed_at, withdrawn_at) in seeds {
        let seed_row = Seed {
            email,
            offer,
            market,
            story,
            campaign,
            confirmed_at,
            withdrawn_at,
        };
        ids.push(seed(&mut c, text.id.0, &seed_row).await);
    }
    c.close().await.unwrap();

    let emails = |rows: &[chorus_store::reach::LeadRow]| -> Vec<String> {
        rows.iter().map(|r| r.email.clone().unwrap()).collect()
    };
    // Every lead, newest first; ties on the instant by id, newest first.
    let all = store.leads(&LeadFilter::default(), 50).await.unwrap();
    assert_eq!(
        emails(&all),
        [
            "sven@example.com",
            "cid@example.com",
            "anna@example.com",
            "bo@example.com",
            "anna@example.com"
        ]
    );
    let first = &all[4];
    assert_eq!(
        first.offer_title, "paper (en)",
        "the English page names the offer"
    );
    assert_eq!(first.market_code, "FI");
    assert_eq!(first.story_title.as_deref(), Some("Numbers"));
    assert_eq!(first.campaign_name.as_deref(), Some("Campaign FI"));
    assert_eq!(first.utm_source.as_deref(), Some("bluesky"));

    // Visibility and every filter.
    let only_fi = LeadFilter {
        markets: Some(vec![fi.market]),
        ..LeadFilter::default()
    };
    assert_eq!(store.leads(&only_fi, 50).await.unwrap().len(), 4);
    let none = LeadFilter {
        markets: Some(vec![]),
        ..LeadFilter::default()
    };
    assert!(store.leads(&none, 50).await.unwrap().is_empty());
    assert_eq!(store.lead_counts(&none).await.unwrap().total, 0);
    let by = |f: LeadFilter| async move { emails(&store.leads(&f, 50).await.unwrap()) };
    assert_eq!(
        by(LeadFilter {
            offer: Some(guide),
            ..Default::default()
        })
        .await,
        ["cid@example.com", "anna@example.com"]
    );
    assert_eq!(
        by(LeadFilter {
            story: Some(story),
            ..Default::default()
        })
        .await,
        ["anna@example.com", "anna@example.com"]
    );
    assert_eq!(
        by(LeadFilter {
            campaign: Some(fi.campaign),
            ..Default::default()
        })
        .await,
        ["bo@example.com", "anna@example.com"]
    );
    // The second principle is cited by the other story only.
    assert_eq!(
        by(LeadFilter {
            principle: Some(PrincipleId(ps[1])),
            ..Default::default()
        })
        .await,
        ["bo@example.com"]
    );
    assert_eq!(
        by(LeadFilter {
            confirmed_from_ms: Some(t0 + 10),
            confirmed_to_ms: Some(t0 + 20),
            ..Default::default()
        })
        .await,
        ["bo@example.com"]
    );
    assert_eq!(
        by(LeadFilter {
            withdrawn: Some(true),
            ..Default::default()
        })
        .await,
        ["bo@example.com"]
    );
    assert_eq!(
        by(LeadFilter {
            withdrawn: Some(false),
            search: Some("ANNA".into()),
            ..Default::default()
        })
        .await,
        ["anna@example.com", "anna@example.com"]
    );
    // A search is text, not a pattern.
    assert!(
        by(LeadFilter {
            search: Some("%".into()),
            ..Default::default()
        })
        .await
        .is_empty()
    );

    // Keyset paging: two pages of two, then the last one, none repeated.
    let mut seen = Vec::new();
    let mut filter = LeadFilter::default();
    loop {
        let page = store.leads(&filter, 2).await.unwrap();
        if page.is_empty() {
            break;
        }
        let last = page.last().unwrap();
        filter.before = Some((last.confirmed_at_ms, last.id));
        seen.extend(page.iter().map(|r| r.id));
    }
    assert_eq!(seen, all.iter().map(|r| r.id).collect::<Vec<_>>());

    let counts = store.lead_counts(&only_fi).await.unwrap();
    assert_eq!((counts.total, counts.withdrawn), (4, 1));

    // Groupings for the overview.
    let groups = store.lead_groups(&only_fi, LeadGroup::Story).await.unwrap();
    let got: Vec<(Option<i64>, i64)> = groups.iter().map(|g| (g.id, g.leads)).collect();
    assert_eq!(got, [(Some(story), 2), (Some(other_story), 1), (None, 1)]);
    let groups = store
        .lead_groups(&LeadFilter::default(), LeadGroup::Market)
        .await
        .unwrap();
    assert_eq!(groups[0].label.as_deref(), Some("FI"));
    assert_eq!((groups[0].leads, groups[0].withdrawn), (4, 1));
    let groups = store
        .lead_groups(&only_fi, LeadGroup::Principle)
        .await
        .unwrap();
    let first_principle = groups.iter().find(|g| g.id == Some(ps[0])).unwrap();
    assert_eq!(
        first_principle.leads, 3,
        "both stories cite the first principle"
    );
    assert_eq!(
        store
            .lead_groups(&only_fi, LeadGroup::Campaign)
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        store
            .lead_groups(&only_fi, LeadGroup::Offer)
            .await
            .unwrap()
            .len(),
        2
    );

    // Each offer's figures, from the ledger and the leads.
    let figures = store.offer_counts(Some(&[fi.market])).await.unwrap();
    assert_eq!(figures.len(), 2);
    let p = figures.iter().find(|f| f.offer == paper).unwrap();
    assert_eq!(
        (p.submissions, p.confirmations, p.leads, p.withdrawn),
        (2, 2, 2, 1)
    );
    assert_eq!(store.offer_counts(None).await.unwrap().len(), 3);
    assert!(store.offer_counts(Some(&[])).await.unwrap().is_empty());

    // One lead: its story's principle, both of Anna's submissions as touches, and her ledger
    // rows for both offers, oldest first (she sent the second form before confirming the
    // first), with the consent text's version.
    let detail = store.lead(ids[0]).await.unwrap().unwrap();
    assert_eq!(detail.lead.email.as_deref(), Some("anna@example.com"));
    assert_eq!(detail.principles.len(), 1);
    assert_eq!(detail.principles[0].number, 501);
    assert_eq!(detail.touches.len(), 2);
    assert_eq!(detail.touches[0].offer, paper);
    assert_eq!(detail.touches[1].offer, guide);
    assert_eq!(detail.touches[0].story_title.as_deref(), Some("Numbers"));
    let events: Vec<(ConsentEvent, Option<i64>)> = detail
        .consent
        .iter()
        .map(|e| (e.event, e.consent_version))
        .collect();
    assert_eq!(
        events,
        [
            (ConsentEvent::Submitted, Some(1)),
            (ConsentEvent::Submitted, Some(1)),
            (ConsentEvent::Confirmed, Some(1)),
            (ConsentEvent::Confirmed, Some(1)),
        ]
    );
    assert_eq!(detail.consent[1].ip.as_deref(), Some("192.168.1.0"));
    assert_eq!(detail.consent[1].market_code.as_deref(), Some("FI"));
    assert_eq!(detail.erased_at_ms, None);
    assert!(store.lead(LeadId(999_999)).await.unwrap().is_none());
}

crate::support::conformance_suite!(leads_are_listed_filtered_counted_and_detailed);

//! Webinar seats: capacity and the waitlist (in order), promotion when a seat frees in the same
//! transaction as the cancellation, what a seat's mails need, and reminders due.
//!
//! People reach a webinar through the public double opt-in (optin20's flow); until that flow's
//! store functions are in this suite, [`lead`] writes a confirmed contact, submission and lead
//! with plain SQL, as a confirmation would leave them.

use chorus_core::audit::Author;
use chorus_core::reach::consent::LegalBasis;
use chorus_core::reach::{OfferKind, OfferState, RegistrationState};
use chorus_core::{LeadId, MarketId, OfferId};
use chorus_store::reach::{NewConsentText, NewOffer, OfferPage, Webinar};
use chorus_store::{DatabaseUrl, Store};
use sqlx::{Connection, Row};

use crate::support::finland_with_account;

/// A raw connection to the store's database, for fixtures no store method writes yet.
pub async fn raw(store: &Store) -> sqlx::AnyConnection {
    let url = match store.url() {
        DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
        DatabaseUrl::Postgres(url) => url.clone(),
    };
    sqlx::AnyConnection::connect(&url).await.unwrap()
}

/// A live webinar in `market` with `capacity`, starting at `starts_at`.
pub async fn webinar(
    store: &Store,
    market: MarketId,
    slug: &str,
    capacity: Option<i64>,
    starts_at: jiff::Timestamp,
) -> OfferId {
    let page = |locale: &str, title: &str| OfferPage {
        locale: locale.into(),
        title: title.into(),
        description: format!("About {title}"),
    };
    store
        .create_offer(
            &Author::system("test"),
            &NewOffer {
                kind: OfferKind::Webinar,
                market,
                slug: slug.into(),
                campaign: None,
                state: OfferState::Live,
                fields_json: "[]".into(),
                pages: vec![page("en", "Listening at scale"), page("fi", "Kuuntelu")],
                asset: None,
                webinar: Some(Webinar {
                    starts_at,
                    duration_minutes: 60,
                    time_zone: "Europe/Helsinki".into(),
                    capacity,
                    join_url: "https://meet.example.com/abc".into(),
                    sequence: 0,
                    cancelled_at: None,
                }),
            },
        )
        .await
        .unwrap()
        .id
}

/// A confirmed lead of `email` for `offer` (contact, confirmed submission, lead), written as a
/// confirmation leaves them.
pub async fn lead(store: &Store, offer: OfferId, email: &str, locale: &str) -> LeadId {
    let o = store.offer(offer).await.unwrap().unwrap();
    let text = match store.current_consent_text(o.market, "en").await.unwrap() {
        Some(t) => t,
        None => store
            .create_consent_text(
                &Author::system("test"),
                &NewConsentText {
                    market: o.market,
                    locale: "en".into(),
                    body: "I agree.".into(),
                    legal_basis: LegalBasis::Consent,
                    privacy_url: "https://example.com/privacy".into(),
                },
            )
            .await
            .unwrap(),
    };
    let mut c = raw(store).await;
    let now = chorus_store::now_ms();
    let contact: i64 = sqlx::query(
        "INSERT INTO reach_contacts (email, email_sha256, name, prefs_token_sha256, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(email)
    .bind(format!("sha-{email}"))
    .bind(format!("Name of {email}"))
    .bind(format!("prefs-{email}"))
    .bind(now)
    .fetch_one(&mut c)
    .await
    .unwrap()
    .get("id");
    let submission: i64 = sqlx::query(
        "INSERT INTO reach_submissions (offer_id, email, name, locale, consent_text_id, \
         form_version, token_sha256, expires_at, state, confirmed_at, ip, user_agent, page_url, \
         created_at) VALUES ($1, $2, $3, $4, $5, 1, $6, $7, 'confirmed', $7, '192.0.2.0', \
         'test', 'https://chorus.example/o/x', $7) RETURNING id",
    )
    .bind(offer.0)
    .bind(email)
    .bind(format!("Name of {email}"))
    .bind(locale)
    .bind(text.id.0)
    .bind(format!("token-{email}-{offer:?}"))
    .bind(now)
    .fetch_one(&mut c)
    .await
    .unwrap()
    .get("id");
    let lead: i64 = sqlx::query(
        "INSERT INTO reach_leads (contact_id, offer_id, market_id, submission_id, confirmed_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(contact)
    .bind(offer.0)
    .bind(o.market.0)
    .bind(submission)
    .bind(now)
    .fetch_one(&mut c)
    .await
    .unwrap()
    .get("id");
    c.close().await.unwrap();
    LeadId(lead)
}

fn at(s: &str) -> jiff::Timestamp {
    s.parse().unwrap()
}

async fn capacity_two_seats_two_and_waitlists_the_third(store: &Store) {
    let (fi, _) = finland_with_account(store).await;
    let w = webinar(store, fi, "cap-two", Some(2), at("2027-01-20T13:00:00Z")).await;
    let now = at("2026-12-01T10:00:00Z");
    let mut seats = Vec::new();
    for (i, email) in ["a@example.com", "b@example.com", "c@example.com"]
        .iter()
        .enumerate()
    {
        let l = lead(store, w, email, if i == 2 { "fi-FI" } else { "en" }).await;
        seats.push((l, store.seat_registration(w, l, now).await.unwrap()));
    }
    let states: Vec<_> = seats.iter().map(|(_, (_, s))| *s).collect();
    assert_eq!(
        states,
        [
            RegistrationState::Registered,
            RegistrationState::Registered,
            RegistrationState::Waitlisted
        ]
    );
    // A second confirmation of the same lead keeps its seat.
    let (lead_a, (reg_a, _)) = seats[0];
    assert_eq!(
        store.seat_registration(w, lead_a, now).await.unwrap(),
        (reg_a, RegistrationState::Registered)
    );

    let n = store
        .registration_notice(seats[2].1.0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(n.state, RegistrationState::Waitlisted);
    assert_eq!(n.email.as_deref(), Some("c@example.com"));
    assert_eq!(n.locale, "fi-FI");
    assert_eq!(n.title, "Kuuntelu", "the page in the person's language");
    assert_eq!((n.time_zone.as_str(), n.sequence), ("Europe/Helsinki", 0));
    assert!(n.uid.ends_with("@chorus") && n.uid.len() > 30);
    let token = n.cancel_token.clone().unwrap();
    assert_eq!(token.len(), 32);
    let by_token = store
        .registration_by_cancel_token(&token)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_token, n);
    assert!(
        store
            .registration_by_cancel_token("nope")
            .await
            .unwrap()
            .is_none()
    );
    let other = store.registration_notice(reg_a).await.unwrap().unwrap();
    assert_ne!(other.uid, n.uid);
    assert_ne!(other.cancel_token, n.cancel_token);
    assert_eq!(other.title, "Listening at scale");
}

async fn no_limit_seats_everyone_and_an_asset_has_no_seats(store: &Store) {
    let (fi, _) = finland_with_account(store).await;
    let w = webinar(store, fi, "open", None, at("2027-01-20T13:00:00Z")).await;
    for i in 0..5 {
        let l = lead(store, w, &format!("p{i}@example.com"), "en").await;
        let (_, s) = store
            .seat_registration(w, l, at("2026-12-01T10:00:00Z"))
            .await
            .unwrap();
        assert_eq!(s, RegistrationState::Registered);
    }
    let mut c = raw(store).await;
    let asset: i64 = sqlx::query(
        "INSERT INTO reach_offers (kind, market_id, slug, state, created_at, updated_at) \
         VALUES ('asset', $1, 'paper', 'live', 0, 0) RETURNING id",
    )
    .bind(fi.0)
    .fetch_one(&mut c)
    .await
    .unwrap()
    .get("id");
    let l = lead(store, OfferId(asset), "z@example.com", "en").await;
    let err = store
        .seat_registration(OfferId(asset), l, at("2026-12-01T10:00:00Z"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, chorus_store::StoreError::NotFound { what: "webinar" }),
        "{err:?}"
    );
}

crate::support::conformance_suite!(
    capacity_two_seats_two_and_waitlists_the_third,
    no_limit_seats_everyone_and_an_asset_has_no_seats,
);

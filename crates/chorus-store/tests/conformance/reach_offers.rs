//! Reach's base: offers (with pages, an asset file or a webinar) and consent texts, versioned
//! per market and locale; every change audited.

use chorus_core::audit::Author;
use chorus_core::reach::consent::{LegalBasis, digest};
use chorus_core::reach::{OfferKind, OfferState};
use chorus_core::{MarketId, OfferId};
use chorus_store::reach::{AssetFile, NewConsentText, NewOffer, OfferFilter, OfferPage, Webinar};
use chorus_store::{AuditQuery, Store, StoreError};

use crate::support::finland_with_account;

fn page(locale: &str, title: &str) -> OfferPage {
    OfferPage {
        locale: locale.into(),
        title: title.into(),
        description: format!("About {title}"),
    }
}

fn asset_offer(market: MarketId, slug: &str) -> NewOffer {
    NewOffer {
        kind: OfferKind::Asset,
        market,
        slug: slug.into(),
        campaign: None,
        state: OfferState::Draft,
        fields_json: "[]".into(),
        pages: vec![page("en", "The paper"), page("fi", "Paperi")],
        asset: Some(AssetFile {
            file_name: "paper.pdf".into(),
            content_type: "application/pdf".into(),
            size_bytes: 1234,
            sha256: "ab".repeat(32),
            storage_key: "assets/abab.pdf".into(),
            cover_key: None,
            cover_type: None,
        }),
        webinar: None,
    }
}

async fn offers_are_created_listed_and_changed_with_audit(store: &Store) {
    let (fi, _) = finland_with_account(store).await;
    let sys = Author::system("test");
    let asset = store
        .create_offer(&sys, &asset_offer(fi, "the-paper"))
        .await
        .unwrap();
    assert_eq!(
        (asset.kind, asset.state),
        (OfferKind::Asset, OfferState::Draft)
    );
    assert_eq!(asset.form_version, 1);
    assert_eq!(asset.asset.as_ref().unwrap().file_name, "paper.pdf");
    assert_eq!(asset.pages.len(), 2);
    assert_eq!(asset.page("fi-FI").unwrap().title, "Paperi");
    assert_eq!(asset.page("sv").unwrap().title, "The paper");

    let starts_at: jiff::Timestamp = "2027-01-20T12:00:00Z".parse().unwrap();
    let webinar = store
        .create_offer(
            &sys,
            &NewOffer {
                kind: OfferKind::Webinar,
                slug: "live-demo".into(),
                asset: None,
                webinar: Some(Webinar {
                    starts_at,
                    duration_minutes: 45,
                    time_zone: "Europe/Helsinki".into(),
                    capacity: Some(2),
                    join_url: "https://meet.example.com/x".into(),
                    sequence: 0,
                    cancelled_at: None,
                }),
                ..asset_offer(fi, "unused")
            },
        )
        .await
        .unwrap();
    let w = webinar.webinar.as_ref().unwrap();
    assert_eq!(
        (w.starts_at, w.capacity, w.sequence),
        (starts_at, Some(2), 0)
    );
    assert!(webinar.asset.is_none());

    // A slug is one landing page.
    let taken = store
        .create_offer(&sys, &asset_offer(fi, "the-paper"))
        .await
        .unwrap_err();
    assert!(
        matches!(taken, StoreError::AlreadyExists { field: "slug", .. }),
        "{taken:?}"
    );

    assert_eq!(store.offer(asset.id).await.unwrap().unwrap(), asset);
    assert_eq!(
        store.offer_by_slug("live-demo").await.unwrap().unwrap(),
        webinar
    );
    assert!(store.offer_by_slug("nope").await.unwrap().is_none());
    let all = store.offers(&OfferFilter::default()).await.unwrap();
    assert_eq!(all.len(), 2);
    let webinars = store
        .offers(&OfferFilter {
            markets: Some(vec![fi]),
            kind: Some(OfferKind::Webinar),
        })
        .await
        .unwrap();
    assert_eq!(webinars, vec![webinar.clone()]);
    let none = store
        .offers(&OfferFilter {
            markets: Some(vec![]),
            kind: None,
        })
        .await
        .unwrap();
    assert!(none.is_empty());

    let live = store
        .set_offer_state(&sys, asset.id, OfferState::Live)
        .await
        .unwrap();
    assert_eq!(live.state, OfferState::Live);
    let repaged = store
        .set_offer_pages(&sys, asset.id, &[page("en", "The new paper")])
        .await
        .unwrap();
    assert_eq!(repaged.pages, vec![page("en", "The new paper")]);
    let fields = r#"[{"key":"company","label":"Company","kind":"text","required":true}]"#;
    let v2 = store
        .set_offer_fields(&sys, asset.id, fields)
        .await
        .unwrap();
    assert_eq!((v2.form_version, v2.fields_json.as_str()), (2, fields));
    // The same fields again are no new form version.
    let same = store
        .set_offer_fields(&sys, asset.id, fields)
        .await
        .unwrap();
    assert_eq!(same.form_version, 2);
    let missing = store
        .set_offer_state(&sys, OfferId(9999), OfferState::Live)
        .await
        .unwrap_err();
    assert!(
        matches!(missing, StoreError::NotFound { .. }),
        "{missing:?}"
    );

    let log = store.audit_entries(&AuditQuery::default()).await.unwrap();
    let actions: Vec<&str> = log
        .iter()
        .filter(|e| e.subject_type == "offer")
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(
        actions.iter().filter(|a| **a == "offer.create").count(),
        2,
        "{actions:?}"
    );
    assert!(actions.contains(&"offer.state"));
    assert_eq!(actions.iter().filter(|a| **a == "offer.update").count(), 3);
}

async fn consent_texts_are_versioned_never_changed(store: &Store) {
    let (fi, _) = finland_with_account(store).await;
    let sys = Author::system("test");
    let text = |locale: &str, body: &str| NewConsentText {
        market: fi,
        locale: locale.into(),
        body: body.into(),
        legal_basis: LegalBasis::Consent,
        privacy_url: "https://example.com/privacy".into(),
    };
    assert!(
        store
            .current_consent_text(fi, "en")
            .await
            .unwrap()
            .is_none()
    );
    let v1 = store
        .create_consent_text(&sys, &text("en", "I agree to hear from Northwind."))
        .await
        .unwrap();
    let v2 = store
        .create_consent_text(
            &sys,
            &text("en", "I agree to hear from Northwind by email."),
        )
        .await
        .unwrap();
    let fi1 = store
        .create_consent_text(&sys, &text("fi", "Hyväksyn."))
        .await
        .unwrap();
    assert_eq!((v1.version, v2.version, fi1.version), (1, 2, 1));
    assert_eq!(
        v2.sha256,
        digest("I agree to hear from Northwind by email.")
    );
    assert_eq!(store.consent_text(v1.id).await.unwrap().unwrap(), v1);

    // The visitor's locale, then its language, then the market's latest.
    let pick = |l: &'static str| async move {
        store.current_consent_text(fi, l).await.unwrap().unwrap().id
    };
    assert_eq!(pick("en").await, v2.id);
    assert_eq!(pick("en-GB").await, v2.id);
    assert_eq!(pick("fi-FI").await, fi1.id);
    assert_eq!(pick("sv").await, fi1.id);

    let all = store.consent_texts(Some(&[fi])).await.unwrap();
    assert_eq!(
        all.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![v2.id, v1.id, fi1.id]
    );
    assert_eq!(store.consent_texts(None).await.unwrap().len(), 3);
    assert!(store.consent_texts(Some(&[])).await.unwrap().is_empty());
}

crate::support::conformance_suite!(
    offers_are_created_listed_and_changed_with_audit,
    consent_texts_are_versioned_never_changed,
);

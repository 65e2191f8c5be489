//! Reach for staff, the JSON API and the page posts: offers (seen by those who manage Reach or
//! read leads in their market, changed by those who manage it), consent texts, gated asset
//! uploads, and leads — personal data, read only with `ReadLeads` in the lead's market (a
//! contributor or another market's lead gets nothing: 403 for the list, 404 for a lead).
//!
//! Offers are titled `OFFER-BR`/`OFFER-JP` and leads named `LEAD-BR`/`LEAD-JP`, so an answer
//! that shows one to someone who may not see it is caught by the harness's leak check.

use chorus_core::OfferId;
use chorus_core::reach::consent::LegalBasis;
use chorus_core::reach::{OfferKind, OfferState};
use chorus_store::reach::{AssetFile, NewConsentText, NewOffer, OfferPage};
use reqwest::Method;
use serde_json::json;

use super::harness::{Body, Case, Req, Sweep, Via, form, get, post};
use super::model::{MARKETS, Mkt, Persona, Place, Power, Want, collection, guard};
use super::world::{World, sys};

pub const ROUTES: &[&str] = &[
    "GET /api/v1/reach/offers",
    "GET /api/v1/reach/offers/{id}",
    "POST /api/v1/reach/offers/{id}/state",
    "POST /api/v1/reach/assets",
    "GET /api/v1/reach/consent-texts",
    "POST /api/v1/reach/consent-texts",
    "GET /api/v1/reach/leads",
    "GET /api/v1/reach/leads.csv",
    "GET /api/v1/reach/leads/{id}",
    "POST /reach/assets",
    "POST /reach/assets/{id}",
    "POST /reach/offers/{id}/state",
    "POST /reach/consent",
    "POST /reach/leads/{id}/export",
    "POST /reach/leads/{id}/erase",
];

fn sees_offers(p: &Persona, m: Mkt) -> bool {
    p.can(Power::ManageReach, m) || p.can(Power::ReadLeads, m)
}

/// A draft gated asset of `m` named `OFFER-<code>`.
pub async fn offer(w: &World, m: Mkt) -> OfferId {
    let n = w.next();
    let code = m.code();
    w.app
        .store
        .create_offer(
            &sys(),
            &NewOffer {
                kind: OfferKind::Asset,
                market: w.id(m),
                slug: format!("offer-{}-{n}", code.to_lowercase()),
                campaign: None,
                state: OfferState::Draft,
                fields_json: "[]".into(),
                pages: vec![OfferPage {
                    locale: "en".into(),
                    title: format!("OFFER-{code} report {n}"),
                    description: String::new(),
                }],
                asset: Some(AssetFile {
                    file_name: "a.pdf".into(),
                    content_type: "application/pdf".into(),
                    size_bytes: 10,
                    sha256: "00".repeat(32),
                    storage_key: format!("assets/{}.pdf", "0".repeat(64)),
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

/// A confirmed lead of `m` (contact `LEAD-<code>`), written as the opt-in writes one; its id.
fn lead(w: &World, m: Mkt, offer: OfferId, text: i64) -> i64 {
    let db = rusqlite::Connection::open(w.app.db_path()).unwrap();
    db.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
    let n = w.next();
    let email = format!("lead-{}-{n}@people.test", m.code().to_lowercase());
    let name = format!("LEAD-{} person {n}", m.code());
    db.execute(
        "INSERT INTO reach_submissions (offer_id, email, name, locale, consent_text_id, \
         form_version, token_sha256, expires_at, state, confirmed_at, ip, user_agent, page_url, \
         created_at) VALUES (?1, ?2, ?3, 'en', ?4, 1, ?5, 0, 'confirmed', 1, '10.0.0.0', 'ua', \
         'https://x.test/r/x', 1)",
        rusqlite::params![offer.0, email, name, text, format!("tok-{n}")],
    )
    .unwrap();
    let submission = db.last_insert_rowid();
    db.execute(
        "INSERT INTO reach_contacts (email, email_sha256, name, prefs_token_sha256, created_at) \
         VALUES (?1, ?2, ?3, ?4, 1)",
        rusqlite::params![email, format!("sha-{n}"), name, format!("prefs-{n}")],
    )
    .unwrap();
    let contact = db.last_insert_rowid();
    db.execute(
        "INSERT INTO reach_leads (contact_id, offer_id, market_id, submission_id, confirmed_at) \
         VALUES (?1, ?2, ?3, ?4, 1)",
        rusqlite::params![contact, offer.0, w.id(m).0, submission],
    )
    .unwrap();
    db.last_insert_rowid()
}

/// A fresh lead of `m` (with its own consent text and offer), for cases that change it.
pub async fn fresh_lead(w: &World, m: Mkt) -> i64 {
    let text = w
        .app
        .store
        .create_consent_text(
            &sys(),
            &NewConsentText {
                market: w.id(m),
                locale: "en".into(),
                body: "You may email me.".into(),
                legal_basis: LegalBasis::Consent,
                privacy_url: "https://x.test/privacy".into(),
            },
        )
        .await
        .unwrap();
    let o = offer(w, m).await;
    lead(w, m, o, text.id.0)
}

/// Each market's consent text (an offer goes live only with one), a live offer with a lead.
async fn seed(w: &World) -> [(OfferId, i64); 2] {
    let mut out = [(OfferId(0), 0); 2];
    for (i, m) in MARKETS.into_iter().enumerate() {
        let text = w
            .app
            .store
            .create_consent_text(
                &sys(),
                &NewConsentText {
                    market: w.id(m),
                    locale: "en".into(),
                    body: "You may email me.".into(),
                    legal_basis: LegalBasis::Consent,
                    privacy_url: "https://x.test/privacy".into(),
                },
            )
            .await
            .unwrap();
        let o = offer(w, m).await;
        out[i] = (o, lead(w, m, o, text.id.0));
    }
    out
}

/// The request for a new gated asset in `m` (API or page).
fn asset_form(via: Via, path: &str, m: Mkt, n: u32) -> Req {
    let fields = vec![
        ("market".to_owned(), m.code().to_owned()),
        (
            "slug".to_owned(),
            format!("new-{}-{n}", m.code().to_lowercase()),
        ),
        (
            "pages".to_owned(),
            json!([{"locale": "en", "title": "New report"}]).to_string(),
        ),
        ("pages[0].locale".to_owned(), "en".to_owned()),
        ("pages[0].title".to_owned(), "New report".to_owned()),
    ];
    Req {
        via,
        method: Method::POST,
        path: path.to_owned(),
        body: Body::Asset { fields },
        session: None,
    }
}

/// Making something in a market named by code: someone who manages Reach nowhere is refused as
/// such (403); a market they do not see is "no market" (422); one they see but may not manage,
/// 403.
fn make_in(p: &Persona, m: Mkt, ok: Want) -> Want {
    if !p.can_in_any(Power::ManageReach, &MARKETS) {
        Want::No(403)
    } else if !sees_offers(p, m) {
        Want::No(422)
    } else if !p.can(Power::ManageReach, m) {
        Want::No(403)
    } else {
        ok
    }
}

pub async fn run(w: &World, sw: &mut Sweep) {
    let seeded = seed(w).await;
    let own_and_other = [(Place::Own, Mkt::Br), (Place::Other, Mkt::Jp)];

    // Lists: everyone gets the offers and consent texts of the markets they see (none: an
    // empty list).
    for route in [
        "GET /api/v1/reach/offers",
        "GET /api/v1/reach/consent-texts",
    ] {
        let path = route.trim_start_matches("GET ");
        sw.each(
            w,
            Case::new(route, Place::Global).showing(if route.ends_with("offers") {
                &["OFFER-BR", "OFFER-JP"]
            } else {
                &[]
            }),
            async |_| (),
            |_| Want::Read(200),
            |_, _| get(path),
        )
        .await;
    }
    // Leads: the list and its CSV for those who read leads somewhere; narrowed to a market
    // they may not read, 404.
    for (route, path) in [
        ("GET /api/v1/reach/leads", "/api/v1/reach/leads"),
        ("GET /api/v1/reach/leads.csv", "/api/v1/reach/leads.csv"),
    ] {
        let reads = |p: &Persona| p.can_in_any(Power::ReadLeads, &MARKETS);
        sw.each(
            w,
            Case::new(route, Place::Global).showing(&["LEAD-BR", "LEAD-JP"]),
            async |_| (),
            |p| collection(reads(p), Want::Read(200)),
            |_, _| get(path),
        )
        .await;
        for (place, m) in own_and_other {
            sw.each(
                w,
                Case::new(route, place).naming(&[m]),
                async |_| (),
                |p| {
                    collection(
                        reads(p),
                        if p.can(Power::ReadLeads, m) {
                            Want::Read(200)
                        } else {
                            Want::No(404)
                        },
                    )
                },
                |_, _| get(format!("{path}?market={}", m.code())),
            )
            .await;
        }
    }
    for (i, (place, m)) in own_and_other.into_iter().enumerate() {
        let (offer_id, lead_id) = seeded[i];
        let code = m.code();
        let marker: &'static str = if m == Mkt::Br { "OFFER-BR" } else { "OFFER-JP" };
        let lead_marker: &'static str = if m == Mkt::Br { "LEAD-BR" } else { "LEAD-JP" };
        sw.each(
            w,
            Case::new("GET /api/v1/reach/offers/{id}", place).showing(&[marker]),
            async |_| (),
            |p| guard(sees_offers(p, m), true, Want::Read(200)),
            |_, _| get(format!("/api/v1/reach/offers/{}", offer_id.0)),
        )
        .await;
        sw.each(
            w,
            Case::new("GET /api/v1/reach/leads/{id}", place).showing(&[lead_marker]),
            async |_| (),
            |p| guard(p.can(Power::ReadLeads, m), true, Want::Read(200)),
            |_, _| get(format!("/api/v1/reach/leads/{lead_id}")),
        )
        .await;
        // Moving a draft live: readers who may not manage it 403, others 404.
        sw.each(
            w,
            Case::new("POST /api/v1/reach/offers/{id}/state", place),
            async |_| offer(w, m).await,
            |p| {
                guard(
                    sees_offers(p, m),
                    p.can(Power::ManageReach, m),
                    Want::Done(200),
                )
            },
            |o, _| {
                post(
                    format!("/api/v1/reach/offers/{}/state", o.0),
                    json!({"state": "live"}),
                )
            },
        )
        .await;
        sw.each(
            w,
            Case::new("POST /reach/offers/{id}/state", place),
            async |_| offer(w, m).await,
            |p| {
                guard(
                    sees_offers(p, m),
                    p.can(Power::ManageReach, m),
                    Want::Done(303),
                )
            },
            |o, _| form(format!("/reach/offers/{}/state", o.0), &[("state", "live")]),
        )
        .await;
        sw.each(
            w,
            Case::new("POST /reach/assets/{id}", place),
            async |_| offer(w, m).await,
            |p| {
                guard(
                    sees_offers(p, m),
                    p.can(Power::ManageReach, m),
                    Want::Done(303),
                )
            },
            |o, _| {
                form(
                    format!("/reach/assets/{}", o.0),
                    &[
                        ("pages[0].locale", "en"),
                        ("pages[0].title", "A better title"),
                        ("pages[0].description", "What you get."),
                    ],
                )
            },
        )
        .await;
        // Making things in a market named by code.
        sw.each(
            w,
            Case::new("POST /api/v1/reach/assets", place).naming(&[m]),
            async |_| w.next(),
            |p| make_in(p, m, Want::Done(201)),
            |n, _| asset_form(Via::Api, "/api/v1/reach/assets", m, *n),
        )
        .await;
        sw.each(
            w,
            Case::new("POST /reach/assets", place).naming(&[m]),
            async |_| w.next(),
            |p| make_in(p, m, Want::Done(303)),
            |n, _| asset_form(Via::Page, "/reach/assets", m, *n),
        )
        .await;
        // A data-subject request about a lead: those who read the market's leads (the export
        // writes an `exported` row); others do not know the lead (404).
        sw.each(
            w,
            Case::new("POST /reach/leads/{id}/export", place).showing(&[lead_marker]),
            async |_| fresh_lead(w, m).await,
            |p| guard(p.can(Power::ReadLeads, m), true, Want::Done(200)),
            |l, _| form(format!("/reach/leads/{l}/export"), &[]),
        )
        .await;
        sw.each(
            w,
            Case::new("POST /reach/leads/{id}/erase", place),
            async |_| fresh_lead(w, m).await,
            |p| guard(p.can(Power::ReadLeads, m), true, Want::Done(303)),
            |l, _| form(format!("/reach/leads/{l}/erase"), &[("confirm", "yes")]),
        )
        .await;
        let text = json!({
            "market": code, "locale": "en", "body": "New words.",
            "legal_basis": "consent", "privacy_url": "https://x.test/p"
        });
        sw.each(
            w,
            Case::new("POST /api/v1/reach/consent-texts", place).naming(&[m]),
            async |_| (),
            |p| make_in(p, m, Want::Done(201)),
            |_, _| post("/api/v1/reach/consent-texts", text.clone()),
        )
        .await;
        sw.each(
            w,
            Case::new("POST /reach/consent", place).naming(&[m]),
            async |_| (),
            |p| make_in(p, m, Want::Done(303)),
            |_, _| {
                form(
                    "/reach/consent",
                    &[
                        ("market", code),
                        ("locale", "en"),
                        ("body", "New words."),
                        ("legal_basis", "consent"),
                        ("privacy_url", "https://x.test/p"),
                    ],
                )
            },
        )
        .await;
    }
}

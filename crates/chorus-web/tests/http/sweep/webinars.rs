//! Webinars' page posts: making one (in a market named by code, as for gated assets), changing
//! its time and place, cancelling it, cancelling one seat and importing attendance — seen by
//! those who manage Reach or read leads in its market (others 404), changed only by those who
//! manage it (readers 403) — and the public seat page's POST, which anyone holding the link
//! may use (its capability is the token in the address, not the caller).
//!
//! Webinars are titled `OFFER-BR`/`OFFER-JP`, so an answer that shows one to someone who may
//! not see it is caught by the harness's leak check.

use chorus_core::reach::{OfferKind, OfferState};
use chorus_core::{LeadId, OfferId, RegistrationId};
use chorus_store::reach::{NewOffer, OfferPage, Webinar};
use reqwest::Method;

use super::harness::{Body, Case, Req, Sweep, Via, form};
use super::model::{MARKETS, Mkt, Persona, Place, Power, Want, guard};
use super::world::{World, sys};

pub const ROUTES: &[&str] = &[
    "POST /reach/webinars",
    "POST /reach/webinars/{id}/schedule",
    "POST /reach/webinars/{id}/cancel",
    "POST /reach/webinars/{id}/seats/{seat}/cancel",
    "POST /reach/webinars/{id}/attendance",
    "POST /r/seat/{token}",
];

fn sees(p: &Persona, m: Mkt) -> bool {
    p.can(Power::ManageReach, m) || p.can(Power::ReadLeads, m)
}

/// A live webinar of `m` titled `OFFER-<code>`, or without the marker when `public` (a live
/// webinar's title is on its public landing page, and the seat page shows it to the link's
/// holder whoever is signed in).
async fn webinar_titled(w: &World, m: Mkt, public: bool) -> OfferId {
    let n = w.next();
    let code = m.code();
    w.app
        .store
        .create_offer(
            &sys(),
            &NewOffer {
                kind: OfferKind::Webinar,
                market: w.id(m),
                slug: format!("webinar-{}-{n}", code.to_lowercase()),
                campaign: None,
                state: OfferState::Live,
                fields_json: "[]".into(),
                pages: vec![OfferPage {
                    locale: "en".into(),
                    title: if public {
                        format!("Public webinar {n}")
                    } else {
                        format!("OFFER-{code} webinar {n}")
                    },
                    description: String::new(),
                }],
                asset: None,
                webinar: Some(Webinar {
                    starts_at: "2027-01-20T13:00:00Z".parse().unwrap(),
                    duration_minutes: 60,
                    time_zone: "Europe/Helsinki".into(),
                    capacity: Some(10),
                    join_url: "https://meet.example.com/x".into(),
                    sequence: 0,
                    cancelled_at: None,
                }),
            },
        )
        .await
        .unwrap()
        .id
}

pub async fn webinar(w: &World, m: Mkt) -> OfferId {
    webinar_titled(w, m, false).await
}

/// A webinar of `m` and one seat at it (a confirmed lead written as the opt-in writes one,
/// seated by the store's own call): the webinar, the seat and its cancel token.
pub async fn seat(w: &World, m: Mkt, public: bool) -> (OfferId, RegistrationId, String) {
    let offer = webinar_titled(w, m, public).await;
    let lead = {
        let db = rusqlite::Connection::open(w.app.db_path()).unwrap();
        db.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
        let n = w.next();
        let email = format!("seat-{}-{n}@people.test", m.code().to_lowercase());
        let text: i64 = db
            .query_row(
                "SELECT id FROM reach_consent_texts WHERE market_id = ?1",
                [w.id(m).0],
                |r| r.get(0),
            )
            .unwrap_or_else(|_| {
                db.execute(
                    "INSERT INTO reach_consent_texts (market_id, locale, version, body, \
                     legal_basis, privacy_url, sha256, created_at) \
                     VALUES (?1, 'en', 1, 'Yes.', 'consent', 'https://x.test/p', 'x', 1)",
                    [w.id(m).0],
                )
                .unwrap();
                db.last_insert_rowid()
            });
        db.execute(
            "INSERT INTO reach_submissions (offer_id, email, name, locale, consent_text_id, \
             form_version, token_sha256, expires_at, state, confirmed_at, ip, user_agent, \
             page_url, created_at) VALUES (?1, ?2, 'SEAT person', 'en', ?3, 1, ?4, 0, \
             'confirmed', 1, '10.0.0.0', 'ua', 'https://x.test/r/x', 1)",
            rusqlite::params![offer.0, email, text, format!("seat-tok-{n}")],
        )
        .unwrap();
        let submission = db.last_insert_rowid();
        db.execute(
            "INSERT INTO reach_contacts (email, email_sha256, name, prefs_token_sha256, \
             created_at) VALUES (?1, ?2, 'SEAT person', ?3, 1)",
            rusqlite::params![email, format!("seat-sha-{n}"), format!("seat-prefs-{n}")],
        )
        .unwrap();
        let contact = db.last_insert_rowid();
        db.execute(
            "INSERT INTO reach_leads (contact_id, offer_id, market_id, submission_id, \
             confirmed_at) VALUES (?1, ?2, ?3, ?4, 1)",
            rusqlite::params![contact, offer.0, w.id(m).0, submission],
        )
        .unwrap();
        LeadId(db.last_insert_rowid())
    };
    let (id, _) = w
        .app
        .store
        .seat_registration(offer, lead, jiff::Timestamp::now())
        .await
        .unwrap();
    let token = w
        .app
        .store
        .registration_notice(id)
        .await
        .unwrap()
        .unwrap()
        .cancel_token
        .unwrap();
    (offer, id, token)
}

const SCHEDULE: &[(&str, &str)] = &[
    ("starts_at", "2027-02-01T10:00"),
    ("time_zone", "Europe/Helsinki"),
    ("duration_minutes", "45"),
    ("capacity", "20"),
    ("join_url", "https://meet.example.com/y"),
];

/// Making something in a market named by code, as for gated assets: someone who manages Reach
/// nowhere is refused as such (403); a market they do not see is "no market" (422); one they
/// see but may not manage, 403.
fn make_in(p: &Persona, m: Mkt, ok: Want) -> Want {
    if !p.can_in_any(Power::ManageReach, &MARKETS) {
        Want::No(403)
    } else if !sees(p, m) {
        Want::No(422)
    } else if !p.can(Power::ManageReach, m) {
        Want::No(403)
    } else {
        ok
    }
}

pub async fn run(w: &World, sw: &mut Sweep) {
    for (place, m) in [(Place::Own, Mkt::Br), (Place::Other, Mkt::Jp)] {
        let code = m.code();
        sw.each(
            w,
            Case::new("POST /reach/webinars", place).naming(&[m]),
            async |_| w.next(),
            |p| make_in(p, m, Want::Done(303)),
            |n, _| {
                let slug = format!("new-webinar-{}-{n}", code.to_lowercase());
                let mut fields: Vec<(&str, &str)> = vec![
                    ("market", code),
                    ("pages[0].locale", "en"),
                    ("pages[0].title", "A new webinar"),
                ];
                fields.extend_from_slice(SCHEDULE);
                let mut req = form("/reach/webinars", &fields);
                if let Body::Form(f) = &mut req.body {
                    f.push(("slug".into(), slug));
                }
                req
            },
        )
        .await;
        let manage =
            move |p: &Persona, ok: Want| guard(sees(p, m), p.can(Power::ManageReach, m), ok);
        sw.each(
            w,
            Case::new("POST /reach/webinars/{id}/schedule", place),
            async |_| webinar(w, m).await,
            |p| manage(p, Want::Done(303)),
            |o, _| form(format!("/reach/webinars/{}/schedule", o.0), SCHEDULE),
        )
        .await;
        sw.each(
            w,
            Case::new("POST /reach/webinars/{id}/cancel", place),
            async |_| webinar(w, m).await,
            |p| manage(p, Want::Done(303)),
            |o, _| form(format!("/reach/webinars/{}/cancel", o.0), &[]),
        )
        .await;
        sw.each(
            w,
            Case::new("POST /reach/webinars/{id}/seats/{seat}/cancel", place),
            async |_| seat(w, m, false).await,
            |p| manage(p, Want::Done(303)),
            |(o, s, _), _| form(format!("/reach/webinars/{}/seats/{}/cancel", o.0, s.0), &[]),
        )
        .await;
        // The sweep's upload is a PDF, not an attendance list: those who may import are told
        // what is wrong with the file (422, nothing recorded); the others are refused first.
        sw.each(
            w,
            Case::new("POST /reach/webinars/{id}/attendance", place),
            async |_| webinar(w, m).await,
            |p| manage(p, Want::No(422)),
            |o, _| Req {
                via: Via::Page,
                method: Method::POST,
                path: format!("/reach/webinars/{}/attendance", o.0),
                body: Body::Asset { fields: Vec::new() },
                session: None,
            },
        )
        .await;
        // The seat page: the link's holder, whoever is signed in.
        sw.each(
            w,
            Case::new("POST /r/seat/{token}", place),
            async |_| seat(w, m, true).await,
            |_| Want::Done(200),
            |(_, _, token), _| form(format!("/r/seat/{token}"), &[]),
        )
        .await;
    }
}

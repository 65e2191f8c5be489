//! Outbound webhooks, on the API and the admin pages: admins only. Anyone else is refused the
//! list and creating as such (403) and finds no webhook by id (404), whichever market the
//! webhook listens to (own, other, or all markets: "global").

use serde_json::json;

use super::harness::{Case, Req, Sweep, form, get, post, put};
use super::model::{Persona, Place, Power, Want};
use super::world::{World, sys};

pub const ROUTES: &[&str] = &[
    "GET /api/v1/webhooks",
    "POST /api/v1/webhooks",
    "GET /api/v1/webhooks/{id}",
    "PUT /api/v1/webhooks/{id}",
    "POST /api/v1/webhooks/{id}/test",
    "POST /api/v1/webhooks/{id}/secret",
    "POST /admin/webhooks",
    "POST /admin/webhooks/{id}",
    "POST /admin/webhooks/{id}/test",
    "POST /admin/webhooks/{id}/secret",
];

/// A public address given as a literal, so that checking it needs no DNS.
const URL: &str = "https://93.184.215.14/hooks/chorus";

fn admin(p: &Persona) -> bool {
    p.can_globally(Power::ManageWebhooks)
}

/// The collection: admins, else 403.
fn collection(p: &Persona, ok: Want) -> Want {
    if admin(p) { ok } else { Want::No(403) }
}

/// One webhook: admins, else it does not exist (404).
fn one(p: &Persona, ok: Want) -> Want {
    if admin(p) { ok } else { Want::No(404) }
}

/// A fresh webhook listening to `place`'s market (global: every market).
pub async fn webhook(w: &World, place: Place) -> i64 {
    let name = format!("Hook {}", w.next());
    w.app
        .store
        .create_webhook(
            &sys(),
            &chorus_store::EndpointInput {
                name: &name,
                url: URL,
                market_id: place.market().map(|m| w.id(m)),
                events: &["story.published"],
                enabled: true,
            },
            "sweep-salt",
        )
        .await
        .unwrap()
        .id
}

fn code(place: Place) -> &'static str {
    place.market().map_or("", |m| m.code())
}

fn page_fields(path: String, place: Place, n: u32) -> Req {
    let name = format!("Page hook {n}");
    form(
        path,
        &[
            ("name", &name),
            ("url", URL),
            ("market", code(place)),
            ("events", "story.published"),
            ("events", "reach.lead_confirmed"),
            ("enabled", "on"),
        ],
    )
}

pub async fn run(w: &World, sw: &mut Sweep) {
    let g = Place::Global;
    sw.each(
        w,
        Case::new("GET /api/v1/webhooks", g),
        async |_| webhook(w, g).await,
        |p| collection(p, Want::Read(200)),
        |_, _| get("/api/v1/webhooks"),
    )
    .await;
    for place in [Place::Own, Place::Other, Place::Global] {
        let names = place.market().map(|m| vec![m]).unwrap_or_default();
        sw.each(
            w,
            Case::new("POST /api/v1/webhooks", place).naming(&names),
            async |_| w.next(),
            |p| collection(p, Want::Done(201)),
            |n, _| {
                post(
                    "/api/v1/webhooks",
                    json!({"name": format!("API hook {n}"), "url": URL,
                        "market": place.market().map(|m| m.code()),
                        "events": ["story.failed"]}),
                )
            },
        )
        .await;
        sw.each(
            w,
            Case::new("GET /api/v1/webhooks/{id}", place),
            async |_| webhook(w, place).await,
            |p| one(p, Want::Read(200)),
            |id, _| get(format!("/api/v1/webhooks/{id}")),
        )
        .await;
        sw.each(
            w,
            Case::new("PUT /api/v1/webhooks/{id}", place),
            async |_| webhook(w, place).await,
            |p| one(p, Want::Done(200)),
            |id, _| {
                put(
                    format!("/api/v1/webhooks/{id}"),
                    json!({"name": "Renamed", "url": URL, "events": ["story.approved"],
                        "enabled": false}),
                )
            },
        )
        .await;
        sw.each(
            w,
            Case::new("POST /api/v1/webhooks/{id}/test", place),
            async |_| webhook(w, place).await,
            |p| one(p, Want::Done(202)),
            |id, _| post(format!("/api/v1/webhooks/{id}/test"), json!({})),
        )
        .await;
        sw.each(
            w,
            Case::new("POST /api/v1/webhooks/{id}/secret", place),
            async |_| webhook(w, place).await,
            |p| one(p, Want::Done(200)),
            |id, _| {
                post(
                    format!("/api/v1/webhooks/{id}/secret"),
                    json!({"confirm": true}),
                )
            },
        )
        .await;
        sw.each(
            w,
            Case::new("POST /admin/webhooks", place).naming(&names),
            async |_| w.next(),
            |p| collection(p, Want::Done(303)),
            |n, _| page_fields("/admin/webhooks".into(), place, *n),
        )
        .await;
        sw.each(
            w,
            Case::new("POST /admin/webhooks/{id}", place).naming(&names),
            async |_| webhook(w, place).await,
            |p| one(p, Want::Done(303)),
            |id, _| page_fields(format!("/admin/webhooks/{id}"), place, 0),
        )
        .await;
        sw.each(
            w,
            Case::new("POST /admin/webhooks/{id}/test", place),
            async |_| webhook(w, place).await,
            |p| one(p, Want::Done(303)),
            |id, _| form(format!("/admin/webhooks/{id}/test"), &[]),
        )
        .await;
        sw.each(
            w,
            Case::new("POST /admin/webhooks/{id}/secret", place),
            async |_| webhook(w, place).await,
            |p| one(p, Want::Done(303)),
            |id, _| form(format!("/admin/webhooks/{id}/secret"), &[]),
        )
        .await;
    }
}

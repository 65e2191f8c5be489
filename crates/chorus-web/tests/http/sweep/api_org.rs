//! The JSON API of the playbook, markets and teams, users and memberships, and the audit log.

use serde_json::json;

use super::harness::{Case, Sweep, Via, delete, get, post, put};
use super::members;
use super::model::{Mkt, Persona, Place, Power, Want, allow};
use super::world::World;
use crate::support::principle_body;

pub const ROUTES: &[&str] = &[
    "GET /api/v1/principles",
    "POST /api/v1/principles",
    "GET /api/v1/principles/{slug}",
    "PUT /api/v1/principles/{slug}",
    "DELETE /api/v1/principles/{slug}",
    "GET /api/v1/playbook/search",
    "GET /api/v1/markets",
    "POST /api/v1/markets",
    "PUT /api/v1/markets/{code}",
    "GET /api/v1/markets/{code}/teams",
    "POST /api/v1/markets/{code}/teams",
    "DELETE /api/v1/teams/{id}",
    "GET /api/v1/me",
    "GET /api/v1/users",
    "POST /api/v1/users",
    "GET /api/v1/users/{id}",
    "PATCH /api/v1/users/{id}",
    "POST /api/v1/users/{id}/memberships",
    "POST /api/v1/users/{id}/memberships/revoke",
    "GET /api/v1/audit",
];

/// Anyone with a role reads the playbook; those without one are refused.
fn reads_playbook(p: &Persona) -> Want {
    allow(p.has_a_role(), Want::Read(200))
}

fn edits_playbook(p: &Persona, ok: Want) -> Want {
    allow(p.can_globally(Power::EditPlaybook), ok)
}

pub async fn run(w: &World, sw: &mut Sweep) {
    let g = Place::Global;
    // The playbook.
    sw.each(
        w,
        Case::new("GET /api/v1/principles", g),
        async |_| (),
        reads_playbook,
        |_, _| get("/api/v1/principles"),
    )
    .await;
    sw.each(
        w,
        Case::new("GET /api/v1/playbook/search", g),
        async |_| (),
        reads_playbook,
        |_, _| get("/api/v1/playbook/search?q=objectives"),
    )
    .await;
    sw.each(
        w,
        Case::new("GET /api/v1/principles/{slug}", g),
        async |_| (),
        reads_playbook,
        |_, _| get("/api/v1/principles/clear-objectives"),
    )
    .await;
    sw.each(
        w,
        Case::new("POST /api/v1/principles", g),
        async |_| 100 + i64::from(w.next()),
        |p| edits_playbook(p, Want::Done(201)),
        |n, _| {
            post(
                "/api/v1/principles",
                principle_body(*n, &format!("New {n}")),
            )
        },
    )
    .await;
    sw.each(
        w,
        Case::new("PUT /api/v1/principles/{slug}", g),
        async |_| w.principle().await,
        |p| edits_playbook(p, Want::Done(200)),
        |(slug, n), _| {
            put(
                format!("/api/v1/principles/{slug}"),
                principle_body(*n, &format!("Changed title {}", w.next())),
            )
        },
    )
    .await;
    sw.each(
        w,
        Case::new("DELETE /api/v1/principles/{slug}", g),
        async |_| w.principle().await,
        |p| edits_playbook(p, Want::Done(204)),
        |(slug, _), _| delete(format!("/api/v1/principles/{slug}")),
    )
    .await;

    // Markets and teams: every signed-in person may list them (they name no people).
    sw.each(
        w,
        Case::new("GET /api/v1/markets", g),
        async |_| (),
        |_| Want::Read(200),
        |_, _| get("/api/v1/markets"),
    )
    .await;
    sw.each(
        w,
        Case::new("POST /api/v1/markets", g),
        async |_| w.next(),
        |p| allow(p.can_globally(Power::ManageMarkets), Want::Done(201)),
        |n, _| {
            post(
                "/api/v1/markets",
                json!({"code": format!("NM{n}"), "name": format!("New market {n}"),
                       "country": "DE", "locales": ["de-DE"], "timezone": "Europe/Berlin"}),
            )
        },
    )
    .await;
    for place in [Place::Own, Place::Other] {
        let m = place.market().unwrap();
        let leads = move |p: &Persona, ok| allow(p.can(Power::LeadMarket, m), ok);
        sw.each(
            w,
            Case::new("PUT /api/v1/markets/{code}", place).naming(&[m]),
            async |_| (),
            |p| leads(p, Want::Ok(200)),
            |_, _| {
                put(
                    format!("/api/v1/markets/{}", m.code()),
                    json!({"code": m.code(), "name": m.name(), "country": m.code(),
                           "locales": [m.locale()], "timezone": tz(m)}),
                )
            },
        )
        .await;
        sw.each(
            w,
            Case::new("GET /api/v1/markets/{code}/teams", place).naming(&[m]),
            async |_| (),
            |_| Want::Read(200),
            |_, _| get(format!("/api/v1/markets/{}/teams", m.code())),
        )
        .await;
        sw.each(
            w,
            Case::new("POST /api/v1/markets/{code}/teams", place).naming(&[m]),
            async |_| w.next(),
            |p| leads(p, Want::Done(201)),
            |n, _| {
                post(
                    format!("/api/v1/markets/{}/teams", m.code()),
                    json!({"name": format!("New team {n}")}),
                )
            },
        )
        .await;
        sw.each(
            w,
            Case::new("DELETE /api/v1/teams/{id}", place),
            async |_| w.team(m).await,
            |p| leads(p, Want::Done(204)),
            |t, _| delete(format!("/api/v1/teams/{t}")),
        )
        .await;
    }

    // Users and memberships.
    sw.each(
        w,
        Case::new("GET /api/v1/me", g),
        async |_| (),
        |_| Want::Read(200),
        |_, _| get("/api/v1/me"),
    )
    .await;
    sw.each(
        w,
        Case::new("GET /api/v1/users", g).showing(&["uxleadbrx", "uxwriterjpx", "uxcmglobalx"]),
        async |_| (),
        |p| {
            let sees = p.can_globally(Power::ReadMembers)
                || [Mkt::Br, Mkt::Jp]
                    .iter()
                    .any(|m| p.can(Power::ReadMembers, *m));
            allow(sees, Want::Read(200))
        },
        |_, _| get("/api/v1/users"),
    )
    .await;
    members::create_user(w, sw, Via::Api).await;
    members::read_user(w, sw).await;
    members::update_user(w, sw, Via::Api).await;
    members::memberships(w, sw, Via::Api).await;
    sw.each(
        w,
        Case::new("GET /api/v1/audit", g),
        async |_| (),
        |p| allow(p.can_globally(Power::ReadAudit), Want::Read(200)),
        |_, _| get("/api/v1/audit"),
    )
    .await;
}

pub fn tz(m: Mkt) -> &'static str {
    match m {
        Mkt::Br => "America/Sao_Paulo",
        Mkt::Jp => "Asia/Tokyo",
    }
}

//! Single sign-on's providers and group rules, on the API and the admin pages: admins only.
//! Anyone else is refused the providers, the rules and adding one (403), and deleting one is
//! refused too (403: the rule table is the admins' alone, whichever market a rule names).

use serde_json::json;

use super::harness::{Case, Req, Sweep, delete, form, get, post};
use super::model::{Persona, Place, Power, Want};
use super::world::{World, sys};

pub const ROUTES: &[&str] = &[
    "GET /api/v1/sso/providers",
    "GET /api/v1/sso/rules",
    "POST /api/v1/sso/rules",
    "DELETE /api/v1/sso/rules/{id}",
    "POST /admin/sign-in/rules",
    "POST /admin/sign-in/rules/{id}/delete",
];

fn admin(p: &Persona, ok: Want) -> Want {
    if p.can_globally(Power::ManageSignIn) {
        ok
    } else {
        Want::No(403)
    }
}

fn code(place: Place) -> &'static str {
    place.market().map_or("", |m| m.code())
}

/// A fresh rule giving editors in `place`'s market (global: every market).
pub async fn rule(w: &World, place: Place) -> i64 {
    let group =
        chorus_core::sso::GroupPattern::parse(&format!("sweep-group-{}", w.next())).unwrap();
    let scope = match place.market() {
        Some(m) => chorus_core::sso::RuleScope::Market(w.id(m)),
        None => chorus_core::sso::RuleScope::Global,
    };
    w.app
        .store
        .create_sso_rule(&sys(), &group, chorus_core::Role::Editor, scope)
        .await
        .unwrap()
        .id
}

fn page_fields(place: Place, n: u32) -> Req {
    let group = format!("page-group-{n}");
    form(
        "/admin/sign-in/rules",
        &[
            ("group", &group),
            ("role", "editor"),
            ("market", code(place)),
        ],
    )
}

pub async fn run(w: &World, sw: &mut Sweep) {
    let g = Place::Global;
    sw.each(
        w,
        Case::new("GET /api/v1/sso/providers", g),
        async |_| (),
        |p| admin(p, Want::Read(200)),
        |_, _| get("/api/v1/sso/providers"),
    )
    .await;
    sw.each(
        w,
        Case::new("GET /api/v1/sso/rules", g),
        async |_| rule(w, g).await,
        |p| admin(p, Want::Read(200)),
        |_, _| get("/api/v1/sso/rules"),
    )
    .await;
    for place in [Place::Own, Place::Other, Place::Global] {
        let names = place.market().map(|m| vec![m]).unwrap_or_default();
        sw.each(
            w,
            Case::new("POST /api/v1/sso/rules", place).naming(&names),
            async |_| w.next(),
            |p| admin(p, Want::Done(201)),
            |n, _| {
                post(
                    "/api/v1/sso/rules",
                    json!({"group": format!("api-group-{n}"), "role": "editor",
                        "market": place.market().map(|m| m.code())}),
                )
            },
        )
        .await;
        sw.each(
            w,
            Case::new("DELETE /api/v1/sso/rules/{id}", place),
            async |_| rule(w, place).await,
            |p| admin(p, Want::Done(204)),
            |id, _| delete(format!("/api/v1/sso/rules/{id}")),
        )
        .await;
        sw.each(
            w,
            Case::new("POST /admin/sign-in/rules", place).naming(&names),
            async |_| w.next(),
            |p| admin(p, Want::Done(303)),
            |n, _| page_fields(place, *n),
        )
        .await;
        sw.each(
            w,
            Case::new("POST /admin/sign-in/rules/{id}/delete", place),
            async |_| rule(w, place).await,
            |p| admin(p, Want::Done(303)),
            |id, _| form(format!("/admin/sign-in/rules/{id}/delete"), &[]),
        )
        .await;
    }
}

//! Users and memberships, the same cases through the API and the admin pages: creating a user,
//! granting and revoking a membership of someone in the own market, in another market and
//! globally — each with a working role of the own market, of the other market, and the
//! escalations (a lead role, the admin role, a global role).

use chorus_core::Role;
use serde_json::json;

use reqwest::Method;

use super::harness::{Case, Req, Sweep, Via, form, get, post, send};
use super::model::{Mkt, Place, Want, allow, guard_people};
use super::world::World;

/// A membership as the sweep writes it.
type M = (Role, Option<Mkt>);

/// What a request asks to grant or revoke, with a note for the report.
const BODIES: [(M, &str); 5] = [
    ((Role::Editor, Some(Mkt::Br)), "editor in BR"),
    ((Role::Editor, Some(Mkt::Jp)), "editor in JP"),
    ((Role::MarketLead, Some(Mkt::Br)), "market lead in BR"),
    ((Role::Admin, None), "admin"),
    ((Role::Analyst, None), "global analyst"),
];

/// The target's memberships before the request, by place.
fn base(place: Place) -> M {
    match place {
        Place::Own => (Role::Contributor, Some(Mkt::Br)),
        Place::Other => (Role::Contributor, Some(Mkt::Jp)),
        Place::Global => (Role::Analyst, None),
    }
}

fn markets_named(m: M) -> Vec<Mkt> {
    m.1.into_iter().collect()
}

fn api_body(m: M) -> serde_json::Value {
    match m.1 {
        Some(mk) => json!({"role": m.0.as_str(), "market": mk.code()}),
        None => json!({"role": m.0.as_str()}),
    }
}

fn page_fields(m: M) -> Vec<(String, String)> {
    vec![
        ("role".into(), m.0.as_str().into()),
        ("market".into(), m.1.map_or("", |x| x.code()).into()),
    ]
}

fn membership_req(via: Via, path: String, m: M) -> Req {
    match via {
        Via::Api => post(format!("/api/v1{path}"), api_body(m)),
        Via::Page => {
            let f = page_fields(m);
            let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            form(format!("/admin{path}"), &f)
        }
    }
}

/// Grant and revoke, through `via`.
pub async fn memberships(w: &World, sw: &mut Sweep, via: Via) {
    let (grant, revoke, ok) = match via {
        Via::Api => (
            "POST /api/v1/users/{id}/memberships",
            "POST /api/v1/users/{id}/memberships/revoke",
            200,
        ),
        Via::Page => (
            "POST /admin/users/{id}/memberships",
            "POST /admin/users/{id}/memberships/revoke",
            303,
        ),
    };
    for place in [Place::Own, Place::Other, Place::Global] {
        for (m, note) in BODIES {
            let target = vec![base(place)];
            if !target.contains(&m) {
                let case = Case::new(grant, place).note(note).naming(&markets_named(m));
                let t = target.clone();
                sw.each(
                    w,
                    case,
                    async |_| w.user(&t).await,
                    |p| {
                        guard_people(
                            p,
                            p.sees_user(&target),
                            p.may_grant(m.0, m.1),
                            Want::Done(ok),
                        )
                    },
                    |uid, _| membership_req(via, format!("/users/{uid}/memberships"), m),
                )
                .await;
            }
            // Revoking: the target holds the membership asked about.
            let mut holds = vec![base(place)];
            if !holds.contains(&m) {
                holds.push(m);
            }
            let case = Case::new(revoke, place)
                .note(note)
                .naming(&markets_named(m));
            let h = holds.clone();
            sw.each(
                w,
                case,
                async |_| w.user(&h).await,
                |p| {
                    guard_people(
                        p,
                        p.sees_user(&holds),
                        p.may_grant(m.0, m.1),
                        Want::Done(ok),
                    )
                },
                |uid, _| membership_req(via, format!("/users/{uid}/memberships/revoke"), m),
            )
            .await;
        }
    }
    // Revoking what the target does not hold, from an admin (the example: the answer
    // named the admin to a market lead). Nothing to revoke is "not found" to whoever may.
    let admin: Vec<M> = vec![(Role::Admin, None)];
    let editor_br: M = (Role::Editor, Some(Mkt::Br));
    sw.each(
        w,
        Case::new(revoke, Place::Global)
            .note("a role an admin does not hold")
            .naming(&[Mkt::Br]),
        async |_| w.user(&admin).await,
        |p| {
            guard_people(
                p,
                p.sees_user(&admin),
                p.may_grant(editor_br.0, editor_br.1),
                Want::No(404),
            )
        },
        |uid, _| membership_req(via, format!("/users/{uid}/memberships/revoke"), editor_br),
    )
    .await;
}

/// Creating a user with one membership, through `via`.
pub async fn create_user(w: &World, sw: &mut Sweep, via: Via) {
    let (route, ok) = match via {
        Via::Api => ("POST /api/v1/users", 201),
        Via::Page => ("POST /admin/users", 303),
    };
    let cases: [(Place, M, &str); 5] = [
        (Place::Own, (Role::Editor, Some(Mkt::Br)), "editor"),
        (Place::Own, (Role::MarketLead, Some(Mkt::Br)), "market lead"),
        (Place::Other, (Role::Editor, Some(Mkt::Jp)), "editor"),
        (Place::Global, (Role::Analyst, None), "global analyst"),
        (Place::Global, (Role::Admin, None), "admin"),
    ];
    for (place, m, note) in cases {
        let case = Case::new(route, place).note(note).naming(&markets_named(m));
        sw.each(
            w,
            case,
            async |_| w.next(),
            |p| allow(p.may_grant(m.0, m.1), Want::Done(ok)),
            |n, _| {
                let email = format!("new{n}@sweep.test");
                match via {
                    Via::Api => post(
                        "/api/v1/users",
                        json!({"email": email, "display_name": "New person",
                               "password": "a long enough password",
                               "memberships": [api_body(m)]}),
                    ),
                    Via::Page => {
                        let mut f = page_fields(m);
                        f.push(("email".into(), email));
                        f.push(("display_name".into(), "New person".into()));
                        f.push(("password".into(), "a long enough password".into()));
                        let f: Vec<(&str, &str)> =
                            f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                        form("/admin/users", &f)
                    }
                }
            },
        )
        .await;
    }
}

/// Reading one user (the API; the admin page's GET is not swept): like the list, refused to
/// whoever sees nobody's memberships, and not found for users the caller may not see.
pub async fn read_user(w: &World, sw: &mut Sweep) {
    let targets: [(Place, &[M], &str); 3] = [
        (Place::Own, &[(Role::Editor, Some(Mkt::Br))], "editor in BR"),
        (
            Place::Other,
            &[(Role::Editor, Some(Mkt::Jp))],
            "editor in JP",
        ),
        (Place::Global, &[(Role::Analyst, None)], "global analyst"),
    ];
    for (place, roles, note) in targets {
        let seen = roles.to_vec();
        sw.each(
            w,
            Case::new("GET /api/v1/users/{id}", place).note(note),
            async |_| w.user(roles).await,
            |p| guard_people(p, p.sees_user(&seen), true, Want::Read(200)),
            |uid, _| get(format!("/api/v1/users/{uid}")),
        )
        .await;
    }
}

/// Changing a user's name and activity, through `via` (the admin page, or `PATCH` on the API).
pub async fn update_user(w: &World, sw: &mut Sweep, via: Via) {
    let (route, ok) = match via {
        Via::Api => ("PATCH /api/v1/users/{id}", 200),
        Via::Page => ("POST /admin/users/{id}", 303),
    };
    let targets: [(Place, &[M], &str); 4] = [
        (Place::Own, &[(Role::Editor, Some(Mkt::Br))], "editor in BR"),
        (
            Place::Own,
            &[(Role::Editor, Some(Mkt::Br)), (Role::Editor, Some(Mkt::Jp))],
            "also works in JP",
        ),
        (
            Place::Other,
            &[(Role::Editor, Some(Mkt::Jp))],
            "editor in JP",
        ),
        (Place::Global, &[(Role::Analyst, None)], "global analyst"),
    ];
    for (place, roles, note) in targets {
        sw.each(
            w,
            Case::new(route, place).note(note),
            async |_| w.user(roles).await,
            |p| {
                guard_people(
                    p,
                    p.sees_user(roles),
                    p.may_manage_user(roles),
                    Want::Done(ok),
                )
            },
            |uid, _| match via {
                Via::Api => send(
                    Method::PATCH,
                    format!("/api/v1/users/{uid}"),
                    json!({"display_name": "Renamed person", "active": true}),
                ),
                Via::Page => form(
                    format!("/admin/users/{uid}"),
                    &[("display_name", "Renamed person"), ("active", "on")],
                ),
            },
        )
        .await;
    }
}

//! The form posts of the admin section (markets, teams, users, network accounts, rules for
//! posts), the playbook, the account page, notifications and logout.

use super::api_org::tz;
use super::harness::{Case, Req, Sweep, Via, form};
use super::members;
use super::model::{Persona, Place, Power, Want, allow};
use super::world::World;

pub const ROUTES: &[&str] = &[
    "POST /admin/markets",
    "POST /admin/markets/{code}",
    "POST /admin/markets/{code}/teams",
    "POST /admin/teams/{id}/delete",
    "POST /admin/users",
    "POST /admin/users/{id}",
    "POST /admin/users/{id}/memberships",
    "POST /admin/users/{id}/memberships/revoke",
    "POST /admin/accounts",
    "POST /admin/rules",
    "POST /admin/rules/{id}",
    "POST /admin/rules/{id}/delete",
    "POST /playbook",
    "POST /playbook/{slug}",
    "POST /playbook/{slug}/delete",
    "POST /account/password",
    "POST /account/tokens",
    "POST /account/tokens/{id}/revoke",
    "POST /account/email",
    "POST /notifications/read",
    "POST /logout",
];

fn owns_playbook(p: &Persona, ok: Want) -> Want {
    allow(p.can_globally(Power::EditPlaybook), ok)
}

fn principle_form(path: String, number: i64, title: &str) -> Req {
    let n = number.to_string();
    form(
        path,
        &[
            ("number", &n),
            ("pillar", "stories"),
            ("title", title),
            ("statement", "Say it well."),
        ],
    )
}

pub async fn run(w: &World, sw: &mut Sweep) {
    let g = Place::Global;
    sw.each(
        w,
        Case::new("POST /admin/markets", g),
        async |_| w.next(),
        |p| allow(p.can_globally(Power::ManageMarkets), Want::Done(303)),
        |n, _| {
            form(
                "/admin/markets",
                &[
                    ("code", &format!("PM{n}")),
                    ("name", &format!("Page market {n}")),
                    ("country", "DE"),
                    ("locales", "de-DE"),
                    ("timezone", "Europe/Berlin"),
                ],
            )
        },
    )
    .await;
    for place in [Place::Own, Place::Other] {
        let m = place.market().unwrap();
        let leads = move |p: &Persona, ok| allow(p.can(Power::LeadMarket, m), ok);
        sw.each(
            w,
            Case::new("POST /admin/markets/{code}", place).naming(&[m]),
            async |_| (),
            |p| leads(p, Want::Ok(303)),
            |_, _| {
                form(
                    format!("/admin/markets/{}", m.code()),
                    &[
                        ("code", m.code()),
                        ("name", m.name()),
                        ("country", m.code()),
                        ("locales", m.locale()),
                        ("timezone", tz(m)),
                    ],
                )
            },
        )
        .await;
        sw.each(
            w,
            Case::new("POST /admin/markets/{code}/teams", place).naming(&[m]),
            async |_| w.next(),
            |p| leads(p, Want::Done(303)),
            |n, _| {
                form(
                    format!("/admin/markets/{}/teams", m.code()),
                    &[("name", &format!("Page team {n}"))],
                )
            },
        )
        .await;
        sw.each(
            w,
            Case::new("POST /admin/teams/{id}/delete", place),
            async |_| w.team(m).await,
            |p| leads(p, Want::Done(303)),
            |t, _| form(format!("/admin/teams/{t}/delete"), &[]),
        )
        .await;
        // Connecting an account: past the checks, the PDS address answers nothing (422).
        sw.each(
            w,
            Case::new("POST /admin/accounts", place).naming(&[m]),
            async |_| (),
            |p| leads(p, Want::No(422)),
            |_, _| {
                form(
                    "/admin/accounts",
                    &[
                        ("market", m.code()),
                        ("pds", "http://127.0.0.1:9"),
                        ("handle", "new-account.test"),
                        ("app_password", "abcd-efgh-ijkl-mnop"),
                    ],
                )
            },
        )
        .await;
    }
    members::create_user(w, sw, Via::Page).await;
    members::update_user(w, sw, Via::Page).await;
    members::memberships(w, sw, Via::Page).await;

    // The rules for posts belong to the playbook.
    sw.each(
        w,
        Case::new("POST /admin/rules", g),
        async |_| w.next(),
        |p| owns_playbook(p, Want::Done(303)),
        |n, _| {
            form(
                "/admin/rules",
                &[
                    ("kind", "banned_term"),
                    ("term", &format!("zzpage{n}")),
                    ("enabled", "on"),
                ],
            )
        },
    )
    .await;
    sw.each(
        w,
        Case::new("POST /admin/rules/{id}", g),
        async |_| w.rule().await,
        |p| owns_playbook(p, Want::Done(303)),
        |r, _| {
            form(
                format!("/admin/rules/{r}"),
                &[("kind", "banned_term"), ("term", "zzchanged")],
            )
        },
    )
    .await;
    sw.each(
        w,
        Case::new("POST /admin/rules/{id}/delete", g),
        async |_| w.rule().await,
        |p| owns_playbook(p, Want::Done(303)),
        |r, _| form(format!("/admin/rules/{r}/delete"), &[]),
    )
    .await;

    // The playbook.
    sw.each(
        w,
        Case::new("POST /playbook", g),
        async |_| 100 + i64::from(w.next()),
        |p| owns_playbook(p, Want::Done(303)),
        |n, _| principle_form("/playbook".into(), *n, &format!("Page principle {n}")),
    )
    .await;
    sw.each(
        w,
        Case::new("POST /playbook/{slug}", g),
        async |_| w.principle().await,
        |p| owns_playbook(p, Want::Done(303)),
        |(slug, n), _| {
            principle_form(
                format!("/playbook/{slug}"),
                *n,
                &format!("Changed principle {}", w.next()),
            )
        },
    )
    .await;
    sw.each(
        w,
        Case::new("POST /playbook/{slug}/delete", g),
        async |_| w.principle().await,
        |p| owns_playbook(p, Want::Done(303)),
        |(slug, _), _| form(format!("/playbook/{slug}/delete"), &[]),
    )
    .await;

    // One's own account. A wrong current password changes nothing (the form says so); a
    // right one is the session tests' business (it ends the person's other sessions, which
    // the sweep's personas keep using).
    sw.each(
        w,
        Case::new("POST /account/password", Place::Own).note("a wrong current password"),
        async |_| (),
        |_| Want::No(422),
        |_, _| {
            form(
                "/account/password",
                &[
                    ("current_password", "not the password at all"),
                    ("new_password", "a brand new password"),
                ],
            )
        },
    )
    .await;
    sw.each(
        w,
        Case::new("POST /account/tokens", Place::Own),
        async |_| (),
        |_| Want::Done(200),
        |_, _| form("/account/tokens", &[("name", "laptop")]),
    )
    .await;
    sw.each(
        w,
        Case::new("POST /account/tokens/{id}/revoke", Place::Own).note("one's own token"),
        async |who| w.api_token(who.id).await,
        |_| Want::Done(303),
        |t, _| form(format!("/account/tokens/{t}/revoke"), &[]),
    )
    .await;
    let someone_else = w.api_token(w.writer(super::model::Mkt::Br)).await;
    sw.each(
        w,
        Case::new("POST /account/tokens/{id}/revoke", Place::Other).note("someone else's token"),
        async |_| (),
        |_| Want::No(404),
        |_, _| form(format!("/account/tokens/{someone_else}/revoke"), &[]),
    )
    .await;
    // One's own weekly email: unticked turns it off (a change of one's own settings).
    sw.each(
        w,
        Case::new("POST /account/email", Place::Own),
        async |_| (),
        |_| Want::Done(303),
        |_, _| form("/account/email", &[]),
    )
    .await;
    sw.each(
        w,
        Case::new("POST /notifications/read", Place::Own),
        async |_| (),
        |_| Want::Ok(303),
        |_, _| form("/notifications/read", &[]),
    )
    .await;
    sw.each(
        w,
        Case::new("POST /logout", Place::Own).note("a second session"),
        async |who| w.session(who.id).await,
        |_| Want::Ok(303),
        |s, _| Req {
            session: Some(s.clone()),
            ..form("/logout", &[])
        },
    )
    .await;
}

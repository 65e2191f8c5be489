//! The form posts of the Conversations pages: listening queries with their live check and
//! preview fragments, the response target, and a conversation's changes, notes, replies and
//! retries, one at a time and in bulk. The same expectations as the API (`api_conv`).

use super::api_conv::{leads, listens, reads, worked, works};
use super::harness::{Case, Sweep, form};
use super::model::{Mkt, Place, Power, Want, allow, guard};
use super::world::{POST_WORD, World};

pub const ROUTES: &[&str] = &[
    "POST /conversations/queries",
    "POST /conversations/queries/check",
    "POST /conversations/queries/preview",
    "POST /conversations/queries/{id}",
    "POST /conversations/queries/{id}/delete",
    "POST /conversations/responses/target",
    "POST /conversations/bulk",
    "POST /conversations/{id}/change",
    "POST /conversations/{id}/notes",
    "POST /conversations/{id}/labels",
    "POST /conversations/{id}/replies",
    "POST /conversations/{id}/replies/{reply}/retry",
];

pub async fn run(w: &World, sw: &mut Sweep) {
    let g = Place::Global;
    sw.each(
        w,
        Case::new("POST /conversations/queries/check", g),
        async |_| (),
        |_| Want::Read(200),
        |_, _| {
            form(
                "/conversations/queries/check",
                &[("query", "nokia AND lumia*")],
            )
        },
    )
    .await;
    sw.each(
        w,
        Case::new("POST /conversations/queries/preview", g).showing(&[
            "CONV-BR",
            "CONV-JP",
            "CONV-BOTH",
        ]),
        async |_| (),
        |p| allow(listens(p), Want::Read(200)),
        |_, _| form("/conversations/queries/preview", &[("query", POST_WORD)]),
    )
    .await;
    for place in [Place::Own, Place::Other] {
        let m = place.market().unwrap();
        let fields = |name: String| {
            vec![
                ("market".to_owned(), m.code().to_owned()),
                ("name".to_owned(), name),
                ("query".to_owned(), "brand".to_owned()),
                ("side".to_owned(), "topic".to_owned()),
                ("active".to_owned(), "on".to_owned()),
            ]
        };
        let as_form = |path: String, f: Vec<(String, String)>| {
            let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            form(path, &f)
        };
        sw.each(
            w,
            Case::new("POST /conversations/queries", place).naming(&[m]),
            async |_| w.next(),
            |p| allow(leads(p, m), Want::Done(303)),
            |n, _| {
                as_form(
                    "/conversations/queries".into(),
                    fields(format!("Page query {n}")),
                )
            },
        )
        .await;
        sw.each(
            w,
            Case::new("POST /conversations/queries/{id}", place),
            async |_| w.query(m).await,
            |p| guard(reads(p, place), leads(p, m), Want::Done(303)),
            |q, _| {
                as_form(
                    format!("/conversations/queries/{q}"),
                    fields(format!("Renamed query {}", w.next())),
                )
            },
        )
        .await;
        sw.each(
            w,
            Case::new("POST /conversations/queries/{id}/delete", place),
            async |_| w.query(m).await,
            |p| guard(reads(p, place), leads(p, m), Want::Done(303)),
            |q, _| form(format!("/conversations/queries/{q}/delete"), &[]),
        )
        .await;
        sw.each(
            w,
            Case::new("POST /conversations/responses/target", place).naming(&[m]),
            async |_| w.next(),
            |p| allow(leads(p, m), Want::Done(303)),
            |n, _| {
                form(
                    "/conversations/responses/target",
                    &[("market", m.code()), ("minutes", &(30 + n).to_string())],
                )
            },
        )
        .await;
    }
    for place in [Place::Own, Place::Other, Place::Global] {
        sw.each(
            w,
            Case::new("POST /conversations/{id}/change", place),
            async |_| w.conversation(place).await,
            |p| worked(p, place, Want::Done(303)),
            |c, _| form(format!("/conversations/{c}/change"), &[("status", "open")]),
        )
        .await;
        sw.each(
            w,
            Case::new("POST /conversations/bulk", place),
            async |_| w.conversation(place).await,
            |p| worked(p, place, Want::Done(303)),
            |c, _| {
                form(
                    "/conversations/bulk",
                    &[
                        ("id", &c.to_string()),
                        ("status", "open"),
                        ("back", "/conversations"),
                    ],
                )
            },
        )
        .await;
        sw.each(
            w,
            Case::new("POST /conversations/{id}/labels", place),
            async |_| w.conversation(place).await,
            |p| worked(p, place, Want::Done(303)),
            |c, _| {
                form(
                    format!("/conversations/{c}/labels"),
                    &[("sentiment", "negative")],
                )
            },
        )
        .await;
        sw.each(
            w,
            Case::new("POST /conversations/{id}/notes", place),
            async |_| w.conversation(place).await,
            |p| worked(p, place, Want::Done(303)),
            |c, _| {
                form(
                    format!("/conversations/{c}/notes"),
                    &[("body", "Call back")],
                )
            },
        )
        .await;
        // Replies speak for an account of a market: working that market's inbox is needed.
        let from = place.market().unwrap_or(Mkt::Br);
        let replies = |p: &super::model::Persona| {
            super::model::reply(
                reads(p, place),
                works(p, place),
                p.can(Power::WorkConversations, from),
                Want::Done(303),
            )
        };
        // Retrying a reply that goes out from an account of a market the person does not work
        // is refused (403): they did not choose the account, someone else did.
        let retries = |p: &super::model::Persona| {
            guard(
                reads(p, place),
                works(p, place) && p.can(Power::WorkConversations, from),
                Want::Done(303),
            )
        };
        sw.each(
            w,
            Case::new("POST /conversations/{id}/replies", place)
                .note(format!("from the {} account", from.code())),
            async |_| w.conversation(place).await,
            replies,
            |c, _| {
                form(
                    format!("/conversations/{c}/replies"),
                    &[
                        ("account", &w.account(from).to_string()),
                        ("body", "Thanks for writing"),
                    ],
                )
            },
        )
        .await;
        sw.each(
            w,
            Case::new("POST /conversations/{id}/replies/{reply}/retry", place)
                .note(format!("from the {} account", from.code())),
            async |_| {
                let c = w.conversation(place).await;
                (c, w.failed_reply(c, from).await)
            },
            retries,
            |(c, r), _| form(format!("/conversations/{c}/replies/{r}/retry"), &[]),
        )
        .await;
    }
}

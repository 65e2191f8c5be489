//! The JSON API of Conversations: listening queries with their check and preview, the inbox and
//! its changes, notes and replies, signals and response times.

use reqwest::Method;
use serde_json::json;

use super::harness::{Case, Sweep, delete, get, post, put, send};
use super::model::{MARKETS, Mkt, Persona, Place, Power, Want, allow, collection, guard, reply};
use super::world::{POST_WORD, Person, World};

pub const ROUTES: &[&str] = &[
    "GET /api/v1/listening-queries",
    "POST /api/v1/listening-queries",
    "POST /api/v1/listening-queries/check",
    "POST /api/v1/listening-queries/preview",
    "GET /api/v1/listening-queries/{id}",
    "PUT /api/v1/listening-queries/{id}",
    "DELETE /api/v1/listening-queries/{id}",
    "GET /api/v1/conversations",
    "POST /api/v1/conversations/bulk",
    "GET /api/v1/conversations/{id}",
    "PATCH /api/v1/conversations/{id}",
    "POST /api/v1/conversations/{id}/notes",
    "POST /api/v1/conversations/{id}/replies",
    "POST /api/v1/conversations/{id}/labels",
    "GET /api/v1/conversations/corrections.jsonl",
    "GET /api/v1/signals/volume",
    "GET /api/v1/signals/share-of-voice",
    "GET /api/v1/signals/alerts",
    "GET /api/v1/response-times",
    "PUT /api/v1/markets/{code}/response-target",
];

/// Reads the conversations of `place` (one found by both markets: in either).
pub fn reads(p: &Persona, place: Place) -> bool {
    p.can_in_any(Power::ReadConversations, place.markets())
}

pub fn works(p: &Persona, place: Place) -> bool {
    p.can_in_any(Power::WorkConversations, place.markets())
}

/// Whether the person reads conversations anywhere (the preview of a draft query needs it).
pub fn listens(p: &Persona) -> bool {
    p.can_in_any(Power::ReadConversations, &MARKETS)
}

pub fn leads(p: &Persona, m: Mkt) -> bool {
    p.can(Power::LeadMarket, m)
}

/// A change to a conversation's status, for the inbox cases.
pub fn worked(p: &Persona, place: Place, ok: Want) -> Want {
    guard(reads(p, place), works(p, place), ok)
}

pub async fn run(w: &World, sw: &mut Sweep) {
    let g = Place::Global;
    let all = &["CONV-BR", "CONV-JP", "CONV-BOTH"][..];
    for (route, path, shows) in [
        (
            "GET /api/v1/listening-queries",
            "/api/v1/listening-queries",
            &all[..2],
        ),
        ("GET /api/v1/conversations", "/api/v1/conversations", all),
        (
            "GET /api/v1/conversations/corrections.jsonl",
            "/api/v1/conversations/corrections.jsonl",
            &[],
        ),
        ("GET /api/v1/signals/alerts", "/api/v1/signals/alerts", &[]),
        ("GET /api/v1/response-times", "/api/v1/response-times", &[]),
    ] {
        // Someone who reads no market's conversations is refused the collection (403, as on
        // the pages); the others get their markets' part of it.
        let case = Case::new(route, g).showing(shows);
        sw.each(
            w,
            case,
            async |_| (),
            |p| collection(listens(p), Want::Read(200)),
            |_, _| get(path),
        )
        .await;
    }
    sw.each(
        w,
        Case::new("POST /api/v1/listening-queries/check", g),
        async |_| (),
        |_| Want::Read(200),
        |_, _| {
            post(
                "/api/v1/listening-queries/check",
                json!({"query": "nokia AND lumia*"}),
            )
        },
    )
    .await;
    // The preview runs a draft over stored posts: only posts of markets the person reads.
    sw.each(
        w,
        Case::new("POST /api/v1/listening-queries/preview", g).showing(all),
        async |_| (),
        |p| allow(listens(p), Want::Read(200)),
        |_, _| {
            post(
                "/api/v1/listening-queries/preview",
                json!({"query": POST_WORD}),
            )
        },
    )
    .await;

    for place in [Place::Own, Place::Other] {
        let m = place.market().unwrap();
        sw.each(
            w,
            Case::new("POST /api/v1/listening-queries", place).naming(&[m]),
            async |_| w.next(),
            |p| allow(leads(p, m), Want::Done(201)),
            |n, _| {
                post(
                    "/api/v1/listening-queries",
                    json!({"market": m.code(), "name": format!("New query {n}"), "query": "brand"}),
                )
            },
        )
        .await;
        let query = async |_: &Person| w.query(m).await;
        sw.each(
            w,
            Case::new("GET /api/v1/listening-queries/{id}", place),
            query,
            |p| guard(reads(p, place), true, Want::Read(200)),
            |q, _| get(format!("/api/v1/listening-queries/{q}")),
        )
        .await;
        sw.each(
            w,
            Case::new("GET /api/v1/signals/volume", place),
            query,
            |p| guard(reads(p, place), true, Want::Read(200)),
            |q, _| get(format!("/api/v1/signals/volume?query={q}")),
        )
        .await;
        sw.each(
            w,
            Case::new("PUT /api/v1/listening-queries/{id}", place),
            query,
            |p| guard(reads(p, place), leads(p, m), Want::Done(200)),
            |q, _| {
                put(
                    format!("/api/v1/listening-queries/{q}"),
                    json!({"market": m.code(), "name": format!("Renamed query {}", w.next()),
                           "query": "brand"}),
                )
            },
        )
        .await;
        sw.each(
            w,
            Case::new("DELETE /api/v1/listening-queries/{id}", place),
            query,
            |p| guard(reads(p, place), leads(p, m), Want::Done(204)),
            |q, _| delete(format!("/api/v1/listening-queries/{q}")),
        )
        .await;
        sw.each(
            w,
            Case::new("GET /api/v1/signals/share-of-voice", place).naming(&[m]),
            async |_| (),
            |p| guard(reads(p, place), true, Want::Read(200)),
            |_, _| {
                get(format!(
                    "/api/v1/signals/share-of-voice?market={}",
                    m.code()
                ))
            },
        )
        .await;
        sw.each(
            w,
            Case::new("PUT /api/v1/markets/{code}/response-target", place).naming(&[m]),
            async |_| w.next(),
            |p| allow(leads(p, m), Want::Done(204)),
            |n, _| {
                put(
                    format!("/api/v1/markets/{}/response-target", m.code()),
                    json!({"minutes": 30 + n}),
                )
            },
        )
        .await;
    }

    for place in [Place::Own, Place::Other, Place::Global] {
        let conv = async |_: &Person| w.conversation(place).await;
        sw.each(
            w,
            Case::new("GET /api/v1/conversations/{id}", place).showing(&["CONV-"]),
            conv,
            |p| guard(reads(p, place), true, Want::Read(200)),
            |c, _| get(format!("/api/v1/conversations/{c}")),
        )
        .await;
        sw.each(
            w,
            Case::new("PATCH /api/v1/conversations/{id}", place),
            conv,
            |p| worked(p, place, Want::Done(200)),
            |c, _| {
                send(
                    Method::PATCH,
                    format!("/api/v1/conversations/{c}"),
                    json!({"status": "open"}),
                )
            },
        )
        .await;
        sw.each(
            w,
            Case::new("POST /api/v1/conversations/bulk", place),
            conv,
            |p| worked(p, place, Want::Done(200)),
            |c, _| {
                post(
                    "/api/v1/conversations/bulk",
                    json!({"ids": [c], "status": "open"}),
                )
            },
        )
        .await;
        sw.each(
            w,
            Case::new("POST /api/v1/conversations/{id}/labels", place),
            conv,
            |p| worked(p, place, Want::Done(200)),
            |c, _| {
                post(
                    format!("/api/v1/conversations/{c}/labels"),
                    json!({"language": "Spanish", "sentiment": "negative"}),
                )
            },
        )
        .await;
        sw.each(
            w,
            Case::new("POST /api/v1/conversations/{id}/notes", place),
            conv,
            |p| worked(p, place, Want::Done(201)),
            |c, _| {
                post(
                    format!("/api/v1/conversations/{c}/notes"),
                    json!({"body": "Call back"}),
                )
            },
        )
        .await;
        // A reply speaks for an account: from the own market's account, it needs working the
        // own market's conversations (a conversation both markets found included).
        let from = place.market().unwrap_or(Mkt::Br);
        sw.each(
            w,
            Case::new("POST /api/v1/conversations/{id}/replies", place)
                .note(format!("from the {} account", from.code())),
            conv,
            |p| {
                reply(
                    reads(p, place),
                    works(p, place),
                    p.can(Power::WorkConversations, from),
                    Want::Done(201),
                )
            },
            |c, _| {
                post(
                    format!("/api/v1/conversations/{c}/replies"),
                    json!({"account_id": w.account(from), "body": "Thanks for writing"}),
                )
            },
        )
        .await;
    }
}

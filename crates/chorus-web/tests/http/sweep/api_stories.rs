//! The JSON API of Stories: stories and their variants, the checks, the workflow, comments,
//! campaigns, the calendar and notifications.

use chorus_core::stories::workflow::{StoryState, Transition};
use reqwest::Method;
use serde_json::json;

use super::fixtures::Shape;
use super::harness::{Case, Sweep, delete, get, post, put, send};
use super::model::{Mkt, Persona, Place, Power, Want, allow, guard, guard_state};
use super::world::{Person, World};

pub const ROUTES: &[&str] = &[
    "GET /api/v1/stories",
    "POST /api/v1/stories",
    "GET /api/v1/stories/{id}",
    "PUT /api/v1/stories/{id}",
    "POST /api/v1/stories/{id}/variants",
    "PUT /api/v1/stories/{id}/variants/{vid}",
    "DELETE /api/v1/stories/{id}/variants/{vid}",
    "POST /api/v1/stories/{id}/check",
    "POST /api/v1/stories/{id}/transitions",
    "GET /api/v1/stories/{id}/comments",
    "POST /api/v1/stories/{id}/comments",
    "GET /api/v1/campaigns",
    "POST /api/v1/campaigns",
    "GET /api/v1/campaigns/{id}",
    "PUT /api/v1/campaigns/{id}",
    "POST /api/v1/campaigns/{id}/state",
    "GET /api/v1/calendar",
    "POST /api/v1/variants/{id}/reschedule",
    "GET /api/v1/notifications",
];

/// Who may change a story's content: those who edit the market's stories (the fixtures' author
/// is a writer no persona is).
pub fn edits(p: &Persona, m: Mkt) -> bool {
    p.can(Power::EditStories, m)
}

pub fn reads(p: &Persona, m: Mkt) -> bool {
    p.can(Power::ReadStories, m)
}

/// The state a transition starts from, and the power of the story's market it needs.
pub const FLOWS: [(Transition, StoryState, Power); 7] = [
    (Transition::Submit, StoryState::Draft, Power::EditStories),
    (
        Transition::Approve,
        StoryState::InReview,
        Power::ReviewStories,
    ),
    (
        Transition::Reject,
        StoryState::InReview,
        Power::ReviewStories,
    ),
    // Reopening is editing: the author, editors and leads.
    (Transition::Reopen, StoryState::Rejected, Power::EditStories),
    (
        Transition::Schedule,
        StoryState::Approved,
        Power::EditStories,
    ),
    (
        Transition::Unschedule,
        StoryState::Scheduled,
        Power::EditStories,
    ),
    (Transition::Retry, StoryState::Failed, Power::EditStories),
];

/// Stories whose content may change (a draft) and may not (published): 409 for those who
/// could otherwise change it.
pub const STORY_SHAPES: [Shape; 2] = [
    Shape::In(StoryState::Draft),
    Shape::In(StoryState::Published),
];

/// The same for one variant, plus a published variant of a story that is not (its other
/// variant failed).
pub const VARIANT_SHAPES: [Shape; 3] = [
    Shape::In(StoryState::Draft),
    Shape::In(StoryState::Published),
    Shape::PartlyPublished,
];

/// Variants on the calendar: scheduled (may move), published (may not).
pub const MOVE_SHAPES: [Shape; 3] = [
    Shape::In(StoryState::Scheduled),
    Shape::In(StoryState::Published),
    Shape::PartlyPublished,
];

fn variant_body(m: Mkt, w: &World) -> serde_json::Value {
    json!({"account": w.handle(m), "locale": m.locale(), "text": "Changed text"})
}

pub async fn run(w: &World, sw: &mut Sweep) {
    let g = Place::Global;
    for (route, path, shows) in [
        (
            "GET /api/v1/stories",
            "/api/v1/stories",
            &["STORY-BR", "STORY-JP"][..],
        ),
        (
            "GET /api/v1/campaigns",
            "/api/v1/campaigns",
            &["CAMP-BR", "CAMP-JP", "CAMP-BOTH"],
        ),
        ("GET /api/v1/notifications", "/api/v1/notifications", &[]),
    ] {
        let case = Case::new(route, g).showing(shows);
        sw.each(w, case, async |_| (), |_| Want::Read(200), |_, _| get(path))
            .await;
    }
    let day = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_hours(24 * 10))
        .unwrap()
        .strftime("%Y-%m-%d")
        .to_string();
    sw.each(
        w,
        Case::new("GET /api/v1/calendar", g).showing(&["STORY-BR", "STORY-JP"]),
        async |_| (),
        |_| Want::Read(200),
        |_, _| get(format!("/api/v1/calendar?view=week&date={day}")),
    )
    .await;

    for place in [Place::Own, Place::Other] {
        let m = place.market().unwrap();
        stories_in(w, sw, place, m).await;
        campaigns_in(w, sw, place).await;
    }
    campaigns_in(w, sw, g).await;

    // A story naming another market's campaign: refused without naming that campaign to those
    // who may not see it.
    let jp_campaign = w.campaign(&[Mkt::Jp]).await;
    sw.each(
        w,
        Case::new("POST /api/v1/stories", Place::Own)
            .note("with another market's campaign")
            .naming(&[Mkt::Br]),
        async |_| (),
        |p| allow(p.can(Power::DraftStories, Mkt::Br), Want::No(422)),
        |_, _| {
            post(
                "/api/v1/stories",
                json!({"market": "BR", "title": "A story", "campaign_id": jp_campaign}),
            )
        },
    )
    .await;
}

async fn stories_in(w: &World, sw: &mut Sweep, place: Place, m: Mkt) {
    sw.each(
        w,
        Case::new("POST /api/v1/stories", place).naming(&[m]),
        async |_| (),
        |p| allow(p.can(Power::DraftStories, m), Want::Done(201)),
        |_, _| {
            post(
                "/api/v1/stories",
                json!({"market": m.code(), "title": "A new story", "principles": ["5"]}),
            )
        },
    )
    .await;
    let draft = async |_: &Person| w.story(m, StoryState::Draft).await;
    sw.each(
        w,
        Case::new("GET /api/v1/stories/{id}", place),
        draft,
        |p| guard(reads(p, m), true, Want::Read(200)),
        |s, _| get(format!("/api/v1/stories/{}", s.id)),
    )
    .await;
    sw.each(
        w,
        Case::new("POST /api/v1/stories/{id}/check", place),
        draft,
        |p| guard(reads(p, m), true, Want::Read(200)),
        |s, _| {
            post(
                format!("/api/v1/stories/{}/check", s.id),
                json!({"text": "Hello"}),
            )
        },
    )
    .await;
    sw.each(
        w,
        Case::new("GET /api/v1/stories/{id}/comments", place),
        draft,
        |p| guard(reads(p, m), true, Want::Read(200)),
        |s, _| get(format!("/api/v1/stories/{}/comments", s.id)),
    )
    .await;
    sw.each(
        w,
        Case::new("POST /api/v1/stories/{id}/comments", place),
        draft,
        |p| guard(reads(p, m), true, Want::Done(201)),
        |s, _| {
            post(
                format!("/api/v1/stories/{}/comments", s.id),
                json!({"body": "Nice"}),
            )
        },
    )
    .await;
    for shape in STORY_SHAPES {
        let fx = async |_: &Person| w.shaped(m, shape, false).await;
        let want = |ok| move |p: &Persona| guard_state(reads(p, m), edits(p, m), shape.open(), ok);
        sw.each(
            w,
            Case::new("PUT /api/v1/stories/{id}", place).note(shape.note()),
            fx,
            want(Want::Done(200)),
            |s, _| {
                put(
                    format!("/api/v1/stories/{}", s.id),
                    json!({"market": m.code(), "title": "Changed title", "principles": ["5"]}),
                )
            },
        )
        .await;
        sw.each(
            w,
            Case::new("POST /api/v1/stories/{id}/variants", place).note(shape.note()),
            fx,
            want(Want::Done(201)),
            |s, _| {
                post(
                    format!("/api/v1/stories/{}/variants", s.id),
                    json!({"account": w.handle2(m), "locale": m.locale(), "text": "Second"}),
                )
            },
        )
        .await;
    }
    for shape in VARIANT_SHAPES {
        let fx = async |_: &Person| w.shaped(m, shape, false).await;
        let want = |ok| move |p: &Persona| guard_state(reads(p, m), edits(p, m), shape.open(), ok);
        sw.each(
            w,
            Case::new("PUT /api/v1/stories/{id}/variants/{vid}", place).note(shape.note()),
            fx,
            want(Want::Done(200)),
            |s, _| {
                put(
                    format!("/api/v1/stories/{}/variants/{}", s.id, s.variant),
                    variant_body(m, w),
                )
            },
        )
        .await;
        sw.each(
            w,
            Case::new("DELETE /api/v1/stories/{id}/variants/{vid}", place).note(shape.note()),
            fx,
            want(Want::Done(204)),
            |s, _| delete(format!("/api/v1/stories/{}/variants/{}", s.id, s.variant)),
        )
        .await;
    }
    for (t, from, power) in FLOWS {
        sw.each(
            w,
            Case::new("POST /api/v1/stories/{id}/transitions", place).note(t.as_str()),
            async |_| w.story(m, from).await,
            |p| guard(reads(p, m), p.can(power, m), Want::Done(200)),
            |s, _| {
                post(
                    format!("/api/v1/stories/{}/transitions", s.id),
                    json!({"transition": t.as_str(), "reason": "The claim needs a source."}),
                )
            },
        )
        .await;
    }
    sw.each(
        w,
        Case::new("POST /api/v1/stories/{id}/transitions", place).note("approve a published story"),
        async |_| w.story(m, StoryState::Published).await,
        |p| {
            guard_state(
                reads(p, m),
                p.can(Power::ReviewStories, m),
                false,
                Want::Done(200),
            )
        },
        |s, _| {
            post(
                format!("/api/v1/stories/{}/transitions", s.id),
                json!({"transition": "approve"}),
            )
        },
    )
    .await;
    for shape in MOVE_SHAPES {
        sw.each(
            w,
            Case::new("POST /api/v1/variants/{id}/reschedule", place).note(shape.note()),
            async |_| w.shaped(m, shape, false).await,
            |p| guard_state(reads(p, m), edits(p, m), shape.open(), Want::Done(200)),
            |s, _| {
                post(
                    format!("/api/v1/variants/{}/reschedule", s.variant),
                    json!({"local": "2031-03-10T10:00"}),
                )
            },
        )
        .await;
    }
}

async fn campaigns_in(w: &World, sw: &mut Sweep, place: Place) {
    let markets = place.markets();
    let codes: Vec<&str> = markets.iter().map(|m| m.code()).collect();
    sw.each(
        w,
        Case::new("POST /api/v1/campaigns", place).naming(markets),
        async |_| w.next(),
        |p| allow(p.runs_campaign(markets), Want::Done(201)),
        |n, _| {
            post(
                "/api/v1/campaigns",
                json!({"name": format!("New campaign {n}"), "markets": codes,
                       "starts_on": "2030-01-01", "ends_on": "2030-06-30"}),
            )
        },
    )
    .await;
    let fx = async |_: &Person| w.campaign(markets).await;
    sw.each(
        w,
        Case::new("GET /api/v1/campaigns/{id}", place),
        fx,
        |p| guard(p.sees_campaign(markets), true, Want::Read(200)),
        |c, _| get(format!("/api/v1/campaigns/{c}")),
    )
    .await;
    let manages = |p: &Persona| {
        guard(
            p.sees_campaign(markets),
            p.runs_campaign(markets),
            Want::Done(200),
        )
    };
    sw.each(
        w,
        Case::new("PUT /api/v1/campaigns/{id}", place),
        fx,
        manages,
        |c, _| {
            send(
                Method::PUT,
                format!("/api/v1/campaigns/{c}"),
                json!({"name": format!("Renamed campaign {}", w.next()), "markets": codes,
                       "starts_on": "2030-01-01", "ends_on": "2030-06-30"}),
            )
        },
    )
    .await;
    sw.each(
        w,
        Case::new("POST /api/v1/campaigns/{id}/state", place),
        fx,
        manages,
        |c, _| {
            post(
                format!("/api/v1/campaigns/{c}/state"),
                json!({"state": "active"}),
            )
        },
    )
    .await;
}

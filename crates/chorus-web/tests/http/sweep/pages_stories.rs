//! The form posts of the Stories pages: stories, the composer (variants, checks, images),
//! transitions, comments, campaigns, the calendar's moves and the CSV import. The same
//! expectations as the API (`api_stories`), with a redirect (303) where the API answers 2xx.

use chorus_core::stories::workflow::StoryState;
use reqwest::Method;

use super::api_stories::{FLOWS, MOVE_SHAPES, STORY_SHAPES, VARIANT_SHAPES, edits, reads};
use super::fixtures::PNG;
use super::harness::{Body, Case, Req, Sweep, Via, form};
use super::model::{
    MARKETS, Mkt, Persona, Place, Power, Want, allow, collection, guard, guard_state,
};
use super::world::World;

pub const ROUTES: &[&str] = &[
    "POST /stories",
    "POST /stories/{id}",
    "POST /stories/{id}/transition",
    "POST /stories/{id}/comments",
    "POST /stories/{id}/variants",
    "POST /stories/{id}/variants/{vid}",
    "POST /stories/{id}/variants/{vid}/delete",
    "POST /stories/{id}/check",
    "POST /stories/{id}/variants/{vid}/images",
    "POST /stories/{id}/uploads",
    "POST /stories/{id}/variants/{vid}/images/{iid}",
    "POST /stories/{id}/variants/{vid}/images/{iid}/delete",
    "POST /stories/campaigns",
    "POST /stories/campaigns/{id}",
    "POST /stories/campaigns/{id}/state",
    "POST /stories/variants/{vid}/reschedule",
    "POST /stories/import",
];

fn csv(rows: &str) -> Req {
    form(
        "/stories/import",
        &[(
            "csv",
            &format!("story,market,account,locale,text,campaign\n{rows}\n"),
        )],
    )
}

fn upload(path: String) -> Req {
    Req {
        via: Via::Page,
        method: Method::POST,
        path,
        body: Body::Upload {
            bytes: PNG.to_vec(),
            alt: "A second picture".into(),
        },
        session: None,
    }
}

pub async fn run(w: &World, sw: &mut Sweep) {
    for place in [Place::Own, Place::Other] {
        let m = place.market().unwrap();
        stories_in(w, sw, place, m).await;
        campaigns_in(w, sw, place).await;
        // A content plan with one row for the market: someone who writes stories nowhere is
        // refused the import as such (403); for the others, rows they may not write are
        // problems of the file (422, nothing imported), like any other bad row.
        sw.each(
            w,
            Case::new("POST /stories/import", place).naming(&[m]),
            async |_| w.next(),
            |p| {
                if p.can(Power::DraftStories, m) {
                    Want::Done(200)
                } else {
                    collection(p.can_in_any(Power::DraftStories, &MARKETS), Want::No(422))
                }
            },
            |n, _| {
                csv(&format!(
                    "Imported {n},{},{},{},Hello,",
                    m.code(),
                    w.handle(m),
                    m.locale()
                ))
            },
        )
        .await;
    }
    campaigns_in(w, sw, Place::Global).await;

    // Naming another market's campaign: refused, and never named to who may not see it.
    let jp_campaign = w.campaign(&[Mkt::Jp]).await;
    sw.each(
        w,
        Case::new("POST /stories", Place::Own)
            .note("with another market's campaign")
            .naming(&[Mkt::Br]),
        async |_| (),
        |p| allow(p.can(Power::DraftStories, Mkt::Br), Want::No(422)),
        |_, _| {
            form(
                "/stories",
                &[
                    ("market", "BR"),
                    ("title", "A story"),
                    ("campaign", &jp_campaign.to_string()),
                ],
            )
        },
    )
    .await;
    sw.each(
        w,
        Case::new("POST /stories/import", Place::Own)
            .note("with another market's campaign")
            .naming(&[Mkt::Br]),
        async |_| (),
        |p| collection(p.can_in_any(Power::DraftStories, &MARKETS), Want::No(422)),
        |_, _| {
            csv(&format!(
                "Campaign story,BR,{},pt-BR,Hello,{jp_campaign}",
                w.handle(Mkt::Br)
            ))
        },
    )
    .await;
}

async fn stories_in(w: &World, sw: &mut Sweep, place: Place, m: Mkt) {
    sw.each(
        w,
        Case::new("POST /stories", place).naming(&[m]),
        async |_| (),
        |p| allow(p.can(Power::DraftStories, m), Want::Done(303)),
        |_, _| {
            form(
                "/stories",
                &[
                    ("market", m.code()),
                    ("title", "A new story"),
                    ("principles", "5"),
                ],
            )
        },
    )
    .await;
    sw.each(
        w,
        Case::new("POST /stories/{id}/comments", place),
        async |_| w.story(m, StoryState::Draft).await,
        |p| guard(reads(p, m), true, Want::Done(303)),
        |s, _| form(format!("/stories/{}/comments", s.id), &[("body", "Nice")]),
    )
    .await;
    sw.each(
        w,
        Case::new("POST /stories/{id}/check", place),
        async |_| w.story(m, StoryState::Draft).await,
        |p| guard(reads(p, m), true, Want::Read(200)),
        |s, _| {
            let v = s.variant.to_string();
            form(
                format!("/stories/{}/check", s.id),
                &[("variant", &v), ("body", "Hello")],
            )
        },
    )
    .await;
    for shape in STORY_SHAPES {
        let want = |ok| move |p: &Persona| guard_state(reads(p, m), edits(p, m), shape.open(), ok);
        sw.each(
            w,
            Case::new("POST /stories/{id}", place).note(shape.note()),
            async |_| w.shaped(m, shape, false).await,
            want(Want::Done(303)),
            |s, _| {
                form(
                    format!("/stories/{}", s.id),
                    &[("title", "Changed title"), ("principles", "5")],
                )
            },
        )
        .await;
        sw.each(
            w,
            Case::new("POST /stories/{id}/variants", place).note(shape.note()),
            async |_| w.shaped(m, shape, false).await,
            want(Want::Done(303)),
            |s, _| {
                let acct = w.account2(m).to_string();
                form(
                    format!("/stories/{}/variants", s.id),
                    &[
                        ("account", &acct),
                        ("locale", m.locale()),
                        ("body", "Second"),
                    ],
                )
            },
        )
        .await;
        // Images before the first save: staged by whoever may add a variant to the story.
        sw.each(
            w,
            Case::new("POST /stories/{id}/uploads", place).note(shape.note()),
            async |_| w.shaped(m, shape, false).await,
            want(Want::Done(200)),
            |s, _| upload(format!("/stories/{}/uploads", s.id)),
        )
        .await;
    }
    for shape in VARIANT_SHAPES {
        let want = |ok| move |p: &Persona| guard_state(reads(p, m), edits(p, m), shape.open(), ok);
        sw.each(
            w,
            Case::new("POST /stories/{id}/variants/{vid}", place).note(shape.note()),
            async |_| w.shaped(m, shape, false).await,
            want(Want::Done(303)),
            |s, _| {
                let acct = w.account(m).to_string();
                form(
                    format!("/stories/{}/variants/{}", s.id, s.variant),
                    &[
                        ("account", &acct),
                        ("locale", m.locale()),
                        ("body", "Changed text"),
                    ],
                )
            },
        )
        .await;
        sw.each(
            w,
            Case::new("POST /stories/{id}/variants/{vid}/delete", place).note(shape.note()),
            async |_| w.shaped(m, shape, false).await,
            want(Want::Done(303)),
            |s, _| {
                form(
                    format!("/stories/{}/variants/{}/delete", s.id, s.variant),
                    &[],
                )
            },
        )
        .await;
        // Images: the composer's upload answers htmx with 204 and a redirect header.
        sw.each(
            w,
            Case::new("POST /stories/{id}/variants/{vid}/images", place).note(shape.note()),
            async |_| w.shaped(m, shape, true).await,
            want(Want::Done(204)),
            |s, _| upload(format!("/stories/{}/variants/{}/images", s.id, s.variant)),
        )
        .await;
        sw.each(
            w,
            Case::new("POST /stories/{id}/variants/{vid}/images/{iid}", place).note(shape.note()),
            async |_| w.shaped(m, shape, true).await,
            want(Want::Done(303)),
            |s, _| {
                form(
                    format!(
                        "/stories/{}/variants/{}/images/{}",
                        s.id, s.variant, s.image
                    ),
                    &[("alt", "Changed alt text")],
                )
            },
        )
        .await;
        sw.each(
            w,
            Case::new(
                "POST /stories/{id}/variants/{vid}/images/{iid}/delete",
                place,
            )
            .note(shape.note()),
            async |_| w.shaped(m, shape, true).await,
            want(Want::Done(303)),
            |s, _| {
                form(
                    format!(
                        "/stories/{}/variants/{}/images/{}/delete",
                        s.id, s.variant, s.image
                    ),
                    &[],
                )
            },
        )
        .await;
    }
    for (t, from, power) in FLOWS {
        sw.each(
            w,
            Case::new("POST /stories/{id}/transition", place).note(t.as_str()),
            async |_| w.story(m, from).await,
            |p| guard(reads(p, m), p.can(power, m), Want::Done(303)),
            |s, _| {
                form(
                    format!("/stories/{}/transition", s.id),
                    &[
                        ("transition", t.as_str()),
                        ("reason", "The claim needs a source."),
                    ],
                )
            },
        )
        .await;
    }
    sw.each(
        w,
        Case::new("POST /stories/{id}/transition", place).note("approve a published story"),
        async |_| w.story(m, StoryState::Published).await,
        |p| {
            guard_state(
                reads(p, m),
                p.can(Power::ReviewStories, m),
                false,
                Want::Done(303),
            )
        },
        |s, _| {
            form(
                format!("/stories/{}/transition", s.id),
                &[("transition", "approve")],
            )
        },
    )
    .await;
    for shape in MOVE_SHAPES {
        sw.each(
            w,
            Case::new("POST /stories/variants/{vid}/reschedule", place).note(shape.note()),
            async |_| w.shaped(m, shape, false).await,
            |p| guard_state(reads(p, m), edits(p, m), shape.open(), Want::Done(303)),
            |s, _| {
                form(
                    format!("/stories/variants/{}/reschedule", s.variant),
                    &[("local", "2031-03-10T10:00")],
                )
            },
        )
        .await;
    }
}

async fn campaigns_in(w: &World, sw: &mut Sweep, place: Place) {
    let markets = place.markets();
    let fields = |name: String| {
        let mut f: Vec<(String, String)> = vec![
            ("name".into(), name),
            ("starts_on".into(), "2030-01-01".into()),
            ("ends_on".into(), "2030-06-30".into()),
            ("metric_0".into(), "registrations".into()),
            ("target_0".into(), "100".into()),
            ("period_0".into(), "month".into()),
        ];
        for m in markets {
            f.push(("markets".into(), m.code().into()));
        }
        f
    };
    let as_form = |path: String, f: Vec<(String, String)>| {
        let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        form(path, &f)
    };
    sw.each(
        w,
        Case::new("POST /stories/campaigns", place).naming(markets),
        async |_| w.next(),
        |p| allow(p.runs_campaign(markets), Want::Done(303)),
        |n, _| {
            as_form(
                "/stories/campaigns".into(),
                fields(format!("Page campaign {n}")),
            )
        },
    )
    .await;
    let manages = |p: &Persona| {
        guard(
            p.sees_campaign(markets),
            p.runs_campaign(markets),
            Want::Done(303),
        )
    };
    sw.each(
        w,
        Case::new("POST /stories/campaigns/{id}", place),
        async |_| w.campaign(markets).await,
        manages,
        |c, _| {
            as_form(
                format!("/stories/campaigns/{c}"),
                fields(format!("Renamed campaign {}", w.next())),
            )
        },
    )
    .await;
    sw.each(
        w,
        Case::new("POST /stories/campaigns/{id}/state", place),
        async |_| w.campaign(markets).await,
        manages,
        |c, _| {
            form(
                format!("/stories/campaigns/{c}/state"),
                &[("state", "active")],
            )
        },
    )
    .await;
}

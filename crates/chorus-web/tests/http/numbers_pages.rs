//! The Numbers pages beyond the overview: a campaign's objectives with progress, pace and
//! forecast; a published post's snapshot curve; the market league table per 1,000 followers;
//! the top posts — with their figures asserted, their CSVs, and FI's analyst and lead refused
//! (404) a BR campaign's and a BR post's pages.

use chorus_core::Role;
use chorus_core::audit::Author;
use chorus_core::numbers::PostCounts;
use chorus_core::stories::workflow::{StoryState, Transition};
use chorus_core::stories::{CampaignInput, Objective};
use chorus_core::user::Email;
use chorus_store::{
    NewFollowerSnapshot, NewPostSnapshot, PUBLISH_JOB, Store, StoryInput, VariantInput,
};
use reqwest::StatusCode;

use crate::numbers::{market_account, seed_market, seed_principle};
use crate::support::{Browser, email, spawn_app};

fn ms(s: &str) -> i64 {
    s.parse::<jiff::Timestamp>().unwrap().as_millisecond()
}

async fn admin_author(store: &Store) -> Author {
    let admin = store
        .user_by_email(&Email::parse(&email(Role::Admin)).unwrap())
        .await
        .unwrap()
        .unwrap();
    Author::user(admin.id, admin.email.as_str())
}

/// A campaign in `code` over March 2026 with the objectives `(metric, target, period)`, one
/// story with one variant measured on the 10th and the 12th: likes 6 then 12, reposts 0 then
/// 3. Returns the campaign's id.
async fn campaign_with_objectives(
    store: &Store,
    code: &str,
    objectives: &[(&str, &str, &str)],
) -> i64 {
    let sys = Author::system("test");
    let (market, account) = market_account(store, code, "spring").await;
    let objectives: Vec<Objective> = objectives
        .iter()
        .map(|(m, t, p)| Objective::parse(m, t, p).unwrap())
        .collect();
    let input = CampaignInput::parse(
        &format!("Spring {code}"),
        objectives,
        vec![market],
        vec![],
        "2026-03-01",
        "2026-03-31",
    )
    .unwrap();
    let campaign = store.create_campaign(&sys, &input).await.unwrap().id;
    let person = admin_author(store).await;
    let story = store
        .create_story(
            &person,
            &StoryInput {
                market_id: market,
                campaign_id: Some(campaign),
                title: format!("Spring story {code}"),
                brief: "b".into(),
                principles: vec![],
            },
        )
        .await
        .unwrap();
    let variant = store
        .save_variant(
            &person,
            story.id,
            None,
            &VariantInput {
                account_id: account.id,
                locale: "en".into(),
                body: "spring".into(),
                scheduled_at_ms: None,
            },
        )
        .await
        .unwrap();
    let snap = |at: &str, likes: i64, reposts: i64| NewPostSnapshot {
        variant_id: variant.id,
        fetched_at_ms: ms(at),
        counts: PostCounts {
            likes: Some(likes),
            reposts: Some(reposts),
            ..PostCounts::default()
        },
        next_due_ms: ms(at) + 86_400_000,
    };
    store
        .record_post_snapshots(&[
            snap("2026-03-10T10:00:00Z", 6, 0),
            snap("2026-03-12T10:00:00Z", 12, 3),
        ])
        .await
        .unwrap();
    campaign
}

#[tokio::test]
async fn the_campaign_page_measures_each_objective_and_says_what_it_cannot() {
    let app = spawn_app().await;
    let fi = campaign_with_objectives(
        &app.store,
        "FI",
        &[
            ("Likes", "100", "campaign"),
            ("engagement", "10", "per week"),
            ("share of voice", "30", ""),
            ("sign-ups", "50", ""),
        ],
    )
    .await;
    let br = campaign_with_objectives(&app.store, "BR", &[("likes", "5", "")]).await;

    for role in [Role::Analyst, Role::MarketLead] {
        let b = Browser::login_as(&app, role).await;
        let (status, html) = b
            .get_html(&format!("/numbers/campaigns/{fi}?on=2026-03-15"))
            .await;
        assert_eq!(status, StatusCode::OK, "{role}: {html}");
        // Likes: 12 so far; pace 100 × 15/31 = 48.4; the last 7 days gained 12 → 12/7 a day
        // for 16 more days: 12 + 27.4 = 39.4.
        assert!(html.contains("<p class=\"stat__value\">12</p>"), "{html}");
        assert!(html.contains("<p class=\"stat__value\">48.4</p>"), "{html}");
        assert!(html.contains("<p class=\"stat__value\">39.4</p>"), "{html}");
        assert!(html.contains("behind pace"), "{html}");
        assert!(html.contains("over the last 7 days (1.7 a day"), "{html}");
        // Engagement per week: 12 likes + 3 reposts in the week of 9–15 March, target 10.
        assert!(
            html.contains("this week, 2026-03-09 – 2026-03-15"),
            "{html}"
        );
        assert!(html.contains("<p class=\"stat__value\">15</p>"), "{html}");
        assert!(html.contains(">reached<"), "{html}");
        // What Chorus does not count is said, never a 0 progress.
        assert!(
            html.contains("Chorus does not measure &#39;share of voice&#39;"),
            "{html}"
        );
        // Leads are counted by Reach's confirmations: measured (none yet), not "not available".
        assert!(
            !html.contains("Not available: Leads is not available here"),
            "{html}"
        );
        // The daily chart and the table by market.
        assert!(
            html.contains("data-labels=\"Likes;Reposts;Replies;Quotes\""),
            "{html}"
        );
        assert!(
            html.contains("data-ys=\"0,0,0,0,0,0,0,0,0,6,0,6,0,0,0;0,0,0,0,0,0,0,0,0,0,0,3,0,0,0;"),
            "{html}"
        );
        assert!(
            !html.contains("Brazil") && !html.contains("Spring BR"),
            "{html}"
        );

        // The objectives' CSV has the same figures.
        let resp = b
            .get(&format!(
                "/numbers/campaigns/{fi}/objectives.csv?on=2026-03-15"
            ))
            .await;
        assert_eq!(resp.status(), StatusCode::OK);
        let csv = resp.text().await.unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(
            lines[1], "Likes,Likes,100,campaign,2026-03-01,2026-03-31,100,12,48.4,39.4,behind pace",
            "{csv}"
        );
        assert!(
            lines[3].starts_with("share of voice,Chorus does not measure 'share of voice',30,"),
            "{csv}"
        );
        assert!(lines[3].ends_with(",not measured"), "{csv}");
        let resp = b
            .get(&format!(
                "/numbers/campaigns/{fi}/markets.csv?on=2026-03-15"
            ))
            .await;
        let csv = resp.text().await.unwrap();
        assert!(
            csv.lines()
                .nth(1)
                .unwrap()
                .starts_with("FI,Finland,12,3,0,0,"),
            "{csv}"
        );

        // A campaign of another market does not exist for them, page or CSV.
        let (status, html) = b.get_html(&format!("/numbers/campaigns/{br}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{role}");
        assert!(!html.contains("Spring BR"), "{html}");
        let resp = b
            .get(&format!("/numbers/campaigns/{br}/objectives.csv"))
            .await;
        assert_eq!(resp.status(), StatusCode::NOT_FOUND);
        // The campaigns list offers FI's only.
        let (_, list) = b.get_html("/numbers/campaigns").await;
        assert!(list.contains(&format!("/numbers/campaigns/{fi}")), "{list}");
        assert!(!list.contains("Spring BR"), "{list}");
    }

    // Before it starts and after it ends.
    let admin = Browser::login_as(&app, Role::Admin).await;
    let (_, html) = admin
        .get_html(&format!("/numbers/campaigns/{fi}?on=2026-02-20"))
        .await;
    assert!(html.contains("not started"), "{html}");
    assert!(!html.contains("<p class=\"stat__value\">12</p>"), "{html}");
    let (_, html) = admin
        .get_html(&format!("/numbers/campaigns/{fi}?on=2026-05-01"))
        .await;
    assert!(html.contains(">missed<"), "{html}");
    assert!(html.contains("the count is final"), "{html}");
    let (status, _) = admin
        .get_html(&format!("/numbers/campaigns/{fi}?on=soon"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // The admin reads BR's too.
    let (status, _) = admin.get_html(&format!("/numbers/campaigns/{br}")).await;
    assert_eq!(status, StatusCode::OK);
    // Someone who reads no numbers is refused; a campaign that does not exist is not found.
    let editor = Browser::login_as(&app, Role::Editor).await;
    assert_eq!(
        editor
            .get(&format!("/numbers/campaigns/{fi}"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        admin.get("/numbers/campaigns/999999").await.status(),
        StatusCode::NOT_FOUND
    );
    // The campaign's screen in Stories links to its numbers for those who read them.
    let (_, html) = admin.get_html(&format!("/stories/campaigns/{fi}")).await;
    assert!(
        html.contains(&format!("href=\"/numbers/campaigns/{fi}\"")),
        "{html}"
    );
}

/// A published variant in `code` (its story in no campaign); returns (story, variant,
/// published at).
async fn published_post(store: &Store, code: &str) -> (i64, i64, i64) {
    let sys = Author::system("test");
    let (market, account) = market_account(store, code, "post").await;
    let person = admin_author(store).await;
    let story = store
        .create_story(
            &person,
            &StoryInput {
                market_id: market,
                campaign_id: None,
                title: format!("Launch {code}"),
                brief: "b".into(),
                principles: vec![],
            },
        )
        .await
        .unwrap();
    let v = store
        .save_variant(
            &person,
            story.id,
            None,
            &VariantInput {
                account_id: account.id,
                locale: "en".into(),
                body: format!("Out now in {code}"),
                scheduled_at_ms: Some(chorus_store::now_ms() - 1_000),
            },
        )
        .await
        .unwrap();
    let mut s = story;
    for (t, to) in [
        (Transition::Submit, StoryState::InReview),
        (Transition::Approve, StoryState::Approved),
        (Transition::Schedule, StoryState::Scheduled),
    ] {
        s = store.transition_story(&sys, &s, t, to, None).await.unwrap();
    }
    let job = loop {
        let job = store
            .claim_job("test", &[PUBLISH_JOB], 60_000)
            .await
            .unwrap()
            .expect("the publish job is due");
        if job.key == chorus_store::publish_key(v.id) {
            break job;
        }
    };
    store.begin_publish(&job, v.id).await.unwrap();
    store
        .complete_publish(
            &job,
            v.id,
            &format!(
                "at://did:plc:post{}/app.bsky.feed.post/1",
                code.to_lowercase()
            ),
        )
        .await
        .unwrap();
    let at = store.variant(v.id).await.unwrap().published_at_ms.unwrap();
    (s.id, v.id, at)
}

#[tokio::test]
async fn the_post_page_draws_the_snapshot_curve_of_a_post_of_the_viewers_market() {
    let app = spawn_app().await;
    let (story, fi, at) = published_post(&app.store, "FI").await;
    let (_, br, _) = published_post(&app.store, "BR").await;
    let hour = 3_600_000;
    let snap = |v: i64, after: i64, counts: PostCounts| NewPostSnapshot {
        variant_id: v,
        fetched_at_ms: at + after,
        counts,
        next_due_ms: at + after + hour,
    };
    app.store
        .record_post_snapshots(&[
            snap(
                fi,
                hour,
                PostCounts {
                    likes: Some(4),
                    reposts: Some(1),
                    replies: Some(0),
                    quotes: Some(0),
                    first_hour_likes: Some(3),
                    ..PostCounts::default()
                },
            ),
            snap(
                fi,
                24 * hour,
                PostCounts {
                    likes: Some(17),
                    reposts: Some(5),
                    replies: Some(2),
                    quotes: None,
                    ..PostCounts::default()
                },
            ),
            snap(
                br,
                hour,
                PostCounts {
                    likes: Some(99),
                    ..PostCounts::default()
                },
            ),
        ])
        .await
        .unwrap();

    for role in [Role::Analyst, Role::MarketLead] {
        let b = Browser::login_as(&app, role).await;
        let (status, html) = b.get_html(&format!("/numbers/posts/{fi}")).await;
        assert_eq!(status, StatusCode::OK, "{role}: {html}");
        // Latest counts: 17 likes, 5 reposts, 2 replies; quotes were reported at +1 h only.
        for v in ["17", "5", "2", "0"] {
            assert!(
                html.contains(&format!("<p class=\"stat__value\">{v}</p>")),
                "{v}: {html}"
            );
        }
        // First-hour likes, and clicks counted (none yet): rolled up since clicks joined the
        // rollups, so 0 rather than "not available".
        assert!(html.contains("<p class=\"stat__value\">3</p>"), "{html}");
        assert!(
            html.contains("Clicks</p><p class=\"stat__value\">0</p>"),
            "{html}"
        );
        // The curve: hours since publication, one line per count, a gap where not reported.
        assert!(html.contains("data-x=\"1,24\""), "{html}");
        assert!(html.contains("data-ys=\"4,17;1,5;0,2;0,null\""), "{html}");
        assert!(
            html.contains(&format!("href=\"/stories/{story}#variant-{fi}\"")),
            "{html}"
        );
        let csv = b
            .get(&format!("/numbers/posts/{fi}/snapshots.csv"))
            .await
            .text()
            .await
            .unwrap();
        let rows: Vec<Vec<&str>> = csv
            .lines()
            .skip(1)
            .map(|l| l.split(',').skip(1).collect())
            .collect();
        assert_eq!(
            rows,
            vec![
                vec!["1", "4", "1", "0", "0", "3"],
                vec!["24", "17", "5", "2", "not available", "not available"]
            ],
            "{csv}"
        );
        // BR's post does not exist for them, page or CSV; nor does a variant that is not one.
        let (status, html) = b.get_html(&format!("/numbers/posts/{br}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{role}");
        assert!(
            !html.contains("stat__value\">99") && !html.contains("Launch BR"),
            "{html}"
        );
        let resp = b.get(&format!("/numbers/posts/{br}/snapshots.csv")).await;
        assert_eq!(resp.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            b.get("/numbers/posts/999999").await.status(),
            StatusCode::NOT_FOUND
        );
        // The story page links the published variant to its numbers.
        let (_, html) = b.get_html(&format!("/stories/{story}")).await;
        assert!(
            html.contains(&format!("href=\"/numbers/posts/{fi}\"")),
            "{role}: {html}"
        );
    }
    let editor = Browser::login_as(&app, Role::Editor).await;
    assert_eq!(
        editor.get(&format!("/numbers/posts/{fi}")).await.status(),
        StatusCode::FORBIDDEN
    );
    let (_, html) = editor.get_html(&format!("/stories/{story}")).await;
    assert!(
        !html.contains("/numbers/posts/"),
        "editors read no numbers: {html}"
    );
}

#[tokio::test]
async fn the_league_ranks_markets_per_thousand_followers_and_top_posts_link_to_their_pages() {
    let app = spawn_app().await;
    let p = seed_principle(&app.store).await;
    // FI: 12 likes + 3 reposts; BR: 30 + 7; in March.
    seed_market(&app.store, "FI", p, 12, 3).await;
    seed_market(&app.store, "BR", p, 30, 7).await;
    let fi_account = app
        .store
        .accounts(None)
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.handle == "fi.test")
        .unwrap();
    // FI's account had 400 followers, then 500 on the 20th; BR's were never measured.
    app.store
        .record_follower_snapshots(&[
            NewFollowerSnapshot {
                account_id: fi_account.id,
                fetched_at_ms: ms("2026-03-01T08:00:00Z"),
                followers: Some(400),
            },
            NewFollowerSnapshot {
                account_id: fi_account.id,
                fetched_at_ms: ms("2026-03-20T08:00:00Z"),
                followers: Some(500),
            },
        ])
        .await
        .unwrap();

    let admin = Browser::login_as(&app, Role::Admin).await;
    let (status, html) = admin
        .get_html("/numbers/markets?from=2026-03-01&to=2026-03-31")
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    // FI: 15 per 500 followers = 30 per 1,000, ranked 1; BR: no follower figure, no rank.
    let fi_row = html.find("Finland").unwrap();
    let br_row = html.find("Brazil").unwrap();
    assert!(fi_row < br_row, "ranked first: {html}");
    assert!(html.contains("<td class=\"num\">1</td><th scope=\"row\"><span class=\"market-code\">FI</span> Finland</th><td class=\"num\"><strong>30</strong></td><td class=\"num\">15</td><td class=\"num\">500</td>"), "{html}");
    assert!(html.contains("<span class=\"market-code\">BR</span> Brazil</th><td class=\"num\"><strong>not available</strong></td><td class=\"num\">37</td><td class=\"num\">not available</td>"), "{html}");
    // As of the 10th, FI had 400 followers: 6 likes per 400 = 15 per 1,000.
    let csv = admin
        .get("/numbers/markets.csv?from=2026-03-01&to=2026-03-10")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        csv,
        "rank,market,name,engagement,followers,engagement per 1000 followers\n1,FI,Finland,6,400,15\n,BR,Brazil,15,not available,not available\n"
    );

    // FI's analyst sees FI only, in the league and in the top posts.
    let analyst = Browser::login_as(&app, Role::Analyst).await;
    let (_, html) = analyst
        .get_html("/numbers/markets?from=2026-03-01&to=2026-03-31")
        .await;
    assert!(
        html.contains("Finland") && !html.contains("Brazil"),
        "{html}"
    );
    let (_, html) = analyst
        .get_html("/numbers/posts?from=2026-03-01&to=2026-03-31")
        .await;
    assert!(
        html.contains("Story FI") && !html.contains("Story BR"),
        "{html}"
    );
    let (_, html) = admin
        .get_html("/numbers/posts?from=2026-03-01&to=2026-03-31")
        .await;
    let (br_at, fi_at) = (
        html.find("Story BR").unwrap(),
        html.find("Story FI").unwrap(),
    );
    assert!(br_at < fi_at, "37 before 15: {html}");
    assert!(html.contains("<td class=\"num\"><strong>37</strong></td><td class=\"num\">30</td><td class=\"num\">7</td><td class=\"num\">0</td><td class=\"num\">0</td>"), "{html}");
    let (status, _) = analyst.get_html("/numbers/posts?market=BR").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

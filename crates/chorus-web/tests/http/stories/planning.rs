//! Campaigns and what refers to them, the same on the pages and the API: another market's
//! campaign does not exist for a story (API, CSV import) and its name never comes back; a
//! campaign that also runs in another market is seen but not changed by a market lead, who is
//! refused before their input is read; campaign states move along one table; a live campaign
//! keeps an objective with a target.

use chorus_core::audit::Author;
use chorus_core::stories::{CampaignInput, CampaignState, Objective};
use chorus_core::{MarketId, Role};
use chorus_store::AuditQuery;
use reqwest::StatusCode;
use serde_json::json;

use super::seed::world;
use crate::support::*;

async fn campaign(app: &TestApp, name: &str, markets: Vec<MarketId>, state: CampaignState) -> i64 {
    let sys = Author::system("test");
    let objectives = vec![Objective::parse("sign-ups", "5000", "campaign").unwrap()];
    let input = CampaignInput::parse(
        name,
        objectives,
        markets,
        vec![],
        "2026-09-01",
        "2026-10-31",
    )
    .unwrap();
    let c = app.store.create_campaign(&sys, &input).await.unwrap();
    if state != CampaignState::Planning {
        app.store
            .set_campaign_state(&sys, c.id, state)
            .await
            .unwrap();
    }
    c.id
}

async fn campaign_log(app: &TestApp, id: i64) -> Vec<String> {
    app.store
        .audit_entries(&AuditQuery {
            subject_type: Some("campaign".into()),
            subject_id: Some(id.to_string()),
            actor_id: None,
            before_id: None,
            limit: 50,
            from_ms: None,
            to_ms: None,
        })
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect()
}

#[tokio::test]
async fn another_markets_campaign_is_no_campaign_for_a_story_and_its_name_never_comes_back() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let secret = campaign(&app, "Carnaval secreto", vec![w.br], CampaignState::Active).await;
    let shared = campaign(
        &app,
        "Shared launch",
        vec![w.fi, w.br],
        CampaignState::Active,
    )
    .await;
    let editor = api(&app, &token(&app, Role::Editor).await);

    // The API: creating a Finnish story in Brazil's campaign.
    let (status, body) = editor
        .post(
            "/api/v1/stories",
            json!({"market": "FI", "title": "Sneaky", "campaign_id": secret}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "campaign");
    assert!(
        !body.to_string().contains("Carnaval"),
        "the campaign's name is not told: {body}"
    );
    // Changing a story to it is the same refusal.
    let (status, s) = editor
        .post(
            "/api/v1/stories",
            json!({"market": "FI", "title": "Mine", "campaign_id": shared}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "a campaign that runs in FI: {s}"
    );
    let (status, body) = editor
        .put(
            &format!("/api/v1/stories/{}", s["id"]),
            json!({"market": "FI", "title": "Mine", "campaign_id": secret}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(!body.to_string().contains("Carnaval"), "{body}");

    // The CSV import, by the campaign's id: a report row, and not the name.
    let page = Browser::login_as(&app, Role::Editor).await;
    let before = app.store.stories(None, None, 100).await.unwrap().len();
    let csv = format!(
        "story,market,account,locale,text,campaign\n\
         Sneaky,FI,northwind-fi.test,fi-FI,Hei,{secret}\n\
         Fine,FI,northwind-fi.test,fi-FI,Hei,{shared}\n"
    );
    let r = page.post_form("/stories/import", &[("csv", &csv)]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("no campaign"), "{html}");
    assert!(
        !html.contains("Carnaval"),
        "the campaign's name is not told"
    );
    assert_eq!(
        app.store.stories(None, None, 100).await.unwrap().len(),
        before
    );
    // Its slug finds nothing either, and the campaign every reader of FI sees works.
    let csv = "story,market,account,locale,text,campaign\n\
         Sneaky,FI,northwind-fi.test,fi-FI,Hei,carnaval-secreto\n";
    let r = page.post_form("/stories/import", &[("csv", csv)]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let csv = "story,market,account,locale,text,campaign\n\
         Fine,FI,northwind-fi.test,fi-FI,Hei,shared-launch\n";
    let r = page.post_form("/stories/import", &[("csv", csv)]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let stories = app.store.stories(None, None, 100).await.unwrap();
    let fine = stories.iter().find(|s| s.title == "Fine").unwrap();
    assert_eq!(fine.campaign_id, Some(shared));
}

#[tokio::test]
async fn a_campaign_in_two_markets_is_seen_not_changed_by_one_markets_lead_on_both_doors() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let shared = campaign(
        &app,
        "Shared launch",
        vec![w.fi, w.br],
        CampaignState::Planning,
    )
    .await;
    let hidden = campaign(
        &app,
        "Carnaval secreto",
        vec![w.br],
        CampaignState::Planning,
    )
    .await;
    let lead_api = api(&app, &token(&app, Role::MarketLead).await);
    let lead = Browser::login_as(&app, Role::MarketLead).await;

    // Seen, with what the lead may do: nothing.
    let (status, c) = lead_api.get(&format!("/api/v1/campaigns/{shared}")).await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["can_manage"], false);
    assert_eq!(c["next_states"], json!([]));
    let (status, html) = lead.get_html(&format!("/stories/campaigns/{shared}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !html.contains("Edit campaign") && !html.contains("Activate"),
        "{html}"
    );
    let (_, list) = lead_api.get("/api/v1/campaigns").await;
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Shared launch"], "Brazil's own is not listed");
    let (_, html) = lead.get_html("/stories/campaigns").await;
    assert!(html.contains("Shared launch") && !html.contains("Carnaval"));
    // Brazil's own does not exist for them, on either door.
    assert_eq!(
        lead_api.get(&format!("/api/v1/campaigns/{hidden}")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        lead.get(&format!("/stories/campaigns/{hidden}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    // Changing it is refused before the input is read: a bad body is 403 on both doors too.
    let bad = json!({"name": "", "markets": ["FI"], "starts_on": "soon", "ends_on": "later"});
    let good = json!({"name": "Shared launch", "markets": ["FI"], "starts_on": "2026-09-01",
        "ends_on": "2026-10-31", "objectives": [{"metric": "sign-ups", "target": 10}]});
    for body in [bad, good] {
        let (status, err) = lead_api
            .put(&format!("/api/v1/campaigns/{shared}"), body.clone())
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body} -> {err}");
        assert!(
            !err.to_string().contains("Brazil"),
            "names no other market: {err}"
        );
    }
    let r = lead
        .post_form(
            &format!("/stories/campaigns/{shared}"),
            &[("name", ""), ("markets", "FI"), ("starts_on", "soon")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        lead.get(&format!("/stories/campaigns/{shared}/edit"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let (status, _) = lead_api
        .post(
            &format!("/api/v1/campaigns/{shared}/state"),
            json!({"state": "active"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let r = lead
        .post_form(
            &format!("/stories/campaigns/{shared}/state"),
            &[("state", "active")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(campaign_log(&app, shared).await, ["campaign.create"]);

    // Those who run no campaigns are refused the form and the create, whatever they send.
    let editor = Browser::login_as(&app, Role::Editor).await;
    assert_eq!(
        editor.get("/stories/campaigns/new").await.status(),
        StatusCode::FORBIDDEN
    );
    let editor_api = api(&app, &token(&app, Role::Editor).await);
    let (status, _) = editor_api
        .post(
            "/api/v1/campaigns",
            json!({"name": "", "markets": [], "starts_on": "", "ends_on": ""}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let r = editor
        .post_form("/stories/campaigns", &[("name", ""), ("markets", "FI")])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn campaign_states_move_along_one_table_and_live_campaigns_keep_a_target() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let planned = campaign(&app, "Autumn", vec![w.fi], CampaignState::Planning).await;
    let lead_api = api(&app, &token(&app, Role::MarketLead).await);
    let lead = Browser::login_as(&app, Role::MarketLead).await;
    let state_api = |id: i64, to: &'static str| {
        let lead_api = &lead_api;
        async move {
            lead_api
                .post(
                    &format!("/api/v1/campaigns/{id}/state"),
                    json!({"state": to}),
                )
                .await
        }
    };

    // Planning cannot end without having run, nor stay in planning: 409 on state, both doors.
    for to in ["ended", "planning"] {
        let (status, err) = state_api(planned, to).await;
        assert_eq!(status, StatusCode::CONFLICT, "{to}: {err}");
        assert_eq!(err["error"]["field"], "state");
        let r = lead
            .post_form(
                &format!("/stories/campaigns/{planned}/state"),
                &[("state", to)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::CONFLICT, "{to}");
        assert!(r.text().await.unwrap().contains("can only become active"));
    }
    let (status, err) = state_api(planned, "paused").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["field"], "state");
    assert_eq!(campaign_log(&app, planned).await, ["campaign.create"]);

    // The moves the page offers are the moves the API allows.
    let (status, c) = state_api(planned, "active").await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["next_states"], json!(["ended", "planning"]));
    let (_, html) = lead
        .get_html(&format!("/stories/campaigns/{planned}"))
        .await;
    assert!(
        html.contains(r#"value="ended""#) && html.contains(r#"value="planning""#),
        "{html}"
    );
    let (status, _) = state_api(planned, "active").await;
    assert_eq!(status, StatusCode::CONFLICT, "already active");

    // A live campaign keeps an objective with a target: 422 on objectives, both doors.
    let (status, err) = lead_api
        .put(
            &format!("/api/v1/campaigns/{planned}"),
            json!({"name": "Autumn", "markets": ["FI"], "starts_on": "2026-09-01",
                "ends_on": "2026-10-31"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["field"], "objectives");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("principle 5")
    );
    let r = lead
        .post_form(
            &format!("/stories/campaigns/{planned}"),
            &[
                ("name", "Autumn"),
                ("markets", "FI"),
                ("starts_on", "2026-09-01"),
                ("ends_on", "2026-10-31"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    // Said once, as a sentence, at the top of the objectives it is about.
    assert!(
        html.contains(r#"<p class="field__error" id="objectives-error" role="alert">A campaign cannot be activated"#),
        "{html}"
    );
    assert_eq!(html.matches("cannot be activated").count(), 1);
    assert_eq!(
        campaign_log(&app, planned).await,
        ["campaign.state", "campaign.create"],
        "refusals changed nothing"
    );
}

#[tokio::test]
async fn those_who_write_stories_nowhere_import_nothing() {
    let app = spawn_app().await;
    world(&app).await;
    let analyst = Browser::login_as(&app, Role::Analyst).await;
    let (status, html) = analyst.get_html("/stories/import").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains(r#"name="csv""#), "no form to fill: {html}");
    let csv = "story,market,account,locale,text\nLaunch,FI,northwind-fi.test,fi-FI,Hei\n";
    let r = analyst.post_form("/stories/import", &[("csv", csv)]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(app.store.stories(None, None, 10).await.unwrap().is_empty());
}

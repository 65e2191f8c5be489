//! The composer's live checks: the network counter, every rule finding with its principle and
//! fix, the preview (escaped), UTM tagging on save, and rules blocking submission.

use chorus_core::Role;
use chorus_core::audit::Author;
use chorus_core::stories::rules::{Rule, RuleKind};
use chorus_core::stories::workflow::StoryState;
use reqwest::StatusCode;
use serde_json::json;

use super::seed::{World, world};
use crate::support::*;

async fn rules(app: &TestApp, w: &World) {
    let sys = Author::system("test");
    for (kind, market) in [
        (RuleKind::CitePrinciple, None),
        (RuleKind::AltText, None),
        (RuleKind::UtmLinks, None),
        (
            RuleKind::BannedTerm {
                term: "cheap".into(),
            },
            Some(w.fi),
        ),
        (RuleKind::RequiredTerm { term: "#ad".into() }, Some(w.br)),
    ] {
        app.store
            .save_post_rule(
                &sys,
                &Rule {
                    id: 0,
                    kind,
                    market,
                    principle: Some(w.principle),
                    enabled: true,
                },
            )
            .await
            .unwrap();
    }
}

/// Posts the composer's form to the check endpoint as htmx does.
async fn check(b: &Browser, sid: i64, account: i64, body: &str) -> String {
    let r = b
        .with_htmx(b.http.post(b.url(&format!("/stories/{sid}/check"))))
        .form(&[
            ("account", account.to_string().as_str()),
            ("locale", "fi-FI"),
            ("body", body),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.text().await.unwrap()
}

trait Htmx {
    fn with_htmx(&self, rb: reqwest::RequestBuilder) -> reqwest::RequestBuilder;
}

impl Htmx for Browser {
    fn with_htmx(&self, rb: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        rb.header(
            "cookie",
            format!("chorus_session={}", self.session.as_deref().unwrap()),
        )
        .header("x-csrf-token", &self.csrf)
        .header("hx-request", "true")
    }
}

#[tokio::test]
async fn checks_name_the_principle_and_the_fix_and_the_preview_is_escaped() {
    let app = spawn_app().await;
    let w = world(&app).await;
    rules(&app, &w).await;
    let later = chorus_store::now_ms() + 86_400_000;
    let fi = w.story_in(&app.store, w.fi, StoryState::Draft, later).await;
    let editor = Browser::login_as(&app, Role::Editor).await;

    let html = check(
        &editor,
        fi,
        w.fi_account,
        "So cheap! <script>alert(1)</script> https://northwind.example/earbuds",
    )
    .await;
    assert!(
        html.contains("“cheap” is not used in this market&#39;s posts"),
        "{html}"
    );
    assert!(html.contains("Remove or rephrase “cheap”."));
    assert!(html.contains(r#"From principle <a href="/playbook/clear-objectives">5. Define clear objectives from the outset</a>"#), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "preview escapes: {html}"
    );
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(html.contains(r#"class="post-preview__link" href="https://northwind.example/earbuds?utm_source=bluesky&amp;utm_medium=social&amp;utm_campaign=none&amp;utm_content=story-"#), "the preview shows the tagged link: {html}");
    assert!(html.contains("1 problem to fix"), "{html}");
    assert!(html.contains("/ 300"), "Bluesky's limit: {html}");

    // Over the limit: the counter says so and the fix says by how much.
    let long = "é".repeat(305);
    let html = check(&editor, fi, w.fi_account, &long).await;
    assert!(html.contains("<strong>305</strong> / 300"), "{html}");
    assert!(html.contains("Shorten the text by 5 characters."), "{html}");
    assert!(html.contains("counter--over"));

    // A clean text passes; the BR story needs "#ad".
    let html = check(&editor, fi, w.fi_account, "Uudet nappikuulokkeet.").await;
    assert!(html.contains("No problems"), "{html}");
    let br = w.story_in(&app.store, w.br, StoryState::Draft, later).await;
    let admin = api(&app, &token(&app, Role::Admin).await);
    let (status, c) = admin
        .post(
            &format!("/api/v1/stories/{br}/check"),
            json!({"account_id": w.br_account, "text": "Novos fones"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["passes"], false);
    assert_eq!(
        c["findings"][0]["message"],
        "Posts in this market include “#ad”"
    );
    assert_eq!(c["findings"][0]["principle"]["slug"], "clear-objectives");
    let (_, c) = admin
        .post(
            &format!("/api/v1/stories/{br}/check"),
            json!({"account_id": w.br_account, "text": "Novos fones #ad"}),
        )
        .await;
    assert_eq!(c["passes"], true, "{c}");
    // Someone outside BR cannot check BR's stories: they do not exist for them.
    let (status, _) = api(&app, &token(&app, Role::Editor).await)
        .post(&format!("/api/v1/stories/{br}/check"), json!({"text": "x"}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn saving_tags_links_and_failing_rules_block_submission() {
    let app = spawn_app().await;
    let w = world(&app).await;
    rules(&app, &w).await;
    let editor = api(&app, &token(&app, Role::Editor).await);
    let (status, s) = editor
        .post(
            "/api/v1/stories",
            json!({"market": "FI", "title": "No principle"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    let sid = s["id"].as_i64().unwrap();
    let (status, v) = editor
        .post(
            &format!("/api/v1/stories/{sid}/variants"),
            json!({"account": w.fi_account.to_string(), "locale": "fi-FI",
                   "text": "Katso https://northwind.example/a?ref=x#top. So cheap!"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let text = v["variant"]["text"].as_str().unwrap();
    assert_eq!(
        text,
        format!(
            "Katso https://northwind.example/a?ref=x&utm_source=bluesky&utm_medium=social&utm_campaign=none&utm_content=story-{sid}&utm_term=fi#top. So cheap!"
        )
    );
    // Two rules fail: no principle cited, and a banned term.
    let (status, err) = editor
        .post(
            &format!("/api/v1/stories/{sid}/transitions"),
            json!({"transition": "submit"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    let msg = err["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("The story cites no principle") && msg.contains("“cheap” is not used"),
        "{msg}"
    );
    // The locale must be one of the market's; the account one of the market's.
    let (status, err) = editor
        .post(
            &format!("/api/v1/stories/{sid}/variants"),
            json!({"account": w.br_account.to_string(), "locale": "fi-FI", "text": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["field"], "account");
    let (status, err) = editor
        .post(
            &format!("/api/v1/stories/{sid}/variants"),
            json!({"account": "northwind-fi.test", "locale": "pt-BR", "text": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["field"], "locale");
    // Fixing both lets it through.
    let (status, _) = editor
        .put(
            &format!("/api/v1/stories/{sid}"),
            json!({"market": "FI", "title": "No principle", "principles": ["clear-objectives"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let vid = v["variant"]["id"].as_i64().unwrap();
    let (status, _) = editor
        .put(
            &format!("/api/v1/stories/{sid}/variants/{vid}"),
            json!({"account": "northwind-fi.test", "locale": "fi-FI", "text": "Katso https://northwind.example/a"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, s) = editor
        .post(
            &format!("/api/v1/stories/{sid}/transitions"),
            json!({"transition": "submit"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    // Editing the text of work in review sends it back to draft.
    let (_, saved) = editor
        .put(
            &format!("/api/v1/stories/{sid}/variants/{vid}"),
            json!({"account": "northwind-fi.test", "locale": "fi-FI", "text": "Changed after review"}),
        )
        .await;
    assert_eq!(saved["story_state"], "draft", "{saved}");
}

#[tokio::test]
async fn composer_page_renders_live_check_wiring() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let later = chorus_store::now_ms() + 86_400_000;
    let sid = w.story_in(&app.store, w.fi, StoryState::Draft, later).await;
    let editor = Browser::login_as(&app, Role::Editor).await;
    let (status, html) = editor
        .get_html(&format!("/stories/{sid}/variants/new"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!(r#"hx-post="/stories/{sid}/check""#)));
    assert!(
        html.contains(r#"hx-trigger="input changed delay:300ms, change from:#account"#),
        "{html}"
    );
    assert!(html.contains("Time in Europe/Helsinki"));
    assert!(
        !html.contains("<script>")
            || html.contains(r#"<script src="/static/htmx.min.js" defer></script>"#)
    );
    // A bad time is named.
    let r = editor
        .post_form(
            &format!("/stories/{sid}/variants"),
            &[
                ("account", &w.fi_account.to_string()),
                ("locale", "fi-FI"),
                ("body", "Hei"),
                ("time", "tomorrow"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("is not a date and time"), "{html}");
    // Said once, beside the field (not again in a summary or the banner).
    assert_eq!(html.matches("is not a date and time").count(), 1, "{html}");
    assert!(html.contains(r#"<p class="field__error" id="time-error">"#));
    assert!(html.contains("the marked field says why"));
    // Deleting a variant is offered on the story page, done by a form, and audited.
    let vid = app.store.variants(sid).await.unwrap()[0].id;
    let (_, html) = editor.get_html(&format!("/stories/{sid}")).await;
    assert!(html.contains(&format!(r#"action="/stories/{sid}/variants/{vid}/delete""#)));
    let r = editor
        .post_form(&format!("/stories/{sid}/variants/{vid}/delete"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(app.store.variants(sid).await.unwrap().is_empty());
    let log = app
        .store
        .audit_entries(&chorus_store::AuditQuery {
            subject_type: Some("story".into()),
            subject_id: Some(sid.to_string()),
            actor_id: None,
            before_id: None,
            limit: 1,
            from_ms: None,
            to_ms: None,
        })
        .await
        .unwrap();
    assert_eq!(log[0].action, "variant.delete");
    assert_eq!(log[0].actor_label, "editor@example.com");
}

/// With the installation's public address known, the counter counts each link as the click
/// redirect it will be published as (`{public_url}/l/` and a 10-character code), on the page and
/// in the API: a 300-character link fits, and a short link whose redirect is longer does not.
#[tokio::test]
async fn links_count_as_the_short_links_they_go_out_as() {
    let base = chorus_app::PublicBase::parse("https://c.example").unwrap();
    let app = spawn_app_with_state(web_config(), |s| s.with_public_url(base)).await;
    let w = world(&app).await;
    rules(&app, &w).await;
    let later = chorus_store::now_ms() + 86_400_000;
    let fi = w.story_in(&app.store, w.fi, StoryState::Draft, later).await;
    let editor = Browser::login_as(&app, Role::Editor).await;

    // 30 characters and a 300-character link (longer still once UTM-tagged): 30 + 30.
    let text = format!(
        "Our launch, read all about it https://x.io/{}",
        "p".repeat(287)
    );
    let html = check(&editor, fi, w.fi_account, &text).await;
    assert!(html.contains("<strong>60</strong> / 300"), "{html}");
    assert!(
        html.contains("counts as <strong>30 characters</strong>: it goes out as a short link, <span class=\"link-count__url\">c.example/l/xxxxxxxxxx</span>"),
        "the link's counted length is said plainly: {html}"
    );
    assert!(!html.contains("counter--over"));
    assert!(
        html.contains("href=\"https://x.io/ppp"),
        "the preview's short link points where it leads: {html}"
    );
    assert!(
        html.contains("<span class=\"post-preview__card-host\">x.io</span>"),
        "{html}"
    );
    let api = api(&app, &token(&app, Role::Editor).await);
    let (status, c) = api
        .post(
            &format!("/api/v1/stories/{fi}/check"),
            json!({"account_id": w.fi_account, "text": text}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["length"], 60);

    let short = format!("{} https://x.io", "a".repeat(280));
    let (_, c) = api
        .post(
            &format!("/api/v1/stories/{fi}/check"),
            json!({"account_id": w.fi_account, "text": short}),
        )
        .await;
    assert_eq!(c["length"], 311, "{c}");
    assert_eq!(c["passes"], false);
    assert!(
        c["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["message"] == "311 of 300 characters on Bluesky"),
        "{c}"
    );
}

/// The preview shows the post as Bluesky will: the account's initials, name and handle, and the
/// text as posted with what runs past the limit marked in place (exactly the characters past
/// 300, counted as the network counts), and a term a rule forbids marked where it is.
#[tokio::test]
async fn the_preview_marks_the_overflow_and_forbidden_terms_in_place() {
    let base = chorus_app::PublicBase::parse("https://c.example").unwrap();
    let app = spawn_app_with_state(web_config(), |s| s.with_public_url(base)).await;
    let w = world(&app).await;
    rules(&app, &w).await;
    let later = chorus_store::now_ms() + 86_400_000;
    let fi = w.story_in(&app.store, w.fi, StoryState::Draft, later).await;
    let editor = Browser::login_as(&app, Role::Editor).await;

    // 252 + 1 + 30 (the link) + 1 = 284; "🇫🇮 is cheap and good" is 19 more (the flag is one
    // grapheme): 303, 3 over.
    let text = format!(
        "{} https://x.io/launch 🇫🇮 is cheap and good",
        "a".repeat(252)
    );
    let html = check(&editor, fi, w.fi_account, &text).await;
    assert!(html.contains("<strong>303</strong> / 300"), "{html}");
    assert!(
        html.contains("3 too many: the marked text does not fit"),
        "{html}"
    );
    assert!(
        html.contains("id=\"save-summary\" hx-swap-oob=\"true\"><strong>303 / 300</strong> · 2 problems to fix"),
        "the summary beside Save follows too: {html}"
    );
    assert!(
        html.contains("<mark class=\"post-preview__over\" title=\"Past the limit: this does not fit\">ood</mark>"),
        "exactly the last three characters are marked: {html}"
    );
    assert!(
        html.contains("<mark class=\"post-preview__banned\" title=\"A rule of the playbook forbids this\">cheap</mark>"),
        "{html}"
    );
    assert!(html.contains("Words a rule forbids are marked in the preview."));
    assert_eq!(
        html.matches("Marked in the preview below.").count(),
        2,
        "the length finding and the forbidden term's point at the marks: {html}"
    );
    assert!(
        html.contains("<span class=\"post-preview__avatar\" aria-hidden=\"true\">NF</span>"),
        "{html}"
    );
    assert!(html.contains("<span class=\"post-preview__name\">northwind-fi</span> <span class=\"post-preview__handle\">@northwind-fi.test</span>"), "{html}");
    // Under the limit nothing is marked.
    let html = check(&editor, fi, w.fi_account, "Hei https://x.io").await;
    assert!(!html.contains("<mark"), "{html}");
}

//! The UI pages: playbook browsing and editing, admin scoping, escaping.

use chorus_core::Role;
use reqwest::StatusCode;
use reqwest::header::LOCATION;

use crate::support::*;

#[tokio::test]
async fn a_global_lead_creates_and_edits_a_principle_through_the_forms() {
    let app = spawn_app().await;
    let b = Browser::login_as(&app, Role::GlobalLead).await;
    let (status, html) = b.get_html("/playbook/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("market_example_BR"),
        "the form offers every market"
    );

    let bad = b
        .post_form(
            "/playbook",
            &[
                ("number", "1"),
                ("pillar", "stories"),
                ("title", "Share"),
                ("slug", "Not A Slug"),
                ("statement", "s"),
            ],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = bad.text().await.unwrap();
    assert!(html.contains("Slug: "), "the error names the field");
    assert!(html.contains("value=\"Share\""), "typed values are kept");

    let ok = b
        .post_form(
            "/playbook",
            &[
                ("number", "4"),
                ("pillar", "stories"),
                ("title", "Sharing is more important than control"),
                ("statement", "Give people **good material**."),
                ("implications", "- Share the raw footage"),
                ("market_example_BR", "No Brasil, compartilhamos tudo."),
            ],
        )
        .await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    let location = ok.headers()[LOCATION].to_str().unwrap().to_owned();
    assert_eq!(
        location,
        "/playbook/sharing-is-more-important-than-control?done=created"
    );
    let (_, html) = b.get_html(&location).await;
    assert!(html.contains("<strong>good material</strong>"));
    assert!(html.contains("No Brasil, compartilhamos tudo."));
    assert!(html.contains("flash--success"));

    let edit = b
        .post_form(
            "/playbook/sharing-is-more-important-than-control",
            &[
                ("number", "4"),
                ("pillar", "stories"),
                ("slug", "sharing-over-control"),
                ("title", "Sharing is more important than control"),
                ("statement", "Let go of the wording; keep the facts."),
            ],
        )
        .await;
    assert_eq!(edit.status(), StatusCode::SEE_OTHER);
    let (_, html) = b.get_html("/playbook/sharing-over-control").await;
    assert!(html.contains("Let go of the wording"));
    assert!(
        !html.contains("compartilhamos"),
        "the emptied market example is gone"
    );

    let (_, results) = b.get_html("/playbook/search?q=wording").await;
    assert!(results.contains("<mark>wording</mark>"), "{results}");
    let (_, browse) = b.get_html("/playbook?pillar=stories").await;
    assert!(browse.contains("Sharing is more important than control"));
    let (_, other) = b.get_html("/playbook?pillar=numbers").await;
    assert!(!other.contains("Sharing is more important than control"));
}

#[tokio::test]
async fn contributors_read_but_do_not_edit() {
    let app = spawn_app().await;
    let b = Browser::login_as(&app, Role::Contributor).await;
    let (status, html) = b.get_html("/playbook").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("New principle"));
    assert!(!html.contains("href=\"/admin\""), "no Admin link");
    assert_eq!(b.get("/playbook/new").await.status(), StatusCode::FORBIDDEN);
    let resp = b
        .post_form(
            "/playbook",
            &[
                ("number", "1"),
                ("pillar", "stories"),
                ("title", "x"),
                ("statement", "y"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(b.get("/admin/users").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(b.get("/admin/audit").await.status(), StatusCode::FORBIDDEN);
    // Conversations are for the people who listen, answer, write and measure.
    assert_eq!(
        b.get("/conversations").await.status(),
        StatusCode::FORBIDDEN
    );
    // Numbers are read by analysts and leads (tests/http/numbers.rs).
    assert_eq!(b.get("/numbers").await.status(), StatusCode::FORBIDDEN);
    // …and the navigation does not lead them there, while it leads an analyst.
    let (_, playbook) = b.get_html("/playbook").await;
    assert!(!playbook.contains(r#"href="/numbers""#), "{playbook}");
    let analyst = Browser::login_as(&app, Role::Analyst).await;
    let (_, playbook) = analyst.get_html("/playbook").await;
    assert!(playbook.contains(r#"href="/numbers""#));
    // Every section is built (their own tests): Reach is no longer "coming", and a
    // contributor sees its offers' tabs but no leads (tests/http/reach_staff.rs).
    let (status, html) = b.get_html("/reach").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("Coming soon"), "{html}");
    assert!(html.contains("Gated assets"));
}

#[tokio::test]
async fn market_leads_manage_only_their_market_and_admins_read_the_audit_log() {
    let app = spawn_app().await;
    let lead = Browser::login_as(&app, Role::MarketLead).await;
    let (status, html) = lead.get_html("/admin/users").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("editor@example.com"), "FI people are listed");
    assert!(!html.contains("admin@example.com"), "global people are not");
    assert_eq!(
        lead.get("/admin/audit").await.status(),
        StatusCode::FORBIDDEN
    );
    let (status, _) = lead.get_html("/admin/markets/BR").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another market is invisible");
    let resp = lead
        .post_form("/admin/markets/BR/teams", &[("name", "Sneaky")])
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = lead
        .post_form("/admin/markets/FI/teams", &[("name", "Community care")])
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let resp = lead
        .post_form(
            "/admin/users",
            &[
                ("email", "new@example.com"),
                ("display_name", "New"),
                ("password", "long enough pw"),
                ("role", "editor"),
                ("market", "BR"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    let admin = Browser::login_as(&app, Role::Admin).await;
    let (status, html) = admin.get_html("/admin/audit").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("<strong>Market lead</strong> created the team “Community care”"),
        "who did what, in a sentence: {html}"
    );
}

#[tokio::test]
async fn untrusted_text_is_escaped() {
    let app = spawn_app().await;
    let b = Browser::login_as(&app, Role::GlobalLead).await;
    let resp = b
        .post_form(
            "/playbook",
            &[
                ("number", "9"),
                ("pillar", "stories"),
                ("title", "<script>alert('t')</script>"),
                ("slug", "xss"),
                (
                    "statement",
                    "<img src=x onerror=alert(1)> [click](javascript:alert(2))",
                ),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, html) = b.get_html("/playbook/xss").await;
    assert!(!html.contains("<script>alert"), "title escaped");
    assert!(html.contains("&#60;script&#62;alert"), "shown as text");
    assert!(!html.contains("<img src=x"), "raw HTML escaped");
    assert!(!html.contains("javascript:alert"), "dangerous link removed");
}

#[tokio::test]
async fn refusals_and_missing_pages_keep_the_layout_and_a_way_back() {
    let app = spawn_app().await;
    let contributor = Browser::login_as(&app, Role::Contributor).await;
    let (status, html) = contributor.get_html("/admin/audit").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        html.contains(r#"class="nav__link" href="/stories""#),
        "the navigation stays: {html}"
    );
    assert!(html.contains("Not allowed"), "{html}");
    assert!(
        html.contains(r#"href="/admin">Back to Admin</a>"#),
        "{html}"
    );

    let (status, html) = contributor.get_html("/stories/987654").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("There is nothing here for you"), "{html}");
    assert!(
        html.contains(r#"href="/stories">Back to Stories</a>"#),
        "{html}"
    );
    assert!(
        html.contains(r#"aria-current="page""#),
        "Stories is the current section"
    );

    let (status, html) = contributor.get_html("/no-such-page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Go to the playbook"), "{html}");

    // An htmx fragment request keeps the bare answer (htmx swaps no error pages in).
    let r = contributor
        .with_cookie(contributor.http.get(contributor.url("/stories/987654")))
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(!r.text().await.unwrap().contains("nav__link"));

    // Signed out, nobody's layout: the login page as before.
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = anonymous
        .get(format!("{}/stories/987654", app.base))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
}

#[tokio::test]
async fn a_market_is_set_up_from_choices_not_free_text() {
    let app = spawn_app().await;
    let admin = Browser::login_as(&app, Role::Admin).await;
    let (status, html) = admin.get_html("/admin/markets/FI").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(r#"<option value="FI" selected>Finland (FI)</option>"#),
        "{html}"
    );
    assert!(html.contains(r#"<option value="MX">Mexico (MX)</option>"#));
    assert!(
        html.contains(r#"<optgroup label="In Finland"><option value="Europe/Helsinki" selected>Europe/Helsinki</option></optgroup>"#),
        "the country's zones first: {html}"
    );
    assert!(html.contains(r#"<optgroup label="America">"#));
    assert!(html.contains(r#"name="locales" value="fi-FI" checked> Finnish (Finland) · fi-FI"#));
    assert!(html.contains(r#"name="locales" value="sv-FI"> Swedish (Finland) · sv-FI"#));

    // Ticked boxes arrive one value each, in order; the first is the main language.
    let r = admin
        .post_form(
            "/admin/markets/FI",
            &[
                ("code", "FI"),
                ("name", "Finland"),
                ("country", "FI"),
                ("locales", "sv-FI"),
                ("locales", "fi-FI"),
                ("timezone", "Europe/Helsinki"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let fi = app
        .store
        .market_by_code(&chorus_core::org::MarketCode::parse("FI").unwrap())
        .await
        .unwrap();
    let tags: Vec<&str> = fi.locales.iter().map(|l| l.as_str()).collect();
    assert_eq!(tags, ["sv-FI", "fi-FI"]);
    let (_, html) = admin.get_html("/admin/markets/FI").await;
    let sv = html.find(r#"value="sv-FI" checked"#).unwrap();
    let fi_box = html.find(r#"value="fi-FI" checked"#).unwrap();
    assert!(sv < fi_box, "saved order kept on the form");

    // No language ticked: refused, naming the field, nothing lost from the form.
    let r = admin
        .post_form(
            "/admin/markets/FI",
            &[
                ("code", "FI"),
                ("name", "Suomi"),
                ("country", "FI"),
                ("timezone", "Europe/Helsinki"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Languages: give at least one locale"),
        "{html}"
    );
    assert!(html.contains(r#"value="Suomi""#), "what was typed stays");
}

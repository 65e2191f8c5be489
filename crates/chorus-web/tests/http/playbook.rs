//! One door for the playbook: the page and the API give the same answer to the same request
//! (validation naming the field, conflicts, unknown slugs, who may edit), and the rules and
//! accounts pages refuse without naming another market or changing anything.

use chorus_core::Role;
use chorus_core::audit::Author;
use chorus_store::{AuditQuery, NewAccount};
use reqwest::StatusCode;
use serde_json::json;

use crate::support::*;

/// The audit entries about `subject_type`, newest first.
async fn audited(app: &TestApp, subject_type: &str) -> Vec<String> {
    app.store
        .audit_entries(&AuditQuery {
            subject_type: Some(subject_type.into()),
            subject_id: None,
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

/// One Bluesky account for FI and one for BR (credentials not real: nothing here logs in).
async fn accounts(app: &TestApp) {
    for m in app.store.markets().await.unwrap() {
        let handle = format!("northwind-{}.test", m.code.as_str().to_lowercase());
        app.store
            .connect_account(
                &Author::system("test"),
                &NewAccount {
                    market_id: m.id,
                    network: "bluesky",
                    handle: &handle,
                    external_id: "did:plc:test",
                    service_url: "http://127.0.0.1:9",
                    sealed: "not-real-credentials",
                },
            )
            .await
            .unwrap();
    }
}

fn form<'a>(number: &'a str, title: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("number", number),
        ("pillar", "numbers"),
        ("title", title),
        (
            "statement",
            "Know what **success** looks like before you start.",
        ),
    ]
}

#[tokio::test]
async fn an_example_for_a_market_that_does_not_exist_is_refused_by_the_page_as_by_the_api() {
    let app = spawn_app().await;
    let b = Browser::login_as(&app, Role::GlobalLead).await;
    let lead = api(&app, &token(&app, Role::GlobalLead).await);

    let mut body = principle_body(5, "Define clear objectives");
    body["market_examples"] = json!([{"market": "ZZ", "body": "Nowhere."}]);
    let (status, err) = lead.post("/api/v1/principles", body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["field"], "market_examples[0].market");

    // The page used to drop the example silently and create the principle.
    let mut fields = form("5", "Define clear objectives");
    fields.push(("market_example_ZZ", "Nowhere."));
    let r = b.post_form("/playbook", &fields).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Market examples: no market has the code ZZ"),
        "{html}"
    );
    assert!(app.store.principles().await.unwrap().is_empty());
    assert!(audited(&app, "principle").await.is_empty());

    // Market codes are read in any case, on the page as in the API (the page used to drop
    // `market_example_br`).
    let mut fields = form("5", "Define clear objectives");
    fields.push(("market_example_br", "Em São Paulo medimos tudo."));
    let r = b.post_form("/playbook", &fields).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, got) = lead.get("/api/v1/principles/define-clear-objectives").await;
    assert_eq!(got["market_examples"][0]["market"], "BR", "{got}");

    // Two examples for one market: the field and the market are named, not an internal id.
    let mut body = principle_body(6, "Engage in better conversations");
    body["market_examples"] = json!([{"market": "BR", "body": "a"}, {"market": "br", "body": "b"}]);
    let (status, err) = lead.post("/api/v1/principles", body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["field"], "market_examples[1].market");
    assert_eq!(
        err["error"]["message"],
        "market BR has two examples; merge them into one"
    );
}

#[tokio::test]
async fn a_slug_or_number_in_use_is_a_conflict_on_the_page_as_in_the_api() {
    let app = spawn_app().await;
    let b = Browser::login_as(&app, Role::GlobalLead).await;
    let lead = api(&app, &token(&app, Role::GlobalLead).await);
    let (status, _) = lead
        .post(
            "/api/v1/principles",
            principle_body(5, "Define clear objectives"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    let (status, err) = lead
        .post("/api/v1/principles", principle_body(5, "Another principle"))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(err["error"]["field"], "number");
    // The page answered 422 to the same request; the form is shown again with 409.
    let r = b
        .post_form("/playbook", &form("5", "Another principle"))
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Number: a principle with this number already exists"),
        "{html}"
    );
    assert!(
        html.contains(r#"value="Another principle""#),
        "typed values kept"
    );
    let r = b
        .post_form("/playbook", &form("6", "Define clear objectives"))
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Slug: a principle with this slug")
    );

    // Renaming onto another principle's slug, through the edit form.
    let r = b.post_form("/playbook", &form("6", "Second")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mut fields = form("6", "Second");
    fields.push(("slug", "define-clear-objectives"));
    let r = b.post_form("/playbook/second", &fields).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(app.store.principles().await.unwrap().len(), 2);
    assert_eq!(
        audited(&app, "principle").await,
        ["principle.create", "principle.create"],
        "refusals change nothing"
    );
}

#[tokio::test]
async fn unknown_slugs_are_not_found_for_everyone_and_readers_may_not_change_known_ones() {
    let app = spawn_app().await;
    let gl = api(&app, &token(&app, Role::GlobalLead).await);
    let (status, _) = gl
        .post(
            "/api/v1/principles",
            principle_body(5, "Define clear objectives"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let before = app.store.principles().await.unwrap();

    let contributor = api(&app, &token(&app, Role::Contributor).await);
    let page = Browser::login_as(&app, Role::Contributor).await;
    // Unknown: 404 for a reader too (both answered 403, as if it might exist).
    let (status, _) = contributor
        .put(
            "/api/v1/principles/nothing-here",
            principle_body(5, "Define clear objectives"),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = contributor.delete("/api/v1/principles/nothing-here").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let r = page
        .post_form("/playbook/nothing-here", &form("5", "x"))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = page.post_form("/playbook/nothing-here/delete", &[]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        page.get("/playbook/nothing-here/edit").await.status(),
        StatusCode::NOT_FOUND
    );

    // Known: read, never changed.
    let (status, body) = contributor
        .put(
            "/api/v1/principles/define-clear-objectives",
            principle_body(5, "Changed"),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["message"], "you may not edit the playbook");
    let (status, _) = contributor
        .delete("/api/v1/principles/define-clear-objectives")
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let r = page
        .post_form("/playbook/define-clear-objectives", &form("5", "Changed"))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = page
        .post_form("/playbook/define-clear-objectives/delete", &[])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        page.get("/playbook/define-clear-objectives/edit")
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.store.principles().await.unwrap(), before);
    assert_eq!(audited(&app, "principle").await, ["principle.create"]);
}

#[tokio::test]
async fn the_number_field_is_named_when_it_is_not_a_number() {
    let app = spawn_app().await;
    let b = Browser::login_as(&app, Role::GlobalLead).await;
    let r = b.post_form("/playbook", &form("five", "Clear")).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Number: give a whole number between 1 and 999"),
        "{html}"
    );
    assert!(app.store.principles().await.unwrap().is_empty());
}

#[tokio::test]
async fn rule_pages_refuse_those_who_may_not_edit_rules_before_looking_anything_up() {
    let app = spawn_app().await;
    let lead = Browser::login_as(&app, Role::MarketLead).await;
    // The page answered 404 for id 0 whoever asked; an unknown rule is for editors to learn.
    for path in ["/admin/rules/0", "/admin/rules/999"] {
        let r = lead
            .post_form(path, &[("kind", "alt_text"), ("enabled", "on")])
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let gl = Browser::login_as(&app, Role::GlobalLead).await;
    for path in [
        "/admin/rules/0",
        "/admin/rules/999",
        "/admin/rules/999/delete",
    ] {
        let r = gl
            .post_form(path, &[("kind", "alt_text"), ("enabled", "on")])
            .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    assert!(app.store.post_rules().await.unwrap().is_empty());
    assert!(audited(&app, "rule").await.is_empty());
}

#[tokio::test]
async fn accounts_refusals_name_no_other_market_and_never_move_its_accounts() {
    let app = spawn_app().await;
    accounts(&app).await;
    let before = app.store.accounts(None).await.unwrap();
    let connect = |market: &'static str, handle: &'static str| {
        [
            ("market", market),
            ("pds", "https://bsky.social"),
            ("handle", handle),
            ("app_password", "p"),
        ]
    };

    // Someone who connects accounts nowhere is refused whatever the market.
    let editor = Browser::login_as(&app, Role::Editor).await;
    let r = editor
        .post_form("/admin/accounts", &connect("ZZ", "x.test"))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    let lead = Browser::login_as(&app, Role::MarketLead).await;
    let r = lead
        .post_form("/admin/accounts", &connect("BR", "x.test"))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let html = r.text().await.unwrap();
    assert!(
        !html.contains("Brazil"),
        "the refusal named the other market: {html}"
    );

    // BR's account, typed by the FI lead for FI: the store would move it to FI.
    let r = lead
        .post_form("/admin/accounts", &connect("FI", "@Northwind-BR.test"))
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("handle: this account already publishes for a market you do not manage"),
        "{html}"
    );
    assert!(
        !html.contains("Brazil") && !html.contains("northwind-br"),
        "{html}"
    );
    assert_eq!(app.store.accounts(None).await.unwrap(), before);
    assert_eq!(
        audited(&app, "account").await.len(),
        2,
        "only the two seeded connections"
    );
}

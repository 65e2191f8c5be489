//! The inbox in panes over HTTP: open work by default with counts per status, the selected
//! conversation in a pane (`?c=ID` and the `/conversations/ID/pane` fragment) while the full
//! page keeps working without JavaScript, each field saved on its own through htmx (a comma in
//! a tag is refused beside the tag field, once, and nothing else is lost), and the new doors
//! keep the rules: another market's conversation is not found, a reader's change forbidden.
//!
//! The seeded users hold their market roles in FI; BR is the other market.

use chorus_core::Role;
use chorus_core::audit::Author;
use chorus_core::conversations::{ConversationId, QueryInput, RawQuery, Status};
use chorus_core::org::MarketCode;
use chorus_core::user::Email;
use chorus_store::{ConversationChange, NewAccount};
use reqwest::StatusCode;

use crate::conversations::{market_id, post};
use crate::support::*;

/// Six FI conversations (two of them done) and one of BR's; their ids, newest first, and BR's.
async fn seed(app: &TestApp) -> (Vec<i64>, i64) {
    let sys = Author::system("test");
    let mut ids = Vec::new();
    let mut queries = Vec::new();
    for code in ["FI", "BR"] {
        let m = market_id(app, code).await;
        let input = QueryInput::parse(
            chorus_core::MarketId(m),
            None,
            &RawQuery {
                name: format!("{code} brand"),
                query: "northwind".into(),
                ..RawQuery::default()
            },
        )
        .unwrap();
        let q = app
            .store
            .create_listening_query(&sys, &input)
            .await
            .unwrap();
        queries.push((q.id.0, m));
    }
    let t = 1_790_000_000_000;
    let mut batch: Vec<_> = (0..6)
        .map(|i| {
            post(
                &format!("at://fi/{i}"),
                &format!("northwind post number {i} with a few more words to read"),
                t + i * 1000,
                &[queries[0]],
            )
        })
        .collect();
    batch.push(post(
        "at://br/0",
        "northwind in Brazil",
        t + 10_000,
        &[queries[1]],
    ));
    app.store.ingest_batch("test", "1", batch).await.unwrap();
    let all = app.store.inbox(&Default::default()).await.unwrap();
    let mut br = 0;
    for c in &all {
        if c.post.uri.starts_with("at://fi/") {
            ids.push(c.id.0);
        } else {
            br = c.id.0;
        }
    }
    let done: Vec<ConversationId> = ids[4..].iter().map(|i| ConversationId(*i)).collect();
    app.store
        .change_conversations(
            &sys,
            &done,
            &ConversationChange {
                status: Some(Status::Done),
                ..ConversationChange::default()
            },
        )
        .await
        .unwrap();
    (ids, br)
}

/// Posts a form as htmx does (the `HX-Request` header), with the session's CSRF token.
async fn htmx_post(b: &Browser, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
    let mut f: Vec<(&str, &str)> = fields.to_vec();
    f.push(("csrf", &b.csrf));
    let r = b
        .with_cookie(
            b.http
                .post(b.url(path))
                .header("hx-request", "true")
                .form(&f),
        )
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn htmx_get(b: &Browser, path: &str) -> (StatusCode, String) {
    let r = b
        .with_cookie(b.http.get(b.url(path)).header("hx-request", "true"))
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

fn rows(html: &str) -> usize {
    html.matches("<li class=\"inbox-row").count()
}

/// The count the bar shows for `status`.
fn count(html: &str, status: &str) -> String {
    let at = html
        .find(&format!("data-status=\"{status}\""))
        .unwrap_or_else(|| panic!("no count for {status}"));
    let rest = &html[at..];
    let n = rest.find("inbox-count__n\">").unwrap() + "inbox-count__n\">".len();
    rest[n..rest[n..].find('<').unwrap() + n].to_owned()
}

fn total(html: &str) -> String {
    let at = html.find("data-total=\"").unwrap() + "data-total=\"".len();
    html[at..html[at..].find('"').unwrap() + at].to_owned()
}

#[tokio::test]
async fn the_inbox_lists_open_work_with_counts_and_the_selected_conversation_in_a_pane() {
    let app = spawn_app().await;
    let (ids, _) = seed(&app).await;
    let cm = Browser::login_as(&app, Role::CommunityManager).await;

    let (s, html) = cm.get_html("/conversations").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(rows(&html), 4, "done conversations are left out by default");
    assert_eq!(total(&html), "4");
    assert_eq!(count(&html, "new"), "4");
    assert_eq!(count(&html, "done"), "2");
    assert_eq!(count(&html, "open"), "0");
    assert!(!html.contains(&format!("id=\"row-{}\"", ids[4])));
    assert!(html.contains("Choose a conversation to read it here."));
    assert!(html.contains("src=\"/static/inbox.js\""));

    let (_, done) = cm.get_html("/conversations?status=done").await;
    assert_eq!(rows(&done), 2, "finished ones when the filter asks");
    assert_eq!(total(&done), "2");
    assert_eq!(
        count(&done, "new"),
        "4",
        "the counts ignore the status filter"
    );
    let (_, every) = cm.get_html("/conversations?status=all").await;
    assert_eq!(rows(&every), 6);
    assert_eq!(total(&every), "6");
    let (_, neg) = cm
        .get_html("/conversations?status=all&sentiment=positive")
        .await;
    assert_eq!(total(&neg), "0", "counts follow the other filters");

    // The selected conversation is drawn in the pane and marked in the list.
    let id = ids[1];
    let (s, html) = cm.get_html(&format!("/conversations?c={id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains(&format!("id=\"row-{id}\" data-id=\"{id}\"")));
    assert!(html.contains("inbox-row is-selected\" id=\"row-"));
    assert!(html.contains(&format!("id=\"field-status-{id}\"")));
    assert!(html.contains(&format!("data-pane=\"/conversations/{id}/pane\"")));
    assert!(html.contains(&format!("data-select=\"/conversations?c={id}\"")));

    // The pane as a fragment, and the full page that works without JavaScript.
    let (s, pane) = htmx_get(&cm, &format!("/conversations/{id}/pane")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!pane.contains("<html"), "a fragment");
    assert!(pane.contains("northwind post number 4"));
    assert!(pane.contains(&format!("action=\"/conversations/{id}/change\"")));
    assert!(pane.contains(&format!("href=\"/conversations/{id}\"")));
    let (s, full) = cm.get_html(&format!("/conversations/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(full.contains("<html"));
    assert!(full.contains(&format!("id=\"field-assignee-{id}\"")));
    assert!(
        full.contains("type=\"submit\">Save</button>"),
        "menus have a Save button"
    );
}

#[tokio::test]
async fn each_field_saves_on_its_own_and_a_comma_in_a_tag_is_refused_beside_it() {
    let app = spawn_app().await;
    let (ids, _) = seed(&app).await;
    let cm = Browser::login_as(&app, Role::CommunityManager).await;
    let id = ids[0];
    let at = format!("/conversations/{id}/change");

    let (s, html) = htmx_post(&cm, &at, &[("field", "status"), ("status", "open")]).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains(&format!("id=\"field-status-{id}\"")));
    assert!(html.contains("<option value=\"open\" selected>Open</option>"));
    assert!(html.contains("Saved"));
    assert!(
        !html.contains("field-assignee-"),
        "only the field saved comes back"
    );
    assert!(
        html.contains(&format!("id=\"row-state-{id}\" hx-swap-oob=\"true\"")),
        "the list row follows"
    );

    let (s, html) = htmx_post(&cm, &at, &[("field", "assignee"), ("assignee", "me")]).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(
        html.contains("selected>Community manager</option>"),
        "{html}"
    );

    let (s, html) = htmx_post(&cm, &at, &[("field", "tags"), ("add_tag", "battery")]).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("#battery"));
    assert!(html.contains("aria-label=\"Remove tag battery\""));

    // A comma: refused beside the tag field, once, with what was typed kept.
    let (s, html) = htmx_post(&cm, &at, &[("field", "tags"), ("add_tag", "late,delivery")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(html.matches("add one tag at a time").count(), 1, "{html}");
    assert!(html.contains("value=\"late,delivery\""));
    assert!(html.contains(&format!("id=\"tags-error-{id}\"")));
    assert!(html.contains("aria-invalid=\"true\""));
    assert!(!html.contains("<html"), "a fragment, not a page");
    assert!(!html.contains("Saved"));

    // Nothing else was lost.
    let row = &app.store.conversation_rows(&[id]).await.unwrap()[0];
    assert_eq!(row.status, Status::Open);
    assert_eq!(row.tags, ["battery"]);
    assert_eq!(
        row.assignee.as_ref().map(|a| a.1.as_str()),
        Some("Community manager")
    );

    // Without JavaScript: the page again, the error beside the tag field, the rest as saved.
    let r = cm.post_form(&at, &[("add_tag", "late,delivery")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("<html"));
    assert_eq!(page.matches("add one tag at a time").count(), 1);
    assert!(page.contains("value=\"late,delivery\""));
    assert!(page.contains("<option value=\"open\" selected>Open</option>"));
    let r = cm.post_form(&at, &[("status", "waiting")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.store.conversation_rows(&[id]).await.unwrap()[0].status,
        Status::Waiting
    );

    // Removing a tag, and the history in sentences.
    let (s, html) = htmx_post(&cm, &at, &[("field", "tags"), ("remove_tag", "battery")]).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!html.contains("#battery"));
    let (_, pane) = htmx_get(&cm, &format!("/conversations/{id}/pane")).await;
    assert!(
        pane.contains("Community manager tagged it “battery” in the conversation"),
        "{pane}"
    );
    assert!(pane.contains("Community manager assigned it to Community manager"));
}

#[tokio::test]
async fn notes_name_their_author_and_a_finished_conversation_stops_its_clock() {
    let app = spawn_app().await;
    let (ids, _) = seed(&app).await;
    let cm = Browser::login_as(&app, Role::CommunityManager).await;
    let id = ids[0];
    let r = cm
        .post_form(
            &format!("/conversations/{id}/notes"),
            &[("body", "Called them.")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // A reply is shown by its author's name too (the stored label is their email address).
    let store = &app.store;
    let user = store
        .user_by_email(&Email::parse(&email(Role::CommunityManager)).unwrap())
        .await
        .unwrap()
        .unwrap();
    let fi = store
        .market_by_code(&MarketCode::parse("FI").unwrap())
        .await
        .unwrap();
    let sys = Author::system("test");
    let account = store
        .connect_account(
            &sys,
            &NewAccount {
                market_id: fi.id,
                network: "bluesky",
                handle: "brand-fi.test",
                external_id: "did:plc:brandfi",
                service_url: "http://localhost:2583",
                sealed: "sealed",
            },
        )
        .await
        .unwrap();
    let author = Author::user(user.id, user.email.as_str());
    store
        .create_reply(&author, ConversationId(id), account.id, "Thanks, fixed.")
        .await
        .unwrap();
    let (_, page) = cm.get_html(&format!("/conversations/{id}")).await;
    assert!(page.contains("Community manager · "), "the author by name");
    assert!(page.contains("Thanks, fixed."), "the reply is shown");
    assert!(!page.contains(&format!("{} · ", email(Role::CommunityManager))));
    assert!(page.contains("none yet ("), "waiting for a first response");
    let (_, page) = cm.get_html(&format!("/conversations/{}", ids[5])).await;
    assert!(
        page.contains("marked done without a reply, so it no longer counts"),
        "a done conversation's clock stopped"
    );
}

#[tokio::test]
async fn the_new_doors_keep_the_rules() {
    let app = spawn_app().await;
    let (ids, br) = seed(&app).await;
    let cm = Browser::login_as(&app, Role::CommunityManager).await;

    // BR's conversation does not exist for FI's community manager, whichever door.
    let (s, _) = htmx_get(&cm, &format!("/conversations/{br}/pane")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, html) = cm.get_html(&format!("/conversations?c={br}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(html.contains("That conversation is not in your inbox."));
    assert!(!html.contains("northwind in Brazil"));
    for fields in [
        &[("field", "status"), ("status", "done")][..],
        &[("field", "assignee"), ("assignee", "me")][..],
        &[("field", "tags"), ("add_tag", "mine")][..],
    ] {
        let (s, _) = htmx_post(&cm, &format!("/conversations/{br}/change"), fields).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{fields:?}");
    }
    let row = &app.store.conversation_rows(&[br]).await.unwrap()[0];
    assert_eq!((row.status, row.assignee.clone()), (Status::New, None));
    assert!(row.tags.is_empty());

    // FI's analyst reads the pane without fields and may change nothing.
    let analyst = Browser::login_as(&app, Role::Analyst).await;
    let (s, pane) = htmx_get(&analyst, &format!("/conversations/{}/pane", ids[0])).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!pane.contains("/change\""), "no forms for a reader");
    let (s, _) = htmx_post(
        &analyst,
        &format!("/conversations/{}/change", ids[0]),
        &[("field", "status"), ("status", "done")],
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(
        app.store.conversation_rows(&[ids[0]]).await.unwrap()[0].status,
        Status::New
    );
}

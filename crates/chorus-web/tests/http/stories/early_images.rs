//! Images before the first save: a new variant's composer stages each image as it is chosen
//! (or dropped) and the save attaches them in its transaction; without JavaScript the picker's
//! files come with the form. Files are checked (type from the bytes, size) with the file named;
//! a staged image is seen and attached only by the person who uploaded it.

use chorus_core::Role;
use chorus_core::audit::Author;
use chorus_store::StoryInput;
use reqwest::StatusCode;

use super::seed::{World, world};
use crate::support::*;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\0\x05\0\x01\xff\x89\x99=\x1d\0\0\0\0IEND\xaeB`\x82";

/// A draft story in FI with no variant yet.
async fn empty_story(app: &TestApp, w: &World) -> i64 {
    app.store
        .create_story(
            &Author::user(w.writer_fi, super::seed::WRITER_FI),
            &StoryInput {
                market_id: w.fi,
                campaign_id: None,
                title: "Launch".into(),
                brief: "A brief".into(),
                principles: vec![w.principle],
            },
        )
        .await
        .unwrap()
        .id
}

fn authed(b: &Browser, rb: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    rb.header(
        "cookie",
        format!("chorus_session={}", b.session.as_deref().unwrap()),
    )
}

/// Stages a file as the composer's script does (multipart, the token as a header).
async fn stage(b: &Browser, sid: i64, name: &str, bytes: Vec<u8>) -> (StatusCode, String) {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
    );
    let r = authed(b, b.http.post(b.url(&format!("/stories/{sid}/uploads"))))
        .header("x-csrf-token", &b.csrf)
        .multipart(form)
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

/// The staged id in a staged row's HTML.
fn staged_id(html: &str) -> i64 {
    let at = html.find(r#"name="staged" value=""#).expect(html) + r#"name="staged" value=""#.len();
    html[at..].split('"').next().unwrap().parse().unwrap()
}

async fn get(b: &Browser, path: &str) -> reqwest::Response {
    authed(b, b.http.get(b.url(path))).send().await.unwrap()
}

#[tokio::test]
async fn images_staged_before_the_first_save_are_attached_by_it_and_are_the_uploaders_alone() {
    let config = chorus_web::WebConfig {
        max_body_bytes: 2 * 1024 * 1024,
        ..web_config()
    };
    let app = spawn_app_with(config).await;
    let w = world(&app).await;
    let sid = empty_story(&app, &w).await;
    let editor = Browser::login_as(&app, Role::Editor).await;
    let lead = Browser::login_as(&app, Role::MarketLead).await;

    // The new variant's composer offers images from the start.
    let (status, html) = editor
        .get_html(&format!("/stories/{sid}/variants/new"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!(r#"data-stage-url="/stories/{sid}/uploads""#)));
    assert!(
        html.contains(r#"enctype="multipart/form-data""#),
        "the picker works without JavaScript"
    );
    assert!(html.contains(r#"<script src="/static/composer.js" defer></script>"#));

    // What is not an image, or too big, is refused with the file named.
    let (status, body) = stage(&editor, sid, "notes.png", b"just text".to_vec()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("“notes.png” is not a PNG, JPEG, GIF or WebP image"),
        "{body}"
    );
    let mut big = PNG.to_vec();
    big.resize(1_000_001, 0);
    let (status, body) = stage(&editor, sid, "huge.png", big).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("“huge.png” is 1000001 bytes; the limit is 1000000 (1 MB)"),
        "{body}"
    );
    // Someone who may not change the story's variants stages nothing there.
    let analyst = Browser::login_as(&app, Role::Analyst).await;
    let (status, _) = stage(&analyst, sid, "a.png", PNG.to_vec()).await;
    assert!(
        status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
        "{status}"
    );

    // A real image is staged: the row carries its id for the save, and its alt-text field.
    let (status, row) = stage(&editor, sid, "speaker.png", PNG.to_vec()).await;
    assert_eq!(status, StatusCode::OK, "{row}");
    let id = staged_id(&row);
    assert!(row.contains(&format!(r#"name="alt_staged_{id}""#)));
    assert!(row.contains(&format!(r#"src="/stories/{sid}/uploads/{id}""#)));
    // Its uploader sees it; nobody else does, not even someone who may edit the story.
    let r = get(&editor, &format!("/stories/{sid}/uploads/{id}")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.bytes().await.unwrap().as_ref(), PNG);
    assert_eq!(
        get(&lead, &format!("/stories/{sid}/uploads/{id}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    // The live preview shows it before any save.
    let r = authed(
        &editor,
        editor
            .http
            .post(editor.url(&format!("/stories/{sid}/check"))),
    )
    .header("x-csrf-token", &editor.csrf)
    .form(&[
        ("account", w.fi_account.to_string().as_str()),
        ("body", "Hei"),
        ("staged", id.to_string().as_str()),
        (format!("alt_staged_{id}").as_str(), "A speaker on a desk"),
    ])
    .send()
    .await
    .unwrap();
    let html = r.text().await.unwrap();
    assert!(
        html.contains(&format!(
            r#"<img src="/stories/{sid}/uploads/{id}" alt="A speaker on a desk">"#
        )),
        "{html}"
    );

    // Another person cannot attach it: the save is refused and nothing is written.
    let fields = |who: &Browser| {
        vec![
            ("csrf".to_owned(), who.csrf.clone()),
            ("account".to_owned(), w.fi_account.to_string()),
            ("locale".to_owned(), "fi-FI".to_owned()),
            ("body".to_owned(), "Uusi kaiutin".to_owned()),
            ("time".to_owned(), String::new()),
            ("staged".to_owned(), id.to_string()),
            (format!("alt_staged_{id}"), "A speaker on a desk".to_owned()),
        ]
    };
    let r = authed(
        &lead,
        lead.http
            .post(lead.url(&format!("/stories/{sid}/variants"))),
    )
    .form(&fields(&lead))
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("no longer waiting"), "{html}");
    assert!(app.store.variants(sid).await.unwrap().is_empty());

    // Its uploader's save attaches it, with its alt text, in the same step.
    let r = authed(
        &editor,
        editor
            .http
            .post(editor.url(&format!("/stories/{sid}/variants"))),
    )
    .form(&fields(&editor))
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let variants = app.store.variants(sid).await.unwrap();
    assert_eq!(variants.len(), 1);
    let v = app.store.variant(variants[0].id).await.unwrap();
    assert_eq!(v.images.len(), 1);
    assert_eq!(v.images[0].alt, "A speaker on a desk");
    assert_eq!(v.images[0].name, "speaker.png");
    let (_, bytes) = app.store.image(v.images[0].id).await.unwrap();
    assert_eq!(bytes, PNG);
    // It was moved, not copied: it is no longer waiting, and cannot be attached twice.
    assert_eq!(
        get(&editor, &format!("/stories/{sid}/uploads/{id}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let r = authed(
        &editor,
        editor
            .http
            .post(editor.url(&format!("/stories/{sid}/variants/{}", v.id))),
    )
    .form(&fields(&editor))
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.store.variant(v.id).await.unwrap().images.len(), 1);
    let log = app
        .store
        .audit_entries(&chorus_store::AuditQuery {
            subject_type: Some("story".into()),
            subject_id: Some(sid.to_string()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        log.iter().any(|e| e.action == "variant.image_add"),
        "attaching is audited"
    );
}

#[tokio::test]
async fn without_javascript_the_pickers_files_come_with_the_form() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let sid = empty_story(&app, &w).await;
    let editor = Browser::login_as(&app, Role::Editor).await;
    let form = |file: &'static [u8], name: &str| {
        reqwest::multipart::Form::new()
            .text("csrf", editor.csrf.clone())
            .text("account", w.fi_account.to_string())
            .text("locale", "fi-FI")
            .text("body", "Kuuntele tätä")
            .text("time", "")
            .part(
                "file",
                reqwest::multipart::Part::bytes(file).file_name(name.to_owned()),
            )
    };
    // A file that is not an image: the composer comes back with the text kept and the file named.
    let r = authed(
        &editor,
        editor
            .http
            .post(editor.url(&format!("/stories/{sid}/variants"))),
    )
    .multipart(form(b"GIF? no", "cat.gif"))
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("“cat.gif” is not a PNG, JPEG, GIF or WebP image"),
        "{html}"
    );
    assert!(html.contains("Kuuntele tätä"), "what was typed is kept");
    assert!(app.store.variants(sid).await.unwrap().is_empty());
    // An image is saved with the variant.
    let r = authed(
        &editor,
        editor
            .http
            .post(editor.url(&format!("/stories/{sid}/variants"))),
    )
    .multipart(form(PNG, "dot.png"))
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let vid = app.store.variants(sid).await.unwrap()[0].id;
    let v = app.store.variant(vid).await.unwrap();
    assert_eq!(v.images.len(), 1);
    assert_eq!(v.images[0].name, "dot.png");
    assert_eq!(v.body, "Kuuntele tätä");
}

//! Images: multipart upload with the type checked from the bytes, alt text that the rules
//! check, serving only to people who may read the story.

use chorus_core::Role;
use chorus_core::audit::Author;
use chorus_core::stories::rules::{Rule, RuleKind};
use chorus_core::stories::workflow::StoryState;
use reqwest::StatusCode;

use super::seed::world;
use crate::support::*;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\0\x05\0\x01\xff\x89\x99=\x1d\0\0\0\0IEND\xaeB`\x82";

async fn upload(
    b: &Browser,
    path: &str,
    name: &str,
    bytes: &'static [u8],
    alt: &str,
) -> reqwest::Response {
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
        )
        .text("alt", alt.to_owned());
    b.http
        .post(b.url(path))
        .header(
            "cookie",
            format!("chorus_session={}", b.session.as_deref().unwrap()),
        )
        .header("x-csrf-token", &b.csrf)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn images_are_checked_served_to_readers_and_their_alt_text_is_a_rule() {
    let app = spawn_app().await;
    let w = world(&app).await;
    app.store
        .save_post_rule(
            &Author::system("test"),
            &Rule {
                id: 0,
                kind: RuleKind::AltText,
                market: None,
                principle: Some(w.principle),
                enabled: true,
            },
        )
        .await
        .unwrap();
    let later = chorus_store::now_ms() + 86_400_000;
    let sid = w.story_in(&app.store, w.fi, StoryState::Draft, later).await;
    let vid = app.store.variants(sid).await.unwrap()[0].id;
    let editor = Browser::login_as(&app, Role::Editor).await;
    let path = format!("/stories/{sid}/variants/{vid}/images");

    // Not an image (whatever its name says): refused, named.
    let r = upload(
        &editor,
        &path,
        "cat.png",
        b"<svg onload=alert(1)></svg>",
        "a cat",
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("not a PNG, JPEG, GIF or WebP image")
    );
    // Without the CSRF header, a multipart post is refused.
    let r = editor
        .http
        .post(editor.url(&path))
        .header(
            "cookie",
            format!("chorus_session={}", editor.session.as_deref().unwrap()),
        )
        .multipart(
            reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(PNG)),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // A form without JavaScript carries the token as its first field instead: a wrong one is
    // refused, the right one accepted.
    for (token, want) in [
        ("forged", StatusCode::FORBIDDEN),
        (editor.csrf.as_str(), StatusCode::SEE_OTHER),
    ] {
        let r = editor
            .http
            .post(editor.url(&path))
            .header(
                "cookie",
                format!("chorus_session={}", editor.session.as_deref().unwrap()),
            )
            .multipart(
                reqwest::multipart::Form::new()
                    .text("csrf", token.to_owned())
                    .part(
                        "file",
                        reqwest::multipart::Part::bytes(PNG).file_name("form.png"),
                    )
                    .text("alt", "A speaker on a desk"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), want, "csrf field {token:?}");
    }
    let first = app.store.variant(vid).await.unwrap().images[0].id;
    app.store
        .delete_image(&Author::system("test"), vid, first)
        .await
        .unwrap();

    // A PNG without alt text: saved, and the alt-text rule now fails for it.
    let r = upload(&editor, &path, "../../speaker.png", PNG, "").await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let v = app.store.variant(vid).await.unwrap();
    assert_eq!(v.images.len(), 1);
    assert_eq!(v.images[0].name, "speaker.png");
    assert_eq!(v.images[0].mime, "image/png");
    let (_, html) = editor.get_html(&format!("/stories/{sid}")).await;
    assert!(
        html.contains("Image “speaker.png” has no alternative text"),
        "{html}"
    );
    assert!(html.contains("Describe the image for people who cannot see it."));

    // Alt text is set from the composer; the finding goes away.
    let img = v.images[0].id;
    let r = editor
        .post_form(
            &format!("{path}/{img}"),
            &[("alt", "A red speaker on an oak table")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = editor.get_html(&format!("/stories/{sid}")).await;
    assert!(!html.contains("has no alternative text"), "{html}");
    assert!(html.contains(r#"alt="A red speaker on an oak table""#));

    // Served to readers as what it is; not to someone outside the market.
    let r = editor.get(&format!("{path}/{img}")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.bytes().await.unwrap().as_ref(), PNG);
    let cm = Browser::login_as(&app, Role::CommunityManager).await;
    assert_eq!(
        cm.get(&format!("{path}/{img}")).await.status(),
        StatusCode::NOT_FOUND
    );

    // At most four images per post.
    for _ in 0..3 {
        assert_eq!(
            upload(&editor, &path, "more.png", PNG, "more")
                .await
                .status(),
            StatusCode::SEE_OTHER
        );
    }
    let r = upload(&editor, &path, "fifth.png", PNG, "fifth").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("at most 4 images"));
    // Removing one is audited.
    let r = editor.post_form(&format!("{path}/{img}/delete"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.store.variant(vid).await.unwrap().images.len(), 3);
}

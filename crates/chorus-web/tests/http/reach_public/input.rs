//! Bad input on the landing form: refused naming the field, nothing stored; HTML escaped in the
//! page and in the mail's HTML part; a flood rate limited; the honeypot and a forged form.

use reqwest::StatusCode;

use super::{good, link_path, mail_to, outbox, reach, reach_with, unescape};

#[tokio::test]
async fn malformed_emails_and_line_breaks_in_names_are_refused_naming_the_field() {
    let r = reach().await;
    for bad in [
        "ana",
        "ana@",
        "@example.com",
        "ana@example",
        "ana example@example.com",
        "ana@example.com\r\nBcc: everyone@example.com",
        "ana@example.com\nX-Injected: 1",
        "<ana@example.com>",
        "ana@example.com, bob@example.com",
    ] {
        let mut form = good(bad);
        form[0] = ("email", bad);
        let resp = r.submit(&form).await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
        let html = resp.text().await.unwrap();
        assert!(
            html.contains("id=\"email-error\""),
            "{bad:?}: the email field says why"
        );
        assert!(html.contains("aria-invalid=\"true\""));
    }
    for bad in [
        "Ana\r\nBcc: everyone@example.com",
        "Ana\nSubject: hi",
        "Ana\u{0}",
        "",
    ] {
        let mut form = good("ana@example.com");
        form[1] = ("name", bad);
        let resp = r.submit(&form).await;
        let status = resp.status();
        let html = resp.text().await.unwrap();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}: {html}");
        assert!(
            html.contains("id=\"name-error\""),
            "{bad:?}: the name field says why"
        );
    }
    // The custom field and the consent box name themselves too.
    let resp = r
        .submit(&[
            ("email", "ana@example.com"),
            ("name", "Ana"),
            ("consent", "on"),
        ])
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.unwrap();
    assert!(html.contains("is required"), "{html}");
    assert!(html.contains("field field--error"));
    let resp = r
        .submit(&[
            ("email", "ana@example.com"),
            ("name", "Ana"),
            ("fields.company", "Northwind"),
        ])
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.unwrap().contains("tick the box to agree"));
    assert_eq!(r.submissions().await, 0, "nothing refused was stored");
    assert!(
        r.app
            .store
            .contact_by_email_sha256(&chorus_core::reach::consent::email_digest(
                "ana@example.com"
            ))
            .await
            .unwrap()
            .is_none()
    );
}

const HOSTILE: &str = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&";

#[tokio::test]
async fn html_in_every_field_is_escaped_in_the_page_and_in_both_parts_of_the_mail() {
    let fields = format!(
        r#"[{{"key":"company","label":"{l}","kind":"text","required":true}},
            {{"key":"role","label":"{l}","kind":"select","options":["{l}","Other"]}}]"#,
        l = HOSTILE.replace('"', "\\\"")
    );
    let r = reach_with(HOSTILE, HOSTILE, &fields, |_| {}).await;
    let landing = r
        .landing(&format!("?utm_campaign={}", "%3Cscript%3E"))
        .await;
    assert!(
        !landing.html.contains("<script>"),
        "no raw script on the page"
    );
    assert!(!landing.html.contains("<img src=x"));
    assert!(unescape(&landing.html).contains(HOSTILE), "shown, as text");
    // A refused form shows every typed value back escaped.
    let resp = r
        .submit(&[
            ("email", "not an email"),
            ("name", HOSTILE),
            ("fields.company", HOSTILE),
            ("fields.role", HOSTILE),
            ("consent", "on"),
        ])
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.unwrap();
    assert!(
        !html.contains("<script>") && !html.contains("<img src=x"),
        "{html}"
    );
    // Stored as typed; mailed as text in the text part, escaped in the HTML part.
    let resp = r
        .submit(&[
            ("email", "ana@example.com"),
            ("name", HOSTILE),
            ("fields.company", HOSTILE),
            ("fields.role", HOSTILE),
            ("consent", "on"),
        ])
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let mail = mail_to(&r.app.store, "ana@example.com").await;
    assert!(mail.text.contains(HOSTILE), "the text part is as typed");
    let html = mail.html.as_deref().unwrap();
    assert!(
        !html.contains("<script>") && !html.contains("<img src=x"),
        "{html}"
    );
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!mail.subject.contains(['\r', '\n']));
    // And the confirmation page escapes them too.
    let confirm = link_path(&mail.text, "/r/confirm/");
    let page = r.client().get(r.url(&confirm)).send().await.unwrap();
    let page = page.text().await.unwrap();
    assert!(!page.contains("<script>") && unescape(&page).contains(HOSTILE));
}

#[tokio::test]
async fn a_flood_from_one_address_or_network_is_rate_limited_before_anything_is_written() {
    let r = reach_with(
        "The guide",
        "I agree.",
        r#"[{"key":"company","label":"Company","kind":"text","required":true}]"#,
        |s| {
            s.submissions_per_email_per_hour = 3;
            s.submissions_per_network_per_minute = 8;
        },
    )
    .await;
    for _ in 0..3 {
        let resp = r.submit(&good("ana@example.com")).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    }
    let resp = r.submit(&good("ana@example.com")).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((60..=3600).contains(&retry), "{retry}");
    let html = resp.text().await.unwrap();
    assert!(
        html.contains("Too many requests from this address; try again in 60 minutes.")
            || html.contains("try again in 59 minutes"),
        "{html}"
    );
    assert_eq!(r.submissions().await, 3, "the refused one wrote nothing");
    // Other addresses from the same network: up to its limit per minute.
    for i in 0..5 {
        let resp = r.submit(&good(&format!("p{i}@example.com"))).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{i}");
    }
    let resp = r.submit(&good("late@example.com")).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(resp.text().await.unwrap().contains("try again in 1 minute"));
    assert_eq!(r.submissions().await, 8);
}

#[tokio::test]
async fn the_honeypot_pretends_success_and_keeps_nothing() {
    let r = reach().await;
    let mut form = good("bot@example.com");
    form.push(("website", "http://spam.example"));
    let resp = r.submit(&form).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let sent = resp.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(sent, "/r/guide/sent?lang=en", "answered as any sent form");
    let page = r.client().get(r.url(&sent)).send().await.unwrap();
    assert!(page.text().await.unwrap().contains("Check your inbox"));
    assert!(outbox(&r.app.store).await.is_empty(), "no mail");
    assert_eq!(r.submissions().await, 0);
    let history = r
        .app
        .store
        .consent_history(chorus_store::ConsentSubject::EmailSha256(
            &chorus_core::reach::consent::email_digest("bot@example.com"),
        ))
        .await
        .unwrap();
    assert!(history.is_empty(), "not even a ledger row");
    // The honeypot is hidden from people and from screen readers.
    let landing = r.landing("").await.html;
    let hp = landing.find("class=\"hp\"").unwrap();
    assert!(landing[hp..hp + 40].contains("aria-hidden=\"true\""));
    assert!(landing.contains("tabindex=\"-1\""));
}

#[tokio::test]
async fn a_form_that_this_server_did_not_render_is_refused() {
    let r = reach().await;
    let mut form = good("ana@example.com");
    form.push((
        "form",
        "1796627777.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ));
    let resp = r.submit(&form).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.unwrap().contains("please send it again"));
    let resp = r
        .client()
        .post(r.url("/r/guide"))
        .form(&good("ana@example.com"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "no token at all"
    );
    assert_eq!(r.submissions().await, 0);
    // A draft or unknown offer has no page.
    let resp = r.client().get(r.url("/r/nope")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_signed_in_marketer_posts_the_public_form_like_anyone() {
    let r = reach().await;
    let browser = crate::support::Browser::login_as(&r.app, chorus_core::Role::Admin).await;
    let cookie = format!("chorus_session={}", browser.session.clone().unwrap());
    let resp = r
        .submit_from("", &good("staff@example.com"), Some(&cookie))
        .await;
    assert_eq!(
        resp.status(),
        StatusCode::SEE_OTHER,
        "no CSRF refusal under /r/"
    );
    assert_eq!(r.submissions().await, 1);
}

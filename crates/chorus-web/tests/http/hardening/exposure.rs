//! What the server shows to whom outside the product's own rules: `/metrics` only with its
//! token, and images from other sites only when the installation allows them (Markdown images
//! become links, the CSP allows only this server's images).

use chorus_core::Role;
use chorus_web::MetricsToken;
use reqwest::StatusCode;
use reqwest::header::CONTENT_SECURITY_POLICY;

use crate::support::*;

const METRICS_TOKEN: &str = "a-long-metrics-token-0123456789";

async fn metrics(app: &TestApp, authorization: Option<&str>) -> (StatusCode, String) {
    let mut rb = reqwest::Client::new().get(format!("{}/metrics", app.base));
    if let Some(a) = authorization {
        rb = rb.header("authorization", a);
    }
    let resp = rb.send().await.unwrap();
    (resp.status(), resp.text().await.unwrap())
}

#[tokio::test]
async fn metrics_answer_only_the_configured_token() {
    // Without a token configured, /metrics is off.
    let app = spawn_app().await;
    let (s, body) = metrics(&app, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(body.contains("server.metrics_token"), "{body}");

    let mut config = web_config();
    config.metrics_token = Some(MetricsToken::new(METRICS_TOKEN));
    let app = spawn_app_with(config).await;
    let admin_api_token = token(&app, Role::Admin).await;
    for refused in [
        None,
        Some("Bearer".to_owned()),
        Some("Bearer wrong-token-0123456789abcdef".to_owned()),
        Some(format!(
            "Bearer {}",
            &METRICS_TOKEN[..METRICS_TOKEN.len() - 1]
        )),
        Some(format!("Basic {METRICS_TOKEN}")),
        // Signing in is not the way: an admin's API token is not the metrics token.
        Some(format!("Bearer {admin_api_token}")),
    ] {
        let (s, body) = metrics(&app, refused.as_deref()).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{refused:?}: {body}");
        assert!(!body.contains("chorus_"), "{body}");
    }
    // The right token passes (this test server installs no Prometheus recorder, so there is
    // nothing to show: the binary installs one).
    let (s, body) = metrics(&app, Some(&format!("Bearer {METRICS_TOKEN}"))).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{body}");
    assert!(body.contains("not enabled"), "{body}");
    // The other operations endpoints stay open, and the token is nobody's API token.
    let (s, _) = api(&app, METRICS_TOKEN).get("/api/v1/me").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let r = reqwest::get(format!("{}/healthz", app.base)).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

const TRACKER: &str = "https://tracker.example/pixel.png";

/// Creates a principle whose statement shows an image from another site and one of ours;
/// its page's HTML and Content-Security-Policy.
async fn principle_with_images(app: &TestApp) -> (String, String) {
    let mut body = principle_body(1, "Images");
    body["statement"] =
        format!("See ![the tracker]({TRACKER}) and ![our logo](/static/logo.png).").into();
    let admin = api(app, &token(app, Role::Admin).await);
    let (s, created) = admin.post("/api/v1/principles", body).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let slug = created["slug"].as_str().unwrap().to_owned();
    let b = Browser::login_as(app, Role::Analyst).await;
    let resp = b.get(&format!("/playbook/{slug}")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let csp = resp.headers()[CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    (resp.text().await.unwrap(), csp)
}

#[tokio::test]
async fn images_from_other_sites_are_links_unless_the_installation_allows_them() {
    let app = spawn_app().await;
    let (html, csp) = principle_with_images(&app).await;
    assert!(
        !html.contains(&format!(r#"<img src="{TRACKER}""#)),
        "{html}"
    );
    assert!(
        html.contains(&format!(r#"<a href="{TRACKER}">the tracker</a>"#)),
        "{html}"
    );
    assert!(html.contains(r#"<img src="/static/logo.png""#), "{html}");
    assert!(csp.contains("img-src 'self';"), "{csp}");
    assert!(!csp.contains("https:"), "{csp}");

    let mut config = web_config();
    config.external_images = true;
    let app = spawn_app_with(config).await;
    let (html, csp) = principle_with_images(&app).await;
    assert!(html.contains(&format!(r#"<img src="{TRACKER}""#)), "{html}");
    assert!(csp.contains("img-src 'self' https:;"), "{csp}");
}

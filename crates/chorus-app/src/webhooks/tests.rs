//! The webhook use cases against a real (temporary SQLite) store: admins only — `Forbidden` to
//! list or create, `NotFound` by id for everyone else, nothing changed by a refusal —, fields
//! named when invalid, a private target refused unless the outbound policy opens local networks,
//! and the secret derived, shown, and changed by a rotation.

use chorus_core::Role;
use chorus_networks::bluesky::SecretKey;
use chorus_outbound::Policy;

use super::*;
use crate::users::tests::world;

fn fields(url: &str, market: &str) -> WebhookFields {
    WebhookFields {
        name: "CRM".into(),
        url: url.into(),
        market: market.into(),
        events: vec!["story.approved".into(), "reach.lead_confirmed".into()],
        enabled: true,
    }
}

fn with_key(app: App, policy: Policy) -> App {
    let client = chorus_outbound::Builder::new(policy).build().unwrap();
    app.with_secret_key(SecretKey::from_bytes([3u8; 32]))
        .with_outbound(client)
}

#[tokio::test]
async fn only_admins_manage_webhooks_and_refusals_change_nothing() {
    let w = world().await;
    let app = with_key(w.app.clone(), Policy::public_only());
    let admin = w
        .person("admin@example.com", &[(Role::Admin, None)], None)
        .await;
    let admin = w.caller(admin).await;
    let (hook, secret) = create(&app, &admin, &fields("https://93.184.215.14/hook", "FI"))
        .await
        .unwrap();
    assert_eq!(hook.market_code.as_deref(), Some("FI"));
    assert!(secret.starts_with("whsec_"));
    let id = hook.endpoint.id;
    let others = [
        (Role::GlobalLead, None),
        (Role::MarketLead, Some(w.fi)),
        (Role::Editor, Some(w.fi)),
        (Role::Analyst, Some(w.fi)),
        (Role::CommunityManager, Some(w.fi)),
        (Role::Contributor, Some(w.fi)),
    ];
    let before = w.state().await;
    for (i, (role, market)) in others.into_iter().enumerate() {
        let p = w
            .person(&format!("p{i}@example.com"), &[(role, market)], None)
            .await;
        let c = w.caller(p).await;
        let before = w.state().await;
        assert!(!may_manage(&c));
        assert!(
            matches!(list(&app, &c).await, Err(Error::Forbidden(_))),
            "{role:?}"
        );
        assert!(matches!(
            create(&app, &c, &fields("https://93.184.215.14/x", "")).await,
            Err(Error::Forbidden(_))
        ));
        assert!(matches!(get(&app, &c, id).await, Err(Error::NotFound(_))));
        assert!(matches!(
            update(&app, &c, id, &fields("https://93.184.215.14/x", "")).await,
            Err(Error::NotFound(_))
        ));
        assert!(matches!(
            rotate_secret(&app, &c, id).await,
            Err(Error::NotFound(_))
        ));
        assert!(matches!(
            send_test(&app, &c, id, "").await,
            Err(Error::NotFound(_))
        ));
        assert!(matches!(
            get(&app, &c, 999_999).await,
            Err(Error::NotFound(_))
        ));
        let after = w.state().await;
        assert_eq!(
            before.1, after.1,
            "{role:?}: no audit entry, nothing changed"
        );
    }
    assert_eq!(w.store.webhooks().await.unwrap().len(), 1);
    assert_eq!(before.0.len() + others.len(), w.state().await.0.len());
    // The operator at the command line may.
    assert_eq!(list(&app, &Caller::operator()).await.unwrap().len(), 1);
}

#[tokio::test]
async fn fields_are_checked_by_name() {
    let w = world().await;
    let app = with_key(w.app.clone(), Policy::public_only());
    let op = Caller::operator();
    let cases = [
        (
            WebhookFields {
                name: " ".into(),
                ..fields("https://93.184.215.14/", "")
            },
            "name",
        ),
        (fields("ftp://93.184.215.14/", ""), "url"),
        (fields("https://u:p@93.184.215.14/", ""), "url"),
        (fields("https://93.184.215.14/", "XX"), "market"),
        (fields("https://93.184.215.14/", "not a code"), "market"),
        (
            WebhookFields {
                events: vec![],
                ..fields("https://93.184.215.14/", "")
            },
            "events",
        ),
        (
            WebhookFields {
                events: vec!["story.deleted".into()],
                ..fields("https://93.184.215.14/", "")
            },
            "events",
        ),
    ];
    for (input, field) in cases {
        let e = create(&app, &op, &input).await.unwrap_err();
        assert_eq!(e.field(), Some(field), "{input:?}: {e}");
    }
    assert!(w.store.webhooks().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_private_target_is_refused_unless_local_networks_are_allowed() {
    let w = world().await;
    let strict = with_key(w.app.clone(), Policy::public_only());
    let op = Caller::operator();
    for url in [
        "http://127.0.0.1:9000/hook",
        "http://10.1.2.3/hook",
        "http://[::1]/hook",
        "http://localhost:9000/hook",
        "http://169.254.169.254/latest",
    ] {
        let e = create(&strict, &op, &fields(url, "")).await.unwrap_err();
        assert_eq!(e.field(), Some("url"), "{url}: {e}");
        assert!(e.to_string().contains("allow_private_addresses"), "{e}");
    }
    assert!(w.store.webhooks().await.unwrap().is_empty());
    let open = with_key(w.app.clone(), Policy::allow_private_addresses(true));
    let (hook, _) = create(&open, &op, &fields("http://127.0.0.1:9000/hook", ""))
        .await
        .unwrap();
    assert_eq!(hook.market_code, None);
    // An update to a private target is refused the same way under the strict policy.
    let e = update(
        &strict,
        &op,
        hook.endpoint.id,
        &fields("http://10.0.0.1/", ""),
    )
    .await
    .unwrap_err();
    assert_eq!(e.field(), Some("url"));
}

#[tokio::test]
async fn secrets_are_shown_rotated_and_need_the_key() {
    let w = world().await;
    let app = with_key(w.app.clone(), Policy::public_only());
    let op = Caller::operator();
    let (hook, secret) = create(&app, &op, &fields("https://93.184.215.14/", ""))
        .await
        .unwrap();
    let detail = get(&app, &op, hook.endpoint.id).await.unwrap();
    assert_eq!(detail.secret, secret);
    let rotated = rotate_secret(&app, &op, hook.endpoint.id).await.unwrap();
    assert_ne!(rotated, secret);
    assert_eq!(
        get(&app, &op, hook.endpoint.id).await.unwrap().secret,
        rotated
    );
    let event = send_test(&app, &op, hook.endpoint.id, "hello")
        .await
        .unwrap();
    let long = "x".repeat(MAX_TEST_MESSAGE + 1);
    let e = send_test(&app, &op, hook.endpoint.id, &long)
        .await
        .unwrap_err();
    assert_eq!(e.field(), Some("message"));
    let detail = get(&app, &op, hook.endpoint.id).await.unwrap();
    assert_eq!(detail.deliveries.len(), 1);
    assert_eq!(detail.deliveries[0].event_id, event);
    assert_eq!(detail.deliveries[0].event_type, "webhook.test");
    // Without the installation key nothing can be signed: creating is refused as unavailable.
    let keyless = w.app.clone();
    assert!(matches!(
        create(&keyless, &op, &fields("https://93.184.215.14/", "")).await,
        Err(Error::Unavailable(_))
    ));
}

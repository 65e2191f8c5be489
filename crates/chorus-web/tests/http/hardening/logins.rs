//! Login limits under concurrency, and the trusted proxy. Each wrong password that reaches the
//! Argon2 check answers 401 and each refused attempt 429, so counting 401s counts the checks.

use std::time::Duration;

use chorus_core::Role;
use chorus_web::{LoginLimits, TrustedProxies};
use reqwest::StatusCode;
use tokio::task::JoinSet;

use super::{login_token, no_redirects, post_login};
use crate::support::*;

/// Sends one login per `(email, password, forwarded-for)` at once; the statuses, sorted.
async fn at_once(app: &TestApp, attempts: Vec<(String, String, Option<String>)>) -> Vec<u16> {
    let token = login_token(app).await;
    let http = no_redirects();
    let mut set = JoinSet::new();
    for (email, password, forwarded) in attempts {
        let (http, token, base) = (http.clone(), token.clone(), app.base.clone());
        set.spawn(async move {
            let headers: Vec<(&str, &str)> = forwarded
                .as_deref()
                .map(|f| ("x-forwarded-for", f))
                .into_iter()
                .collect();
            let fields = [("email", email.as_str()), ("password", password.as_str())];
            post_login(&http, &base, &token, &fields, &headers)
                .await
                .status()
                .as_u16()
        });
    }
    let mut statuses = set.join_all().await;
    statuses.sort_unstable();
    statuses
}

fn count(statuses: &[u16], status: StatusCode) -> usize {
    statuses.iter().filter(|s| **s == status.as_u16()).count()
}

fn wrong(
    email: &str,
    n: usize,
    forwarded: impl Fn(usize) -> Option<String>,
) -> Vec<(String, String, Option<String>)> {
    (0..n)
        .map(|i| (email.to_owned(), format!("wrong guess {i}"), forwarded(i)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_parallel_wrong_passwords_for_one_email_are_checked_exactly_five_times() {
    let app = spawn_app().await;
    let statuses = at_once(&app, wrong(&email(Role::Analyst), 50, |_| None)).await;
    assert_eq!(
        count(&statuses, StatusCode::UNAUTHORIZED),
        5,
        "{statuses:?}"
    );
    assert_eq!(
        count(&statuses, StatusCode::TOO_MANY_REQUESTS),
        45,
        "{statuses:?}"
    );
    // From the address that guessed, the account waits even with the right password.
    let right = vec![(email(Role::Analyst), PASSWORD.to_owned(), None)];
    assert_eq!(at_once(&app, right).await, [429]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_parallel_attempts_from_one_address_are_checked_exactly_twenty_times() {
    let app = spawn_app().await;
    let attempts = (0..50)
        .map(|i| (format!("nobody{i}@example.com"), "guess".to_owned(), None))
        .collect();
    let statuses = at_once(&app, attempts).await;
    assert_eq!(
        count(&statuses, StatusCode::UNAUTHORIZED),
        20,
        "{statuses:?}"
    );
    assert_eq!(
        count(&statuses, StatusCode::TOO_MANY_REQUESTS),
        30,
        "{statuses:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_forwarded_header_is_ignored_unless_its_proxy_is_configured() {
    let spoofed = |i: usize| Some(format!("198.51.100.{i}"));
    // Not configured: every attempt is the test's own address, whatever the header says.
    let app = spawn_app().await;
    let statuses = at_once(&app, wrong(&email(Role::Analyst), 50, spoofed)).await;
    assert_eq!(
        count(&statuses, StatusCode::UNAUTHORIZED),
        5,
        "{statuses:?}"
    );
    // Configured, but the request does not come from the proxy: still ignored.
    let mut config = web_config();
    config.trusted_proxies =
        Some(TrustedProxies::new("X-Forwarded-For", &["10.0.0.1".into()]).unwrap());
    let app = spawn_app_with(config).await;
    let statuses = at_once(&app, wrong(&email(Role::Analyst), 50, spoofed)).await;
    assert_eq!(
        count(&statuses, StatusCode::UNAUTHORIZED),
        5,
        "{statuses:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn behind_a_trusted_proxy_each_client_has_its_own_limits_and_guessers_never_lock_the_owner_out()
 {
    let mut config = web_config();
    config.trusted_proxies =
        Some(TrustedProxies::new("X-Forwarded-For", &["127.0.0.1".into(), "::1".into()]).unwrap());
    config.login_limits = LoginLimits {
        slowdown: Duration::from_millis(5),
        max_slowdown: Duration::from_millis(50),
        ..LoginLimits::default()
    };
    let app = spawn_app_with(config).await;
    let victim = email(Role::MarketLead);

    // Fifty addresses guess the lead's password at once: each is checked (none is refused
    // for what the others did) ...
    let statuses = at_once(
        &app,
        wrong(&victim, 50, |i| {
            Some(format!("203.0.113.7, 198.51.100.{i}"))
        }),
    )
    .await;
    assert_eq!(
        count(&statuses, StatusCode::UNAUTHORIZED),
        50,
        "{statuses:?}"
    );
    // ... and the lead, from home, signs in: slowed down, not refused.
    let home = Some("192.0.2.10".to_owned());
    let statuses = at_once(
        &app,
        vec![(victim.clone(), PASSWORD.to_owned(), home.clone())],
    )
    .await;
    assert_eq!(statuses, [303]);

    // One forwarded address is held to its own limits: five for one email ...
    let one = |_| Some("198.51.100.200".to_owned());
    let statuses = at_once(&app, wrong(&email(Role::Analyst), 50, one)).await;
    assert_eq!(
        count(&statuses, StatusCode::UNAUTHORIZED),
        5,
        "{statuses:?}"
    );
    // ... twenty overall, and its failures do not touch another client's.
    let attempts = (0..50)
        .map(|i| {
            (
                format!("nobody{i}@example.com"),
                "guess".to_owned(),
                Some("198.51.100.201".to_owned()),
            )
        })
        .collect();
    let statuses = at_once(&app, attempts).await;
    assert_eq!(
        count(&statuses, StatusCode::UNAUTHORIZED),
        20,
        "{statuses:?}"
    );
    let right = vec![(
        email(Role::Analyst),
        PASSWORD.to_owned(),
        Some("198.51.100.202".to_owned()),
    )];
    assert_eq!(at_once(&app, right).await, [303]);
}

#[tokio::test]
async fn a_signed_in_session_cannot_guess_the_current_password_without_limit() {
    let app = spawn_app().await;
    let b = Browser::login_as(&app, Role::Analyst).await;
    let mut statuses = vec![];
    for i in 0..7 {
        let guess = format!("wrong guess {i}");
        let resp = b
            .post_form(
                "/account/password",
                &[
                    ("current_password", &guess),
                    ("new_password", "a brand new password"),
                ],
            )
            .await;
        statuses.push(resp.status().as_u16());
    }
    assert_eq!(statuses, [422, 422, 422, 422, 422, 429, 429]);
    let resp = b
        .post_form(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a brand new password"),
            ],
        )
        .await;
    assert_eq!(
        resp.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the limit holds"
    );
    // The same count as signing in: that address cannot sign in as the analyst either.
    let right = vec![(email(Role::Analyst), PASSWORD.to_owned(), None)];
    assert_eq!(at_once(&app, right).await, [429]);
}

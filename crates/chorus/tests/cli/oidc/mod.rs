//! Single sign-on end to end against a real OpenID provider: `oidc-provider` (npm, certified by
//! the OpenID Foundation), started by `.ci/setup-oidc.sh` with the control API of
//! `provider.mjs` beside this file (clients and accounts registered by the test, key rotation,
//! and faults injected into its token endpoint's answer, re-signed with its own key so that
//! only the claim under test is wrong).
//!
//! One `chorus serve --demo` with `[[sso.providers]]` serves every phase, driven by an HTTP
//! client that follows the redirects itself (one cookie jar, as a browser has) and, at the end,
//! by headless Chromium clicking "Sign in with …". What must hold:
//!
//! - a first sign-in creates the person with the memberships the group rules give (rules made
//!   with `chorus sso rules add`), marked as the rules'; the session works;
//! - a replayed `state`, a callback from another browser, an answer naming another issuer, a
//!   tampered signature, an expired token, a wrong `nonce`, an unknown issuer and another
//!   audience are each refused, with the reason on the page and no session;
//! - after the provider rotates its keys (the old one gone), sign-in still works;
//! - a group change at the provider changes memberships at the next sign-in; no mapped group
//!   left: refused, and the person's other sessions and API tokens end;
//! - with `password_sign_in = "break_glass"`, only the listed admin may use a password.

mod agent;

use std::time::Duration;

use agent::{Agent, Idp};
use chorus_core::user::{Email, Membership};
use chorus_core::{Role, Scope};
use chorus_store::{DatabaseUrl, Store};

use crate::support::{Server, chorus, stdout};
use crate::webdriver::Browser;

const ADMIN: &str = "mikko.lehtinen@demo.chorus.test";

fn config(dir: &std::path::Path, idp: &Idp, client_id: &str) -> std::path::PathBuf {
    let path = dir.join("chorus.toml");
    std::fs::write(
        &path,
        format!(
            r#"
[outbound]
allow_private_addresses = true

[sso]
password_sign_in = "break_glass"
break_glass_admins = ["{ADMIN}"]

[[sso.providers]]
id = "test"
display_name = "Test IdP"
issuer = "{issuer}"
client_id = "{client_id}"
client_secret = "e2e-secret"
scopes = ["openid", "email", "profile", "groups"]
"#,
            issuer = idp.issuer
        ),
    )
    .unwrap();
    path
}

fn cli(config: &std::path::Path, data: &std::path::Path, args: &[&str]) -> String {
    let out = chorus()
        .arg("--config")
        .arg(config)
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "chorus {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout(&out)
}

/// The memberships of the user with `email`, and whether each came from a rule.
async fn memberships(store: &Store, email: &str) -> Vec<(Membership, bool)> {
    let user = store
        .user_by_email(&Email::parse(email).unwrap())
        .await
        .unwrap()
        .expect("the sign-in created the user");
    let held = store.sourced_memberships(user.id).await.unwrap();
    held.into_iter()
        .map(|m| (m.membership, m.rule.is_some()))
        .collect()
}

#[test]
fn sign_in_with_a_real_openid_provider() {
    let Some(idp) = Idp::find() else { return };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let client_id = format!("chorus-e2e-{}", std::process::id());
    let config = config(dir.path(), &idp, &client_id);
    let server = Server::start(&data, &["--demo", "--config", config.to_str().unwrap()]);
    idp.client(
        &client_id,
        "e2e-secret",
        &format!("{}/login/sso/test/callback", server.url),
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    // The server's own database, read beside it (SQLite allows it) to see what sign-ins did.
    let store = rt
        .block_on(Store::open(&DatabaseUrl::sqlite_in(&data)))
        .unwrap();

    // The operator's view, and the rules, at the command line.
    let providers = cli(&config, &data, &["sso", "providers"]);
    assert!(
        providers.contains(&format!("{}/login/sso/test/callback", server.url))
            || providers.contains("/login/sso/test/callback"),
        "{providers}"
    );
    let check = cli(&config, &data, &["sso", "check", "test"]);
    assert!(
        check.contains("keys:") && check.contains(&idp.issuer),
        "{check}"
    );
    cli(
        &config,
        &data,
        &[
            "sso",
            "rules",
            "add",
            "social-fi-editors",
            "editor",
            "--market",
            "FI",
        ],
    );
    cli(
        &config,
        &data,
        &[
            "sso",
            "rules",
            "add",
            "social-leads-*",
            "market_lead",
            "--market-from-suffix",
        ],
    );
    let rules = cli(&config, &data, &["sso", "rules", "list"]);
    assert!(
        rules.contains("social-leads-*  → market_lead  in the market the * names"),
        "{rules}"
    );

    // First sign-in: created, with what the rules give.
    let email = format!("aino-{}@example.com", std::process::id());
    idp.account(
        "aino",
        &email,
        "Aino Virtanen",
        &["social-fi-editors", "unrelated"],
    );
    let mut aino = Agent::new(&server.url);
    let done = aino.sign_in(&idp, "aino");
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location.as_deref(), Some("/playbook"));
    assert!(aino.has_session(), "the callback set the session cookie");
    let page = aino.get(&format!("{}/playbook", server.url));
    assert_eq!(page.status, 200, "the session works");
    let markets = rt.block_on(store.markets()).unwrap();
    let id_of = |code: &str| markets.iter().find(|m| m.code.as_str() == code).unwrap().id;
    assert_eq!(
        rt.block_on(memberships(&store, &email)),
        vec![(
            Membership {
                role: Role::Editor,
                scope: Scope::Market(id_of("FI"))
            },
            true
        )]
    );

    // A replayed state: the same callback again, even with the state cookie put back.
    let replay = aino.replay_last_callback();
    assert_eq!(replay.status, 401, "{}", replay.body);
    assert!(
        replay.body.contains("expired or was already used"),
        "{}",
        replay.body
    );

    // A callback arriving in another browser (no state cookie) is refused.
    let mut other = Agent::new(&server.url);
    let callback = other.leave_for_callback(&idp, "aino");
    let mut stranger = Agent::new(&server.url);
    let refused = stranger.finish(&callback);
    assert_eq!(refused.status, 401);
    assert!(refused.body.contains("another browser"), "{}", refused.body);

    // An answer naming another issuer (RFC 9207's `iss`, a mix-up attack) is refused.
    let mut mixed = Agent::new(&server.url);
    let callback = mixed.leave_for_callback(&idp, "aino");
    assert!(
        callback.contains("iss="),
        "the provider sends iss: {callback}"
    );
    let forged = callback
        .split('&')
        .map(|p| {
            if p.starts_with("iss=") {
                "iss=https%3A%2F%2Fevil.example"
            } else {
                p
            }
        })
        .collect::<Vec<_>>()
        .join("&");
    let refused = mixed.finish(&forged);
    assert_eq!(refused.status, 502, "{}", refused.body);
    assert!(refused.body.contains("another issuer"), "{}", refused.body);
    assert!(!mixed.has_session());

    // Faults in the ID token: each refused, with its reason, and no session.
    for (mode, says) in [
        ("signature", "signature is not valid"),
        ("expired", "has expired"),
        ("nonce", "nonce differs"),
        ("issuer", "comes from another issuer"),
        ("audience", "not meant for this client"),
    ] {
        idp.tamper(&client_id, Some(mode));
        let mut agent = Agent::new(&server.url);
        let done = agent.sign_in(&idp, "aino");
        assert_eq!(done.status, 401, "{mode}: {}", done.body);
        assert!(done.body.contains(says), "{mode}: {}", done.body);
        assert!(!agent.has_session(), "{mode}: no session");
    }

    // The provider rotates its keys (the old one is gone): Chorus fetches them again.
    let kid = idp.rotate();
    let mut agent = Agent::new(&server.url);
    let done = agent.sign_in(&idp, "aino");
    assert_eq!(done.status, 303, "after rotation to {kid}: {}", done.body);

    // Groups change at the provider: memberships follow at the next sign-in.
    idp.account("aino", &email, "Aino Virtanen", &["social-leads-br"]);
    let mut agent = Agent::new(&server.url);
    assert_eq!(agent.sign_in(&idp, "aino").status, 303);
    assert_eq!(
        rt.block_on(memberships(&store, &email)),
        vec![(
            Membership {
                role: Role::MarketLead,
                scope: Scope::Market(id_of("BR"))
            },
            true
        )]
    );
    let admin_page = agent.get(&format!("{}/admin/users", server.url));
    assert_eq!(
        admin_page.status, 200,
        "a market lead opens the admin pages"
    );

    // Out of every mapped group: refused; the open session and the API token end.
    let token = cli(
        &config,
        &data,
        &["users", "token", "--email", &email, "--name", "script"],
    );
    let token = token.trim().to_owned();
    let api = |t: &str| {
        reqwest::blocking::Client::new()
            .get(format!("{}/api/v1/principles", server.url))
            .bearer_auth(t)
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(api(&token), 200);
    idp.account("aino", &email, "Aino Virtanen", &["unrelated"]);
    let mut last = Agent::new(&server.url);
    let done = last.sign_in(&idp, "aino");
    assert_eq!(done.status, 403, "{}", done.body);
    assert!(
        done.body.contains("has not given you access"),
        "{}",
        done.body
    );
    assert_eq!(api(&token), 401, "the API token ended");
    let page = agent.get(&format!("{}/playbook", server.url));
    assert_eq!(page.status, 303, "the open session ended");

    // Passwords: only the break-glass admin.
    let mut analyst = Agent::new(&server.url);
    let refused = analyst.password("chloe.nguyen@demo.chorus.test", "chorus-demo-analyst");
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(
        refused.body.contains("Password sign-in is turned off"),
        "{}",
        refused.body
    );
    let mut admin = Agent::new(&server.url);
    assert_eq!(admin.password(ADMIN, "chorus-demo-admin").status, 303);
    let sign_in_page = admin.get(&format!("{}/admin/sign-in", server.url));
    assert_eq!(sign_in_page.status, 200);
    assert!(
        sign_in_page.body.contains("social-leads-*"),
        "{}",
        sign_in_page.body
    );
    let users_page = admin.get(&format!("{}/admin/users", server.url));
    assert!(users_page.body.contains("Aino Virtanen"));

    // In a real browser: a refused sign-in says why; then the button, the provider's form,
    // back signed in; then the break-glass admin sees where Aino's role came from.
    idp.account("aino", &email, "Aino Virtanen", &["social-fi-editors"]);
    if let Some(browser) = Browser::start() {
        let sign_in = |browser: &Browser| {
            browser.goto(&format!("{}/login", server.url));
            browser.click("a[href^='/login/sso/test']");
            let deadline = std::time::Instant::now() + Duration::from_secs(20);
            loop {
                let url = browser.current_url();
                if url.starts_with(&server.url) {
                    break;
                }
                if browser.text().contains("Account") {
                    browser.fill("#login", "aino");
                    browser.click("button[type=submit]");
                }
                assert!(std::time::Instant::now() < deadline, "stuck at {url}");
                std::thread::sleep(Duration::from_millis(100));
            }
        };
        browser.goto(&format!("{}/login", server.url));
        browser.screenshots_at_both_widths("sso-login");
        idp.tamper(&client_id, Some("expired"));
        sign_in(&browser);
        browser.wait_for_text("did not work");
        assert!(
            browser.text().contains("The ID token has expired"),
            "{}",
            browser.text()
        );
        browser.screenshot("sso-refused");
        sign_in(&browser);
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while !browser.current_url().ends_with("/playbook") {
            assert!(
                std::time::Instant::now() < deadline,
                "the browser did not land on the playbook: {} {}",
                browser.current_url(),
                browser.text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        assert!(
            browser.text().contains("Aino Virtanen"),
            "{}",
            browser.text()
        );

        browser.execute(
            "document.querySelector('.user-menu__logout').submit();",
            serde_json::json!([]),
        );
        browser.wait_for_text("Sign in to Chorus");
        browser.click("details.login__fallback > summary");
        browser.fill("#email", ADMIN);
        browser.fill("#password", "chorus-demo-admin");
        browser.click("details.login__fallback button[type=submit]");
        browser.wait_for_text("Playbook");
        browser.goto(&format!("{}/admin/sign-in", server.url));
        browser.wait_for_text("social-leads-*");
        assert!(
            browser.text().contains("/login/sso/test/callback"),
            "{}",
            browser.text()
        );
        browser.screenshots_at_both_widths("sso-admin-sign-in");
        let aino_id = rt
            .block_on(store.user_by_email(&Email::parse(&email).unwrap()))
            .unwrap()
            .unwrap()
            .id;
        browser.goto(&format!("{}/admin/users/{}", server.url, aino_id.0));
        browser.wait_for_text("Sign-in rule: group social-fi-editors");
        browser.screenshots_at_both_widths("sso-admin-user");
    }
    rt.block_on(store.close());
    drop(server);
}

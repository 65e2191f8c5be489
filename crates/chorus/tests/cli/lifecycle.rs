//! Start-up, configuration errors, the first admin, backup/restore, shutdown.

use reqwest::blocking::Client;
use reqwest::redirect::Policy;

use crate::support::{Server, chorus, run, stderr, stdout};

#[test]
fn a_bad_config_stops_start_up_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("chorus.toml");
    std::fs::write(&file, "[server]\nprot = 8080\n").unwrap();
    let out = chorus()
        .args(["serve", "--config"])
        .arg(&file)
        .arg("--data-dir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("server.prot"), "{err}");
    assert!(err.contains("chorus.toml"), "{err}");

    let out = chorus()
        .args(["migrate", "--data-dir"])
        .arg(dir.path())
        .env("CHORUS__SERVER__SESSION_TTL_HOURS", "forever")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("server.session_ttl_hours"), "{err}");
    assert!(err.contains("CHORUS__SERVER__SESSION_TTL_HOURS"), "{err}");

    let out = chorus()
        .args(["serve", "--database-url", "mysql://nope", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("database_url"), "{}", stderr(&out));
}

#[test]
fn first_admin_from_the_cli_can_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["migrate"], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("schema version"), "{}", stdout(&out));

    let out = run(
        &[
            "users",
            "create",
            "--email",
            "Boss@Example.com",
            "--role",
            "admin",
            "--name",
            "The Boss",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let password = text
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .unwrap()
        .to_owned();
    assert_eq!(password.len(), 20);
    let again = run(
        &[
            "users",
            "create",
            "--email",
            "boss@example.com",
            "--role",
            "admin",
        ],
        dir.path(),
    );
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );
    let bad = run(
        &[
            "users",
            "create",
            "--email",
            "x@example.com",
            "--role",
            "editor",
            "--market",
            "ZZ",
        ],
        dir.path(),
    );
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("--market"), "{}", stderr(&bad));

    let server = Server::start(dir.path(), &[]);
    let client = Client::builder().redirect(Policy::none()).build().unwrap();
    let page = client.get(format!("{}/login", server.url)).send().unwrap();
    let cookie = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .find_map(|v| {
            v.to_str()
                .ok()?
                .strip_prefix("chorus_login_csrf=")
                .map(|s| s.split(';').next().unwrap_or("").to_owned())
        })
        .unwrap();
    let resp = client
        .post(format!("{}/login", server.url))
        .header("cookie", format!("chorus_login_csrf={cookie}"))
        .form(&[
            ("csrf", cookie.as_str()),
            ("email", "boss@example.com"),
            ("password", password.as_str()),
        ])
        .send()
        .unwrap();
    assert_eq!(resp.status(), 303, "the printed password signs in");
    let status = server.terminate();
    assert!(status.success(), "SIGTERM stops chorus cleanly: {status:?}");
}

#[test]
fn backup_while_serving_restores_into_a_fresh_directory() {
    let a = tempfile::tempdir().unwrap();
    let server = Server::start(a.path(), &["--demo"]);
    let out = run(
        &[
            "users",
            "token",
            "--email",
            "mikko.lehtinen@demo.chorus.test",
        ],
        a.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let token = stdout(&out).trim().to_owned();
    let principles = |url: &str| -> serde_json::Value {
        Client::new()
            .get(format!("{url}/api/v1/principles"))
            .bearer_auth(&token)
            .send()
            .unwrap()
            .json()
            .unwrap()
    };
    let original = principles(&server.url);
    assert_eq!(original.as_array().unwrap().len(), 6);

    let backups = tempfile::tempdir().unwrap();
    let file = backups.path().join("chorus-backup.db");
    let out = run(&["backup", file.to_str().unwrap()], a.path());
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("backed up"), "{}", stdout(&out));
    drop(server);

    let b = tempfile::tempdir().unwrap();
    let out = run(&["restore", file.to_str().unwrap()], b.path());
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("6 principles"), "{}", stdout(&out));
    let again = run(&["restore", file.to_str().unwrap()], b.path());
    assert!(!again.status.success(), "restore never overwrites");
    assert!(stderr(&again).contains("empty"), "{}", stderr(&again));

    let restored = Server::start(b.path(), &[]);
    assert_eq!(
        principles(&restored.url),
        original,
        "the restored instance serves the same playbook"
    );
}

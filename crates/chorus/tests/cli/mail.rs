//! `chorus mail test`: its help teaches the `[mail]` keys; without `[mail]` it says mail is off;
//! a bad key is named; and against maildev (`.ci/setup-smtp.sh`) the test message arrives once
//! with both parts, and `chorus mail outbox` lists it as sent. (The send_mail kind's failures
//! are tested in chorus-jobs' `tests/pds/mail.rs`.)

use std::path::PathBuf;

use crate::support::{chorus, run, services_required, stderr, stdout};

/// maildev's SMTP and web ports (CHORUS_SMTP, else `.ci/setup-smtp.sh`); `None` when it cannot
/// run (the test skips, printing why, unless CHORUS_REQUIRE_SERVICES=1).
pub(crate) fn maildev() -> Option<(u16, u16)> {
    let parse = |line: &str| -> Option<(u16, u16)> {
        let mut it = line.split_whitespace().map(str::parse::<u16>);
        Some((it.next()?.ok()?, it.next()?.ok()?))
    };
    let ports = std::env::var("CHORUS_SMTP")
        .ok()
        .and_then(|l| parse(&l))
        .or_else(|| {
            let script = PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../.ci/setup-smtp.sh"
            ));
            let out = std::process::Command::new("bash")
                .arg(script)
                .output()
                .ok()?;
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            out.status.success().then_some(())?;
            text.lines().last().and_then(parse)
        });
    if let Some(p) = ports
        && emails(p.1).is_some()
    {
        return Some(p);
    }
    let reason = "maildev (.ci/setup-smtp.sh) is not available";
    assert!(!services_required(), "{reason} (CHORUS_REQUIRE_SERVICES=1)");
    eprintln!("SKIP: {reason}");
    None
}

pub(crate) fn emails(web: u16) -> Option<Vec<serde_json::Value>> {
    reqwest::blocking::get(format!("http://127.0.0.1:{web}/email"))
        .ok()?
        .json()
        .ok()
}

#[test]
fn mail_test_teaches_refuses_bad_settings_and_sends() {
    let help = chorus().args(["mail", "test", "--help"]).output().unwrap();
    assert!(help.status.success());
    let text = stdout(&help);
    for needle in [
        "[mail]",
        "starttls",
        "CHORUS__MAIL__PASSWORD",
        "chorus mail test --to",
    ] {
        assert!(text.contains(needle), "{needle:?} in {text}");
    }

    let dir = tempfile::tempdir().unwrap();
    let out = run(&["mail", "test", "--to", "a@example.org"], dir.path());
    assert!(!out.status.success());
    assert!(stderr(&out).contains("mail is off"), "{}", stderr(&out));

    let out = chorus()
        .args(["mail", "test", "--to", "a@example.org", "--data-dir"])
        .arg(dir.path())
        .env("CHORUS__MAIL__HOST", "smtp.example.com")
        .env("CHORUS__MAIL__SECURITY", "none")
        .env("CHORUS__MAIL__FROM", "chorus@example.com")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("mail.security") && err.contains("CHORUS__MAIL__SECURITY"),
        "{err}"
    );

    let Some((smtp, web)) = maildev() else {
        return;
    };
    let to = format!("cli-{:016x}@example.org", rand::random::<u64>());
    let out = chorus()
        .args(["mail", "test", "--to", &to, "--data-dir"])
        .arg(dir.path())
        .env("CHORUS__MAIL__HOST", "127.0.0.1")
        .env("CHORUS__MAIL__PORT", smtp.to_string())
        .env("CHORUS__MAIL__SECURITY", "none")
        .env("CHORUS__MAIL__FROM", "Chorus <chorus@example.com>")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("sent the test message"),
        "{}",
        stdout(&out)
    );

    let got: Vec<serde_json::Value> = emails(web)
        .unwrap()
        .into_iter()
        .filter(|e| e["to"][0]["address"] == to.as_str())
        .collect();
    assert_eq!(got.len(), 1, "arrived once: {got:?}");
    assert_eq!(got[0]["subject"], "Chorus test message");
    assert!(
        got[0]["text"]
            .as_str()
            .unwrap()
            .contains("mail is configured")
    );
    assert!(got[0]["html"].as_str().unwrap().contains("<b>Chorus</b>"));

    let out = run(&["mail", "outbox"], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let listed = stdout(&out);
    assert!(listed.contains("sent") && listed.contains(&to), "{listed}");
}

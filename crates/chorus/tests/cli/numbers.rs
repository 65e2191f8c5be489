//! `chorus numbers collect`: its help teaches what it does, `--once` on an installation with
//! nothing published measures nothing and says so, and a bad AppView address is refused
//! naming the key. (Collection itself runs against the real AppView in chorus-jobs'
//! `tests/pds/numbers.rs`.)

use crate::support::{chorus, run, stderr, stdout};

#[test]
fn collect_teaches_in_its_help_and_runs_once() {
    let help = chorus()
        .args(["numbers", "collect", "--help"])
        .output()
        .unwrap();
    assert!(help.status.success());
    let text = stdout(&help);
    for needle in [
        "1 hour, 24 hours, 7 days and 30 days",
        "never stored",
        "numbers.bluesky_appview_url",
        "chorus numbers collect --once",
        "--once",
    ] {
        assert!(text.contains(needle), "{needle:?} in {text}");
    }

    let dir = tempfile::tempdir().unwrap();
    let out = run(&["numbers", "collect", "--once"], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("measured 0 posts and 0 accounts' followers"),
        "{}",
        stdout(&out)
    );

    let out = chorus()
        .args(["numbers", "collect", "--once", "--data-dir"])
        .arg(dir.path())
        .env(
            "CHORUS__NUMBERS__BLUESKY_APPVIEW_URL",
            "wss://appview.example",
        )
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("numbers.bluesky_appview_url"),
        "{}",
        stderr(&out)
    );
}

/// `chorus numbers report` writes the PDF (the figures are checked through the web's route,
/// which reaches the same use case: `chorus-web/tests/http/numbers_pdf.rs`); a market that does
/// not exist is refused by name.
#[test]
fn report_writes_a_pdf_and_refuses_an_unknown_market() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("all.pdf");
    let out = run(
        &[
            "numbers",
            "report",
            "--from",
            "2026-03-01",
            "--to",
            "2026-03-31",
            "--out",
            pdf.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("wrote "), "{}", stdout(&out));
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    match std::process::Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
    {
        Ok(text) => {
            let text = String::from_utf8(text.stdout).unwrap();
            for want in ["All your markets", "2026-03-01 to 2026-03-31", "Page 1 of"] {
                assert!(text.contains(want), "{want:?} in {text}");
            }
        }
        Err(e) => {
            assert!(
                !crate::support::services_required(),
                "pdftotext: {e} (CHORUS_REQUIRE_SERVICES=1)"
            );
            eprintln!("skipped reading the PDF back: pdftotext: {e}");
        }
    }

    let zz = dir.path().join("zz.pdf");
    let out = run(
        &[
            "numbers",
            "report",
            "--market",
            "ZZ",
            "--out",
            zz.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("market"), "{}", stderr(&out));
    assert!(!zz.exists());
}

/// `chorus numbers send-reports` teaches when it sends and queues nothing where no market has
/// readers (the emails themselves are checked against maildev in chorus-web's
/// `tests/http/numbers_weekly.rs`); a time that is not one is refused.
#[test]
fn send_reports_explains_itself_and_runs_once() {
    let help = chorus()
        .args(["numbers", "send-reports", "--help"])
        .output()
        .unwrap();
    let text = stdout(&help);
    for needle in [
        "Monday 08:00",
        "turned the email off",
        "once, however often",
    ] {
        assert!(text.contains(needle), "{needle:?} in {text}");
    }
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        &["numbers", "send-reports", "--at", "2026-03-16T13:00:00Z"],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("0 markets due: 0 emails queued"),
        "{}",
        stdout(&out)
    );
    let out = run(&["numbers", "send-reports", "--at", "monday"], dir.path());
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--at"), "{}", stderr(&out));
}

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

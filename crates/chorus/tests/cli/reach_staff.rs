//! Reach for staff from the binary: `chorus serve --demo` loads a live gated asset (its PDF
//! stored under the data directory by its hash), a webinar and confirmed leads, and loading it
//! again adds nothing; `chorus reach leads --market FI --out leads.csv` writes them as the Leads
//! page's CSV, and refuses a market that does not exist by name.

use crate::support::{Server, run, stderr, stdout};

#[test]
fn the_demo_has_leads_and_the_cli_exports_them() {
    let dir = tempfile::tempdir().unwrap();
    for _ in 0..2 {
        let server = Server::start(dir.path(), &["--demo"]);
        drop(server);
    }
    let assets: Vec<_> = std::fs::read_dir(dir.path().join("reach/assets"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(assets.len(), 1, "{assets:?}");
    let bytes = std::fs::read(&assets[0]).unwrap();
    assert_eq!(
        bytes,
        include_bytes!("../../src/demo/state-of-social-2027.pdf"),
        "the shipped PDF, as uploaded"
    );
    let name = assets[0].file_name().unwrap().to_str().unwrap().to_owned();
    let hash = name.strip_suffix(".pdf").unwrap();
    assert!(
        hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()),
        "named by its content's SHA-256: {name}"
    );

    let csv = dir.path().join("leads.csv");
    let out = run(
        &[
            "reach",
            "leads",
            "--market",
            "FI",
            "--out",
            csv.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("(12 leads)"), "{}", stdout(&out));
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(
        text.starts_with("lead_id,confirmed_at,email,name,offer"),
        "{text}"
    );
    assert_eq!(
        text.lines().count(),
        13,
        "a header and twelve leads, once: {text}"
    );
    assert!(text.contains("aino.laine@example.com"), "{text}");
    assert!(text.contains("state-of-social-2027"), "{text}");
    assert!(
        text.contains(",story-"),
        "leads carry the story's UTM tag: {text}"
    );

    let out = run(
        &[
            "reach",
            "leads",
            "--market",
            "ZZ",
            "--out",
            csv.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("market"), "{}", stderr(&out));
}

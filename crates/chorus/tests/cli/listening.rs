//! `chorus listening import|list` and `chorus query check`: the operator's doors to listening
//! queries, with the validation the pages and the API use (a bad line adds nothing and is named
//! with its line; a query that does not parse gets a caret), audited as the CLI.

use chorus_core::audit::Author;
use chorus_core::org::MarketInput;
use chorus_store::{AuditQuery, DatabaseUrl, Store};

use crate::support::{run, stderr, stdout};

#[tokio::test]
async fn queries_are_imported_all_or_none_and_listed() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&DatabaseUrl::sqlite_in(dir.path()))
        .await
        .unwrap();
    let fi = MarketInput::parse("FI", "Finland", "FI", &["fi-FI".into()], "Europe/Helsinki");
    store
        .create_market(&Author::system("test"), &fi.unwrap())
        .await
        .unwrap();
    store.close().await;

    let bad = dir.path().join("bad.tsv");
    std::fs::write(
        &bad,
        "# name<TAB>query\nBrand\tnorthwind\nBroken\tnorthwind AND (phone\n",
    )
    .unwrap();
    let out = run(
        &[
            "listening",
            "import",
            "--market",
            "FI",
            bad.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("bad.tsv:3: invalid query"), "{err}");
    assert!(err.contains('^'), "a caret under the problem: {err}");

    let good = dir.path().join("good.jsonl");
    std::fs::write(
        &good,
        "{\"name\": \"Brand\", \"query\": \"northwind\", \"side\": \"us\"}\n\
         {\"name\": \"Rival\", \"query\": \"contoso\", \"languages\": [\"fi\"]}\n",
    )
    .unwrap();
    let out = run(
        &[
            "listening",
            "import",
            "--market",
            "XX",
            good.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("--market: no market XX"),
        "{}",
        stderr(&out)
    );
    let out = run(
        &[
            "listening",
            "import",
            "--market",
            "fi",
            good.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "added 2 listening queries to FI\n");

    let out = run(&["listening", "list", "--market", "FI"], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let lines: Vec<Vec<String>> = stdout(&out)
        .lines()
        .map(|l| l.split('\t').skip(1).map(str::to_owned).collect())
        .collect();
    assert_eq!(
        lines,
        [
            ["FI", "us", "Brand", "northwind"],
            ["FI", "topic", "Rival", "contoso"]
        ]
    );

    let store = Store::open(&DatabaseUrl::sqlite_in(dir.path()))
        .await
        .unwrap();
    let log = store
        .audit_entries(&AuditQuery {
            subject_type: Some("listening_query".into()),
            limit: 10,
            from_ms: None,
            to_ms: None,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(log.len(), 2, "the bad file added nothing");
    assert!(
        log.iter().all(|e| e.actor_label == "system (cli)"),
        "{log:?}"
    );
    store.close().await;
}

#[test]
fn query_check_prints_the_tree_or_a_caret() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["query", "check", "northwind OR lumia*"], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("canonical: "), "{}", stdout(&out));
    let out = run(&["query", "check", "northwind AND (phone"], dir.path());
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("invalid query") && err.contains('^'), "{err}");
}

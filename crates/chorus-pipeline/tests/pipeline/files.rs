//! File imports: every record stored once, resumable, bad rows skipped and counted.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use chorus_pipeline::file::{self, FileImport};
use chorus_pipeline::pipeline::Progress;
use chorus_pipeline::{Analyzers, FilterLanguage, TextSettings, queries};
use chorus_store::{InboxQuery, Store};

use crate::support::store_with_queries;

async fn import(store: &Store, path: &std::path::Path, batch: usize) -> (u64, Arc<Progress>) {
    import_with(store, path, batch, Analyzers::new()).await
}

async fn import_with(
    store: &Store,
    path: &std::path::Path,
    batch: usize,
    analyzers: Arc<Analyzers>,
) -> (u64, Arc<Progress>) {
    let (q, task) = queries::watch_queries(store.clone(), Duration::from_secs(60))
        .await
        .unwrap();
    let progress = Arc::new(Progress::default());
    let skipped = file::import(
        store.clone(),
        FileImport {
            path: path.to_owned(),
            network: "import".into(),
            batch,
        },
        analyzers,
        q,
        progress.clone(),
        Arc::new(AtomicBool::new(false)),
    )
    .await
    .unwrap();
    task.abort();
    (skipped, progress)
}

#[tokio::test]
async fn csv_gzip_import_matches_scores_and_resumes() {
    let (store, fi, dir) =
        store_with_queries(&[("Brand", "northwind"), ("Rival", "contoso AND lang:en")]).await;
    let csv = "author_id,content,language,publish_date\n\
        a1,I love my Northwind earbuds,English,2026-11-01 10:00:00\n\
        a2,\"Contoso, again \"\"broken\"\"\",English,2026-11-01 10:05:00\n\
        a3,Northwind kuulokkeet ovat aivan loistavat ja akku kestää pitkään,Finnish,2026-11-01 11:00:00\n\
        a4,nothing to see,English,not a date\n\
        a1,I love my Northwind earbuds,English,2026-11-01 10:00:00\n";
    let path = dir.path().join("posts.csv.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, csv.as_bytes()).unwrap();
    std::fs::write(&path, gz.finish().unwrap()).unwrap();

    let (skipped, p) = import(&store, &path, 2).await;
    assert_eq!(skipped, 0);
    assert_eq!(Progress::get(&p.read), 5);
    assert_eq!(Progress::get(&p.rejected), 1, "the bad date");
    assert_eq!(Progress::get(&p.stored), 3);
    assert_eq!(Progress::get(&p.duplicates), 1, "the repeated row");
    assert_eq!(Progress::get(&p.conversations), 3);
    let inbox = store.inbox(&InboxQuery::default()).await.unwrap();
    let got: Vec<(String, Vec<String>, String)> = inbox
        .iter()
        .map(|c| {
            (
                c.post.author.clone(),
                c.queries.iter().map(|q| q.1.clone()).collect(),
                c.post.lang.clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("a3".into(), vec!["Brand".into()], "fi".into()),
            ("a2".into(), vec!["Rival".into()], "en".into()),
            ("a1".into(), vec!["Brand".into()], "en".into()),
        ]
    );
    assert!(inbox[2].post.sentiment > 0.5, "VADER: love");
    assert!(inbox.iter().all(|c| c.markets() == [fi]));
    let key = FileImport {
        path: path.clone(),
        network: "import".into(),
        batch: 2,
    }
    .source_key()
    .unwrap();
    assert_eq!(
        store.ingest_cursor(&key).await.unwrap().as_deref(),
        Some("5")
    );

    // Run again: everything is skipped by the cursor, nothing is stored twice.
    let (skipped, p) = import(&store, &path, 2).await;
    assert_eq!(skipped, 5);
    assert_eq!(Progress::get(&p.stored), 0);
    assert_eq!(store.ingest_counts().await.unwrap(), (3, 3));
}

#[tokio::test]
async fn an_interrupted_import_resumes_after_the_last_stored_batch() {
    let (store, _, dir) = store_with_queries(&[("Even", "even")]).await;
    let path = dir.path().join("posts.jsonl");
    let mut lines = String::new();
    for i in 0..500 {
        let word = if i % 2 == 0 { "even" } else { "odd" };
        lines.push_str(&format!(
            "{{\"id\":\"p{i}\",\"text\":\"post {i} is {word}\",\"ts\":{}}}\n",
            1_700_000_000 + i
        ));
    }
    std::fs::write(&path, &lines).unwrap();
    let key = FileImport {
        path: path.clone(),
        network: "import".into(),
        batch: 50,
    }
    .source_key()
    .unwrap();
    // Pretend a crash after the batch ending at record 150 committed, and again (a batch that
    // re-stores rows 100..150 must not duplicate them).
    store.set_ingest_cursor(&key, "100").await.unwrap();
    let (skipped, _) = import(&store, &path, 50).await;
    assert_eq!(skipped, 100);
    assert_eq!(store.ingest_counts().await.unwrap(), (400, 200));
    store.set_ingest_cursor(&key, "0").await.unwrap();
    let (_, p) = import(&store, &path, 64).await;
    assert_eq!(Progress::get(&p.stored), 100);
    assert_eq!(Progress::get(&p.duplicates), 400);
    assert_eq!(store.ingest_counts().await.unwrap(), (500, 250));
}

#[tokio::test]
async fn a_file_without_a_text_column_is_refused_with_its_reason() {
    let (store, _, dir) = store_with_queries(&[]).await;
    let path = dir.path().join("bad.csv");
    std::fs::write(&path, "id,author\n1,a\n").unwrap();
    let (q, _t) = queries::watch_queries(store.clone(), Duration::from_secs(60))
        .await
        .unwrap();
    let err = file::import(
        store.clone(),
        FileImport {
            path,
            network: "import".into(),
            batch: 10,
        },
        Analyzers::new(),
        q,
        Arc::new(Progress::default()),
        Arc::new(AtomicBool::new(false)),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("no text column"), "{err}");
}

/// Issue 21: a file that labels English posts Spanish. They are stored under the detected
/// language, found by `lang:en` and not by `lang:es`, with the file's label kept beside it; with
/// `[text] filter_language = "source"` the label wins and the detected language is still kept.
#[tokio::test]
async fn a_wrong_source_label_loses_to_the_detected_language() {
    let csv = "author_id,content,language,publish_date\n\
        a1,My Northwind battery is amazing and lasts all day,Spanish,2026-11-01 10:00:00\n\
        a2,Northwind support never answered my emails,Spanish,2026-11-01 10:05:00\n";
    for (mode, want_en, want_es) in [
        (FilterLanguage::Detected, 2, 0),
        (FilterLanguage::Source, 0, 2),
    ] {
        let (store, _, dir) = store_with_queries(&[
            ("English", "northwind AND lang:en"),
            ("Spanish", "northwind AND lang:es"),
        ])
        .await;
        let path = dir.path().join("labelled.csv");
        std::fs::write(&path, csv).unwrap();
        let analyzers = Analyzers::with_settings(TextSettings {
            filter_language: mode,
            ..TextSettings::default()
        })
        .unwrap();
        let (_, p) = import_with(&store, &path, 10, analyzers).await;
        assert_eq!(Progress::get(&p.stored), 2, "{mode:?}");
        let inbox = store.inbox(&InboxQuery::default()).await.unwrap();
        let matched = |name: &str| {
            inbox
                .iter()
                .filter(|c| c.queries.iter().any(|q| q.1 == name))
                .count()
        };
        assert_eq!(
            (matched("English"), matched("Spanish")),
            (want_en, want_es),
            "{mode:?}"
        );
        for c in &inbox {
            let l = &c.post.labels;
            assert_eq!(l.detected_lang.as_deref(), Some("en"), "{mode:?}");
            assert_eq!(l.source_lang.as_deref(), Some("es"), "{mode:?}");
            assert!(l.lang_confidence.unwrap() > 0.5, "{l:?}");
            assert!(l.sentiment_confidence.is_some(), "the model's probability");
        }
        let want_lang = if mode == FilterLanguage::Detected {
            "en"
        } else {
            "es"
        };
        assert!(inbox.iter().all(|c| c.post.lang == want_lang), "{mode:?}");
        let filtered = store
            .inbox(&InboxQuery {
                lang: Some("en".into()),
                ..InboxQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(
            filtered.len(),
            want_en,
            "the inbox's language filter, {mode:?}"
        );
    }
}

//! Ingest under crashes: the shared 149k-post corpus with 10,000 listening queries, imported
//! with `chorus ingest file` once without interruption, and once with the process killed by
//! SIGKILL at random moments several times and restarted until it finishes. Both databases
//! must hold the same posts, the same conversations with the same matched queries and
//! sentiment, and the same hourly volumes (each post counted once). The kills must have cut
//! imports in flight: runs killed after storing part of the corpus, and a last run that resumed
//! after N > 0 records and read exactly the rest.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chorus_core::audit::Author;
use chorus_core::org::MarketInput;
use chorus_store::{DatabaseUrl, InboxQuery, Store};
use rand::{Rng, SeedableRng};

use crate::support::{chorus, services_required};

/// The shared corpus, or `None` (with a printed reason) when it is absent and not required.
pub fn corpus() -> Option<PathBuf> {
    let shared = std::env::var("CHORUS_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")));
    let path = shared.join("data/social_corpus/ira_tweets/tweets_sample.csv.gz");
    if path.exists() {
        return Some(path);
    }
    let reason = format!("the shared corpus is not at {}", path.display());
    assert!(!services_required(), "{reason} (CHORUS_REQUIRE_SERVICES=1)");
    eprintln!("skipping: {reason}");
    None
}

/// Words common in the corpus (English, Russian, German, Spanish, hashtags' words).
const WORDS: &[&str] = &[
    "trump",
    "hillary",
    "obama",
    "news",
    "police",
    "black",
    "white",
    "america",
    "american",
    "people",
    "world",
    "today",
    "video",
    "love",
    "good",
    "great",
    "breaking",
    "election",
    "vote",
    "president",
    "russia",
    "ukraine",
    "syria",
    "war",
    "killed",
    "fire",
    "school",
    "money",
    "music",
    "game",
    "life",
    "time",
    "city",
    "state",
    "women",
    "media",
    "fake",
    "truth",
    "god",
    "church",
    "gun",
    "guns",
    "border",
    "immigration",
    "refugees",
    "muslim",
    "islam",
    "terror",
    "attack",
    "shooting",
    "crime",
    "court",
    "judge",
    "law",
    "health",
    "care",
    "tax",
    "jobs",
    "economy",
    "market",
    "stocks",
    "oil",
    "weather",
    "storm",
    "sports",
    "football",
    "nfl",
    "nba",
    "baseball",
    "chicago",
    "york",
    "texas",
    "florida",
    "california",
    "london",
    "paris",
    "berlin",
    "moscow",
    "kiev",
    "putin",
    "merkel",
    "clinton",
    "sanders",
    "bernie",
    "democrats",
    "republicans",
    "gop",
    "maga",
    "blacklivesmatter",
    "tcot",
    "pjnet",
    "nowplaying",
    "job",
    "hiring",
    "apple",
    "iphone",
    "samsung",
    "google",
    "facebook",
    "twitter",
    "youtube",
    "photo",
    "day",
    "night",
    "morning",
    "happy",
    "sad",
    "angry",
    "best",
    "worst",
    "new",
    "old",
    "first",
    "last",
    "year",
    "week",
    "million",
    "россия",
    "путин",
    "украина",
    "новости",
    "москва",
    "сша",
    "война",
    "киев",
    "россии",
    "deutschland",
    "merkel",
    "flüchtlinge",
    "polizei",
    "berlin",
    "afd",
    "noticias",
    "gobierno",
];

/// 10,000 distinct queries over WORDS: words, phrases, AND/OR/NOT, wildcards, hashtags,
/// languages; the same list for the same seed.
pub fn queries(n: usize, seed: u64) -> Vec<String> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut out = std::collections::BTreeSet::new();
    let w = |rng: &mut rand::rngs::StdRng| WORDS[rng.random_range(0..WORDS.len())];
    while out.len() < n {
        let (a, b, c) = (w(&mut rng), w(&mut rng), w(&mut rng));
        let q = match rng.random_range(0..9) {
            0 => format!("{a} AND {b}"),
            1 => format!("\"{a} {b}\""),
            2 => format!("({a} OR {b}) -{c}"),
            3 => format!("#{a} OR #{b}"),
            4 => format!("{a} NEAR/5 {b}"),
            5 if a.chars().count() >= 5 => {
                format!("{}* AND {b}", a.chars().take(4).collect::<String>())
            }
            6 => format!("{a} AND {b} AND lang:en"),
            7 => format!("{a} AND ({b} OR {c})"),
            _ => format!("{a} AND NOT {b}"),
        };
        out.insert(q);
    }
    out.into_iter().collect()
}

fn store_url(dir: &Path) -> DatabaseUrl {
    DatabaseUrl::sqlite_in(dir)
}

async fn seed(dir: &Path, queries_file: &Path) {
    seed_at(dir, None, queries_file).await;
}

/// A market (US) and the queries of `queries_file`, in the SQLite database under `dir` or, with
/// `postgres`, in that one.
pub async fn seed_at(dir: &Path, postgres: Option<&str>, queries_file: &Path) {
    let url = postgres.map_or_else(|| store_url(dir), |u| DatabaseUrl::parse(u).unwrap());
    let store = Store::open(&url).await.unwrap();
    store
        .create_market(
            &Author::system("test"),
            &MarketInput::parse(
                "US",
                "United States",
                "US",
                &["en-US".into()],
                "America/New_York",
            )
            .unwrap(),
        )
        .await
        .unwrap();
    store.close().await;
    let mut import = chorus();
    if let Some(u) = postgres {
        import.env("CHORUS__DATABASE_URL", u);
    }
    let out = import
        .args(["listening", "import", "--market", "US"])
        .arg(queries_file)
        .arg("--data-dir")
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn ingest(dir: &Path, corpus: &Path) -> std::process::Command {
    let mut c = chorus();
    c.args(["ingest", "file", "--quiet", "--batch", "4000"])
        .arg(corpus)
        .arg("--data-dir")
        .arg(dir);
    c
}

/// (uri → (sorted query names, sentiment)), post count, volume per query name.
pub type Fingerprint = (
    BTreeMap<String, (Vec<String>, i64)>,
    i64,
    BTreeMap<String, i64>,
);

async fn fingerprint(dir: &Path) -> Fingerprint {
    fingerprint_of(&store_url(dir)).await
}

/// What a database holds after an import, to compare two (see [`Fingerprint`]).
pub async fn fingerprint_of(url: &DatabaseUrl) -> Fingerprint {
    let store = Store::open(url).await.unwrap();
    let mut convs = BTreeMap::new();
    let mut before = None;
    loop {
        let page = store
            .inbox(&InboxQuery {
                before,
                limit: 500,
                ..InboxQuery::default()
            })
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        before = Some((last.post.posted_at_ms, last.id.0));
        for c in page {
            let mut names: Vec<String> = c.queries.iter().map(|q| q.1.clone()).collect();
            names.sort();
            // Sentiment compared exactly (as stored), through its bits' integer value.
            let s = (c.post.sentiment * 1e6).round() as i64;
            let dup = convs.insert(c.post.uri.clone(), (names, s));
            assert!(dup.is_none(), "conversation {} listed twice", c.post.uri);
        }
    }
    let (posts, n_convs) = store.ingest_counts().await.unwrap();
    assert_eq!(n_convs as usize, convs.len());
    let volumes = store.volume_totals().await.unwrap().into_iter().collect();
    store.close().await;
    (convs, posts, volumes)
}

/// Posts stored in the database under `dir` (no import running).
async fn stored_posts(dir: &Path) -> i64 {
    let store = Store::open(&store_url(dir)).await.unwrap();
    let (posts, _) = store.ingest_counts().await.unwrap();
    store.close().await;
    posts
}

/// The number just before `suffix` in `text` ("resumed after 4000 records stored…").
fn number_before(text: &str, suffix: &str) -> Option<u64> {
    let head = &text[..text.find(suffix)?];
    let digits: String = head
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    digits.parse().ok()
}

#[test]
fn sigkilled_imports_store_exactly_what_an_uninterrupted_one_does() {
    let Some(corpus) = corpus() else { return };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let qfile = tmp.path().join("queries.tsv");
    let lines: Vec<String> = queries(10_000, 7)
        .iter()
        .enumerate()
        .map(|(i, q)| format!("q{i}\t{q}"))
        .collect();
    std::fs::write(&qfile, lines.join("\n")).unwrap();
    let (clean, crashy) = (tmp.path().join("clean"), tmp.path().join("crashy"));
    rt.block_on(seed(&clean, &qfile));
    rt.block_on(seed(&crashy, &qfile));

    let started = Instant::now();
    let out = ingest(&clean, &corpus).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let full = started.elapsed();
    let clean_out = out.stdout;
    eprintln!(
        "uninterrupted import: {full:?}: {}",
        String::from_utf8_lossy(&clean_out).trim()
    );

    // Kill at random moments, each within a fifth of the time a full import takes (so every
    // restart is killed again before it can finish), then let one run to the end.
    let mut rng = rand::rngs::StdRng::seed_from_u64(
        std::env::var("CHORUS_CRASH_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(20_261_126),
    );
    let window = (full.as_millis() as u64 / 5).max(600);
    let mut kills = 0;
    // Posts stored when each killed run started and when it was killed.
    let mut cut = Vec::new();
    let mut stored = 0;
    for _ in 0..5 {
        let mut child = ingest(&crashy, &corpus)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.random_range(300..window)));
        let killed = child.try_wait().unwrap().is_none();
        if killed {
            std::process::Command::new("kill")
                .args(["-KILL", &child.id().to_string()])
                .status()
                .unwrap();
            kills += 1;
        }
        let _ = child.wait();
        let now = rt.block_on(stored_posts(&crashy));
        if killed {
            cut.push((stored, now));
        }
        stored = now;
    }
    let out = ingest(&crashy, &corpus).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = String::from_utf8_lossy(&out.stdout);
    eprintln!(
        "after {kills} kills {cut:?}, the last run: {}",
        summary.trim()
    );
    assert!(
        kills >= 3,
        "the test must actually interrupt imports ({kills} kills)"
    );
    // Work in flight was cut: runs killed after storing some of the corpus and before the end.
    let total = rt.block_on(stored_posts(&clean));
    let in_flight = cut
        .iter()
        .filter(|(before, after)| after > before && *after < total)
        .count();
    assert!(
        in_flight >= 1,
        "no kill cut an import that had stored part of the corpus: {cut:?}"
    );
    // The last run resumed after the records stored before, and read exactly the rest.
    let resumed = number_before(&summary, " records stored by an earlier run")
        .expect("the last run says where it resumed");
    let rest = number_before(&summary, " records read").unwrap();
    let clean_summary = String::from_utf8_lossy(&clean_out);
    let all = number_before(&clean_summary, " records read").unwrap();
    assert!(resumed > 0, "resumed after {resumed} records");
    assert_eq!(
        resumed + rest,
        all,
        "resumed where it stopped, read the rest"
    );

    let a = rt.block_on(fingerprint(&clean));
    let b = rt.block_on(fingerprint(&crashy));
    assert_same_as_uninterrupted(&a, &b);
}

/// `b` holds what the uninterrupted import `a` of the corpus holds: the same posts (none
/// twice), conversations with the same matched queries and sentiment, and hourly volumes that
/// count each post once.
pub fn assert_same_as_uninterrupted(a: &Fingerprint, b: &Fingerprint) {
    assert!(
        a.0.len() > 1000,
        "the queries find conversations ({})",
        a.0.len()
    );
    assert!(a.1 > 145_000, "the corpus imports as is ({} posts)", a.1);
    assert_eq!(a.1, b.1, "same posts stored, none twice");
    assert_eq!(a.0.len(), b.0.len(), "same number of conversations");
    let differ: Vec<_> =
        a.0.iter()
            .filter(|(k, v)| b.0.get(*k) != Some(*v))
            .take(5)
            .collect();
    assert!(differ.is_empty(), "conversations differ, e.g. {differ:?}");
    assert_eq!(a.2, b.2, "hourly volumes count each post once");
}

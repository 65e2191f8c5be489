//! Exactly once under crashes: 200 variants due within a minute on the local Bluesky PDS;
//! `chorus serve` is killed with SIGKILL at random moments while they publish and restarted,
//! again and again; in the end the PDS holds exactly 200 records, each once, and every variant is
//! marked published with its record's URI. The kills must have hit work in flight: jobs a killed
//! server had claimed (still `running` after the kill, their variants begun with their key time
//! fixed) that a later server claimed again once the lease expired and published under the same
//! key time; the test kills until it has seen some.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::{Duration, Instant};

use chorus_core::Role;
use chorus_core::audit::Author;
use chorus_core::org::MarketInput;
use chorus_core::stories::workflow::{StoryState, Transition};
use chorus_core::user::{Email, Membership};
use chorus_networks::bluesky::{Secret, SecretKey};
use chorus_store::{
    DatabaseUrl, JobState, NewUser, PubState, Store, StoryInput, VariantInput, publish_key,
};

use crate::bluesky_peer::{ALLOW_LOCAL, Peer, peer};
use crate::support::chorus;

const POSTS: usize = 200;
/// A fixed test key, passed to the server processes through the environment.
const KEY_B64: &str = "q83vASNFZ4mrze8BI0VniavN7wEjRWeJq83vASNFZ4k=";

fn key() -> SecretKey {
    SecretKey::from_base64(KEY_B64).unwrap()
}

/// Creates the market, a writer, the connected account and POSTS scheduled single-variant
/// stories due over the next `spread`.
async fn seed(
    db: &Path,
    peer: &Peer,
    handle: &str,
    password: &str,
    count: usize,
    spread: Duration,
) -> Store {
    let store = Store::open(&DatabaseUrl::sqlite_in(db)).await.unwrap();
    let sys = Author::system("crash-test");
    let m = store
        .create_market(
            &sys,
            &MarketInput::parse("FI", "Finland", "FI", &["fi-FI".into()], "Europe/Helsinki")
                .unwrap(),
        )
        .await
        .unwrap();
    let writer = store
        .create_user(
            &sys,
            &NewUser {
                email: Email::parse("writer@example.com").unwrap(),
                display_name: "Writer".into(),
                password_hash: None,
                memberships: vec![Membership::new(Role::Editor, Some(m.id)).unwrap()],
            },
        )
        .await
        .unwrap();
    let account = chorus_jobs::connect_bluesky(
        &store,
        &key(),
        &crate::bluesky_peer::local_http(),
        &sys,
        m.id,
        chorus_jobs::BlueskyLogin {
            pds: &peer.pds,
            handle,
            app_password: Secret::new(password),
        },
    )
    .await
    .unwrap();
    let as_writer = Author::user(writer.id, "writer@example.com");
    let start = chorus_store::now_ms() + 3_000;
    for i in 0..count {
        let story = store
            .create_story(
                &as_writer,
                &StoryInput {
                    market_id: m.id,
                    campaign_id: None,
                    title: format!("Crash test {i}"),
                    brief: String::new(),
                    principles: vec![],
                },
            )
            .await
            .unwrap();
        let due = start + (spread.as_millis() as i64) * i as i64 / count as i64;
        store
            .save_variant(
                &as_writer,
                story.id,
                None,
                &VariantInput {
                    account_id: account.id,
                    locale: "fi-FI".into(),
                    body: format!("Crash test post {i} of {count}"),
                    scheduled_at_ms: Some(due),
                },
            )
            .await
            .unwrap();
        let mut s = story;
        for (t, to) in [
            (Transition::Submit, StoryState::InReview),
            (Transition::Approve, StoryState::Approved),
            (Transition::Schedule, StoryState::Scheduled),
        ] {
            s = store.transition_story(&sys, &s, t, to, None).await.unwrap();
        }
    }
    store
}

fn start_serve(db: &Path) -> std::process::Child {
    chorus()
        .args(["serve", "--port", "0", "--data-dir"])
        .arg(db)
        .env("CHORUS__SECRET_KEY", KEY_B64)
        .env(ALLOW_LOCAL.0, ALLOW_LOCAL.1)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// A job a killed server had claimed and not finished: its variant, and the variant's key time
/// if publishing had begun.
type Orphan = (i64, Option<i64>);

/// The jobs left `running` by a killed server.
async fn orphans(store: &Store) -> Vec<Orphan> {
    let mut out = Vec::new();
    for s in store.stories(None, None, 10_000).await.unwrap() {
        for v in store.variants(s.id).await.unwrap() {
            let job = store.job(&publish_key(v.id)).await.unwrap();
            if job.is_some_and(|j| j.state == JobState::Running) {
                let begun = (v.pub_state == PubState::Publishing)
                    .then_some(v.publish_key_at_ms)
                    .flatten();
                out.push((v.id, begun));
            }
        }
    }
    out
}

async fn published(store: &Store) -> usize {
    let mut n = 0;
    for s in store.stories(None, None, 10_000).await.unwrap() {
        for v in store.variants(s.id).await.unwrap() {
            if v.pub_state == PubState::Published {
                n += 1;
            }
        }
    }
    n
}

#[test]
fn scheduled_posts_publish_exactly_once_through_repeated_sigkills() {
    let Some(peer) = peer() else { return };
    let (handle, did, password) = peer.new_account("crash");
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let store = rt.block_on(seed(
        dir.path(),
        &peer,
        &handle,
        &password,
        POSTS,
        Duration::from_secs(50),
    ));

    let deadline = Instant::now() + Duration::from_secs(300);
    let mut kills = 0;
    let mut in_flight: HashMap<i64, Option<i64>> = HashMap::new();
    loop {
        let mut child = start_serve(dir.path());
        let done = rt.block_on(published(&store));
        let seen_in_flight = in_flight.values().any(Option::is_some);
        // The posts fall due 50 s after seeding; kills average about 2 s apart, so a fixed
        // number of kills can end before the first post is due on a fast machine. Keep killing
        // until some work was caught in flight (the deadline bounds it).
        if done == POSTS || (kills >= 12 && seen_in_flight) || kills >= 80 {
            // Let the last run finish the rest without interruption.
            while rt.block_on(published(&store)) < POSTS && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(500));
            }
            let _ = child.kill();
            let _ = child.wait();
            break;
        }
        // Kill somewhere between "just started" and "in the middle of a burst".
        let wait = 300 + (rand::random::<u64>() % 3_500);
        std::thread::sleep(Duration::from_millis(wait));
        child.kill().unwrap(); // SIGKILL: no graceful shutdown, no cleanup
        child.wait().unwrap();
        kills += 1;
        for (variant, begun) in rt.block_on(orphans(&store)) {
            let known = in_flight.entry(variant).or_insert(begun);
            *known = known.or(begun);
        }
        assert!(
            Instant::now() < deadline,
            "publishing did not finish in time"
        );
    }
    assert!(
        kills >= 5,
        "the test killed the server {kills} times; expected several"
    );

    let records = peer.posts(&did);
    let texts: Vec<&str> = records.iter().map(|(_, t)| t.as_str()).collect();
    let unique: HashSet<&str> = texts.iter().copied().collect();
    assert_eq!(unique.len(), texts.len(), "a post was published twice");
    assert_eq!(
        records.len(),
        POSTS,
        "exactly {POSTS} records on the PDS after {kills} SIGKILLs"
    );
    let by_uri: HashMap<&str, &str> = records
        .iter()
        .map(|(u, t)| (u.as_str(), t.as_str()))
        .collect();
    rt.block_on(async {
        for s in store.stories(None, None, 10_000).await.unwrap() {
            assert_eq!(s.state, StoryState::Published, "story {}", s.id);
            for v in store.variants(s.id).await.unwrap() {
                let uri = v
                    .published_uri
                    .as_deref()
                    .unwrap_or_else(|| panic!("variant {} has no URI", v.id));
                assert_eq!(
                    by_uri.get(uri),
                    Some(&v.body.as_str()),
                    "variant {} points at its own record",
                    v.id
                );
            }
        }
    });
    // The kills hit work in flight: jobs claimed by a server that died, claimed again after
    // their lease expired, and published under the key time fixed before the kill.
    let begun: Vec<(i64, i64)> = in_flight
        .iter()
        .filter_map(|(v, at)| at.map(|at| (*v, at)))
        .collect();
    assert!(
        !begun.is_empty(),
        "{kills} SIGKILLs left no publication in flight ({} claimed jobs, none begun)",
        in_flight.len()
    );
    rt.block_on(async {
        for variant in in_flight.keys() {
            let job = store.job(&publish_key(*variant)).await.unwrap().unwrap();
            assert_eq!(job.state, JobState::Done, "variant {variant}");
            assert!(
                job.attempts >= 2,
                "variant {variant}: claimed again after the kill ({} attempts)",
                job.attempts
            );
        }
        for (variant, key_at) in &begun {
            let v = store.variant(*variant).await.unwrap();
            assert!(
                v.attempts >= 2,
                "variant {variant} began again after the kill"
            );
            assert_eq!(
                v.publish_key_at_ms,
                Some(*key_at),
                "variant {variant} kept the key time fixed before the kill"
            );
        }
    });
    eprintln!(
        "crash test: {POSTS} posts, {kills} SIGKILLs, {} records on the PDS; {} jobs in flight at \
         a kill ({} of them begun) were claimed again and published once",
        records.len(),
        in_flight.len(),
        begun.len()
    );
}

#[test]
fn scheduled_posts_go_out_within_five_seconds_of_their_time() {
    let Some(peer) = peer() else { return };
    let (handle, did, password) = peer.new_account("ontime");
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    // Three posts, the first due 3 s after seeding, then every 2 s.
    let store = rt.block_on(seed(
        dir.path(),
        &peer,
        &handle,
        &password,
        3,
        Duration::from_secs(6),
    ));
    let mut child = start_serve(dir.path());
    let deadline = Instant::now() + Duration::from_secs(60);
    while rt.block_on(published(&store)) < 3 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    let _ = child.kill();
    let _ = child.wait();
    rt.block_on(async {
        for s in store.stories(None, None, 10).await.unwrap() {
            for v in store.variants(s.id).await.unwrap() {
                let due = v.scheduled_at_ms.unwrap();
                let at = v
                    .published_at_ms
                    .unwrap_or_else(|| panic!("variant {} not published", v.id));
                assert!(
                    at - due <= 5_000,
                    "variant {} published {} ms after its time",
                    v.id,
                    at - due
                );
            }
        }
    });
    assert_eq!(peer.posts(&did).len(), 3);
}

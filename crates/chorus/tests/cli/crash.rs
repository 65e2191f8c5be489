//! Exactly once under crashes: 200 variants due within a minute on the local Bluesky PDS;
//! `chorus serve` is killed with SIGKILL at random moments while they publish and restarted,
//! again and again; in the end the PDS holds exactly 200 records, each once, and every variant is
//! marked published with its record's URI. The kills must have hit work in flight: jobs a killed
//! server had claimed (still `running` after the kill, their variants begun with their key time
//! fixed) that a later server claimed again once the lease expired and published under the same
//! key time; the test kills until it has seen some. Its seeding, kill loop and end-state checks
//! also serve `crash_publishers` (three publisher processes on PostgreSQL).

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
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
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::runtime::Runtime;

use crate::bluesky_peer::{ALLOW_LOCAL, Peer, peer};
use crate::support::chorus;

pub(crate) const POSTS: usize = 200;
/// A fixed test key, passed to the server processes through the environment.
const KEY_B64: &str = "q83vASNFZ4mrze8BI0VniavN7wEjRWeJq83vASNFZ4k=";

fn key() -> SecretKey {
    SecretKey::from_base64(KEY_B64).unwrap()
}

/// Creates, in the database at `db`, the market, a writer, the connected account and `count`
/// scheduled single-variant stories due over the `spread` starting 3 s from now.
pub(crate) async fn seed(
    db: &DatabaseUrl,
    peer: &Peer,
    handle: &str,
    password: &str,
    count: usize,
    spread: Duration,
) -> Store {
    let store = Store::open(db).await.unwrap();
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

/// `chorus serve` on port 0 over `data_dir` with the test key and the local networks allowed,
/// its output discarded; callers add what they need (roles, database, logs) and spawn it.
pub(crate) fn serve_command(data_dir: &Path) -> Command {
    let mut c = chorus();
    c.args(["serve", "--port", "0", "--data-dir"])
        .arg(data_dir)
        .env("CHORUS__SECRET_KEY", KEY_B64)
        .env(ALLOW_LOCAL.0, ALLOW_LOCAL.1)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

/// The random source of the kill times: seeded from `CHORUS_CRASH_SEED` if set, else at
/// random; the seed is printed so a run's kill times can be repeated.
pub(crate) fn kill_rng(test: &str) -> StdRng {
    let seed = std::env::var("CHORUS_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random::<u64>);
    eprintln!("{test}: kill seed {seed} (CHORUS_CRASH_SEED={seed} repeats the kill times)");
    StdRng::seed_from_u64(seed)
}

/// What the kills did: how many, and the publish jobs a killed server held (`running` under
/// its name after the kill) by variant, with the variant's key time if publishing had begun.
#[derive(Debug, Default)]
pub(crate) struct Kills {
    pub count: usize,
    pub in_flight: HashMap<i64, Option<i64>>,
}

impl Kills {
    /// Whether some kill caught a publication begun (its key time fixed) and not recorded.
    pub fn caught_begun(&self) -> bool {
        self.in_flight.values().any(Option::is_some)
    }

    /// SIGKILLs `child` (no graceful shutdown, no cleanup) and notes the jobs it held.
    pub fn kill(&mut self, rt: &Runtime, store: &Store, child: &mut Child) {
        let pid = child.id();
        child.kill().unwrap();
        child.wait().unwrap();
        self.count += 1;
        for (variant, begun) in rt.block_on(orphans(store, pid)) {
            let known = self.in_flight.entry(variant).or_insert(begun);
            *known = known.or(begun);
        }
    }
}

/// Whether a lease is held by the process `pid` (`chorus_jobs::Worker` names itself
/// host-pid-random).
pub(crate) fn held_by(owner: &str, pid: u32) -> bool {
    owner.rsplit('-').nth(1) == Some(pid.to_string().as_str())
}

/// The publish jobs left `running` by the killed process `pid`: (variant, key time if begun).
async fn orphans(store: &Store, pid: u32) -> Vec<(i64, Option<i64>)> {
    let mut out = Vec::new();
    for s in store.stories(None, None, 10_000).await.unwrap() {
        for v in store.variants(s.id).await.unwrap() {
            let job = store.job(&publish_key(v.id)).await.unwrap();
            if job.is_some_and(|j| {
                j.state == JobState::Running
                    && j.lease_owner.as_deref().is_some_and(|o| held_by(o, pid))
            }) {
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

/// When to stop killing: once `enough` kills were made and one caught a publication begun, or
/// after `most`; `deadline` bounds the whole run.
pub(crate) struct Plan {
    pub enough: usize,
    pub most: usize,
    pub deadline: Instant,
}

/// Kills somewhere between "just started" and "in the middle of a burst": sleeps 0.3–3.8 s,
/// drawn from `rng`.
pub(crate) fn random_pause(rng: &mut StdRng) {
    std::thread::sleep(Duration::from_millis(rng.random_range(300..3_800)));
}

/// Starts a server with `start`, SIGKILLs it when `pause` returns and starts it again, until
/// every post is published or `plan` says stop; the last server is left to publish the rest,
/// then killed.
pub(crate) fn kill_and_restart(
    rt: &Runtime,
    store: &Store,
    plan: &Plan,
    mut start: impl FnMut() -> Child,
    mut pause: impl FnMut(&Child),
) -> Kills {
    let mut kills = Kills::default();
    loop {
        let mut child = start();
        let done = rt.block_on(published(store));
        // Kills average about 2 s apart; on a fast machine a fixed number of them can end
        // before much is due. Keep killing until some work was caught in flight (the deadline
        // bounds it).
        if done == POSTS
            || (kills.count >= plan.enough && kills.caught_begun())
            || kills.count >= plan.most
        {
            // Let the last run finish the rest without interruption.
            while rt.block_on(published(store)) < POSTS && Instant::now() < plan.deadline {
                std::thread::sleep(Duration::from_millis(500));
            }
            let _ = child.kill();
            let _ = child.wait();
            return kills;
        }
        pause(&child);
        kills.kill(rt, store, &mut child);
        assert!(
            Instant::now() < plan.deadline,
            "publishing did not finish in time"
        );
    }
}

/// The end state after the kills: exactly POSTS records on the PDS of `did`, each once, every
/// story published and every variant pointing at its own record; and the kills hit work in
/// flight: jobs a killed server held were claimed again after their lease expired and done,
/// those begun published under the key time fixed before the kill. Returns the records
/// (uri, text).
pub(crate) fn assert_exactly_once(
    rt: &Runtime,
    store: &Store,
    peer: &Peer,
    did: &str,
    kills: &Kills,
    test: &str,
) -> Vec<(String, String)> {
    let n = kills.count;
    let records = peer.posts(did);
    let texts: Vec<&str> = records.iter().map(|(_, t)| t.as_str()).collect();
    let unique: HashSet<&str> = texts.iter().copied().collect();
    assert_eq!(unique.len(), texts.len(), "a post was published twice");
    assert_eq!(
        records.len(),
        POSTS,
        "exactly {POSTS} records on the PDS after {n} SIGKILLs"
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
    let begun: Vec<(i64, i64)> = kills
        .in_flight
        .iter()
        .filter_map(|(v, at)| at.map(|at| (*v, at)))
        .collect();
    assert!(
        !begun.is_empty(),
        "{n} SIGKILLs left no publication in flight ({} claimed jobs, none begun)",
        kills.in_flight.len()
    );
    rt.block_on(async {
        for variant in kills.in_flight.keys() {
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
        "{test}: {POSTS} posts, {n} SIGKILLs, {} records on the PDS; {} jobs in flight at a kill \
         ({} of them begun) were claimed again and published once",
        records.len(),
        kills.in_flight.len(),
        begun.len()
    );
    records
}

#[test]
fn scheduled_posts_publish_exactly_once_through_repeated_sigkills() {
    let Some(peer) = peer() else { return };
    let (handle, did, password) = peer.new_account("crash");
    let dir = tempfile::tempdir().unwrap();
    let rt = Runtime::new().unwrap();
    let store = rt.block_on(seed(
        &DatabaseUrl::sqlite_in(dir.path()),
        &peer,
        &handle,
        &password,
        POSTS,
        Duration::from_secs(50),
    ));
    let mut rng = kill_rng("crash test");
    let plan = Plan {
        enough: 12,
        most: 80,
        deadline: Instant::now() + Duration::from_secs(300),
    };
    let kills = kill_and_restart(
        &rt,
        &store,
        &plan,
        || serve_command(dir.path()).spawn().unwrap(),
        |_| random_pause(&mut rng),
    );
    assert!(
        kills.count >= 5,
        "the test killed the server {} times; expected several",
        kills.count
    );
    assert_exactly_once(&rt, &store, &peer, &did, &kills, "crash test");
}

#[test]
fn scheduled_posts_go_out_within_five_seconds_of_their_time() {
    let Some(peer) = peer() else { return };
    let (handle, did, password) = peer.new_account("ontime");
    let dir = tempfile::tempdir().unwrap();
    let rt = Runtime::new().unwrap();
    // Three posts, the first due 3 s after seeding, then every 2 s.
    let store = rt.block_on(seed(
        &DatabaseUrl::sqlite_in(dir.path()),
        &peer,
        &handle,
        &password,
        3,
        Duration::from_secs(6),
    ));
    let mut child = serve_command(dir.path()).spawn().unwrap();
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

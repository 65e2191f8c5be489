//! A store with a market, a writer, a connected account and scheduled single-variant stories,
//! and a worker to run on it.

use std::time::{Duration, Instant};

use chorus_core::audit::Author;
use chorus_core::org::MarketInput;
use chorus_core::stories::workflow::{StoryState, Transition};
use chorus_core::user::{Email, Membership};
use chorus_core::{Role, UserId};
use chorus_jobs::{Worker, WorkerConfig};
use chorus_networks::bluesky::{Secret, SecretKey};
use chorus_store::{DatabaseUrl, NewUser, Store, StoryInput, Variant, VariantInput};
use tokio::sync::watch;

/// The public address the workers of these tests publish links under.
pub const PUBLIC_URL: &str = "https://chorus.example.com";

pub fn key() -> SecretKey {
    SecretKey::from_bytes([7; 32])
}

pub struct Seeded {
    pub store: Store,
    pub writer: UserId,
    pub account: i64,
    pub market: chorus_core::MarketId,
    /// The variants, in the order of the texts given.
    pub variants: Vec<i64>,
    _dir: tempfile::TempDir,
}

/// Connects `handle` on `pds` (with `password`) and schedules one story per text, due now.
pub async fn scheduled(pds: &str, handle: &str, password: &str, texts: &[String]) -> Seeded {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&DatabaseUrl::sqlite_in(dir.path()))
        .await
        .unwrap();
    let sys = Author::system("test");
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
        &crate::peer::http(),
        &sys,
        m.id,
        chorus_jobs::BlueskyLogin {
            pds,
            handle,
            app_password: Secret::new(password),
        },
    )
    .await
    .unwrap();
    let as_writer = Author::user(writer.id, "writer@example.com");
    let mut variants = Vec::new();
    for (i, text) in texts.iter().enumerate() {
        let story = store
            .create_story(
                &as_writer,
                &StoryInput {
                    market_id: m.id,
                    campaign_id: None,
                    title: format!("Story {i}"),
                    brief: String::new(),
                    principles: vec![],
                },
            )
            .await
            .unwrap();
        let v = store
            .save_variant(
                &as_writer,
                story.id,
                None,
                &VariantInput {
                    account_id: account.id,
                    locale: "fi-FI".into(),
                    body: text.clone(),
                    scheduled_at_ms: Some(chorus_store::now_ms()),
                },
            )
            .await
            .unwrap();
        variants.push(v.id);
        let mut s = story;
        for (t, to) in [
            (Transition::Submit, StoryState::InReview),
            (Transition::Approve, StoryState::Approved),
            (Transition::Schedule, StoryState::Scheduled),
        ] {
            s = store.transition_story(&sys, &s, t, to, None).await.unwrap();
        }
    }
    Seeded {
        store,
        writer: writer.id,
        account: account.id,
        market: m.id,
        variants,
        _dir: dir,
    }
}

impl Seeded {
    pub async fn variant(&self, i: usize) -> Variant {
        self.store.variant(self.variants[i]).await.unwrap()
    }
}

/// A worker with Chorus's job kinds, polling often.
pub struct Running {
    stop: watch::Sender<bool>,
    done: tokio::task::JoinHandle<()>,
}

pub fn start_worker(store: &Store) -> Running {
    start_worker_with(store, crate::peer::http())
}

/// A worker whose jobs reach networks through `http`.
pub fn start_worker_with(store: &Store, http: chorus_outbound::Client) -> Running {
    let (stop, rx) = watch::channel(false);
    let worker = Worker::new(
        store.clone(),
        chorus_jobs::standard_kinds(
            store,
            key(),
            http,
            chorus_core::links::PublicBase::parse(PUBLIC_URL).unwrap(),
        ),
        WorkerConfig {
            poll: Duration::from_millis(100),
            ..WorkerConfig::default()
        },
    );
    Running {
        stop,
        done: tokio::spawn(worker.run(rx)),
    }
}

impl Running {
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        self.done.await.unwrap();
    }
}

/// Waits until `check` holds, up to `limit`; returns whether it did.
pub async fn until<F, Fut>(limit: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    check().await
}

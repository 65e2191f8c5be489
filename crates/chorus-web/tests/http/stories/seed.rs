//! A Stories world on top of `spawn_app`: principle 5, an account per market (FI, BR), and a
//! writer (contributor) in each market who authors the stories the tests move around.
//!
//! The accounts are connected as Chorus sees it: their credentials are sealed with the key the
//! server of [`spawn`] opens them with ([`sealed_credentials`]), so stories for them may be
//! approved and scheduled. On a server without that key (plain `spawn_app`) they are not
//! connected, and approving or scheduling for them is refused.

use chorus_core::audit::Author;
use chorus_core::playbook::{PrincipleInput, RawPrinciple};
use chorus_core::stories::workflow::{StoryState, Transition};
use chorus_core::user::{Email, Membership};
use chorus_core::{MarketId, PrincipleId, Role, UserId};
use chorus_store::{NewAccount, NewUser, PUBLISH_JOB, Retry, Store, StoryInput, VariantInput};

use chorus_networks::bluesky::credentials::StoredAccount;
use chorus_networks::bluesky::{Secret, SecretKey};

use crate::support::{PASSWORD, TestApp, spawn_app_with_state, web_config};

/// The key the server of [`spawn`] seals and opens network credentials with.
pub fn secret_key() -> SecretKey {
    SecretKey::from_bytes([7; 32])
}

/// The server of `spawn_app`, with [`secret_key`]: accounts whose credentials are
/// [`sealed_credentials`] are connected on it.
pub async fn spawn() -> TestApp {
    spawn_app_with_state(web_config(), |s| s.with_secret_key(secret_key())).await
}

/// Credentials for the account `did`, sealed with [`secret_key`] as connecting an account
/// stores them (the app password is not a real one: nothing here reaches a network).
pub fn sealed_credentials(did: &str, handle: &str) -> String {
    let sealed = StoredAccount {
        pds: "http://127.0.0.1:9".into(),
        did: did.into(),
        handle: handle.into(),
        app_password: Secret::new("not-a-real-app-password"),
        refresh_jwt: None,
    }
    .seal(&secret_key())
    .unwrap();
    serde_json::to_string(&sealed).unwrap()
}

pub struct World {
    pub fi: MarketId,
    pub br: MarketId,
    pub fi_account: i64,
    pub br_account: i64,
    pub principle: PrincipleId,
    pub writer_fi: UserId,
    pub writer_br: UserId,
}

pub const WRITER_FI: &str = "writer-fi@example.com";
pub const WRITER_BR: &str = "writer-br@example.com";

pub async fn world(app: &TestApp) -> World {
    let store = &app.store;
    let sys = Author::system("test");
    let markets = store.markets().await.unwrap();
    let fi = markets.iter().find(|m| m.code.as_str() == "FI").unwrap().id;
    let br = markets.iter().find(|m| m.code.as_str() == "BR").unwrap().id;
    let principle = store
        .create_principle(
            &sys,
            &PrincipleInput::parse(&RawPrinciple {
                number: 5,
                slug: Some("clear-objectives".into()),
                pillar: "numbers".into(),
                title: "Define clear objectives from the outset".into(),
                statement: "Know the target first.".into(),
                ..RawPrinciple::default()
            })
            .unwrap(),
        )
        .await
        .unwrap()
        .id;
    let (fi_sealed, br_sealed) = (
        sealed_credentials("did:plc:test", "northwind-fi.test"),
        sealed_credentials("did:plc:test", "northwind-br.test"),
    );
    let account = |market, handle: &'static str, sealed| NewAccount {
        market_id: market,
        network: "bluesky",
        handle,
        external_id: "did:plc:test",
        service_url: "http://127.0.0.1:9",
        sealed,
    };
    let fi_account = store
        .connect_account(&sys, &account(fi, "northwind-fi.test", &fi_sealed))
        .await
        .unwrap()
        .id;
    let br_account = store
        .connect_account(&sys, &account(br, "northwind-br.test", &br_sealed))
        .await
        .unwrap()
        .id;
    let hash = chorus_core::password::hash(PASSWORD).unwrap();
    let writer = |email: &'static str, market| {
        let hash = hash.clone();
        let sys = &sys;
        async move {
            store
                .create_user(
                    sys,
                    &NewUser {
                        email: Email::parse(email).unwrap(),
                        display_name: email.into(),
                        password_hash: Some(hash),
                        memberships: vec![
                            Membership::new(Role::Contributor, Some(market)).unwrap(),
                        ],
                    },
                )
                .await
                .unwrap()
                .id
        }
    };
    let writer_fi = writer(WRITER_FI, fi).await;
    let writer_br = writer(WRITER_BR, br).await;
    World {
        fi,
        br,
        fi_account,
        br_account,
        principle,
        writer_fi,
        writer_br,
    }
}

impl World {
    pub fn account(&self, market: MarketId) -> i64 {
        if market == self.fi {
            self.fi_account
        } else {
            self.br_account
        }
    }

    pub fn writer(&self, market: MarketId) -> (UserId, &'static str) {
        if market == self.fi {
            (self.writer_fi, WRITER_FI)
        } else {
            (self.writer_br, WRITER_BR)
        }
    }

    /// A story by the market's writer with one variant due at `at_ms`, moved by the system into
    /// `state` (a failed story really failed: its job was claimed and failed permanently).
    pub async fn story_in(
        &self,
        store: &Store,
        market: MarketId,
        state: StoryState,
        at_ms: i64,
    ) -> i64 {
        self.story_titled(store, market, state, at_ms, &format!("Story in {state:?}"))
            .await
    }

    pub async fn story_titled(
        &self,
        store: &Store,
        market: MarketId,
        state: StoryState,
        at_ms: i64,
        title: &str,
    ) -> i64 {
        let (uid, email) = self.writer(market);
        let author = Author::user(uid, email);
        let story = store
            .create_story(
                &author,
                &StoryInput {
                    market_id: market,
                    campaign_id: None,
                    title: title.to_owned(),
                    brief: "A brief".into(),
                    principles: vec![self.principle],
                },
            )
            .await
            .unwrap();
        let variant = store
            .save_variant(
                &author,
                story.id,
                None,
                &VariantInput {
                    account_id: self.account(market),
                    locale: if market == self.fi {
                        "fi-FI".into()
                    } else {
                        "pt-BR".into()
                    },
                    body: "Hello from the test".into(),
                    scheduled_at_ms: Some(at_ms),
                },
            )
            .await
            .unwrap();
        let sys = Author::system("test");
        let path: &[(Transition, StoryState)] = match state {
            StoryState::Draft => &[],
            StoryState::InReview => &[(Transition::Submit, StoryState::InReview)],
            StoryState::Rejected => &[
                (Transition::Submit, StoryState::InReview),
                (Transition::Reject, StoryState::Rejected),
            ],
            StoryState::Approved => &[
                (Transition::Submit, StoryState::InReview),
                (Transition::Approve, StoryState::Approved),
            ],
            StoryState::Scheduled | StoryState::Failed => &[
                (Transition::Submit, StoryState::InReview),
                (Transition::Approve, StoryState::Approved),
                (Transition::Schedule, StoryState::Scheduled),
            ],
            other => panic!("the seed does not make {other:?} stories"),
        };
        let mut s = story;
        for (t, to) in path {
            let reason = (*t == Transition::Reject).then_some("needs work");
            s = store
                .transition_story(&sys, &s, *t, *to, reason)
                .await
                .unwrap();
        }
        if state == StoryState::Failed {
            let job = store
                .claim_job("test", &[PUBLISH_JOB], 60_000)
                .await
                .unwrap()
                .unwrap();
            assert!(
                job.payload.contains(&variant.id.to_string()),
                "{}",
                job.payload
            );
            store.begin_publish(&job, variant.id).await.unwrap();
            store
                .fail_publish(
                    &job,
                    variant.id,
                    "the network refused the post",
                    Retry::Never,
                )
                .await
                .unwrap();
        }
        assert_eq!(store.story(s.id).await.unwrap().state, state);
        s.id
    }
}

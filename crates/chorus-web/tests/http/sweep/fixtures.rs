//! Story and campaign fixtures: a story of a market moved into any state through the store
//! (published and failed ones through the publish queue, as the scheduler would), a story with a
//! published variant whose other variant failed, and campaigns.

use chorus_core::stories::workflow::{StoryState, Transition};
use chorus_core::stories::{CampaignInput, Objective};
use chorus_store::{PUBLISH_JOB, Retry, StoryInput, VariantInput, publish_key};

use super::model::Mkt;
use super::world::{World, sys};

/// What a story fixture looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    In(StoryState),
    /// Failed, after one of its two variants was published: [`StoryFx::variant`] is the
    /// published one.
    PartlyPublished,
}

impl Shape {
    pub fn note(self) -> &'static str {
        match self {
            Shape::In(s) => s.as_str(),
            Shape::PartlyPublished => "published variant of a failed story",
        }
    }

    /// Whether its content (and [`StoryFx::variant`]) may still change.
    pub fn open(self) -> bool {
        match self {
            Shape::In(s) => !matches!(s, StoryState::Published | StoryState::Publishing),
            Shape::PartlyPublished => false,
        }
    }
}

/// A story with one variant (and its image, when asked for).
#[derive(Debug, Clone, Copy)]
pub struct StoryFx {
    pub id: i64,
    pub variant: i64,
    pub image: i64,
}

/// 1×1 transparent PNG.
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

impl World {
    /// A story of `m` by its writer, with one variant due at `at_ms` (and a second one, from
    /// the second account, when `two`), moved into `state`.
    async fn story_at(
        &self,
        m: Mkt,
        state: StoryState,
        at_ms: i64,
        image: bool,
        two: bool,
    ) -> StoryFx {
        let store = &self.app.store;
        let author = self.writer_author(m);
        let n = self.next();
        let story = store
            .create_story(
                &author,
                &StoryInput {
                    market_id: self.id(m),
                    campaign_id: None,
                    title: format!("STORY-{} title {n}", m.code()),
                    brief: "A brief".into(),
                    principles: vec![self.principle_id()],
                },
            )
            .await
            .unwrap();
        let mut variants = Vec::new();
        let accounts = [self.account(m), self.account2(m)];
        for account_id in &accounts[..if two { 2 } else { 1 }] {
            let v = store
                .save_variant(
                    &author,
                    story.id,
                    None,
                    &VariantInput {
                        account_id: *account_id,
                        locale: m.locale().into(),
                        body: format!("STORY-{} text {n}", m.code()),
                        scheduled_at_ms: Some(at_ms),
                    },
                )
                .await
                .unwrap();
            variants.push(v.id);
        }
        let variant = variants[0];
        let image = if image {
            store
                .add_image(&author, variant, "pic.png", "image/png", PNG, "A picture")
                .await
                .unwrap()
                .id
        } else {
            0
        };
        use StoryState as S;
        use Transition as T;
        let path: &[(Transition, StoryState)] = match state {
            S::Draft => &[],
            S::InReview => &[(T::Submit, S::InReview)],
            S::Rejected => &[(T::Submit, S::InReview), (T::Reject, S::Rejected)],
            S::Approved => &[(T::Submit, S::InReview), (T::Approve, S::Approved)],
            S::Scheduled | S::Failed | S::Published | S::Publishing => &[
                (T::Submit, S::InReview),
                (T::Approve, S::Approved),
                (T::Schedule, S::Scheduled),
            ],
        };
        let mut s = story;
        for (t, to) in path {
            let reason = (*t == T::Reject).then_some("needs work");
            s = store
                .transition_story(&sys(), &s, *t, *to, reason)
                .await
                .unwrap();
        }
        if matches!(state, S::Failed | S::Published) {
            self.publish(variant, state == S::Published).await;
        }
        assert_eq!(store.story(s.id).await.unwrap().state, state);
        StoryFx {
            id: s.id,
            variant,
            image,
        }
    }

    /// Runs the publish job of `variant` (due now): published, or failed for good.
    async fn publish(&self, variant: i64, ok: bool) {
        let store = &self.app.store;
        let job = loop {
            let job = store
                .claim_job("sweep", &[PUBLISH_JOB], 60_000)
                .await
                .unwrap()
                .expect("the variant's publish job is due");
            if job.key == publish_key(variant) {
                break job;
            }
            // Someone's retry made another job due: park it far away.
            let later = chorus_store::now_ms() + 10 * 365 * 86_400_000;
            store.retry_job(job.id, later, "parked").await.unwrap();
        };
        store.begin_publish(&job, variant).await.unwrap();
        if ok {
            let uri = format!("at://did:plc:sweep/app.bsky.feed.post/v{variant}");
            store.complete_publish(&job, variant, &uri).await.unwrap();
        } else {
            store
                .fail_publish(&job, variant, "the network refused", Retry::Never)
                .await
                .unwrap();
        }
    }

    /// A story in `state`: published and failed ones went through the queue just now, the
    /// others are due in ten days.
    pub async fn story(&self, m: Mkt, state: StoryState) -> StoryFx {
        self.shaped(m, Shape::In(state), false).await
    }

    /// A story of `shape`, its variant with an image when `image`.
    pub async fn shaped(&self, m: Mkt, shape: Shape, image: bool) -> StoryFx {
        let now = chorus_store::now_ms();
        match shape {
            Shape::In(state) => {
                let at = if matches!(state, StoryState::Failed | StoryState::Published) {
                    now - 1_000
                } else {
                    now + 10 * 86_400_000
                };
                self.story_at(m, state, at, image, false).await
            }
            Shape::PartlyPublished => {
                let fx = self
                    .story_at(m, StoryState::Scheduled, now - 1_000, image, true)
                    .await;
                let store = &self.app.store;
                let second = store.variants(fx.id).await.unwrap()[1].id;
                self.publish(fx.variant, true).await;
                self.publish(second, false).await;
                assert_eq!(store.story(fx.id).await.unwrap().state, StoryState::Failed);
                fx
            }
        }
    }

    /// A campaign in planning running in `markets`, with an objective (so it may go live).
    pub async fn campaign(&self, markets: &[Mkt]) -> i64 {
        let label = if markets.len() > 1 {
            "BOTH"
        } else {
            markets[0].code()
        };
        let input = CampaignInput::parse(
            &format!("CAMP-{label} campaign {}", self.next()),
            vec![Objective::parse("registrations", "100", "month").unwrap()],
            markets.iter().map(|m| self.id(*m)).collect(),
            vec![self.principle_id()],
            "2030-01-01",
            "2030-12-31",
        )
        .unwrap();
        self.app
            .store
            .create_campaign(&sys(), &input)
            .await
            .unwrap()
            .id
    }
}

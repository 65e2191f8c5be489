//! The demo's Numbers history: about 90 days of posts from each demo account, with the
//! measurements a collector would have taken of them, so a newcomer sees populated Numbers
//! pages.
//!
//! The contract:
//!
//! - Everything here is generated and marked so: the accounts carry the persisted demo mark
//!   (`Store::mark_demo_account`), which the pages read to label the figures as demo data and
//!   which keeps the real collector away from them; only a demo account's stories can be
//!   recorded published without publishing (`Store::publish_demo_story`).
//! - Measurements go through the collector's own store functions
//!   (`Store::record_post_snapshots`, `record_follower_snapshots`, `record_click`), so the
//!   rollups are maintained by the real code, at the real schedule's checkpoints
//!   (`chorus_core::numbers::schedule::next_due`).
//! - The figures come from a fixed seed: the same start time gives the same history. Shapes
//!   that look like social media: engagement that decays after publication, a few posts doing
//!   far better than the rest, quieter weekends, followers growing per account, clicks on the
//!   posts that carry a link.
//! - Idempotent and resumable: stories are found by title, snapshots by (post, time); the
//!   followers are written last, so an account with follower measurements means the history is
//!   complete and a later start does nothing.

use std::collections::BTreeMap;

use anyhow::Context;
use chorus_core::audit::Author;
use chorus_core::numbers::PostCounts;
use chorus_core::numbers::schedule::next_due;
use chorus_core::org::Market;
use chorus_core::user::Email;
use chorus_store::{
    Account, DemoPublication, NewFollowerSnapshot, NewPostSnapshot, Store, StoryInput, VariantInput,
};
use jiff::{SignedDuration, Timestamp, ToSpan};

/// The external id the demo loader gives its accounts (connected to nothing); only such an
/// account is ever marked demo, so one a person connected since stays real.
pub const NOT_CONNECTED_ID: &str = "demo: not connected";

/// Days of history before the load.
const DAYS: i64 = 90;

/// What each post is about (the story's title is the topic and the local date).
const TOPICS: [&str; 12] = [
    "Behind the scenes at the sound lab",
    "Customer question of the week",
    "Battery tip",
    "Running playlist picks",
    "Community spotlight",
    "Giveaway winners",
    "How we test for wind noise",
    "Repairs and spare parts",
    "Team takeover",
    "Sound check poll",
    "Unboxing thread",
    "Commute soundscape",
];

use chorus_core::numbers::sample::Rng;

/// How a post does: its final counts, and how fast it gets there.
#[derive(Debug, Clone, Copy)]
pub struct Curve {
    pub likes: f64,
    pub reposts: f64,
    pub replies: f64,
    pub quotes: f64,
    pub bookmarks: f64,
}

impl Curve {
    /// A post on an account of `followers` published on a weekend or not: most posts do
    /// modestly, a few (about one in twenty) do several times better.
    pub fn draw(rng: &mut Rng, followers: f64, weekend: bool) -> Curve {
        let mut quality = (0.7 * rng.normal()).exp();
        if rng.unit() < 0.05 {
            quality *= 4.0 + 4.0 * rng.unit();
        }
        let day = if weekend { 0.6 } else { 1.0 };
        let likes = followers * 0.011 * quality * day;
        let ratio = |rng: &mut Rng, r: f64| likes * r * (0.6 + 0.8 * rng.unit());
        Curve {
            likes,
            reposts: ratio(rng, 0.16),
            replies: ratio(rng, 0.08),
            quotes: ratio(rng, 0.02),
            bookmarks: ratio(rng, 0.05),
        }
    }

    /// The share of the final counts reached `hours` after publication: most within the first
    /// day, a slow tail over the weeks after.
    pub fn reached(hours: f64) -> f64 {
        if hours <= 0.0 {
            return 0.0;
        }
        0.9 * (1.0 - (-hours / 14.0).exp()) + 0.1 * (1.0 - (-hours / 300.0).exp())
    }

    /// The running totals `hours` after publication (never lower than an earlier answer).
    pub fn at(&self, hours: f64) -> PostCounts {
        let f = Curve::reached(hours);
        let n = |v: f64| Some((v * f).floor() as i64);
        PostCounts {
            likes: n(self.likes),
            reposts: n(self.reposts),
            replies: n(self.replies),
            quotes: n(self.quotes),
            bookmarks: n(self.bookmarks),
            first_hour_likes: None,
        }
    }
}

/// The people and campaigns the history's stories use.
pub struct Cast {
    /// Who writes a market's stories, by market code (a demo story author there).
    pub writers: BTreeMap<String, String>,
    /// Who writes where no one is named (the demo's admin).
    pub fallback: String,
}

/// A generated post waiting for its measurements.
struct Post {
    variant: i64,
    account: i64,
    published: Timestamp,
    curve: Curve,
    /// The redirect of its link, if it holds one.
    link: Option<i64>,
}

/// Followers a demo account starts the history with (by its market's size).
fn followers_of(code: &str) -> f64 {
    match code {
        "US" => 12_100.0,
        "IN" => 15_600.0,
        "BR" => 9_800.0,
        "JP" => 5_400.0,
        "KE" => 3_100.0,
        "FI" => 2_400.0,
        _ => 4_000.0,
    }
}

/// Loads the history (see the module's documentation), ending at `now`.
pub async fn load(store: &Store, cast: &Cast, now: Timestamp) -> anyhow::Result<()> {
    let author = Author::system("demo");
    let mut accounts: Vec<Account> = Vec::new();
    for a in store.accounts(None).await? {
        if a.external_id != NOT_CONNECTED_ID {
            continue;
        }
        if !a.demo {
            store.mark_demo_account(&author, a.id).await?;
        }
        accounts.push(a);
    }
    for a in &accounts {
        if !store.follower_snapshots(a.id).await?.is_empty() {
            return Ok(());
        }
    }
    let markets = store.markets().await?;
    let principles = store.principles().await?;
    let campaigns = store.campaigns().await?;
    let existing = store.stories(None, None, 100_000).await?;
    let mut rng = Rng::new(0x00C0_FFEE_D3E0_0018);
    let mut posts: Vec<Post> = Vec::new();
    for account in &accounts {
        let Some(market) = markets.iter().find(|m| m.id == account.market_id) else {
            continue;
        };
        let email = cast
            .writers
            .get(market.code.as_str())
            .unwrap_or(&cast.fallback);
        let writer = store
            .user_by_email(&Email::parse(email)?)
            .await?
            .with_context(|| format!("demo writer {email}"))?;
        let as_writer = Author::user(writer.id, writer.email.as_str());
        let zone = market.timezone.zone();
        let followers = followers_of(market.code.as_str());
        let today = now.to_zoned(zone.clone()).date();
        for back in (1..=DAYS).rev() {
            let day = today.saturating_sub(back.days());
            let weekend = day.weekday().to_monday_one_offset() >= 6;
            // About three posts a week, fewer at weekends.
            let chance = if weekend { 0.15 } else { 0.55 };
            let roll = rng.unit();
            let minute = (rng.unit() * 9.0 * 60.0) as i64;
            let topic = TOPICS[(rng.next_u64() % TOPICS.len() as u64) as usize];
            let curve = Curve::draw(&mut rng, followers, weekend);
            let with_link = rng.unit() < 0.4;
            let extra_principle = rng.next_u64() % principles.len().max(1) as u64;
            if roll >= chance {
                continue;
            }
            let local = day.at(9, 0, 0, 0).saturating_add(minute.minutes());
            let Ok(published) = local.to_zoned(zone.clone()).map(|z| z.timestamp()) else {
                continue;
            };
            let title = format!("{topic} · {day}");
            let campaign = campaigns
                .iter()
                .find(|c| c.markets.contains(&market.id) && c.starts_on <= day && day <= c.ends_on);
            let mut cited: Vec<_> = campaign.map(|c| c.principles.clone()).unwrap_or_default();
            if let Some(p) = principles.get(extra_principle as usize)
                && !cited.contains(&p.id)
            {
                cited.push(p.id);
            }
            let post = match existing
                .iter()
                .find(|s| s.title == title && s.market_id == market.id)
            {
                Some(s) => {
                    let v = store.variants(s.id).await?;
                    let Some(v) = v.into_iter().next() else {
                        continue;
                    };
                    if v.published_uri.is_none() {
                        publish(store, &author, s.id, v.id, account, published).await?;
                    }
                    v.id
                }
                None => {
                    let body = body(topic, market, with_link);
                    let story = store
                        .create_story(
                            &as_writer,
                            &StoryInput {
                                market_id: market.id,
                                campaign_id: campaign.map(|c| c.id),
                                title,
                                brief: format!("Demo history: {topic}."),
                                principles: cited,
                            },
                        )
                        .await?;
                    let v = store
                        .save_variant(
                            &as_writer,
                            story.id,
                            None,
                            &VariantInput {
                                account_id: account.id,
                                locale: market.locales[0].to_string(),
                                body,
                                scheduled_at_ms: None,
                            },
                        )
                        .await?;
                    publish(store, &author, story.id, v.id, account, published).await?;
                    v.id
                }
            };
            let link = match with_link {
                true => {
                    let target = link_of(market);
                    store
                        .variant_links(post, &[target])
                        .await?
                        .first()
                        .map(|l| l.id)
                }
                false => None,
            };
            posts.push(Post {
                variant: post,
                account: account.id,
                published,
                curve,
                link,
            });
        }
    }
    measure(store, &mut rng, &posts, now).await?;
    followers(store, &mut rng, &accounts, &markets, &posts, now).await?;
    Ok(())
}

fn link_of(market: &Market) -> String {
    format!(
        "https://northwind.example/{}/earbuds",
        market.code.as_str().to_lowercase()
    )
}

fn body(topic: &str, market: &Market, with_link: bool) -> String {
    if with_link {
        format!("{topic}: read more at {}", link_of(market))
    } else {
        format!("{topic} from the Northwind team.")
    }
}

async fn publish(
    store: &Store,
    author: &Author,
    story: i64,
    variant: i64,
    account: &Account,
    at: Timestamp,
) -> anyhow::Result<()> {
    let handle = account.handle.replace('.', "-");
    store
        .publish_demo_story(
            author,
            story,
            &[DemoPublication {
                variant_id: variant,
                uri: format!("at://demo.invalid/{handle}/app.bsky.feed.post/demo{variant}"),
                published_at_ms: at.as_millisecond(),
            }],
        )
        .await?;
    Ok(())
}

/// Every post's measurements at the schedule's checkpoints up to `now`, stored oldest first in
/// batches (as the collector would have stored them), and their clicks.
async fn measure(
    store: &Store,
    rng: &mut Rng,
    posts: &[Post],
    now: Timestamp,
) -> anyhow::Result<()> {
    let mut all: Vec<NewPostSnapshot> = Vec::new();
    let hour = SignedDuration::from_hours(1);
    for p in posts {
        let mut last: Option<Timestamp> = None;
        let first_hour = p.curve.at(1.0).likes;
        loop {
            let at = next_due(p.published, last);
            if at > now {
                break;
            }
            // A collector answers a few minutes after the checkpoint.
            let fetched = at
                .saturating_add(SignedDuration::from_secs((rng.unit() * 600.0) as i64))
                .unwrap_or(at);
            let fetched = fetched.min(now);
            let hours = (fetched.as_millisecond() - p.published.as_millisecond()) as f64 / 3.6e6;
            let mut counts = p.curve.at(hours);
            if fetched.duration_since(p.published) < SignedDuration::from_hours(25)
                && fetched.duration_since(p.published) >= hour
            {
                counts.first_hour_likes = first_hour;
            }
            all.push(NewPostSnapshot {
                variant_id: p.variant,
                fetched_at_ms: fetched.as_millisecond(),
                counts,
                next_due_ms: next_due(p.published, Some(fetched)).as_millisecond(),
            });
            last = Some(fetched);
        }
        if let Some(link) = p.link {
            let clicks = (p.curve.likes * 0.35).round() as i64;
            for _ in 0..clicks {
                // Most clicks in the first hours, like the likes.
                let hours = -14.0 * (1.0 - rng.unit()).ln();
                let at = p.published.as_millisecond() + (hours * 3.6e6) as i64;
                if at <= now.as_millisecond() {
                    store.record_click(link, rng.unit() < 0.04, at).await?;
                }
            }
        }
    }
    all.sort_by_key(|s| (s.fetched_at_ms, s.variant_id));
    for batch in all.chunks(200) {
        store.record_post_snapshots(batch).await?;
    }
    Ok(())
}

/// A daily follower count per account: steady growth, a little noise, and a jump after each
/// post that did well.
async fn followers(
    store: &Store,
    rng: &mut Rng,
    accounts: &[Account],
    markets: &[Market],
    posts: &[Post],
    now: Timestamp,
) -> anyhow::Result<()> {
    for a in accounts {
        let Some(market) = markets.iter().find(|m| m.id == a.market_id) else {
            continue;
        };
        let start = followers_of(market.code.as_str());
        let mut snapshots = Vec::new();
        for back in (0..DAYS).rev() {
            let at = now
                .checked_sub(SignedDuration::from_hours(24 * back))
                .unwrap_or(now);
            let days = (DAYS - back) as f64;
            let earned: f64 = posts
                .iter()
                .filter(|p| p.account == a.id && p.published <= at)
                .map(|p| p.curve.likes * 0.08)
                .sum();
            let noise = 0.002 * start * rng.normal();
            let f = start * (1.0 + 0.0012 * days) + earned + noise;
            snapshots.push(NewFollowerSnapshot {
                account_id: a.id,
                fetched_at_ms: at.as_millisecond(),
                followers: Some(f.round() as i64),
            });
        }
        store.record_follower_snapshots(&snapshots).await?;
    }
    Ok(())
}

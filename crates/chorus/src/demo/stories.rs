//! The demo's Stories section: accounts (not connected to any network), the playbook's post
//! rules, campaigns with objectives, and stories in draft, in review, approved and scheduled in
//! the future. Loaded idempotently: an account, rule, campaign or story that exists (by handle,
//! kind + term + market, name, title) is left alone.

use anyhow::Context;
use chorus_core::audit::Author;
use chorus_core::org::Market;
use chorus_core::playbook::Principle;
use chorus_core::stories::rules::{Rule, RuleKind};
use chorus_core::stories::workflow::{StoryState, Transition};
use chorus_core::stories::{CampaignInput, CampaignState, Objective, schedule, utm};
use chorus_core::user::Email;
use chorus_core::{MarketId, PrincipleId};
use chorus_store::{NewAccount, Store, StoryInput, VariantInput};
use serde::Deserialize;

/// What a demo account's credentials are: nothing that opens. Publishing from one fails with
/// the reason, so nothing is ever shown as published without a real publication.
const NOT_CONNECTED: &str = "demo-account-not-connected";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoAccount {
    market: String,
    handle: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoRule {
    kind: String,
    #[serde(default)]
    term: String,
    market: Option<String>,
    principle: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoObjective {
    metric: String,
    target: f64,
    period: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoCampaign {
    name: String,
    markets: Vec<String>,
    principles: Vec<i64>,
    starts_in_days: i64,
    ends_in_days: i64,
    state: String,
    #[serde(default)]
    objectives: Vec<DemoObjective>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoVariant {
    account: String,
    locale: String,
    text: String,
    in_days: Option<i64>,
    at: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoComment {
    author: String,
    text: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoStory {
    pub title: String,
    market: String,
    author: String,
    campaign: Option<String>,
    principles: Vec<i64>,
    brief: String,
    pub state: String,
    #[serde(default)]
    variants: Vec<DemoVariant>,
    #[serde(default)]
    comments: Vec<DemoComment>,
}

impl DemoStory {
    /// The market's code.
    pub fn market(&self) -> &str {
        &self.market
    }

    /// Who writes it.
    pub fn author(&self) -> &str {
        &self.author
    }
}

/// The Stories part of `demo.toml`.
pub struct DemoStories<'a> {
    pub accounts: &'a [DemoAccount],
    pub rules: &'a [DemoRule],
    pub campaigns: &'a [DemoCampaign],
    pub stories: &'a [DemoStory],
}

fn market<'a>(markets: &'a [Market], code: &str) -> anyhow::Result<&'a Market> {
    markets
        .iter()
        .find(|m| m.code.as_str() == code)
        .with_context(|| format!("demo refers to unknown market {code}"))
}

fn principle(principles: &[Principle], number: i64) -> anyhow::Result<PrincipleId> {
    principles
        .iter()
        .find(|p| p.number == number)
        .map(|p| p.id)
        .with_context(|| format!("demo refers to unknown principle {number}"))
}

pub async fn load(store: &Store, demo: &DemoStories<'_>) -> anyhow::Result<()> {
    let author = Author::system("demo");
    let markets = store.markets().await?;
    let principles = store.principles().await?;
    let existing = store.accounts(None).await?;
    for a in demo.accounts {
        if existing.iter().any(|x| x.handle == a.handle) {
            continue;
        }
        let m = market(&markets, &a.market)?;
        store
            .connect_account(
                &author,
                &NewAccount {
                    market_id: m.id,
                    network: "bluesky",
                    handle: &a.handle,
                    external_id: super::numbers::NOT_CONNECTED_ID,
                    service_url: "demo: not connected",
                    sealed: NOT_CONNECTED,
                },
            )
            .await?;
    }
    let rules = store.post_rules().await?;
    for r in demo.rules {
        let kind =
            RuleKind::parse(&r.kind, &r.term).with_context(|| format!("demo rule {}", r.kind))?;
        let market_id: Option<MarketId> = r
            .market
            .as_deref()
            .map(|c| market(&markets, c).map(|m| m.id))
            .transpose()?;
        if rules
            .iter()
            .any(|x| x.kind == kind && x.market == market_id)
        {
            continue;
        }
        store
            .save_post_rule(
                &author,
                &Rule {
                    id: 0,
                    kind,
                    market: market_id,
                    principle: r.principle.map(|n| principle(&principles, n)).transpose()?,
                    enabled: true,
                },
            )
            .await?;
    }
    let today = jiff::Zoned::now().date();
    let campaigns = store.campaigns().await?;
    for c in demo.campaigns {
        if campaigns.iter().any(|x| x.name == c.name) {
            continue;
        }
        let objectives = c
            .objectives
            .iter()
            .map(|o| Objective::parse(&o.metric, &o.target.to_string(), &o.period))
            .collect::<Result<Vec<_>, _>>()?;
        let day = |n: i64| today.saturating_add(jiff::Span::new().days(n)).to_string();
        let input = CampaignInput::parse(
            &c.name,
            objectives,
            c.markets
                .iter()
                .map(|code| market(&markets, code).map(|m| m.id))
                .collect::<anyhow::Result<_>>()?,
            c.principles
                .iter()
                .map(|n| principle(&principles, *n))
                .collect::<anyhow::Result<_>>()?,
            &day(c.starts_in_days),
            &day(c.ends_in_days),
        )?;
        let created = store.create_campaign(&author, &input).await?;
        let state = CampaignState::parse(&c.state)?;
        if state != CampaignState::Planning {
            store.set_campaign_state(&author, created.id, state).await?;
        }
    }
    let campaigns = store.campaigns().await?;
    let accounts = store.accounts(None).await?;
    let rules = store.post_rules().await?;
    let stories = store.stories(None, None, 10_000).await?;
    for s in demo.stories {
        if stories.iter().any(|x| x.title == s.title) {
            continue;
        }
        let m = market(&markets, &s.market)?;
        let writer = store
            .user_by_email(&Email::parse(&s.author)?)
            .await?
            .with_context(|| format!("demo story author {} is not a demo user", s.author))?;
        let as_writer = Author::user(writer.id, writer.email.as_str());
        let story = store
            .create_story(
                &as_writer,
                &StoryInput {
                    market_id: m.id,
                    campaign_id: s
                        .campaign
                        .as_deref()
                        .map(|name| {
                            campaigns
                                .iter()
                                .find(|c| c.name == name)
                                .map(|c| c.id)
                                .with_context(|| format!("demo story campaign {name}"))
                        })
                        .transpose()?,
                    title: s.title.clone(),
                    brief: s.brief.clone(),
                    principles: s
                        .principles
                        .iter()
                        .map(|n| principle(&principles, *n))
                        .collect::<anyhow::Result<_>>()?,
                },
            )
            .await?;
        for v in &s.variants {
            let account = accounts
                .iter()
                .find(|a| a.handle == v.account && a.market_id == m.id)
                .with_context(|| format!("demo variant account {}", v.account))?;
            let at = match (v.in_days, v.at.as_deref()) {
                (Some(days), Some(at)) => {
                    let local_day = jiff::Timestamp::now()
                        .to_zoned(m.timezone.zone())
                        .date()
                        .saturating_add(jiff::Span::new().days(days));
                    let local = schedule::parse_local(&format!("{local_day} {at}"))?;
                    // A time the clocks skip that day moves an hour later.
                    let slot = schedule::resolve(local, &m.timezone).or_else(|_| {
                        schedule::resolve(
                            local.saturating_add(jiff::Span::new().hours(1)),
                            &m.timezone,
                        )
                    })?;
                    Some(slot.at.as_millisecond())
                }
                _ => None,
            };
            // Links are tagged as the composer tags them when the market's rules ask for it.
            let utm = rules.iter().any(|r| {
                r.enabled && r.kind == RuleKind::UtmLinks && r.market.is_none_or(|x| x == m.id)
            });
            let body = if utm {
                let campaign = story
                    .campaign_id
                    .and_then(|c| campaigns.iter().find(|x| x.id == c))
                    .map(|c| c.slug.as_str());
                let tags = utm::Utm {
                    network: &account.network,
                    campaign,
                    story: story.id,
                    market: m.code.as_str(),
                };
                utm::tag_text(&v.text, &tags).0
            } else {
                v.text.clone()
            };
            store
                .save_variant(
                    &as_writer,
                    story.id,
                    None,
                    &VariantInput {
                        account_id: account.id,
                        locale: v.locale.clone(),
                        body,
                        scheduled_at_ms: at,
                    },
                )
                .await?;
        }
        for c in &s.comments {
            let who = store
                .user_by_email(&Email::parse(&c.author)?)
                .await?
                .with_context(|| format!("demo comment author {}", c.author))?;
            store
                .add_comment(&Author::user(who.id, who.email.as_str()), story.id, &c.text)
                .await?;
        }
        let target = StoryState::parse(&s.state)?;
        let path: &[(Transition, StoryState)] = match target {
            StoryState::Draft => &[],
            StoryState::InReview => &[(Transition::Submit, StoryState::InReview)],
            StoryState::Approved => &[
                (Transition::Submit, StoryState::InReview),
                (Transition::Approve, StoryState::Approved),
            ],
            StoryState::Scheduled => &[
                (Transition::Submit, StoryState::InReview),
                (Transition::Approve, StoryState::Approved),
                (Transition::Schedule, StoryState::Scheduled),
            ],
            other => anyhow::bail!(
                "demo story {:?} cannot start {}: only draft, in review, approved and scheduled, \
                 so nothing looks published without a real publication",
                s.title,
                other.label()
            ),
        };
        let mut current = store.story(story.id).await?;
        for (t, to) in path {
            current = store
                .transition_story(&author, &current, *t, *to, None)
                .await?;
        }
    }
    Ok(())
}

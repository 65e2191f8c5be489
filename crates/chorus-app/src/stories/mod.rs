//! Stories: campaigns, stories and their variants, the workflow, the calendar, imports and
//! exports.
//!
//! This module holds what every Stories use case shares: the [`Lookup`] of names a story
//! refers to (markets, accounts, principles, the campaigns the caller may see), reading a story
//! the caller may see ([`readable_story`]) or change ([`editable_story`]), parsing story and
//! variant input as typed into store types (errors name the field), checking drafts against the
//! playbook's rules, and moving stories through the workflow with the checks it asks for (rules
//! pass before submitting and scheduling; every variant has a time before scheduling; nobody
//! approves a story they wrote or whose content they changed since it was last approved — the
//! store records who changes content, in the change's transaction, and refuses such an
//! approval again inside the approval's).
//!
//! A story in a market whose stories the caller may not read does not exist for them
//! (`NotFound`); one they may read but not change is `Forbidden`; one that is publishing or
//! published keeps its content (`Conflict` on `state`).

pub mod calendar;
pub mod campaigns;
pub mod export;
pub mod import;

use std::collections::HashMap;

use chorus_core::links::PublicBase;
use chorus_core::org::{Locale, Market, MarketCode};
use chorus_core::permission::{Actor, allows, may_see_campaign};
use chorus_core::playbook::Principle;
use chorus_core::stories::limits::Network;
use chorus_core::stories::rules::{self, Draft, Finding, ImageInfo, Rule, RuleKind};
use chorus_core::stories::workflow::{self, StoryFacts, StoryState, Transition};
use chorus_core::stories::{schedule, utm};
use chorus_core::validate::{optional_text, quoted, text};
use chorus_core::{Action, MarketId, PrincipleId, Scope, UserId};

pub use chorus_store::{
    Account, Campaign, ImageMeta, PubState, Story, StoryInput, Variant, VariantInput,
};

use crate::{App, Caller, Error, Result};

pub mod comments;
pub mod images;
pub mod next;
pub mod staged;
pub mod story;
pub mod variants;

/// Everything a Stories screen looks names up in, loaded once per request. Campaigns are only
/// those the caller may see: a campaign of another market does not exist for them.
pub struct Lookup {
    pub markets: Vec<Market>,
    pub accounts: Vec<Account>,
    pub principles: Vec<Principle>,
    pub campaigns: Vec<Campaign>,
    /// Where published links go out as click redirects (the length checks count them so).
    pub public_url: Option<PublicBase>,
}

impl Lookup {
    pub async fn load(app: &App, caller: &Caller) -> Result<Lookup> {
        let mut campaigns = app.store.campaigns().await?;
        campaigns.retain(|c| may_see_campaign(&caller.actor, &c.markets));
        Ok(Lookup {
            markets: app.store.markets().await?,
            accounts: app.store.accounts(None).await?,
            principles: app.store.principles().await?,
            campaigns,
            public_url: app.public_url.clone(),
        })
    }

    pub fn market(&self, id: MarketId) -> Option<&Market> {
        self.markets.iter().find(|m| m.id == id)
    }

    pub fn market_code(&self, id: MarketId) -> String {
        self.market(id)
            .map(|m| m.code.to_string())
            .unwrap_or_else(|| id.to_string())
    }

    pub fn market_by_code(&self, code: &str) -> Option<&Market> {
        let code = MarketCode::parse(code).ok()?;
        self.markets.iter().find(|m| m.code == code)
    }

    pub fn account(&self, id: i64) -> Option<&Account> {
        self.accounts.iter().find(|a| a.id == id)
    }

    pub fn principle(&self, id: PrincipleId) -> Option<&Principle> {
        self.principles.iter().find(|p| p.id == id)
    }

    pub fn campaign(&self, id: i64) -> Option<&Campaign> {
        self.campaigns.iter().find(|c| c.id == id)
    }

    /// A principle by number ("5"), slug or id (as the forms and the CSV name them).
    pub fn find_principle(&self, raw: &str) -> Option<&Principle> {
        let raw = raw.trim();
        self.principles
            .iter()
            .find(|p| p.slug == raw || p.number.to_string() == raw || format!("id:{}", p.id) == raw)
    }

    /// Markets whose stories the actor may read.
    pub fn readable_markets(&self, actor: &Actor) -> Vec<&Market> {
        self.markets_where(actor, Action::ReadStories)
    }

    /// Markets where the actor may draft stories.
    pub fn draft_markets(&self, actor: &Actor) -> Vec<&Market> {
        self.markets_where(actor, Action::DraftStories)
    }

    fn markets_where(&self, actor: &Actor, action: Action) -> Vec<&Market> {
        self.markets
            .iter()
            .filter(|m| allows(actor, action, Scope::Market(m.id)))
            .collect()
    }
}

/// Display names of users, by id (for bylines: who wrote, who commented).
pub async fn user_names(app: &App) -> Result<HashMap<UserId, String>> {
    Ok(app
        .store
        .users(None)
        .await?
        .into_iter()
        .map(|u| (u.user.id, u.user.display_name))
        .collect())
}

/// The facts about a story the workflow's rules look at (who changed its content comes with
/// the story from the store, in lists too).
pub fn facts(s: &Story) -> StoryFacts {
    StoryFacts {
        state: s.state,
        market: s.market_id,
        author: s.author_id,
        changed_by: s.changed_by.clone(),
    }
}

/// The story, if the caller may read its market's stories (otherwise it does not exist for
/// them).
pub async fn readable_story(app: &App, caller: &Caller, story: i64) -> Result<Story> {
    let s = app.store.story(story).await?;
    if allows(
        &caller.actor,
        Action::ReadStories,
        Scope::Market(s.market_id),
    ) {
        Ok(s)
    } else {
        Err(Error::NotFound("story"))
    }
}

/// The story, if the caller may change its content.
pub async fn editable_story(app: &App, caller: &Caller, story: i64) -> Result<Story> {
    let s = readable_story(app, caller, story).await?;
    if workflow::may_edit(&caller.actor, &facts(&s)) {
        Ok(s)
    } else {
        Err(Error::forbidden(
            "only the story's author, and editors and leads of its market, may change it",
        ))
    }
}

/// Refuses changes to a story that is publishing or published: what went out stays as it went
/// out; say something new in a new story.
pub fn check_open_for_variants(story: &Story) -> Result<()> {
    if matches!(story.state, StoryState::Publishing | StoryState::Published) {
        return Err(Error::conflict(
            "state",
            "this story is published (or publishing): its content is final; write a new story",
        ));
    }
    Ok(())
}

/// Refuses changes to a variant that is publishing or published: it is on the network.
pub fn check_variant_open(variant: &Variant) -> Result<()> {
    if matches!(
        variant.pub_state,
        PubState::Published | PubState::Publishing
    ) {
        return Err(Error::conflict(
            "state",
            "this variant is published (or publishing) and cannot change",
        ));
    }
    Ok(())
}

/// Who may move a variant's time: schedulers of the market, and the author while it is a draft.
pub fn may_reschedule(actor: &Actor, story: &Story) -> bool {
    workflow::may_reschedule(actor, &facts(story))
}

/// A story's fields as typed.
#[derive(Debug, Default, Clone)]
pub struct RawStory {
    pub market: String,
    pub title: String,
    pub brief: String,
    /// A campaign id, or empty.
    pub campaign: String,
    /// Principle numbers, slugs or ids.
    pub principles: Vec<String>,
}

/// Parses a story; `market` is a code or an id (for an existing story, the caller sets it to
/// the story's own: a story stays in its market).
pub fn parse_story(raw: &RawStory, lookup: &Lookup, actor: &Actor) -> Result<StoryInput> {
    let market = lookup
        .market_by_code(&raw.market)
        .or_else(|| {
            raw.market
                .trim()
                .parse::<i64>()
                .ok()
                .and_then(|id| lookup.market(MarketId(id)))
        })
        .ok_or_else(|| Error::invalid("market", format!("no market {}", quoted(&raw.market))))?;
    if !allows(actor, Action::DraftStories, Scope::Market(market.id)) {
        return Err(Error::forbidden(format!(
            "you may not write stories for {}",
            market.name
        )));
    }
    let title = text(&raw.title, 200).map_err(|e| e.at("title"))?;
    let brief = optional_text(&raw.brief, 5000).map_err(|e| e.at("brief"))?;
    let campaign_id = match raw.campaign.trim() {
        "" => None,
        c => {
            // A campaign the caller may not see is not in the lookup: "no campaign", never
            // its name.
            let camp = c
                .parse::<i64>()
                .ok()
                .and_then(|id| lookup.campaign(id))
                .ok_or_else(|| Error::invalid("campaign", format!("no campaign {}", quoted(c))))?;
            if !camp.markets.contains(&market.id) {
                return Err(Error::invalid(
                    "campaign",
                    format!(
                        "the campaign “{}” does not run in {}",
                        camp.name, market.name
                    ),
                ));
            }
            Some(camp.id)
        }
    };
    let mut principles = Vec::new();
    for p in raw.principles.iter().filter(|p| !p.trim().is_empty()) {
        let found = lookup
            .find_principle(p)
            .ok_or_else(|| Error::invalid("principles", format!("no principle {}", quoted(p))))?;
        if !principles.contains(&found.id) {
            principles.push(found.id);
        }
    }
    Ok(StoryInput {
        market_id: market.id,
        campaign_id,
        title,
        brief,
        principles,
    })
}

/// A variant's fields as typed.
#[derive(Debug, Default, Clone)]
pub struct RawVariant {
    pub account: String,
    pub locale: String,
    pub body: String,
    /// The market's wall-clock time, `YYYY-MM-DD HH:MM`, or empty.
    pub time: String,
}

/// A parsed variant, tagged and ready to save.
pub struct ParsedVariant {
    pub input: VariantInput,
    pub network: Network,
    /// A note to show (a local time that happens twice).
    pub note: Option<String>,
}

/// Longest text accepted at all (networks allow far less; the checks say so).
const MAX_BODY_CHARS: usize = 5000;

pub fn parse_variant(
    raw: &RawVariant,
    story: &Story,
    lookup: &Lookup,
    rules: &[Rule],
) -> Result<ParsedVariant> {
    let market = lookup
        .market(story.market_id)
        .ok_or(Error::NotFound("market"))?;
    let account = raw
        .account
        .trim()
        .parse::<i64>()
        .ok()
        .and_then(|id| lookup.account(id))
        .or_else(|| {
            lookup
                .accounts
                .iter()
                .find(|a| a.handle == raw.account.trim().trim_start_matches('@'))
        })
        .filter(|a| a.market_id == story.market_id)
        .ok_or_else(|| {
            Error::invalid(
                "account",
                format!("choose one of the accounts connected for {}", market.name),
            )
        })?;
    let network = Network::parse(&account.network).map_err(|e| e.at("account"))?;
    let locale = Locale::parse(&raw.locale).map_err(|e| e.at("locale"))?;
    if !market.locales.contains(&locale) {
        let list: Vec<&str> = market.locales.iter().map(|l| l.as_str()).collect();
        return Err(Error::invalid(
            "locale",
            format!("{} posts in {}", market.name, list.join(", ")),
        ));
    }
    let body = raw.body.replace("\r\n", "\n");
    let body = body.trim();
    if body.chars().count() > MAX_BODY_CHARS {
        return Err(Error::invalid(
            "body",
            format!("the text is longer than {MAX_BODY_CHARS} characters"),
        ));
    }
    let (scheduled_at_ms, note) = match raw.time.trim() {
        "" => (None, None),
        t => {
            let local = schedule::parse_local(t).map_err(|e| e.at("time"))?;
            let slot = schedule::resolve(local, &market.timezone).map_err(|e| e.at("time"))?;
            (Some(slot.at.as_millisecond()), slot.note)
        }
    };
    let body = tag_links(body, network, story, lookup, rules);
    Ok(ParsedVariant {
        input: VariantInput {
            account_id: account.id,
            locale: locale.as_str().to_owned(),
            body,
            scheduled_at_ms,
        },
        network,
        note,
    })
}

/// The text with its links tagged with UTM parameters, when the market's rules ask for it.
pub fn tag_links(
    body: &str,
    network: Network,
    story: &Story,
    lookup: &Lookup,
    rules: &[Rule],
) -> String {
    let Some(market) = lookup.market(story.market_id) else {
        return body.to_owned();
    };
    if !utm_enabled(rules, story.market_id) {
        return body.to_owned();
    }
    let campaign = story
        .campaign_id
        .and_then(|c| lookup.campaign(c))
        .map(|c| c.slug.as_str());
    let tags = utm::Utm {
        network: network.as_str(),
        campaign,
        story: story.id,
        market: market.code.as_str(),
    };
    utm::tag_text(body, &tags).0
}

fn utm_enabled(rules: &[Rule], market: MarketId) -> bool {
    rules
        .iter()
        .any(|r| r.enabled && r.kind == RuleKind::UtmLinks && r.market.is_none_or(|m| m == market))
}

/// Checks one variant's content (as saved or as typed) against the limits and the rules.
pub fn check(
    body: &str,
    network: Network,
    story: &Story,
    images: &[ImageInfo<'_>],
    rules: &[Rule],
    links: Option<&PublicBase>,
) -> Vec<Finding> {
    rules::check(
        &Draft {
            text: body,
            network,
            market: story.market_id,
            principles: &story.principles,
            images,
            links,
        },
        rules,
    )
}

/// The findings of a saved variant.
pub fn check_saved(v: &Variant, story: &Story, lookup: &Lookup, rules: &[Rule]) -> Vec<Finding> {
    let network = lookup
        .account(v.account_id)
        .and_then(|a| Network::parse(&a.network).ok())
        .unwrap_or(Network::Bluesky);
    let images: Vec<ImageInfo<'_>> = v
        .images
        .iter()
        .map(|i| ImageInfo {
            name: &i.name,
            alt: &i.alt,
        })
        .collect();
    check(
        &v.body,
        network,
        story,
        &images,
        rules,
        lookup.public_url.as_ref(),
    )
}

/// The playbook's rules for posts, as they apply to drafts now.
pub async fn post_rules(app: &App) -> Result<Vec<Rule>> {
    Ok(app.store.post_rules().await?)
}

/// Applies `transition` to `story` for the caller, after every check the workflow asks for.
pub async fn transition(
    app: &App,
    caller: &Caller,
    story: &Story,
    transition: Transition,
    reason: Option<&str>,
) -> Result<Story> {
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if let Some(r) = reason
        && r.chars().count() > 2000
    {
        return Err(Error::invalid(
            "reason",
            "keep the reason under 2000 characters",
        ));
    }
    let to = workflow::check(&caller.actor, &facts(story), transition, reason)?;
    if matches!(transition, Transition::Submit | Transition::Schedule) {
        let variants = app.store.variants(story.id).await?;
        if variants.is_empty() {
            return Err(Error::invalid(
                "variants",
                "add at least one variant (an account and a locale with its text) first",
            ));
        }
        let lookup = Lookup::load(app, caller).await?;
        let rules = app.store.post_rules().await?;
        let mut problems = Vec::new();
        for v in &variants {
            let handle = lookup
                .account(v.account_id)
                .map(|a| a.handle.clone())
                .unwrap_or_default();
            for f in check_saved(v, story, &lookup, &rules)
                .into_iter()
                .filter(|f| f.severity == rules::Severity::Error)
            {
                problems.push(format!("@{handle} {}: {} ({})", v.locale, f.message, f.fix));
            }
            if transition == Transition::Schedule && v.scheduled_at_ms.is_none() {
                problems.push(format!(
                    "@{handle} {}: has no time; give every variant a time",
                    v.locale
                ));
            }
        }
        if !problems.is_empty() {
            return Err(Error::invalid(
                "variants",
                format!("fix these first: {}", problems.join("; ")),
            ));
        }
    }
    if matches!(
        transition,
        Transition::Approve | Transition::Schedule | Transition::Retry
    ) {
        check_connected(app, story, transition).await?;
    }
    Ok(app
        .store
        .transition_story(&caller.author(), story, transition, to, reason)
        .await?)
}

/// Refuses approving, scheduling or retrying a story with a variant for an account Chorus
/// cannot publish from (see [`crate::accounts::is_connected`]): it would fail when its time
/// comes. The refusal names the accounts, says they are not connected and where they get
/// connected, and by whom.
async fn check_connected(app: &App, story: &Story, transition: Transition) -> Result<()> {
    let variants = app.store.variants(story.id).await?;
    let accounts: Vec<Account> = app
        .store
        .accounts(Some(story.market_id))
        .await?
        .into_iter()
        .filter(|a| variants.iter().any(|v| v.account_id == a.id))
        .collect();
    let missing = crate::accounts::not_connected(app, &accounts).await?;
    if missing.is_empty() {
        return Ok(());
    }
    let handles: Vec<String> = accounts
        .iter()
        .filter(|a| missing.contains(&a.id))
        .map(|a| format!("@{}", a.handle))
        .collect();
    let market = app.store.market(story.market_id).await?;
    let (subject, verb) = match handles.as_slice() {
        [one] => (one.clone(), "is"),
        [rest @ .., last] => (format!("{} and {last}", rest.join(", ")), "are"),
        [] => return Ok(()),
    };
    Err(Error::conflict(
        "accounts",
        format!(
            "{subject} {verb} not connected, so Chorus cannot publish from {them}: an admin or \
             a lead of {market} connects {them} under Stories → Accounts, then {again} the \
             story",
            them = if verb == "is" { "it" } else { "them" },
            market = market.name,
            again = transition.as_str(),
        ),
    ))
}

/// Moves a variant to the market's wall-clock time `local` (`YYYY-MM-DDTHH:MM`). Answers the
/// variant, its story and a note when the local time happens twice. See
/// [`calendar::move_variant`], which this calls.
pub async fn reschedule(
    app: &App,
    caller: &Caller,
    variant: i64,
    local: &str,
) -> Result<(Variant, Story, Option<String>)> {
    let moved = calendar::move_variant(app, caller, variant, local).await?;
    Ok((moved.variant, moved.story, moved.note))
}

//! Stories themselves: writing one, changing its fields, reading it with what the caller may do
//! next, listing them, and moving one through the workflow.
//!
//! Contract: a story of a market whose stories the caller may not read does not exist for them
//! (`NotFound`); its fields change only for those who may edit it (`Forbidden` otherwise) and
//! only while it is not publishing or published (`Conflict` on `state`, before anything is
//! written). A story never leaves its market. Changing the fields of work in review, approved,
//! scheduled or failed sends it back to draft ([`Updated::back_to_draft`]). What the caller may
//! do next (`can_edit`, `available` transitions, `can_move`) is computed here from core's rule
//! table, so every screen offers the same.

use std::collections::HashMap;

use chorus_core::org::Market;
use chorus_core::permission::{Actor, allows};
use chorus_core::stories::rules::{Finding, Rule};
use chorus_core::stories::workflow::{self, StoryState, Transition};
use chorus_core::validate::quoted;
use chorus_core::{Action, MarketId, Role, Scope, UserId};

use super::comments::{self, Comment};
use super::{
    Campaign, Lookup, PubState, RawStory, Story, Variant, check_open_for_variants, check_saved,
    editable_story, facts, may_reschedule, parse_story, readable_story, user_names,
};
use crate::{App, Caller, Error, Result};

/// Writes a new draft story (contributors, editors and leads of its market).
pub async fn create(app: &App, caller: &Caller, fields: &RawStory) -> Result<Story> {
    let lookup = Lookup::load(app, caller).await?;
    let input = parse_story(fields, &lookup, &caller.actor)?;
    Ok(app.store.create_story(&caller.author(), &input).await?)
}

/// What changing a story's fields did.
#[derive(Debug, Clone)]
pub struct Updated {
    pub story: Story,
    /// Whether the change sent approved (or submitted) work back to draft.
    pub back_to_draft: bool,
}

/// Changes a story's title, brief, campaign and cited principles. `fields.market` is ignored:
/// a story stays in its market (its variants belong to the market's accounts).
pub async fn update(app: &App, caller: &Caller, story: i64, fields: &RawStory) -> Result<Updated> {
    let story = editable_story(app, caller, story).await?;
    check_open_for_variants(&story)?;
    let lookup = Lookup::load(app, caller).await?;
    let fields = RawStory {
        market: lookup.market_code(story.market_id),
        ..fields.clone()
    };
    let input = parse_story(&fields, &lookup, &caller.actor)?;
    let (story, back_to_draft) = app
        .store
        .update_story(&caller.author(), story.id, &input)
        .await?;
    Ok(Updated {
        story,
        back_to_draft,
    })
}

/// A variant with its checks and what the caller may do with it.
#[derive(Debug, Clone)]
pub struct VariantDetail {
    pub variant: Variant,
    pub findings: Vec<Finding>,
    /// May change or delete it: may edit the story, and neither has gone out.
    pub can_edit: bool,
    /// May move its time: schedulers of the market (and the author while it is a draft), and
    /// it has not gone out.
    pub can_move: bool,
}

/// A story with its variants and what the caller may do next.
#[derive(Debug, Clone)]
pub struct StoryDetail {
    pub story: Story,
    pub variants: Vec<VariantDetail>,
    /// The transitions the caller may make now.
    pub available: Vec<Transition>,
    /// When the caller reviews this market's stories and the story awaits review, but they may
    /// not approve it (they wrote it, or changed its content since it was last approved): why,
    /// and who may instead (a role, never a name).
    pub approval_refused: Option<String>,
    /// May change its fields and add variants (may edit it, and it is not publishing or
    /// published).
    pub can_edit: bool,
    /// Scheduling is on offer but some variant's time has passed (it would publish at once).
    pub past_times: bool,
}

async fn detail(
    app: &App,
    caller: &Caller,
    story: Story,
    lookup: &Lookup,
    rules: &[Rule],
) -> Result<StoryDetail> {
    let may_edit = workflow::may_edit(&caller.actor, &facts(&story));
    let can_edit = may_edit && check_open_for_variants(&story).is_ok();
    let can_move = may_reschedule(&caller.actor, &story);
    let available = workflow::available(&caller.actor, &facts(&story));
    let approval_refused =
        workflow::approval_refused(&caller.actor, &facts(&story)).map(|e| e.to_string());
    let variants: Vec<VariantDetail> = app
        .store
        .variants(story.id)
        .await?
        .into_iter()
        .map(|v| {
            let out = matches!(v.pub_state, PubState::Published | PubState::Publishing);
            VariantDetail {
                findings: check_saved(&v, &story, lookup, rules),
                can_edit: can_edit && !out,
                can_move: can_move && !out,
                variant: v,
            }
        })
        .collect();
    let now = chorus_store::now_ms();
    let past_times = available.contains(&Transition::Schedule)
        && variants
            .iter()
            .any(|v| v.variant.scheduled_at_ms.is_some_and(|t| t < now));
    Ok(StoryDetail {
        story,
        variants,
        available,
        approval_refused,
        can_edit,
        past_times,
    })
}

/// One story as the API gives it, with the names it refers to.
pub async fn get(app: &App, caller: &Caller, story: i64) -> Result<(StoryDetail, Lookup)> {
    let story = readable_story(app, caller, story).await?;
    let lookup = Lookup::load(app, caller).await?;
    let rules = app.store.post_rules().await?;
    Ok((detail(app, caller, story, &lookup, &rules).await?, lookup))
}

/// One story as its page shows it: the detail, the names it refers to, and the comments.
pub struct Shown {
    pub detail: StoryDetail,
    pub lookup: Lookup,
    /// Display names of people, by id (the author).
    pub names: HashMap<UserId, String>,
    pub comments: Vec<Comment>,
    /// What happens next and who does it.
    pub next: super::next::Next,
}

/// A story for its page, as it is now.
pub async fn show(app: &App, caller: &Caller, story: i64) -> Result<Shown> {
    let (detail, lookup) = get(app, caller, story).await?;
    let names = user_names(app).await?;
    let comments = comments::of(app, detail.story.id, &names).await?;
    let next = super::next::of(app, caller, &detail.story).await?;
    Ok(Shown {
        next,
        detail,
        lookup,
        names,
        comments,
    })
}

/// Moves a story through the workflow: `transition` as typed (`submit`, `approve`, …), with a
/// reason (required to reject). `seen` is the story's version ([`Story::updated_at_ms`]) as the
/// caller was shown it, or empty: when given and the story changed since (edited, sent back to
/// draft and submitted again — the same state, other words), nothing happens (`Conflict`), so
/// nobody approves words they were never shown. Answers the story afterwards and the
/// transition made.
pub async fn transition(
    app: &App,
    caller: &Caller,
    story: i64,
    transition: &str,
    reason: &str,
    seen: &str,
) -> Result<(Story, Transition)> {
    let story = readable_story(app, caller, story).await?;
    let t = Transition::parse(transition).map_err(|e| e.at("transition"))?;
    if let Some(seen) = parse_seen(seen)?
        && seen != story.updated_at_ms
    {
        return Err(chorus_store::StoreError::Stale { what: "this story" }.into());
    }
    let after = super::transition(app, caller, &story, t, Some(reason)).await?;
    Ok((after, t))
}

/// The version a transition was asked for, as typed: empty for none, else a number.
fn parse_seen(raw: &str) -> Result<Option<i64>> {
    match raw.trim() {
        "" => Ok(None),
        s => s.parse().map(Some).map_err(|_| {
            Error::invalid("seen", "the story's version is a number: reload the story")
        }),
    }
}

/// Filters of the story list as typed; empty means any.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// A market code.
    pub market: String,
    /// A story state (`draft`, `in_review`, …).
    pub state: String,
    /// A campaign id.
    pub campaign: String,
}

/// The most stories a list shows.
pub const LIST_LIMIT: usize = 500;

/// Stories the caller may read, newest first (at most [`LIST_LIMIT`]), with what the list's
/// filters offer.
pub struct StoryList {
    pub stories: Vec<Story>,
    pub lookup: Lookup,
    pub names: HashMap<UserId, String>,
    /// Markets whose stories the caller reads (the market filter's choices).
    pub markets: Vec<Market>,
    /// Campaigns running in one of those markets (the campaign filter's choices).
    pub campaigns: Vec<Campaign>,
    /// The filters as applied.
    pub market: Option<MarketId>,
    pub state: Option<StoryState>,
    pub campaign: Option<i64>,
    /// Whether the caller may write a story somewhere.
    pub can_draft: bool,
}

/// The stories the caller may read, filtered. An unknown market, state or campaign is bad
/// input (named); a market whose stories the caller may not read lists nothing.
pub async fn list(app: &App, caller: &Caller, filter: &ListFilter) -> Result<StoryList> {
    let lookup = Lookup::load(app, caller).await?;
    let (markets, campaigns) = with_campaigns(&lookup, lookup.readable_markets(&caller.actor));
    let readable: Vec<MarketId> = markets.iter().map(|m| m.id).collect();
    let market = match filter.market.trim() {
        "" => None,
        code => Some(
            lookup
                .market_by_code(code)
                .ok_or_else(|| Error::invalid("market", format!("no market {}", quoted(code))))?
                .id,
        ),
    };
    let state = match filter.state.trim() {
        "" => None,
        s => Some(StoryState::parse(s).map_err(|e| e.at("state"))?),
    };
    let campaign = match filter.campaign.trim() {
        "" => None,
        c => Some(
            c.parse::<i64>()
                .ok()
                .and_then(|id| lookup.campaign(id))
                .ok_or_else(|| Error::invalid("campaign", format!("no campaign {}", quoted(c))))?
                .id,
        ),
    };
    let only: Vec<MarketId> = match market {
        Some(m) => readable.iter().copied().filter(|r| *r == m).collect(),
        None => readable.clone(),
    };
    // The store applies its limit before the market filter: ask for its maximum, cut after.
    let stories = app
        .store
        .stories(Some(&only), state, 10_000)
        .await?
        .into_iter()
        .filter(|s| campaign.is_none() || s.campaign_id == campaign)
        .take(LIST_LIMIT)
        .collect();
    Ok(StoryList {
        stories,
        names: user_names(app).await?,
        markets,
        campaigns,
        market,
        state,
        campaign,
        can_draft: !lookup.draft_markets(&caller.actor).is_empty(),
        lookup,
    })
}

/// The same list with every story's variants and what the caller may do (the API's list).
pub async fn list_detailed(
    app: &App,
    caller: &Caller,
    filter: &ListFilter,
) -> Result<(Vec<StoryDetail>, Lookup)> {
    let list = list(app, caller, filter).await?;
    let rules = app.store.post_rules().await?;
    let mut out = Vec::with_capacity(list.stories.len());
    for s in list.stories {
        out.push(detail(app, caller, s, &list.lookup, &rules).await?);
    }
    Ok((out, list.lookup))
}

/// `markets`, and the campaigns (of those the caller may see) running in one of them: what a
/// market filter or field and its campaign filter or field offer.
fn with_campaigns(lookup: &Lookup, markets: Vec<&Market>) -> (Vec<Market>, Vec<Campaign>) {
    let campaigns = lookup
        .campaigns
        .iter()
        .filter(|c| c.markets.iter().any(|m| markets.iter().any(|x| x.id == *m)))
        .cloned()
        .collect();
    (markets.into_iter().cloned().collect(), campaigns)
}

/// The story form: the markets the caller may write for, the campaigns running in them, the
/// principles to cite, and the fields to start from.
pub struct StoryForm {
    /// The story being edited; `None` for a new one.
    pub story: Option<Story>,
    pub markets: Vec<Market>,
    pub campaigns: Vec<Campaign>,
    pub fields: RawStory,
    pub lookup: Lookup,
}

async fn form(app: &App, caller: &Caller, story: Option<Story>) -> Result<StoryForm> {
    let lookup = Lookup::load(app, caller).await?;
    let (markets, campaigns) = with_campaigns(&lookup, lookup.draft_markets(&caller.actor));
    let fields = match &story {
        Some(s) => RawStory {
            market: lookup.market_code(s.market_id),
            title: s.title.clone(),
            brief: s.brief.clone(),
            campaign: s.campaign_id.map(|c| c.to_string()).unwrap_or_default(),
            principles: s.principles.iter().map(|p| format!("id:{p}")).collect(),
        },
        None => RawStory::default(),
    };
    Ok(StoryForm {
        story,
        markets,
        campaigns,
        fields,
        lookup,
    })
}

/// The form for a new story, in `market` (a code) if the caller may write there, otherwise in
/// the first market they may.
pub async fn new_form(app: &App, caller: &Caller, market: &str) -> Result<StoryForm> {
    let mut f = form(app, caller, None).await?;
    let Some(first) = f.markets.first() else {
        return Err(Error::forbidden(
            "you may not write stories in any market; ask a market lead for the contributor role",
        ));
    };
    f.fields.market = f
        .markets
        .iter()
        .find(|m| m.code.as_str() == market.trim())
        .unwrap_or(first)
        .code
        .to_string();
    Ok(f)
}

/// The form to change a story's fields, while the caller may and the story has not gone out.
pub async fn edit_form(app: &App, caller: &Caller, story: i64) -> Result<StoryForm> {
    let story = editable_story(app, caller, story).await?;
    check_open_for_variants(&story)?;
    form(app, caller, Some(story)).await
}

/// Which tabs of the Stories section the caller sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sections {
    /// The playbook's rules for posts (those who edit them).
    pub rules: bool,
    /// Network accounts (those who connect them somewhere: admins, market leads).
    pub accounts: bool,
}

/// The tabs of the Stories section `actor` sees.
pub fn sections(actor: &Actor) -> Sections {
    Sections {
        rules: allows(actor, Action::EditPostRules, Scope::Global),
        accounts: actor.is_admin() || actor.holds_anywhere(Role::MarketLead),
    }
}

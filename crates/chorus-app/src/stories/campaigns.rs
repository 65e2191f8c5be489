//! Campaigns: what a campaign wants to move (objectives with a metric, a target and a period),
//! the markets it runs in, its dates and the principles it serves.
//!
//! Who (core's rules, `chorus_core::permission`): a campaign is seen by whoever reads the
//! stories of one of its markets, and by those who manage campaigns everywhere
//! ([`may_see_campaign`]); for anyone else it does not exist (`NotFound`). It is changed by
//! those who may manage campaigns in *every* market it runs in, before the change and after it
//! ([`may_manage_campaign`]): a Finnish market lead sees a campaign that runs in Finland and
//! Brazil, and may not change it (`Forbidden`). Refusals are decided before the input is
//! validated, so the answer does not depend on how well a forbidden request was written.
//!
//! States: planning → active → ended (or back to planning), ended → active again
//! ([`CampaignState::next`]); any other move is a `Conflict` on `state` and changes nothing. A
//! campaign goes live only with an objective that has a target (principle 5, "define clear
//! objectives from the outset"), checked on activation and whenever a live campaign's
//! objectives change; the refusal is `Invalid` on `objectives` and says why.

use chorus_core::Action;
use chorus_core::MarketId;
use chorus_core::org::Market;
use chorus_core::permission::{markets_where, may_manage_campaign, may_see_campaign};
use chorus_core::playbook::Principle;
use chorus_core::stories::{CampaignInput, check_activation};
use chorus_core::validate::quoted;

pub use chorus_core::stories::{CampaignState, Objective};

use super::{Campaign, Lookup, Story};
use crate::{App, Caller, Error, Result};

/// A campaign's fields as typed (a form, a JSON body).
#[derive(Debug, Default, Clone)]
pub struct RawCampaign {
    pub name: String,
    /// (metric, target, period) rows; rows left empty are ignored.
    pub objectives: Vec<(String, String, String)>,
    /// Market codes.
    pub markets: Vec<String>,
    /// Principle numbers or slugs.
    pub principles: Vec<String>,
    /// `YYYY-MM-DD`.
    pub starts_on: String,
    pub ends_on: String,
}

/// Parses a campaign's fields; errors name the field (`objectives[2]` for the third row).
pub fn parse_campaign(raw: &RawCampaign, lookup: &Lookup) -> Result<CampaignInput> {
    let mut objectives = Vec::new();
    for (i, (metric, target, period)) in raw.objectives.iter().enumerate() {
        if metric.trim().is_empty() && target.trim().is_empty() && period.trim().is_empty() {
            continue;
        }
        objectives.push(
            Objective::parse(metric, target, period)
                .map_err(|e| Error::invalid(format!("objectives[{i}]"), e.message))?,
        );
    }
    let mut markets = Vec::new();
    for code in raw.markets.iter().filter(|c| !c.trim().is_empty()) {
        let m = lookup
            .market_by_code(code)
            .ok_or_else(|| Error::invalid("markets", format!("no market {}", quoted(code))))?;
        if !markets.contains(&m.id) {
            markets.push(m.id);
        }
    }
    let mut principles = Vec::new();
    for p in raw.principles.iter().filter(|p| !p.trim().is_empty()) {
        let found = lookup
            .find_principle(p)
            .ok_or_else(|| Error::invalid("principles", format!("no principle {}", quoted(p))))?;
        if !principles.contains(&found.id) {
            principles.push(found.id);
        }
    }
    Ok(CampaignInput::parse(
        &raw.name,
        objectives,
        markets,
        principles,
        &raw.starts_on,
        &raw.ends_on,
    )?)
}

/// The campaigns the caller may see, with the names they refer to.
pub struct CampaignList {
    pub campaigns: Vec<CampaignView>,
    /// Market codes and principles, by id.
    pub lookup: Lookup,
    /// Whether the caller may start a campaign (they manage campaigns in some market).
    pub can_create: bool,
}

/// Every campaign the caller may see, newest period first.
pub async fn campaigns(app: &App, caller: &Caller) -> Result<CampaignList> {
    let lookup = Lookup::load(app, caller).await?;
    Ok(CampaignList {
        campaigns: lookup
            .campaigns
            .iter()
            .map(|c| view(caller, c.clone()))
            .collect(),
        can_create: !managed_markets(caller, &lookup).is_empty(),
        lookup,
    })
}

/// A campaign as its page and the API show it, with what the caller may do to it.
pub struct CampaignView {
    pub campaign: Campaign,
    pub can_manage: bool,
    /// The states the caller may move it to (none unless they manage it).
    pub next_states: Vec<CampaignState>,
}

/// One campaign, if the caller may see it.
pub async fn campaign(app: &App, caller: &Caller, id: i64) -> Result<CampaignView> {
    Ok(view(caller, visible(app, caller, id).await?))
}

fn view(caller: &Caller, campaign: Campaign) -> CampaignView {
    let can_manage = may_manage_campaign(&caller.actor, &campaign.markets);
    CampaignView {
        next_states: if can_manage {
            campaign.state.next().to_vec()
        } else {
            Vec::new()
        },
        can_manage,
        campaign,
    }
}

/// The stories of a campaign that the caller may read (a campaign that also runs elsewhere
/// shows only the stories of the caller's markets), most recently changed first.
pub async fn campaign_stories(
    app: &App,
    caller: &Caller,
    campaign: &Campaign,
) -> Result<Vec<Story>> {
    let markets = app.store.markets().await?;
    let readable: Option<Vec<MarketId>> = markets_where(
        &caller.actor,
        Action::ReadStories,
        markets.iter().map(|m| m.id),
    );
    let mut stories = app.store.stories(readable.as_deref(), None, 1000).await?;
    stories.retain(|s| s.campaign_id == Some(campaign.id));
    Ok(stories)
}

/// What the campaign form offers the caller: the markets where they run campaigns, and the
/// principles.
pub struct CampaignChoices {
    pub markets: Vec<Market>,
    pub principles: Vec<Principle>,
}

/// The choices of the campaign form, for those who may run a campaign somewhere.
pub async fn campaign_choices(app: &App, caller: &Caller) -> Result<CampaignChoices> {
    let lookup = Lookup::load(app, caller).await?;
    let markets: Vec<Market> = managed_markets(caller, &lookup)
        .into_iter()
        .cloned()
        .collect();
    if markets.is_empty() {
        return Err(may_not_run_campaigns());
    }
    Ok(CampaignChoices {
        markets,
        principles: lookup.principles,
    })
}

/// A campaign the caller may change (for its edit form).
pub async fn editable_campaign(app: &App, caller: &Caller, id: i64) -> Result<Campaign> {
    let campaign = visible(app, caller, id).await?;
    check_manages(caller, &campaign)?;
    Ok(campaign)
}

/// Creates a campaign, in planning (leads of every chosen market, global leads, admins).
pub async fn create_campaign(
    app: &App,
    caller: &Caller,
    raw: &RawCampaign,
) -> Result<CampaignView> {
    let lookup = Lookup::load(app, caller).await?;
    if managed_markets(caller, &lookup).is_empty() {
        return Err(may_not_run_campaigns());
    }
    let input = parse_campaign(raw, &lookup)?;
    check_may_run_in(caller, &input)?;
    let created = app.store.create_campaign(&caller.author(), &input).await?;
    Ok(view(caller, created))
}

/// Replaces a campaign's fields. The caller must manage campaigns in every market it runs in
/// now and in every market it will run in; a live campaign keeps an objective with a target.
pub async fn update_campaign(
    app: &App,
    caller: &Caller,
    id: i64,
    raw: &RawCampaign,
) -> Result<CampaignView> {
    let campaign = editable_campaign(app, caller, id).await?;
    let lookup = Lookup::load(app, caller).await?;
    let input = parse_campaign(raw, &lookup)?;
    check_may_run_in(caller, &input)?;
    if campaign.state == CampaignState::Active {
        check_activation(&input.objectives).map_err(|e| Error::invalid("objectives", e.message))?;
    }
    let updated = app
        .store
        .update_campaign(&caller.author(), campaign.id, &input)
        .await?;
    Ok(view(caller, updated))
}

/// Moves a campaign to `state` (`planning`, `active` or `ended`) along [`CampaignState::next`];
/// activation needs an objective with a target (principle 5).
pub async fn set_campaign_state(
    app: &App,
    caller: &Caller,
    id: i64,
    state: &str,
) -> Result<CampaignView> {
    let campaign = editable_campaign(app, caller, id).await?;
    let to = CampaignState::parse(state).map_err(|e| e.at("state"))?;
    if !campaign.state.next().contains(&to) {
        let allowed: Vec<&str> = campaign.state.next().iter().map(|s| s.as_str()).collect();
        return Err(Error::conflict(
            "state",
            format!(
                "the campaign is {}; from there it can only become {}",
                campaign.state.as_str(),
                allowed.join(" or ")
            ),
        ));
    }
    if to == CampaignState::Active {
        check_activation(&campaign.objectives)
            .map_err(|e| Error::invalid("objectives", e.message))?;
    }
    let moved = app
        .store
        .set_campaign_state(&caller.author(), campaign.id, to)
        .await?;
    Ok(view(caller, moved))
}

/// The campaign, if the caller may see it; otherwise it does not exist for them.
async fn visible(app: &App, caller: &Caller, id: i64) -> Result<Campaign> {
    let c = app.store.campaign(id).await?;
    if may_see_campaign(&caller.actor, &c.markets) {
        Ok(c)
    } else {
        Err(Error::NotFound("campaign"))
    }
}

/// The markets where the caller may run campaigns.
fn managed_markets<'a>(caller: &Caller, lookup: &'a Lookup) -> Vec<&'a Market> {
    lookup
        .markets
        .iter()
        .filter(|m| may_manage_campaign(&caller.actor, &[m.id]))
        .collect()
}

fn check_manages(caller: &Caller, campaign: &Campaign) -> Result<()> {
    if may_manage_campaign(&caller.actor, &campaign.markets) {
        Ok(())
    } else {
        Err(Error::forbidden(
            "you may not manage campaigns in every market of this one: its markets' leads, \
             global leads and admins may",
        ))
    }
}

fn check_may_run_in(caller: &Caller, input: &CampaignInput) -> Result<()> {
    if may_manage_campaign(&caller.actor, &input.markets) {
        Ok(())
    } else {
        Err(Error::forbidden(
            "you may not run campaigns in every market you chose",
        ))
    }
}

fn may_not_run_campaigns() -> Error {
    Error::forbidden("only market leads (in their markets), global leads and admins run campaigns")
}

//! The organization: markets and teams.
//!
//! Markets and teams name no people, so every signed-in person may list them (forms everywhere
//! offer them). Changing them is for admins (markets) and each market's leads (its settings and
//! teams); only admins change a market's code, which reports and other markets refer to.

use chorus_core::org::{Market, MarketCode, MarketInput, Team, team_name};
use chorus_core::permission::{allows, authorize};
use chorus_core::{Action, Scope, TeamId};

use crate::{App, Caller, Error, Result};

/// A market's fields as typed (a form, a JSON body, flags).
#[derive(Debug, Clone, Default)]
pub struct MarketFields {
    pub code: String,
    pub name: String,
    pub country: String,
    pub locales: Vec<String>,
    pub timezone: String,
}

impl MarketFields {
    fn parse(&self) -> Result<MarketInput> {
        Ok(MarketInput::parse(
            &self.code,
            &self.name,
            &self.country,
            &self.locales,
            &self.timezone,
        )?)
    }
}

/// Every market.
pub async fn markets(app: &App, _caller: &Caller) -> Result<Vec<Market>> {
    Ok(app.store.markets().await?)
}

/// One market by its code (a code that does not parse is simply not found).
pub async fn market(app: &App, _caller: &Caller, code: &str) -> Result<Market> {
    let code = MarketCode::parse(code).map_err(|_| Error::NotFound("market"))?;
    Ok(app.store.market_by_code(&code).await?)
}

/// A market on the admin pages, with how many teams it has.
#[derive(Debug, Clone)]
pub struct MarketSummary {
    pub market: Market,
    pub teams: usize,
}

/// The markets the caller administers something in: all for admins, otherwise those whose
/// members they may see (market leads: their markets).
pub async fn administered_markets(app: &App, caller: &Caller) -> Result<Vec<MarketSummary>> {
    authorize(&caller.actor, Action::ViewAdmin, Scope::Global)?;
    let markets = app.store.markets().await?;
    let teams = app.store.teams(None).await?;
    Ok(markets
        .into_iter()
        .filter(|m| allows(&caller.actor, Action::ReadMembers, Scope::Market(m.id)))
        .map(|m| MarketSummary {
            teams: teams.iter().filter(|t| t.market_id == m.id).count(),
            market: m,
        })
        .collect())
}

/// A market as its admin page shows it, with what the caller may change there.
#[derive(Debug, Clone)]
pub struct MarketAdmin {
    pub market: Market,
    pub teams: Vec<Team>,
    pub can_edit: bool,
    pub can_manage_teams: bool,
}

/// A market's admin view: for those who may see its members (others: not found).
pub async fn market_admin(app: &App, caller: &Caller, code: &str) -> Result<MarketAdmin> {
    let market = market(app, caller, code).await?;
    let scope = Scope::Market(market.id);
    if !allows(&caller.actor, Action::ReadMembers, scope) {
        return Err(Error::NotFound("market"));
    }
    Ok(MarketAdmin {
        teams: app.store.teams(Some(market.id)).await?,
        can_edit: allows(&caller.actor, Action::EditMarket, scope),
        can_manage_teams: allows(&caller.actor, Action::ManageTeams, scope),
        market,
    })
}

/// Creates a market (admins).
pub async fn create_market(app: &App, caller: &Caller, fields: &MarketFields) -> Result<Market> {
    authorize(&caller.actor, Action::ManageMarkets, Scope::Global)?;
    let input = fields.parse()?;
    Ok(app.store.create_market(&caller.author(), &input).await?)
}

/// Changes a market's settings (admins, its leads). Only those who manage markets change its
/// code: other markets' reports refer to it.
pub async fn update_market(
    app: &App,
    caller: &Caller,
    code: &str,
    fields: &MarketFields,
) -> Result<Market> {
    let market = market(app, caller, code).await?;
    authorize(&caller.actor, Action::EditMarket, Scope::Market(market.id))?;
    let input = fields.parse()?;
    if input.code != market.code && !allows(&caller.actor, Action::ManageMarkets, Scope::Global) {
        return Err(Error::forbidden("only admins change a market's code"));
    }
    Ok(app
        .store
        .update_market(&caller.author(), market.id, &input)
        .await?)
}

/// A market's teams.
pub async fn teams(app: &App, caller: &Caller, code: &str) -> Result<Vec<Team>> {
    let market = market(app, caller, code).await?;
    Ok(app.store.teams(Some(market.id)).await?)
}

/// Every team of every market.
pub async fn all_teams(app: &App, _caller: &Caller) -> Result<Vec<Team>> {
    Ok(app.store.teams(None).await?)
}

/// Creates a team in a market (admins, the market's leads).
pub async fn create_team(app: &App, caller: &Caller, code: &str, name: &str) -> Result<Team> {
    let market = market(app, caller, code).await?;
    authorize(&caller.actor, Action::ManageTeams, Scope::Market(market.id))?;
    let name = team_name(name).map_err(|e| e.at("name"))?;
    Ok(app
        .store
        .create_team(&caller.author(), market.id, &name)
        .await?)
}

/// Deletes a team (admins, its market's leads); answers the market it was in.
pub async fn delete_team(app: &App, caller: &Caller, team: TeamId) -> Result<Market> {
    let team = app.store.team(team).await?;
    authorize(
        &caller.actor,
        Action::ManageTeams,
        Scope::Market(team.market_id),
    )?;
    app.store.delete_team(&caller.author(), team.id).await?;
    Ok(app.store.market(team.market_id).await?)
}

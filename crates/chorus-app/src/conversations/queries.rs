//! Listening queries: the live syntax check, the one validation every door uses (pages, API,
//! `chorus listening import`), and listing, reading, creating, changing and deleting queries.
//!
//! A market's queries are read by whoever reads its conversations and changed by its leads
//! (`ManageListeningQueries`); a query of a market the caller does not read is not found.

use chorus_core::conversations::{
    ListeningQuery, NetworkName, QueryId, QueryInput, RawQuery, effective_query,
};
use chorus_core::org::{Market, MarketCode, Team};
use chorus_core::permission::allows;
use chorus_core::validate::quoted;
use chorus_core::{Action, MarketId, Scope, TeamId};
use chorus_store::StoreError;

use super::language::{BadLangField, check_lang_fields, language};
use super::{Visible, markets_allowing, visible};
use crate::{App, Caller, Error, Result};

/// The answer of the live syntax check.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub valid: bool,
    /// The canonical form of a valid query.
    pub canonical: Option<String>,
    /// How a valid query is understood, one node per line (`chorus query check` prints it).
    pub tree: Option<String>,
    pub error: Option<CheckError>,
}

/// Why a draft does not parse.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckError {
    pub message: String,
    /// Byte range of the problem in the query.
    pub start: usize,
    pub end: usize,
    pub hint: String,
    /// The query line with carets under the problem.
    pub rendered: String,
}

impl Check {
    fn invalid(error: CheckError) -> Check {
        Check {
            valid: false,
            canonical: None,
            tree: None,
            error: Some(error),
        }
    }
}

/// Parses `query` with the query engine, then with the language and network narrowing (which
/// can only fail if those values are bad).
pub fn check(query: &str, languages: &[String], networks: &[NetworkName]) -> Check {
    if query.trim().is_empty() {
        return Check::invalid(CheckError {
            message: "the query is empty".into(),
            start: 0,
            end: 0,
            hint: "write a word, a \"phrase\" or a field such as lang:en".into(),
            rendered: String::new(),
        });
    }
    match chorus_query::parse(query) {
        Err(e) => Check::invalid(CheckError {
            message: e.kind.to_string(),
            start: e.span.start,
            end: e.span.end,
            hint: e.hint().to_owned(),
            rendered: e.render(query),
        }),
        Ok(node) => {
            if let Some(bad) = check_lang_fields(&node) {
                return lang_field_error(query, bad);
            }
            match chorus_query::parse(&effective_query(query, languages, networks)) {
                Ok(_) => Check {
                    valid: true,
                    canonical: Some(node.to_string()),
                    tree: Some(node.tree()),
                    error: None,
                },
                Err(e) => Check::invalid(CheckError {
                    message: format!("languages or networks: {}", e.kind),
                    start: 0,
                    end: 0,
                    hint: "use language codes such as fi and network names such as bluesky".into(),
                    rendered: String::new(),
                }),
            }
        }
    }
}

/// A `lang:` that is not a language code, with a caret under it.
fn lang_field_error(query: &str, bad: BadLangField) -> Check {
    // ASCII lowercasing keeps byte offsets; the engine lowercased the value the same way.
    let start = query
        .to_ascii_lowercase()
        .find(&format!("lang:{}", bad.value))
        .unwrap_or(0);
    let end = (start + "lang:".len() + bad.value.len()).min(query.len());
    let col = query.get(..start).map_or(0, |s| s.chars().count());
    let width = query.get(start..end).map_or(1, |s| s.chars().count());
    Check::invalid(CheckError {
        message: bad.message,
        start,
        end,
        hint: bad.hint,
        rendered: format!("{query}\n{}{}", " ".repeat(col), "^".repeat(width)),
    })
}

/// A draft query as typed, for the live check and the preview.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub query: String,
    pub languages: Vec<String>,
    pub networks: Vec<String>,
}

impl Draft {
    /// The narrowing lists, validated (empty entries ignored); errors name the field.
    pub(crate) fn narrowing(&self) -> Result<(Vec<String>, Vec<NetworkName>)> {
        let languages = self
            .languages
            .iter()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                language(l)
                    .map(str::to_owned)
                    .map_err(|e| e.at("languages"))
            })
            .collect::<Result<_, _>>()?;
        let networks = self
            .networks
            .iter()
            .filter(|n| !n.trim().is_empty())
            .map(|n| NetworkName::parse(n).map_err(|e| e.at("networks")))
            .collect::<Result<_, _>>()?;
        Ok((languages, networks))
    }
}

/// The live check of a draft: bad languages or networks are `Invalid` naming the field; a
/// query that does not parse is a [`Check`] with the error and a caret under it.
pub fn check_draft(draft: &Draft) -> Result<Check> {
    let (languages, networks) = draft.narrowing()?;
    Ok(check(&draft.query, &languages, &networks))
}

/// The one validation of a listening query, whatever door it came through: every field
/// ([`QueryInput::parse`]) and the query's syntax with its narrowing ([`check`]).
pub fn validate(market: MarketId, team: Option<TeamId>, raw: &RawQuery) -> Result<QueryInput> {
    // Languages by name or code become codes before the core's checks.
    let languages = raw
        .languages
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            language(l)
                .map(str::to_owned)
                .map_err(|e| e.at("languages"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let raw = &RawQuery {
        languages,
        ..raw.clone()
    };
    let input = QueryInput::parse(market, team, raw)?;
    if let Some(e) = check(&input.query, &input.languages, &input.networks).error {
        return Err(Error::invalid("query", in_words(&input.query, &e)));
    }
    Ok(input)
}

/// A parse error as a person reads it: where, by the text at the problem and its character
/// position (not a byte offset), and what to do.
fn in_words(query: &str, e: &CheckError) -> String {
    let start = query.get(..e.start).map_or(0, |s| s.chars().count());
    let near: String = query
        .get(e.start..)
        .unwrap_or("")
        .chars()
        .take(20)
        .collect();
    let place = if near.trim().is_empty() {
        "at the end of the query".to_owned()
    } else {
        format!("at {} (character {})", quoted(near.trim_end()), start + 1)
    };
    format!("{} {place}; {}", e.message, e.hint)
}

/// A query's fields as typed (a form, a JSON body). `team` is a team id or empty;
/// `spike_factor` a number or empty (the default).
#[derive(Debug, Clone, Default)]
pub struct QueryFields {
    /// Market code.
    pub market: String,
    pub team: String,
    pub name: String,
    pub query: String,
    pub languages: Vec<String>,
    pub networks: Vec<String>,
    pub side: String,
    pub spike_factor: String,
    /// `None`: active.
    pub active: Option<bool>,
}

impl QueryFields {
    fn raw(&self) -> Result<RawQuery> {
        let spike_factor = match self.spike_factor.trim() {
            "" => None,
            s => Some(s.parse::<f64>().map_err(|_| {
                Error::invalid(
                    "spike_factor",
                    format!("{} is not a number, e.g. 3", quoted(s)),
                )
            })?),
        };
        Ok(RawQuery {
            name: self.name.clone(),
            query: self.query.clone(),
            languages: self.languages.clone(),
            networks: self.networks.clone(),
            side: Some(self.side.clone()),
            spike_factor,
            active: self.active,
        })
    }
}

/// The code of market `id` among `markets` (its id when unknown).
pub(crate) fn code_of(markets: &[Market], id: MarketId) -> String {
    markets
        .iter()
        .find(|m| m.id == id)
        .map(|m| m.code.to_string())
        .unwrap_or_else(|| id.to_string())
}

fn may_manage(caller: &Caller, market: MarketId) -> bool {
    allows(
        &caller.actor,
        Action::ManageListeningQueries,
        Scope::Market(market),
    )
}

fn manage_refused() -> Error {
    Error::forbidden("only the market's leads (and admins) change its listening queries")
}

/// The market a query is saved in (the caller must manage its queries) and the team, one of
/// that market's.
async fn target(
    app: &App,
    caller: &Caller,
    fields: &QueryFields,
) -> Result<(Market, Option<TeamId>)> {
    let code = fields.market.trim();
    if code.is_empty() {
        return Err(Error::invalid("market", "choose a market"));
    }
    let code = MarketCode::parse(code).map_err(|e| e.at("market"))?;
    let market = match app.store.market_by_code(&code).await {
        Ok(m) => m,
        Err(StoreError::NotFound { .. }) => {
            return Err(Error::invalid("market", format!("no market {code}")));
        }
        Err(e) => return Err(e.into()),
    };
    if !may_manage(caller, market.id) {
        return Err(manage_refused());
    }
    let team = match fields.team.trim() {
        "" => None,
        t => {
            let wrong = || Error::invalid("team", "choose a team of the query's market");
            let id = TeamId(t.parse().map_err(|_| wrong())?);
            match app.store.team(id).await {
                Ok(team) if team.market_id == market.id => Some(team.id),
                Ok(_) | Err(StoreError::NotFound { .. }) => return Err(wrong()),
                Err(e) => return Err(e.into()),
            }
        }
    };
    Ok((market, team))
}

/// One listed query with what the list shows beside it.
#[derive(Debug, Clone)]
pub struct QueryRow {
    pub query: ListeningQuery,
    /// Its market's code.
    pub market: String,
    /// Its team's name, or empty.
    pub team: String,
    pub can_edit: bool,
}

/// A page of the listening queries list.
#[derive(Debug, Clone)]
pub struct QueryPage {
    /// The markets the caller reads (the market menu).
    pub visible: Visible,
    /// The market chosen in the menu, if one of the caller's.
    pub selected: Option<Market>,
    pub rows: Vec<QueryRow>,
    /// Queries that fit the market and the name search.
    pub total: i64,
    pub can_create: bool,
}

/// Queries of the markets the caller reads (or of one of them), whose name contains `name`,
/// `limit` from `offset`, by market and name.
pub async fn page(
    app: &App,
    caller: &Caller,
    market: Option<&str>,
    name: Option<&str>,
    offset: i64,
    limit: i64,
) -> Result<QueryPage> {
    let visible = visible(app, caller).await?;
    let selected = market.and_then(|c| visible.find(c)).cloned();
    let markets = match &selected {
        Some(m) => vec![m.id],
        None => visible.market_ids(),
    };
    let name = name.map(str::trim).filter(|n| !n.is_empty());
    let (queries, total) = app
        .store
        .listening_queries_page(Some(&markets), name, offset.max(0), limit)
        .await?;
    let teams = app.store.teams(None).await?;
    let rows = queries
        .into_iter()
        .map(|q| QueryRow {
            market: code_of(&visible.all, q.market_id),
            team: q
                .team_id
                .and_then(|t| teams.iter().find(|x| x.id == t))
                .map(|t| t.name.clone())
                .unwrap_or_default(),
            can_edit: may_manage(caller, q.market_id),
            query: q,
        })
        .collect();
    let can_create =
        !markets_allowing(caller, Action::ManageListeningQueries, &visible.all).is_empty();
    Ok(QueryPage {
        visible,
        selected,
        rows,
        total,
        can_create,
    })
}

/// Every query the caller reads, optionally of one market (by code), with every market (to
/// name them).
pub async fn all(
    app: &App,
    caller: &Caller,
    market: Option<&str>,
) -> Result<(Vec<ListeningQuery>, Vec<Market>)> {
    let visible = visible(app, caller).await?;
    let only = match market {
        None => None,
        Some(c) => Some(
            visible
                .all
                .iter()
                .find(|m| m.code.as_str().eq_ignore_ascii_case(c.trim()))
                .ok_or(Error::NotFound("market"))?
                .id,
        ),
    };
    let queries = app
        .store
        .listening_queries(only)
        .await?
        .into_iter()
        .filter(|q| visible.reads(q.market_id))
        .collect();
    Ok((queries, visible.all))
}

/// One query, with its market and whether the caller may change it.
#[derive(Debug, Clone)]
pub struct QueryView {
    pub query: ListeningQuery,
    pub market: Market,
    /// Its owner team, if it has one.
    pub team: Option<Team>,
    pub can_edit: bool,
    /// Who may change it (display names; admins only when nobody else may), for those who
    /// may not: whom to ask.
    pub managers: Vec<String>,
}

/// A query the caller reads (otherwise not found).
pub async fn get(app: &App, caller: &Caller, id: i64) -> Result<QueryView> {
    let query = app.store.listening_query(QueryId(id)).await?;
    if !allows(
        &caller.actor,
        Action::ReadConversations,
        Scope::Market(query.market_id),
    ) {
        return Err(Error::NotFound("listening query"));
    }
    let market = query.market_id;
    let team = match query.team_id {
        Some(t) => app
            .store
            .teams(Some(market))
            .await?
            .into_iter()
            .find(|x| x.id == t),
        None => None,
    };
    let can_edit = may_manage(caller, market);
    let managers = if can_edit {
        Vec::new()
    } else {
        crate::stories::next::names_of(app, &caller.actor, |a| {
            allows(a, Action::ManageListeningQueries, Scope::Market(market))
        })
        .await?
        .names
    };
    Ok(QueryView {
        market: app.store.market(market).await?,
        team,
        can_edit,
        managers,
        query,
    })
}

/// What the query form offers: the markets where the caller manages queries, and their teams
/// with their market's code.
#[derive(Debug, Clone)]
pub struct QueryForm {
    pub markets: Vec<Market>,
    pub teams: Vec<(Team, String)>,
}

/// The form's choices (empty for someone who only reads queries).
pub async fn form(app: &App, caller: &Caller) -> Result<QueryForm> {
    let all = app.store.markets().await?;
    let markets = markets_allowing(caller, Action::ManageListeningQueries, &all);
    let teams = app
        .store
        .teams(None)
        .await?
        .into_iter()
        .filter(|t| markets.iter().any(|m| m.id == t.market_id))
        .map(|t| {
            let code = code_of(&all, t.market_id);
            (t, code)
        })
        .collect();
    Ok(QueryForm { markets, teams })
}

/// The form for a new query, for those who manage queries somewhere.
pub async fn new_form(app: &App, caller: &Caller) -> Result<QueryForm> {
    let form = form(app, caller).await?;
    if form.markets.is_empty() {
        return Err(Error::forbidden(
            "you may not create listening queries: each market's leads (and admins) do",
        ));
    }
    Ok(form)
}

/// Creates a query in a market whose queries the caller manages.
pub async fn create(app: &App, caller: &Caller, fields: &QueryFields) -> Result<ListeningQuery> {
    let (market, team) = target(app, caller, fields).await?;
    let input = validate(market.id, team, &fields.raw()?)?;
    Ok(app
        .store
        .create_listening_query(&caller.author(), &input)
        .await?)
}

/// Replaces a query's fields; moving it to another market needs the right to manage both.
pub async fn update(
    app: &App,
    caller: &Caller,
    id: i64,
    fields: &QueryFields,
) -> Result<ListeningQuery> {
    let before = get(app, caller, id).await?;
    if !before.can_edit {
        return Err(manage_refused());
    }
    let (market, team) = target(app, caller, fields).await?;
    let input = validate(market.id, team, &fields.raw()?)?;
    Ok(app
        .store
        .update_listening_query(&caller.author(), before.query.id, &input)
        .await?)
}

/// Deletes a query (its matches and volumes go with it).
pub async fn delete(app: &App, caller: &Caller, id: i64) -> Result<()> {
    let q = get(app, caller, id).await?;
    if !q.can_edit {
        return Err(manage_refused());
    }
    Ok(app
        .store
        .delete_listening_query(&caller.author(), q.query.id)
        .await?)
}

/// Why an import added nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The query at `index` (0-based, in the order given) is not valid.
    #[error("query {index}: {error}")]
    Query { index: usize, error: Error },
    #[error(transparent)]
    Other(#[from] Error),
}

/// Adds many queries to one market (and optionally one of its teams, by name): every query is
/// validated first, and one bad query adds none. Returns how many were added.
pub async fn import(
    app: &App,
    caller: &Caller,
    market: &str,
    team: Option<&str>,
    raws: &[RawQuery],
) -> Result<usize, ImportError> {
    let fields = QueryFields {
        market: market.to_owned(),
        ..QueryFields::default()
    };
    let (market, _) = target(app, caller, &fields).await?;
    let team = match team {
        None => None,
        Some(name) => Some(
            app.store
                .teams(Some(market.id))
                .await
                .map_err(Error::from)?
                .into_iter()
                .find(|t| t.name.eq_ignore_ascii_case(name.trim()))
                .ok_or_else(|| {
                    Error::invalid(
                        "team",
                        format!("no team {} in {}", quoted(name), market.code),
                    )
                })?
                .id,
        ),
    };
    let inputs = raws
        .iter()
        .enumerate()
        .map(|(index, raw)| {
            validate(market.id, team, raw).map_err(|error| ImportError::Query { index, error })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(app
        .store
        .create_listening_queries(&caller.author(), &inputs)
        .await
        .map_err(Error::from)?)
}

#[cfg(test)]
mod tests;

//! Listening queries: list per market, create and edit with the live syntax check (htmx posts
//! the draft to `/conversations/queries/check` as you type) and the 7-day preview.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chorus_core::conversations::{ListeningQuery, QueryId, QueryInput, RawQuery, Side};
use chorus_core::org::{Market, Team};
use chorus_core::permission::authorize;
use chorus_core::{Action, Scope, TeamId};
use serde::Deserialize;

use super::{Tabs, market_code, markets_allowing, readable_markets, sentiment_badge};
use crate::auth::{Identity, PageUser};
use crate::conv::{Check, check, preview};
use crate::error::{AppError, PageError};
use crate::state::AppState;
use crate::ui::{Flash, FormData, Shell, done_flash, format_time, render, render_with_status};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/conversations/queries", get(list).post(create))
        .route("/conversations/queries/new", get(new))
        .route("/conversations/queries/check", post(check_fragment))
        .route("/conversations/queries/preview", post(preview_fragment))
        .route("/conversations/queries/{id}", get(edit).post(update))
        .route("/conversations/queries/{id}/delete", post(delete))
}

struct Row {
    q: ListeningQuery,
    market: String,
    team: String,
    can_edit: bool,
}

#[derive(Template)]
#[template(path = "conversations/queries.html")]
struct ListPage {
    shell: Shell,
    tabs: Tabs,
    rows: Vec<Row>,
    markets: Vec<Market>,
    market: String,
    /// The name search, as typed.
    name: String,
    can_create: bool,
    /// Queries that fit the market and the search, and the 1-based positions of the first and
    /// last listed.
    total: i64,
    first: i64,
    last: i64,
    /// Query strings of the pages before and after, when there are such pages.
    previous: Option<String>,
    next: Option<String>,
}

#[derive(Deserialize, Default)]
struct ListParams {
    market: Option<String>,
    /// Text the query's name contains (any case).
    name: Option<String>,
    /// 1-based page of [`PAGE_SIZE`] queries.
    page: Option<i64>,
    done: Option<String>,
}

/// Queries per page of the list: a market may listen with thousands (10,000 made a 5 MB page).
const PAGE_SIZE: i64 = 100;

/// The list's query string for `page` (market and search kept).
fn page_link(market: &str, name: &str, page: i64) -> String {
    let mut pairs = vec![("page", page.to_string())];
    if !market.is_empty() {
        pairs.push(("market", market.to_owned()));
    }
    if !name.is_empty() {
        pairs.push(("name", name.to_owned()));
    }
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

fn team_name(teams: &[Team], id: Option<TeamId>) -> String {
    id.and_then(|t| teams.iter().find(|x| x.id == t))
        .map(|t| t.name.clone())
        .unwrap_or_default()
}

async fn list(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Query(p): Query<ListParams>,
) -> Result<Response, PageError> {
    let all = state.store.markets().await?;
    let visible = readable_markets(&id, &all)?;
    let selected = p.market.as_deref().and_then(|c| {
        visible
            .iter()
            .find(|m| m.code.as_str().eq_ignore_ascii_case(c))
    });
    let teams = state.store.teams(None).await?;
    let markets: Vec<_> = match selected {
        Some(m) => vec![m.id],
        None => visible.iter().map(|m| m.id).collect(),
    };
    let name = p.name.as_deref().map(str::trim).unwrap_or_default();
    let page = p.page.unwrap_or(1).clamp(1, 1_000_000);
    let offset = (page - 1) * PAGE_SIZE;
    let (queries, total) = state
        .store
        .listening_queries_page(
            Some(&markets),
            Some(name).filter(|n| !n.is_empty()),
            offset,
            PAGE_SIZE,
        )
        .await?;
    let first = offset + 1;
    let last = first + queries.len() as i64 - 1;
    let market = selected.map(|m| m.code.to_string()).unwrap_or_default();
    // Past the end (a stale link), "Previous" leads to the last page there is.
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let previous = (page > 1).then(|| page_link(&market, name, (page - 1).min(pages)));
    let next = (last < total).then(|| page_link(&market, name, page + 1));
    let rows = queries
        .into_iter()
        .map(|q| Row {
            market: market_code(&all, q.market_id),
            team: team_name(&teams, q.team_id),
            can_edit: authorize(
                &id.caller.actor,
                Action::ManageListeningQueries,
                Scope::Market(q.market_id),
            )
            .is_ok(),
            q,
        })
        .collect();
    let shell = Shell::new(&state, &id, "conversations", "Listening queries")
        .await?
        .with_flash(done_flash(p.done.as_deref()));
    Ok(render(&ListPage {
        shell,
        tabs: Tabs { active: "queries" },
        rows,
        can_create: !markets_allowing(&id, Action::ManageListeningQueries, &all).is_empty(),
        market,
        name: name.to_owned(),
        markets: visible,
        total,
        first,
        last,
        previous,
        next,
    }))
}

/// The form's values, as typed.
#[derive(Default)]
struct Values {
    market: String,
    team: String,
    name: String,
    query: String,
    languages: String,
    networks: String,
    side: String,
    spike_factor: String,
    active: bool,
}

fn split(s: &str) -> Vec<String> {
    s.split([',', ' '])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

impl Values {
    fn of(q: &ListeningQuery, markets: &[Market]) -> Values {
        Values {
            market: market_code(markets, q.market_id),
            team: q.team_id.map(|t| t.to_string()).unwrap_or_default(),
            name: q.name.clone(),
            query: q.query.clone(),
            languages: q.languages.join(", "),
            networks: q
                .networks
                .iter()
                .map(|n| n.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            side: q.side.as_str().to_owned(),
            spike_factor: q.spike_factor.to_string(),
            active: q.active,
        }
    }

    fn from_form(f: &FormData) -> Values {
        Values {
            market: f.get("market").to_owned(),
            team: f.get("team").to_owned(),
            name: f.get("name").to_owned(),
            query: f.get("query").to_owned(),
            languages: f.get("languages").to_owned(),
            networks: f.get("networks").to_owned(),
            side: f.get("side").to_owned(),
            spike_factor: f.get("spike_factor").to_owned(),
            active: !f.get("active").is_empty(),
        }
    }

    fn raw(&self) -> Result<RawQuery, AppError> {
        let spike_factor = match self.spike_factor.trim() {
            "" => None,
            s => Some(s.parse::<f64>().map_err(|_| {
                AppError::invalid("spike_factor", format!("{s:?} is not a number, e.g. 3"))
            })?),
        };
        Ok(RawQuery {
            name: self.name.clone(),
            query: self.query.clone(),
            languages: split(&self.languages),
            networks: split(&self.networks),
            side: Some(self.side.clone()),
            spike_factor,
            active: Some(self.active),
        })
    }

    /// Validates everything, the query's syntax included.
    fn parse(&self, markets: &[Market], teams: &[Team]) -> Result<QueryInput, AppError> {
        let market = markets
            .iter()
            .find(|m| m.code.as_str().eq_ignore_ascii_case(self.market.trim()))
            .ok_or_else(|| AppError::invalid("market", "choose a market"))?;
        let team = match self.team.trim() {
            "" => None,
            t => Some(
                t.parse::<i64>()
                    .ok()
                    .and_then(|t| {
                        teams
                            .iter()
                            .find(|x| x.id.0 == t && x.market_id == market.id)
                    })
                    .ok_or_else(|| {
                        AppError::invalid("team", "choose a team of the query's market")
                    })?
                    .id,
            ),
        };
        let input = QueryInput::parse(market.id, team, &self.raw()?)?;
        let c = check(&input.query, &input.languages, &input.networks);
        if let Some(e) = c.error {
            return Err(AppError::invalid("query", e.message));
        }
        Ok(input)
    }
}

#[derive(Template)]
#[template(path = "conversations/query_form.html")]
struct FormPage {
    shell: Shell,
    tabs: Tabs,
    /// `None` for a new query.
    query_id: Option<i64>,
    v: Values,
    markets: Vec<Market>,
    teams: Vec<(Team, String)>,
    sides: Vec<(&'static str, &'static str)>,
    can_edit: bool,
    check: Check,
    error_field: String,
    error_message: String,
}

struct FormCtx {
    markets: Vec<Market>,
    teams: Vec<(Team, String)>,
}

async fn form_ctx(state: &AppState, id: &Identity) -> Result<FormCtx, AppError> {
    let all = state.store.markets().await?;
    let markets = markets_allowing(id, Action::ManageListeningQueries, &all);
    let teams = state
        .store
        .teams(None)
        .await?
        .into_iter()
        .filter(|t| markets.iter().any(|m| m.id == t.market_id))
        .map(|t| {
            let code = market_code(&all, t.market_id);
            (t, code)
        })
        .collect();
    Ok(FormCtx { markets, teams })
}

#[allow(clippy::too_many_arguments)]
async fn form_page(
    state: &AppState,
    id: &Identity,
    status: StatusCode,
    query_id: Option<i64>,
    v: Values,
    can_edit: bool,
    flash: Option<Flash>,
    error: Option<(String, String)>,
) -> Result<Response, PageError> {
    let ctx = form_ctx(state, id).await?;
    let title = if query_id.is_some() {
        format!("Query: {}", v.name)
    } else {
        "New listening query".to_owned()
    };
    let raw = v.raw().unwrap_or_default();
    let langs: Vec<String> = raw
        .languages
        .iter()
        .filter_map(|l| chorus_core::conversations::language_code(l).ok())
        .collect();
    let nets: Vec<_> = raw
        .networks
        .iter()
        .filter_map(|n| chorus_core::conversations::NetworkName::parse(n).ok())
        .collect();
    let c = check(&v.query, &langs, &nets);
    let (error_field, error_message) = error.unwrap_or_default();
    let shell = Shell::new(state, id, "conversations", title)
        .await?
        .with_flash(flash);
    Ok(render_with_status(
        status,
        &FormPage {
            shell,
            tabs: Tabs { active: "queries" },
            query_id,
            v,
            markets: ctx.markets,
            teams: ctx.teams,
            sides: Side::ALL.iter().map(|s| (s.as_str(), s.label())).collect(),
            can_edit,
            check: c,
            error_field,
            error_message,
        },
    ))
}

async fn new(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Query(p): Query<ListParams>,
) -> Result<Response, PageError> {
    let all = state.store.markets().await?;
    if markets_allowing(&id, Action::ManageListeningQueries, &all).is_empty() {
        return Err(AppError::Forbidden("you may not create listening queries".into()).into());
    }
    let v = Values {
        market: p.market.unwrap_or_default(),
        side: "topic".into(),
        spike_factor: "3".into(),
        active: true,
        ..Values::default()
    };
    form_page(&state, &id, StatusCode::OK, None, v, true, None, None).await
}

fn field_error(e: AppError) -> Result<(String, String), AppError> {
    match e {
        AppError::Invalid {
            field: Some(f),
            message,
        }
        | AppError::Conflict { field: f, message } => Ok((f, message)),
        other => Err(other),
    }
}

async fn create(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    form: FormData,
) -> Result<Response, PageError> {
    let v = Values::from_form(&form);
    let result = async {
        let input = authorized_input(&state, &id, &v).await?;
        Ok::<_, AppError>(
            state
                .store
                .create_listening_query(&id.author(), &input)
                .await?,
        )
    }
    .await;
    match result {
        Ok(q) => Ok(
            Redirect::to(&format!("/conversations/queries/{}?done=created", q.id)).into_response(),
        ),
        Err(e) => {
            let err = field_error(e)?;
            form_page(
                &state,
                &id,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                v,
                true,
                Flash::error("The query was not saved: one field needs attention."),
                Some(err),
            )
            .await
        }
    }
}

/// The form's values as the input of a query the viewer may save in the market it names.
async fn authorized_input(
    state: &AppState,
    id: &Identity,
    v: &Values,
) -> Result<QueryInput, AppError> {
    let ctx = form_ctx(state, id).await?;
    let teams: Vec<Team> = ctx.teams.iter().map(|(t, _)| t.clone()).collect();
    let input = v.parse(&ctx.markets, &teams)?;
    authorize(
        &id.caller.actor,
        Action::ManageListeningQueries,
        Scope::Market(input.market_id),
    )?;
    Ok(input)
}

async fn load(state: &AppState, id: &Identity, qid: i64) -> Result<ListeningQuery, AppError> {
    let q = state.store.listening_query(QueryId(qid)).await?;
    authorize(
        &id.caller.actor,
        Action::ReadConversations,
        Scope::Market(q.market_id),
    )?;
    Ok(q)
}

async fn edit(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(qid): Path<i64>,
    Query(p): Query<ListParams>,
) -> Result<Response, PageError> {
    let q = load(&state, &id, qid).await?;
    let all = state.store.markets().await?;
    let can_edit = authorize(
        &id.caller.actor,
        Action::ManageListeningQueries,
        Scope::Market(q.market_id),
    )
    .is_ok();
    let v = Values::of(&q, &all);
    form_page(
        &state,
        &id,
        StatusCode::OK,
        Some(qid),
        v,
        can_edit,
        done_flash(p.done.as_deref()),
        None,
    )
    .await
}

async fn update(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(qid): Path<i64>,
    form: FormData,
) -> Result<Response, PageError> {
    let q = load(&state, &id, qid).await?;
    authorize(
        &id.caller.actor,
        Action::ManageListeningQueries,
        Scope::Market(q.market_id),
    )?;
    let v = Values::from_form(&form);
    let result = async {
        let input = authorized_input(&state, &id, &v).await?;
        Ok::<_, AppError>(
            state
                .store
                .update_listening_query(&id.author(), q.id, &input)
                .await?,
        )
    }
    .await;
    match result {
        Ok(_) => {
            Ok(Redirect::to(&format!("/conversations/queries/{qid}?done=saved")).into_response())
        }
        Err(e) => {
            let err = field_error(e)?;
            form_page(
                &state,
                &id,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(qid),
                v,
                true,
                Flash::error("The query was not saved: one field needs attention."),
                Some(err),
            )
            .await
        }
    }
}

async fn delete(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(qid): Path<i64>,
) -> Result<Response, PageError> {
    let q = load(&state, &id, qid).await?;
    authorize(
        &id.caller.actor,
        Action::ManageListeningQueries,
        Scope::Market(q.market_id),
    )?;
    state
        .store
        .delete_listening_query(&id.author(), q.id)
        .await?;
    Ok(Redirect::to("/conversations/queries?done=deleted").into_response())
}

#[derive(Template)]
#[template(path = "conversations/_check.html")]
struct CheckFragment {
    check: Check,
}

/// The live syntax check (htmx): the draft's fields in, a fragment with the canonical form or
/// the error with a caret under it out.
async fn check_fragment(PageUser(_id): PageUser, form: FormData) -> Result<Response, PageError> {
    let v = Values::from_form(&form);
    let raw = v.raw().unwrap_or_default();
    let langs: Vec<String> = raw
        .languages
        .iter()
        .filter_map(|l| chorus_core::conversations::language_code(l).ok())
        .collect();
    let nets: Vec<_> = raw
        .networks
        .iter()
        .filter_map(|n| chorus_core::conversations::NetworkName::parse(n).ok())
        .collect();
    Ok(render(&CheckFragment {
        check: check(&v.query, &langs, &nets),
    }))
}

struct Sample {
    author: String,
    text: String,
    when: String,
    lang: String,
    sentiment: (&'static str, &'static str),
}

#[derive(Template)]
#[template(path = "conversations/_preview.html")]
struct PreviewFragment {
    error: String,
    days: i64,
    scanned: usize,
    matched: usize,
    truncated: bool,
    samples: Vec<Sample>,
}

/// The 7-day preview (htmx): how many stored posts of the last week the draft would have
/// matched, and the newest of them.
async fn preview_fragment(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    form: FormData,
) -> Result<Response, PageError> {
    let all = state.store.markets().await?;
    readable_markets(&id, &all)?;
    let v = Values::from_form(&form);
    let fragment = match v.raw() {
        Err(e) => Err(e),
        Ok(raw) => {
            let c = check(raw.query.trim(), &[], &[]);
            match c.error {
                Some(e) => Err(AppError::invalid("query", e.message)),
                None => preview(&state.store, &raw, 7, 20).await,
            }
        }
    };
    let page = match fragment {
        Ok(p) => PreviewFragment {
            error: String::new(),
            days: p.days,
            scanned: p.scanned,
            matched: p.matched,
            truncated: p.truncated,
            samples: p
                .samples
                .iter()
                .map(|s| Sample {
                    author: s.author_handle.clone().unwrap_or_else(|| s.author.clone()),
                    text: s.body.clone(),
                    when: format_time(s.posted_at_ms),
                    lang: s.lang.clone(),
                    sentiment: sentiment_badge(s.sentiment),
                })
                .collect(),
        },
        Err(e) => PreviewFragment {
            error: e.public_message(),
            days: 7,
            scanned: 0,
            matched: 0,
            truncated: false,
            samples: Vec::new(),
        },
    };
    Ok(render(&page))
}

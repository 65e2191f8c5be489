//! Listening queries: list per market, create and edit with the live syntax check (htmx posts
//! the draft to `/conversations/queries/check` as you type) and the 7-day preview.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chorus_app::conversations::preview::{self, Preview};
use chorus_app::conversations::queries::{
    self, Check, Draft, QueryFields, QueryForm, QueryRow, QueryView,
};
use chorus_core::conversations::{ListeningQuery, Side};
use chorus_core::org::{Market, Team};
use serde::Deserialize;

use super::{Tabs, market_code, sentiment_badge};
use crate::auth::{Identity, PageUser};
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

#[derive(Template)]
#[template(path = "conversations/queries.html")]
struct ListPage {
    shell: Shell,
    tabs: Tabs,
    rows: Vec<QueryRow>,
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

async fn list(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Query(p): Query<ListParams>,
) -> Result<Response, PageError> {
    let name = p.name.as_deref().map(str::trim).unwrap_or_default();
    let page = p.page.unwrap_or(1).clamp(1, 1_000_000);
    let offset = (page - 1) * PAGE_SIZE;
    let list = queries::page(
        &state.app,
        &id.caller,
        p.market.as_deref(),
        Some(name),
        offset,
        PAGE_SIZE,
    )
    .await?;
    let (total, first) = (list.total, offset + 1);
    let last = first + list.rows.len() as i64 - 1;
    let market = list
        .selected
        .as_ref()
        .map(|m| m.code.to_string())
        .unwrap_or_default();
    // Past the end (a stale link), "Previous" leads to the last page there is.
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let previous = (page > 1).then(|| page_link(&market, name, (page - 1).min(pages)));
    let next = (last < total).then(|| page_link(&market, name, page + 1));
    let shell = Shell::with_markets(
        &state,
        &id,
        &list.visible.all,
        "conversations",
        "Listening queries",
    )
    .await?
    .with_flash(done_flash(p.done.as_deref()));
    Ok(render(&ListPage {
        shell,
        tabs: Tabs { active: "queries" },
        rows: list.rows,
        can_create: list.can_create,
        market,
        name: name.to_owned(),
        markets: list.visible.markets,
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

    fn fields(&self) -> QueryFields {
        QueryFields {
            market: self.market.clone(),
            team: self.team.clone(),
            name: self.name.clone(),
            query: self.query.clone(),
            languages: split(&self.languages),
            networks: split(&self.networks),
            side: self.side.clone(),
            spike_factor: self.spike_factor.clone(),
            active: Some(self.active),
        }
    }

    fn draft(&self) -> Draft {
        Draft {
            query: self.query.clone(),
            languages: split(&self.languages),
            networks: split(&self.networks),
        }
    }

    /// The live check of the values; bad languages or networks are the check's error.
    fn check(&self) -> Check {
        queries::check_draft(&self.draft()).unwrap_or_else(|e| Check {
            valid: false,
            canonical: None,
            tree: None,
            error: Some(queries::CheckError {
                message: format!("{}: {e}", e.field().unwrap_or("query")),
                start: 0,
                end: 0,
                hint: "use languages by name or code, such as Finnish or fi, and network names such as \
                       bluesky"
                    .into(),
                rendered: String::new(),
            }),
        })
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
    /// For those who may not change it: the query as text, and whom to ask.
    read_only: Option<ReadOnly>,
    check: Check,
    error_field: String,
    error_message: String,
}

/// A query shown to someone who reads it but may not change it.
struct ReadOnly {
    market: String,
    team: String,
    side: &'static str,
    /// Who may change it, in words ("Jordan Ellis", "Jordan Ellis or Ana Lima").
    managers: String,
}

impl ReadOnly {
    fn of(view: &QueryView) -> ReadOnly {
        let managers = match view.managers.as_slice() {
            [] => "a lead of the market or an admin".to_owned(),
            [one] => one.clone(),
            [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
        };
        ReadOnly {
            market: format!("{} · {}", view.market.code, view.market.name),
            team: view
                .team
                .as_ref()
                .map(|t| t.name.clone())
                .unwrap_or_else(|| "No team".to_owned()),
            side: view.query.side.label(),
            managers,
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn form_page(
    state: &AppState,
    id: &Identity,
    status: StatusCode,
    query_id: Option<i64>,
    v: Values,
    can_edit: bool,
    read_only: Option<ReadOnly>,
    flash: Option<Flash>,
    error: Option<(String, String)>,
) -> Result<Response, PageError> {
    let QueryForm { markets, teams } = queries::form(&state.app, &id.caller).await?;
    let title = if query_id.is_some() {
        format!("Query: {}", v.name)
    } else {
        "New listening query".to_owned()
    };
    let c = v.check();
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
            markets,
            teams,
            sides: Side::ALL.iter().map(|s| (s.as_str(), s.label())).collect(),
            can_edit,
            read_only,
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
    queries::new_form(&state.app, &id.caller).await?;
    let v = Values {
        market: p.market.unwrap_or_default(),
        side: "topic".into(),
        spike_factor: "3".into(),
        active: true,
        ..Values::default()
    };
    form_page(&state, &id, StatusCode::OK, None, v, true, None, None, None).await
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
    match queries::create(&state.app, &id.caller, &v.fields()).await {
        Ok(q) => Ok(
            Redirect::to(&format!("/conversations/queries/{}?done=created", q.id)).into_response(),
        ),
        Err(e) => {
            let err = field_error(e.into())?;
            form_page(
                &state,
                &id,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                v,
                true,
                None,
                Flash::error("The query was not saved: one field needs attention."),
                Some(err),
            )
            .await
        }
    }
}

async fn edit(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(qid): Path<i64>,
    Query(p): Query<ListParams>,
) -> Result<Response, PageError> {
    let view = queries::get(&state.app, &id.caller, qid).await?;
    let v = Values::of(&view.query, std::slice::from_ref(&view.market));
    form_page(
        &state,
        &id,
        StatusCode::OK,
        Some(qid),
        v,
        view.can_edit,
        (!view.can_edit).then(|| ReadOnly::of(&view)),
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
    let v = Values::from_form(&form);
    match queries::update(&state.app, &id.caller, qid, &v.fields()).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/conversations/queries/{qid}?done=saved")).into_response())
        }
        Err(e) => {
            let err = field_error(e.into())?;
            form_page(
                &state,
                &id,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(qid),
                v,
                true,
                None,
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
    queries::delete(&state.app, &id.caller, qid).await?;
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
    Ok(render(&CheckFragment {
        check: Values::from_form(&form).check(),
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
/// matched, and the newest of them the viewer may read. Bad input is said in the fragment;
/// someone who reads no conversations is refused.
async fn preview_fragment(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    form: FormData,
) -> Result<Response, PageError> {
    let draft = Values::from_form(&form).draft();
    let page = match preview::preview(&state.app, &id.caller, &draft, None).await {
        Ok(p) => fragment(p),
        Err(e @ chorus_app::Error::Invalid { .. }) => PreviewFragment {
            error: AppError::from(e).public_message(),
            days: preview::DEFAULT_DAYS,
            scanned: 0,
            matched: 0,
            truncated: false,
            samples: Vec::new(),
        },
        Err(e) => return Err(AppError::from(e).into()),
    };
    Ok(render(&page))
}

fn fragment(p: Preview) -> PreviewFragment {
    PreviewFragment {
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
    }
}

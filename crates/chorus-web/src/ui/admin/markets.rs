//! Markets (code, name, country, locales, timezone) and their teams.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chorus_core::org::{Market, MarketCode, MarketInput, Team, team_name};
use chorus_core::permission::{allows, authorize};
use chorus_core::{Action, Scope, TeamId};
use serde::Deserialize;

use super::{Tabs, markets_where};
use crate::auth::{Identity, PageUser};
use crate::error::{AppError, PageError};
use crate::state::AppState;
use crate::ui::{Flash, FormData, Shell, done_flash, render_with_status};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/markets", get(list).post(create))
        .route("/admin/markets/{code}", get(show).post(update))
        .route("/admin/markets/{code}/teams", post(create_team))
        .route("/admin/teams/{id}/delete", post(delete_team))
}

#[derive(Default)]
struct Values {
    code: String,
    name: String,
    country: String,
    locales: String,
    timezone: String,
}

impl Values {
    fn of(m: &Market) -> Values {
        Values {
            code: m.code.to_string(),
            name: m.name.clone(),
            country: m.country.as_str().to_owned(),
            locales: m
                .locales
                .iter()
                .map(|l| l.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            timezone: m.timezone.as_str().to_owned(),
        }
    }

    fn from_form(form: &FormData) -> Values {
        Values {
            code: form.get("code").to_owned(),
            name: form.get("name").to_owned(),
            country: form.get("country").to_owned(),
            locales: form.get("locales").to_owned(),
            timezone: form.get("timezone").to_owned(),
        }
    }

    fn parse(&self) -> Result<MarketInput, chorus_core::FieldError> {
        let locales: Vec<String> = self
            .locales
            .split([',', ' '])
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.trim().to_owned())
            .collect();
        MarketInput::parse(
            &self.code,
            &self.name,
            &self.country,
            &locales,
            &self.timezone,
        )
    }
}

struct Row {
    market: Market,
    teams: usize,
    now_local: String,
}

#[derive(Template)]
#[template(path = "admin/markets.html")]
struct ListPage {
    shell: Shell,
    tabs: Tabs,
    rows: Vec<Row>,
    can_create: bool,
    v: Values,
    error_field: String,
    error_message: String,
}

fn local_now(m: &Market) -> String {
    jiff::Timestamp::now()
        .to_zoned(m.timezone.zone())
        .strftime("%H:%M %Z")
        .to_string()
}

async fn list_page(
    state: &AppState,
    id: &Identity,
    status: StatusCode,
    flash: Option<Flash>,
    v: Values,
    error: Option<(String, String)>,
) -> Result<Response, PageError> {
    authorize(&id.actor, Action::ViewAdmin, Scope::Global)?;
    let markets = state.store.markets().await?;
    let teams = state.store.teams(None).await?;
    let visible = if id.actor.is_admin() {
        markets
    } else {
        markets_where(id, Action::ReadMembers, &markets)
    };
    let rows = visible
        .into_iter()
        .map(|m| Row {
            teams: teams.iter().filter(|t| t.market_id == m.id).count(),
            now_local: local_now(&m),
            market: m,
        })
        .collect();
    let (error_field, error_message) = error.unwrap_or_default();
    let shell = Shell::new(state, id, "admin", "Markets and teams")
        .await?
        .with_flash(flash);
    Ok(render_with_status(
        status,
        &ListPage {
            shell,
            tabs: Tabs::new(id, "markets"),
            rows,
            can_create: allows(&id.actor, Action::ManageMarkets, Scope::Global),
            v,
            error_field,
            error_message,
        },
    ))
}

#[derive(Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    list_page(
        &state,
        &id,
        StatusCode::OK,
        done_flash(q.done.as_deref()),
        Values::default(),
        None,
    )
    .await
}

async fn create(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    form: FormData,
) -> Result<Response, PageError> {
    authorize(&id.actor, Action::ManageMarkets, Scope::Global)?;
    let v = Values::from_form(&form);
    let result = match v.parse() {
        Ok(input) => state
            .store
            .create_market(&id.author(), &input)
            .await
            .map_err(AppError::from),
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(m) => {
            Ok(Redirect::to(&format!("/admin/markets/{}?done=created", m.code)).into_response())
        }
        Err(AppError::Invalid {
            field: Some(f),
            message,
        })
        | Err(AppError::Conflict { field: f, message }) => {
            list_page(
                &state,
                &id,
                StatusCode::UNPROCESSABLE_ENTITY,
                Flash::error("The market was not created: one field needs attention."),
                v,
                Some((f, message)),
            )
            .await
        }
        Err(e) => Err(PageError(e)),
    }
}

#[derive(Template)]
#[template(path = "admin/market.html")]
struct MarketPage {
    shell: Shell,
    tabs: Tabs,
    code: String,
    v: Values,
    teams: Vec<Team>,
    can_edit: bool,
    can_manage_teams: bool,
    now_local: String,
    error_field: String,
    error_message: String,
}

async fn market_page(
    state: &AppState,
    id: &Identity,
    market: &Market,
    status: StatusCode,
    flash: Option<Flash>,
    v: Values,
    error: Option<(String, String)>,
) -> Result<Response, PageError> {
    let scope = Scope::Market(market.id);
    if !allows(&id.actor, Action::ReadMembers, scope) {
        return Err(PageError(AppError::NotFound("market")));
    }
    let teams = state.store.teams(Some(market.id)).await?;
    let (error_field, error_message) = error.unwrap_or_default();
    let shell = Shell::new(state, id, "admin", market.name.clone())
        .await?
        .with_flash(flash);
    Ok(render_with_status(
        status,
        &MarketPage {
            shell,
            tabs: Tabs::new(id, "markets"),
            code: market.code.to_string(),
            v,
            teams,
            can_edit: allows(&id.actor, Action::EditMarket, scope),
            can_manage_teams: allows(&id.actor, Action::ManageTeams, scope),
            now_local: local_now(market),
            error_field,
            error_message,
        },
    ))
}

async fn find(state: &AppState, code: &str) -> Result<Market, PageError> {
    let code = MarketCode::parse(code).map_err(|_| AppError::NotFound("market"))?;
    Ok(state.store.market_by_code(&code).await?)
}

async fn show(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(code): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let market = find(&state, &code).await?;
    market_page(
        &state,
        &id,
        &market,
        StatusCode::OK,
        done_flash(q.done.as_deref()),
        Values::of(&market),
        None,
    )
    .await
}

async fn update(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(code): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let market = find(&state, &code).await?;
    authorize(&id.actor, Action::EditMarket, Scope::Market(market.id))?;
    let mut v = Values::from_form(&form);
    if !id.actor.is_admin() {
        // Only admins rename market codes: other markets and reports refer to them.
        v.code = market.code.to_string();
    }
    let result = match v.parse() {
        Ok(input) => state
            .store
            .update_market(&id.author(), market.id, &input)
            .await
            .map_err(AppError::from),
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(m) => Ok(Redirect::to(&format!("/admin/markets/{}?done=saved", m.code)).into_response()),
        Err(AppError::Invalid {
            field: Some(f),
            message,
        })
        | Err(AppError::Conflict { field: f, message }) => {
            market_page(
                &state,
                &id,
                &market,
                StatusCode::UNPROCESSABLE_ENTITY,
                Flash::error("The market was not saved: one field needs attention."),
                v,
                Some((f, message)),
            )
            .await
        }
        Err(e) => Err(PageError(e)),
    }
}

async fn create_team(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(code): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let market = find(&state, &code).await?;
    authorize(&id.actor, Action::ManageTeams, Scope::Market(market.id))?;
    let error = match team_name(form.get("name")) {
        Ok(name) => match state
            .store
            .create_team(&id.author(), market.id, &name)
            .await
        {
            Ok(_) => {
                return Ok(
                    Redirect::to(&format!("/admin/markets/{}?done=created", market.code))
                        .into_response(),
                );
            }
            Err(e) => AppError::from(e).to_string(),
        },
        Err(e) => format!("Team name: {e}"),
    };
    market_page(
        &state,
        &id,
        &market,
        StatusCode::UNPROCESSABLE_ENTITY,
        Flash::error(error),
        Values::of(&market),
        None,
    )
    .await
}

async fn delete_team(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(team): Path<i64>,
) -> Result<Response, PageError> {
    let team = state.store.team(TeamId(team)).await?;
    authorize(
        &id.actor,
        Action::ManageTeams,
        Scope::Market(team.market_id),
    )?;
    let market = state.store.market(team.market_id).await?;
    state.store.delete_team(&id.author(), team.id).await?;
    Ok(Redirect::to(&format!("/admin/markets/{}?done=deleted", market.code)).into_response())
}

//! Markets (code, name, country, locales, timezone) and their teams.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chorus_app::org;
use chorus_core::TeamId;
use chorus_core::org::{Market, Team, choices};
use chorus_core::permission::allows;
use chorus_core::{Action, Scope};
use serde::Deserialize;

use super::Tabs;
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
    locales: Vec<String>,
    timezone: String,
}

/// One option of a choice: (value, label, chosen).
type Choice = (String, String, bool);

impl Values {
    fn of(m: &Market) -> Values {
        Values {
            code: m.code.to_string(),
            name: m.name.clone(),
            country: m.country.as_str().to_owned(),
            locales: m.locales.iter().map(|l| l.as_str().to_owned()).collect(),
            timezone: m.timezone.as_str().to_owned(),
        }
    }

    fn from_form(form: &FormData) -> Values {
        Values {
            code: form.get("code").to_owned(),
            name: form.get("name").to_owned(),
            country: form.get("country").to_owned(),
            // Checkboxes, one value each; a value with commas (an API-style list) still splits.
            locales: form
                .get_all("locales")
                .into_iter()
                .flat_map(|v| v.split([',', ' ']))
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            timezone: form.get("timezone").to_owned(),
        }
    }

    fn fields(&self) -> org::MarketFields {
        org::MarketFields {
            code: self.code.clone(),
            name: self.name.clone(),
            country: self.country.clone(),
            locales: self.locales.clone(),
            timezone: self.timezone.clone(),
        }
    }

    /// Every country, the market's chosen; a code not in the list (saved before) kept first.
    fn countries(&self) -> Vec<Choice> {
        let code = self.country.trim().to_ascii_uppercase();
        let mut out: Vec<Choice> = Vec::new();
        if !code.is_empty() && choices::country_name(&code).is_none() {
            out.push((code.clone(), code.clone(), true));
        }
        out.extend(
            choices::countries()
                .iter()
                .map(|(c, n)| (c.to_string(), format!("{n} ({c})"), *c == code)),
        );
        out
    }

    /// Time zones grouped for the select: the chosen country's first, then by region.
    fn zone_groups(&self) -> Vec<(String, Vec<Choice>)> {
        let code = self.country.trim().to_ascii_uppercase();
        let current = self.timezone.trim();
        let choice = |z: &str| (z.to_owned(), z.replace('_', " "), z == current);
        let mut groups: Vec<(String, Vec<Choice>)> = Vec::new();
        let local = choices::zones_of(&code);
        let mut first: Vec<Choice> = local.iter().map(|z| choice(z)).collect();
        if !current.is_empty() && !choices::zones().contains(&current) {
            first.insert(0, choice(current));
        }
        if !first.is_empty() {
            let label = choices::country_name(&code)
                .map_or_else(|| "Current".to_owned(), |n| format!("In {n}"));
            groups.push((label, first));
        }
        for zone in choices::zones() {
            if local.contains(zone) {
                continue;
            }
            let region = zone.split('/').next().unwrap_or(zone);
            match groups.last_mut() {
                Some((label, zs)) if label == region => zs.push(choice(zone)),
                _ => groups.push((region.to_owned(), vec![choice(zone)])),
            }
        }
        groups
    }

    /// Locales as checkboxes: the chosen ones first, in their saved order (the first is the
    /// market's main language), then the country's, then the rest.
    fn locale_choices(&self) -> Vec<Choice> {
        let code = self.country.trim().to_ascii_uppercase();
        let offered = choices::locales_for(&code);
        let name = |tag: &str| {
            offered
                .iter()
                .find(|(t, _)| t.eq_ignore_ascii_case(tag))
                .map_or_else(|| tag.to_owned(), |(t, n)| format!("{n} · {t}"))
        };
        let mut out: Vec<Choice> = self
            .locales
            .iter()
            .map(|l| (l.clone(), name(l), true))
            .collect();
        out.extend(
            offered
                .into_iter()
                .filter(|(t, _)| !self.locales.iter().any(|l| l.eq_ignore_ascii_case(t)))
                .map(|(t, n)| (t.to_owned(), format!("{n} · {t}"), false)),
        );
        out
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
    let rows = org::administered_markets(&state.app, &id.caller)
        .await?
        .into_iter()
        .map(|m| Row {
            teams: m.teams,
            now_local: local_now(&m.market),
            market: m.market,
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
            can_create: allows(&id.caller.actor, Action::ManageMarkets, Scope::Global),
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
    let v = Values::from_form(&form);
    match org::create_market(&state.app, &id.caller, &v.fields())
        .await
        .map_err(AppError::from)
    {
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
    code: &str,
    status: StatusCode,
    flash: Option<Flash>,
    v: Option<Values>,
    error: Option<(String, String)>,
) -> Result<Response, PageError> {
    let view = org::market_admin(&state.app, &id.caller, code).await?;
    let market = &view.market;
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
            v: v.unwrap_or_else(|| Values::of(market)),
            now_local: local_now(market),
            teams: view.teams,
            can_edit: view.can_edit,
            can_manage_teams: view.can_manage_teams,
            error_field,
            error_message,
        },
    ))
}

async fn show(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(code): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    market_page(
        &state,
        &id,
        &code,
        StatusCode::OK,
        done_flash(q.done.as_deref()),
        None,
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
    let v = Values::from_form(&form);
    match org::update_market(&state.app, &id.caller, &code, &v.fields())
        .await
        .map_err(AppError::from)
    {
        Ok(m) => Ok(Redirect::to(&format!("/admin/markets/{}?done=saved", m.code)).into_response()),
        Err(AppError::Invalid {
            field: Some(f),
            message,
        })
        | Err(AppError::Conflict { field: f, message }) => {
            market_page(
                &state,
                &id,
                &code,
                StatusCode::UNPROCESSABLE_ENTITY,
                Flash::error("The market was not saved: one field needs attention."),
                Some(v),
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
    let error = match org::create_team(&state.app, &id.caller, &code, form.get("name")).await {
        Ok(_) => {
            let market = org::market(&state.app, &id.caller, &code).await?;
            return Ok(
                Redirect::to(&format!("/admin/markets/{}?done=created", market.code))
                    .into_response(),
            );
        }
        Err(e @ chorus_app::Error::Invalid { .. }) => format!("Team name: {e}"),
        Err(e @ chorus_app::Error::Conflict { .. }) => e.to_string(),
        Err(e) => return Err(e.into()),
    };
    market_page(
        &state,
        &id,
        &code,
        StatusCode::UNPROCESSABLE_ENTITY,
        Flash::error(error),
        None,
        None,
    )
    .await
}

async fn delete_team(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(team): Path<i64>,
) -> Result<Response, PageError> {
    let market = org::delete_team(&state.app, &id.caller, TeamId(team)).await?;
    Ok(Redirect::to(&format!("/admin/markets/{}?done=deleted", market.code)).into_response())
}

//! Users and their memberships: the page face of `chorus_app::users` (the JSON API's
//! `/api/v1/users` calls the same use cases, so both give the same answers).

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chorus_app::users::{self, GrantOptions, MembershipFields, NewUserFields, ProfileFields};
use chorus_core::org::Market;
use chorus_core::user::Membership;
use chorus_core::{Scope, UserId};
use serde::Deserialize;

use super::Tabs;
use crate::auth::{Identity, PageUser};
use crate::error::{AppError, PageError};
use crate::state::AppState;
use crate::ui::{Flash, FormData, Shell, done_flash, render_with_status};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(list).post(create))
        .route("/admin/users/{id}", get(show).post(update))
        .route("/admin/users/{id}/memberships", post(grant))
        .route("/admin/users/{id}/memberships/revoke", post(revoke))
}

struct Row {
    id: i64,
    name: String,
    email: String,
    active: bool,
    roles: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct ListPage {
    shell: Shell,
    tabs: Tabs,
    rows: Vec<Row>,
    roles: Vec<(&'static str, &'static str)>,
    markets: Vec<Market>,
    can_create: bool,
    can_create_global: bool,
    form: NewUserValues,
    error_field: String,
    error_message: String,
}

#[derive(Default)]
struct NewUserValues {
    email: String,
    display_name: String,
    role: String,
    market: String,
}

fn describe(m: &Membership, markets: &[Market]) -> (String, String) {
    let place = match m.scope {
        Scope::Global => "Global".to_owned(),
        Scope::Market(id) => markets
            .iter()
            .find(|x| x.id == id)
            .map(|x| x.code.to_string())
            .unwrap_or_else(|| id.to_string()),
    };
    (m.role.label().to_owned(), place)
}

/// The role picker's options: (name, label).
fn role_options(grant: &GrantOptions) -> Vec<(&'static str, &'static str)> {
    grant
        .roles
        .iter()
        .map(|r| (r.as_str(), r.label()))
        .collect()
}

async fn list_page(
    state: &AppState,
    id: &Identity,
    status: StatusCode,
    flash: Option<Flash>,
    form: NewUserValues,
    error: Option<(String, String)>,
) -> Result<Response, PageError> {
    let dir = users::directory(&state.app, &id.caller).await?;
    let rows = dir
        .users
        .iter()
        .map(|u| Row {
            id: u.user.id.0,
            name: u.user.display_name.clone(),
            email: u.user.email.to_string(),
            active: u.user.active,
            roles: u
                .memberships
                .iter()
                .map(|m| describe(m, &dir.markets))
                .collect(),
        })
        .collect();
    let (error_field, error_message) = error.unwrap_or_default();
    let shell = Shell::with_markets(state, id, &dir.markets, "admin", "Users")
        .await?
        .with_flash(flash);
    Ok(render_with_status(
        status,
        &ListPage {
            shell,
            tabs: Tabs::new(id, "users"),
            rows,
            roles: role_options(&dir.grant),
            can_create: dir.grant.any(),
            can_create_global: dir.grant.global,
            markets: dir.grant.markets,
            form,
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
        NewUserValues::default(),
        None,
    )
    .await
}

/// The role and market fields of a form.
fn membership_fields(form: &FormData) -> MembershipFields {
    MembershipFields {
        role: form.get("role").to_owned(),
        market: form.get("market").to_owned(),
    }
}

/// The form field an error of the new-user use case points at: it names the first membership
/// `memberships[0].role`, where the form has one role field and one market field.
fn form_field(field: &str) -> String {
    match field.rsplit_once('.') {
        Some((_, f)) => f.to_owned(),
        None if field == "memberships" => "role".to_owned(),
        None => field.to_owned(),
    }
}

async fn create(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    form: FormData,
) -> Result<Response, PageError> {
    let values = NewUserValues {
        email: form.get("email").to_owned(),
        display_name: form.get("display_name").to_owned(),
        role: form.get("role").to_owned(),
        market: form.get("market").to_owned(),
    };
    let fields = NewUserFields {
        email: values.email.clone(),
        display_name: values.display_name.clone(),
        password: form.get("password").to_owned(),
        memberships: vec![membership_fields(&form)],
    };
    let err = match users::create(&state.app, &id.caller, &fields).await {
        Ok(u) => {
            let uid = u.user.id;
            return Ok(Redirect::to(&format!("/admin/users/{uid}?done=created")).into_response());
        }
        Err(e) => e,
    };
    match (err.field().map(form_field), AppError::from(err)) {
        (Some(f), AppError::Invalid { message, .. } | AppError::Conflict { message, .. }) => {
            list_page(
                &state,
                &id,
                StatusCode::UNPROCESSABLE_ENTITY,
                Flash::error("The user was not created: one field needs attention."),
                values,
                Some((f, message)),
            )
            .await
        }
        (_, e) => Err(PageError(e)),
    }
}

#[derive(Template)]
#[template(path = "admin/user.html")]
struct UserPage {
    shell: Shell,
    tabs: Tabs,
    user_id: i64,
    email: String,
    display_name: String,
    active: bool,
    memberships: Vec<MembershipRow>,
    can_manage: bool,
    roles: Vec<(&'static str, &'static str)>,
    markets: Vec<Market>,
    can_grant_global: bool,
}

struct MembershipRow {
    role: &'static str,
    role_label: &'static str,
    market_code: String,
    place: String,
    can_revoke: bool,
    /// "By hand", or the single sign-on rule that gave it.
    source: String,
}

async fn user_page(
    state: &AppState,
    id: &Identity,
    uid: UserId,
    status: StatusCode,
    flash: Option<Flash>,
) -> Result<Response, PageError> {
    let view = users::user_admin(&state.app, &id.caller, uid).await?;
    let rows = view
        .memberships
        .iter()
        .map(|m| {
            let (_, place) = describe(&m.membership, &view.markets);
            MembershipRow {
                role: m.membership.role.as_str(),
                role_label: m.membership.role.label(),
                market_code: match m.membership.scope {
                    Scope::Global => "global".into(),
                    Scope::Market(_) => place.clone(),
                },
                place,
                can_revoke: m.can_revoke,
                source: match &m.source {
                    users::MembershipSource::Manual => "By hand".into(),
                    users::MembershipSource::Rule(Some(group)) => {
                        format!("Sign-in rule: group {group}")
                    }
                    users::MembershipSource::Rule(None) => {
                        "A deleted sign-in rule (goes at the next sign-in)".into()
                    }
                },
            }
        })
        .collect();
    let shell = Shell::with_markets(
        state,
        id,
        &view.markets,
        "admin",
        view.user.display_name.clone(),
    )
    .await?
    .with_flash(flash);
    Ok(render_with_status(
        status,
        &UserPage {
            shell,
            tabs: Tabs::new(id, "users"),
            user_id: uid.0,
            email: view.user.email.to_string(),
            display_name: view.user.display_name.clone(),
            active: view.user.active,
            memberships: rows,
            can_manage: view.can_manage,
            roles: role_options(&view.grant),
            can_grant_global: view.grant.global,
            markets: view.grant.markets,
        },
    ))
}

async fn show(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(uid): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    user_page(
        &state,
        &id,
        UserId(uid),
        StatusCode::OK,
        done_flash(q.done.as_deref()),
    )
    .await
}

/// What a refused input says above the person's page, naming the field as the form does;
/// `None` for refusals that are not about input (they get an error page).
fn field_message(e: &chorus_app::Error) -> Option<String> {
    let chorus_app::Error::Invalid { field, message } = e else {
        return None;
    };
    Some(match field.as_deref() {
        Some("display_name") => format!("Display name: {message}"),
        Some("password") => format!("New password: {message}"),
        _ => {
            let mut chars = message.chars();
            match chars.next() {
                Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
                None => String::new(),
            }
        }
    })
}

/// Answers a use case's result on a person's page: back to the page with `done` when it
/// worked, the page again with the message when input was refused, an error page otherwise.
async fn after<T>(
    state: &AppState,
    id: &Identity,
    uid: UserId,
    result: chorus_app::Result<T>,
    done: &str,
) -> Result<Response, PageError> {
    let err = match result {
        Ok(_) => {
            return Ok(Redirect::to(&format!("/admin/users/{uid}?done={done}")).into_response());
        }
        Err(e) => e,
    };
    match field_message(&err) {
        Some(message) => {
            user_page(
                state,
                id,
                uid,
                StatusCode::UNPROCESSABLE_ENTITY,
                Flash::error(message),
            )
            .await
        }
        None => Err(PageError::from(err)),
    }
}

async fn update(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(uid): Path<i64>,
    form: FormData,
) -> Result<Response, PageError> {
    let uid = UserId(uid);
    let fields = ProfileFields {
        display_name: Some(form.get("display_name").to_owned()),
        // An unticked checkbox is not sent.
        active: Some(form.get("active") == "on"),
        password: Some(form.get("password").to_owned()),
        keep_api_tokens: form.get("keep_api_tokens") == "on",
    };
    let done = match (fields.password.as_deref(), fields.keep_api_tokens) {
        (Some(""), _) => "saved",
        (_, false) => "reset",
        (_, true) => "reset_kept_tokens",
    };
    let result = users::update(&state.app, &id.caller, uid, &fields).await;
    after(&state, &id, uid, result, done).await
}

async fn grant(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(uid): Path<i64>,
    form: FormData,
) -> Result<Response, PageError> {
    let uid = UserId(uid);
    let result = users::grant(&state.app, &id.caller, uid, &membership_fields(&form)).await;
    after(&state, &id, uid, result, "granted").await
}

async fn revoke(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(uid): Path<i64>,
    form: FormData,
) -> Result<Response, PageError> {
    let uid = UserId(uid);
    let result = users::revoke(&state.app, &id.caller, uid, &membership_fields(&form)).await;
    after(&state, &id, uid, result, "revoked").await
}

//! Users and their memberships.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chorus_core::org::Market;
use chorus_core::permission::{authorize, may_grant, may_manage_user};
use chorus_core::user::{Email, Membership, check_new_password};
use chorus_core::{Action, MarketId, Role, Scope, UserId};
use chorus_store::{NewUser, UserWithMemberships};
use serde::Deserialize;

use super::{Tabs, grantable_roles, markets_where};
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

/// The users this viewer may see: all for admins and global leads, otherwise those holding a
/// membership in a market the viewer may read members of.
async fn visible_users(
    state: &AppState,
    id: &Identity,
    markets: &[Market],
) -> Result<Vec<UserWithMemberships>, AppError> {
    let all = state.store.users(None).await?;
    if chorus_core::permission::allows(&id.caller.actor, Action::ReadMembers, Scope::Global) {
        return Ok(all);
    }
    let readable: Vec<MarketId> = markets_where(id, Action::ReadMembers, markets)
        .iter()
        .map(|m| m.id)
        .collect();
    if readable.is_empty() {
        return Err(AppError::Forbidden(
            "you may not see users and memberships".into(),
        ));
    }
    Ok(all
        .into_iter()
        .filter(|u| {
            u.memberships
                .iter()
                .any(|m| matches!(m.scope, Scope::Market(mid) if readable.contains(&mid)))
        })
        .collect())
}

async fn list_page(
    state: &AppState,
    id: &Identity,
    status: StatusCode,
    flash: Option<Flash>,
    form: NewUserValues,
    error: Option<(String, String)>,
) -> Result<Response, PageError> {
    authorize(&id.caller.actor, Action::ViewAdmin, Scope::Global)?;
    let all_markets = state.store.markets().await?;
    let users = visible_users(state, id, &all_markets).await?;
    let rows = users
        .iter()
        .map(|u| Row {
            id: u.user.id.0,
            name: u.user.display_name.clone(),
            email: u.user.email.to_string(),
            active: u.user.active,
            roles: u
                .memberships
                .iter()
                .map(|m| describe(m, &all_markets))
                .collect(),
        })
        .collect();
    let (error_field, error_message) = error.unwrap_or_default();
    let shell = Shell::new(state, id, "admin", "Users")
        .await?
        .with_flash(flash);
    Ok(render_with_status(
        status,
        &ListPage {
            shell,
            tabs: Tabs::new(id, "users"),
            rows,
            roles: grantable_roles(id),
            markets: markets_where(id, Action::ManageMembers, &all_markets),
            can_create_global: id.caller.actor.is_admin(),
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

/// Parses the role and market fields of a form into a membership the actor may grant.
async fn membership_from_form(
    state: &AppState,
    id: &Identity,
    form: &FormData,
) -> Result<Membership, AppError> {
    let role = Role::parse(form.get("role")).map_err(|e| e.at("role"))?;
    let market = match form.get("market").trim() {
        "" | "global" => None,
        code => {
            let code = chorus_core::org::MarketCode::parse(code).map_err(|e| e.at("market"))?;
            Some(
                state
                    .store
                    .market_by_code(&code)
                    .await
                    .map_err(|_| {
                        AppError::invalid("market", format!("no market has the code {code}"))
                    })?
                    .id,
            )
        }
    };
    let membership = Membership::new(role, market).map_err(|e| e.at("market"))?;
    if !may_grant(&id.caller.actor, membership.role, membership.scope) {
        return Err(AppError::Forbidden(format!(
            "you may not grant the {} role there",
            membership.role.label()
        )));
    }
    Ok(membership)
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
    let result: Result<UserId, AppError> = async {
        let email = Email::parse(form.get("email")).map_err(|e| e.at("email"))?;
        let display_name = chorus_core::validate::text(form.get("display_name"), 100)
            .map_err(|e| e.at("display_name"))?;
        check_new_password(form.get("password")).map_err(|e| e.at("password"))?;
        let membership = membership_from_form(&state, &id, &form).await?;
        let hash = chorus_core::password::hash(form.get("password"))
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let user = state
            .store
            .create_user(
                &id.author(),
                &NewUser {
                    email,
                    display_name,
                    password_hash: Some(hash),
                    memberships: vec![membership],
                },
            )
            .await?;
        Ok(user.id)
    }
    .await;
    match result {
        Ok(uid) => Ok(Redirect::to(&format!("/admin/users/{uid}?done=created")).into_response()),
        Err(AppError::Invalid {
            field: Some(f),
            message,
        })
        | Err(AppError::Conflict { field: f, message }) => {
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
        Err(e) => Err(PageError(e)),
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
}

async fn user_page(
    state: &AppState,
    id: &Identity,
    uid: UserId,
    status: StatusCode,
    flash: Option<Flash>,
) -> Result<Response, PageError> {
    let all_markets = state.store.markets().await?;
    let user = state.store.user(uid).await?;
    let memberships = state.store.memberships(uid).await?;
    let visible = visible_users(state, id, &all_markets)
        .await?
        .iter()
        .any(|u| u.user.id == uid);
    if !visible {
        return Err(PageError(AppError::NotFound("user")));
    }
    let rows = memberships
        .iter()
        .map(|m| {
            let (_, place) = describe(m, &all_markets);
            MembershipRow {
                role: m.role.as_str(),
                role_label: m.role.label(),
                market_code: if place == "Global" {
                    "global".into()
                } else {
                    place.clone()
                },
                place,
                can_revoke: may_grant(&id.caller.actor, m.role, m.scope),
            }
        })
        .collect();
    let shell = Shell::new(state, id, "admin", user.display_name.clone())
        .await?
        .with_flash(flash);
    Ok(render_with_status(
        status,
        &UserPage {
            shell,
            tabs: Tabs::new(id, "users"),
            user_id: uid.0,
            email: user.email.to_string(),
            display_name: user.display_name.clone(),
            active: user.active,
            memberships: rows,
            can_manage: may_manage_user(&id.caller.actor, &memberships),
            roles: grantable_roles(id),
            markets: markets_where(id, Action::ManageMembers, &all_markets),
            can_grant_global: id.caller.actor.is_admin(),
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

async fn update(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(uid): Path<i64>,
    form: FormData,
) -> Result<Response, PageError> {
    let uid = UserId(uid);
    let memberships = state.store.memberships(uid).await?;
    if !may_manage_user(&id.caller.actor, &memberships) {
        return Err(PageError(AppError::Forbidden(
            "you may not change this user".into(),
        )));
    }
    let name = match chorus_core::validate::text(form.get("display_name"), 100) {
        Ok(n) => n,
        Err(e) => {
            return user_page(
                &state,
                &id,
                uid,
                StatusCode::UNPROCESSABLE_ENTITY,
                Flash::error(format!("Display name: {e}")),
            )
            .await;
        }
    };
    let active = form.get("active") == "on";
    if uid == id.user.id && !active {
        return user_page(
            &state,
            &id,
            uid,
            StatusCode::UNPROCESSABLE_ENTITY,
            Flash::error("You cannot deactivate yourself."),
        )
        .await;
    }
    state
        .store
        .update_user(&id.author(), uid, &name, active)
        .await?;
    let password = form.get("password");
    if !password.is_empty() {
        if let Err(e) = check_new_password(password) {
            return user_page(
                &state,
                &id,
                uid,
                StatusCode::UNPROCESSABLE_ENTITY,
                Flash::error(format!("New password: {e}")),
            )
            .await;
        }
        let hash =
            chorus_core::password::hash(password).map_err(|e| AppError::Internal(e.to_string()))?;
        state
            .store
            .set_password_hash(&id.author(), uid, &hash)
            .await?;
    }
    Ok(Redirect::to(&format!("/admin/users/{uid}?done=saved")).into_response())
}

async fn grant(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(uid): Path<i64>,
    form: FormData,
) -> Result<Response, PageError> {
    let uid = UserId(uid);
    state.store.user(uid).await?;
    match membership_from_form(&state, &id, &form).await {
        Ok(m) => {
            state.store.grant(&id.author(), uid, m).await?;
            Ok(Redirect::to(&format!("/admin/users/{uid}?done=granted")).into_response())
        }
        Err(AppError::Invalid { field: _, message }) => {
            user_page(
                &state,
                &id,
                uid,
                StatusCode::UNPROCESSABLE_ENTITY,
                Flash::error(message),
            )
            .await
        }
        Err(e) => Err(PageError(e)),
    }
}

async fn revoke(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(uid): Path<i64>,
    form: FormData,
) -> Result<Response, PageError> {
    let uid = UserId(uid);
    let m = membership_from_form(&state, &id, &form).await?;
    if uid == id.user.id && m.role == Role::Admin {
        return user_page(
            &state,
            &id,
            uid,
            StatusCode::UNPROCESSABLE_ENTITY,
            Flash::error("You cannot remove your own admin role; ask another admin."),
        )
        .await;
    }
    state.store.revoke(&id.author(), uid, m).await?;
    Ok(Redirect::to(&format!("/admin/users/{uid}?done=revoked")).into_response())
}

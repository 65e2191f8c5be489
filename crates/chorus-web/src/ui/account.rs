//! The signed-in user's own page: their password and API tokens for scripts (the use cases in
//! `chorus_app::auth`), and the weekly Numbers email for people who read numbers
//! (`chorus_app::numbers::weekly`).

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chorus_app::auth;
use chorus_app::numbers::weekly;
use serde::Deserialize;

use super::{Flash, FormData, Shell, done_flash, format_time, render_with_status};
use crate::auth::client::ClientAddr;
use crate::auth::{Identity, PageUser, cookies};
use crate::error::PageError;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/account", get(show))
        .route("/account/password", post(change_password))
        .route("/account/tokens", post(create))
        .route("/account/tokens/{id}/revoke", post(revoke))
        .route("/account/email", post(email))
}

struct TokenRow {
    id: i64,
    name: String,
    prefix: String,
    created: String,
    last_used: String,
    revoked: bool,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    shell: Shell,
    tokens: Vec<TokenRow>,
    new_secret: Option<String>,
    /// Whether the person reads numbers somewhere (the weekly email is offered then).
    reads_numbers: bool,
    weekly_email: bool,
}

async fn page(
    state: &AppState,
    id: &Identity,
    status: StatusCode,
    flash: Option<Flash>,
    new_secret: Option<String>,
) -> Result<Response, PageError> {
    let tokens = auth::tokens(&state.app, &id.caller)
        .await?
        .into_iter()
        .map(|t| TokenRow {
            id: t.id,
            name: t.name,
            prefix: t.prefix,
            created: format_time(t.created_at_ms),
            last_used: t
                .last_used_at_ms
                .map(format_time)
                .unwrap_or_else(|| "never".into()),
            revoked: t.revoked,
        })
        .collect();
    let reads_numbers = auth::shows_numbers(&id.caller);
    let weekly_email = !weekly::opted_out(&state.app, &id.caller).await?;
    let shell = Shell::new(state, id, "", "Your account")
        .await?
        .with_flash(flash);
    Ok(render_with_status(
        status,
        &AccountPage {
            shell,
            tokens,
            new_secret,
            reads_numbers,
            weekly_email,
        },
    ))
}

#[derive(Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    page(
        &state,
        &id,
        StatusCode::OK,
        done_flash(q.done.as_deref()),
        None,
    )
    .await
}

/// The page again with what is wrong with the form (the field's label first); refusals that are
/// not about input get an error page.
async fn refused(
    state: &AppState,
    id: &Identity,
    e: chorus_app::Error,
) -> Result<Response, PageError> {
    let chorus_app::Error::Invalid { field, message } = e else {
        return Err(PageError::from(e));
    };
    let label = match field.as_deref() {
        Some("current_password") => "Current password",
        Some("new_password") => "New password",
        _ => "Token name",
    };
    page(
        state,
        id,
        StatusCode::UNPROCESSABLE_ENTITY,
        Flash::error(format!("{label}: {message}")),
        None,
    )
    .await
}

async fn create(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    form: FormData,
) -> Result<Response, PageError> {
    match auth::create_token(&state.app, &id.caller, form.get("name")).await {
        Ok(created) => {
            page(
                &state,
                &id,
                StatusCode::OK,
                Flash::success("Token created. Copy it now: it is shown only once."),
                Some(created.secret),
            )
            .await
        }
        Err(e) => refused(&state, &id, e).await,
    }
}

async fn revoke(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(token): Path<i64>,
) -> Result<Response, PageError> {
    auth::revoke_token(&state.app, &id.caller, token).await?;
    Ok(Redirect::to("/account?done=token").into_response())
}

/// Turns the weekly Numbers email on (the box ticked) or off for the person themselves.
async fn email(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    form: FormData,
) -> Result<Response, PageError> {
    let wanted = form.get("numbers_weekly") == "on";
    weekly::set_opt_out(&state.app, &id.caller, !wanted).await?;
    Ok(Redirect::to("/account?done=saved").into_response())
}

/// Changes the password: this session stays, every other one ends. The current password is
/// checked under the login limits (the same counts as signing in: it is the same secret being
/// guessed), so a borrowed session cannot try password after password to take the account.
async fn change_password(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, PageError> {
    let change = auth::PasswordChange {
        current: form.get("current_password").to_owned(),
        new: form.get("new_password").to_owned(),
    };
    let email = id.user.email.as_str().to_owned();
    let admitted = match state.limiter.begin(&addr, &email) {
        Ok(admitted) => admitted,
        Err(wait) => {
            let message = format!(
                "Current password: too many wrong attempts. Try again in {} minutes.",
                wait.div_ceil(60)
            );
            return page(
                &state,
                &id,
                StatusCode::TOO_MANY_REQUESTS,
                Flash::error(message),
                None,
            )
            .await;
        }
    };
    if !admitted.delay.is_zero() {
        tokio::time::sleep(admitted.delay).await;
    }
    let this_session = cookies::get(&headers, cookies::SESSION);
    let result =
        auth::change_password(&state.app, &id.caller, &change, this_session.as_deref()).await;
    // Only a wrong current password keeps its count.
    if !matches!(&result, Err(e) if e.field() == Some("current_password")) {
        state.limiter.succeeded(&addr, &email);
    }
    match result {
        Ok(()) => Ok(Redirect::to("/account?done=password").into_response()),
        Err(e) => refused(&state, &id, e).await,
    }
}

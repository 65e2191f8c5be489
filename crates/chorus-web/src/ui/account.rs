//! The signed-in user's own page: API tokens for scripts.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::{Flash, FormData, Shell, done_flash, format_time, render_with_status};
use crate::auth::{Identity, PageUser};
use crate::error::PageError;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/account", get(show))
        .route("/account/tokens", post(create))
        .route("/account/tokens/{id}/revoke", post(revoke))
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
}

async fn page(
    state: &AppState,
    id: &Identity,
    status: StatusCode,
    flash: Option<Flash>,
    new_secret: Option<String>,
) -> Result<Response, PageError> {
    let tokens = state
        .store
        .api_tokens(id.user.id)
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
    let shell = Shell::new(state, id, "", "Your account")
        .await?
        .with_flash(flash);
    Ok(render_with_status(
        status,
        &AccountPage {
            shell,
            tokens,
            new_secret,
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

async fn create(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    form: FormData,
) -> Result<Response, PageError> {
    let name = match chorus_core::validate::text(form.get("name"), 80) {
        Ok(n) => n,
        Err(e) => {
            return page(
                &state,
                &id,
                StatusCode::UNPROCESSABLE_ENTITY,
                Flash::error(format!("Token name: {e}")),
                None,
            )
            .await;
        }
    };
    let created = state
        .store
        .create_api_token(&id.author(), id.user.id, &name)
        .await?;
    page(
        &state,
        &id,
        StatusCode::OK,
        Flash::success("Token created. Copy it now: it is shown only once."),
        Some(created.secret),
    )
    .await
}

async fn revoke(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(token): Path<i64>,
) -> Result<Response, PageError> {
    state
        .store
        .revoke_api_token(&id.author(), id.user.id, token)
        .await?;
    Ok(Redirect::to("/account?done=token").into_response())
}

//! "Sign in with …": the two legs of an OpenID Connect sign-in. The first sends the browser to
//! the provider with a fresh `state`, also kept in a short-lived cookie; the second, where the
//! provider sends it back, hands the code, the state and that cookie to `chorus_app::sso`, and
//! sets the session cookie it answers. Everything that decides is in the use case.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chorus_app::sso;
use serde::Deserialize;

use super::{after_login, capitalized, login_form};
use crate::auth::cookies;
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::Flash;

/// How long the state cookie lives: as long as the sign-in it belongs to.
const STATE_COOKIE_SECS: u64 = 600;

#[derive(Deserialize)]
pub(super) struct BeginQuery {
    next: Option<String>,
}

pub(super) async fn begin(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    Query(q): Query<BeginQuery>,
) -> Response {
    let next = after_login(q.next.as_deref());
    match sso::begin(&state.app, &provider, &next).await {
        Ok(Ok(begun)) => {
            let mut resp = Redirect::to(&begun.url).into_response();
            resp.headers_mut().append(
                header::SET_COOKIE,
                cookies::set(
                    cookies::SSO_STATE,
                    &begun.state,
                    STATE_COOKIE_SECS,
                    state.config.cookie_secure,
                ),
            );
            resp
        }
        Ok(Err(refused)) => {
            tracing::warn!(provider, %refused, "single sign-on could not start");
            refused_page(&state, &provider, StatusCode::BAD_GATEWAY, &refused, next)
        }
        Err(e) => PageError::from(e).into_response(),
    }
}

#[derive(Deserialize)]
pub(super) struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

pub(super) async fn callback(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Response {
    let callback = sso::Callback {
        code: q.code,
        state: q.state,
        iss: q.iss,
        error: q.error,
        error_description: q.error_description,
    };
    let browser_state = cookies::get(&headers, cookies::SSO_STATE);
    let brought = cookies::get(&headers, cookies::SESSION);
    let secure = state.config.cookie_secure;
    let mut resp = match sso::finish(
        &state.app,
        &provider,
        &callback,
        browser_state.as_deref(),
        brought.as_deref(),
    )
    .await
    {
        Ok(Ok(done)) => {
            tracing::info!(
                user_id = done.user.0,
                provider,
                created = done.created,
                "signed in with single sign-on"
            );
            let mut resp = Redirect::to(&after_login(Some(&done.next))).into_response();
            resp.headers_mut().append(
                header::SET_COOKIE,
                cookies::set(
                    cookies::SESSION,
                    &done.token,
                    state.config.session_ttl.as_secs(),
                    secure,
                ),
            );
            resp
        }
        Ok(Err(refused)) => {
            let status = match refused {
                sso::Refused::Unreachable(_) | sso::Refused::Provider(_) => StatusCode::BAD_GATEWAY,
                sso::Refused::NoAccess | sso::Refused::Deactivated => StatusCode::FORBIDDEN,
                _ => StatusCode::UNAUTHORIZED,
            };
            refused_page(&state, &provider, status, &refused, after_login(None))
        }
        Err(e) => PageError::from(e).into_response(),
    };
    resp.headers_mut().append(
        header::SET_COOKIE,
        cookies::clear(cookies::SSO_STATE, secure),
    );
    resp
}

/// The sign-in page again, saying what went wrong with which provider.
fn refused_page(
    state: &AppState,
    provider: &str,
    status: StatusCode,
    refused: &sso::Refused,
    next: String,
) -> Response {
    let name = sso::providers(&state.app)
        .into_iter()
        .find(|p| p.id == provider)
        .map(|p| p.display_name)
        .unwrap_or_else(|| provider.to_owned());
    login_form(
        state,
        status,
        String::new(),
        next,
        Flash::error(format!(
            "Sign-in with {name} did not work. {}",
            capitalized(&refused.to_string())
        )),
    )
}

//! Signing in and out.

use std::net::SocketAddr;

use askama::Template;
use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chorus_core::user::Email;
use serde::Deserialize;

use super::{Flash, FormData, Shell, render_with_status};
use crate::auth::{Identity, constant_time_eq, cookies, safe_next};
use crate::error::{AppError, PageError};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    shell: Shell,
    email: String,
    next: String,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// The client's address, for rate limiting ("unknown" when not served over TCP, as in tests
/// that call the router directly).
struct ClientAddr(String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip().to_string())
                .unwrap_or_else(|| "unknown".to_owned()),
        ))
    }
}

fn login_form(
    state: &AppState,
    status: StatusCode,
    email: String,
    next: String,
    flash: Option<Flash>,
) -> Response {
    let token = crate::auth::random_token();
    let page = LoginPage {
        shell: Shell::bare("Sign in", token.clone()).with_flash(flash),
        email,
        next,
    };
    let mut resp = render_with_status(status, &page);
    resp.headers_mut().append(
        header::SET_COOKIE,
        cookies::set(
            cookies::LOGIN_CSRF,
            &token,
            3600,
            state.config.cookie_secure,
        ),
    );
    resp
}

async fn login_page(
    State(state): State<AppState>,
    identity: Option<axum::Extension<Identity>>,
    Query(q): Query<NextQuery>,
) -> Response {
    let next = safe_next(q.next.as_deref());
    if identity.is_some() {
        return Redirect::to(&next).into_response();
    }
    login_form(&state, StatusCode::OK, String::new(), next, None)
}

async fn login(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    form: FormData,
) -> Response {
    let next = safe_next(Some(form.get("next")));
    let raw_email = form.get("email").trim().to_owned();
    let expected = cookies::get(&headers, cookies::LOGIN_CSRF).unwrap_or_default();
    if expected.is_empty() || !constant_time_eq(form.get("csrf").as_bytes(), expected.as_bytes()) {
        return login_form(
            &state,
            StatusCode::FORBIDDEN,
            raw_email,
            next,
            Flash::error("The sign-in form expired. Please try again."),
        );
    }
    let email = match Email::parse(&raw_email) {
        Ok(e) => e,
        Err(e) => {
            return login_form(
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                raw_email,
                next,
                Flash::error(format!("Email: {e}")),
            );
        }
    };
    if let Err(wait) = state.limiter.check(&addr, email.as_str()) {
        let mut resp = login_form(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            raw_email,
            next,
            Flash::error(format!(
                "Too many failed sign-ins. Try again in {} minutes.",
                wait.div_ceil(60)
            )),
        );
        if let Ok(v) = wait.to_string().parse() {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return resp;
    }
    match check_password(&state, &email, form.get("password")).await {
        Ok(Some(user_id)) => {
            state.limiter.succeeded(email.as_str());
            let ttl = state.config.session_ttl;
            match state
                .store
                .create_session(user_id, ttl.as_millis() as i64)
                .await
            {
                Ok((token, _)) => {
                    tracing::info!(user_id = user_id.0, "signed in");
                    let mut resp = Redirect::to(&next).into_response();
                    let secure = state.config.cookie_secure;
                    let headers = resp.headers_mut();
                    headers.append(
                        header::SET_COOKIE,
                        cookies::set(cookies::SESSION, &token, ttl.as_secs(), secure),
                    );
                    headers.append(
                        header::SET_COOKIE,
                        cookies::clear(cookies::LOGIN_CSRF, secure),
                    );
                    resp
                }
                Err(e) => PageError::from(e).into_response(),
            }
        }
        Ok(None) => {
            state.limiter.failed(&addr, email.as_str());
            login_form(
                &state,
                StatusCode::UNAUTHORIZED,
                raw_email,
                next,
                Flash::error("The email or password is not correct. Check both and try again."),
            )
        }
        Err(e) => PageError(e).into_response(),
    }
}

/// Checks the password off the async threads (Argon2 takes tens of milliseconds on purpose).
async fn check_password(
    state: &AppState,
    email: &Email,
    password: &str,
) -> Result<Option<chorus_core::UserId>, AppError> {
    let creds = state.store.login_credentials(email).await?;
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || match creds {
        Some((id, hash)) => chorus_core::password::verify(&password, &hash).then_some(id),
        None => {
            chorus_core::password::verify_dummy(&password);
            None
        }
    })
    .await
    .map_err(|e| AppError::Internal(format!("password check: {e}")))
}

async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = cookies::get(&headers, cookies::SESSION)
        && let Err(e) = state.store.delete_session(&token).await
    {
        return PageError::from(e).into_response();
    }
    let mut resp = Redirect::to("/login").into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        cookies::clear(cookies::SESSION, state.config.cookie_secure),
    );
    resp
}

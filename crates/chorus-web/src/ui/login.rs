//! Signing in and out.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chorus_app::auth;
use serde::Deserialize;

use super::{Flash, FormData, Shell, render_with_status};
use crate::auth::client::ClientAddr;
use crate::auth::{Identity, constant_time_eq, cookies};
use crate::error::PageError;
use crate::redirect::local_target;
use crate::state::AppState;

mod sso;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/login/sso/{provider}", get(sso::begin))
        .route("/login/sso/{provider}/callback", get(sso::callback))
        .route("/logout", post(logout))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    shell: Shell,
    email: String,
    next: String,
    /// `next`, encoded for the providers' links.
    next_encoded: String,
    providers: Vec<chorus_app::sso::ProviderInfo>,
    /// Whether the password form is for everyone (otherwise it is folded away for break-glass
    /// admins).
    password_for_everyone: bool,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

pub(super) fn login_form(
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
        next_encoded: url::form_urlencoded::byte_serialize(next.as_bytes()).collect(),
        next,
        providers: chorus_app::sso::providers(&state.app),
        password_for_everyone: *chorus_app::sso::password_sign_in(&state.app)
            == chorus_core::sso::PasswordSignIn::Everyone,
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

/// Where to go after signing in: the `next` the link or the form carried when it is a page of
/// this site, otherwise the playbook. Falling back rather than refusing is deliberate (and was
/// already the behaviour for absolute URLs): `next` comes from links anyone can craft, and a bad
/// one must not stop a person from signing in — only from being sent off-site.
pub(super) fn after_login(next: Option<&str>) -> String {
    const HOME: &str = "/playbook";
    local_target(next.unwrap_or(""), HOME).unwrap_or_else(|_| HOME.to_owned())
}

async fn login_page(
    State(state): State<AppState>,
    identity: Option<axum::Extension<Identity>>,
    Query(q): Query<NextQuery>,
) -> Response {
    let next = after_login(q.next.as_deref());
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
    let next = after_login(Some(form.get("next")));
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
    // The limiter counts the attempt now, before the password is checked, per address and per
    // email as the email will be read (lowercased); see `auth::limiter` for why an email guessed
    // at from many addresses is slowed down rather than refused.
    let email_key = raw_email.to_lowercase();
    let admitted = match state.limiter.begin(&addr, &email_key) {
        Ok(admitted) => admitted,
        Err(wait) => return too_many(&state, raw_email, next, wait),
    };
    if !admitted.delay.is_zero() {
        tokio::time::sleep(admitted.delay).await;
    }
    let brought = cookies::get(&headers, cookies::SESSION);
    match auth::log_in(
        &state.app,
        &raw_email,
        form.get("password"),
        brought.as_deref(),
    )
    .await
    {
        Ok(session) => {
            state.limiter.succeeded(&addr, &email_key);
            tracing::info!(user_id = session.user.0, "signed in");
            let mut resp = Redirect::to(&next).into_response();
            let secure = state.config.cookie_secure;
            let headers = resp.headers_mut();
            headers.append(
                header::SET_COOKIE,
                cookies::set(
                    cookies::SESSION,
                    &session.token,
                    state.config.session_ttl.as_secs(),
                    secure,
                ),
            );
            headers.append(
                header::SET_COOKIE,
                cookies::clear(cookies::LOGIN_CSRF, secure),
            );
            resp
        }
        // The failure was counted before the check.
        Err(chorus_app::Error::Unauthenticated) => login_form(
            &state,
            StatusCode::UNAUTHORIZED,
            raw_email,
            next,
            Flash::error("The email or password is not correct. Check both and try again."),
        ),
        Err(chorus_app::Error::Forbidden(message)) => login_form(
            &state,
            StatusCode::FORBIDDEN,
            raw_email,
            next,
            Flash::error(capitalized(&message)),
        ),
        Err(chorus_app::Error::Invalid { message, .. }) => login_form(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            raw_email,
            next,
            Flash::error(format!("Email: {message}")),
        ),
        Err(e) => PageError::from(e).into_response(),
    }
}

/// A message from the use cases as the first sentence of a flash.
pub(super) fn capitalized(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => format!(
            "{}{}.",
            first.to_uppercase(),
            chars.as_str().trim_end_matches('.')
        ),
        None => String::new(),
    }
}

/// The form again, saying how long to wait (and `Retry-After`).
fn too_many(state: &AppState, email: String, next: String, wait: u64) -> Response {
    let mut resp = login_form(
        state,
        StatusCode::TOO_MANY_REQUESTS,
        email,
        next,
        Flash::error(format!(
            "Too many failed sign-ins. Try again in {} minutes.",
            wait.div_ceil(60)
        )),
    );
    if let Ok(v) = wait.to_string().parse() {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = cookies::get(&headers, cookies::SESSION)
        && let Err(e) = auth::log_out(&state.app, &token).await
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

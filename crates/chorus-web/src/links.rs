//! `GET /l/{code}`: the click redirect of a link in a published post. Public (no sign-in, no
//! CSRF: it changes nothing a person owns), outside `/api`.
//!
//! The handler only translates: the code from the path and the user agent go to
//! `chorus_app::links::follow`, whose answer — the stored target, UTM tags included — becomes a
//! `302 Found`; anything else is the 404 page. The `Location` is never built from the request.
//! Every answer carries `Cache-Control: no-store` (a cached redirect would skip the count) and
//! `Referrer-Policy: no-referrer` (the target learns where the visitor came from through the
//! UTM tags, not through our address or the page they clicked on).

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::error::{AppError, PageError};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/l/{code}", get(follow))
}

async fn follow(
    State(state): State<AppState>,
    code: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    let user_agent = headers
        .get(header::USER_AGENT)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let answer = match code {
        Ok(Path(code)) => chorus_app::links::follow(&state.app, &code, user_agent.as_deref()).await,
        Err(_) => Err(chorus_app::Error::NotFound("link")),
    };
    let mut response = match answer.map(|l| HeaderValue::from_str(&l)) {
        Ok(Ok(location)) => (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
        Ok(Err(_)) => PageError(AppError::NotFound("link")).into_response(),
        Err(e) => PageError::from(e).into_response(),
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

//! Who is asking: a browser session (cookie) or a script (API token), resolved once per request
//! by [`identify`], which also enforces CSRF protection.
//!
//! CSRF: every state-changing request (POST, PUT, PATCH, DELETE) authenticated by the session
//! cookie must carry the session's CSRF token, either in the `X-CSRF-Token` header (htmx and
//! `fetch` send it) or as the `csrf` field of a urlencoded form. Requests authenticated by an API
//! token need no CSRF token: browsers never attach one on their own. The cookie is also
//! `SameSite=Lax` and `HttpOnly`, as a second line.

pub mod client;
pub mod cookies;
pub mod limiter;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use chorus_app::{Caller, auth};
use chorus_core::user::User;

use crate::error::{AppError, PageError, ShownError};
use crate::state::AppState;

/// The authenticated user of this request.
#[derive(Debug, Clone)]
pub struct Identity {
    /// Who the use cases act for (the same person as `user`, with their memberships).
    pub caller: Caller,
    pub user: User,
    /// The session's CSRF token (to put in forms); `None` for API-token requests.
    pub csrf: Option<String>,
}

/// Middleware: resolves the identity and checks CSRF, then calls the handler.
pub async fn identify(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match resolve(&state, req).await {
        Ok(req) => {
            // A page error for someone signed in is shown inside the layout, with the
            // navigation and a way back (an htmx fragment request keeps the bare answer).
            let signed_in = req
                .extensions()
                .get::<Identity>()
                .filter(|id| id.csrf.is_some())
                .filter(|_| !req.headers().contains_key("hx-request"))
                .cloned();
            let path = req.uri().path().to_owned();
            let response = next.run(req).await;
            let shown = response.extensions().get::<ShownError>().cloned();
            match (signed_in, shown) {
                (Some(id), Some(shown)) => {
                    crate::ui::error_in_layout(&state, &id, &path, response.status(), shown)
                        .await
                        .unwrap_or(response)
                }
                _ => response,
            }
        }
        Err(err) => {
            if req_is_api_path(&err.1) {
                err.0.into_response()
            } else {
                PageError(err.0).into_response()
            }
        }
    }
}

fn req_is_api_path(path: &str) -> bool {
    path.starts_with("/api/")
}

async fn resolve(state: &AppState, req: Request) -> Result<Request, (AppError, String)> {
    let path = req.uri().path().to_owned();
    let fail = |e: chorus_app::Error| (AppError::from(e), path.clone());
    if let Some(token) = bearer_token(&req) {
        let Some(signed_in) = auth::bearer(&state.app, &token).await.map_err(fail)? else {
            return Err((AppError::Unauthenticated, path.clone()));
        };
        let mut req = req;
        req.extensions_mut().insert(Identity::from(signed_in));
        return Ok(req);
    }
    // The login form carries its own token (there is no session yet, or the one the browser
    // brought is about to be replaced): the session is not resolved for it.
    if path == LOGIN_PATH && req.method() == Method::POST {
        return Ok(req);
    }
    // Reach's public pages serve visitors, never a session: their forms carry their own
    // protection (see `ui::reach_public`), and a signed-in marketer trying a landing page
    // posts like anyone else.
    if path.starts_with(PUBLIC_REACH) {
        return Ok(req);
    }
    let Some(cookie) = cookies::get(req.headers(), cookies::SESSION) else {
        return Ok(req);
    };
    let Some(signed_in) = auth::session(&state.app, &cookie).await.map_err(fail)? else {
        return Ok(req);
    };
    let identity = Identity::from(signed_in);
    let mut req = match (&identity.csrf, is_state_changing(req.method())) {
        (Some(csrf), true) => {
            // An asset upload's body is larger than other forms' (see ui::reach::body_limit).
            let limit = crate::ui::reach::body_limit(state, req.method(), &path)
                .unwrap_or(state.config.max_body_bytes);
            check_csrf(req, csrf, limit)
                .await
                .map_err(|e| (e, path.clone()))?
        }
        _ => req,
    };
    req.extensions_mut().insert(identity);
    Ok(req)
}

/// Where the login form posts.
const LOGIN_PATH: &str = "/login";

/// Where Reach's public pages live.
const PUBLIC_REACH: &str = "/r/";

impl From<auth::SignedIn> for Identity {
    fn from(s: auth::SignedIn) -> Self {
        Identity {
            caller: s.caller,
            user: s.user,
            csrf: s.csrf,
        }
    }
}

fn bearer_token(req: &Request) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))?;
    Some(token.trim().to_owned())
}

fn is_state_changing(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

const CSRF_HEADER: &str = "x-csrf-token";

/// Passes the request on if it carries `expected`, reading the form body if it must.
async fn check_csrf(req: Request, expected: &str, limit: usize) -> Result<Request, AppError> {
    let denied = || {
        AppError::Forbidden(
        "the form is missing its security token or it has expired; reload the page and try again"
            .into(),
    )
    };
    if let Some(v) = req.headers().get(CSRF_HEADER) {
        return if constant_time_eq(v.as_bytes(), expected.as_bytes()) {
            Ok(req)
        } else {
            Err(denied())
        };
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let boundary = multipart_boundary(&content_type);
    if !content_type.starts_with("application/x-www-form-urlencoded") && boundary.is_none() {
        return Err(denied());
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| AppError::PayloadTooLarge { limit })?;
    let token = match &boundary {
        Some(b) => multipart_field(&bytes, b, "csrf"),
        None => form_urlencoded_field(&bytes, "csrf"),
    };
    match token {
        Some(t) if constant_time_eq(t.as_bytes(), expected.as_bytes()) => {
            Ok(Request::from_parts(parts, axum::body::Body::from(bytes)))
        }
        _ => Err(denied()),
    }
}

/// The boundary of a `multipart/form-data` content type.
fn multipart_boundary(content_type: &str) -> Option<String> {
    if !content_type.starts_with("multipart/form-data") {
        return None;
    }
    content_type.split(';').find_map(|p| {
        let v = p.trim().strip_prefix("boundary=")?;
        let v = v.trim_matches('"');
        (!v.is_empty()).then(|| v.to_owned())
    })
}

/// The text value of the part named `name` in a multipart body (forms put the hidden `csrf`
/// input first, so uploads without JavaScript carry their token too).
fn multipart_field(body: &[u8], boundary: &str, name: &str) -> Option<String> {
    let delimiter = format!("--{boundary}");
    let text = String::from_utf8_lossy(body);
    let wanted = format!("name=\"{name}\"");
    text.split(delimiter.as_str()).find_map(|part| {
        let (headers, value) = part.split_once("\r\n\r\n")?;
        let disposition = headers
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))?;
        let is_it = disposition.split(';').any(|p| p.trim() == wanted);
        is_it.then(|| value.strip_suffix("\r\n").unwrap_or(value).to_owned())
    })
}

fn form_urlencoded_field(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// 32 random bytes, base64url (for CSRF tokens).
pub(crate) fn random_token() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Extractor for API handlers: the identity, or 401.
pub struct ApiUser(pub Identity);

impl<S: Send + Sync> FromRequestParts<S> for ApiUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Identity>()
            .cloned()
            .map(ApiUser)
            .ok_or(AppError::Unauthenticated)
    }
}

/// Extractor for pages: the identity, or a redirect to the login page that comes back here.
pub struct PageUser(pub Identity);

impl<S: Send + Sync> FromRequestParts<S> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<Identity>() {
            Some(id) => Ok(PageUser(id.clone())),
            None => {
                let next = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                let target = format!("/login?next={}", urlencode(next));
                Err(Redirect::to(&target).into_response())
            }
        }
    }
}

/// Percent-encodes everything but unreserved characters.
pub(crate) fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_field_and_comparison() {
        assert_eq!(
            form_urlencoded_field(b"a=1&csrf=abc%2Bd&b=2", "csrf").as_deref(),
            Some("abc+d")
        );
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert_eq!(urlencode("/a b?c=d"), "/a%20b%3Fc%3Dd");
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntok\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n--XyZ--\r\n";
        let b = multipart_boundary("multipart/form-data; boundary=XyZ").unwrap();
        assert_eq!(multipart_field(body, &b, "csrf").as_deref(), Some("tok"));
        assert_eq!(multipart_field(body, &b, "nope"), None);
        assert_eq!(multipart_boundary("text/plain"), None);
    }
}

//! The one place an error becomes an HTTP response.
//!
//! API errors are JSON: `{"error": {"code": "invalid_field", "message": "…", "field": "…"}}` with
//! a stable `code` clients can branch on. Page errors are a small HTML page. Internal errors are
//! logged with their detail and answered with a generic message: a 5xx body never carries
//! internal text.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chorus_core::{Denied, FieldError};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request is malformed or a value is invalid; `field` names it when known.
    #[error("{message}")]
    Invalid {
        field: Option<String>,
        message: String,
    },
    /// The request itself is malformed (not a value a person typed): e.g. a return address that
    /// leaves the site. Answered 400 before anything changes.
    #[error("{0}")]
    BadRequest(String),
    #[error("log in first")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{message}")]
    Conflict { field: String, message: String },
    /// Too many requests (a public form's rate limit); `retry_after_secs` goes out as
    /// `Retry-After`.
    #[error("{message}")]
    TooManyRequests {
        message: String,
        retry_after_secs: u64,
    },
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("internal error")]
    Internal(String),
}

impl AppError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Invalid {
            field: Some(field.into()),
            message: message.into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::Invalid { field: Some(_), .. } => "invalid_field",
            AppError::Invalid { field: None, .. } => "invalid_request",
            AppError::BadRequest(_) => "bad_request",
            AppError::Unauthenticated => "unauthenticated",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound(_) => "not_found",
            AppError::Conflict { .. } => "conflict",
            AppError::TooManyRequests { .. } => "rate_limited",
            AppError::PayloadTooLarge { .. } => "payload_too_large",
            AppError::Internal(_) => "internal",
        }
    }

    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::Invalid { field, .. } => field.as_deref(),
            AppError::Conflict { field, .. } => Some(field),
            _ => None,
        }
    }

    /// The message safe to show: internal detail is replaced, and input it quotes is cut
    /// short (see [`shorten_quotes`]).
    pub fn public_message(&self) -> String {
        match self {
            AppError::Internal(_) => {
                "something went wrong on our side; it has been logged".to_owned()
            }
            other => shorten_quotes(&other.to_string()),
        }
    }

    /// The field to show, cut short like quoted input (a JSON path can hold a map's key).
    fn public_field(&self) -> Option<String> {
        self.field()
            .map(|f| match f.char_indices().nth(MAX_FIELD_CHARS) {
                Some((cut, _)) => format!("{}…", &f[..cut]),
                None => f.to_owned(),
            })
    }

    fn log(&self) {
        if let AppError::Internal(detail) = self {
            tracing::error!(error = %detail, "internal error");
        }
    }
}

/// The longest field name an answer shows.
const MAX_FIELD_CHARS: usize = 100;
/// The longest message an answer shows, whatever made it long.
const MAX_MESSAGE_CHARS: usize = 1000;

/// Cuts every quoted stretch (`"…"` with backslash escapes, as Rust's and serde's messages
/// quote values, or `` `…` `` as serde quotes names) to its first
/// [`chorus_core::validate::QUOTED_CHARS`] characters, and the whole message to
/// [`MAX_MESSAGE_CHARS`]. Parsers quote what they refuse through
/// `chorus_core::validate::quoted`, which is already short; this is the net under the messages
/// made elsewhere (serde's, and any that format a value themselves), at the one place errors
/// leave.
pub(crate) fn shorten_quotes(message: &str) -> String {
    use chorus_core::validate::QUOTED_CHARS;
    let mut out = String::with_capacity(message.len().min(MAX_MESSAGE_CHARS + 8));
    let mut chars = message.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c != '"' && c != '`' {
            continue;
        }
        let mut inside = String::new();
        let mut count = 0usize;
        let mut closed = false;
        while let Some(d) = chars.next() {
            if d == c {
                closed = true;
                break;
            }
            let escaped = (c == '"' && d == '\\').then(|| chars.next()).flatten();
            if count < QUOTED_CHARS {
                inside.push(d);
                inside.extend(escaped);
            }
            count += 1;
        }
        out.push_str(&inside);
        if closed {
            out.push(c);
        }
        if count > QUOTED_CHARS {
            out.push('…');
        }
    }
    match out.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}…", &out[..cut]),
        None => out,
    }
}

impl From<chorus_app::Error> for AppError {
    fn from(e: chorus_app::Error) -> Self {
        use chorus_app::Error as E;
        match e {
            E::Invalid { field, message } => AppError::Invalid { field, message },
            E::Unauthenticated => AppError::Unauthenticated,
            E::Forbidden(m) => AppError::Forbidden(m),
            E::NotFound(what) => AppError::NotFound(what),
            E::Conflict { field, message } => AppError::Conflict { field, message },
            E::Unavailable(message) => AppError::Invalid {
                field: None,
                message,
            },
            E::Internal(detail) => AppError::Internal(detail),
            E::RateLimited {
                message,
                retry_after_secs,
            } => AppError::TooManyRequests {
                message,
                retry_after_secs,
            },
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<crate::redirect::BadTarget> for AppError {
    fn from(e: crate::redirect::BadTarget) -> Self {
        AppError::BadRequest(e.to_string())
    }
}

impl From<Denied> for AppError {
    fn from(e: Denied) -> Self {
        AppError::Forbidden(e.to_string())
    }
}

impl From<FieldError> for AppError {
    fn from(e: FieldError) -> Self {
        AppError::Invalid {
            field: Some(e.field.into_owned()),
            message: e.message,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code: invalid_field, invalid_request, bad_request,
    /// unauthenticated, forbidden, not_found, conflict, rate_limited, payload_too_large,
    /// internal.
    pub code: &'static str,
    pub message: String,
    /// The offending field, when one is to blame.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// JSON error responses (the API).
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log();
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.public_message(),
                field: self.public_field(),
            },
        };
        (self.status(), Json(body)).into_response()
    }
}

/// What a page error said, kept on its response so the layout can show it again.
#[derive(Debug, Clone)]
pub struct ShownError {
    pub message: String,
    pub not_found: bool,
}

/// The same errors as an HTML page, for the UI.
#[derive(Debug)]
pub struct PageError(pub AppError);

impl<E: Into<AppError>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let err = self.0;
        err.log();
        if matches!(err, AppError::Unauthenticated) {
            return axum::response::Redirect::to("/login").into_response();
        }
        let status = err.status();
        let page = crate::ui::ErrorPage {
            status: status.as_u16(),
            reason: status.canonical_reason().unwrap_or("Error"),
            message: err.public_message(),
        };
        let mut response = (status, Html(page.render_html())).into_response();
        // The standalone page renders whatever happens (the database may be down); for a
        // signed-in person, `auth::identify` puts the same words inside the layout.
        response.extensions_mut().insert(ShownError {
            message: page.message,
            not_found: matches!(err, AppError::NotFound(_)),
        });
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_input_is_cut_short() {
        let long = "x".repeat(60_000);
        for (message, want) in [
            (
                "\"abc\" is not a date".to_owned(),
                "\"abc\" is not a date".to_owned(),
            ),
            (
                format!("invalid type: string {long:?}, expected i64"),
                format!("invalid type: string \"{}\"…, expected i64", "x".repeat(40)),
            ),
            (
                format!("unknown field `{long}`, expected `title`"),
                format!("unknown field `{}`…, expected `title`", "x".repeat(40)),
            ),
            (
                format!("{:?} is not a tag", format!("{}\"{long}", "a".repeat(39))),
                format!("\"{}\\\"\"… is not a tag", "a".repeat(39)),
            ),
            (
                format!("no market \"{long}"),
                format!("no market \"{}…", "x".repeat(40)),
            ),
        ] {
            assert_eq!(shorten_quotes(&message), want);
        }
        let e = AppError::invalid(long.clone(), long.clone());
        assert!(e.public_message().chars().count() <= MAX_MESSAGE_CHARS + 1);
        assert_eq!(
            e.public_field().unwrap().chars().count(),
            MAX_FIELD_CHARS + 1
        );
    }
}

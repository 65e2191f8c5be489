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
use chorus_store::StoreError;
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

    /// The message safe to show: internal detail is replaced.
    pub fn public_message(&self) -> String {
        match self {
            AppError::Internal(_) => {
                "something went wrong on our side; it has been logged".to_owned()
            }
            other => other.to_string(),
        }
    }

    fn log(&self) {
        if let AppError::Internal(detail) = self {
            tracing::error!(error = %detail, "internal error");
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { what } => AppError::NotFound(what),
            StoreError::AlreadyExists { what, field } => AppError::Conflict {
                field: field.to_owned(),
                message: format!("{what} already exists"),
            },
            e @ StoreError::Stale { .. } => AppError::Conflict {
                field: "state".to_owned(),
                message: e.to_string(),
            },
            StoreError::State(message) => AppError::Conflict {
                field: "state".to_owned(),
                message,
            },
            StoreError::Reference(message) => AppError::Invalid {
                field: None,
                message,
            },
            other => AppError::Internal(other.to_string()),
        }
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
    /// unauthenticated, forbidden, not_found, conflict, payload_too_large, internal.
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
                field: self.field().map(str::to_owned),
            },
        };
        (self.status(), Json(body)).into_response()
    }
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
        (status, Html(page.render_html())).into_response()
    }
}

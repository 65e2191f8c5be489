//! Urlencoded form bodies read as name/value pairs, so a malformed or partial form never fails
//! extraction: each handler validates the fields it needs and names the bad one.

use axum::extract::{FromRequest, Request};
use axum::response::{IntoResponse, Response};

use crate::error::{AppError, PageError};

pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    /// The first value of `name`, or "".
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// Every value of `name`, in order (checkboxes, multiple selects).
    pub fn get_all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Pairs whose name starts with `prefix`, with the prefix removed.
    pub fn with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> {
        self.0
            .iter()
            .filter_map(move |(k, v)| k.strip_prefix(prefix).map(|rest| (rest, v.as_str())))
    }
}

impl<S: Send + Sync> FromRequest<S> for FormData {
    type Rejection = Response;

    async fn from_request(req: Request, _: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, &())
            .await
            .map_err(|e| {
                PageError(AppError::Invalid {
                    field: None,
                    message: format!("could not read the form: {e}"),
                })
                .into_response()
            })?;
        serde_urlencoded::from_bytes(&bytes)
            .map(FormData)
            .map_err(|e| {
                PageError(AppError::Invalid {
                    field: None,
                    message: format!("the form is not valid urlencoded data: {e}"),
                })
                .into_response()
            })
    }
}

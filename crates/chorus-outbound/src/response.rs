//! An answer, and a body reader that stops at the size limit and the request's deadline.

use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{StatusCode, Url};
use tokio::time::{Instant, timeout_at};

use crate::error::{Error, from_reqwest};

/// The answer of the last hop. Its body is read with [`Response::bytes`] or
/// [`Response::text`], never beyond the client's size limit or the request's deadline.
#[derive(Debug)]
pub struct Response {
    inner: reqwest::Response,
    host: String,
    deadline: Instant,
    after: Duration,
    max_body_bytes: usize,
}

impl Response {
    pub(crate) fn new(
        inner: reqwest::Response,
        host: String,
        deadline: Instant,
        after: Duration,
        max_body_bytes: usize,
    ) -> Response {
        Response {
            inner,
            host,
            deadline,
            after,
            max_body_bytes,
        }
    }

    pub fn status(&self) -> StatusCode {
        self.inner.status()
    }

    pub fn headers(&self) -> &HeaderMap {
        self.inner.headers()
    }

    /// The URL that answered (after redirects).
    pub fn url(&self) -> &Url {
        self.inner.url()
    }

    /// The host that answered, as messages name it.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The response if its status is a success; otherwise [`Error::Status`], without the body.
    pub fn error_for_status(self) -> Result<Response, Error> {
        let status = self.status();
        if status.is_success() {
            Ok(self)
        } else {
            Err(Error::Status {
                host: self.host,
                status: status.as_u16(),
            })
        }
    }

    /// The body, refused with [`Error::TooLarge`] as soon as it passes the limit (a declared
    /// `Content-Length` over the limit is refused before reading).
    pub async fn bytes(mut self) -> Result<Vec<u8>, Error> {
        let limit = self.max_body_bytes;
        let too_large = |host: &str| Error::TooLarge {
            host: host.to_owned(),
            limit,
        };
        let declared = self.inner.content_length();
        if declared.is_some_and(|n| n > limit as u64) {
            return Err(too_large(&self.host));
        }
        let mut body = Vec::with_capacity(declared.map_or(0, |n| n as usize));
        loop {
            let chunk = timeout_at(self.deadline, self.inner.chunk())
                .await
                .map_err(|_| Error::TimedOut {
                    host: self.host.clone(),
                    after: self.after,
                })?
                .map_err(|e| from_reqwest(e, &self.host, self.after))?;
            let Some(chunk) = chunk else {
                return Ok(body);
            };
            if body.len() + chunk.len() > limit {
                return Err(too_large(&self.host));
            }
            body.extend_from_slice(&chunk);
        }
    }

    /// The body as text (invalid UTF-8 replaced), within the same limits.
    pub async fn text(self) -> Result<String, Error> {
        let bytes = self.bytes().await?;
        Ok(match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        })
    }
}

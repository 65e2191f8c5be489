//! XRPC over HTTP: queries (GET), procedures (POST JSON), blob uploads, and typed errors.
//!
//! Every call goes through a guarded [`chorus_outbound::Client`]: the server's address (and each
//! redirect hop) is checked against the installation's outbound policy, answers are bounded in
//! size and time. A refused address is [`XrpcError::Refused`], a permanent failure with nothing
//! sent to it.
//!
//! Rate limits are honoured: a 429 is retried after the server's `Retry-After` (or
//! `RateLimit-Reset`) when that wait is short enough, and reported as
//! [`XrpcError::RateLimited`] with the wait otherwise. No other error is retried here: whether
//! a failed write may be repeated is the caller's decision (see `publish`).
//!
//! Errors never carry a raw response body. From an error answer only the JSON `error` code (a
//! short token) is kept for the message; the JSON `message` is kept, truncated, in a field that
//! messages leave out, and logged where the answer is classified.

use std::time::Duration;

use chorus_outbound::header::HeaderMap;
use chorus_outbound::{Client, Method, StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{ErrorKind, NetworkError};

/// An XRPC call failed. Each variant says what to do about it.
///
/// `error` fields hold the answer's JSON `error` code (letters, digits and `_` only, at most 64;
/// empty otherwise); `message` fields hold its JSON `message`, cut to [`MAX_MESSAGE_CHARS`], for
/// logs: it is remote text, so the messages of this type never show it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum XrpcError {
    #[error("the access token has expired: refresh the session, or log in again")]
    ExpiredToken { message: String },
    #[error("the server refused the credentials{}: log in again with a valid app password", code_hint(.error))]
    Auth { error: String, message: String },
    #[error("rate limited by the server: retry {}", retry_hint(*.retry_after))]
    RateLimited { retry_after: Option<Duration> },
    #[error(
        "the server rejected the record: change the post (length, facets, embeds) before retrying"
    )]
    InvalidRecord { message: String },
    #[error("not found{}", code_hint(.error))]
    NotFound { error: String, message: String },
    #[error("request refused ({}): do not retry unchanged", status_hint(*.status, .error))]
    Rejected {
        status: u16,
        error: String,
        message: String,
    },
    #[error(
        "server error ({}): the request may or may not have taken effect; retry later",
        status_hint(*.status, .error)
    )]
    Server {
        status: u16,
        error: String,
        message: String,
    },
    #[error(
        "could not complete the request to {url}: {source}; it may or may not have taken effect"
    )]
    Transport {
        url: String,
        #[source]
        source: chorus_outbound::Error,
    },
    /// The outbound guard refused the address (or a redirect's): nothing was sent there.
    #[error("not sent to {url}: {source}")]
    Refused {
        url: String,
        #[source]
        source: chorus_outbound::Error,
    },
    #[error("unexpected response from {url}: {reason}")]
    Decode { url: String, reason: String },
    #[error("invalid URL: {0}")]
    Url(String),
}

/// How much of a remote error's JSON `message` is kept (for logs).
pub const MAX_MESSAGE_CHARS: usize = 200;

/// ` (Code)` after a message, or nothing when the answer named no code.
fn code_hint(error: &str) -> String {
    if error.is_empty() {
        String::new()
    } else {
        format!(" ({error})")
    }
}

/// `HTTP 500 InternalServerError`, or `HTTP 500` when the answer named no code.
fn status_hint(status: u16, error: &str) -> String {
    if error.is_empty() {
        format!("HTTP {status}")
    } else {
        format!("HTTP {status} {error}")
    }
}

fn retry_hint(d: Option<Duration>) -> String {
    match d {
        Some(d) => format!("after {} s", d.as_secs().max(1)),
        None => "later".to_owned(),
    }
}

impl XrpcError {
    /// The request may have reached the server and taken effect (lost response, 5xx). A refused
    /// address is not: the guard refuses before sending to it.
    pub fn is_ambiguous(&self) -> bool {
        matches!(self, XrpcError::Server { .. } | XrpcError::Transport { .. })
    }

    /// A failed exchange with `url`, by what the guard says: refused by policy, a URL that
    /// cannot be requested, or a transport failure.
    pub fn outbound(url: &Url, source: chorus_outbound::Error) -> XrpcError {
        let url = url.to_string();
        if source.is_refused() {
            XrpcError::Refused { url, source }
        } else if matches!(
            source,
            chorus_outbound::Error::BadUrl { .. } | chorus_outbound::Error::NoHost
        ) {
            XrpcError::Url(format!("{url}: {source}"))
        } else {
            XrpcError::Transport { url, source }
        }
    }
}

impl NetworkError for XrpcError {
    /// An expired token that reaches the caller is a session the agent could not refresh: the
    /// credentials must be presented again, so it is `Auth` (a caller holding the app password
    /// logs in once more before telling a person). An answer that does not decode is
    /// `Transient`: a proxy's error page or a cut answer, and publishing is safe to repeat.
    fn kind(&self) -> ErrorKind {
        match self {
            XrpcError::ExpiredToken { .. } | XrpcError::Auth { .. } => ErrorKind::Auth,
            XrpcError::RateLimited { retry_after } => ErrorKind::RateLimited {
                retry_after: *retry_after,
            },
            XrpcError::InvalidRecord { .. } | XrpcError::Rejected { .. } => ErrorKind::Rejected,
            XrpcError::NotFound { .. } => ErrorKind::NotFound,
            XrpcError::Server { .. } | XrpcError::Transport { .. } | XrpcError::Decode { .. } => {
                ErrorKind::TRANSIENT
            }
            XrpcError::Url(_) => ErrorKind::Invalid,
            XrpcError::Refused { .. } => ErrorKind::Refused,
        }
    }
}

/// How long a call may wait for a rate limit to reset before giving up, and how many times.
#[derive(Debug, Clone, Copy)]
pub struct RateLimitPolicy {
    pub max_wait: Duration,
    pub max_retries: u32,
}

impl Default for RateLimitPolicy {
    fn default() -> Self {
        RateLimitPolicy {
            max_wait: Duration::from_secs(30),
            max_retries: 3,
        }
    }
}

/// An XRPC client for one service (a PDS, an AppView, a PLC directory is plain HTTP), over a
/// guarded client (see [`super::http_client`]).
#[derive(Debug, Clone)]
pub struct Xrpc {
    http: Client,
    base: Url,
    pub rate_limit: RateLimitPolicy,
}

/// The body of a call.
enum Body<'a> {
    None,
    Json(Vec<u8>),
    Blob(&'a [u8], &'a str),
}

impl Xrpc {
    pub fn new(http: Client, base: &str) -> Result<Self, XrpcError> {
        let base = Url::parse(base).map_err(|e| XrpcError::Url(format!("{base}: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(XrpcError::Url(format!("{base}: not http(s)")));
        }
        Ok(Xrpc {
            http,
            base,
            rate_limit: RateLimitPolicy::default(),
        })
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    fn url(&self, nsid: &str) -> Result<Url, XrpcError> {
        self.base
            .join(&format!("/xrpc/{nsid}"))
            .map_err(|e| XrpcError::Url(e.to_string()))
    }

    /// GET `nsid` with query parameters.
    pub async fn query<T: DeserializeOwned>(
        &self,
        nsid: &str,
        params: &[(&str, &str)],
        token: Option<&str>,
    ) -> Result<T, XrpcError> {
        let mut url = self.url(nsid)?;
        url.query_pairs_mut().extend_pairs(params);
        self.call(Method::GET, url, Body::None, token).await
    }

    /// POST `nsid` with a JSON body.
    pub async fn procedure<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        nsid: &str,
        body: &B,
        token: Option<&str>,
    ) -> Result<T, XrpcError> {
        let url = self.url(nsid)?;
        let json = serde_json::to_vec(body).map_err(|e| XrpcError::Decode {
            url: url.to_string(),
            reason: e.to_string(),
        })?;
        self.call(Method::POST, url, Body::Json(json), token).await
    }

    /// POST `nsid` without a body (`com.atproto.server.refreshSession`).
    pub async fn procedure_no_body<T: DeserializeOwned>(
        &self,
        nsid: &str,
        token: Option<&str>,
    ) -> Result<T, XrpcError> {
        let url = self.url(nsid)?;
        self.call(Method::POST, url, Body::None, token).await
    }

    /// POST raw bytes (`com.atproto.repo.uploadBlob`).
    pub async fn upload<T: DeserializeOwned>(
        &self,
        nsid: &str,
        bytes: &[u8],
        mime: &str,
        token: Option<&str>,
    ) -> Result<T, XrpcError> {
        let url = self.url(nsid)?;
        self.call(Method::POST, url, Body::Blob(bytes, mime), token)
            .await
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        body: Body<'_>,
        token: Option<&str>,
    ) -> Result<T, XrpcError> {
        let mut attempt = 0;
        loop {
            let mut req = self.http.request(method.clone(), url.as_str());
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            req = match &body {
                Body::None => req,
                Body::Json(b) => req
                    .header("content-type", "application/json")
                    .body(b.clone()),
                Body::Blob(b, mime) => req.header("content-type", mime).body(b.to_vec()),
            };
            let outbound = |e| XrpcError::outbound(&url, e);
            let resp = req.send().await.map_err(outbound)?;
            let status = resp.status();
            let headers = resp.headers().clone();
            let bytes = resp.bytes().await.map_err(outbound)?;
            if status.is_success() {
                let bytes = if bytes.is_empty() {
                    &b"null"[..]
                } else {
                    &bytes[..]
                };
                return serde_json::from_slice(bytes).map_err(|e| XrpcError::Decode {
                    url: url.to_string(),
                    reason: e.to_string(),
                });
            }
            let err = classify(status, &headers, &bytes);
            tracing::info!(
                nsid = url.path(),
                status = status.as_u16(),
                error = error_code(&err),
                message = remote_message(&err),
                "xrpc call failed"
            );
            if let XrpcError::RateLimited { retry_after } = &err {
                let wait = retry_after.unwrap_or(Duration::from_secs(1));
                if attempt < self.rate_limit.max_retries && wait <= self.rate_limit.max_wait {
                    attempt += 1;
                    tracing::info!(
                        nsid = url.path(),
                        wait_ms = wait.as_millis() as u64,
                        "rate limited; waiting as the server asks"
                    );
                    tokio::time::sleep(wait).await;
                    continue;
                }
            }
            return Err(err);
        }
    }
}

#[derive(serde::Deserialize, Default)]
struct ErrorBody {
    #[serde(default)]
    error: String,
    #[serde(default)]
    message: String,
}

/// The JSON `error` code when it is a plain token (`InvalidToken`), else empty.
fn clean_code(code: String) -> String {
    if code.len() <= 64 && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        code
    } else {
        String::new()
    }
}

/// The JSON `message`, cut to [`MAX_MESSAGE_CHARS`], control characters dropped (for logs).
fn clean_message(message: &str) -> String {
    message
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_MESSAGE_CHARS)
        .collect()
}

/// The remote `error` code an error carries, for logs.
fn error_code(e: &XrpcError) -> &str {
    match e {
        XrpcError::Auth { error, .. }
        | XrpcError::NotFound { error, .. }
        | XrpcError::Rejected { error, .. }
        | XrpcError::Server { error, .. } => error,
        _ => "",
    }
}

/// The remote (truncated) `message` an error carries, for logs.
fn remote_message(e: &XrpcError) -> &str {
    match e {
        XrpcError::ExpiredToken { message }
        | XrpcError::InvalidRecord { message }
        | XrpcError::Auth { message, .. }
        | XrpcError::NotFound { message, .. }
        | XrpcError::Rejected { message, .. }
        | XrpcError::Server { message, .. } => message,
        _ => "",
    }
}

/// Maps a failed response to a typed error. Only a JSON body is read (its `error` and
/// `message`); any other body is ignored, never copied into the error.
pub fn classify(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> XrpcError {
    let parsed: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
    let error = clean_code(parsed.error);
    // Checked on the whole message; only a cut of it is kept.
    let record_problem = parsed.message.contains(" record:") || parsed.message.contains("$.record");
    let message = clean_message(&parsed.message);
    if status == StatusCode::TOO_MANY_REQUESTS || error == "RateLimitExceeded" {
        return XrpcError::RateLimited {
            retry_after: retry_after(headers),
        };
    }
    match error.as_str() {
        "ExpiredToken" => return XrpcError::ExpiredToken { message },
        "InvalidToken"
        | "AuthenticationRequired"
        | "AuthMissing"
        | "AccountTakedown"
        | "AccountDeactivated" => return XrpcError::Auth { error, message },
        "InvalidRequest" if record_problem => {
            return XrpcError::InvalidRecord { message };
        }
        "RecordNotFound" | "RepoNotFound" | "NotFound" | "BlobNotFound" => {
            return XrpcError::NotFound { error, message };
        }
        _ => {}
    }
    if status == StatusCode::UNAUTHORIZED {
        return XrpcError::Auth { error, message };
    }
    if status.is_server_error() {
        XrpcError::Server {
            status: status.as_u16(),
            error,
            message,
        }
    } else {
        XrpcError::Rejected {
            status: status.as_u16(),
            error,
            message,
        }
    }
}

/// The wait a 429 asks for: `Retry-After` (seconds or an HTTP date) or `RateLimit-Reset`
/// (Unix seconds, as Bluesky's servers send).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let header = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let now = jiff::Timestamp::now();
    if let Some(v) = header("retry-after") {
        if let Ok(secs) = v.parse::<u64>() {
            return Some(Duration::from_secs(secs));
        }
        if let Ok(at) = jiff::fmt::rfc2822::parse(v) {
            let secs = at.timestamp().as_second() - now.as_second();
            return Some(Duration::from_secs(secs.max(0) as u64));
        }
    }
    if let Some(reset) = header("ratelimit-reset").and_then(|v| v.parse::<i64>().ok()) {
        let secs = reset - now.as_second();
        return Some(Duration::from_secs(secs.max(0) as u64));
    }
    None
}

#[cfg(test)]
mod tests;

//! XRPC over HTTP: queries (GET), procedures (POST JSON), blob uploads, and typed errors.
//!
//! Rate limits are honoured: a 429 is retried after the server's `Retry-After` (or
//! `RateLimit-Reset`) when that wait is short enough, and reported as
//! [`XrpcError::RateLimited`] with the wait otherwise. No other error is retried here: whether
//! a failed write may be repeated is the caller's decision (see `publish`).

use std::time::Duration;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap};
use reqwest::{Method, StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{ErrorKind, NetworkError};

/// An XRPC call failed. Each variant says what to do about it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum XrpcError {
    #[error("the access token has expired ({message}): refresh the session, or log in again")]
    ExpiredToken { message: String },
    #[error(
        "the server refused the credentials ({error}: {message}): log in again with a valid app password"
    )]
    Auth { error: String, message: String },
    #[error("rate limited by the server: retry {}", retry_hint(*.retry_after))]
    RateLimited { retry_after: Option<Duration> },
    #[error(
        "the server rejected the record ({message}): change the post (length, facets, embeds) before retrying"
    )]
    InvalidRecord { message: String },
    #[error("not found ({error}: {message})")]
    NotFound { error: String, message: String },
    #[error("request refused ({status} {error}: {message}): do not retry unchanged")]
    Rejected {
        status: u16,
        error: String,
        message: String,
    },
    #[error(
        "server error ({status} {error}: {message}): the request may or may not have taken effect; retry later"
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
        source: reqwest::Error,
    },
    #[error("unexpected response from {url}: {reason}")]
    Decode { url: String, reason: String },
    #[error("invalid URL: {0}")]
    Url(String),
}

fn retry_hint(d: Option<Duration>) -> String {
    match d {
        Some(d) => format!("after {} s", d.as_secs().max(1)),
        None => "later".to_owned(),
    }
}

impl XrpcError {
    /// The request may have reached the server and taken effect (lost response, 5xx).
    pub fn is_ambiguous(&self) -> bool {
        matches!(self, XrpcError::Server { .. } | XrpcError::Transport { .. })
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

/// An XRPC client for one service (a PDS, an AppView, a PLC directory is plain HTTP).
#[derive(Debug, Clone)]
pub struct Xrpc {
    http: reqwest::Client,
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
    pub fn new(http: reqwest::Client, base: &str) -> Result<Self, XrpcError> {
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
            let mut req = self.http.request(method.clone(), url.clone());
            if let Some(t) = token {
                req = req.header(AUTHORIZATION, format!("Bearer {t}"));
            }
            req = match &body {
                Body::None => req,
                Body::Json(b) => req.header(CONTENT_TYPE, "application/json").body(b.clone()),
                Body::Blob(b, mime) => req.header(CONTENT_TYPE, *mime).body(b.to_vec()),
            };
            let transport = |source| XrpcError::Transport {
                url: url.to_string(),
                source,
            };
            let resp = req.send().await.map_err(transport)?;
            let status = resp.status();
            let headers = resp.headers().clone();
            let bytes = resp.bytes().await.map_err(transport)?;
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

/// Maps a failed response to a typed error.
pub fn classify(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> XrpcError {
    let ErrorBody { error, message } = serde_json::from_slice(body).unwrap_or_default();
    let message = if message.is_empty() {
        String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned()
    } else {
        message
    };
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
        "InvalidRequest" if message.contains(" record:") || message.contains("$.record") => {
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

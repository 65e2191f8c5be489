//! Fetching a feed: conditional GET (`If-None-Match` / `If-Modified-Since` from the last
//! answer's `ETag` / `Last-Modified`), a size cap, a timeout, redirects re-checked by the guard.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::guard::{Guard, Refused, resolver};

/// What the last successful fetch said about the feed's version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validators {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub etag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub last_modified: Option<String>,
}

/// The answer to a conditional GET.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// 304: nothing changed since `Validators`.
    NotModified,
    Body {
        bytes: Vec<u8>,
        validators: Validators,
    },
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    #[error(transparent)]
    Refused(#[from] Refused),
    #[error("{0} is not a URL")]
    BadUrl(String),
    #[error("{url} answered {status}")]
    Status { url: String, status: u16 },
    #[error("{url} sent more than {max} bytes")]
    TooLarge { url: String, max: usize },
    #[error("fetching {url}: {message}")]
    Http { url: String, message: String },
}

/// Largest feed body accepted.
pub const MAX_FEED_BYTES: usize = 5 << 20;

/// An HTTP client that only fetches what the guard allows.
#[derive(Debug, Clone)]
pub struct FeedClient {
    http: reqwest::Client,
    guard: Guard,
}

impl FeedClient {
    pub fn new(guard: Guard) -> Result<FeedClient, FetchError> {
        // reqwest is built with rustls and no default provider (one crypto backend: ring);
        // installing fails only when one is installed already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let redirect_guard = guard;
        let http = reqwest::Client::builder()
            .user_agent(concat!(
                "chorus/",
                env!("CARGO_PKG_VERSION"),
                " (feed reader)"
            ))
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .dns_resolver(resolver(guard))
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() >= 5 {
                    return attempt.error("too many redirects");
                }
                match redirect_guard.check_url(attempt.url()) {
                    Ok(()) => attempt.follow(),
                    Err(e) => attempt.error(e),
                }
            }))
            .build()
            .map_err(|e| FetchError::Http {
                url: String::new(),
                message: e.to_string(),
            })?;
        Ok(FeedClient { http, guard })
    }

    /// GETs `url` conditionally.
    pub async fn fetch(&self, url: &str, known: &Validators) -> Result<Fetched, FetchError> {
        let parsed = url::Url::parse(url).map_err(|_| FetchError::BadUrl(url.to_owned()))?;
        self.guard.check_url(&parsed)?;
        let mut req = self.http.get(parsed).header(
            "accept",
            "application/atom+xml, application/rss+xml, application/feed+json, application/xml;q=0.9, */*;q=0.5",
        );
        if let Some(e) = &known.etag {
            req = req.header("if-none-match", e);
        }
        if let Some(m) = &known.last_modified {
            req = req.header("if-modified-since", m);
        }
        let http_err = |e: reqwest::Error| {
            // The guard's refusal travels inside reqwest's error chain; surface it as such.
            let mut src: Option<&dyn std::error::Error> = Some(&e);
            while let Some(s) = src {
                if let Some(r) = s.downcast_ref::<Refused>() {
                    return FetchError::Refused(r.clone());
                }
                src = s.source();
            }
            FetchError::Http {
                url: url.to_owned(),
                message: e.to_string(),
            }
        };
        let mut resp = req.send().await.map_err(http_err)?;
        let status = resp.status();
        if status == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        if !status.is_success() {
            return Err(FetchError::Status {
                url: url.to_owned(),
                status: status.as_u16(),
            });
        }
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let validators = Validators {
            etag: header("etag"),
            last_modified: header("last-modified"),
        };
        let mut bytes = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(http_err)? {
            if bytes.len() + chunk.len() > MAX_FEED_BYTES {
                return Err(FetchError::TooLarge {
                    url: url.to_owned(),
                    max: MAX_FEED_BYTES,
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Fetched::Body { bytes, validators })
    }
}

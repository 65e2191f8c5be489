//! Fetching a feed: conditional GET (`If-None-Match` / `If-Modified-Since` from the last
//! answer's `ETag` / `Last-Modified`) through the outbound guard (`chorus_outbound`): every
//! address and redirect hop checked against the installation's policy, no proxy from the
//! environment, a size cap and a deadline.

use std::time::Duration;

use chorus_outbound::{Client, Limits, Policy};
use serde::{Deserialize, Serialize};

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
    /// Refused by the guard, or the exchange failed (the message names the host and why, never
    /// the remote body).
    #[error("{0}{hint}", hint = hint(.0))]
    Outbound(#[from] chorus_outbound::Error),
    #[error("{url} answered {status}")]
    Status { url: String, status: u16 },
}

/// Points a refusal the configuration can lift at the switch that lifts it.
fn hint(e: &chorus_outbound::Error) -> &'static str {
    match e {
        chorus_outbound::Error::Refused { class, .. }
            if Policy::allow_private_addresses(true).allows(*class) =>
        {
            " (set ingest.allow_private_addresses to allow)"
        }
        _ => "",
    }
}

/// Largest feed body accepted.
pub const MAX_FEED_BYTES: usize = 5 << 20;

/// The feed reader's limits: 10 s to connect, 30 s in all, [`MAX_FEED_BYTES`], 5 redirects.
pub fn feed_limits() -> Limits {
    Limits {
        connect_timeout: Duration::from_secs(10),
        timeout: Duration::from_secs(30),
        max_body_bytes: MAX_FEED_BYTES,
        max_redirects: 5,
    }
}

/// An HTTP client that only fetches what the outbound policy allows.
#[derive(Debug, Clone)]
pub struct FeedClient {
    http: Client,
}

impl FeedClient {
    /// A client under `policy` (what `ingest.allow_private_addresses` says) with the feed
    /// reader's limits and user agent.
    pub fn new(policy: Policy) -> Result<FeedClient, FetchError> {
        FeedClient::from_builder(&chorus_outbound::Builder::new(policy))
    }

    /// A client from the installation's outbound settings (policy, proxy), with the feed
    /// reader's limits and user agent.
    pub fn from_builder(outbound: &chorus_outbound::Builder) -> Result<FeedClient, FetchError> {
        let http = outbound
            .clone()
            .user_agent(concat!(
                "chorus/",
                env!("CARGO_PKG_VERSION"),
                " (feed reader)"
            ))
            .limits(feed_limits())
            .build()?;
        Ok(FeedClient { http })
    }

    /// A feed reader over a guarded client built elsewhere (its policy and limits apply).
    pub fn with_client(http: Client) -> FeedClient {
        FeedClient { http }
    }

    /// GETs `url` conditionally.
    pub async fn fetch(&self, url: &str, known: &Validators) -> Result<Fetched, FetchError> {
        let mut req = self.http.get(url).header(
            "accept",
            "application/atom+xml, application/rss+xml, application/feed+json, application/xml;q=0.9, */*;q=0.5",
        );
        if let Some(e) = &known.etag {
            req = req.header("if-none-match", e);
        }
        if let Some(m) = &known.last_modified {
            req = req.header("if-modified-since", m);
        }
        let resp = req.send().await?;
        let status = resp.status();
        if status == chorus_outbound::StatusCode::NOT_MODIFIED {
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
        let bytes = resp.bytes().await?;
        Ok(Fetched::Body { bytes, validators })
    }
}

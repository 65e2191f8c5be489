//! What a failed network call means, whatever the network: [`ErrorKind`].
//!
//! Every connector's error type implements [`NetworkError`], so the job queue decides what to do
//! (retry later, wait as asked, tell a person, give up) from the kind alone and a new network
//! plugs in without touching it. The kinds are drawn from what the networks actually answer:
//!
//! | kind | Bluesky (XRPC) | Mastodon (REST) |
//! | --- | --- | --- |
//! | `Transient` | 5xx, lost connection, timeout, PLC lookup failed | 5xx (502/503 while it restarts), lost connection |
//! | `RateLimited` | 429 / `RateLimitExceeded`, `RateLimit-Reset` | 429, `X-RateLimit-Reset` |
//! | `Auth` | 401 `AuthenticationRequired` (wrong or revoked app password), `InvalidToken`, `AccountTakedown`, `AccountDeactivated`, a session that could not be refreshed | 401 `invalid_token` (revoked OAuth token), 403 login disabled or account suspended |
//! | `Rejected` | `InvalidRecord`, other 4xx about the request, Bluesky's limits (300 graphemes, 4 images, alt text) | 422 `Validation failed` (500 characters, media) |
//! | `NotFound` | `RecordNotFound`, `RepoNotFound` (the post replied to was deleted) | 404, 410 |
//! | `Invalid` | a publication id reused for other content, a malformed `at://` URI, another account's record, a server URL that is not http(s) | an `Idempotency-Key` reused, a bad instance URL |
//! | `Refused` | the outbound guard refused the server's address (a PDS on loopback or a private network, a redirect there) | the same |

use std::fmt;
use std::time::Duration;

/// What a failed call means for the caller, independent of the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Failed for now: the same request later may succeed. The request may or may not have
    /// taken effect (a lost answer, a server error), which is safe because publishing is
    /// exactly-once per publication id. `retry_after` is the wait the network asked for, if it
    /// said.
    Transient { retry_after: Option<Duration> },
    /// The network asks to slow down; nothing was done. Retry after `retry_after` (or a backoff
    /// of the caller's choosing when it did not say).
    RateLimited { retry_after: Option<Duration> },
    /// The account's credentials were refused (revoked or changed app password, revoked token,
    /// suspended account): retrying cannot help; a person must reconnect the account.
    Auth,
    /// The network refused this content (too long, a missing alt text, an invalid record):
    /// permanent for this request; the post must change.
    Rejected,
    /// What the request acts on does not exist (the post to answer was deleted, the account is
    /// gone).
    NotFound,
    /// The request itself is wrong in a way neither waiting nor the author can fix (a
    /// publication id reused for other content, a malformed URI, a server URL that is not
    /// http(s)): a bug or a setting to correct.
    Invalid,
    /// The installation's outbound policy (`chorus-outbound`) refused the server's address — a
    /// PDS on loopback or a private network, or a redirect there — so nothing was sent to it.
    /// Permanent: retrying cannot help until the account moves to a reachable server or an
    /// operator allows that address class.
    Refused,
}

impl ErrorKind {
    /// Whether the same request may succeed later.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            ErrorKind::Transient { .. } | ErrorKind::RateLimited { .. }
        )
    }

    /// How long the network asked to wait before trying again, when it said.
    pub fn retry_after(self) -> Option<Duration> {
        match self {
            ErrorKind::Transient { retry_after } | ErrorKind::RateLimited { retry_after } => {
                retry_after
            }
            _ => None,
        }
    }

    /// A transient failure with no wait asked for.
    pub const TRANSIENT: ErrorKind = ErrorKind::Transient { retry_after: None };
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErrorKind::Transient { .. } => "transient",
            ErrorKind::RateLimited { .. } => "rate limited",
            ErrorKind::Auth => "credentials refused",
            ErrorKind::Rejected => "rejected",
            ErrorKind::NotFound => "not found",
            ErrorKind::Invalid => "invalid request",
            ErrorKind::Refused => "address refused by the outbound policy",
        })
    }
}

/// An error of a network connector, which knows its [`ErrorKind`].
pub trait NetworkError: std::error::Error + Send + Sync + 'static {
    fn kind(&self) -> ErrorKind;
}

/// Any connector's error, with its kind kept: what [`DynNetwork`](crate::DynNetwork) returns.
/// It displays as the connector's error did (which says what to do).
#[derive(Debug)]
pub struct DynNetworkError {
    kind: ErrorKind,
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl DynNetworkError {
    /// Wraps a connector's error.
    pub fn new<E: NetworkError>(error: E) -> Self {
        DynNetworkError {
            kind: error.kind(),
            source: Box::new(error),
        }
    }

    /// An error met around a network call rather than in it (the account's stored credentials
    /// cannot be opened, the database holding them is unreachable), classified by the caller.
    pub fn other(kind: ErrorKind, message: impl Into<String>) -> Self {
        DynNetworkError {
            kind,
            source: Box::new(Message(message.into())),
        }
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The connector's own error, when it is of type `E`.
    pub fn downcast_ref<E: std::error::Error + 'static>(&self) -> Option<&E> {
        self.source.downcast_ref()
    }
}

impl fmt::Display for DynNetworkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.source, f)
    }
}

impl std::error::Error for DynNetworkError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.source()
    }
}

impl NetworkError for DynNetworkError {
    fn kind(&self) -> ErrorKind {
        self.kind
    }
}

#[derive(Debug)]
struct Message(String);

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Message {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_transient_and_rate_limited_are_retryable() {
        let wait = Some(Duration::from_secs(7));
        for (kind, retry, after) in [
            (ErrorKind::Transient { retry_after: None }, true, None),
            (ErrorKind::RateLimited { retry_after: wait }, true, wait),
            (ErrorKind::Auth, false, None),
            (ErrorKind::Rejected, false, None),
            (ErrorKind::NotFound, false, None),
            (ErrorKind::Invalid, false, None),
            (ErrorKind::Refused, false, None),
        ] {
            assert_eq!(kind.is_retryable(), retry, "{kind}");
            assert_eq!(kind.retry_after(), after, "{kind}");
        }
    }

    #[test]
    fn a_wrapped_error_keeps_its_kind_text_and_type() {
        let e = DynNetworkError::other(ErrorKind::Auth, "reconnect the account");
        assert_eq!(e.kind(), ErrorKind::Auth);
        assert_eq!(e.to_string(), "reconnect the account");
        assert!(e.downcast_ref::<Message>().is_some());
        let again = DynNetworkError::new(e);
        assert_eq!(again.kind(), ErrorKind::Auth);
        assert_eq!(again.to_string(), "reconnect the account");
    }
}

//! What can go wrong with an outbound request, said without echoing the remote side.
//!
//! Messages name the host (from a URL the caller gave, or a redirect's `Location` parsed as a
//! URL), the address class that was refused and the limit that was hit. They never carry a
//! response body, a resolved address (which would map an internal network for whoever typed the
//! URL: the address is a field, for logs) or the text of a transport error (kept as the source,
//! for logs).

use std::net::IpAddr;
use std::time::Duration;

use crate::policy::AddressClass;

/// An outbound request that was refused or failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The URL did not parse.
    #[error("not a URL ({reason})")]
    BadUrl { reason: String },
    /// Only `http` and `https` are fetched.
    #[error("only http and https URLs can be fetched, not {scheme}:")]
    Scheme { scheme: String },
    #[error("the URL has no host")]
    NoHost,
    /// The host is, or resolves only to, addresses the policy refuses.
    #[error("{} {}: refused (outbound requests reach public addresses only)", host, is_or_resolves(host, *class))]
    Refused {
        host: String,
        class: AddressClass,
        /// The refused address (for logs; not in the message).
        addr: IpAddr,
    },
    /// A host pinned for tests was asked for on another port.
    #[error("{host} may only be reached on port {allowed}, not {port}: refused")]
    PortRefused {
        host: String,
        port: u16,
        allowed: u16,
    },
    /// The host name does not resolve.
    #[error("{host} does not resolve")]
    Resolve { host: String },
    /// No connection could be made (refused, unreachable, TLS handshake failed).
    #[error("could not connect to {host}")]
    Connect {
        host: String,
        #[source]
        source: reqwest::Error,
    },
    /// The request and its body took longer than allowed.
    #[error("{host} did not answer within {} s", after.as_secs_f32())]
    TimedOut { host: String, after: Duration },
    /// The body is larger than allowed.
    #[error("{host} sent more than {limit} bytes")]
    TooLarge { host: String, limit: usize },
    #[error("more than {max} redirects")]
    TooManyRedirects { max: usize },
    /// A redirect that would change the method (a POST answered with 301, 302 or 303): not
    /// followed, since following it would silently turn the request into a GET.
    #[error(
        "{host} answered {method} with a {status} redirect, which would change the method: not followed"
    )]
    RedirectChangesMethod {
        host: String,
        method: String,
        status: u16,
    },
    /// A redirect without a usable `Location`.
    #[error("{host} sent a redirect without a usable location")]
    BadRedirect { host: String },
    /// The answer is not a success (from [`Response::error_for_status`](crate::Response::error_for_status)).
    #[error("{host} answered HTTP {status}")]
    Status { host: String, status: u16 },
    /// Any other failure of the exchange (a broken connection, a protocol error).
    #[error("the request to {host} failed")]
    Http {
        host: String,
        #[source]
        source: reqwest::Error,
    },
    /// The request could not be built (an invalid header value, a body that cannot be sent
    /// twice for a redirect).
    #[error("the request could not be built: {reason}")]
    Request { reason: String },
    /// The client could not be built (no TLS provider, a bad proxy URL).
    #[error("the HTTP client could not be built: {reason}")]
    Build { reason: String },
}

fn is_or_resolves(host: &str, class: AddressClass) -> String {
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    if literal.parse::<IpAddr>().is_ok() {
        format!("is {class}")
    } else {
        format!("resolves to {class}")
    }
}

impl Error {
    /// Whether the policy refused the request (as opposed to the remote side failing).
    pub fn is_refused(&self) -> bool {
        matches!(
            self,
            Error::Refused { .. }
                | Error::PortRefused { .. }
                | Error::Scheme { .. }
                | Error::RedirectChangesMethod { .. }
        )
    }
}

/// What the resolver inside the client refuses with; it travels through reqwest's error chain
/// and comes out as an [`Error`].
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum Refusal {
    #[error("{host} resolves to {class}")]
    Class {
        host: String,
        class: AddressClass,
        addr: IpAddr,
    },
    #[error("{host} does not resolve")]
    Unresolved { host: String },
}

impl From<Refusal> for Error {
    fn from(r: Refusal) -> Error {
        match r {
            Refusal::Class { host, class, addr } => Error::Refused { host, class, addr },
            Refusal::Unresolved { host } => Error::Resolve { host },
        }
    }
}

/// Turns reqwest's error into ours: the resolver's refusal when it is in the chain, else by kind.
pub(crate) fn from_reqwest(e: reqwest::Error, host: &str, after: Duration) -> Error {
    let mut src: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(s) = src {
        if let Some(r) = s.downcast_ref::<Refusal>() {
            return r.clone().into();
        }
        src = s.source();
    }
    let host = host.to_owned();
    // A connect timeout is both: it is reported as no connection, not as the total deadline.
    if e.is_connect() {
        Error::Connect { host, source: e }
    } else if e.is_timeout() {
        Error::TimedOut { host, after }
    } else {
        Error::Http { host, source: e }
    }
}

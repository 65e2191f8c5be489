//! The one door for outbound HTTP: every request Chorus makes to another server (a feed, a PDS,
//! an AppView, the PLC directory, …) goes through a [`Client`] built here, so that a URL someone
//! typed cannot turn the server against the network it runs in.
//!
//! The contract:
//!
//! - **Addresses are checked, and the checked address is the one connected to.** Host names are
//!   resolved by a resolver inside the client that keeps only the addresses the [`Policy`]
//!   allows and refuses when none is left; IP-literal hosts (including the decimal, octal and
//!   hex forms URL parsers normalise, and IPv4-mapped IPv6) are checked before sending. By
//!   default only public addresses are allowed: loopback, private networks, link-local, CGNAT,
//!   `0.0.0.0` and reserved ranges are refused unless the policy names their [`AddressClass`].
//! - **Redirects are followed by hand**, each hop checked like the first URL, credentials
//!   dropped when the origin changes, and a redirect that would change the method (a POST
//!   answered with 301/302/303) refused rather than silently turned into a GET.
//! - **No proxy from the environment.** `HTTP_PROXY` and friends are ignored; a proxy is used
//!   only when the builder names one, and the policy still applies to every target host.
//! - **Limits**: a connect timeout, one deadline over all hops and the body, a body size limit.
//! - **Typed errors that echo nothing remote**: [`Error`] says what was refused and why (host,
//!   address class, limit), never a response body or a resolved address.
//!
//! Tests reach the servers they start through `Builder::pin_for_tests` (feature `testing`,
//! enabled only by dev-dependencies): one name to one loopback port, everything else under the
//! production policy.
//!
//! **Architecture Invariant:** this crate depends on no other crate of ours, and the
//! `reqwest::Client` inside a [`Client`] is never handed out.

mod client;
mod error;
mod policy;
mod resolve;
mod response;

pub use client::{Builder, Client, Limits, RequestBuilder};
pub use error::Error;
pub use policy::{AddressClass, Policy};
pub use reqwest::header;
pub use reqwest::{Method, StatusCode, Url};
pub use response::Response;

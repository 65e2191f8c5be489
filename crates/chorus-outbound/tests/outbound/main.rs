//! The outbound guard against servers the tests start on loopback: every refused address form,
//! names that resolve to loopback, redirect chains into private addresses, methods kept across
//! redirects, proxies from the environment and configured ones, oversized and slow answers.
//! The clients are as strict as in production; they reach the test servers only through names
//! pinned to one loopback port each (`Builder::pin_for_tests`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod addresses;
mod limits;
mod proxy;
mod redirects;
mod support;

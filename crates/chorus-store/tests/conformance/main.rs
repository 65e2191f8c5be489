//! The store conformance suite: the same tests against SQLite and PostgreSQL.
//!
//! PostgreSQL comes from `CHORUS_TEST_DATABASE_URL` (default
//! `postgres://chorus:chorus@127.0.0.1:5432/chorus`); each test gets a fresh database. When it
//! cannot be reached the PostgreSQL half is skipped with a printed reason, unless
//! `CHORUS_REQUIRE_SERVICES=1`, which turns the absence into a failure.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod support;

mod audited;
mod conversations;
mod coverage;
mod foundation;
mod jobs;
mod links;
mod lookups;
mod mail;
mod numbers;
mod numbers_curve;
mod numbers_demo;
mod numbers_events;
mod numbers_prop;
mod reach_leads;
mod reach_numbers;
mod reach_offers;
mod reach_optin;
mod reach_webinars;
mod sessions;
mod sso;
mod staged_images;
mod stories;
mod stories_import;
mod story_editors;
mod story_guard;
mod variant_images;
mod webhooks;

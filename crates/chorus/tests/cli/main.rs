//! End-to-end tests of the `chorus` binary: configuration errors, the first admin, backup and
//! restore, graceful shutdown, `chorus mail test` against maildev, and a real browser (headless
//! Chromium through ChromeDriver).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod bluesky_peer;
mod support;
mod webdriver;

mod accessibility;
mod browser;
mod composer;
mod corrections;
mod crash;
mod crash_publishers;
mod demo_numbers;
mod inbox_keyboard;
mod inbox_reply;
mod inbox_xss;
mod ingest_crash;
mod journeys;
mod lifecycle;
mod listening;
mod mail;
mod numbers;
mod oidc;
mod reach_optin;
mod reach_staff;
mod scale;
mod stories;
mod webhooks;
mod webinar_reminders;

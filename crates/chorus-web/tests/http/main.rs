//! HTTP tests against the real server on port 0, with a fresh SQLite database per test.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod support;

mod accounts;
mod api;
mod audit_log;
mod auth;
mod bad_input;
mod conversations;
mod conversations_access;
mod corrections;
mod hardening;
mod inbox_panes;
mod languages;
mod links;
mod numbers;
mod numbers_conversations;
mod numbers_pages;
mod numbers_pdf;
mod numbers_weekly;
mod pages;
mod playbook;
mod query_page;
mod reach_public;
mod reach_staff;
mod reach_webinars;
mod sessions;
mod signals_period;
mod stories;
mod sweep;
mod users;
mod webhooks;
mod words;

//! The authorization sweep of issue 16: every route of the JSON API and every page post, as
//! every kind of person (each role in the own market, global non-admin roles, people with roles
//! in two markets, someone with none), on objects of the own market, another market and —
//! where it applies — global ones. Each case checks the status against an independent table of
//! expectations (`model`), that a refusal (or a read) changed nothing in the database, and that
//! the answer names nothing the person may not know (`harness`).
//!
//! Each group below runs on its own server and database, so the groups run in parallel; each
//! prints a summary line (`cargo test -p chorus-web --test http sweep -- --nocapture`).
//! `inventory` fails when a route exists that no group covers. The world, the fingerprint and
//! the route scan also serve the bad-input property test (`crate::bad_input`).

mod api_conv;
mod api_numbers;
mod api_org;
mod api_stories;
pub mod fixtures;
pub mod harness;
pub mod inventory;
mod members;
pub mod model;
mod pages_admin;
mod pages_conv;
mod pages_stories;
pub mod reach;
pub mod sso;
pub mod webhooks;
pub mod webinars;
pub mod world;

use harness::Sweep;
use world::World;

#[tokio::test]
async fn api_playbook_markets_users() {
    let w = World::seed().await;
    let mut sw = Sweep::new("API playbook, markets, users", &w);
    api_org::run(&w, &mut sw).await;
    sw.finish(api_org::ROUTES);
}

#[tokio::test]
async fn api_stories_campaigns_calendar() {
    let w = World::seed().await;
    let mut sw = Sweep::new("API stories, campaigns, calendar", &w);
    api_stories::run(&w, &mut sw).await;
    sw.finish(api_stories::ROUTES);
}

#[tokio::test]
async fn api_conversations() {
    let w = World::seed().await;
    let mut sw = Sweep::new("API conversations", &w);
    api_conv::run(&w, &mut sw).await;
    sw.finish(api_conv::ROUTES);
}

#[tokio::test]
async fn pages_admin_playbook_account() {
    let w = World::seed().await;
    let mut sw = Sweep::new("pages admin, playbook, account", &w);
    pages_admin::run(&w, &mut sw).await;
    sw.finish(pages_admin::ROUTES);
}

#[tokio::test]
async fn pages_stories() {
    let w = World::seed().await;
    let mut sw = Sweep::new("pages stories", &w);
    pages_stories::run(&w, &mut sw).await;
    sw.finish(pages_stories::ROUTES);
}

#[tokio::test]
async fn pages_conversations() {
    let w = World::seed().await;
    let mut sw = Sweep::new("pages conversations", &w);
    pages_conv::run(&w, &mut sw).await;
    sw.finish(pages_conv::ROUTES);
}

#[tokio::test]
async fn api_numbers() {
    let w = World::seed().await;
    let mut sw = Sweep::new("API numbers", &w);
    api_numbers::run(&w, &mut sw).await;
    sw.finish(api_numbers::ROUTES);
}

#[tokio::test]
async fn reach_staff() {
    let w = World::seed().await;
    let mut sw = Sweep::new("Reach for staff (API and pages)", &w);
    reach::run(&w, &mut sw).await;
    sw.finish(reach::ROUTES);
}

#[tokio::test]
async fn reach_webinars() {
    let w = World::seed().await;
    let mut sw = Sweep::new("pages webinars", &w);
    webinars::run(&w, &mut sw).await;
    sw.finish(webinars::ROUTES);
}

#[tokio::test]
async fn webhooks() {
    let w = World::seed().await;
    let mut sw = Sweep::new("webhooks (API and pages)", &w);
    webhooks::run(&w, &mut sw).await;
    sw.finish(webhooks::ROUTES);
}

#[tokio::test]
async fn sign_in_rules() {
    let w = World::seed().await;
    let mut sw = Sweep::new("single sign-on (API and pages)", &w);
    sso::run(&w, &mut sw).await;
    sw.finish(sso::ROUTES);
}

//! One module per top-level subcommand.

pub mod backup;
pub mod bluesky;
pub mod ingest;
pub mod ingest_bluesky;
pub mod ingest_feed;
pub mod listening;
pub mod mail;
pub mod migrate;
pub mod numbers;
pub mod query;
pub mod reach;
pub mod roles;
pub mod serve;
pub mod sso;
pub mod text;
pub mod text_corrections;
pub mod text_train;
pub mod users;
pub mod webhooks;

//! One module per top-level subcommand.

pub mod backup;
pub mod bluesky;
pub mod migrate;
pub mod query;
pub mod serve;
pub mod text;
pub mod users;

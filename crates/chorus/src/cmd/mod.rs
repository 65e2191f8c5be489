//! One module per top-level subcommand.

pub mod bluesky;
pub mod query;
pub mod text;

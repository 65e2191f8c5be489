//! One module per top-level subcommand.

pub mod query;
pub mod text;

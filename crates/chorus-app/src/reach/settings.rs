//! Reach's settings (`[reach]` in the configuration, validated by the binary): how long links
//! live, how long unconfirmed submissions are kept, how big an asset may be, how many forms one
//! address may send, and where asset files are stored.

use std::path::PathBuf;
use std::time::Duration;

/// Reach's settings. [`ReachSettings::default`] is what an installation gets without `[reach]`,
/// except `files_dir`, which the binary sets to `<data dir>/reach`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReachSettings {
    /// How long a confirmation link works (default 72 hours); it works once.
    pub confirm_token_ttl: Duration,
    /// How long a signed download link works (default 7 days).
    pub download_link_ttl: Duration,
    /// Unconfirmed submissions older than this are purged (default 30 days).
    pub unconfirmed_purge_after: Duration,
    /// The largest asset file (or cover image) accepted, in bytes (default 50 MB).
    pub max_asset_bytes: u64,
    /// Submissions one email address may make per hour (default 5).
    pub submissions_per_email_per_hour: u32,
    /// Submissions one network (the truncated client address) may make per minute
    /// (default 60: an office behind one address still gets through).
    pub submissions_per_network_per_minute: u32,
    /// Where asset files live; `None`: uploads are refused (saying why).
    pub files_dir: Option<PathBuf>,
}

impl Default for ReachSettings {
    fn default() -> Self {
        ReachSettings {
            confirm_token_ttl: Duration::from_secs(72 * 3600),
            download_link_ttl: Duration::from_secs(7 * 24 * 3600),
            unconfirmed_purge_after: Duration::from_secs(30 * 24 * 3600),
            max_asset_bytes: 50 * 1024 * 1024,
            submissions_per_email_per_hour: 5,
            submissions_per_network_per_minute: 60,
            files_dir: None,
        }
    }
}

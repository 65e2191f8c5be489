//! `[reach]`: gated assets and webinars — how long confirmation and download links work, when
//! unconfirmed submissions are purged, the largest asset, and how many forms one address may
//! send. Asset files live in `<data_dir>/reach`.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use chorus_app::reach::ReachSettings;
use serde::Deserialize;

use super::{ConfigError, err};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReach {
    confirm_token_hours: Option<u64>,
    download_link_hours: Option<u64>,
    unconfirmed_purge_days: Option<u64>,
    max_asset_mb: Option<u64>,
    submissions_per_email_per_hour: Option<u32>,
    submissions_per_network_per_minute: Option<u32>,
}

/// Validates `[reach]`; every value has a default and a range, and an error names the key.
pub(super) fn validate(
    raw: RawReach,
    data_dir: &Path,
    sources: &BTreeMap<String, String>,
) -> Result<ReachSettings, ConfigError> {
    let d = ReachSettings::default();
    let ranged = |key: &str,
                  value: Option<u64>,
                  default: u64,
                  range: std::ops::RangeInclusive<u64>,
                  unit: &str| {
        let v = value.unwrap_or(default);
        if range.contains(&v) {
            Ok(v)
        } else {
            Err(err(
                key,
                format!("is {v}; use {} to {} {unit}", range.start(), range.end()),
                sources,
            ))
        }
    };
    let hours = |s: Duration| s.as_secs() / 3600;
    let confirm = ranged(
        "reach.confirm_token_hours",
        raw.confirm_token_hours,
        hours(d.confirm_token_ttl),
        1..=720,
        "hours",
    )?;
    let download = ranged(
        "reach.download_link_hours",
        raw.download_link_hours,
        hours(d.download_link_ttl),
        1..=8760,
        "hours",
    )?;
    let purge = ranged(
        "reach.unconfirmed_purge_days",
        raw.unconfirmed_purge_days,
        hours(d.unconfirmed_purge_after) / 24,
        1..=365,
        "days",
    )?;
    // A confirmation link must not outlive the submission it confirms.
    if purge * 24 < confirm {
        return Err(err(
            "reach.unconfirmed_purge_days",
            format!(
                "is {purge} days, shorter than reach.confirm_token_hours ({confirm} hours): \
                 submissions would be purged while their links still work"
            ),
            sources,
        ));
    }
    let max_mb = ranged(
        "reach.max_asset_mb",
        raw.max_asset_mb,
        d.max_asset_bytes / (1024 * 1024),
        1..=1024,
        "MB",
    )?;
    let per_email = ranged(
        "reach.submissions_per_email_per_hour",
        raw.submissions_per_email_per_hour.map(u64::from),
        d.submissions_per_email_per_hour.into(),
        1..=1000,
        "submissions",
    )?;
    let per_network = ranged(
        "reach.submissions_per_network_per_minute",
        raw.submissions_per_network_per_minute.map(u64::from),
        d.submissions_per_network_per_minute.into(),
        1..=100_000,
        "submissions",
    )?;
    Ok(ReachSettings {
        confirm_token_ttl: Duration::from_secs(confirm * 3600),
        download_link_ttl: Duration::from_secs(download * 3600),
        unconfirmed_purge_after: Duration::from_secs(purge * 24 * 3600),
        max_asset_bytes: max_mb * 1024 * 1024,
        submissions_per_email_per_hour: per_email as u32,
        submissions_per_network_per_minute: per_network as u32,
        files_dir: Some(data_dir.join("reach")),
    })
}

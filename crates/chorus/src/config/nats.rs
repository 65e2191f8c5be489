//! `[nats]`: when set, Chorus runs as several processes around a NATS JetStream stream
//! (docs/scale-out.md): sources publish what they read to it and any number of worker
//! processes store from it. Without it everything stays in one process. Only `url` is needed;
//! the rest has defaults that suit one organization's firehose.

use std::collections::BTreeMap;
use std::time::Duration;

use chorus_stream::StreamConfig;
use serde::Deserialize;

use super::{ConfigError, err};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNats {
    url: Option<String>,
    stream: Option<String>,
    subject_prefix: Option<String>,
    partitions: Option<u32>,
    max_megabytes: Option<i64>,
    duplicate_window_seconds: Option<u64>,
    consumer: Option<String>,
    ack_wait_seconds: Option<u64>,
    max_deliver: Option<i64>,
    fetch_batch: Option<usize>,
}

/// A name NATS accepts for a stream or a consumer: letters, digits, `-` and `_`.
fn name_ok(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Validates `[nats]`; `None` when it has no `url` (one process). An error names the key.
pub(super) fn validate(
    raw: Option<RawNats>,
    sources: &BTreeMap<String, String>,
) -> Result<Option<StreamConfig>, ConfigError> {
    let Some(raw) = raw else { return Ok(None) };
    let Some(url) = raw
        .url
        .map(|u| u.trim().to_owned())
        .filter(|u| !u.is_empty())
    else {
        return Ok(None);
    };
    if !(url.starts_with("nats://") || url.starts_with("tls://")) {
        return Err(err(
            "nats.url",
            "must start with nats:// or tls://, e.g. nats://127.0.0.1:4222",
            sources,
        ));
    }
    let mut c = StreamConfig::new(url);
    if let Some(s) = raw.stream {
        if !name_ok(&s) {
            return Err(err(
                "nats.stream",
                format!("{s:?} is not a stream name: use letters, digits, - and _"),
                sources,
            ));
        }
        c.stream = s;
    }
    if let Some(s) = raw.consumer {
        if !name_ok(&s) {
            return Err(err(
                "nats.consumer",
                format!("{s:?} is not a consumer name: use letters, digits, - and _"),
                sources,
            ));
        }
        c.consumer = s;
    }
    if let Some(p) = raw.subject_prefix {
        let ok = !p.is_empty()
            && p.split('.').all(|t| {
                !t.is_empty()
                    && t.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            });
        if !ok {
            return Err(err(
                "nats.subject_prefix",
                format!("{p:?} is not a subject prefix: dot-separated words, e.g. chorus.posts"),
                sources,
            ));
        }
        c.subject_prefix = p;
    }
    let range = |key: &str, v: u64, lo: u64, hi: u64| {
        if (lo..=hi).contains(&v) {
            Ok(v)
        } else {
            Err(err(key, format!("is {v}; use {lo} to {hi}"), sources))
        }
    };
    if let Some(p) = raw.partitions {
        c.partitions = range("nats.partitions", u64::from(p), 1, 1024)? as u32;
    }
    if let Some(mb) = raw.max_megabytes {
        let mb = u64::try_from(mb).unwrap_or(0);
        c.max_bytes = (range("nats.max_megabytes", mb, 1, 1 << 20)? as i64) << 20;
    }
    if let Some(s) = raw.duplicate_window_seconds {
        c.duplicate_window =
            Duration::from_secs(range("nats.duplicate_window_seconds", s, 1, 86_400)?);
    }
    if let Some(s) = raw.ack_wait_seconds {
        c.ack_wait = Duration::from_secs(range("nats.ack_wait_seconds", s, 1, 3_600)?);
    }
    if let Some(n) = raw.max_deliver {
        c.max_deliver = range("nats.max_deliver", u64::try_from(n).unwrap_or(0), 1, 100)? as i64;
    }
    if let Some(n) = raw.fetch_batch {
        c.fetch_batch = range("nats.fetch_batch", n as u64, 1, 10_000)? as usize;
    }
    Ok(Some(c))
}

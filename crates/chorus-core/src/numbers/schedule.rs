//! When a published post is measured: about an hour, a day, a week and a month after it went
//! out, then every day, for as long as Chorus runs (snapshots have no retention cap). An
//! account's follower count is measured once a day.
//!
//! The checkpoints are fixed offsets from the publication, so a late or early run never makes
//! the schedule drift, and a collector that was down does not catch up on every checkpoint it
//! missed: the next measurement after any fetch is the first checkpoint after that fetch, and
//! one that is already past is due at once.

use jiff::{SignedDuration, Timestamp};

/// The first checkpoints after publication: +1 h, +24 h, +7 d, +30 d.
pub const CHECKPOINTS: [SignedDuration; 4] = [
    SignedDuration::from_hours(1),
    SignedDuration::from_hours(24),
    SignedDuration::from_hours(24 * 7),
    SignedDuration::from_hours(24 * 30),
];

/// After the last checkpoint, a measurement every this long.
pub const DAILY: SignedDuration = SignedDuration::from_hours(24);

/// An account's follower count is measured this often.
pub const FOLLOWERS_EVERY: SignedDuration = SignedDuration::from_hours(24);

/// When the post published at `published` should next be measured, given the time of its last
/// measurement (`None`: never measured). The answer may be in the past: then it is due now.
pub fn next_due(published: Timestamp, last: Option<Timestamp>) -> Timestamp {
    let at = |d: SignedDuration| published.checked_add(d).unwrap_or(published);
    let Some(last) = last else {
        return at(CHECKPOINTS[0]);
    };
    if let Some(c) = CHECKPOINTS.iter().map(|d| at(*d)).find(|c| *c > last) {
        return c;
    }
    // Daily after the last checkpoint: the first day-multiple past `last`.
    let tail = at(CHECKPOINTS[CHECKPOINTS.len() - 1]);
    let since = last.duration_since(tail).as_secs();
    let days = since.div_euclid(DAILY.as_secs()) + 1;
    tail.checked_add(SignedDuration::from_secs(days * DAILY.as_secs()))
        .unwrap_or(last)
}

/// When an account whose followers were last counted at `last` should be counted again.
pub fn next_followers_due(last: Option<Timestamp>, now: Timestamp) -> Timestamp {
    match last {
        None => now,
        Some(last) => last.checked_add(FOLLOWERS_EVERY).unwrap_or(now),
    }
}

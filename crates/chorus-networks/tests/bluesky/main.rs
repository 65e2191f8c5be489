//! Integration tests of the Bluesky connector against the real local AT Protocol peer
//! (`shared/peers/bluesky`): pds mode for accounts, publishing, exactly-once and the firehose;
//! full mode (with the AppView) for engagement counts. A test whose peer cannot start prints
//! why and passes, unless CHORUS_REQUIRE_SERVICES=1, in which case it fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod accounts;
mod engagement;
mod exactly_once;
mod firehose;
mod peer;
mod proxy;
mod publish;

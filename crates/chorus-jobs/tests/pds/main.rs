//! The job worker against the real local Bluesky PDS (no mock of Bluesky): a revoked app
//! password fails the variants at once and tells their people; server errors (from a proxy in
//! front of the PDS) are retried with growing waits and the post published once; a reply whose
//! first attempt hit a server error is retried by its job and sent once. A test whose PDS cannot
//! start prints why and passes, unless CHORUS_REQUIRE_SERVICES=1, in which case it fails. Numbers
//! collection runs against the full peer (PDS and AppView). The mail outbox's `send_mail` runs
//! against maildev and SMTP stubs (`mail.rs`); `deliver_webhook` against a receiver the test
//! starts, its signatures checked by Python (`webhooks.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod links;
mod mail;
mod mail_handover;
mod numbers;
mod peer;
mod proxy;
mod publisher;
mod replies;
mod seed;
mod webhooks;

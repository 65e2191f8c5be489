//! Social networks behind one [`Network`] trait: publish, delete, read engagement, stream posts.
//!
//! Contract: this crate speaks to networks and turns what they say into the network-independent
//! types of [`model`] ([`Post`](model::Post), [`Engagement`](model::Engagement),
//! [`StreamEvent`](model::StreamEvent)); it stores nothing and knows no database. Publishing is
//! exactly-once per Chorus publication id. Every connector's errors carry a network-independent
//! [`ErrorKind`] (transient, rate limited, credentials refused, content rejected, not found,
//! invalid), which is all a caller needs to decide whether to retry; [`DynNetwork`] is the same
//! account operations as a trait object, for callers holding accounts of several networks. Streams hand out the cursor with every event so the
//! caller can store it in the same transaction as the rows it produces. Counting engagement
//! from a stream (deletes included) goes through [`tally`], whose memory is a trait the caller
//! can back with its database. Secrets never appear in `Debug` output or logs. Input from a
//! network is untrusted: decoders return errors, never panic.

pub mod bluesky;
pub mod error;
pub mod model;
pub mod network;
pub mod stream;
pub mod tally;

pub use error::{DynNetworkError, ErrorKind, NetworkError};
pub use network::{BoxFuture, DynNetwork, Network};
pub use stream::{StreamStats, Subscription};

//! The `Network` trait every connector implements.

use std::future::Future;

use crate::model::{Counts, NetworkKind, PostRef, PublishRequest, Published};
use crate::stream::Subscription;

/// A social network Chorus publishes to, measures and listens to.
///
/// Publishing must be exactly-once for a given [`PublishRequest::id`]: calling
/// [`Network::publish`] again after a crash or a lost response returns the post published the
/// first time instead of creating a second one.
pub trait Network: Send + Sync {
    type Error: std::error::Error + Send + Sync + 'static;
    /// Why a stream stopped for good (transient disconnections are retried, not reported).
    type StreamError: std::error::Error + Send + Sync + 'static;

    fn kind(&self) -> NetworkKind;

    /// Publishes, or confirms an earlier publication of, `request`.
    fn publish(
        &self,
        request: &PublishRequest,
    ) -> impl Future<Output = Result<Published, Self::Error>> + Send;

    /// Deletes a post this account published. Deleting what is already gone succeeds.
    fn delete(&self, uri: &str) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// The network's own engagement counts for posts, in the order asked; posts it does not
    /// know are left out.
    fn engagement(
        &self,
        uris: &[String],
    ) -> impl Future<Output = Result<Vec<(PostRef, Counts)>, Self::Error>> + Send;

    /// Streams public posts and engagement, resuming after `cursor` (`None`: from now).
    /// Spawns the reader on the current tokio runtime.
    fn stream(&self, cursor: Option<i64>) -> Result<Subscription<Self::StreamError>, Self::Error>;
}

//! The `Network` trait every connector implements, and [`DynNetwork`], the same account
//! operations behind dynamic dispatch for callers that hold accounts of several networks.

use std::future::Future;
use std::pin::Pin;

use crate::error::ErrorKind;
use crate::error::{DynNetworkError, NetworkError};
use crate::model::{
    Counts, NetworkKind, PostRef, ProfileCounts, PublishRequest, Published, ReplyTarget, ReplyTo,
};
use crate::stream::Subscription;

/// A social network Chorus publishes to, measures and listens to, as one account on it.
///
/// Publishing must be exactly-once for a given [`PublishRequest::id`]: calling
/// [`Network::publish`] again after a crash or a lost response returns the post published the
/// first time instead of creating a second one. Errors say what they mean through
/// [`NetworkError::kind`], which is all a caller needs to decide whether to retry.
pub trait Network: Send + Sync {
    type Error: NetworkError;
    /// Why a stream stopped for good (transient disconnections are retried, not reported).
    type StreamError: std::error::Error + Send + Sync + 'static;

    fn kind(&self) -> NetworkKind;

    /// Publishes, or confirms an earlier publication of, `request`.
    fn publish(
        &self,
        request: &PublishRequest,
    ) -> impl Future<Output = Result<Published, Self::Error>> + Send;

    /// What a reply to `target` must refer to (on Bluesky: the parent's and the thread root's
    /// URI and CID, looked up when Chorus does not know them), to put in
    /// [`PublishRequest::reply_to`].
    fn reply_to(
        &self,
        target: &ReplyTarget,
    ) -> impl Future<Output = Result<ReplyTo, Self::Error>> + Send;

    /// Deletes a post this account published. Deleting what is already gone succeeds.
    fn delete(&self, uri: &str) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// The network's own engagement counts for posts, in the order asked; posts it does not
    /// know are left out.
    fn engagement(
        &self,
        uris: &[String],
    ) -> impl Future<Output = Result<Vec<(PostRef, Counts)>, Self::Error>> + Send;

    /// The public counts (followers, follows, posts) of the account `actor` (its id on the
    /// network, e.g. a DID), as the network reports them.
    fn profile(
        &self,
        actor: &str,
    ) -> impl Future<Output = Result<ProfileCounts, Self::Error>> + Send;

    /// How many likes of the post `uri` were given in `[from, until)` (first-hour velocity);
    /// `None` when the network cannot tell.
    fn likes_between(
        &self,
        uri: &str,
        from: jiff::Timestamp,
        until: jiff::Timestamp,
    ) -> impl Future<Output = Result<Option<u64>, Self::Error>> + Send;

    /// Streams public posts and engagement, resuming after `cursor` (`None`: from now).
    /// Spawns the reader on the current tokio runtime.
    fn stream(&self, cursor: Option<i64>) -> Result<Subscription<Self::StreamError>, Self::Error>;
}

/// A boxed future that can move between threads.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An account's operations on any network, as a trait object (`Arc<dyn DynNetwork>`): what a
/// caller holding accounts of several networks keeps (the job queue's connectors). Every
/// [`Network`] is one; errors arrive as [`DynNetworkError`], their kind kept. Streaming is not
/// here: listening runs per network, not per account.
pub trait DynNetwork: Send + Sync {
    fn network(&self) -> NetworkKind;

    fn publish<'a>(
        &'a self,
        request: &'a PublishRequest,
    ) -> BoxFuture<'a, Result<Published, DynNetworkError>>;

    fn reply_to<'a>(
        &'a self,
        target: &'a ReplyTarget,
    ) -> BoxFuture<'a, Result<ReplyTo, DynNetworkError>>;

    fn delete<'a>(&'a self, uri: &'a str) -> BoxFuture<'a, Result<(), DynNetworkError>>;

    fn engagement<'a>(
        &'a self,
        uris: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<(PostRef, Counts)>, DynNetworkError>>;

    /// See [`Network::profile`]. A network without it answers `Invalid`.
    fn profile<'a>(
        &'a self,
        _actor: &'a str,
    ) -> BoxFuture<'a, Result<ProfileCounts, DynNetworkError>> {
        Box::pin(async {
            Err(DynNetworkError::other(
                ErrorKind::Invalid,
                "this network reports no profile counts",
            ))
        })
    }

    /// See [`Network::likes_between`]. A network without it cannot tell (`None`).
    fn likes_between<'a>(
        &'a self,
        _uri: &'a str,
        _from: jiff::Timestamp,
        _until: jiff::Timestamp,
    ) -> BoxFuture<'a, Result<Option<u64>, DynNetworkError>> {
        Box::pin(async { Ok(None) })
    }
}

impl<N: Network> DynNetwork for N {
    fn network(&self) -> NetworkKind {
        Network::kind(self)
    }

    fn publish<'a>(
        &'a self,
        request: &'a PublishRequest,
    ) -> BoxFuture<'a, Result<Published, DynNetworkError>> {
        Box::pin(async move {
            Network::publish(self, request)
                .await
                .map_err(DynNetworkError::new)
        })
    }

    fn reply_to<'a>(
        &'a self,
        target: &'a ReplyTarget,
    ) -> BoxFuture<'a, Result<ReplyTo, DynNetworkError>> {
        Box::pin(async move {
            Network::reply_to(self, target)
                .await
                .map_err(DynNetworkError::new)
        })
    }

    fn delete<'a>(&'a self, uri: &'a str) -> BoxFuture<'a, Result<(), DynNetworkError>> {
        Box::pin(async move {
            Network::delete(self, uri)
                .await
                .map_err(DynNetworkError::new)
        })
    }

    fn engagement<'a>(
        &'a self,
        uris: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<(PostRef, Counts)>, DynNetworkError>> {
        Box::pin(async move {
            Network::engagement(self, uris)
                .await
                .map_err(DynNetworkError::new)
        })
    }

    fn profile<'a>(
        &'a self,
        actor: &'a str,
    ) -> BoxFuture<'a, Result<ProfileCounts, DynNetworkError>> {
        Box::pin(async move {
            Network::profile(self, actor)
                .await
                .map_err(DynNetworkError::new)
        })
    }

    fn likes_between<'a>(
        &'a self,
        uri: &'a str,
        from: jiff::Timestamp,
        until: jiff::Timestamp,
    ) -> BoxFuture<'a, Result<Option<u64>, DynNetworkError>> {
        Box::pin(async move {
            Network::likes_between(self, uri, from, until)
                .await
                .map_err(DynNetworkError::new)
        })
    }
}

//! Keeps a pipeline's [`QuerySet`] in step with the stored listening queries: loaded once at
//! start, rebuilt whenever the store's listening version changes — looked at when PostgreSQL
//! says a query changed (in any process: `Store::listening_changes`) and every `every` in case
//! a wake-up was missed. The new set replaces the old whole, between batches.

use std::sync::Arc;
use std::time::Duration;

use chorus_store::{Store, StoreError};
use tokio::sync::watch;

use crate::matching::QuerySet;

/// Loads the active queries and compiles them (off the async threads).
pub async fn load(store: &Store) -> Result<QuerySet, StoreError> {
    let version = store.listening_version().await?;
    let queries = store.active_listening_queries().await?;
    let set = tokio::task::spawn_blocking(move || QuerySet::build(&queries, version))
        .await
        .map_err(|e| {
            StoreError::Unsupported(if e.is_panic() {
                "query compilation panicked"
            } else {
                "query compilation was cancelled"
            })
        })?;
    Ok(set)
}

/// The current set and a task that reloads it when the queries changed. The task ends when
/// every receiver is gone.
pub async fn watch_queries(
    store: Store,
    every: Duration,
) -> Result<(watch::Receiver<Arc<QuerySet>>, tokio::task::JoinHandle<()>), StoreError> {
    let mut changes = store.listening_changes().await?;
    let first = load(&store).await?;
    let mut version = first.version;
    let (tx, rx) = watch::channel(Arc::new(first));
    let task = tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.tick().await;
        loop {
            match changes.as_mut() {
                Some(wake) => {
                    tokio::select! {
                        _ = tick.tick() => {}
                        woke = wake.recv() => if woke.is_none() { changes = None },
                    }
                }
                None => {
                    tick.tick().await;
                }
            }
            if tx.is_closed() {
                return;
            }
            match store.listening_version().await {
                Ok(v) if v != version => match load(&store).await {
                    Ok(set) => {
                        version = set.version;
                        tracing::info!(queries = set.len(), version, "listening queries reloaded");
                        if tx.send(Arc::new(set)).is_err() {
                            return;
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "reloading listening queries failed"),
                },
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "checking listening queries failed"),
            }
        }
    });
    Ok((rx, task))
}

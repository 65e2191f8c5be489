//! Engagement counts derived from a stream, deletes included.
//!
//! A removal carries no subject (a Bluesky delete op has no record), so the tally remembers
//! what each counted record pointed at and decrements that subject when the record goes away.
//! Only watched subjects are counted (the posts Chorus published), which bounds what is kept.
//! The memory sits behind [`TallyStore`] so it can live in the database, in the same
//! transaction as the stream cursor; [`MemoryTallyStore`] keeps it in a map.

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::future::Future;
use std::sync::Mutex;

use crate::model::{Counts, Engagement, EngagementKind};

/// Where a tally keeps its records and counts.
pub trait TallyStore: Send + Sync {
    type Error: std::error::Error + Send + Sync + 'static;

    /// Is `subject` counted?
    fn is_watched(&self, subject: &str) -> impl Future<Output = Result<bool, Self::Error>> + Send;

    /// Remembers that `record` is a `kind` pointing at `subject` and increments the count.
    /// Returns `false` (and changes nothing) when `record` is already known, so replaying a
    /// stream segment is harmless.
    fn insert(
        &self,
        record: &str,
        kind: EngagementKind,
        subject: &str,
    ) -> impl Future<Output = Result<bool, Self::Error>> + Send;

    /// Forgets `record` and decrements what it pointed at. Returns what that was, or `None`
    /// when the record was never counted.
    fn remove(
        &self,
        record: &str,
    ) -> impl Future<Output = Result<Option<(EngagementKind, String)>, Self::Error>> + Send;

    fn counts(&self, subject: &str) -> impl Future<Output = Result<Counts, Self::Error>> + Send;
}

/// What applying one engagement event changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TallyChange {
    Incremented {
        kind: EngagementKind,
        subject: String,
    },
    Decremented {
        kind: EngagementKind,
        subject: String,
    },
    /// Not about a watched subject, a replay of a known record, or a removal of an unknown one.
    Unchanged,
}

/// Applies engagement events to a store.
pub struct Tally<S> {
    store: S,
}

impl<S: TallyStore> Tally<S> {
    pub fn new(store: S) -> Self {
        Tally { store }
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    pub async fn apply(&self, event: &Engagement) -> Result<TallyChange, S::Error> {
        match event {
            Engagement::Added {
                kind,
                record,
                subject,
                ..
            } => {
                if *kind == EngagementKind::Follow || !self.store.is_watched(subject).await? {
                    return Ok(TallyChange::Unchanged);
                }
                Ok(if self.store.insert(record, *kind, subject).await? {
                    TallyChange::Incremented {
                        kind: *kind,
                        subject: subject.clone(),
                    }
                } else {
                    TallyChange::Unchanged
                })
            }
            Engagement::Removed { record, .. } => Ok(match self.store.remove(record).await? {
                Some((kind, subject)) => TallyChange::Decremented { kind, subject },
                None => TallyChange::Unchanged,
            }),
        }
    }

    pub async fn counts(&self, subject: &str) -> Result<Counts, S::Error> {
        self.store.counts(subject).await
    }
}

/// An in-memory [`TallyStore`].
#[derive(Debug, Default)]
pub struct MemoryTallyStore {
    inner: Mutex<Memory>,
}

#[derive(Debug, Default)]
struct Memory {
    watched: HashSet<String>,
    records: HashMap<String, (EngagementKind, String)>,
    counts: HashMap<String, Counts>,
}

impl MemoryTallyStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts counting engagement with `subject`.
    pub fn watch(&self, subject: impl Into<String>) {
        self.lock().watched.insert(subject.into());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Memory> {
        // A panic while holding the lock cannot leave the maps half-updated (each update is a
        // single insert/remove), so a poisoned lock is safe to keep using.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl TallyStore for MemoryTallyStore {
    type Error = Infallible;

    async fn is_watched(&self, subject: &str) -> Result<bool, Infallible> {
        Ok(self.lock().watched.contains(subject))
    }

    async fn insert(
        &self,
        record: &str,
        kind: EngagementKind,
        subject: &str,
    ) -> Result<bool, Infallible> {
        let mut m = self.lock();
        if m.records.contains_key(record) {
            return Ok(false);
        }
        m.records
            .insert(record.to_owned(), (kind, subject.to_owned()));
        if let Some(n) = m
            .counts
            .entry(subject.to_owned())
            .or_default()
            .get_mut(kind)
        {
            *n += 1;
        }
        Ok(true)
    }

    async fn remove(&self, record: &str) -> Result<Option<(EngagementKind, String)>, Infallible> {
        let mut m = self.lock();
        let Some((kind, subject)) = m.records.remove(record) else {
            return Ok(None);
        };
        if let Some(n) = m.counts.entry(subject.clone()).or_default().get_mut(kind) {
            *n = n.saturating_sub(1);
        }
        Ok(Some((kind, subject)))
    }

    async fn counts(&self, subject: &str) -> Result<Counts, Infallible> {
        Ok(self.lock().counts.get(subject).copied().unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn added(kind: EngagementKind, record: &str, subject: &str) -> Engagement {
        Engagement::Added {
            kind,
            record: record.into(),
            actor: "did:plc:x".into(),
            subject: subject.into(),
        }
    }

    fn removed(record: &str) -> Engagement {
        Engagement::Removed {
            kind: None,
            record: record.into(),
            actor: "did:plc:x".into(),
        }
    }

    #[tokio::test]
    async fn deletes_decrement_what_the_record_pointed_at() {
        let store = MemoryTallyStore::new();
        store.watch("at://a/p/1");
        store.watch("at://a/p/2");
        let t = Tally::new(store);
        use EngagementKind::*;
        let events = [
            added(Like, "l1", "at://a/p/1"),
            added(Like, "l2", "at://a/p/1"),
            added(Like, "l2", "at://a/p/1"), // replay: ignored
            added(Repost, "r1", "at://a/p/2"),
            added(Reply, "p9", "at://a/p/1"),
            added(Quote, "p10", "at://a/p/2"),
            added(Like, "l3", "at://other/p/1"), // not watched
            added(Follow, "f1", "at://a/p/1"),
            removed("l1"),
            removed("l1"), // twice: ignored
            removed("p10"),
            removed("l3"),
        ];
        for e in &events {
            t.apply(e).await.unwrap();
        }
        assert_eq!(
            t.counts("at://a/p/1").await.unwrap(),
            Counts {
                likes: 1,
                reposts: 0,
                replies: 1,
                quotes: 0,
                bookmarks: None,
            }
        );
        assert_eq!(
            t.counts("at://a/p/2").await.unwrap(),
            Counts {
                likes: 0,
                reposts: 1,
                replies: 0,
                quotes: 0,
                bookmarks: None,
            }
        );
        assert_eq!(t.counts("at://other/p/1").await.unwrap(), Counts::default());
        assert_eq!(
            t.apply(&removed("l2")).await.unwrap(),
            TallyChange::Decremented {
                kind: Like,
                subject: "at://a/p/1".into()
            }
        );
    }
}

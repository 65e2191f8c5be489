//! In-app notifications: what the workflow told a person (a story to review, an approval, a
//! rejection with its reason, a publication or a failure). Each person reads and clears only
//! their own; the operator has none.

use crate::{App, Caller, Result};

pub use chorus_store::Notification;

/// How many notifications are read at most.
pub const LIMIT: i64 = 100;

/// The caller's notifications, newest first (at most [`LIMIT`]).
pub async fn list(app: &App, caller: &Caller) -> Result<Vec<Notification>> {
    match &caller.user {
        Some(u) => Ok(app.store.notifications(u.id, LIMIT).await?),
        None => Ok(Vec::new()),
    }
}

/// How many of the caller's notifications are unread (the count beside "Notifications").
pub async fn unread(app: &App, caller: &Caller) -> Result<i64> {
    match &caller.user {
        Some(u) => Ok(app.store.unread_notifications(u.id).await?),
        None => Ok(0),
    }
}

/// Marks all of the caller's notifications read.
pub async fn mark_all_read(app: &App, caller: &Caller) -> Result<()> {
    if let Some(u) = &caller.user {
        app.store.mark_notifications_read(u.id).await?;
    }
    Ok(())
}

//! The publication-state guard: what went out stays as it went out. A story that is
//! publishing or published does not change its content, and a variant that is (or whose story
//! is) does not change at all, images included. The conditions below go into the `WHERE`
//! clause of each such change, so that a publish starting meanwhile cannot slip between a check
//! and the write; when they stop a change, the refusals here say why, reading inside the same
//! transaction.

use sqlx::{AnyConnection, Row};

use crate::StoreError;
use crate::audit::Lock;

/// A story whose content may still change: not publishing, not published.
pub(crate) const STORY_OPEN: &str = "state NOT IN ('publishing', 'published')";

/// A variant whose content may still change: neither it nor its story is publishing or
/// published.
pub(crate) const VARIANT_OPEN: &str = "pub_state NOT IN ('publishing', 'published') AND \
    story_id IN (SELECT id FROM stories WHERE state NOT IN ('publishing', 'published'))";

/// Why a story's content cannot change.
pub(crate) const STORY_FINAL: &str =
    "this story is published (or publishing): its content is final; write a new story";
/// Why a variant cannot change.
pub(crate) const VARIANT_FINAL: &str =
    "this variant is published (or being published): it stays as it went out";

/// The locks of a change to variant `id`: its story's row, then its own (the order every
/// story writer and the publisher take them in).
pub(crate) fn lock_variant(id: i64) -> Lock {
    Lock::select(
        "SELECT id FROM stories WHERE id = (SELECT story_id FROM variants WHERE id = $1)",
        id,
    )
    .then("SELECT id FROM variants WHERE id = $1")
}

/// Why a change to story `id` guarded by [`STORY_OPEN`] touched no row, read inside its
/// transaction: gone (`NotFound`), publishing or published (`State`), or else changed since
/// (`Stale`).
pub(crate) async fn story_refusal(conn: &mut AnyConnection, id: i64) -> StoreError {
    let state = sqlx::query("SELECT state FROM stories WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await;
    match state {
        Err(e) => e.into(),
        Ok(None) => StoreError::NotFound { what: "story" },
        Ok(Some(r)) => match r.try_get::<String, _>("state").as_deref() {
            Ok("publishing" | "published") => StoreError::State(STORY_FINAL.into()),
            Ok(_) => StoreError::Stale { what: "this story" },
            Err(e) => StoreError::corrupt("story state", e),
        },
    }
}

/// Why a change to variant `id` guarded by [`VARIANT_OPEN`] touched no row, read inside its
/// transaction: gone (`NotFound`), it or its story publishing or published (`State`), or else
/// changed since (`Stale`).
pub(crate) async fn variant_refusal(conn: &mut AnyConnection, id: i64) -> StoreError {
    let row = sqlx::query(
        "SELECT v.pub_state, s.state FROM variants v JOIN stories s ON s.id = v.story_id \
         WHERE v.id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await;
    let row = match row {
        Err(e) => return e.into(),
        Ok(None) => return StoreError::NotFound { what: "variant" },
        Ok(Some(r)) => r,
    };
    let states = (
        row.try_get::<String, _>("pub_state"),
        row.try_get::<String, _>("state"),
    );
    match states {
        (Ok(v), _) if matches!(v.as_str(), "publishing" | "published") => {
            StoreError::State(VARIANT_FINAL.into())
        }
        (_, Ok(s)) if matches!(s.as_str(), "publishing" | "published") => {
            StoreError::State(STORY_FINAL.into())
        }
        (Ok(_), Ok(_)) => StoreError::Stale {
            what: "this variant",
        },
        (Err(e), _) | (_, Err(e)) => e.into(),
    }
}

//! Images uploaded in the composer before their variant exists ("staged"), so that a new
//! variant can carry images from its first save.
//!
//! Contract: a staged image belongs to the person who uploaded it and to one story. It is
//! attached only by [`Store::save_variant_with_images`], inside the save's transaction, to a
//! variant of that story saved by that same person; attaching moves the row into
//! `variant_images` (the staged row is deleted), so an upload is attached at most once. A
//! staged image that is not someone's, or not of the story, or gone, fails the whole save with
//! `NotFound` and nothing is written. Staged images not attached within [`STAGED_TTL_MS`] are
//! purged whenever someone stages another. Checking what the bytes are (type, size) is the use
//! case's job; staging is not audited (nothing is published or changed until the save, which is).

use chorus_core::UserId;
use sqlx::{AnyConnection, Row};

use crate::{Store, StoreError, now_ms};

/// How long an unattached upload is kept: a day.
pub const STAGED_TTL_MS: i64 = 24 * 3600 * 1000;

/// An image uploaded for a story's composer, not yet on a variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagedImage {
    pub id: i64,
    /// Who uploaded it (the only person who may see or attach it).
    pub owner: UserId,
    pub story_id: i64,
    pub name: String,
    pub mime: String,
    pub size: i64,
}

/// A staged image to attach to the variant being saved, with its alternative text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attach {
    pub staged: i64,
    pub alt: String,
}

fn staged_from_row(r: &sqlx::any::AnyRow) -> Result<StagedImage, StoreError> {
    Ok(StagedImage {
        id: r.try_get("id")?,
        owner: UserId(r.try_get("user_id")?),
        story_id: r.try_get("story_id")?,
        name: r.try_get("name")?,
        mime: r.try_get("mime")?,
        size: r.try_get("size")?,
    })
}

impl Store {
    /// Keeps an upload of `owner` for a variant of `story` that is not saved yet, and purges
    /// uploads nobody attached within [`STAGED_TTL_MS`].
    pub async fn stage_image(
        &self,
        owner: UserId,
        story: i64,
        name: &str,
        mime: &str,
        bytes: &[u8],
    ) -> Result<StagedImage, StoreError> {
        let now = now_ms();
        let mut tx = self.pool().begin().await?;
        sqlx::query("DELETE FROM staged_images WHERE created_at < $1")
            .bind(now - STAGED_TTL_MS)
            .execute(&mut *tx)
            .await?;
        let row = sqlx::query(
            "INSERT INTO staged_images (user_id, story_id, name, mime, bytes, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(owner.0)
        .bind(story)
        .bind(name)
        .bind(mime)
        .bind(bytes.to_vec())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get("id")?;
        tx.commit().await?;
        Ok(StagedImage {
            id,
            owner,
            story_id: story,
            name: name.to_owned(),
            mime: mime.to_owned(),
            size: bytes.len() as i64,
        })
    }

    /// A staged image and its bytes (`NotFound` once attached or purged).
    pub async fn staged_image(&self, id: i64) -> Result<(StagedImage, Vec<u8>), StoreError> {
        let r = sqlx::query(
            "SELECT id, user_id, story_id, name, mime, bytes, \
             CAST(LENGTH(bytes) AS BIGINT) AS size FROM staged_images WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound {
            what: "staged image",
        })?;
        Ok((staged_from_row(&r)?, r.try_get("bytes")?))
    }

    /// The staged images `ids` (those that exist), without their bytes.
    pub async fn staged_images(&self, ids: &[i64]) -> Result<Vec<StagedImage>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let r = sqlx::query(
                "SELECT id, user_id, story_id, name, mime, \
                 CAST(LENGTH(bytes) AS BIGINT) AS size FROM staged_images WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
            if let Some(r) = r {
                out.push(staged_from_row(&r)?);
            }
        }
        Ok(out)
    }

    /// Removes staged images older than `before_ms`; how many went.
    pub async fn purge_staged_images(&self, before_ms: i64) -> Result<u64, StoreError> {
        Ok(
            sqlx::query("DELETE FROM staged_images WHERE created_at < $1")
                .bind(before_ms)
                .execute(self.pool())
                .await?
                .rows_affected(),
        )
    }
}

/// Moves the staged images `attach` of `owner` for `story` onto `variant`, after its first
/// `position` images, inside the caller's transaction. One that is not the owner's, not of the
/// story, or gone is `NotFound` (the caller's transaction then writes nothing).
pub(crate) async fn attach(
    c: &mut AnyConnection,
    owner: Option<UserId>,
    story: i64,
    variant: i64,
    position: usize,
    attach: &[Attach],
) -> Result<(), StoreError> {
    let gone = StoreError::NotFound {
        what: "staged image",
    };
    let Some(owner) = owner else {
        return if attach.is_empty() { Ok(()) } else { Err(gone) };
    };
    for (i, a) in attach.iter().enumerate() {
        let n = sqlx::query(
            "INSERT INTO variant_images (variant_id, position, name, mime, bytes, alt) \
             SELECT $1, $2, name, mime, bytes, $3 FROM staged_images \
             WHERE id = $4 AND user_id = $5 AND story_id = $6",
        )
        .bind(variant)
        .bind((position + i) as i64)
        .bind(&a.alt)
        .bind(a.staged)
        .bind(owner.0)
        .bind(story)
        .execute(&mut *c)
        .await?
        .rows_affected();
        if n != 1 {
            return Err(gone);
        }
        sqlx::query("DELETE FROM staged_images WHERE id = $1")
            .bind(a.staged)
            .execute(&mut *c)
            .await?;
    }
    Ok(())
}

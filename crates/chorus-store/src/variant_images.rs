//! The images of variants: adding one, reading one, changing its alternative text, removing it.
//! Each change changes what gets published, so, like every content edit, it sends approved work
//! back to draft and cancels its publish jobs in the same transaction, records who made it in
//! the story's `changed_by` (see `story_editors`), is audited, and is
//! refused with `State` on a variant (or story) that is publishing or published.

use chorus_core::audit::Author;
use sqlx::{AnyConnection, Row};

use crate::audit::{self, Applied, Change};
use crate::stories::{ImageMeta, Story, Variant, back_to_draft, load_story, load_variant};
use crate::story_editors;
use crate::story_guard::{VARIANT_OPEN, lock_variant, variant_refusal};
use crate::{Store, StoreError};

impl Store {
    /// Adds an image to a variant (after its other images). Refused with `State` like any
    /// change to a variant that is publishing or published.
    pub async fn add_image(
        &self,
        author: &Author,
        variant: i64,
        name: &str,
        mime: &str,
        bytes: &[u8],
        alt: &str,
    ) -> Result<ImageMeta, StoreError> {
        audit::write(
            self,
            author,
            lock_variant(variant),
            async |c| {
                let v = load_variant(c, variant).await?;
                let story = load_story(c, v.story_id).await?;
                Ok((v, story))
            },
            async |c, (v, story)| {
                let row = sqlx::query(&format!(
                    "INSERT INTO variant_images (variant_id, position, name, mime, bytes, alt) \
                     SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS \
                     (SELECT 1 FROM variants WHERE id = $1 AND {VARIANT_OPEN}) RETURNING id"
                ))
                .bind(variant)
                .bind(v.images.len() as i64)
                .bind(name)
                .bind(mime)
                .bind(bytes.to_vec())
                .bind(alt)
                .fetch_optional(&mut *c)
                .await?;
                let (n, id) = match row {
                    Some(r) => (1, r.try_get("id")?),
                    None => (0, 0),
                };
                if n == 1 {
                    back_to_draft(c, story).await?;
                    story_editors::record(c, story.id, author).await?;
                }
                let change = Change {
                    action: "variant.image_add",
                    subject_type: "story",
                    subject_id: v.story_id.to_string(),
                    market: Some(story.market_id),
                    before: None,
                    after: Some(serde_json::json!({"variant": variant, "image": name, "alt": alt})),
                };
                let meta = ImageMeta {
                    id,
                    name: name.to_owned(),
                    mime: mime.to_owned(),
                    alt: alt.to_owned(),
                    size: bytes.len() as i64,
                };
                Ok(Applied::rows(n, 1, meta).audit(change))
            },
            async |c, _| variant_refusal(c, variant).await,
        )
        .await
    }

    /// An image's bytes and MIME type.
    pub async fn image(&self, id: i64) -> Result<(ImageMeta, Vec<u8>), StoreError> {
        let r = sqlx::query("SELECT id, name, mime, alt, bytes FROM variant_images WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound { what: "image" })?;
        let bytes: Vec<u8> = r.try_get("bytes")?;
        Ok((
            ImageMeta {
                id,
                name: r.try_get("name")?,
                mime: r.try_get("mime")?,
                alt: r.try_get("alt")?,
                size: bytes.len() as i64,
            },
            bytes,
        ))
    }

    /// Sets the alternative text of image `image` of variant `variant`; new words send
    /// approved work back to draft.
    pub async fn set_image_alt(
        &self,
        author: &Author,
        variant: i64,
        image: i64,
        alt: &str,
    ) -> Result<(), StoreError> {
        audit::write(
            self,
            author,
            lock_variant(variant),
            async |c| image_of(c, variant, image).await,
            async |c, (story, before)| {
                let n = sqlx::query(&format!(
                    "UPDATE variant_images SET alt = $1 WHERE id = $2 AND variant_id = $3 \
                     AND variant_id IN (SELECT id FROM variants WHERE {VARIANT_OPEN})"
                ))
                .bind(alt)
                .bind(image)
                .bind(variant)
                .execute(&mut *c)
                .await?
                .rows_affected();
                if n == 1 && before.alt != alt {
                    back_to_draft(c, story).await?;
                    story_editors::record(c, story.id, author).await?;
                }
                let change = Change {
                    action: "variant.image_alt",
                    subject_type: "story",
                    subject_id: story.id.to_string(),
                    market: Some(story.market_id),
                    before: Some(
                        serde_json::json!({"variant": variant, "image": before.name, "alt": before.alt}),
                    ),
                    after: Some(
                        serde_json::json!({"variant": variant, "image": before.name, "alt": alt}),
                    ),
                };
                Ok(Applied::rows(n, 1, ()).audit(change))
            },
            async |c, _| variant_refusal(c, variant).await,
        )
        .await
    }

    /// Removes image `image` from variant `variant`; approved work goes back to draft.
    pub async fn delete_image(
        &self,
        author: &Author,
        variant: i64,
        image: i64,
    ) -> Result<(), StoreError> {
        audit::write(
            self,
            author,
            lock_variant(variant),
            async |c| image_of(c, variant, image).await,
            async |c, (story, before)| {
                let n = sqlx::query(&format!(
                    "DELETE FROM variant_images WHERE id = $1 AND variant_id = $2 \
                     AND variant_id IN (SELECT id FROM variants WHERE {VARIANT_OPEN})"
                ))
                .bind(image)
                .bind(variant)
                .execute(&mut *c)
                .await?
                .rows_affected();
                if n == 1 {
                    back_to_draft(c, story).await?;
                    story_editors::record(c, story.id, author).await?;
                }
                let change = Change {
                    action: "variant.image_remove",
                    subject_type: "story",
                    subject_id: story.id.to_string(),
                    market: Some(story.market_id),
                    before: Some(
                        serde_json::json!({"variant": variant, "image": before.name, "alt": before.alt}),
                    ),
                    after: None,
                };
                Ok(Applied::rows(n, 1, ()).audit(change))
            },
            async |c, _| variant_refusal(c, variant).await,
        )
        .await
    }
}

/// The story of variant `variant` and its image `image` (`NotFound` when either is missing).
async fn image_of(
    conn: &mut AnyConnection,
    variant: i64,
    image: i64,
) -> Result<(Story, ImageMeta), StoreError> {
    let Variant {
        story_id, images, ..
    } = load_variant(conn, variant).await?;
    let image = images
        .into_iter()
        .find(|i| i.id == image)
        .ok_or(StoreError::NotFound { what: "image" })?;
    Ok((load_story(conn, story_id).await?, image))
}

/// The images of `variant`, in their order, without their bytes.
pub(crate) async fn image_metas(
    conn: &mut AnyConnection,
    variant: i64,
) -> Result<Vec<ImageMeta>, StoreError> {
    sqlx::query(
        "SELECT id, name, mime, alt, LENGTH(bytes) AS size FROM variant_images \
         WHERE variant_id = $1 ORDER BY position, id",
    )
    .bind(variant)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|r| {
        Ok(ImageMeta {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            mime: r.try_get("mime")?,
            alt: r.try_get("alt")?,
            size: r
                .try_get::<i64, _>("size")
                .or_else(|_| r.try_get::<i32, _>("size").map(i64::from))?,
        })
    })
    .collect()
}

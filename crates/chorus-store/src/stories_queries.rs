//! Small additions for the Stories pages: changing an image's alternative text and removing an
//! image. Both change what gets published, so, like every content edit, they send approved work
//! back to draft and cancel its publish jobs in the same transaction, and are audited.

use chorus_core::audit::Author;

use crate::audit::{Change, record};
use crate::stories::back_to_draft;
use crate::{Store, StoreError};

impl Store {
    /// Sets the alternative text of image `image` of variant `variant`.
    pub async fn set_image_alt(
        &self,
        author: &Author,
        variant: i64,
        image: i64,
        alt: &str,
    ) -> Result<(), StoreError> {
        let v = self.variant(variant).await?;
        let before = v
            .images
            .iter()
            .find(|i| i.id == image)
            .ok_or(StoreError::NotFound { what: "image" })?;
        let story = self.story(v.story_id).await?;
        let mut tx = self.pool().begin().await?;
        sqlx::query("UPDATE variant_images SET alt = $1 WHERE id = $2 AND variant_id = $3")
            .bind(alt)
            .bind(image)
            .bind(variant)
            .execute(&mut *tx)
            .await?;
        if before.alt != alt {
            back_to_draft(&mut tx, &story).await?;
        }
        record(
            &mut tx,
            author,
            Change {
                action: "variant.image_alt",
                subject_type: "story",
                subject_id: story.id.to_string(),
                market: Some(story.market_id),
                before: Some(serde_json::json!({"variant": variant, "image": before.name, "alt": before.alt})),
                after: Some(serde_json::json!({"variant": variant, "image": before.name, "alt": alt})),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes image `image` from variant `variant`.
    pub async fn delete_image(
        &self,
        author: &Author,
        variant: i64,
        image: i64,
    ) -> Result<(), StoreError> {
        let v = self.variant(variant).await?;
        let before = v
            .images
            .iter()
            .find(|i| i.id == image)
            .ok_or(StoreError::NotFound { what: "image" })?;
        let story = self.story(v.story_id).await?;
        let mut tx = self.pool().begin().await?;
        sqlx::query("DELETE FROM variant_images WHERE id = $1 AND variant_id = $2")
            .bind(image)
            .bind(variant)
            .execute(&mut *tx)
            .await?;
        back_to_draft(&mut tx, &story).await?;
        record(
            &mut tx,
            author,
            Change {
                action: "variant.image_remove",
                subject_type: "story",
                subject_id: story.id.to_string(),
                market: Some(story.market_id),
                before: Some(serde_json::json!({"variant": variant, "image": before.name, "alt": before.alt})),
                after: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

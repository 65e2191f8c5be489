//! Many stories at once (a content plan imported from CSV): every story and variant of the plan
//! in one transaction, each audited as if created one by one (`story.create`,
//! `variant.create`), or nothing at all.

use chorus_core::audit::Author;
use sqlx::Row;

use crate::audit::{self, Applied, Change, Lock, snapshot};
use crate::stories::{STORY_COLUMNS, reference, story_from_row, variant_error, write_principles};
use crate::{Store, StoreError, Story, StoryInput, VariantInput, now_ms, story_editors};

impl Store {
    /// Creates `stories` as drafts by `author`, and the variants `variants(i, &story)` gives
    /// for the `i`-th once it has its id (their text may carry it: UTM tags name the story). An
    /// error from `variants` is a `Reference` error and nothing is created. Answers the stories
    /// in the order given.
    pub async fn import_stories<F>(
        &self,
        author: &Author,
        stories: &[StoryInput],
        variants: F,
    ) -> Result<Vec<Story>, StoreError>
    where
        F: Fn(usize, &Story) -> Result<Vec<VariantInput>, String> + Sync,
    {
        let Some(author_id) = author.user_id else {
            return Err(StoreError::Reference(
                "a story needs a person as its author".into(),
            ));
        };
        audit::write(
            self,
            author,
            Lock::nothing(),
            async |_| Ok(()),
            async |c, _| {
                let now = now_ms();
                let mut created = Vec::with_capacity(stories.len());
                let mut entries = Vec::new();
                for (i, input) in stories.iter().enumerate() {
                    let row = sqlx::query(&format!(
                        "INSERT INTO stories (market_id, campaign_id, title, brief, state, \
                         author_id, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, 'draft', $5, $6, $6) RETURNING {STORY_COLUMNS}"
                    ))
                    .bind(input.market_id.0)
                    .bind(input.campaign_id)
                    .bind(&input.title)
                    .bind(&input.brief)
                    .bind(author_id.0)
                    .bind(now)
                    .fetch_one(&mut *c)
                    .await
                    .map_err(|e| reference(e, "the market or campaign does not exist"))?;
                    let mut story = story_from_row(&row)?;
                    story.principles = input.principles.clone();
                    write_principles(c, story.id, &input.principles).await?;
                    story_editors::record(c, story.id, author).await?;
                    story.changed_by = vec![author_id];
                    entries.push(Change {
                        action: "story.create",
                        subject_type: "story",
                        subject_id: story.id.to_string(),
                        market: Some(input.market_id),
                        before: None,
                        after: snapshot(input),
                    });
                    for v in variants(i, &story).map_err(StoreError::Reference)? {
                        let vid: i64 = sqlx::query(
                            "INSERT INTO variants (story_id, account_id, locale, body, \
                             scheduled_at, pub_state, created_at, updated_at) \
                             VALUES ($1, $2, $3, $4, $5, 'pending', $6, $6) RETURNING id",
                        )
                        .bind(story.id)
                        .bind(v.account_id)
                        .bind(&v.locale)
                        .bind(&v.body)
                        .bind(v.scheduled_at_ms)
                        .bind(now)
                        .fetch_one(&mut *c)
                        .await
                        .map_err(variant_error)?
                        .try_get("id")?;
                        entries.push(Change {
                            action: "variant.create",
                            subject_type: "story",
                            subject_id: story.id.to_string(),
                            market: Some(story.market_id),
                            before: None,
                            after: Some(serde_json::json!({"variant": vid,
                                "account_id": v.account_id, "locale": v.locale,
                                "body": v.body, "scheduled_at": v.scheduled_at_ms})),
                        });
                    }
                    created.push(story);
                }
                let n = created.len() as u64;
                Ok(entries
                    .into_iter()
                    .fold(Applied::rows(n, n, created), Applied::audit))
            },
            async |_, _| StoreError::NotFound { what: "story" },
        )
        .await
    }
}

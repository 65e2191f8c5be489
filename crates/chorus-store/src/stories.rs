//! Stories and their variants (one per account and locale); their images are in `variant_images`,
//! their comments in `story_comments`, who changed them in `story_editors`.
//!
//! Editing the content of a story that was in review, approved or scheduled sends it back to
//! draft and cancels its publish jobs, in the same transaction: what gets published is always
//! what was approved. Every content change also records its author in the same transaction
//! (`story_editors`), so that nobody approves what they changed. What went out stays as it went out: a story that is publishing or
//! published, and a variant that is, do not change. That condition is in the `WHERE` clause of
//! each change (`STORY_OPEN`, `VARIANT_OPEN`), so a publish that starts meanwhile cannot
//! slip between a check and the write; a change it stops is refused with `State` and writes
//! nothing (see `story_guard`).

use chorus_core::audit::Author;
use chorus_core::stories::workflow::StoryState;
use chorus_core::{MarketId, PrincipleId, UserId};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::audit::{self, Applied, Change, Lock, snapshot};
use crate::error::{is_foreign_key_violation, is_unique_violation};
use crate::staged_images::{self, Attach};
use crate::story_editors;
use crate::story_guard::{STORY_OPEN, VARIANT_OPEN, lock_variant, story_refusal, variant_refusal};
use crate::variant_images::image_metas;
use crate::{Store, StoreError, jobs, now_ms};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Story {
    pub id: i64,
    pub market_id: MarketId,
    pub campaign_id: Option<i64>,
    pub title: String,
    pub brief: String,
    pub state: StoryState,
    pub author_id: UserId,
    pub submitted_by: Option<UserId>,
    pub scheduled_by: Option<UserId>,
    pub reject_reason: Option<String>,
    pub principles: Vec<PrincipleId>,
    /// Who changed its content since it was last approved, its author among them until then
    /// (none of them may approve it: see `story_editors`).
    pub changed_by: Vec<UserId>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// Where a variant is in publishing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PubState {
    Pending,
    Publishing,
    Published,
    Failed,
}

impl PubState {
    pub fn as_str(self) -> &'static str {
        match self {
            PubState::Pending => "pending",
            PubState::Publishing => "publishing",
            PubState::Published => "published",
            PubState::Failed => "failed",
        }
    }

    pub(crate) fn from_str(s: &str) -> Result<PubState, StoreError> {
        Ok(match s {
            "pending" => PubState::Pending,
            "publishing" => PubState::Publishing,
            "published" => PubState::Published,
            "failed" => PubState::Failed,
            other => return Err(StoreError::corrupt("variant state", other)),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageMeta {
    pub id: i64,
    pub name: String,
    pub mime: String,
    pub alt: String,
    pub size: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Variant {
    pub id: i64,
    pub story_id: i64,
    pub account_id: i64,
    pub locale: String,
    pub body: String,
    pub scheduled_at_ms: Option<i64>,
    pub pub_state: PubState,
    pub publish_key_at_ms: Option<i64>,
    pub published_uri: Option<String>,
    pub published_at_ms: Option<i64>,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub images: Vec<ImageMeta>,
}

/// A story's editable fields, validated by the caller.
#[derive(Debug, Clone, Serialize)]
pub struct StoryInput {
    pub market_id: MarketId,
    pub campaign_id: Option<i64>,
    pub title: String,
    pub brief: String,
    pub principles: Vec<PrincipleId>,
}

/// A variant's editable fields, validated by the caller.
#[derive(Debug, Clone, Serialize)]
pub struct VariantInput {
    pub account_id: i64,
    pub locale: String,
    pub body: String,
    pub scheduled_at_ms: Option<i64>,
}

/// The publish job's key for a variant.
pub fn publish_key(variant: i64) -> String {
    format!("publish:variant:{variant}")
}

pub(crate) const STORY_COLUMNS: &str = "id, market_id, campaign_id, title, brief, state, author_id, \
    submitted_by, scheduled_by, reject_reason, created_at, updated_at";

pub(crate) fn story_from_row(r: &AnyRow) -> Result<Story, StoreError> {
    Ok(Story {
        id: r.try_get("id")?,
        market_id: MarketId(r.try_get("market_id")?),
        campaign_id: r.try_get("campaign_id")?,
        title: r.try_get("title")?,
        brief: r.try_get("brief")?,
        state: StoryState::parse(&r.try_get::<String, _>("state")?)
            .map_err(|e| StoreError::corrupt("story state", e))?,
        author_id: UserId(r.try_get("author_id")?),
        submitted_by: r.try_get::<Option<i64>, _>("submitted_by")?.map(UserId),
        scheduled_by: r.try_get::<Option<i64>, _>("scheduled_by")?.map(UserId),
        reject_reason: r.try_get("reject_reason")?,
        principles: Vec::new(),
        changed_by: Vec::new(),
        created_at_ms: r.try_get("created_at")?,
        updated_at_ms: r.try_get("updated_at")?,
    })
}

pub(crate) const VARIANT_COLUMNS: &str = "id, story_id, account_id, locale, body, scheduled_at, \
    pub_state, publish_key_at, published_uri, published_at, attempts, last_error";

pub(crate) fn variant_from_row(r: &AnyRow) -> Result<Variant, StoreError> {
    Ok(Variant {
        id: r.try_get("id")?,
        story_id: r.try_get("story_id")?,
        account_id: r.try_get("account_id")?,
        locale: r.try_get("locale")?,
        body: r.try_get("body")?,
        scheduled_at_ms: r.try_get("scheduled_at")?,
        pub_state: PubState::from_str(&r.try_get::<String, _>("pub_state")?)?,
        publish_key_at_ms: r.try_get("publish_key_at")?,
        published_uri: r.try_get("published_uri")?,
        published_at_ms: r.try_get("published_at")?,
        attempts: r.try_get("attempts")?,
        last_error: r.try_get("last_error")?,
        images: Vec::new(),
    })
}

impl Store {
    pub async fn create_story(
        &self,
        author: &Author,
        input: &StoryInput,
    ) -> Result<Story, StoreError> {
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
                let id: i64 = sqlx::query(
                    "INSERT INTO stories (market_id, campaign_id, title, brief, state, author_id, \
                     created_at, updated_at) VALUES ($1, $2, $3, $4, 'draft', $5, $6, $6) \
                     RETURNING id",
                )
                .bind(input.market_id.0)
                .bind(input.campaign_id)
                .bind(&input.title)
                .bind(&input.brief)
                .bind(author_id.0)
                .bind(now)
                .fetch_one(&mut *c)
                .await
                .map_err(|e| reference(e, "the market or campaign does not exist"))?
                .try_get("id")?;
                write_principles(c, id, &input.principles).await?;
                story_editors::record(c, id, author).await?;
                let change = Change {
                    action: "story.create",
                    subject_type: "story",
                    subject_id: id.to_string(),
                    market: Some(input.market_id),
                    before: None,
                    after: snapshot(input),
                };
                Ok(Applied::rows(1, 1, load_story(c, id).await?).audit(change))
            },
            async |_, _| StoreError::NotFound { what: "story" },
        )
        .await
    }

    pub async fn story(&self, id: i64) -> Result<Story, StoreError> {
        load_story(&mut *self.pool().acquire().await?, id).await
    }

    /// The titles of the stories among `ids` that exist (e.g. to name them in the audit log).
    pub async fn story_titles(
        &self,
        ids: &[i64],
    ) -> Result<std::collections::BTreeMap<i64, String>, StoreError> {
        if ids.is_empty() {
            return Ok(Default::default());
        }
        let sql = format!(
            "SELECT id, title FROM stories WHERE id IN ({})",
            crate::in_list(1, ids.len())
        );
        let binds = ids.iter().map(|id| crate::direct::Bind::I(*id)).collect();
        let rows = self
            .read_all(sql, binds, |r| Ok((r.i64("id")?, r.string("title")?)))
            .await?;
        Ok(rows.into_iter().collect())
    }

    /// Stories in `markets` (all when `None`), most recently changed first, optionally in one
    /// state. Lists leave `principles` empty ([`Store::story`] loads them), not `changed_by`:
    /// what the workflow offers from a list is what it offers on the story.
    pub async fn stories(
        &self,
        markets: Option<&[MarketId]>,
        state: Option<StoryState>,
        limit: i64,
    ) -> Result<Vec<Story>, StoreError> {
        // Market ids are integers, so listing them inline is safe; an empty list matches nothing.
        let market_clause = match markets {
            None => String::new(),
            Some(ms) => format!(
                " AND market_id IN ({})",
                std::iter::once("NULL".to_owned())
                    .chain(ms.iter().map(|m| m.0.to_string()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let rows = sqlx::query(&format!(
            "SELECT {STORY_COLUMNS} FROM stories WHERE ($1 IS NULL OR state = $1){market_clause} \
             ORDER BY updated_at DESC, id DESC LIMIT $2"
        ))
        .bind(state.map(|s| s.as_str()))
        .bind(limit.clamp(1, 10_000))
        .fetch_all(self.pool())
        .await?;
        let mut stories = rows
            .iter()
            .map(story_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let ids: Vec<i64> = stories.iter().map(|s| s.id).collect();
        let mut changed_by =
            story_editors::of_many(&mut *self.pool().acquire().await?, &ids).await?;
        for s in &mut stories {
            s.changed_by = changed_by.remove(&s.id).unwrap_or_default();
        }
        Ok(stories)
    }

    /// Changes the story's title, brief, campaign and principles (not its market); returns the
    /// story and whether it went back to draft. Whoever changes any of them is recorded in
    /// `changed_by`. A story that is publishing or published is refused with `State`.
    pub async fn update_story(
        &self,
        author: &Author,
        id: i64,
        input: &StoryInput,
    ) -> Result<(Story, bool), StoreError> {
        audit::write(
            self,
            author,
            Lock::id("stories", id),
            async |c| load_story(c, id).await,
            async |c, before| {
                let n = sqlx::query(&format!(
                    "UPDATE stories SET campaign_id = $1, title = $2, brief = $3, updated_at = $4 \
                     WHERE id = $5 AND {STORY_OPEN}"
                ))
                .bind(input.campaign_id)
                .bind(&input.title)
                .bind(&input.brief)
                .bind(now_ms())
                .bind(id)
                .execute(&mut *c)
                .await
                .map_err(|e| reference(e, "the campaign does not exist"))?
                .rows_affected();
                let mut back = false;
                if n == 1 {
                    sqlx::query("DELETE FROM story_principles WHERE story_id = $1")
                        .bind(id)
                        .execute(&mut *c)
                        .await?;
                    write_principles(c, id, &input.principles).await?;
                    back = back_to_draft(c, before).await?;
                    if fields_differ(before, input) {
                        story_editors::record(c, id, author).await?;
                    }
                }
                let change = Change {
                    action: "story.update",
                    subject_type: "story",
                    subject_id: id.to_string(),
                    market: Some(before.market_id),
                    before: snapshot(&StoryInput {
                        market_id: before.market_id,
                        campaign_id: before.campaign_id,
                        title: before.title.clone(),
                        brief: before.brief.clone(),
                        principles: before.principles.clone(),
                    }),
                    after: snapshot(input),
                };
                Ok(Applied::rows(n, 1, (load_story(c, id).await?, back)).audit(change))
            },
            async |c, _| story_refusal(c, id).await,
        )
        .await
    }

    pub async fn variants(&self, story: i64) -> Result<Vec<Variant>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        let rows = sqlx::query(&format!(
            "SELECT {VARIANT_COLUMNS} FROM variants WHERE story_id = $1 ORDER BY id"
        ))
        .bind(story)
        .fetch_all(&mut *conn)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let mut v = variant_from_row(r)?;
            v.images = image_metas(&mut conn, v.id).await?;
            out.push(v);
        }
        Ok(out)
    }

    pub async fn variant(&self, id: i64) -> Result<Variant, StoreError> {
        load_variant(&mut *self.pool().acquire().await?, id).await
    }

    /// Creates (`id` = None) or changes a variant. Changing content (account, locale, text)
    /// records its author in the story's `changed_by` and sends approved work back to draft;
    /// changing only the time of a scheduled variant moves its job. A
    /// variant that is publishing or published, or one of a story that is, is refused with
    /// `State`, and so is a new variant for such a story.
    pub async fn save_variant(
        &self,
        author: &Author,
        story_id: i64,
        id: Option<i64>,
        input: &VariantInput,
    ) -> Result<Variant, StoreError> {
        self.save_variant_with_images(author, story_id, id, input, &[])
            .await
    }

    /// [`Store::save_variant`], also moving the author's staged images `images` onto the
    /// variant in the same transaction (see `staged_images`): a staged image that is not the
    /// author's, not of this story, or gone fails the save with `NotFound` and nothing changes.
    /// Attaching an image changes the content (approved work goes back to draft).
    pub async fn save_variant_with_images(
        &self,
        author: &Author,
        story_id: i64,
        id: Option<i64>,
        input: &VariantInput,
        images: &[Attach],
    ) -> Result<Variant, StoreError> {
        let lock = match id {
            None => Lock::id("stories", story_id),
            Some(v) => lock_variant(v),
        };
        let vid = audit::write(
            self,
            author,
            lock,
            async |c| {
                let story = load_story(c, story_id).await?;
                let before = match id {
                    Some(v) => Some(load_variant(c, v).await?),
                    None => None,
                };
                if before.as_ref().is_some_and(|b| b.story_id != story_id) {
                    return Err(StoreError::NotFound { what: "variant" });
                }
                Ok((story, before))
            },
            async |c, (story, before)| {
                let now = now_ms();
                let (n, vid) = match before {
                    None => {
                        let row = sqlx::query(&format!(
                            "INSERT INTO variants (story_id, account_id, locale, body, \
                             scheduled_at, pub_state, created_at, updated_at) \
                             SELECT $1, $2, $3, $4, $5, 'pending', $6, $6 WHERE EXISTS \
                             (SELECT 1 FROM stories WHERE id = $1 AND {STORY_OPEN}) RETURNING id"
                        ))
                        .bind(story_id)
                        .bind(input.account_id)
                        .bind(&input.locale)
                        .bind(&input.body)
                        .bind(input.scheduled_at_ms)
                        .bind(now)
                        .fetch_optional(&mut *c)
                        .await
                        .map_err(variant_error)?;
                        match row {
                            Some(r) => (1, r.try_get("id")?),
                            None => (0, 0),
                        }
                    }
                    Some(b) => {
                        let n = sqlx::query(&format!(
                            "UPDATE variants SET account_id = $1, locale = $2, body = $3, \
                             scheduled_at = $4, updated_at = $5 WHERE id = $6 AND {VARIANT_OPEN}"
                        ))
                        .bind(input.account_id)
                        .bind(&input.locale)
                        .bind(&input.body)
                        .bind(input.scheduled_at_ms)
                        .bind(now)
                        .bind(b.id)
                        .execute(&mut *c)
                        .await
                        .map_err(variant_error)?
                        .rows_affected();
                        (n, b.id)
                    }
                };
                if n == 1 {
                    let position = before.as_ref().map_or(0, |b| b.images.len());
                    staged_images::attach(c, author.user_id, story_id, vid, position, images)
                        .await?;
                    let content_changed = !images.is_empty()
                        || before.as_ref().is_none_or(|b| {
                            b.body != input.body
                                || b.account_id != input.account_id
                                || b.locale != input.locale
                        });
                    if content_changed {
                        back_to_draft(c, story).await?;
                        story_editors::record(c, story_id, author).await?;
                    } else if let Some(at) = input.scheduled_at_ms {
                        jobs::reschedule(c, &publish_key(vid), at).await?;
                    }
                }
                let change = Change {
                    action: if before.is_some() {
                        "variant.update"
                    } else {
                        "variant.create"
                    },
                    subject_type: "story",
                    subject_id: story_id.to_string(),
                    market: Some(story.market_id),
                    before: before.as_ref().map(|b| {
                        serde_json::json!({"variant": b.id, "account_id": b.account_id,
                            "locale": b.locale, "body": b.body, "scheduled_at": b.scheduled_at_ms})
                    }),
                    after: Some(serde_json::json!({"variant": vid,
                        "account_id": input.account_id, "locale": input.locale,
                        "body": input.body, "scheduled_at": input.scheduled_at_ms})),
                };
                let mut applied = Applied::rows(n, 1, vid).audit(change);
                for a in images {
                    applied = applied.audit(Change {
                        action: "variant.image_add",
                        subject_type: "story",
                        subject_id: story_id.to_string(),
                        market: Some(story.market_id),
                        before: None,
                        after: Some(serde_json::json!({"variant": vid, "alt": a.alt})),
                    });
                }
                Ok(applied)
            },
            async |c, _| match id {
                Some(v) => variant_refusal(c, v).await,
                None => story_refusal(c, story_id).await,
            },
        )
        .await?;
        self.variant(vid).await
    }

    /// Deletes a variant and cancels its publish job; approved work goes back to draft, and the
    /// author is recorded in the story's `changed_by`. A
    /// variant that is publishing or published, or one of a story that is, is refused with
    /// `State` and nothing changes.
    pub async fn delete_variant(&self, author: &Author, id: i64) -> Result<(), StoreError> {
        audit::write(
            self,
            author,
            lock_variant(id),
            async |c| {
                let v = load_variant(c, id).await?;
                let story = load_story(c, v.story_id).await?;
                Ok((v, story))
            },
            async |c, (v, story)| {
                let n = sqlx::query(&format!(
                    "DELETE FROM variants WHERE id = $1 AND {VARIANT_OPEN}"
                ))
                .bind(id)
                .execute(&mut *c)
                .await?
                .rows_affected();
                if n == 1 {
                    jobs::cancel(c, &publish_key(id)).await?;
                    back_to_draft(c, story).await?;
                    story_editors::record(c, story.id, author).await?;
                }
                let change = Change {
                    action: "variant.delete",
                    subject_type: "story",
                    subject_id: v.story_id.to_string(),
                    market: Some(story.market_id),
                    before: Some(serde_json::json!({"variant": id, "body": v.body})),
                    after: None,
                };
                Ok(Applied::rows(n, 1, ()).audit(change))
            },
            async |c, _| variant_refusal(c, id).await,
        )
        .await
    }
}

/// The story `id` with its principles and who changed it since its approval (`NotFound` when
/// there is none).
pub(crate) async fn load_story(conn: &mut AnyConnection, id: i64) -> Result<Story, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {STORY_COLUMNS} FROM stories WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound { what: "story" })?;
    let mut story = story_from_row(&row)?;
    story.principles = sqlx::query(
        "SELECT principle_id FROM story_principles WHERE story_id = $1 ORDER BY principle_id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| Ok(PrincipleId(r.try_get("principle_id")?)))
    .collect::<Result<_, StoreError>>()?;
    story.changed_by = story_editors::of(conn, id).await?;
    Ok(story)
}

/// The variant `id` with its images (`NotFound` when there is none).
pub(crate) async fn load_variant(conn: &mut AnyConnection, id: i64) -> Result<Variant, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {VARIANT_COLUMNS} FROM variants WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound { what: "variant" })?;
    let mut v = variant_from_row(&row)?;
    v.images = image_metas(conn, id).await?;
    Ok(v)
}

/// If approval no longer holds after an edit, puts the story back to draft and cancels its
/// queued publish jobs. Returns whether it did.
pub(crate) async fn back_to_draft(
    conn: &mut AnyConnection,
    story: &Story,
) -> Result<bool, StoreError> {
    if !story.state.edit_returns_to_draft() {
        return Ok(false);
    }
    sqlx::query("UPDATE stories SET state = 'draft', updated_at = $1 WHERE id = $2")
        .bind(now_ms())
        .bind(story.id)
        .execute(&mut *conn)
        .await?;
    let ids: Vec<i64> = sqlx::query("SELECT id FROM variants WHERE story_id = $1")
        .bind(story.id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| r.try_get("id"))
        .collect::<Result<_, _>>()?;
    for v in ids {
        jobs::cancel(conn, &publish_key(v)).await?;
    }
    Ok(true)
}

/// Whether `input` changes any of the story's fields (principles in any order).
fn fields_differ(before: &Story, input: &StoryInput) -> bool {
    let mut principles = input.principles.clone();
    principles.sort_unstable_by_key(|p| p.0);
    principles.dedup();
    let mut was = before.principles.clone();
    was.sort_unstable_by_key(|p| p.0);
    before.title != input.title
        || before.brief != input.brief
        || before.campaign_id != input.campaign_id
        || was != principles
}

pub(crate) async fn write_principles(
    conn: &mut AnyConnection,
    story: i64,
    principles: &[PrincipleId],
) -> Result<(), StoreError> {
    for p in principles {
        sqlx::query("INSERT INTO story_principles (story_id, principle_id) VALUES ($1, $2)")
            .bind(story)
            .bind(p.0)
            .execute(&mut *conn)
            .await
            .map_err(|e| reference(e, "a cited principle does not exist"))?;
    }
    Ok(())
}

pub(crate) fn reference(e: sqlx::Error, message: &str) -> StoreError {
    if is_foreign_key_violation(&e) {
        StoreError::Reference(message.to_owned())
    } else {
        e.into()
    }
}

pub(crate) fn variant_error(e: sqlx::Error) -> StoreError {
    if is_unique_violation(&e, "locale") || is_unique_violation(&e, "variants_story_id") {
        StoreError::AlreadyExists {
            what: "a variant for this account and locale",
            field: "locale",
        }
    } else {
        reference(e, "the account does not exist")
    }
}

//! Moving stories through the workflow, scheduling, the calendar, and the publish lifecycle the
//! scheduler drives. Each step is one transaction: the state change, the jobs it enqueues or
//! cancels, the notifications it sends and its audit entry commit together or not at all. Each
//! takes the story's row before its variants' (see `story_guard::lock_variant`), like every
//! other writer of stories, so the publisher and an editor cannot deadlock.

use chorus_core::audit::Author;
use chorus_core::stories::workflow::{StoryState, Transition};
use chorus_core::webhooks::EventType;
use chorus_core::{MarketId, Role, UserId};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use crate::audit::{self, Applied, Change, Lock};
use crate::jobs::{self, Job, NewJob};
use crate::notifications::notify;
use crate::stories::{
    PubState, Story, VARIANT_COLUMNS, Variant, load_story, publish_key, variant_from_row,
};
use crate::story_editors;
use crate::story_guard::{VARIANT_FINAL, lock_variant};
use crate::webhooks;
use crate::{Store, StoreError, now_ms};

/// The job kind that publishes one variant.
pub const PUBLISH_JOB: &str = "publish_variant";
/// How many times a publish job is tried before the variant is marked failed.
pub const PUBLISH_MAX_ATTEMPTS: i64 = 8;

/// One variant on the calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CalendarEntry {
    pub variant_id: i64,
    pub story_id: i64,
    pub title: String,
    pub story_state: StoryState,
    pub pub_state: PubState,
    pub market_id: MarketId,
    pub account_id: i64,
    pub account_handle: String,
    pub network: String,
    pub campaign_id: Option<i64>,
    pub locale: String,
    pub scheduled_at_ms: i64,
    pub body: String,
    pub published_uri: Option<String>,
}

/// Calendar filters; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct CalendarFilter {
    pub markets: Option<Vec<MarketId>>,
    pub account: Option<i64>,
    pub campaign: Option<i64>,
    pub state: Option<StoryState>,
}

/// What the publisher must do for a claimed job.
#[derive(Debug, Clone)]
pub enum Begin {
    /// Publish this (idempotently, keyed by variant id and `key_at_ms`).
    Work {
        variant: Box<Variant>,
        story: Box<Story>,
        key_at_ms: i64,
    },
    /// Already published (a retry after a crash that happened after success was recorded).
    AlreadyDone,
    /// The variant or story no longer exists, or was unscheduled: nothing to do.
    Gone,
}

/// After a failed attempt: try again at a time, or give up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    At(i64),
    Never,
}

impl Store {
    /// Applies a workflow transition the caller has checked (see
    /// `chorus_core::stories::workflow::check`), if the story is still as the caller loaded it
    /// (its state and `updated_at_ms`: a story edited, sent back to draft and submitted again
    /// meanwhile is in the same state, but not the one that was checked and shown): otherwise
    /// `Stale`, and nothing changes. An approval is also
    /// refused (`Stale`) when its author wrote the story or changed its content, which the
    /// caller's check refuses already unless the content changed after it loaded the story; an
    /// approval empties the story's `changed_by` (see `story_editors`).
    pub async fn transition_story(
        &self,
        author: &Author,
        story: &Story,
        transition: Transition,
        to: StoryState,
        reason: Option<&str>,
    ) -> Result<Story, StoreError> {
        let action = format!("story.{}", transition.as_str());
        audit::write(
            self,
            author,
            Lock::id("stories", story.id),
            async |c| load_story(c, story.id).await,
            async |c, current| {
                let n = sqlx::query(
                    "UPDATE stories SET state = $1, updated_at = $2, \
                     submitted_by = CASE WHEN $3 = 'submit' THEN $4 ELSE submitted_by END, \
                     scheduled_by = CASE WHEN $3 IN ('schedule', 'retry') THEN $4 \
                     ELSE scheduled_by END, \
                     reject_reason = CASE WHEN $3 = 'reject' THEN $5 WHEN $3 = 'reopen' THEN NULL \
                     ELSE reject_reason END \
                     WHERE id = $6 AND state = $7 AND updated_at = $8 \
                     AND ($3 <> 'approve' OR $4 IS NULL OR \
                     (author_id <> $4 AND NOT EXISTS (SELECT 1 FROM story_editors \
                     WHERE story_id = $6 AND user_id = $4)))",
                )
                .bind(to.as_str())
                .bind(now_ms())
                .bind(transition.as_str())
                .bind(author.user_id.map(|u| u.0))
                .bind(reason)
                .bind(story.id)
                .bind(story.state.as_str())
                .bind(story.updated_at_ms)
                .execute(&mut *c)
                .await?
                .rows_affected();
                if n == 1 {
                    transition_effects(c, author, current, transition, to, reason).await?;
                }
                let change = Change {
                    action: &action,
                    subject_type: "story",
                    subject_id: story.id.to_string(),
                    market: Some(current.market_id),
                    before: Some(serde_json::json!({"state": story.state.as_str()})),
                    after: Some(match reason {
                        Some(r) => serde_json::json!({"state": to.as_str(), "reason": r}),
                        None => serde_json::json!({"state": to.as_str()}),
                    }),
                };
                Ok(Applied::rows(n, 1, ()).audit(change))
            },
            async |_, _| StoreError::Stale { what: "this story" },
        )
        .await?;
        self.story(story.id).await
    }

    /// Moves a not-yet-published variant to another time (the calendar's drag and drop); one
    /// that is publishing or published is refused with `State`.
    pub async fn reschedule_variant(
        &self,
        author: &Author,
        variant: i64,
        at_ms: i64,
    ) -> Result<Variant, StoreError> {
        audit::write(
            self,
            author,
            lock_variant(variant),
            async |c| {
                let v = crate::stories::load_variant(c, variant).await?;
                let story = load_story(c, v.story_id).await?;
                Ok((v, story))
            },
            async |c, (v, story)| {
                let n = sqlx::query(
                    "UPDATE variants SET scheduled_at = $1, updated_at = $2 WHERE id = $3 \
                     AND pub_state NOT IN ('publishing', 'published')",
                )
                .bind(at_ms)
                .bind(now_ms())
                .bind(variant)
                .execute(&mut *c)
                .await?
                .rows_affected();
                if n == 1 {
                    jobs::reschedule(c, &publish_key(variant), at_ms).await?;
                }
                let change = Change {
                    action: "variant.reschedule",
                    subject_type: "story",
                    subject_id: story.id.to_string(),
                    market: Some(story.market_id),
                    before: Some(
                        serde_json::json!({"variant": variant, "scheduled_at": v.scheduled_at_ms}),
                    ),
                    after: Some(serde_json::json!({"variant": variant, "scheduled_at": at_ms})),
                };
                Ok(Applied::rows(n, 1, ()).audit(change))
            },
            async |c, _| {
                let state = sqlx::query("SELECT pub_state FROM variants WHERE id = $1")
                    .bind(variant)
                    .fetch_optional(c)
                    .await;
                match state {
                    Err(e) => e.into(),
                    Ok(None) => StoreError::NotFound { what: "variant" },
                    Ok(Some(_)) => StoreError::State(VARIANT_FINAL.into()),
                }
            },
        )
        .await?;
        self.variant(variant).await
    }

    /// Variants with a time in `[from_ms, to_ms)`, in time order.
    pub async fn calendar(
        &self,
        from_ms: i64,
        to_ms: i64,
        filter: &CalendarFilter,
    ) -> Result<Vec<CalendarEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT v.id AS variant_id, s.id AS story_id, s.title, s.state, v.pub_state, \
             s.market_id, v.account_id, a.handle, a.network, s.campaign_id, v.locale, \
             v.scheduled_at, v.body, v.published_uri \
             FROM variants v JOIN stories s ON s.id = v.story_id JOIN accounts a ON a.id = v.account_id \
             WHERE v.scheduled_at >= $1 AND v.scheduled_at < $2 \
             AND ($3 IS NULL OR v.account_id = $3) AND ($4 IS NULL OR s.campaign_id = $4) \
             AND ($5 IS NULL OR s.state = $5) ORDER BY v.scheduled_at, v.id",
        )
        .bind(from_ms)
        .bind(to_ms)
        .bind(filter.account)
        .bind(filter.campaign)
        .bind(filter.state.map(|s| s.as_str()))
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let market = MarketId(r.try_get("market_id")?);
            if filter
                .markets
                .as_ref()
                .is_some_and(|ms| !ms.contains(&market))
            {
                continue;
            }
            out.push(CalendarEntry {
                variant_id: r.try_get("variant_id")?,
                story_id: r.try_get("story_id")?,
                title: r.try_get("title")?,
                story_state: StoryState::parse(&r.try_get::<String, _>("state")?)
                    .map_err(|e| StoreError::corrupt("story state", e))?,
                pub_state: crate::stories::PubState::from_str(
                    &r.try_get::<String, _>("pub_state")?,
                )?,
                market_id: market,
                account_id: r.try_get("account_id")?,
                account_handle: r.try_get("handle")?,
                network: r.try_get("network")?,
                campaign_id: r.try_get("campaign_id")?,
                locale: r.try_get("locale")?,
                scheduled_at_ms: r.try_get("scheduled_at")?,
                body: r.try_get("body")?,
                published_uri: r.try_get("published_uri")?,
            });
        }
        Ok(out)
    }

    /// Starts publishing the variant of a claimed job: fixes its publish key time (once, ever)
    /// and marks it publishing.
    pub async fn begin_publish(&self, job: &Job, variant: i64) -> Result<Begin, StoreError> {
        let now = now_ms();
        let mut tx = audit::begin(self, &lock_variant(variant)).await?;
        let row = sqlx::query(&format!(
            "SELECT {VARIANT_COLUMNS} FROM variants WHERE id = $1"
        ))
        .bind(variant)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            jobs::finish(&mut tx, job.id, true, Some("the variant was deleted")).await?;
            tx.commit().await?;
            return Ok(Begin::Gone);
        };
        let v = variant_from_row(&row)?;
        if v.pub_state == PubState::Published {
            jobs::finish(&mut tx, job.id, true, None).await?;
            tx.commit().await?;
            return Ok(Begin::AlreadyDone);
        }
        let state: String = sqlx::query("SELECT state FROM stories WHERE id = $1")
            .bind(v.story_id)
            .fetch_one(&mut *tx)
            .await?
            .try_get("state")?;
        if !matches!(state.as_str(), "scheduled" | "publishing") {
            jobs::finish(
                &mut tx,
                job.id,
                true,
                Some("the story is no longer scheduled"),
            )
            .await?;
            tx.commit().await?;
            return Ok(Begin::Gone);
        }
        sqlx::query(
            "UPDATE variants SET pub_state = 'publishing', attempts = attempts + 1, \
             publish_key_at = COALESCE(publish_key_at, $1), updated_at = $1 WHERE id = $2",
        )
        .bind(now)
        .bind(variant)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE stories SET state = 'publishing', updated_at = $1 WHERE id = $2 AND state = 'scheduled'")
            .bind(now)
            .bind(v.story_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        let variant = self.variant(variant).await?;
        let story = self.story(variant.story_id).await?;
        let key_at_ms = variant.publish_key_at_ms.unwrap_or(now);
        Ok(Begin::Work {
            variant: Box::new(variant),
            story: Box::new(story),
            key_at_ms,
        })
    }

    /// Records a publication: the variant's URI, the job done, and the story published when its
    /// last variant is.
    pub async fn complete_publish(
        &self,
        job: &Job,
        variant: i64,
        uri: &str,
    ) -> Result<(), StoreError> {
        audit::write(
            self,
            &Author::system("scheduler"),
            lock_variant(variant),
            async |c| story_of_variant(c, variant).await,
            async |c, story_id| {
                let now = now_ms();
                let n = sqlx::query(
                    "UPDATE variants SET pub_state = 'published', published_uri = $1, \
                     published_at = $2, last_error = NULL, updated_at = $2 WHERE id = $3",
                )
                .bind(uri)
                .bind(now)
                .bind(variant)
                .execute(&mut *c)
                .await?
                .rows_affected();
                jobs::finish(c, job.id, true, None).await?;
                let left: i64 = sqlx::query(
                    "SELECT COUNT(*) AS n FROM variants WHERE story_id = $1 \
                     AND pub_state <> 'published'",
                )
                .bind(story_id)
                .fetch_one(&mut *c)
                .await?
                .try_get("n")?;
                let story = load_story(c, *story_id).await?;
                if left == 0 && story.state != StoryState::Published {
                    sqlx::query(
                        "UPDATE stories SET state = 'published', updated_at = $1 WHERE id = $2",
                    )
                    .bind(now)
                    .bind(story_id)
                    .execute(&mut *c)
                    .await?;
                    let link = format!("/stories/{story_id}");
                    let msg = format!("“{}” is published", story.title);
                    for u in people_to_tell(&story) {
                        notify(c, u, &link, &msg).await?;
                    }
                    let uri = serde_json::json!({ "variant_id": variant, "uri": uri });
                    let kind = EventType::StoryPublished;
                    webhooks::events::story(c, kind, &story, "published", uri).await?;
                }
                let change = Change {
                    action: "variant.published",
                    subject_type: "story",
                    subject_id: story_id.to_string(),
                    market: Some(story.market_id),
                    before: None,
                    after: Some(serde_json::json!({"variant": variant, "uri": uri})),
                };
                Ok(Applied::rows(n, 1, ()).audit(change))
            },
            async |_, _| StoreError::NotFound { what: "variant" },
        )
        .await
    }

    /// Records a failed attempt: retried later, or the variant and its story marked failed and
    /// the people who scheduled and wrote it notified (only giving up is audited).
    pub async fn fail_publish(
        &self,
        job: &Job,
        variant: i64,
        error: &str,
        retry: Retry,
    ) -> Result<(), StoreError> {
        audit::write(
            self,
            &Author::system("scheduler"),
            lock_variant(variant),
            async |c| story_of_variant(c, variant).await,
            async |c, story_id| {
                let now = now_ms();
                let at = match retry {
                    Retry::At(at) => Some(at),
                    Retry::Never => None,
                };
                let n = sqlx::query(
                    "UPDATE variants SET pub_state = $1, last_error = $2, updated_at = $3 \
                     WHERE id = $4",
                )
                .bind(if at.is_some() { "pending" } else { "failed" })
                .bind(error)
                .bind(now)
                .bind(variant)
                .execute(&mut *c)
                .await?
                .rows_affected();
                if let Some(at) = at {
                    sqlx::query(
                        "UPDATE jobs SET state = 'queued', run_at = $1, last_error = $2, \
                         lease_owner = NULL, lease_until = NULL, updated_at = $3 WHERE id = $4",
                    )
                    .bind(at)
                    .bind(error)
                    .bind(now)
                    .bind(job.id)
                    .execute(&mut *c)
                    .await?;
                    return Ok(Applied::rows(n, 1, ()));
                }
                jobs::finish(c, job.id, false, Some(error)).await?;
                sqlx::query("UPDATE stories SET state = 'failed', updated_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(story_id)
                    .execute(&mut *c)
                    .await?;
                let story = load_story(c, *story_id).await?;
                let link = format!("/stories/{story_id}");
                let msg = format!("“{}” could not be published: {error}", story.title);
                for u in people_to_tell(&story) {
                    notify(c, u, &link, &msg).await?;
                }
                let why = serde_json::json!({ "variant_id": variant, "error": error });
                webhooks::events::story(c, EventType::StoryFailed, &story, "failed", why).await?;
                let change = Change {
                    action: "variant.failed",
                    subject_type: "story",
                    subject_id: story_id.to_string(),
                    market: Some(story.market_id),
                    before: None,
                    after: Some(serde_json::json!({"variant": variant, "error": error})),
                };
                Ok(Applied::rows(n, 1, ()).audit(change))
            },
            async |_, _| StoreError::NotFound { what: "variant" },
        )
        .await
    }
}

/// The id of variant `variant`'s story (`NotFound` when the variant is gone).
async fn story_of_variant(conn: &mut AnyConnection, variant: i64) -> Result<i64, StoreError> {
    sqlx::query("SELECT story_id FROM variants WHERE id = $1")
        .bind(variant)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound { what: "variant" })?
        .try_get("story_id")
        .map_err(StoreError::from)
}

/// What a transition does besides the story's state: the publish jobs it enqueues or cancels
/// (refusing to schedule a variant without a time, or to unschedule while a post is being
/// published), and the people it tells.
async fn transition_effects(
    conn: &mut AnyConnection,
    author: &Author,
    story: &Story,
    transition: Transition,
    to: StoryState,
    reason: Option<&str>,
) -> Result<(), StoreError> {
    let variants = load_variants(conn, story.id).await?;
    match transition {
        Transition::Schedule => {
            for v in &variants {
                let Some(at) = v.scheduled_at_ms else {
                    return Err(StoreError::Reference(format!(
                        "variant {} has no time; give every variant a time before scheduling",
                        v.id
                    )));
                };
                if v.pub_state != PubState::Published {
                    enqueue_publish(conn, v.id, at).await?;
                }
            }
        }
        Transition::Unschedule => {
            if variants.iter().any(|v| v.pub_state == PubState::Publishing) {
                return Err(StoreError::State(
                    "a post of this story is being published now; wait for it to finish".into(),
                ));
            }
            for v in &variants {
                jobs::cancel(conn, &publish_key(v.id)).await?;
            }
        }
        Transition::Retry => {
            let now = now_ms();
            for v in variants.iter().filter(|v| v.pub_state == PubState::Failed) {
                sqlx::query(
                    "UPDATE variants SET pub_state = 'pending', updated_at = $1 WHERE id = $2",
                )
                .bind(now)
                .bind(v.id)
                .execute(&mut *conn)
                .await?;
                enqueue_publish(conn, v.id, now).await?;
            }
        }
        Transition::Reopen => {
            for v in &variants {
                jobs::cancel(conn, &publish_key(v.id)).await?;
            }
        }
        // What was approved was seen by someone who did not change it: the next change starts
        // the list of who changed it again.
        Transition::Approve => story_editors::clear(conn, story.id).await?,
        Transition::Submit | Transition::Reject => {}
    }
    let event = match transition {
        Transition::Submit => Some(EventType::StorySubmitted),
        Transition::Approve => Some(EventType::StoryApproved),
        _ => None,
    };
    if let Some(kind) = event {
        let by = serde_json::json!({ "by_user_id": author.user_id.map(|u| u.0) });
        webhooks::events::story(conn, kind, story, to.as_str(), by).await?;
    }
    let title = &story.title;
    // People by name in what they read ("approved by Sanna Korhonen"), not by email.
    let who = match author.user_id {
        Some(id) => sqlx::query("SELECT display_name FROM users WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| r.try_get::<String, _>("display_name"))
            .transpose()?
            .unwrap_or_else(|| author.label.clone()),
        None => author.label.clone(),
    };
    let mut tell: Vec<(UserId, String)> = Vec::new();
    match transition {
        Transition::Submit => {
            // Only the leads who may approve it: not its author, nor who changed it.
            for lead in market_leads(conn, story.market_id).await? {
                if lead != story.author_id && !story.changed_by.contains(&lead) {
                    tell.push((lead, format!("{who} asks you to review “{title}”")));
                }
            }
        }
        Transition::Approve => {
            tell.push((story.author_id, format!("“{title}” was approved by {who}")))
        }
        Transition::Reject => tell.push((
            story.author_id,
            format!("“{title}” was sent back by {who}: {}", reason.unwrap_or("")),
        )),
        Transition::Schedule => tell.push((story.author_id, format!("“{title}” is scheduled"))),
        Transition::Unschedule | Transition::Reopen | Transition::Retry => {}
    }
    if let Some(sub) = story.submitted_by
        && matches!(transition, Transition::Approve | Transition::Reject)
        && sub != story.author_id
    {
        tell.push((
            sub,
            format!("“{title}”: {} by {who}", to.label().to_lowercase()),
        ));
    }
    let link = format!("/stories/{}", story.id);
    for (user, message) in tell {
        if Some(user) != author.user_id {
            notify(conn, user, &link, &message).await?;
        }
    }
    Ok(())
}

async fn enqueue_publish(
    conn: &mut AnyConnection,
    variant: i64,
    at: i64,
) -> Result<(), StoreError> {
    let key = publish_key(variant);
    let payload = serde_json::json!({ "variant": variant }).to_string();
    jobs::enqueue(
        conn,
        &NewJob {
            kind: PUBLISH_JOB,
            key: &key,
            payload: &payload,
            run_at_ms: at,
            max_attempts: PUBLISH_MAX_ATTEMPTS,
        },
    )
    .await
}

async fn load_variants(conn: &mut AnyConnection, story: i64) -> Result<Vec<Variant>, StoreError> {
    sqlx::query(&format!(
        "SELECT {VARIANT_COLUMNS} FROM variants WHERE story_id = $1 ORDER BY id"
    ))
    .bind(story)
    .fetch_all(conn)
    .await?
    .iter()
    .map(variant_from_row)
    .collect()
}

async fn market_leads(
    conn: &mut AnyConnection,
    market: MarketId,
) -> Result<Vec<UserId>, StoreError> {
    sqlx::query(
        "SELECT DISTINCT m.user_id FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.role = $1 AND m.market_id = $2 AND u.active = 1 ORDER BY m.user_id",
    )
    .bind(Role::MarketLead.as_str())
    .bind(market.0)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|r| Ok(UserId(r.try_get("user_id")?)))
    .collect()
}

fn people_to_tell(story: &Story) -> Vec<UserId> {
    let mut v = vec![story.author_id];
    if let Some(s) = story.scheduled_by
        && s != story.author_id
    {
        v.push(s);
    }
    v
}

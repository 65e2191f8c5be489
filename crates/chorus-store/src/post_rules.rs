//! The playbook's rules for posts (see `chorus_core::stories::rules`), edited by admins and
//! global leads; every change audited.

use chorus_core::audit::Author;
use chorus_core::stories::rules::{Rule, RuleKind};
use chorus_core::{MarketId, PrincipleId};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::audit::{self, Applied, Change, Lock, snapshot};
use crate::{Store, StoreError, now_ms};

fn rule_from_row(r: &AnyRow) -> Result<Rule, StoreError> {
    let kind = RuleKind::parse(
        &r.try_get::<String, _>("kind")?,
        &r.try_get::<String, _>("term")?,
    )
    .map_err(|e| StoreError::corrupt("post rule", e))?;
    Ok(Rule {
        id: r.try_get("id")?,
        kind,
        market: r.try_get::<Option<i64>, _>("market_id")?.map(MarketId),
        principle: r
            .try_get::<Option<i64>, _>("principle_id")?
            .map(PrincipleId),
        enabled: r.try_get::<i64, _>("enabled")? != 0,
    })
}

fn term(kind: &RuleKind) -> &str {
    match kind {
        RuleKind::BannedTerm { term } | RuleKind::RequiredTerm { term } => term,
        _ => "",
    }
}

impl Store {
    pub async fn post_rules(&self) -> Result<Vec<Rule>, StoreError> {
        sqlx::query(
            "SELECT id, kind, term, market_id, principle_id, enabled FROM post_rules ORDER BY id",
        )
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(rule_from_row)
        .collect()
    }

    /// Creates (`rule.id == 0`) or replaces a rule.
    pub async fn save_post_rule(&self, author: &Author, rule: &Rule) -> Result<Rule, StoreError> {
        let lock = if rule.id == 0 {
            Lock::nothing()
        } else {
            Lock::id("post_rules", rule.id)
        };
        audit::write(
            self,
            author,
            lock,
            async |c| match rule.id {
                0 => Ok(None),
                id => load(c, id).await.map(Some),
            },
            async |c, before| {
                let now = now_ms();
                let (n, id) = if rule.id == 0 {
                    let id: i64 = sqlx::query(
                        "INSERT INTO post_rules (kind, term, market_id, principle_id, enabled, \
                         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
                    )
                    .bind(rule.kind.key())
                    .bind(term(&rule.kind))
                    .bind(rule.market.map(|m| m.0))
                    .bind(rule.principle.map(|p| p.0))
                    .bind(i64::from(rule.enabled))
                    .bind(now)
                    .fetch_one(&mut *c)
                    .await?
                    .try_get("id")?;
                    (1, id)
                } else {
                    let n = sqlx::query(
                        "UPDATE post_rules SET kind = $1, term = $2, market_id = $3, \
                         principle_id = $4, enabled = $5, updated_at = $6 WHERE id = $7",
                    )
                    .bind(rule.kind.key())
                    .bind(term(&rule.kind))
                    .bind(rule.market.map(|m| m.0))
                    .bind(rule.principle.map(|p| p.0))
                    .bind(i64::from(rule.enabled))
                    .bind(now)
                    .bind(rule.id)
                    .execute(&mut *c)
                    .await?
                    .rows_affected();
                    (n, rule.id)
                };
                let saved = Rule { id, ..rule.clone() };
                let change = Change {
                    action: if before.is_some() {
                        "rule.update"
                    } else {
                        "rule.create"
                    },
                    subject_type: "rule",
                    subject_id: id.to_string(),
                    market: saved.market,
                    before: before.as_ref().and_then(snapshot),
                    after: snapshot(&saved),
                };
                Ok(Applied::rows(n, 1, saved).audit(change))
            },
            async |_, _| StoreError::NotFound { what: "rule" },
        )
        .await
    }

    pub async fn delete_post_rule(&self, author: &Author, id: i64) -> Result<(), StoreError> {
        audit::write(
            self,
            author,
            Lock::id("post_rules", id),
            async |c| load(c, id).await,
            async |c, before| {
                let n = sqlx::query("DELETE FROM post_rules WHERE id = $1")
                    .bind(id)
                    .execute(&mut *c)
                    .await?
                    .rows_affected();
                let change = Change {
                    action: "rule.delete",
                    subject_type: "rule",
                    subject_id: id.to_string(),
                    market: before.market,
                    before: snapshot(before),
                    after: None,
                };
                Ok(Applied::rows(n, 1, ()).audit(change))
            },
            async |_, _| StoreError::NotFound { what: "rule" },
        )
        .await
    }
}

/// The rule `id` (`NotFound` when there is none).
async fn load(conn: &mut AnyConnection, id: i64) -> Result<Rule, StoreError> {
    let row = sqlx::query(
        "SELECT id, kind, term, market_id, principle_id, enabled FROM post_rules WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound { what: "rule" })?;
    rule_from_row(&row)
}

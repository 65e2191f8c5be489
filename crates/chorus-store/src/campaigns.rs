//! Campaigns: objectives with targets, markets, period, the principles they serve.

use chorus_core::audit::Author;
use chorus_core::stories::{CampaignInput, CampaignState, Objective, check_activation};
use chorus_core::{MarketId, PrincipleId};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use crate::audit::{self, Applied, Change, Lock, snapshot};
use crate::direct::RowGet;
use crate::error::is_unique_violation;
use crate::{Store, StoreError, now_ms};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Campaign {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub state: CampaignState,
    pub starts_on: jiff::civil::Date,
    pub ends_on: jiff::civil::Date,
    pub objectives: Vec<Objective>,
    pub markets: Vec<MarketId>,
    pub principles: Vec<PrincipleId>,
}

impl Store {
    /// Every campaign, latest start first. Four statements whatever their number (one per
    /// table), not four per campaign: the Numbers pages list campaigns on every request.
    pub async fn campaigns(&self) -> Result<Vec<Campaign>, StoreError> {
        use std::collections::BTreeMap;
        // On direct connections on SQLite: the Numbers pages list the campaigns.
        let rows: Vec<Campaign> = self
            .read_all(
                "SELECT id, name, slug, state, starts_on, ends_on FROM campaigns \
                 ORDER BY starts_on DESC, id DESC",
                Vec::new(),
                |r| campaign_from_row(r, Vec::new(), Vec::new(), Vec::new()),
            )
            .await?;
        let mut objectives: BTreeMap<i64, Vec<Objective>> = BTreeMap::new();
        for (campaign, o) in self
            .read_all(
                "SELECT campaign_id, metric, target, period FROM campaign_objectives \
                 ORDER BY campaign_id, position",
                Vec::new(),
                |o| Ok((o.i64("campaign_id")?, objective_from_row(o)?)),
            )
            .await?
        {
            objectives.entry(campaign).or_default().push(o);
        }
        let mut markets: BTreeMap<i64, Vec<MarketId>> = BTreeMap::new();
        for (campaign, market) in self
            .read_all(
                "SELECT campaign_id, market_id FROM campaign_markets \
                 ORDER BY campaign_id, market_id",
                Vec::new(),
                |m| Ok((m.i64("campaign_id")?, m.i64("market_id")?)),
            )
            .await?
        {
            markets.entry(campaign).or_default().push(MarketId(market));
        }
        let mut principles: BTreeMap<i64, Vec<PrincipleId>> = BTreeMap::new();
        for (campaign, principle) in self
            .read_all(
                "SELECT campaign_id, principle_id FROM campaign_principles \
                 ORDER BY campaign_id, principle_id",
                Vec::new(),
                |p| Ok((p.i64("campaign_id")?, p.i64("principle_id")?)),
            )
            .await?
        {
            principles
                .entry(campaign)
                .or_default()
                .push(PrincipleId(principle));
        }
        Ok(rows
            .into_iter()
            .map(|c| Campaign {
                objectives: objectives.remove(&c.id).unwrap_or_default(),
                markets: markets.remove(&c.id).unwrap_or_default(),
                principles: principles.remove(&c.id).unwrap_or_default(),
                ..c
            })
            .collect())
    }

    pub async fn campaign(&self, id: i64) -> Result<Campaign, StoreError> {
        load(&mut *self.pool().acquire().await?, id).await
    }

    pub async fn create_campaign(
        &self,
        author: &Author,
        input: &CampaignInput,
    ) -> Result<Campaign, StoreError> {
        audit::write(
            self,
            author,
            Lock::nothing(),
            async |_| Ok(()),
            async |c, _| {
                let now = now_ms();
                let id: i64 = sqlx::query(
                    "INSERT INTO campaigns (name, slug, state, starts_on, ends_on, created_at, \
                     updated_at) VALUES ($1, $2, 'planning', $3, $4, $5, $5) RETURNING id",
                )
                .bind(&input.name)
                .bind(&input.slug)
                .bind(input.starts_on.to_string())
                .bind(input.ends_on.to_string())
                .bind(now)
                .fetch_one(&mut *c)
                .await
                .map_err(campaign_conflict)?
                .try_get("id")?;
                write_parts(c, id, input).await?;
                let change = Change {
                    action: "campaign.create",
                    subject_type: "campaign",
                    subject_id: id.to_string(),
                    market: input.markets.first().copied(),
                    before: None,
                    after: snapshot(input),
                };
                Ok(Applied::rows(1, 1, load(c, id).await?).audit(change))
            },
            async |_, _| StoreError::NotFound { what: "campaign" },
        )
        .await
    }

    pub async fn update_campaign(
        &self,
        author: &Author,
        id: i64,
        input: &CampaignInput,
    ) -> Result<Campaign, StoreError> {
        audit::write(
            self,
            author,
            Lock::id("campaigns", id),
            async |c| load(c, id).await,
            async |c, before| {
                if before.state == CampaignState::Active {
                    check_activation(&input.objectives)
                        .map_err(|e| StoreError::Reference(e.message))?;
                }
                let n = sqlx::query(
                    "UPDATE campaigns SET name = $1, slug = $2, starts_on = $3, ends_on = $4, \
                     updated_at = $5 WHERE id = $6",
                )
                .bind(&input.name)
                .bind(&input.slug)
                .bind(input.starts_on.to_string())
                .bind(input.ends_on.to_string())
                .bind(now_ms())
                .bind(id)
                .execute(&mut *c)
                .await
                .map_err(campaign_conflict)?
                .rows_affected();
                for table in [
                    "campaign_objectives",
                    "campaign_markets",
                    "campaign_principles",
                ] {
                    sqlx::query(&format!("DELETE FROM {table} WHERE campaign_id = $1"))
                        .bind(id)
                        .execute(&mut *c)
                        .await?;
                }
                write_parts(c, id, input).await?;
                let change = Change {
                    action: "campaign.update",
                    subject_type: "campaign",
                    subject_id: id.to_string(),
                    market: input.markets.first().copied(),
                    before: snapshot(before),
                    after: snapshot(input),
                };
                Ok(Applied::rows(n, 1, load(c, id).await?).audit(change))
            },
            async |_, _| StoreError::NotFound { what: "campaign" },
        )
        .await
    }

    /// Moves a campaign to `state`; activation requires an objective with a target.
    pub async fn set_campaign_state(
        &self,
        author: &Author,
        id: i64,
        state: CampaignState,
    ) -> Result<Campaign, StoreError> {
        audit::write(
            self,
            author,
            Lock::id("campaigns", id),
            async |c| load(c, id).await,
            async |c, before| {
                if state == CampaignState::Active {
                    check_activation(&before.objectives)
                        .map_err(|e| StoreError::Reference(e.message))?;
                }
                let n =
                    sqlx::query("UPDATE campaigns SET state = $1, updated_at = $2 WHERE id = $3")
                        .bind(state.as_str())
                        .bind(now_ms())
                        .bind(id)
                        .execute(&mut *c)
                        .await?
                        .rows_affected();
                let change = Change {
                    action: "campaign.state",
                    subject_type: "campaign",
                    subject_id: id.to_string(),
                    market: before.markets.first().copied(),
                    before: Some(serde_json::json!({"state": before.state.as_str()})),
                    after: Some(serde_json::json!({"state": state.as_str()})),
                };
                let after = Campaign {
                    state,
                    ..before.clone()
                };
                Ok(Applied::rows(n, 1, after).audit(change))
            },
            async |_, _| StoreError::NotFound { what: "campaign" },
        )
        .await
    }
}

/// The campaign `id` with its objectives, markets and principles (`NotFound` when there is
/// none).
async fn load(conn: &mut AnyConnection, id: i64) -> Result<Campaign, StoreError> {
    let r = sqlx::query(
        "SELECT id, name, slug, state, starts_on, ends_on FROM campaigns WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound { what: "campaign" })?;
    let objectives = sqlx::query(
        "SELECT metric, target, period FROM campaign_objectives WHERE campaign_id = $1 \
         ORDER BY position",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|o| objective_from_row(o))
    .collect::<Result<Vec<_>, StoreError>>()?;
    let markets = sqlx::query(
        "SELECT market_id FROM campaign_markets WHERE campaign_id = $1 ORDER BY market_id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|m| Ok(MarketId(m.try_get("market_id")?)))
    .collect::<Result<Vec<_>, StoreError>>()?;
    let principles = sqlx::query(
        "SELECT principle_id FROM campaign_principles WHERE campaign_id = $1 \
         ORDER BY principle_id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|m| Ok(PrincipleId(m.try_get("principle_id")?)))
    .collect::<Result<Vec<_>, StoreError>>()?;
    campaign_from_row(&r, objectives, markets, principles)
}

fn objective_from_row(o: &dyn RowGet) -> Result<Objective, StoreError> {
    Ok(Objective {
        metric: o.string("metric")?,
        target: o.f64("target")?,
        period: o.string("period")?,
    })
}

/// A campaign from its row (id, name, slug, state, starts_on, ends_on) and its parts.
fn campaign_from_row(
    r: &dyn RowGet,
    objectives: Vec<Objective>,
    markets: Vec<MarketId>,
    principles: Vec<PrincipleId>,
) -> Result<Campaign, StoreError> {
    let corrupt = |e: &dyn std::fmt::Display| StoreError::corrupt("campaign", e);
    Ok(Campaign {
        id: r.i64("id")?,
        name: r.string("name")?,
        slug: r.string("slug")?,
        state: CampaignState::parse(&r.string("state")?).map_err(|e| corrupt(&e))?,
        starts_on: r.string("starts_on")?.parse().map_err(|e| corrupt(&e))?,
        ends_on: r.string("ends_on")?.parse().map_err(|e| corrupt(&e))?,
        objectives,
        markets,
        principles,
    })
}

async fn write_parts(
    conn: &mut AnyConnection,
    id: i64,
    input: &CampaignInput,
) -> Result<(), StoreError> {
    for (i, o) in input.objectives.iter().enumerate() {
        sqlx::query(
            "INSERT INTO campaign_objectives (campaign_id, position, metric, target, period) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(i as i64)
        .bind(&o.metric)
        .bind(o.target)
        .bind(&o.period)
        .execute(&mut *conn)
        .await?;
    }
    for m in &input.markets {
        sqlx::query("INSERT INTO campaign_markets (campaign_id, market_id) VALUES ($1, $2)")
            .bind(id)
            .bind(m.0)
            .execute(&mut *conn)
            .await
            .map_err(|e| reference(e, format!("market {m} does not exist")))?;
    }
    for p in &input.principles {
        sqlx::query("INSERT INTO campaign_principles (campaign_id, principle_id) VALUES ($1, $2)")
            .bind(id)
            .bind(p.0)
            .execute(&mut *conn)
            .await
            .map_err(|e| reference(e, format!("principle {p} does not exist")))?;
    }
    Ok(())
}

fn reference(e: sqlx::Error, message: String) -> StoreError {
    if crate::error::is_foreign_key_violation(&e) {
        StoreError::Reference(message)
    } else {
        e.into()
    }
}

fn campaign_conflict(e: sqlx::Error) -> StoreError {
    if is_unique_violation(&e, "slug") {
        StoreError::AlreadyExists {
            what: "a campaign with this name",
            field: "name",
        }
    } else {
        e.into()
    }
}

//! The organization, its markets and their teams.

use chorus_core::audit::Author;
use chorus_core::org::{CountryCode, Locale, Market, MarketCode, MarketInput, Team, TimeZoneName};
use chorus_core::{MarketId, TeamId};
use serde::Serialize;
use sqlx::{Any, Executor, Row};

use crate::audit::{self, Applied, Change, Lock, snapshot};
use crate::direct::{Bind, RowGet};
use crate::error::{is_foreign_key_violation, is_unique_violation};
use crate::{Store, StoreError, now_ms};

/// The one organization an installation serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Organization {
    pub name: String,
    pub slug: String,
}

const MARKET_COLUMNS: &str = "id, code, name, country, locales, timezone";

impl Store {
    pub async fn organization(&self) -> Result<Option<Organization>, StoreError> {
        let row = sqlx::query("SELECT name, slug FROM organization WHERE id = 1")
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| {
            Ok(Organization {
                name: r.try_get("name")?,
                slug: r.try_get("slug")?,
            })
        })
        .transpose()
    }

    /// Creates or renames the organization.
    pub async fn set_organization(
        &self,
        author: &Author,
        org: &Organization,
    ) -> Result<(), StoreError> {
        audit::write(
            self,
            author,
            Lock::id("organization", 1),
            async |c| {
                sqlx::query("SELECT name, slug FROM organization WHERE id = 1")
                    .fetch_optional(&mut *c)
                    .await?
                    .map(|r| -> Result<Organization, StoreError> {
                        Ok(Organization {
                            name: r.try_get("name")?,
                            slug: r.try_get("slug")?,
                        })
                    })
                    .transpose()
            },
            async |c, before| {
                let n = sqlx::query(
                    "INSERT INTO organization (id, name, slug, created_at) VALUES (1, $1, $2, $3) \
                     ON CONFLICT (id) DO UPDATE SET name = excluded.name, slug = excluded.slug",
                )
                .bind(&org.name)
                .bind(&org.slug)
                .bind(now_ms())
                .execute(&mut *c)
                .await?
                .rows_affected();
                let change = Change {
                    action: if before.is_some() {
                        "organization.update"
                    } else {
                        "organization.create"
                    },
                    subject_type: "organization",
                    subject_id: "1".into(),
                    market: None,
                    before: before.as_ref().and_then(snapshot),
                    after: snapshot(org),
                };
                Ok(Applied::rows(n, 1, ()).audit(change))
            },
            async |_, _| StoreError::NotFound {
                what: "organization",
            },
        )
        .await
    }

    pub async fn markets(&self) -> Result<Vec<Market>, StoreError> {
        self.read_all(
            format!("SELECT {MARKET_COLUMNS} FROM markets ORDER BY name"),
            Vec::new(),
            market_from_row,
        )
        .await
    }

    pub async fn market(&self, id: MarketId) -> Result<Market, StoreError> {
        let sql = format!("SELECT {MARKET_COLUMNS} FROM markets WHERE id = $1");
        self.read_one(sql, vec![Bind::I(id.0)], market_from_row)
            .await?
            .ok_or(StoreError::NotFound { what: "market" })
    }

    pub async fn market_by_code(&self, code: &MarketCode) -> Result<Market, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {MARKET_COLUMNS} FROM markets WHERE code = $1"
        ))
        .bind(code.as_str())
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound { what: "market" })?;
        market_from_row(&row)
    }

    pub async fn create_market(
        &self,
        author: &Author,
        input: &MarketInput,
    ) -> Result<Market, StoreError> {
        audit::write(
            self,
            author,
            Lock::nothing(),
            async |_| Ok(()),
            async |c, _| {
                let now = now_ms();
                let id: i64 = sqlx::query(
                    "INSERT INTO markets (code, name, country, locales, timezone, created_at, \
                     updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
                )
                .bind(input.code.as_str())
                .bind(&input.name)
                .bind(input.country.as_str())
                .bind(join_locales(&input.locales))
                .bind(input.timezone.as_str())
                .bind(now)
                .fetch_one(&mut *c)
                .await
                .map_err(market_conflict)?
                .try_get("id")?;
                let market = market_with_id(MarketId(id), input);
                let change = Change {
                    action: "market.create",
                    subject_type: "market",
                    subject_id: id.to_string(),
                    market: Some(market.id),
                    before: None,
                    after: snapshot(&market),
                };
                Ok(Applied::rows(1, 1, market).audit(change))
            },
            async |_, _| StoreError::NotFound { what: "market" },
        )
        .await
    }

    pub async fn update_market(
        &self,
        author: &Author,
        id: MarketId,
        input: &MarketInput,
    ) -> Result<Market, StoreError> {
        audit::write(
            self,
            author,
            Lock::id("markets", id.0),
            async |c| load_market(&mut *c, id).await,
            async |c, before| {
                let n = sqlx::query(
                    "UPDATE markets SET code = $1, name = $2, country = $3, locales = $4, \
                     timezone = $5, updated_at = $6 WHERE id = $7",
                )
                .bind(input.code.as_str())
                .bind(&input.name)
                .bind(input.country.as_str())
                .bind(join_locales(&input.locales))
                .bind(input.timezone.as_str())
                .bind(now_ms())
                .bind(id.0)
                .execute(&mut *c)
                .await
                .map_err(market_conflict)?
                .rows_affected();
                let after = market_with_id(id, input);
                let change = Change {
                    action: "market.update",
                    subject_type: "market",
                    subject_id: id.to_string(),
                    market: Some(id),
                    before: snapshot(before),
                    after: snapshot(&after),
                };
                Ok(Applied::rows(n, 1, after).audit(change))
            },
            async |_, _| StoreError::NotFound { what: "market" },
        )
        .await
    }

    pub async fn teams(&self, market: Option<MarketId>) -> Result<Vec<Team>, StoreError> {
        self.read_all(
            "SELECT id, market_id, name FROM teams WHERE ($1 IS NULL OR market_id = $1) \
             ORDER BY market_id, name",
            vec![Bind::OptI(market.map(|m| m.0))],
            team_from_row,
        )
        .await
    }

    pub async fn team(&self, id: TeamId) -> Result<Team, StoreError> {
        load_team(self.pool(), id).await
    }

    /// Creates a team; `name` must already be validated (see `chorus_core::org::team_name`).
    pub async fn create_team(
        &self,
        author: &Author,
        market: MarketId,
        name: &str,
    ) -> Result<Team, StoreError> {
        audit::write(
            self,
            author,
            Lock::nothing(),
            async |_| Ok(()),
            async |c, _| {
                let id: i64 = sqlx::query(
                    "INSERT INTO teams (market_id, name, created_at) VALUES ($1, $2, $3) \
                     RETURNING id",
                )
                .bind(market.0)
                .bind(name)
                .bind(now_ms())
                .fetch_one(&mut *c)
                .await
                .map_err(team_error)?
                .try_get("id")?;
                let team = Team {
                    id: TeamId(id),
                    market_id: market,
                    name: name.to_owned(),
                };
                let change = Change {
                    action: "team.create",
                    subject_type: "team",
                    subject_id: id.to_string(),
                    market: Some(market),
                    before: None,
                    after: snapshot(&team),
                };
                Ok(Applied::rows(1, 1, team).audit(change))
            },
            async |_, _| StoreError::NotFound { what: "team" },
        )
        .await
    }

    pub async fn rename_team(
        &self,
        author: &Author,
        id: TeamId,
        name: &str,
    ) -> Result<Team, StoreError> {
        audit::write(
            self,
            author,
            Lock::id("teams", id.0),
            async |c| load_team(&mut *c, id).await,
            async |c, before| {
                let n = sqlx::query("UPDATE teams SET name = $1 WHERE id = $2")
                    .bind(name)
                    .bind(id.0)
                    .execute(&mut *c)
                    .await
                    .map_err(team_error)?
                    .rows_affected();
                let after = Team {
                    name: name.to_owned(),
                    ..before.clone()
                };
                let change = Change {
                    action: "team.update",
                    subject_type: "team",
                    subject_id: id.to_string(),
                    market: Some(before.market_id),
                    before: snapshot(before),
                    after: snapshot(&after),
                };
                Ok(Applied::rows(n, 1, after).audit(change))
            },
            async |_, _| StoreError::NotFound { what: "team" },
        )
        .await
    }

    pub async fn delete_team(&self, author: &Author, id: TeamId) -> Result<(), StoreError> {
        audit::write(
            self,
            author,
            Lock::id("teams", id.0),
            async |c| load_team(&mut *c, id).await,
            async |c, before| {
                let n = sqlx::query("DELETE FROM teams WHERE id = $1")
                    .bind(id.0)
                    .execute(&mut *c)
                    .await?
                    .rows_affected();
                let change = Change {
                    action: "team.delete",
                    subject_type: "team",
                    subject_id: id.to_string(),
                    market: Some(before.market_id),
                    before: snapshot(before),
                    after: None,
                };
                Ok(Applied::rows(n, 1, ()).audit(change))
            },
            async |_, _| StoreError::NotFound { what: "team" },
        )
        .await
    }
}

/// The market `id` (`NotFound` when there is none), through a pool or inside a transaction.
async fn load_market<'e>(
    e: impl Executor<'e, Database = Any>,
    id: MarketId,
) -> Result<Market, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {MARKET_COLUMNS} FROM markets WHERE id = $1"
    ))
    .bind(id.0)
    .fetch_optional(e)
    .await?
    .ok_or(StoreError::NotFound { what: "market" })?;
    market_from_row(&row)
}

/// The team `id` (`NotFound` when there is none), through a pool or inside a transaction.
pub(crate) async fn load_team<'e>(
    e: impl Executor<'e, Database = Any>,
    id: TeamId,
) -> Result<Team, StoreError> {
    let row = sqlx::query("SELECT id, market_id, name FROM teams WHERE id = $1")
        .bind(id.0)
        .fetch_optional(e)
        .await?
        .ok_or(StoreError::NotFound { what: "team" })?;
    team_from_row(&row)
}

fn market_conflict(e: sqlx::Error) -> StoreError {
    if is_unique_violation(&e, "code") {
        StoreError::AlreadyExists {
            what: "a market with this code",
            field: "code",
        }
    } else {
        e.into()
    }
}

fn team_error(e: sqlx::Error) -> StoreError {
    if is_unique_violation(&e, "name") || is_unique_violation(&e, "teams_market_id") {
        StoreError::AlreadyExists {
            what: "a team with this name in the market",
            field: "name",
        }
    } else if is_foreign_key_violation(&e) {
        StoreError::Reference("the market does not exist".into())
    } else {
        e.into()
    }
}

fn join_locales(locales: &[Locale]) -> String {
    locales
        .iter()
        .map(Locale::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

fn market_with_id(id: MarketId, input: &MarketInput) -> Market {
    Market {
        id,
        code: input.code.clone(),
        name: input.name.clone(),
        country: input.country.clone(),
        locales: input.locales.clone(),
        timezone: input.timezone.clone(),
    }
}

fn market_from_row(row: &dyn RowGet) -> Result<Market, StoreError> {
    let bad = |e: chorus_core::Invalid| StoreError::corrupt("market", e);
    let locales: String = row.string("locales")?;
    Ok(Market {
        id: MarketId(row.i64("id")?),
        code: MarketCode::parse(&row.string("code")?).map_err(bad)?,
        name: row.string("name")?,
        country: CountryCode::parse(&row.string("country")?).map_err(bad)?,
        locales: locales
            .split_whitespace()
            .map(Locale::parse)
            .collect::<Result<_, _>>()
            .map_err(bad)?,
        timezone: TimeZoneName::parse(&row.string("timezone")?).map_err(bad)?,
    })
}

fn team_from_row(row: &dyn RowGet) -> Result<Team, StoreError> {
    Ok(Team {
        id: TeamId(row.i64("id")?),
        market_id: MarketId(row.i64("market_id")?),
        name: row.string("name")?,
    })
}

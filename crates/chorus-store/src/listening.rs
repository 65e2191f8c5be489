//! Listening queries: what each market listens for. Changes are audited and bump a version
//! number that running ingest pipelines watch to reload their matcher.

use chorus_core::audit::Author;
use chorus_core::conversations::{ListeningQuery, NetworkName, QueryId, QueryInput, Side};
use chorus_core::{MarketId, TeamId};
use sqlx::{Any, AnyConnection, Executor, Row};

use crate::audit::{self, Applied, Change, Lock, snapshot};
use crate::direct::{Bind, RowGet};
use crate::error::{is_foreign_key_violation, is_unique_violation};
use crate::{Store, StoreError, now_ms};

const COLUMNS: &str = "id, market_id, team_id, name, query, languages, networks, side, spike_factor, active, \
     revision";

const VERSION_KEY: &str = "listening.version";

fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

fn query_from_row(r: &dyn RowGet) -> Result<ListeningQuery, StoreError> {
    let networks = split_list(&r.string("networks")?)
        .iter()
        .map(|n| NetworkName::parse(n).map_err(|e| StoreError::corrupt("query networks", e)))
        .collect::<Result<Vec<_>, _>>()?;
    let side = r.string("side")?;
    Ok(ListeningQuery {
        id: QueryId(r.i64("id")?),
        market_id: MarketId(r.i64("market_id")?),
        team_id: r.opt_i64("team_id")?.map(TeamId),
        name: r.string("name")?,
        query: r.string("query")?,
        languages: split_list(&r.string("languages")?),
        networks,
        side: Side::parse(&side).map_err(|e| StoreError::corrupt("query side", e))?,
        spike_factor: r.f64("spike_factor")?,
        active: r.i64("active")? != 0,
        revision: r.i64("revision")?,
    })
}

fn with_id(id: QueryId, q: &QueryInput, revision: i64) -> ListeningQuery {
    ListeningQuery {
        id,
        market_id: q.market_id,
        team_id: q.team_id,
        name: q.name.clone(),
        query: q.query.clone(),
        languages: q.languages.clone(),
        networks: q.networks.clone(),
        side: q.side,
        spike_factor: q.spike_factor,
        active: q.active,
        revision,
    }
}

fn write_error(e: sqlx::Error) -> StoreError {
    if is_unique_violation(&e, "name") {
        StoreError::AlreadyExists {
            what: "a query with this name in this market",
            field: "name",
        }
    } else if is_foreign_key_violation(&e) {
        StoreError::Reference("the market or team does not exist".into())
    } else {
        e.into()
    }
}

/// The channel PostgreSQL notifies when the listening queries changed (payload: the new
/// version), at the commit of the change: workers in other processes reload at once
/// ([`Store::listening_changes`]).
pub const LISTENING_CHANNEL: &str = "chorus_listening";

/// Bumps the listening version inside the caller's transaction and returns the new one (the
/// revision of the queries the transaction writes). On PostgreSQL, also notifies
/// [`LISTENING_CHANNEL`], delivered when the transaction commits.
async fn bump_version(conn: &mut AnyConnection) -> Result<i64, StoreError> {
    let value: String = sqlx::query(
        "INSERT INTO settings (key, value) VALUES ($1, '1') ON CONFLICT (key) DO UPDATE \
         SET value = CAST(CAST(settings.value AS BIGINT) + 1 AS TEXT) RETURNING value",
    )
    .bind(VERSION_KEY)
    .fetch_one(&mut *conn)
    .await?
    .try_get("value")?;
    let version: i64 = value
        .parse()
        .map_err(|_| StoreError::corrupt("the listening version", value))?;
    if conn.backend_name() == "PostgreSQL" {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(LISTENING_CHANNEL)
            .bind(version.to_string())
            .execute(&mut *conn)
            .await?;
    }
    Ok(version)
}

/// Inserts one query inside the caller's transaction; returns it with what to record.
async fn insert(
    conn: &mut AnyConnection,
    q: &QueryInput,
    revision: i64,
) -> Result<(ListeningQuery, Change<'static>), StoreError> {
    let now = now_ms();
    let id: i64 = sqlx::query(
        "INSERT INTO listening_queries (market_id, team_id, name, query, languages, networks, \
         side, spike_factor, active, created_at, updated_at, revision) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11) RETURNING id",
    )
    .bind(q.market_id.0)
    .bind(q.team_id.map(|t| t.0))
    .bind(&q.name)
    .bind(&q.query)
    .bind(q.languages.join(","))
    .bind(join_networks(&q.networks))
    .bind(q.side.as_str())
    .bind(q.spike_factor)
    .bind(i64::from(q.active))
    .bind(now)
    .bind(revision)
    .fetch_one(&mut *conn)
    .await
    .map_err(write_error)?
    .try_get("id")?;
    let created = with_id(QueryId(id), q, revision);
    let change = Change {
        action: "listening_query.create",
        subject_type: "listening_query",
        subject_id: id.to_string(),
        market: Some(q.market_id),
        before: None,
        after: snapshot(&created),
    };
    Ok((created, change))
}

/// The query `id` (`NotFound` when there is none), through a pool or inside a transaction.
async fn load<'e>(
    e: impl Executor<'e, Database = Any>,
    id: QueryId,
) -> Result<ListeningQuery, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM listening_queries WHERE id = $1"
    ))
    .bind(id.0)
    .fetch_optional(e)
    .await?
    .ok_or(StoreError::NotFound {
        what: "listening query",
    })?;
    query_from_row(&row)
}

fn join_networks(n: &[NetworkName]) -> String {
    n.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(",")
}

impl Store {
    /// Queries of one market (or all), by market then name.
    pub async fn listening_queries(
        &self,
        market: Option<MarketId>,
    ) -> Result<Vec<ListeningQuery>, StoreError> {
        self.read_all(
            format!(
                "SELECT {COLUMNS} FROM listening_queries WHERE ($1 IS NULL OR market_id = $1) \
                 ORDER BY market_id, name"
            ),
            vec![Bind::OptI(market.map(|m| m.0))],
            query_from_row,
        )
        .await
    }

    /// The queries the ingest pipeline runs.
    pub async fn active_listening_queries(&self) -> Result<Vec<ListeningQuery>, StoreError> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM listening_queries WHERE active = 1 ORDER BY id"
        ))
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| query_from_row(r))
        .collect()
    }

    /// One page of the queries of `markets` (`None`: all) whose name contains `name` (any
    /// case), by market and name, with how many there are in all: a market may listen with
    /// thousands, too many to list on one page or in one menu.
    pub async fn listening_queries_page(
        &self,
        markets: Option<&[MarketId]>,
        name: Option<&str>,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<ListeningQuery>, i64), StoreError> {
        // Parameters are numbered in the order they appear: SQLite reads `$n` as a name.
        let mut binds: Vec<Bind> = Vec::new();
        let mut filter = String::from("WHERE 1 = 1");
        match markets {
            None => {}
            Some([]) => return Ok((Vec::new(), 0)),
            Some(ms) => {
                filter.push_str(&format!(
                    " AND market_id IN ({})",
                    crate::in_list(1, ms.len())
                ));
                binds.extend(ms.iter().map(|m| Bind::I(m.0)));
            }
        }
        if let Some(name) = name {
            binds.push(Bind::S(crate::like_contains(name)));
            filter.push_str(&format!(
                " AND LOWER(name) LIKE ${} ESCAPE '\\'",
                binds.len()
            ));
        }
        let total = self
            .read_all(
                format!("SELECT COUNT(*) AS n FROM listening_queries {filter}"),
                binds.clone(),
                |r| r.i64("n"),
            )
            .await?
            .first()
            .copied()
            .unwrap_or(0);
        let n = binds.len();
        binds.push(Bind::I(limit.max(0)));
        binds.push(Bind::I(offset.max(0)));
        let rows = self
            .read_all(
                format!(
                    "SELECT {COLUMNS} FROM listening_queries {filter} \
                     ORDER BY market_id, name, id LIMIT ${} OFFSET ${}",
                    n + 1,
                    n + 2
                ),
                binds,
                query_from_row,
            )
            .await?;
        Ok((rows, total))
    }

    pub async fn listening_query(&self, id: QueryId) -> Result<ListeningQuery, StoreError> {
        load(self.pool(), id).await
    }

    /// A number that changes whenever any listening query does (for matcher reloads).
    pub async fn listening_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .setting(VERSION_KEY)
            .await?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    pub async fn create_listening_query(
        &self,
        author: &Author,
        q: &QueryInput,
    ) -> Result<ListeningQuery, StoreError> {
        audit::write(
            self,
            author,
            Lock::nothing(),
            async |_| Ok(()),
            async |c, _| {
                let revision = bump_version(c).await?;
                let (created, change) = insert(c, q, revision).await?;
                Ok(Applied::rows(1, 1, created).audit(change))
            },
            async |_, _| StoreError::NotFound {
                what: "listening query",
            },
        )
        .await
    }

    /// Creates many queries in one transaction (file imports); all or none.
    pub async fn create_listening_queries(
        &self,
        author: &Author,
        queries: &[QueryInput],
    ) -> Result<usize, StoreError> {
        audit::write(
            self,
            author,
            Lock::nothing(),
            async |_| Ok(()),
            async |c, _| {
                let revision = bump_version(c).await?;
                let mut changes = Vec::with_capacity(queries.len());
                for q in queries {
                    changes.push(insert(c, q, revision).await?.1);
                }
                let n = queries.len() as u64;
                Ok(changes
                    .into_iter()
                    .fold(Applied::rows(n, n, queries.len()), Applied::audit))
            },
            async |_, _| StoreError::NotFound {
                what: "listening query",
            },
        )
        .await
    }

    pub async fn update_listening_query(
        &self,
        author: &Author,
        id: QueryId,
        q: &QueryInput,
    ) -> Result<ListeningQuery, StoreError> {
        audit::write(
            self,
            author,
            Lock::id("listening_queries", id.0),
            async |c| load(&mut *c, id).await,
            async |c, before| {
                let revision = bump_version(c).await?;
                let n = sqlx::query(
                    "UPDATE listening_queries SET market_id = $1, team_id = $2, name = $3, \
                     query = $4, languages = $5, networks = $6, side = $7, spike_factor = $8, \
                     active = $9, updated_at = $10, revision = $12 WHERE id = $11",
                )
                .bind(q.market_id.0)
                .bind(q.team_id.map(|t| t.0))
                .bind(&q.name)
                .bind(&q.query)
                .bind(q.languages.join(","))
                .bind(join_networks(&q.networks))
                .bind(q.side.as_str())
                .bind(q.spike_factor)
                .bind(i64::from(q.active))
                .bind(now_ms())
                .bind(id.0)
                .bind(revision)
                .execute(&mut *c)
                .await
                .map_err(write_error)?
                .rows_affected();
                let after = with_id(id, q, revision);
                let change = Change {
                    action: "listening_query.update",
                    subject_type: "listening_query",
                    subject_id: id.to_string(),
                    market: Some(q.market_id),
                    before: snapshot(before),
                    after: snapshot(&after),
                };
                Ok(Applied::rows(n, 1, after).audit(change))
            },
            async |_, _| StoreError::NotFound {
                what: "listening query",
            },
        )
        .await
    }

    /// Deletes a query with its matches and volumes; conversations it alone found stay stored
    /// but leave every market's inbox.
    pub async fn delete_listening_query(
        &self,
        author: &Author,
        id: QueryId,
    ) -> Result<(), StoreError> {
        audit::write(
            self,
            author,
            Lock::id("listening_queries", id.0),
            async |c| load(&mut *c, id).await,
            async |c, before| {
                let n = sqlx::query("DELETE FROM listening_queries WHERE id = $1")
                    .bind(id.0)
                    .execute(&mut *c)
                    .await?
                    .rows_affected();
                bump_version(c).await?;
                let change = Change {
                    action: "listening_query.delete",
                    subject_type: "listening_query",
                    subject_id: id.to_string(),
                    market: Some(before.market_id),
                    before: snapshot(before),
                    after: None,
                };
                Ok(Applied::rows(n, 1, ()).audit(change))
            },
            async |_, _| StoreError::NotFound {
                what: "listening query",
            },
        )
        .await
    }
}

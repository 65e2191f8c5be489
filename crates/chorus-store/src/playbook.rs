//! The playbook's principles and their per-market examples.

use std::collections::HashMap;

use chorus_core::MarketId;
use chorus_core::PrincipleId;
use chorus_core::audit::Author;
use chorus_core::playbook::{MarketExample, Pillar, Principle, PrincipleInput};
use sqlx::{AnyConnection, Row};

use crate::audit::{self, Applied, Change, Lock, snapshot};
use crate::direct::RowGet;
use crate::error::{is_foreign_key_violation, is_unique_violation};
use crate::{Store, StoreError, now_ms};

const COLUMNS: &str = "id, number, slug, pillar, title, statement, implications, examples, \
                       case_studies, updated_at";

impl Store {
    /// Every principle, in playbook order.
    pub async fn principles(&self) -> Result<Vec<Principle>, StoreError> {
        // On a direct connection on SQLite: the Numbers pages label rows with principles.
        let rows = self
            .read_all(
                format!("SELECT {COLUMNS} FROM principles ORDER BY number"),
                Vec::new(),
                principle_from_row,
            )
            .await?;
        let mut examples: HashMap<i64, Vec<MarketExample>> = HashMap::new();
        let all = self
            .read_all(
                "SELECT principle_id, market_id, body FROM principle_market_examples \
                 ORDER BY market_id",
                Vec::new(),
                |r| {
                    Ok((
                        r.i64("principle_id")?,
                        r.i64("market_id")?,
                        r.string("body")?,
                    ))
                },
            )
            .await?;
        for (principle, market, body) in all {
            examples.entry(principle).or_default().push(MarketExample {
                market_id: MarketId(market),
                body,
            });
        }
        rows.into_iter()
            .map(|mut p| {
                p.market_examples = examples.remove(&p.id.0).unwrap_or_default();
                Ok(p)
            })
            .collect()
    }

    pub async fn principle(&self, id: PrincipleId) -> Result<Principle, StoreError> {
        load_principle(&mut *self.pool().acquire().await?, id).await
    }

    pub async fn principle_by_slug(&self, slug: &str) -> Result<Principle, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM principles WHERE slug = $1"))
            .bind(slug)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound { what: "principle" })?;
        with_examples(
            &mut *self.pool().acquire().await?,
            principle_from_row(&row)?,
        )
        .await
    }

    pub async fn create_principle(
        &self,
        author: &Author,
        input: &PrincipleInput,
    ) -> Result<Principle, StoreError> {
        audit::write(
            self,
            author,
            Lock::nothing(),
            async |_| Ok(()),
            async |c, _| {
                let now = now_ms();
                let id: i64 = sqlx::query(
                    "INSERT INTO principles (number, slug, pillar, title, statement, implications, \
                     examples, case_studies, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
                )
                .bind(input.number)
                .bind(&input.slug)
                .bind(input.pillar.as_str())
                .bind(&input.title)
                .bind(&input.statement)
                .bind(&input.implications)
                .bind(&input.examples)
                .bind(&input.case_studies)
                .bind(now)
                .fetch_one(&mut *c)
                .await
                .map_err(principle_conflict)?
                .try_get("id")?;
                replace_examples(c, id, &input.market_examples).await?;
                let principle = from_input(PrincipleId(id), input, now);
                let change = Change {
                    action: "principle.create",
                    subject_type: "principle",
                    subject_id: id.to_string(),
                    market: None,
                    before: None,
                    after: snapshot(&Snapshot::of(&principle)),
                };
                Ok(Applied::rows(1, 1, principle).audit(change))
            },
            async |_, _| StoreError::NotFound { what: "principle" },
        )
        .await
    }

    pub async fn update_principle(
        &self,
        author: &Author,
        id: PrincipleId,
        input: &PrincipleInput,
    ) -> Result<Principle, StoreError> {
        audit::write(
            self,
            author,
            Lock::id("principles", id.0),
            async |c| load_principle(c, id).await,
            async |c, before| {
                let now = now_ms();
                let n = sqlx::query(
                    "UPDATE principles SET number = $1, slug = $2, pillar = $3, title = $4, \
                     statement = $5, implications = $6, examples = $7, case_studies = $8, \
                     updated_at = $9 WHERE id = $10",
                )
                .bind(input.number)
                .bind(&input.slug)
                .bind(input.pillar.as_str())
                .bind(&input.title)
                .bind(&input.statement)
                .bind(&input.implications)
                .bind(&input.examples)
                .bind(&input.case_studies)
                .bind(now)
                .bind(id.0)
                .execute(&mut *c)
                .await
                .map_err(principle_conflict)?
                .rows_affected();
                replace_examples(c, id.0, &input.market_examples).await?;
                let after = from_input(id, input, now);
                let change = Change {
                    action: "principle.update",
                    subject_type: "principle",
                    subject_id: id.to_string(),
                    market: None,
                    before: snapshot(&Snapshot::of(before)),
                    after: snapshot(&Snapshot::of(&after)),
                };
                Ok(Applied::rows(n, 1, after).audit(change))
            },
            async |_, _| StoreError::NotFound { what: "principle" },
        )
        .await
    }

    pub async fn delete_principle(
        &self,
        author: &Author,
        id: PrincipleId,
    ) -> Result<(), StoreError> {
        audit::write(
            self,
            author,
            Lock::id("principles", id.0),
            async |c| load_principle(c, id).await,
            async |c, before| {
                let n = sqlx::query("DELETE FROM principles WHERE id = $1")
                    .bind(id.0)
                    .execute(&mut *c)
                    .await?
                    .rows_affected();
                let change = Change {
                    action: "principle.delete",
                    subject_type: "principle",
                    subject_id: id.to_string(),
                    market: None,
                    before: snapshot(&Snapshot::of(before)),
                    after: None,
                };
                Ok(Applied::rows(n, 1, ()).audit(change))
            },
            async |_, _| StoreError::NotFound { what: "principle" },
        )
        .await
    }
}

/// The principle `id` with its market examples (`NotFound` when there is none).
async fn load_principle(
    conn: &mut AnyConnection,
    id: PrincipleId,
) -> Result<Principle, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM principles WHERE id = $1"))
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound { what: "principle" })?;
    with_examples(conn, principle_from_row(&row)?).await
}

async fn with_examples(
    conn: &mut AnyConnection,
    mut p: Principle,
) -> Result<Principle, StoreError> {
    let rows = sqlx::query(
        "SELECT market_id, body FROM principle_market_examples WHERE principle_id = $1 \
         ORDER BY market_id",
    )
    .bind(p.id.0)
    .fetch_all(conn)
    .await?;
    p.market_examples = rows
        .iter()
        .map(|r| {
            Ok(MarketExample {
                market_id: MarketId(r.try_get("market_id")?),
                body: r.try_get("body")?,
            })
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(p)
}

/// A principle as the audit log keeps it: the content, not the bookkeeping (`updated_at`
/// changes on every save and would show in every diff).
#[derive(serde::Serialize)]
struct Snapshot<'a> {
    number: i64,
    slug: &'a str,
    pillar: Pillar,
    title: &'a str,
    statement: &'a str,
    implications: &'a str,
    examples: &'a str,
    case_studies: &'a str,
    market_examples: &'a [MarketExample],
}

impl<'a> Snapshot<'a> {
    fn of(p: &'a Principle) -> Self {
        Snapshot {
            number: p.number,
            slug: &p.slug,
            pillar: p.pillar,
            title: &p.title,
            statement: &p.statement,
            implications: &p.implications,
            examples: &p.examples,
            case_studies: &p.case_studies,
            market_examples: &p.market_examples,
        }
    }
}

async fn replace_examples(
    conn: &mut AnyConnection,
    principle: i64,
    examples: &[MarketExample],
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM principle_market_examples WHERE principle_id = $1")
        .bind(principle)
        .execute(&mut *conn)
        .await?;
    for ex in examples {
        sqlx::query(
            "INSERT INTO principle_market_examples (principle_id, market_id, body) \
             VALUES ($1, $2, $3)",
        )
        .bind(principle)
        .bind(ex.market_id.0)
        .bind(&ex.body)
        .execute(&mut *conn)
        .await
        .map_err(|e| {
            if is_foreign_key_violation(&e) {
                StoreError::Reference(format!(
                    "market_examples: market {} does not exist",
                    ex.market_id
                ))
            } else {
                e.into()
            }
        })?;
    }
    Ok(())
}

fn principle_conflict(e: sqlx::Error) -> StoreError {
    if is_unique_violation(&e, "slug") {
        StoreError::AlreadyExists {
            what: "a principle with this slug",
            field: "slug",
        }
    } else if is_unique_violation(&e, "number") {
        StoreError::AlreadyExists {
            what: "a principle with this number",
            field: "number",
        }
    } else {
        e.into()
    }
}

fn from_input(id: PrincipleId, input: &PrincipleInput, now: i64) -> Principle {
    Principle {
        id,
        number: input.number,
        slug: input.slug.clone(),
        pillar: input.pillar,
        title: input.title.clone(),
        statement: input.statement.clone(),
        implications: input.implications.clone(),
        examples: input.examples.clone(),
        case_studies: input.case_studies.clone(),
        market_examples: input.market_examples.clone(),
        updated_at_ms: now,
    }
}

fn principle_from_row(r: &dyn RowGet) -> Result<Principle, StoreError> {
    Ok(Principle {
        id: PrincipleId(r.i64("id")?),
        number: r.i64("number")?,
        slug: r.string("slug")?,
        pillar: Pillar::parse(&r.string("pillar")?)
            .map_err(|e| StoreError::corrupt("principle pillar", e))?,
        title: r.string("title")?,
        statement: r.string("statement")?,
        implications: r.string("implications")?,
        examples: r.string("examples")?,
        case_studies: r.string("case_studies")?,
        market_examples: Vec::new(),
        updated_at_ms: r.i64("updated_at")?,
    })
}

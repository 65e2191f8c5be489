//! The playbook: principles, their per-market examples, search, and ([`rules`]) the rules for
//! posts that the composer checks drafts against.
//!
//! Everyone with a role reads the playbook (`Action::ReadPlaybook`: it is written for every
//! employee); global leads and admins write it (`Action::EditPlaybook`). A principle is named by
//! its slug; an unknown slug is "not found" for readers and writers alike. Numbers and slugs are
//! unique: taking one that is in use is a `Conflict` on that field. Every write is one store
//! transaction with its audit entry (`principle.create`, `.update`, `.delete`).

pub mod rules;

use chorus_core::org::{Market, MarketCode};
use chorus_core::permission::{allows, authorize};
use chorus_core::playbook::{PrincipleInput, RawPrinciple};
use chorus_core::{Action, Scope};

pub use chorus_core::playbook::search::{Hit, Segment};
pub use chorus_core::playbook::{MarketExample, Pillar, Principle};

use crate::{App, Caller, Error, Result};

/// A principle's fields as typed (a form, a JSON body). Long fields are Markdown.
#[derive(Debug, Clone, Default)]
pub struct PrincipleFields {
    /// Its place in the playbook, 1 to 999.
    pub number: String,
    /// Left empty, it is made from the title.
    pub slug: String,
    pub pillar: String,
    pub title: String,
    pub statement: String,
    pub implications: String,
    pub examples: String,
    pub case_studies: String,
    /// At most one per market; those with an empty body are dropped.
    pub market_examples: Vec<MarketExampleFields>,
}

/// An example of the principle in one market, as typed.
#[derive(Debug, Clone, Default)]
pub struct MarketExampleFields {
    /// The market's code, e.g. `BR`.
    pub market: String,
    pub body: String,
}

impl PrincipleFields {
    /// Validates the fields against the markets that exist. Errors name the field:
    /// `market_examples[i].market` for the i-th example's market.
    fn parse(&self, markets: &[Market]) -> Result<PrincipleInput> {
        let number = self
            .number
            .trim()
            .parse::<i64>()
            .map_err(|_| Error::invalid("number", "give a whole number between 1 and 999"))?;
        let mut examples: Vec<MarketExample> = Vec::with_capacity(self.market_examples.len());
        for (i, ex) in self.market_examples.iter().enumerate() {
            let field = format!("market_examples[{i}].market");
            let code = MarketCode::parse(&ex.market).map_err(|e| e.at(field.clone()))?;
            let market = markets
                .iter()
                .find(|m| m.code == code)
                .ok_or_else(|| Error::invalid(&field, format!("no market has the code {code}")))?;
            if !ex.body.trim().is_empty()
                && examples
                    .iter()
                    .any(|e| e.market_id == market.id && !e.body.trim().is_empty())
            {
                return Err(Error::invalid(
                    field,
                    format!("market {code} has two examples; merge them into one"),
                ));
            }
            examples.push(MarketExample {
                market_id: market.id,
                body: ex.body.clone(),
            });
        }
        Ok(PrincipleInput::parse(&RawPrinciple {
            number,
            slug: Some(self.slug.clone()),
            pillar: self.pillar.clone(),
            title: self.title.clone(),
            statement: self.statement.clone(),
            implications: self.implications.clone(),
            examples: self.examples.clone(),
            case_studies: self.case_studies.clone(),
            market_examples: examples,
        })?)
    }
}

/// The whole playbook, with the markets its examples name and whether the caller may edit it.
#[derive(Debug, Clone)]
pub struct Playbook {
    /// In playbook order.
    pub principles: Vec<Principle>,
    pub markets: Vec<Market>,
    pub can_edit: bool,
}

/// Every principle, in playbook order (anyone with a role).
pub async fn playbook(app: &App, caller: &Caller) -> Result<Playbook> {
    authorize(&caller.actor, Action::ReadPlaybook, Scope::Global)?;
    Ok(Playbook {
        principles: app.store.principles().await?,
        markets: app.store.markets().await?,
        can_edit: allows(&caller.actor, Action::EditPlaybook, Scope::Global),
    })
}

/// One principle as its page shows it.
#[derive(Debug, Clone)]
pub struct PrincipleView {
    pub principle: Principle,
    /// Every market, to name the ones its examples are for.
    pub markets: Vec<Market>,
    /// How many principles the playbook has.
    pub total: usize,
    pub can_edit: bool,
    /// Whether the caller may follow the link to its history in the audit log.
    pub can_audit: bool,
}

/// One principle by slug (anyone with a role).
pub async fn principle(app: &App, caller: &Caller, slug: &str) -> Result<PrincipleView> {
    authorize(&caller.actor, Action::ReadPlaybook, Scope::Global)?;
    let principle = app.store.principle_by_slug(slug).await?;
    Ok(PrincipleView {
        principle,
        markets: app.store.markets().await?,
        total: app.store.principles().await?.len(),
        can_edit: allows(&caller.actor, Action::EditPlaybook, Scope::Global),
        can_audit: allows(&caller.actor, Action::ReadAuditLog, Scope::Global),
    })
}

/// Searches every principle's text for all of the words of `q` (as word prefixes, any case),
/// best match first (anyone with a role).
pub async fn search(app: &App, caller: &Caller, q: &str) -> Result<Vec<Hit>> {
    authorize(&caller.actor, Action::ReadPlaybook, Scope::Global)?;
    let principles = app.store.principles().await?;
    Ok(chorus_core::playbook::search::search(&principles, q))
}

/// What the form to write a principle needs.
#[derive(Debug, Clone)]
pub struct PrincipleEditor {
    /// The principle being edited; `None` for a new one.
    pub principle: Option<Principle>,
    /// The number a new principle gets unless told otherwise: one past the last.
    pub next_number: i64,
    /// Every market, each a field for its example.
    pub markets: Vec<Market>,
}

/// The form for a new principle (`slug: None`) or for editing one (global leads and admins).
pub async fn editor(app: &App, caller: &Caller, slug: Option<&str>) -> Result<PrincipleEditor> {
    let principle = match slug {
        Some(slug) => Some(writable(app, caller, slug).await?),
        None => {
            authorize(&caller.actor, Action::EditPlaybook, Scope::Global)?;
            None
        }
    };
    let principles = app.store.principles().await?;
    Ok(PrincipleEditor {
        principle,
        next_number: principles.iter().map(|p| p.number).max().unwrap_or(0) + 1,
        markets: app.store.markets().await?,
    })
}

/// Creates a principle (global leads and admins).
pub async fn create_principle(
    app: &App,
    caller: &Caller,
    fields: &PrincipleFields,
) -> Result<Principle> {
    authorize(&caller.actor, Action::EditPlaybook, Scope::Global)?;
    let input = fields.parse(&app.store.markets().await?)?;
    Ok(app.store.create_principle(&caller.author(), &input).await?)
}

/// Replaces the content of the principle named `slug` (global leads and admins). Its
/// per-market examples become exactly those given.
pub async fn update_principle(
    app: &App,
    caller: &Caller,
    slug: &str,
    fields: &PrincipleFields,
) -> Result<Principle> {
    let existing = writable(app, caller, slug).await?;
    let input = fields.parse(&app.store.markets().await?)?;
    Ok(app
        .store
        .update_principle(&caller.author(), existing.id, &input)
        .await?)
}

/// Deletes the principle named `slug` (global leads and admins); the audit log keeps its last
/// text. Rules that cited it stay, citing none.
pub async fn delete_principle(app: &App, caller: &Caller, slug: &str) -> Result<()> {
    let existing = writable(app, caller, slug).await?;
    Ok(app
        .store
        .delete_principle(&caller.author(), existing.id)
        .await?)
}

/// The principle named `slug`, for a caller who may change it: those who may not even read the
/// playbook are refused before anything is looked up, so a refusal never says whether a slug
/// exists; readers learn it does not exist, or that they may not change it.
async fn writable(app: &App, caller: &Caller, slug: &str) -> Result<Principle> {
    authorize(&caller.actor, Action::ReadPlaybook, Scope::Global)?;
    let existing = app.store.principle_by_slug(slug).await?;
    authorize(&caller.actor, Action::EditPlaybook, Scope::Global)?;
    Ok(existing)
}

#[cfg(test)]
pub(crate) mod tests;

//! The playbook's rules for posts (banned and required terms, alt text, UTM tags, citing a
//! principle): data that `chorus_core::stories::rules::check` applies to every draft.
//!
//! The rules are part of the playbook: everyone with a role reads the ones in force
//! ([`rules`], what the composer checks against); global leads and admins write them
//! (`Action::EditPostRules`). Each rule may apply to one market and may name the principle it
//! serves, so a finding can say where it comes from. Every write is one store transaction with
//! its audit entry (`rule.create`, `.update`, `.delete`).

use chorus_core::org::{Market, MarketCode};
use chorus_core::permission::authorize;
use chorus_core::playbook::Principle;
use chorus_core::validate::quoted;
use chorus_core::{Action, Scope};

pub use chorus_core::stories::rules::{Rule, RuleKind};

use crate::{App, Caller, Error, Result};

/// A rule's fields as typed (the rules page's forms).
#[derive(Debug, Clone, Default)]
pub struct RuleFields {
    /// `cite_principle`, `alt_text`, `utm_links`, `banned_term` or `required_term`.
    pub kind: String,
    /// The term, for banned and required terms.
    pub term: String,
    /// A market code, or empty for every market.
    pub market: String,
    /// The principle it serves, by number, slug or `id:N`; empty for none.
    pub principle: String,
    pub enabled: bool,
}

impl RuleFields {
    fn parse(&self, id: i64, markets: &[Market], principles: &[Principle]) -> Result<Rule> {
        let kind = RuleKind::parse(&self.kind, &self.term).map_err(|e| {
            // A term rule with a bad term is the term's fault; anything else, the kind's.
            let field = if self.kind.contains("term") {
                "term"
            } else {
                "kind"
            };
            e.at(field)
        })?;
        let market = match self.market.trim() {
            "" => None,
            c => Some(
                MarketCode::parse(c)
                    .ok()
                    .and_then(|code| markets.iter().find(|m| m.code == code))
                    .ok_or_else(|| Error::invalid("market", format!("no market {}", quoted(c))))?
                    .id,
            ),
        };
        let principle = match self.principle.trim() {
            "" => None,
            p => Some(
                find_principle(principles, p)
                    .ok_or_else(|| {
                        Error::invalid("principle", format!("no principle {}", quoted(p)))
                    })?
                    .id,
            ),
        };
        Ok(Rule {
            id,
            kind,
            market,
            principle,
            enabled: self.enabled,
        })
    }
}

/// A principle by number ("5"), slug or id ("id:3"), as forms and imports name them.
fn find_principle<'a>(principles: &'a [Principle], raw: &str) -> Option<&'a Principle> {
    let raw = raw.trim();
    principles
        .iter()
        .find(|p| p.slug == raw || p.number.to_string() == raw || format!("id:{}", p.id) == raw)
}

/// The rules in force (switched on), every market's, for anyone with a role: what drafts are
/// checked against. `chorus_core::stories::rules::check` picks those of the draft's market.
pub async fn rules(app: &App, caller: &Caller) -> Result<Vec<Rule>> {
    authorize(&caller.actor, Action::ReadPlaybook, Scope::Global)?;
    let mut rules = app.store.post_rules().await?;
    rules.retain(|r| r.enabled);
    Ok(rules)
}

/// What the rules page needs: every rule (switched off ones too), and the markets and
/// principles a rule may name.
#[derive(Debug, Clone)]
pub struct RulesEditor {
    pub rules: Vec<Rule>,
    pub markets: Vec<Market>,
    /// In playbook order.
    pub principles: Vec<Principle>,
}

/// The rules page (global leads and admins).
pub async fn editor(app: &App, caller: &Caller) -> Result<RulesEditor> {
    authorize(&caller.actor, Action::EditPostRules, Scope::Global)?;
    Ok(RulesEditor {
        rules: app.store.post_rules().await?,
        markets: app.store.markets().await?,
        principles: app.store.principles().await?,
    })
}

/// Adds a rule (global leads and admins).
pub async fn create_rule(app: &App, caller: &Caller, fields: &RuleFields) -> Result<Rule> {
    authorize(&caller.actor, Action::EditPostRules, Scope::Global)?;
    let rule = fields.parse(
        0,
        &app.store.markets().await?,
        &app.store.principles().await?,
    )?;
    Ok(app.store.save_post_rule(&caller.author(), &rule).await?)
}

/// Replaces rule `id` (global leads and admins); an unknown id is not found, whatever the fields.
pub async fn update_rule(app: &App, caller: &Caller, id: i64, fields: &RuleFields) -> Result<Rule> {
    authorize(&caller.actor, Action::EditPostRules, Scope::Global)?;
    // The store creates a rule when given id 0: never through here.
    if id <= 0 || !app.store.post_rules().await?.iter().any(|r| r.id == id) {
        return Err(Error::NotFound("rule"));
    }
    let rule = fields.parse(
        id,
        &app.store.markets().await?,
        &app.store.principles().await?,
    )?;
    Ok(app.store.save_post_rule(&caller.author(), &rule).await?)
}

/// Deletes rule `id` (global leads and admins).
pub async fn delete_rule(app: &App, caller: &Caller, id: i64) -> Result<()> {
    authorize(&caller.actor, Action::EditPostRules, Scope::Global)?;
    Ok(app.store.delete_post_rule(&caller.author(), id).await?)
}

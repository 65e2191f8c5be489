//! The shapes the API reads and writes. Request bodies refuse unknown fields, so a typo is an
//! error that names it rather than a silently ignored value.

use chorus_core::org::{Market, Team};
use chorus_core::playbook::Principle;
use chorus_core::user::Membership;
use chorus_core::{MarketId, Scope};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct MarketExampleDto {
    /// Market code, e.g. `BR`.
    pub market: String,
    /// Markdown.
    pub body: String,
}

#[derive(Serialize, ToSchema)]
pub struct PrincipleDto {
    pub id: i64,
    pub number: i64,
    pub slug: String,
    /// `stories`, `numbers` or `conversations`.
    pub pillar: String,
    pub title: String,
    /// Markdown.
    pub statement: String,
    pub implications: String,
    pub examples: String,
    pub case_studies: String,
    pub market_examples: Vec<MarketExampleDto>,
    /// RFC 3339.
    pub updated_at: String,
}

pub fn market_code(markets: &[Market], id: MarketId) -> String {
    markets
        .iter()
        .find(|m| m.id == id)
        .map(|m| m.code.to_string())
        .unwrap_or_else(|| id.to_string())
}

impl PrincipleDto {
    pub fn of(p: &Principle, markets: &[Market]) -> Self {
        PrincipleDto {
            id: p.id.0,
            number: p.number,
            slug: p.slug.clone(),
            pillar: p.pillar.as_str().to_owned(),
            title: p.title.clone(),
            statement: p.statement.clone(),
            implications: p.implications.clone(),
            examples: p.examples.clone(),
            case_studies: p.case_studies.clone(),
            market_examples: p
                .market_examples
                .iter()
                .map(|e| MarketExampleDto {
                    market: market_code(markets, e.market_id),
                    body: e.body.clone(),
                })
                .collect(),
            updated_at: crate::ui::iso_time(p.updated_at_ms),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarketExampleBody {
    pub market: String,
    pub body: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrincipleBody {
    pub number: i64,
    /// Made from the title when absent.
    #[serde(default)]
    pub slug: Option<String>,
    pub pillar: String,
    pub title: String,
    pub statement: String,
    #[serde(default)]
    pub implications: String,
    #[serde(default)]
    pub examples: String,
    #[serde(default)]
    pub case_studies: String,
    #[serde(default)]
    pub market_examples: Vec<MarketExampleBody>,
}

#[derive(Serialize, ToSchema)]
pub struct SearchHitDto {
    pub slug: String,
    pub number: i64,
    pub title: String,
    pub pillar: String,
    pub score: u32,
    pub field: String,
    /// The snippet as plain text.
    pub snippet: String,
    /// The matched words in the snippet.
    pub matched: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MarketDto {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub country: String,
    pub locales: Vec<String>,
    pub timezone: String,
}

impl From<&Market> for MarketDto {
    fn from(m: &Market) -> Self {
        MarketDto {
            id: m.id.0,
            code: m.code.to_string(),
            name: m.name.clone(),
            country: m.country.as_str().to_owned(),
            locales: m.locales.iter().map(|l| l.to_string()).collect(),
            timezone: m.timezone.as_str().to_owned(),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarketBody {
    pub code: String,
    pub name: String,
    pub country: String,
    pub locales: Vec<String>,
    /// IANA name, e.g. `Europe/Helsinki`.
    pub timezone: String,
}

#[derive(Serialize, ToSchema)]
pub struct TeamDto {
    pub id: i64,
    pub market: String,
    pub name: String,
}

impl TeamDto {
    pub fn of(t: &Team, markets: &[Market]) -> Self {
        TeamDto {
            id: t.id.0,
            market: market_code(markets, t.market_id),
            name: t.name.clone(),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamBody {
    pub name: String,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MembershipDto {
    /// admin, global_lead, market_lead, editor, contributor, community_manager, analyst.
    pub role: String,
    /// Market code; absent or null for a global membership.
    #[serde(default)]
    pub market: Option<String>,
}

impl MembershipDto {
    pub fn of(m: &Membership, markets: &[Market]) -> Self {
        MembershipDto {
            role: m.role.as_str().to_owned(),
            market: match m.scope {
                Scope::Global => None,
                Scope::Market(id) => Some(market_code(markets, id)),
            },
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct UserDto {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub active: bool,
    pub memberships: Vec<MembershipDto>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    pub email: String,
    pub display_name: String,
    /// At least 10 characters.
    pub password: String,
    pub memberships: Vec<MembershipDto>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditEntryDto {
    pub id: i64,
    /// RFC 3339.
    pub at: String,
    /// How the actor was known when they made the change (an email, or "system (…)").
    pub actor: String,
    /// The actor's id; absent for the system.
    pub actor_id: Option<i64>,
    /// The change in words, without the actor, e.g. "approved the story “Holiday gift guide”".
    pub summary: String,
    pub action: String,
    pub subject_type: String,
    pub subject_id: String,
    pub market: Option<String>,
    #[schema(value_type = Object)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Object)]
    pub after: Option<serde_json::Value>,
}

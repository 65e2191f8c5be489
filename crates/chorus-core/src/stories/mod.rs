//! Stories: campaigns with objectives, stories with a variant per account and locale, the
//! approval workflow, the playbook's rules for posts, scheduling in market time.

pub mod compose;
pub mod limits;
pub mod next;
pub mod rules;
pub mod schedule;
pub mod utm;
pub mod workflow;

use serde::{Deserialize, Serialize};

use crate::validate::{FieldError, Invalid, optional_text, quoted, text};
use crate::{MarketId, PrincipleId};

/// What a campaign wants to move, measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Objective {
    /// What is measured, e.g. "sign-ups", "engagement rate", "share of voice".
    pub metric: String,
    /// The number to reach.
    pub target: f64,
    /// Over what time, e.g. "campaign", "per week", "Q3".
    pub period: String,
}

impl Objective {
    pub fn parse(metric: &str, target: &str, period: &str) -> Result<Objective, Invalid> {
        let metric = text(metric, 100).map_err(|e| Invalid::new(format!("metric {e}")))?;
        let target: f64 = target.trim().replace(',', "").parse().map_err(|_| {
            Invalid::new(format!(
                "target {} is not a number, e.g. 5000 or 2.5",
                quoted(target)
            ))
        })?;
        if !target.is_finite() || target <= 0.0 {
            return Err(Invalid::new("the target must be a number above zero"));
        }
        let period = optional_text(period, 60)?;
        Ok(Objective {
            metric,
            target,
            period: if period.is_empty() {
                "campaign".into()
            } else {
                period
            },
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignState {
    Planning,
    Active,
    Ended,
}

impl CampaignState {
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignState::Planning => "planning",
            CampaignState::Active => "active",
            CampaignState::Ended => "ended",
        }
    }

    pub fn parse(raw: &str) -> Result<CampaignState, Invalid> {
        match raw.trim() {
            "planning" => Ok(CampaignState::Planning),
            "active" => Ok(CampaignState::Active),
            "ended" => Ok(CampaignState::Ended),
            other => Err(Invalid::new(format!(
                "unknown campaign state {}",
                quoted(other)
            ))),
        }
    }

    /// The states a campaign in this one may move to: a plan is activated; a live campaign
    /// ends or goes back to planning; an ended one is reactivated. Staying put is no move.
    pub fn next(self) -> &'static [CampaignState] {
        match self {
            CampaignState::Planning => &[CampaignState::Active],
            CampaignState::Active => &[CampaignState::Ended, CampaignState::Planning],
            CampaignState::Ended => &[CampaignState::Active],
        }
    }
}

/// A campaign's validated fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignInput {
    pub name: String,
    pub slug: String,
    pub objectives: Vec<Objective>,
    pub markets: Vec<MarketId>,
    pub principles: Vec<PrincipleId>,
    pub starts_on: jiff::civil::Date,
    pub ends_on: jiff::civil::Date,
}

impl CampaignInput {
    pub fn parse(
        name: &str,
        objectives: Vec<Objective>,
        markets: Vec<MarketId>,
        principles: Vec<PrincipleId>,
        starts_on: &str,
        ends_on: &str,
    ) -> Result<CampaignInput, FieldError> {
        let name = text(name, 120).map_err(|e| e.at("name"))?;
        let date = |raw: &str, field: &'static str| {
            raw.trim().parse::<jiff::civil::Date>().map_err(|_| {
                Invalid::new(format!("{} is not a date; use YYYY-MM-DD", quoted(raw))).at(field)
            })
        };
        let starts_on = date(starts_on, "starts_on")?;
        let ends_on = date(ends_on, "ends_on")?;
        if ends_on < starts_on {
            return Err(Invalid::new("the campaign ends before it starts").at("ends_on"));
        }
        if markets.is_empty() {
            return Err(Invalid::new("choose at least one market").at("markets"));
        }
        Ok(CampaignInput {
            slug: crate::playbook::slugify(&name),
            name,
            objectives,
            markets,
            principles,
            starts_on,
            ends_on,
        })
    }
}

/// Principle 5, "define clear objectives from the outset": a campaign goes live only with at
/// least one objective that has a target.
pub fn check_activation(objectives: &[Objective]) -> Result<(), Invalid> {
    if objectives.iter().any(|o| o.target > 0.0) {
        Ok(())
    } else {
        Err(Invalid::new(
            "a campaign cannot be activated without an objective with a target \
             (principle 5: define clear objectives from the outset); add one, e.g. 5,000 sign-ups",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objectives_need_a_positive_number() {
        let o = Objective::parse("sign-ups", "5,000", "").unwrap();
        assert_eq!(o.target, 5000.0);
        assert_eq!(o.period, "campaign");
        assert!(Objective::parse("sign-ups", "lots", "").is_err());
        assert!(Objective::parse("sign-ups", "0", "").is_err());
        assert!(Objective::parse("", "10", "").is_err());
    }

    #[test]
    fn campaigns_move_planning_active_ended_and_never_stay_put() {
        use CampaignState::*;
        for (from, to, ok) in [
            (Planning, Active, true),
            (Planning, Ended, false),
            (Planning, Planning, false),
            (Active, Ended, true),
            (Active, Planning, true),
            (Active, Active, false),
            (Ended, Active, true),
            (Ended, Planning, false),
            (Ended, Ended, false),
        ] {
            assert_eq!(from.next().contains(&to), ok, "{from:?} -> {to:?}");
        }
    }

    #[test]
    fn activation_needs_an_objective_with_a_target() {
        assert!(
            check_activation(&[])
                .unwrap_err()
                .message
                .contains("principle 5")
        );
        assert!(check_activation(&[Objective::parse("reach", "1", "week").unwrap()]).is_ok());
    }

    #[test]
    fn campaign_fields_are_checked() {
        let ok = CampaignInput::parse(
            "Spring launch",
            vec![],
            vec![MarketId(1)],
            vec![],
            "2026-03-01",
            "2026-04-30",
        );
        assert_eq!(ok.unwrap().slug, "spring-launch");
        let err = CampaignInput::parse(
            "S",
            vec![],
            vec![MarketId(1)],
            vec![],
            "2026-05-01",
            "2026-04-30",
        )
        .unwrap_err();
        assert_eq!(err.field, "ends_on");
        let err = CampaignInput::parse("S", vec![], vec![], vec![], "2026-03-01", "2026-04-30")
            .unwrap_err();
        assert_eq!(err.field, "markets");
        let err = CampaignInput::parse(
            "S",
            vec![],
            vec![MarketId(1)],
            vec![],
            "March",
            "2026-04-30",
        )
        .unwrap_err();
        assert_eq!(err.field, "starts_on");
    }
}

//! Leads in the rollups (Reach, issue 20): a confirmed lead is +1 `leads` on the confirmation's
//! local day in the lead's market's zone, under the market, the lead's story and campaign (its
//! first touch's), and each principle the story cites. It is written in the transaction that
//! confirms the lead (`reach/submissions.rs`' `confirm` calls [`add_lead`]), so the rollups
//! hold exactly the leads stored. Leads belong to no network: no `numbers_measured` row.

use chorus_core::numbers::{Dimension, Grain, Metric, bucket_of};
use jiff::Timestamp;
use sqlx::{AnyConnection, Row};

use super::deltas::{Deltas, zone};
use crate::{Backend, StoreError};

/// Where a confirmed lead counts: its market, its first touch's story and campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LeadSubjects {
    pub market: i64,
    pub story: Option<i64>,
    pub campaign: Option<i64>,
}

/// Adds one lead confirmed at `confirmed_ms` to `deltas`: the market's zone and the story's
/// principles are read on `conn` (the confirming transaction's).
pub(crate) async fn add_lead(
    conn: &mut AnyConnection,
    deltas: &mut Deltas,
    lead: LeadSubjects,
    confirmed_ms: i64,
) -> Result<(), StoreError> {
    let Ok(at) = Timestamp::from_millisecond(confirmed_ms) else {
        return Ok(());
    };
    let tz: String = sqlx::query("SELECT timezone FROM markets WHERE id = $1")
        .bind(lead.market)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound { what: "market" })?
        .try_get("timezone")?;
    let day = bucket_of(at, &zone(&tz)?, Grain::Day);
    let mut subjects = vec![(Dimension::Market, lead.market.to_string())];
    if let Some(story) = lead.story {
        subjects.push((Dimension::Story, story.to_string()));
        let principles =
            sqlx::query("SELECT principle_id FROM story_principles WHERE story_id = $1 ORDER BY 1")
                .bind(story)
                .fetch_all(&mut *conn)
                .await?;
        for p in principles {
            subjects.push((Dimension::Principle, p.try_get::<i64, _>(0)?.to_string()));
        }
    }
    if let Some(campaign) = lead.campaign {
        subjects.push((Dimension::Campaign, campaign.to_string()));
    }
    deltas.add_day(lead.market, &subjects, day, Metric::Leads, 1);
    Ok(())
}

/// [`add_lead`] and the write of the rollups, for a transaction with nothing else to roll up:
/// the one call the confirmation makes.
pub(crate) async fn roll_up_lead(
    conn: &mut AnyConnection,
    backend: Backend,
    lead: LeadSubjects,
    confirmed_ms: i64,
) -> Result<(), StoreError> {
    let mut deltas = Deltas::default();
    add_lead(conn, &mut deltas, lead, confirmed_ms).await?;
    deltas.write(conn, backend).await
}

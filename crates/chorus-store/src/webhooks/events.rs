//! The events other store methods record, built in one place so that every event of a type
//! carries the same fields. Each is called inside the transaction of the change it reports.

use chorus_core::webhooks::EventType;
use sqlx::AnyConnection;

use super::outbox::{NewEvent, record_event};
use crate::StoreError;
use crate::stories::Story;

/// A story's event: its id, title, campaign and state after the change, with `extra` fields
/// (a variant's URI, a failure's reason) beside them.
pub(crate) async fn story(
    conn: &mut AnyConnection,
    kind: EventType,
    story: &Story,
    state: &str,
    extra: serde_json::Value,
) -> Result<(), StoreError> {
    let mut data = serde_json::json!({
        "story_id": story.id,
        "title": story.title,
        "campaign_id": story.campaign_id,
        "state": state,
    });
    if let (Some(d), serde_json::Value::Object(more)) = (data.as_object_mut(), extra) {
        d.extend(more);
    }
    let event = NewEvent {
        kind,
        market: Some(story.market_id),
        data,
    };
    record_event(conn, &event).await?;
    Ok(())
}

/// A Reach confirmation's events: `reach.lead_confirmed`, and for a webinar
/// `reach.webinar_registration` with the seat's state. Ids only: a lead's name and address are
/// personal data, read through the API by whoever may read leads (`GET /api/v1/reach/leads/{id}`).
pub(crate) async fn confirmed(
    conn: &mut AnyConnection,
    s: &crate::reach::submissions::Submission,
    lead: chorus_core::LeadId,
    new_lead: bool,
    campaign: Option<i64>,
    seat: Option<(
        chorus_core::RegistrationId,
        chorus_core::reach::RegistrationState,
    )>,
) -> Result<(), StoreError> {
    let common = serde_json::json!({
        "lead_id": lead.0,
        "offer_id": s.offer.0,
        "submission_id": s.id.0,
        "story_id": s.story_id,
        "campaign_id": campaign,
    });
    let mut lead_data = common.clone();
    if let Some(d) = lead_data.as_object_mut() {
        d.insert("new_lead".into(), new_lead.into());
    }
    let lead_event = NewEvent {
        kind: EventType::LeadConfirmed,
        market: Some(s.market),
        data: lead_data,
    };
    record_event(conn, &lead_event).await?;
    if let Some((registration, state)) = seat {
        let mut data = common;
        if let Some(d) = data.as_object_mut() {
            d.insert("registration_id".into(), registration.0.into());
            d.insert("seat".into(), state.as_str().into());
        }
        let event = NewEvent {
            kind: EventType::WebinarRegistration,
            market: Some(s.market),
            data,
        };
        record_event(conn, &event).await?;
    }
    Ok(())
}

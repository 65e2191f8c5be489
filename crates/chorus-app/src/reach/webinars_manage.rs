//! Staff use cases of webinars: see one with its seats, change its time, place and capacity,
//! cancel it, see and export its registrants, cancel a registrant's seat, import attendance.
//!
//! Authorization: a webinar is seen by those who manage Reach (`Action::ManageReach`) or read
//! leads (`Action::ReadLeads`) in its market; anyone else gets `NotFound`. Changing it,
//! cancelling seats and importing attendance need `ManageReach` there; its registrants are
//! personal data and need `ReadLeads` (`Forbidden` for someone who sees the webinar without).
//!
//! After each change commits, the people it concerns are mailed (`webinars::notify`: updates,
//! cancellations, seats given to the waiting), once each by the outbox's keys. A mail that
//! cannot be queued is logged; the change stands.

use chorus_core::permission::allows;
use chorus_core::reach::RegistrationState;
use chorus_core::reach::webinar::{
    RawWebinar, WebinarSettings, parse_attendance, parse_webinar, seats_text, when_text,
};
use chorus_core::stories::schedule::input_value;
use chorus_core::{Action, OfferId, RegistrationId, Scope};
use chorus_store::reach::WebinarChange;

pub use chorus_store::reach::{AttendanceReport, Registrant};
use jiff::Timestamp;

use super::webinars::notify;
use super::webinars_mail::Notice;
use super::{Offer, Webinar};
use crate::stories::export::guard;
use crate::{App, Caller, Error, Result};

/// A webinar as the staff pages show it.
#[derive(Debug, Clone)]
pub struct WebinarView {
    pub offer: Offer,
    pub webinar: Webinar,
    pub market_code: String,
    pub market_name: String,
    /// When, in the webinar's zone, in English.
    pub when: String,
    /// The start as a `datetime-local` value in the webinar's zone (for the form).
    pub starts_local: String,
    pub registered: i64,
    pub waiting: i64,
    /// "3 seats left", "Full – waitlist open", "Cancelled" or empty.
    pub seats: String,
    pub can_manage: bool,
    pub can_read_registrants: bool,
}

fn sees(caller: &Caller, offer: &Offer) -> bool {
    let scope = Scope::Market(offer.market);
    allows(&caller.actor, Action::ManageReach, scope)
        || allows(&caller.actor, Action::ReadLeads, scope)
}

/// The webinar `id` if the caller sees it (`NotFound` otherwise, and for an asset).
async fn load(app: &App, caller: &Caller, id: OfferId) -> Result<(Offer, Webinar)> {
    let offer = app
        .store
        .offer(id)
        .await?
        .ok_or(Error::NotFound("webinar"))?;
    if !sees(caller, &offer) {
        return Err(Error::NotFound("webinar"));
    }
    let webinar = offer.webinar.clone().ok_or(Error::NotFound("webinar"))?;
    Ok((offer, webinar))
}

/// [`load`], then `ManageReach` in its market (`Forbidden` without).
async fn load_managed(app: &App, caller: &Caller, id: OfferId) -> Result<(Offer, Webinar)> {
    let (offer, webinar) = load(app, caller, id).await?;
    if !allows(
        &caller.actor,
        Action::ManageReach,
        Scope::Market(offer.market),
    ) {
        return Err(Error::forbidden(
            "you may not change webinars in this market",
        ));
    }
    Ok((offer, webinar))
}

/// [`load`], then `ReadLeads` in its market (`Forbidden` without).
async fn load_registrants(app: &App, caller: &Caller, id: OfferId) -> Result<(Offer, Webinar)> {
    let (offer, webinar) = load(app, caller, id).await?;
    if !allows(
        &caller.actor,
        Action::ReadLeads,
        Scope::Market(offer.market),
    ) {
        return Err(Error::forbidden(
            "registrants are personal data; you may not see them in this market",
        ));
    }
    Ok((offer, webinar))
}

/// One webinar with its seats and what the caller may do.
pub async fn get(app: &App, caller: &Caller, id: OfferId) -> Result<WebinarView> {
    let (offer, webinar) = load(app, caller, id).await?;
    let (registered, waiting) = app.store.seat_counts(id).await?;
    let market = app
        .store
        .markets()
        .await?
        .into_iter()
        .find(|m| m.id == offer.market);
    let zone = chorus_core::org::TimeZoneName::parse(&webinar.time_zone)
        .map_err(|e| Error::Internal(e.message))?;
    let scope = Scope::Market(offer.market);
    Ok(WebinarView {
        when: when_text(webinar.starts_at, webinar.duration_minutes, &zone, "en"),
        starts_local: input_value(webinar.starts_at, &zone.zone()),
        seats: seats_text(
            webinar.capacity,
            registered,
            waiting,
            webinar.cancelled_at.is_some(),
            "en",
        ),
        registered,
        waiting,
        market_code: market
            .as_ref()
            .map_or_else(String::new, |m| m.code.to_string()),
        market_name: market.map_or_else(String::new, |m| m.name),
        can_manage: allows(&caller.actor, Action::ManageReach, scope),
        can_read_registrants: allows(&caller.actor, Action::ReadLeads, scope),
        offer,
        webinar,
    })
}

/// What a change did, for the page's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    /// The time or place changed: the registered were sent the update.
    pub announced: bool,
    pub updates_sent: usize,
    /// Seats the waiting got from a larger capacity.
    pub promoted: usize,
    /// A local time that happens twice, and which was taken.
    pub note: Option<String>,
}

/// Changes webinar `id`'s time, place and capacity (`ManageReach`); mails the update to the
/// registered when the time or place changed, and the invitation to those a larger capacity
/// seated.
pub async fn change(app: &App, caller: &Caller, id: OfferId, raw: &RawWebinar) -> Result<Changed> {
    let (_, webinar) = load_managed(app, caller, id).await?;
    if webinar.cancelled_at.is_some() {
        return Err(Error::conflict(
            "state",
            "this webinar is cancelled and no longer changes",
        ));
    }
    let s: WebinarSettings = parse_webinar(raw).map_err(|e| Error::invalid(e.field, e.message))?;
    let out = app
        .store
        .change_webinar(
            &caller.author(),
            id,
            &WebinarChange {
                starts_at: s.starts_at,
                duration_minutes: s.duration_minutes,
                time_zone: s.zone.as_str().to_owned(),
                capacity: s.capacity,
                join_url: s.join_url.clone(),
            },
        )
        .await?;
    let now = Timestamp::now();
    let mut updates_sent = 0;
    if out.announced {
        for r in app.store.registrants(id).await? {
            if r.state == RegistrationState::Registered && !out.promoted.contains(&r.id) {
                updates_sent += usize::from(tell(app, r.id, Notice::Updated, now).await);
            }
        }
    }
    for p in &out.promoted {
        tell(app, *p, Notice::Promoted, now).await;
    }
    Ok(Changed {
        announced: out.announced,
        updates_sent,
        promoted: out.promoted.len(),
        note: s.note,
    })
}

/// Cancels webinar `id` (`ManageReach`) and mails everyone holding or waiting for a seat the
/// cancellation (with `METHOD:CANCEL`). Answers how many were told.
pub async fn cancel(app: &App, caller: &Caller, id: OfferId) -> Result<usize> {
    load_managed(app, caller, id).await?;
    let now = Timestamp::now();
    let (_, seats) = app.store.cancel_webinar(&caller.author(), id, now).await?;
    let mut told = 0;
    for seat in seats {
        told += usize::from(tell(app, seat, Notice::WebinarCancelled, now).await);
    }
    Ok(told)
}

/// Queues `notice` about `seat`; a failure is logged (the change it reports has committed).
async fn tell(app: &App, seat: RegistrationId, notice: Notice, now: Timestamp) -> bool {
    let result = match app.store.registration_notice(seat).await {
        Ok(Some(n)) => notify(app, &n, notice, now).await,
        Ok(None) => Ok(false),
        Err(e) => Err(e.into()),
    };
    result.unwrap_or_else(|e| {
        tracing::warn!(registration = seat.0, ?notice, error = %e, "webinar mail not queued");
        false
    })
}

/// The registrants of webinar `id` (`ReadLeads`): registered, waiting in order, cancelled.
pub async fn registrants(app: &App, caller: &Caller, id: OfferId) -> Result<Vec<Registrant>> {
    load_registrants(app, caller, id).await?;
    Ok(app.store.registrants(id).await?)
}

/// The registrants as CSV (`ReadLeads`), cells a spreadsheet would run as formulas
/// neutralised: `name, email, state, position` (on the waitlist), `registered_at` (UTC),
/// `locale, attended, minutes, withdrawn`. Answers the file name and the bytes.
pub async fn registrants_csv(app: &App, caller: &Caller, id: OfferId) -> Result<(String, Vec<u8>)> {
    let (offer, _) = load_registrants(app, caller, id).await?;
    let list = app.store.registrants(id).await?;
    let internal = |e: csv::Error| Error::Internal(e.to_string());
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "name",
        "email",
        "state",
        "waitlist_position",
        "registered_at",
        "locale",
        "attended",
        "minutes",
        "withdrawn",
    ])
    .map_err(internal)?;
    let mut position = 0;
    for r in &list {
        let waiting = r.state == RegistrationState::Waitlisted;
        position += usize::from(waiting);
        w.write_record([
            guard(r.name.as_deref().unwrap_or("")),
            guard(r.email.as_deref().unwrap_or("")),
            r.state.as_str().to_owned(),
            if waiting {
                position.to_string()
            } else {
                String::new()
            },
            r.registered_at.to_string(),
            r.locale.clone().unwrap_or_default(),
            match r.attended {
                Some(true) => "yes".into(),
                Some(false) => "no".into(),
                None => String::new(),
            },
            r.attended_minutes
                .map(|m| m.to_string())
                .unwrap_or_default(),
            if r.withdrawn { "yes" } else { "no" }.to_owned(),
        ])
        .map_err(internal)?;
    }
    let bytes = w.into_inner().map_err(|e| Error::Internal(e.to_string()))?;
    Ok((format!("registrants-{}.csv", offer.slug), bytes))
}

/// Cancels a registrant's seat for them (`ManageReach` in the webinar's market), mails them
/// that it is cancelled and gives the freed seat to the first waiting (mailed the invitation).
pub async fn cancel_seat(
    app: &App,
    caller: &Caller,
    offer: OfferId,
    seat: RegistrationId,
) -> Result<()> {
    load_managed(app, caller, offer).await?;
    let n = app
        .store
        .registration_notice(seat)
        .await?
        .filter(|n| n.offer == offer)
        .ok_or(Error::NotFound("registration"))?;
    let now = Timestamp::now();
    let out = app
        .store
        .cancel_registration(&caller.author(), n.id, now)
        .await?;
    tell(app, n.id, Notice::SeatCancelled, now).await;
    for p in out.promoted {
        tell(app, p, Notice::Promoted, now).await;
    }
    Ok(())
}

/// Imports an attendance list (CSV bytes, `ManageReach`); errors name the line and column
/// (field `file`). Answers how many registrants were recorded and the addresses that are none
/// of them.
pub async fn import_attendance(
    app: &App,
    caller: &Caller,
    id: OfferId,
    bytes: &[u8],
) -> Result<AttendanceReport> {
    load_managed(app, caller, id).await?;
    let text = std::str::from_utf8(bytes)
        .map_err(|_| Error::invalid("file", "the list is not UTF-8 text; save it as CSV UTF-8"))?;
    let list = parse_attendance(text).map_err(|e| Error::invalid("file", e.to_string()))?;
    Ok(app
        .store
        .record_attendance(&caller.author(), id, &list)
        .await?)
}

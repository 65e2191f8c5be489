//! Webinars after they are created (creating one is `create_offer`): changing the time, place
//! or capacity, cancelling, the registrants with their names for staff, attendance, and the
//! reminders due.
//!
//! The contract:
//! - A change attendees must hear of (start, duration, zone, join address) raises `sequence`
//!   by one in the change's transaction, and a cancellation does too; every change is audited
//!   (`offer.webinar_change`, `offer.webinar_cancel`). A larger capacity promotes the first
//!   waiting in the same transaction; a smaller one takes no seat away.
//! - A cancelled webinar does not change any more (`State`).
//! - [`Store::reminders_due`] answers each seat's due reminder (`chorus_core::reach::webinar::
//!   reminder_due`) unless its outbox message exists already; the outbox's unique key is what
//!   makes a reminder go out once, this only saves rendering it again.

use chorus_core::audit::Author;
use chorus_core::reach::RegistrationState;
use chorus_core::reach::webinar::{Attendance, Reminder, reminder_due, reminder_key};
use chorus_core::{LeadId, OfferId, RegistrationId};
use jiff::Timestamp;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use super::offers::load;
use super::registrations::{parse_state, promote};
use super::{Offer, instant, millis};
use crate::audit::{self, Applied, Change, Lock};
use crate::{Store, StoreError, in_list};

/// A webinar's new time, place and seats, validated by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebinarChange {
    pub starts_at: Timestamp,
    pub duration_minutes: i64,
    pub time_zone: String,
    /// `None`: no limit.
    pub capacity: Option<i64>,
    pub join_url: String,
}

/// What a change did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebinarChanged {
    pub offer: Offer,
    /// The sequence went up: the registered and waiting must get the update.
    pub announced: bool,
    /// Seats the waitlist's first got from a larger capacity, in order.
    pub promoted: Vec<RegistrationId>,
}

/// A registrant as staff see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Registrant {
    pub id: RegistrationId,
    pub lead: LeadId,
    #[serde(serialize_with = "word")]
    pub state: RegistrationState,
    /// `None` once the contact was erased.
    pub name: Option<String>,
    pub email: Option<String>,
    pub locale: Option<String>,
    /// Consent withdrawn: no more mail.
    pub withdrawn: bool,
    /// `None`: not known (no attendance imported for them).
    pub attended: Option<bool>,
    pub attended_minutes: Option<i64>,
    pub registered_at: Timestamp,
}

fn word<S: serde::Serializer>(v: &RegistrationState, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(v.as_str())
}

/// What importing attendance did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AttendanceReport {
    /// Registrants whose attendance was recorded.
    pub recorded: usize,
    /// Addresses in the list that are none of this webinar's registrants.
    pub unknown: Vec<String>,
}

/// A reminder whose time has come for one seat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueReminder {
    pub registration: RegistrationId,
    pub reminder: Reminder,
}

/// What the audit log keeps of a webinar.
fn snapshot(o: &Offer) -> serde_json::Value {
    let w = o.webinar.as_ref();
    serde_json::json!({
        "title": o.title(),
        "starts_at": w.map(|w| w.starts_at.to_string()),
        "duration_minutes": w.map(|w| w.duration_minutes),
        "time_zone": w.map(|w| &w.time_zone),
        "capacity": w.and_then(|w| w.capacity),
        "join_url": w.map(|w| &w.join_url),
        "sequence": w.map(|w| w.sequence),
        "cancelled_at": w.and_then(|w| w.cancelled_at).map(|t| t.to_string()),
    })
}

/// Locks the offer, then its webinar row (the order `seat` and the cancellations take too).
fn lock(id: OfferId) -> Lock {
    Lock::id("reach_offers", id.0).then("SELECT offer_id FROM reach_webinars WHERE offer_id = $1")
}

async fn load_webinar(c: &mut AnyConnection, id: OfferId) -> Result<Option<Offer>, StoreError> {
    Ok(load(c, id).await?.filter(|o| o.webinar.is_some()))
}

fn refuse_cancelled(o: &Offer) -> Result<(), StoreError> {
    match o.webinar.as_ref().and_then(|w| w.cancelled_at) {
        Some(_) => Err(StoreError::State(
            "this webinar is cancelled and no longer changes".into(),
        )),
        None => Ok(()),
    }
}

impl Store {
    /// Changes a webinar's time, place and capacity (audited). See the module's contract.
    pub async fn change_webinar(
        &self,
        author: &Author,
        id: OfferId,
        change: &WebinarChange,
    ) -> Result<WebinarChanged, StoreError> {
        audit::write(
            self,
            author,
            lock(id),
            async |c| load_webinar(c, id).await,
            async |c, before: &Option<Offer>| {
                let Some(before) = before else {
                    return Ok(Applied::rows(0, 1, None));
                };
                refuse_cancelled(before)?;
                let Some(w) = before.webinar.as_ref() else {
                    return Ok(Applied::rows(0, 1, None));
                };
                let announced = w.starts_at != change.starts_at
                    || w.duration_minutes != change.duration_minutes
                    || w.time_zone != change.time_zone
                    || w.join_url != change.join_url;
                sqlx::query(
                    "UPDATE reach_webinars SET starts_at = $1, duration_minutes = $2, \
                     time_zone = $3, capacity = $4, join_url = $5, sequence = sequence + $6 \
                     WHERE offer_id = $7",
                )
                .bind(millis(change.starts_at))
                .bind(change.duration_minutes)
                .bind(&change.time_zone)
                .bind(change.capacity)
                .bind(&change.join_url)
                .bind(i64::from(announced))
                .bind(id.0)
                .execute(&mut *c)
                .await?;
                let now = Timestamp::now();
                touch(c, id, now).await?;
                let promoted = promote(c, id, now).await?;
                let after = load_webinar(c, id)
                    .await?
                    .ok_or(StoreError::NotFound { what: "webinar" })?;
                let entry = Change {
                    action: "offer.webinar_change",
                    subject_type: "offer",
                    subject_id: id.to_string(),
                    market: Some(before.market),
                    before: Some(snapshot(before)),
                    after: Some(snapshot(&after)),
                };
                let changed = WebinarChanged {
                    offer: after,
                    announced,
                    promoted,
                };
                Ok(Applied::rows(1, 1, Some(changed)).audit(entry))
            },
            async |_, _| StoreError::NotFound { what: "webinar" },
        )
        .await?
        .ok_or(StoreError::NotFound { what: "webinar" })
    }

    /// Cancels a webinar at `now` (audited): `cancelled_at` set and the sequence up by one.
    /// Answers the webinar and the seats to tell (registered and waiting, in order); the seats
    /// keep their states, the webinar's `cancelled_at` says it is off.
    pub async fn cancel_webinar(
        &self,
        author: &Author,
        id: OfferId,
        now: Timestamp,
    ) -> Result<(Offer, Vec<RegistrationId>), StoreError> {
        audit::write(
            self,
            author,
            lock(id),
            async |c| load_webinar(c, id).await,
            async |c, before: &Option<Offer>| {
                let Some(before) = before else {
                    return Ok(Applied::rows(0, 1, None));
                };
                refuse_cancelled(before)?;
                let n = sqlx::query(
                    "UPDATE reach_webinars SET cancelled_at = $1, sequence = sequence + 1 \
                     WHERE offer_id = $2 AND cancelled_at IS NULL",
                )
                .bind(millis(now))
                .bind(id.0)
                .execute(&mut *c)
                .await?
                .rows_affected();
                touch(c, id, now).await?;
                let seats = sqlx::query(
                    "SELECT id FROM reach_registrations WHERE offer_id = $1 \
                     AND state IN ('registered', 'waitlisted') ORDER BY id",
                )
                .bind(id.0)
                .fetch_all(&mut *c)
                .await?
                .iter()
                .map(|r| Ok(RegistrationId(r.try_get("id")?)))
                .collect::<Result<Vec<_>, StoreError>>()?;
                let after = load_webinar(c, id)
                    .await?
                    .ok_or(StoreError::NotFound { what: "webinar" })?;
                let entry = Change {
                    action: "offer.webinar_cancel",
                    subject_type: "offer",
                    subject_id: id.to_string(),
                    market: Some(before.market),
                    before: Some(snapshot(before)),
                    after: Some(snapshot(&after)),
                };
                Ok(Applied::rows(n, 1, Some((after, seats))).audit(entry))
            },
            async |_, _| StoreError::NotFound { what: "webinar" },
        )
        .await?
        .ok_or(StoreError::NotFound { what: "webinar" })
    }

    /// A webinar's registrants with their names, for staff: registered, then waiting (in the
    /// waitlist's order), then cancelled.
    pub async fn registrants(&self, offer: OfferId) -> Result<Vec<Registrant>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.id, r.lead_id, r.state, r.attended, r.attended_minutes, r.created_at, \
             c.name, c.email, s.locale, l.withdrawn_at \
             FROM reach_registrations r \
             JOIN reach_leads l ON l.id = r.lead_id \
             JOIN reach_contacts c ON c.id = l.contact_id \
             LEFT JOIN reach_submissions s ON s.id = l.submission_id \
             WHERE r.offer_id = $1 \
             ORDER BY CASE r.state WHEN 'registered' THEN 0 WHEN 'waitlisted' THEN 1 ELSE 2 END, \
             r.id",
        )
        .bind(offer.0)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Registrant {
                    id: RegistrationId(r.try_get("id")?),
                    lead: LeadId(r.try_get("lead_id")?),
                    state: parse_state(&r.try_get::<String, _>("state")?)?,
                    name: r.try_get("name")?,
                    email: r.try_get("email")?,
                    locale: r.try_get("locale")?,
                    withdrawn: r.try_get::<Option<i64>, _>("withdrawn_at")?.is_some(),
                    attended: r.try_get::<Option<i64>, _>("attended")?.map(|a| a != 0),
                    attended_minutes: r.try_get("attended_minutes")?,
                    registered_at: instant(r.try_get("created_at")?)?,
                })
            })
            .collect()
    }

    /// How many of webinar `offer`'s seats are registered and how many people wait (for the
    /// landing page's "seats left").
    pub async fn seat_counts(&self, offer: OfferId) -> Result<(i64, i64), StoreError> {
        let mut c = self.pool().acquire().await?;
        super::registrations::counts(&mut c, offer).await
    }

    /// Records who attended webinar `offer` from an imported list (audited once, with the
    /// counts): each registrant listed gets the list's answer and minutes; addresses that are
    /// none of its registrants are answered back, unchanged.
    pub async fn record_attendance(
        &self,
        author: &Author,
        offer: OfferId,
        list: &[Attendance],
    ) -> Result<AttendanceReport, StoreError> {
        audit::write(
            self,
            author,
            lock(offer),
            async |c| load_webinar(c, offer).await,
            async |c, before: &Option<Offer>| {
                let Some(before) = before else {
                    return Ok(Applied::rows(0, 1, AttendanceReport::default()));
                };
                let now = millis(Timestamp::now());
                let mut report = AttendanceReport::default();
                for a in list {
                    let n = sqlx::query(
                        "UPDATE reach_registrations SET attended = $1, attended_minutes = $2, \
                         updated_at = $3 WHERE offer_id = $4 AND lead_id IN (SELECT l.id \
                         FROM reach_leads l JOIN reach_contacts c ON c.id = l.contact_id \
                         WHERE l.offer_id = $4 AND c.email = $5)",
                    )
                    .bind(i64::from(a.attended))
                    .bind(a.minutes)
                    .bind(now)
                    .bind(offer.0)
                    .bind(a.email.as_str())
                    .execute(&mut *c)
                    .await?
                    .rows_affected();
                    if n == 0 {
                        report.unknown.push(a.email.as_str().to_owned());
                    } else {
                        report.recorded += 1;
                    }
                }
                let entry = Change {
                    action: "offer.attendance",
                    subject_type: "offer",
                    subject_id: offer.to_string(),
                    market: Some(before.market),
                    before: None,
                    after: Some(serde_json::json!({
                        "title": before.title(),
                        "recorded": report.recorded,
                        "attended": list.iter().filter(|a| a.attended).count(),
                        "unknown": report.unknown.len(),
                    })),
                };
                Ok(Applied::rows(1, 1, report).audit(entry))
            },
            async |_, _| StoreError::NotFound { what: "webinar" },
        )
        .await
    }

    /// The reminders due at `now` that are not in the outbox yet: for registered seats of
    /// webinars not cancelled that start within a day, whose person has not withdrawn and was
    /// not erased (see the module's contract).
    pub async fn reminders_due(&self, now: Timestamp) -> Result<Vec<DueReminder>, StoreError> {
        let day = millis(now) + Reminder::DayBefore.lead_time().as_millis() as i64;
        let rows = sqlx::query(
            "SELECT r.id, r.updated_at, w.starts_at FROM reach_registrations r \
             JOIN reach_webinars w ON w.offer_id = r.offer_id \
             JOIN reach_leads l ON l.id = r.lead_id \
             JOIN reach_contacts c ON c.id = l.contact_id \
             WHERE r.state = 'registered' AND w.cancelled_at IS NULL \
             AND w.starts_at > $1 AND w.starts_at <= $2 \
             AND l.withdrawn_at IS NULL AND c.email IS NOT NULL \
             ORDER BY w.starts_at, r.id",
        )
        .bind(millis(now))
        .bind(day)
        .fetch_all(self.pool())
        .await?;
        let mut due = Vec::new();
        for r in &rows {
            let registration = RegistrationId(r.try_get("id")?);
            let starts_at = instant(r.try_get("starts_at")?)?;
            let since = instant(r.try_get("updated_at")?)?;
            if let Some(reminder) = reminder_due(starts_at, since, now) {
                due.push(DueReminder {
                    registration,
                    reminder,
                });
            }
        }
        let mut out = Vec::with_capacity(due.len());
        for chunk in due.chunks(500) {
            let keys: Vec<String> = chunk
                .iter()
                .map(|d| reminder_key(d.registration, d.reminder))
                .collect();
            let sql = format!(
                "SELECT key FROM mail_outbox WHERE key IN ({})",
                in_list(1, keys.len())
            );
            let mut q = sqlx::query(&sql);
            for k in &keys {
                q = q.bind(k);
            }
            let queued: Vec<String> = q
                .fetch_all(self.pool())
                .await?
                .iter()
                .map(|r| r.try_get("key"))
                .collect::<Result<_, _>>()?;
            out.extend(
                chunk
                    .iter()
                    .zip(&keys)
                    .filter(|(_, k)| !queued.contains(k))
                    .map(|(d, _)| *d),
            );
        }
        Ok(out)
    }
}

/// Marks the offer changed at `now`.
async fn touch(c: &mut AnyConnection, id: OfferId, now: Timestamp) -> Result<(), StoreError> {
    sqlx::query("UPDATE reach_offers SET updated_at = $1 WHERE id = $2")
        .bind(millis(now))
        .bind(id.0)
        .execute(&mut *c)
        .await?;
    Ok(())
}

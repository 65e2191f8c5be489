//! Webinar seats (`reach_registrations`): taking a seat when a person confirms, what a mail
//! about a seat needs to say, and (in the files beside it) cancelling, the waitlist's
//! promotions, attendance and reminders.
//!
//! The contract:
//! - A seat is taken inside the confirmation's own transaction ([`seat`]): registered while
//!   fewer people are registered than the webinar's capacity (NULL: no limit) and nobody is
//!   waiting, else waitlisted; the waitlist is served in id order. On PostgreSQL the webinar's
//!   row is locked first (`FOR UPDATE`), on SQLite the caller's `BEGIN IMMEDIATE` excludes other
//!   writers, so two confirmations cannot both take the last seat.
//! - A registration's `uid` (the `.ics` UID) and `cancel_token` (the link in every mail that
//!   cancels the seat) are random and made once; they do not change for the seat's life.
//! - The store has no rules about who may do what; `chorus-app` decides before calling.

use chorus_core::audit::Author;
use chorus_core::reach::RegistrationState;
use chorus_core::{LeadId, MarketId, OfferId, RegistrationId, SubmissionId};
use jiff::Timestamp;
use rand::RngCore;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{instant, millis};
use crate::audit::{self, Applied, Change, Lock};
use crate::{Store, StoreError};

/// `FOR UPDATE` on PostgreSQL, nothing on SQLite (whose `BEGIN IMMEDIATE` already holds the
/// write lock), for statements run inside a caller's transaction.
pub(crate) fn for_update(conn: &AnyConnection) -> &'static str {
    if conn.backend_name() == "PostgreSQL" {
        " FOR UPDATE"
    } else {
        ""
    }
}

/// 128 random bits as 32 lowercase hex digits.
fn random_hex() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub(crate) fn parse_state(s: &str) -> Result<RegistrationState, StoreError> {
    RegistrationState::parse(s).map_err(|e| StoreError::corrupt("registration state", e))
}

/// Gives `lead` a seat at webinar `offer`, inside the caller's transaction (a confirmation's):
/// registered while fewer than the capacity are registered and nobody waits, else waitlisted;
/// a cancelled webinar gives a cancelled seat (the person is told so). A lead that holds a seat
/// already keeps it (a second confirmation changes nothing); one whose seat was cancelled gets
/// a new one, at the end of the waitlist if it is full.
///
/// `NotFound` when `offer` is not a webinar.
pub(crate) async fn seat(
    conn: &mut AnyConnection,
    offer: OfferId,
    lead: LeadId,
    now: Timestamp,
) -> Result<(RegistrationId, RegistrationState), StoreError> {
    let sql = format!(
        "SELECT capacity, cancelled_at FROM reach_webinars WHERE offer_id = $1{}",
        for_update(conn)
    );
    let webinar = sqlx::query(&sql)
        .bind(offer.0)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound { what: "webinar" })?;
    let capacity: Option<i64> = webinar.try_get("capacity")?;
    let cancelled_at: Option<i64> = webinar.try_get("cancelled_at")?;
    let held = sqlx::query("SELECT id, state FROM reach_registrations WHERE lead_id = $1")
        .bind(lead.0)
        .fetch_optional(&mut *conn)
        .await?;
    if let Some(row) = held {
        let id = RegistrationId(row.try_get("id")?);
        let state = parse_state(&row.try_get::<String, _>("state")?)?;
        if state != RegistrationState::Cancelled {
            return Ok((id, state));
        }
        // A new seat is a new row, so that it joins the waitlist at its end.
        sqlx::query("DELETE FROM reach_registrations WHERE id = $1")
            .bind(id.0)
            .execute(&mut *conn)
            .await?;
    }
    let state = if cancelled_at.is_some() {
        RegistrationState::Cancelled
    } else {
        let (registered, waiting) = counts(conn, offer).await?;
        chorus_core::reach::webinar::seat_for(capacity, registered, waiting)
    };
    let ms = millis(now);
    let row = sqlx::query(
        "INSERT INTO reach_registrations (offer_id, lead_id, state, uid, cancel_token, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
    )
    .bind(offer.0)
    .bind(lead.0)
    .bind(state.as_str())
    .bind(format!("{}@chorus", random_hex()))
    .bind(random_hex())
    .bind(ms)
    .fetch_one(&mut *conn)
    .await?;
    Ok((RegistrationId(row.try_get("id")?), state))
}

async fn state_of(
    c: &mut AnyConnection,
    id: RegistrationId,
) -> Result<Option<RegistrationState>, StoreError> {
    sqlx::query("SELECT state FROM reach_registrations WHERE id = $1")
        .bind(id.0)
        .fetch_optional(&mut *c)
        .await?
        .map(|r| parse_state(&r.try_get::<String, _>("state")?))
        .transpose()
}

/// How many of `offer`'s seats are registered and how many people wait.
pub(crate) async fn counts(
    conn: &mut AnyConnection,
    offer: OfferId,
) -> Result<(i64, i64), StoreError> {
    let row = sqlx::query(
        "SELECT \
         COALESCE(SUM(CASE WHEN state = 'registered' THEN 1 ELSE 0 END), 0) AS registered, \
         COALESCE(SUM(CASE WHEN state = 'waitlisted' THEN 1 ELSE 0 END), 0) AS waiting \
         FROM reach_registrations WHERE offer_id = $1",
    )
    .bind(offer.0)
    .fetch_one(&mut *conn)
    .await?;
    Ok((row.try_get("registered")?, row.try_get("waiting")?))
}

/// Gives the free seats of webinar `offer` to the first waiting, in order, inside the caller's
/// transaction (which holds the webinar's row): after a cancellation, or a larger capacity.
/// Nothing for a cancelled webinar. Answers the seats promoted.
pub(crate) async fn promote(
    conn: &mut AnyConnection,
    offer: OfferId,
    now: Timestamp,
) -> Result<Vec<RegistrationId>, StoreError> {
    let Some(w) =
        sqlx::query("SELECT capacity, cancelled_at FROM reach_webinars WHERE offer_id = $1")
            .bind(offer.0)
            .fetch_optional(&mut *conn)
            .await?
    else {
        return Ok(Vec::new());
    };
    if w.try_get::<Option<i64>, _>("cancelled_at")?.is_some() {
        return Ok(Vec::new());
    }
    let capacity: Option<i64> = w.try_get("capacity")?;
    let (registered, waiting) = counts(conn, offer).await?;
    let n = chorus_core::reach::webinar::promotions(
        capacity,
        registered,
        usize::try_from(waiting).unwrap_or(0),
    );
    if n == 0 {
        return Ok(Vec::new());
    }
    let first = sqlx::query(
        "SELECT id FROM reach_registrations WHERE offer_id = $1 AND state = 'waitlisted' \
         ORDER BY id LIMIT $2",
    )
    .bind(offer.0)
    .bind(i64::try_from(n).unwrap_or(i64::MAX))
    .fetch_all(&mut *conn)
    .await?;
    let mut promoted = Vec::with_capacity(first.len());
    for r in &first {
        let id = RegistrationId(r.try_get("id")?);
        sqlx::query(
            "UPDATE reach_registrations SET state = 'registered', updated_at = $1 \
             WHERE id = $2 AND state = 'waitlisted'",
        )
        .bind(millis(now))
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
        promoted.push(id);
    }
    Ok(promoted)
}

/// What cancelling a seat did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatCancelled {
    pub id: RegistrationId,
    /// The seat's state before: a registered seat frees a place, a waiting one does not.
    pub was: RegistrationState,
    /// The seats the waitlist's first got in the same transaction, in order.
    pub promoted: Vec<RegistrationId>,
}

/// Everything a mail about one seat says: who, in which language, the webinar's time and place
/// and the seat's state, and the links' tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationNotice {
    pub id: RegistrationId,
    pub offer: OfferId,
    pub market: MarketId,
    pub lead: LeadId,
    /// The submission the lead was confirmed from (what an email's withdrawal link names).
    pub submission: SubmissionId,
    pub state: RegistrationState,
    /// The `.ics` UID.
    pub uid: String,
    /// The cancel link's token (`None` only for rows older than migration 0023).
    pub cancel_token: Option<String>,
    /// `None` once the contact was erased.
    pub email: Option<String>,
    pub name: Option<String>,
    /// The locale the person registered in (their submission's).
    pub locale: String,
    /// The person withdrew consent: no more mail.
    pub withdrawn: bool,
    pub slug: String,
    /// The landing page's title and description in `locale` (else its language, else the
    /// first page).
    pub title: String,
    pub description: String,
    pub starts_at: Timestamp,
    pub duration_minutes: i64,
    pub time_zone: String,
    pub join_url: String,
    /// The iCalendar SEQUENCE every message carries.
    pub sequence: i64,
    pub webinar_cancelled_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

const NOTICE_SQL: &str = "SELECT r.id, r.offer_id, r.lead_id, l.submission_id, r.state, r.uid, \
     r.cancel_token, r.created_at, c.email, c.name, l.withdrawn_at, s.locale, o.slug, o.market_id, \
     w.starts_at, w.duration_minutes, w.time_zone, w.join_url, w.sequence, w.cancelled_at \
     FROM reach_registrations r \
     JOIN reach_leads l ON l.id = r.lead_id \
     JOIN reach_contacts c ON c.id = l.contact_id \
     LEFT JOIN reach_submissions s ON s.id = l.submission_id \
     JOIN reach_offers o ON o.id = r.offer_id \
     JOIN reach_webinars w ON w.offer_id = r.offer_id";

/// Picks the page in `locale`, else its language, else the first; `(title, description)`.
pub(crate) fn pick_page(pages: &[(String, String, String)], locale: &str) -> (String, String) {
    let language = locale.split('-').next().unwrap_or(locale);
    pages
        .iter()
        .find(|p| p.0.eq_ignore_ascii_case(locale))
        .or_else(|| pages.iter().find(|p| p.0.eq_ignore_ascii_case(language)))
        .or_else(|| pages.first())
        .map(|p| (p.1.clone(), p.2.clone()))
        .unwrap_or_default()
}

/// An offer's landing pages as `(locale, title, description)`, by locale.
pub(crate) async fn pages(
    conn: &mut AnyConnection,
    offer: OfferId,
) -> Result<Vec<(String, String, String)>, StoreError> {
    let rows = sqlx::query(
        "SELECT locale, title, description FROM reach_offer_pages WHERE offer_id = $1 \
         ORDER BY locale",
    )
    .bind(offer.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("locale")?,
                r.try_get("title")?,
                r.try_get("description")?,
            ))
        })
        .collect()
}

fn notice_from(
    r: &AnyRow,
    pages: &[(String, String, String)],
) -> Result<RegistrationNotice, StoreError> {
    let locale: Option<String> = r.try_get("locale")?;
    let locale = locale.unwrap_or_else(|| "en".to_owned());
    let (title, description) = pick_page(pages, &locale);
    Ok(RegistrationNotice {
        id: RegistrationId(r.try_get("id")?),
        offer: OfferId(r.try_get("offer_id")?),
        market: MarketId(r.try_get("market_id")?),
        lead: LeadId(r.try_get("lead_id")?),
        submission: SubmissionId(r.try_get("submission_id")?),
        state: parse_state(&r.try_get::<String, _>("state")?)?,
        uid: r.try_get("uid")?,
        cancel_token: r.try_get("cancel_token")?,
        email: r.try_get("email")?,
        name: r.try_get("name")?,
        locale,
        withdrawn: r.try_get::<Option<i64>, _>("withdrawn_at")?.is_some(),
        slug: r.try_get("slug")?,
        title,
        description,
        starts_at: instant(r.try_get("starts_at")?)?,
        duration_minutes: r.try_get("duration_minutes")?,
        time_zone: r.try_get("time_zone")?,
        join_url: r.try_get("join_url")?,
        sequence: r.try_get("sequence")?,
        webinar_cancelled_at: r
            .try_get::<Option<i64>, _>("cancelled_at")?
            .map(instant)
            .transpose()?,
        created_at: instant(r.try_get("created_at")?)?,
    })
}

impl Store {
    /// Cancels seat `id` at `now` — asked by the person (through their mail's link) or by
    /// staff, as `author` says — and gives a freed place to the first waiting **in the same
    /// transaction** (audited: `registration.cancel`, with the seats promoted). A seat already
    /// cancelled is `State`.
    pub async fn cancel_registration(
        &self,
        author: &Author,
        id: RegistrationId,
        now: Timestamp,
    ) -> Result<SeatCancelled, StoreError> {
        audit::write(
            self,
            author,
            Lock::select(
                "SELECT offer_id FROM reach_webinars WHERE offer_id = \
                 (SELECT offer_id FROM reach_registrations WHERE id = $1)",
                id.0,
            ),
            async |c| {
                let row = sqlx::query(
                    "SELECT r.offer_id, r.lead_id, r.state, o.market_id FROM reach_registrations r \
                     JOIN reach_offers o ON o.id = r.offer_id WHERE r.id = $1",
                )
                .bind(id.0)
                .fetch_optional(&mut *c)
                .await?;
                row.map(|r| -> Result<_, StoreError> {
                    Ok((
                        OfferId(r.try_get("offer_id")?),
                        LeadId(r.try_get("lead_id")?),
                        parse_state(&r.try_get::<String, _>("state")?)?,
                        MarketId(r.try_get("market_id")?),
                    ))
                })
                .transpose()
            },
            async |c, before: &Option<(OfferId, LeadId, RegistrationState, MarketId)>| {
                let Some((offer, lead, was, market)) = *before else {
                    return Ok(Applied::rows(0, 1, None));
                };
                let n = sqlx::query(
                    "UPDATE reach_registrations SET state = 'cancelled', updated_at = $1 \
                     WHERE id = $2 AND state <> 'cancelled'",
                )
                .bind(millis(now))
                .bind(id.0)
                .execute(&mut *c)
                .await?
                .rows_affected();
                if n == 0 {
                    return Ok(Applied::rows(0, 1, None));
                }
                let promoted = if was == RegistrationState::Registered {
                    promote(c, offer, now).await?
                } else {
                    Vec::new()
                };
                let entry = Change {
                    action: "registration.cancel",
                    subject_type: "registration",
                    subject_id: id.to_string(),
                    market: Some(market),
                    before: Some(serde_json::json!({
                        "offer_id": offer.0, "lead_id": lead.0, "state": was.as_str(),
                    })),
                    after: Some(serde_json::json!({
                        "offer_id": offer.0, "lead_id": lead.0, "state": "cancelled",
                        "promoted": promoted.iter().map(|p| p.0).collect::<Vec<_>>(),
                    })),
                };
                let out = SeatCancelled { id, was, promoted };
                Ok(Applied::rows(n, 1, Some(out)).audit(entry))
            },
            async |c, _| match state_of(c, id).await {
                Ok(Some(_)) => StoreError::State("this seat is already cancelled".into()),
                Ok(None) => StoreError::NotFound {
                    what: "registration",
                },
                Err(e) => e,
            },
        )
        .await?
        .ok_or(StoreError::NotFound {
            what: "registration",
        })
    }

    /// What a mail about registration `id` says (see [`RegistrationNotice`]); `None` when
    /// there is no such registration.
    pub async fn registration_notice(
        &self,
        id: RegistrationId,
    ) -> Result<Option<RegistrationNotice>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        let row = sqlx::query(&format!("{NOTICE_SQL} WHERE r.id = $1"))
            .bind(id.0)
            .fetch_optional(&mut *conn)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let pages = pages(&mut conn, OfferId(row.try_get("offer_id")?)).await?;
        notice_from(&row, &pages).map(Some)
    }

    /// [`Store::registration_notice`] found by the cancel link's token.
    pub async fn registration_by_cancel_token(
        &self,
        token: &str,
    ) -> Result<Option<RegistrationNotice>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        let row = sqlx::query(&format!("{NOTICE_SQL} WHERE r.cancel_token = $1"))
            .bind(token)
            .fetch_optional(&mut *conn)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let pages = pages(&mut conn, OfferId(row.try_get("offer_id")?)).await?;
        notice_from(&row, &pages).map(Some)
    }

    /// Takes a seat for `lead` at webinar `offer` in a transaction of its own (see [`seat`]);
    /// for tests, the demo and tools. A confirmation calls [`seat`] inside its own.
    pub async fn seat_registration(
        &self,
        offer: OfferId,
        lead: LeadId,
        now: Timestamp,
    ) -> Result<(RegistrationId, RegistrationState), StoreError> {
        let mut tx = crate::audit::begin(self, &crate::audit::Lock::nothing()).await?;
        let out = seat(&mut tx, offer, lead, now).await?;
        tx.commit().await?;
        Ok(out)
    }
}

//! The consent ledger (`reach_consent_events`): one row per event, appended inside the
//! transaction of the change it records and never changed or deleted (triggers on both
//! backends refuse UPDATE and DELETE). A row names the person by `email_sha256` (and by contact
//! once there is one), never by their address, so erasing a person leaves exactly the proof:
//! when, what they were told (the text as shown and its hash), how (form version, page, UTM,
//! truncated address, user agent) and who acted for them (`actor_id`, staff only).

use chorus_core::ids::{ConsentTextId, ContactId, OfferId, SubmissionId};
use chorus_core::reach::ConsentEvent;
use chorus_core::{MarketId, UserId};
use serde::{Serialize, Serializer};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::direct::Bind;
use crate::{Store, StoreError};

/// One row of the ledger as read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerRow {
    pub id: i64,
    #[serde(serialize_with = "event_word")]
    pub event: ConsentEvent,
    pub at_ms: i64,
    pub email_sha256: String,
    pub contact: Option<ContactId>,
    pub submission: Option<SubmissionId>,
    pub offer: Option<OfferId>,
    pub market: Option<MarketId>,
    pub consent_text_id: Option<ConsentTextId>,
    /// The exact text the person was shown (submitted and confirmed rows).
    pub consent_text: Option<String>,
    pub consent_sha256: Option<String>,
    pub legal_basis: Option<String>,
    pub form_version: Option<i64>,
    pub locale: Option<String>,
    /// Truncated (IPv4 /24, IPv6 /48).
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub page_url: Option<String>,
    /// The UTM parameters as a JSON object.
    pub utm: Option<String>,
    /// Who acted (staff exporting or erasing); `None` when the person acted themselves.
    pub actor: Option<UserId>,
}

fn event_word<S: Serializer>(event: &ConsentEvent, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(event.as_str())
}

/// Whose history to read: everything filed under an email's hash, or a contact's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentSubject<'a> {
    EmailSha256(&'a str),
    Contact(ContactId),
}

/// A row to append (borrowed; fields without a value stay NULL).
#[derive(Debug, Clone, Default)]
pub(crate) struct Entry<'a> {
    pub event: Option<ConsentEvent>,
    pub at_ms: i64,
    pub email_sha256: &'a str,
    pub contact: Option<ContactId>,
    pub submission: Option<SubmissionId>,
    pub offer: Option<OfferId>,
    pub market: Option<MarketId>,
    pub consent_text_id: Option<ConsentTextId>,
    pub consent_text: Option<&'a str>,
    pub consent_sha256: Option<&'a str>,
    pub legal_basis: Option<&'a str>,
    pub form_version: Option<i64>,
    pub locale: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub page_url: Option<&'a str>,
    pub utm: Option<&'a str>,
    pub actor: Option<UserId>,
}

/// The statement appending one row; its parameters are [`Entry::binds`].
const APPEND: &str = "INSERT INTO reach_consent_events (event, at, email_sha256, contact_id, \
     submission_id, offer_id, market_id, consent_text_id, consent_text, consent_sha256, \
     legal_basis, form_version, locale, ip, user_agent, page_url, utm, actor_id) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)";

impl Entry<'_> {
    /// [`APPEND`]'s parameters, for either connection.
    fn binds(&self) -> Result<Vec<Bind>, StoreError> {
        let event = self
            .event
            .ok_or_else(|| StoreError::corrupt("consent event", "a ledger row needs its event"))?;
        let s = |v: Option<&str>| Bind::OptS(v.map(str::to_owned));
        Ok(vec![
            Bind::S(event.as_str().to_owned()),
            Bind::I(self.at_ms),
            Bind::S(self.email_sha256.to_owned()),
            Bind::OptI(self.contact.map(|c| c.0)),
            Bind::OptI(self.submission.map(|s| s.0)),
            Bind::OptI(self.offer.map(|o| o.0)),
            Bind::OptI(self.market.map(|m| m.0)),
            Bind::OptI(self.consent_text_id.map(|c| c.0)),
            s(self.consent_text),
            s(self.consent_sha256),
            s(self.legal_basis),
            Bind::OptI(self.form_version),
            s(self.locale),
            s(self.ip),
            s(self.user_agent),
            s(self.page_url),
            s(self.utm),
            Bind::OptI(self.actor.map(|u| u.0)),
        ])
    }
}

/// Appends `entry` inside the caller's transaction.
pub(crate) async fn append(conn: &mut AnyConnection, entry: &Entry<'_>) -> Result<(), StoreError> {
    Bind::all_to_sqlx(sqlx::query(APPEND), &entry.binds()?)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// [`append`] on a direct SQLite connection (inside its transaction).
pub(crate) fn append_direct(
    conn: &rusqlite::Connection,
    entry: &Entry<'_>,
) -> Result<(), StoreError> {
    let mut stmt = conn.prepare_cached(APPEND)?;
    Bind::all_to_rusqlite(&mut stmt, &entry.binds()?)?;
    stmt.raw_execute()?;
    Ok(())
}

const COLUMNS: &str = "id, event, at, email_sha256, contact_id, submission_id, offer_id, \
     market_id, consent_text_id, consent_text, consent_sha256, legal_basis, form_version, locale, \
     ip, user_agent, page_url, utm, actor_id";

fn from_row(r: &AnyRow) -> Result<LedgerRow, StoreError> {
    let event: String = r.try_get("event")?;
    Ok(LedgerRow {
        id: r.try_get("id")?,
        event: ConsentEvent::parse(&event).map_err(|e| StoreError::corrupt("consent event", e))?,
        at_ms: r.try_get("at")?,
        email_sha256: r.try_get("email_sha256")?,
        contact: r.try_get::<Option<i64>, _>("contact_id")?.map(ContactId),
        submission: r
            .try_get::<Option<i64>, _>("submission_id")?
            .map(SubmissionId),
        offer: r.try_get::<Option<i64>, _>("offer_id")?.map(OfferId),
        market: r.try_get::<Option<i64>, _>("market_id")?.map(MarketId),
        consent_text_id: r
            .try_get::<Option<i64>, _>("consent_text_id")?
            .map(ConsentTextId),
        consent_text: r.try_get("consent_text")?,
        consent_sha256: r.try_get("consent_sha256")?,
        legal_basis: r.try_get("legal_basis")?,
        form_version: r.try_get("form_version")?,
        locale: r.try_get("locale")?,
        ip: r.try_get("ip")?,
        user_agent: r.try_get("user_agent")?,
        page_url: r.try_get("page_url")?,
        utm: r.try_get("utm")?,
        actor: r.try_get::<Option<i64>, _>("actor_id")?.map(UserId),
    })
}

/// The rows of `email_sha256`, oldest first, inside a transaction (export).
pub(crate) async fn rows_of(
    conn: &mut AnyConnection,
    email_sha256: &str,
) -> Result<Vec<LedgerRow>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM reach_consent_events WHERE email_sha256 = $1 ORDER BY id"
    ))
    .bind(email_sha256)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

impl Store {
    /// A person's consent history for the staff, oldest first: every row filed under an
    /// email's hash, or every row of a contact (which includes their rows from before they
    /// confirmed: those carry the same hash).
    pub async fn consent_history(
        &self,
        subject: ConsentSubject<'_>,
    ) -> Result<Vec<LedgerRow>, StoreError> {
        let rows = match subject {
            ConsentSubject::EmailSha256(hash) => {
                sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM reach_consent_events WHERE email_sha256 = $1 \
                     ORDER BY id"
                ))
                .bind(hash)
                .fetch_all(self.pool())
                .await?
            }
            ConsentSubject::Contact(contact) => {
                sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM reach_consent_events WHERE email_sha256 = \
                     (SELECT email_sha256 FROM reach_contacts WHERE id = $1) ORDER BY id"
                ))
                .bind(contact.0)
                .fetch_all(self.pool())
                .await?
            }
        };
        rows.iter().map(from_row).collect()
    }
}

//! Storing a landing form's submission ([`Store::submit`]): one transaction holding the pending
//! submission (its token only as SHA-256), the `submitted` ledger row with the exact consent
//! text the form showed (copied from its version's row, with the hash) and the confirmation
//! email in the outbox (key `reach-confirm:{submission}`) with its `send_mail` job.
//!
//! It is the write a burst of sign-ups makes, so on SQLite it runs on the store's direct
//! connection (`direct::Writer`): five statements back to back on one blocking thread instead
//! of a message to sqlx's worker thread (and one back) for each, which was most of a
//! submission's cost. PostgreSQL takes the pooled path. Both run the same statements with the
//! same parameters ([`Bind`] lists built once, here and in `ledger`, `mail` and `jobs`).

use chorus_core::MarketId;
use chorus_core::ids::{ConsentTextId, OfferId, SubmissionId};
use chorus_core::reach::ConsentEvent;
use chorus_core::reach::attribution::Utm;
use rusqlite::TransactionBehavior;
use sqlx::Row;

use super::ledger::{self, Entry};
use super::submissions::{ReachMail, confirm_mail_key};
use crate::audit::{self, Lock};
use crate::direct::Bind;
use crate::mail;
use crate::{Store, StoreError};

/// A submission to store, validated by the caller (owned: on SQLite it is written on another
/// thread).
#[derive(Debug, Clone)]
pub struct NewSubmission {
    pub offer: OfferId,
    /// Trimmed and lowercased (`chorus_core::user::Email`).
    pub email: String,
    pub email_sha256: String,
    pub name: String,
    /// The custom fields' answers as a JSON object.
    pub answers_json: String,
    pub locale: String,
    /// The consent text version the form showed (must be of the offer's market).
    pub consent_text: ConsentTextId,
    pub form_version: i64,
    pub token_sha256: String,
    pub expires_at_ms: i64,
    /// Truncated (`chorus_core::reach::ip::truncate`).
    pub ip: String,
    pub user_agent: String,
    pub page_url: String,
    pub utm: Utm,
    pub at_ms: i64,
}

/// The consent text version's words, hash and basis, and the market, if the version is of
/// `$2`'s market (else no row: a forged form).
const BEFORE: &str = "SELECT c.body, c.sha256, c.legal_basis, o.market_id FROM reach_offers o \
     JOIN reach_consent_texts c ON c.market_id = o.market_id AND c.id = $1 WHERE o.id = $2";

/// The pending submission; a `utm_content` naming a story that does not exist keeps the tags
/// but no story. Parameters: [`NewSubmission::binds`].
const INSERT: &str = "INSERT INTO reach_submissions (offer_id, email, name, answers, locale, \
     consent_text_id, form_version, token_sha256, expires_at, state, ip, user_agent, page_url, \
     utm_source, utm_medium, utm_campaign, utm_content, utm_term, story_id, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10, $11, $12, $13, $14, $15, $16, \
     $17, (SELECT id FROM stories WHERE id = $18), $19)";

/// What [`BEFORE`] read.
struct Before {
    body: String,
    sha256: String,
    basis: String,
    market: MarketId,
}

fn not_of_market() -> StoreError {
    StoreError::Reference("the consent text is not one of the offer's market".into())
}

impl NewSubmission {
    fn before_binds(&self) -> Vec<Bind> {
        vec![Bind::I(self.consent_text.0), Bind::I(self.offer.0)]
    }

    /// [`INSERT`]'s parameters.
    fn binds(&self) -> Vec<Bind> {
        let s = |v: &str| Bind::S(v.to_owned());
        let utm = |v: &Option<String>| Bind::OptS(v.clone());
        vec![
            Bind::I(self.offer.0),
            s(&self.email),
            s(&self.name),
            s(&self.answers_json),
            s(&self.locale),
            Bind::I(self.consent_text.0),
            Bind::I(self.form_version),
            s(&self.token_sha256),
            Bind::I(self.expires_at_ms),
            s(&self.ip),
            s(&self.user_agent),
            s(&self.page_url),
            utm(&self.utm.source),
            utm(&self.utm.medium),
            utm(&self.utm.campaign),
            utm(&self.utm.content),
            utm(&self.utm.term),
            Bind::OptI(self.utm.story_id()),
            Bind::I(self.at_ms),
        ]
    }

    /// The `submitted` ledger row of submission `id` (`utm` is the tags as JSON).
    fn ledger<'a>(&'a self, id: SubmissionId, before: &'a Before, utm: &'a str) -> Entry<'a> {
        Entry {
            event: Some(ConsentEvent::Submitted),
            at_ms: self.at_ms,
            email_sha256: &self.email_sha256,
            submission: Some(id),
            offer: Some(self.offer),
            market: Some(before.market),
            consent_text_id: Some(self.consent_text),
            consent_text: Some(&before.body),
            consent_sha256: Some(&before.sha256),
            legal_basis: Some(&before.basis),
            form_version: Some(self.form_version),
            locale: Some(&self.locale),
            ip: Some(&self.ip),
            user_agent: Some(&self.user_agent),
            page_url: Some(&self.page_url),
            utm: Some(utm),
            ..Entry::default()
        }
    }
}

impl Store {
    /// Stores a submission, its `submitted` ledger row and its confirmation email (rendered by
    /// `mail` once the submission's id is known) in one transaction. A consent text that is not
    /// of the offer's market is `StoreError::Reference`.
    pub async fn submit(
        &self,
        s: NewSubmission,
        mail: impl FnOnce(SubmissionId) -> ReachMail + Send + 'static,
    ) -> Result<SubmissionId, StoreError> {
        match self.writer() {
            Some(writer) => {
                writer
                    .write("a form submission", move |conn| {
                        submit_direct(conn, &s, mail)
                    })
                    .await
            }
            None => self.submit_pooled(&s, mail).await,
        }
    }

    async fn submit_pooled(
        &self,
        s: &NewSubmission,
        mail: impl FnOnce(SubmissionId) -> ReachMail,
    ) -> Result<SubmissionId, StoreError> {
        let mut tx = audit::begin(self, &Lock::nothing()).await?;
        let row = Bind::all_to_sqlx(sqlx::query(BEFORE), &s.before_binds())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(not_of_market)?;
        let before = Before {
            body: row.try_get("body")?,
            sha256: row.try_get("sha256")?,
            basis: row.try_get("legal_basis")?,
            market: MarketId(row.try_get("market_id")?),
        };
        let id: i64 = Bind::all_to_sqlx(sqlx::query(&format!("{INSERT} RETURNING id")), &s.binds())
            .fetch_one(&mut *tx)
            .await?
            .try_get("id")?;
        let id = SubmissionId(id);
        let utm = s.utm.to_json();
        ledger::append(&mut tx, &s.ledger(id, &before, &utm)).await?;
        let message = mail(id);
        mail::enqueue(&mut tx, &message.as_new(&confirm_mail_key(id))).await?;
        tx.commit().await?;
        Ok(id)
    }
}

/// [`Store::submit`] on the direct SQLite connection: `BEGIN IMMEDIATE` (the write lock first,
/// as the pooled path's transactions take it) and the same statements.
fn submit_direct(
    conn: &mut rusqlite::Connection,
    s: &NewSubmission,
    mail: impl FnOnce(SubmissionId) -> ReachMail,
) -> Result<SubmissionId, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let before = {
        let mut stmt = tx.prepare_cached(BEFORE)?;
        Bind::all_to_rusqlite(&mut stmt, &s.before_binds())?;
        stmt.raw_query()
            .next()?
            .map(|r| {
                Ok::<_, rusqlite::Error>(Before {
                    body: r.get(0)?,
                    sha256: r.get(1)?,
                    basis: r.get(2)?,
                    market: MarketId(r.get(3)?),
                })
            })
            .transpose()?
            .ok_or_else(not_of_market)?
    };
    {
        let mut stmt = tx.prepare_cached(INSERT)?;
        Bind::all_to_rusqlite(&mut stmt, &s.binds())?;
        stmt.raw_execute()?;
    }
    let id = SubmissionId(tx.last_insert_rowid());
    let utm = s.utm.to_json();
    ledger::append_direct(&tx, &s.ledger(id, &before, &utm))?;
    let message = mail(id);
    mail::enqueue_direct(&tx, &message.as_new(&confirm_mail_key(id)))?;
    tx.commit()?;
    Ok(id)
}

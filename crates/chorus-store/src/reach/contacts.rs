//! Contacts (people who confirmed at least once), what they can do themselves — the preference
//! page and withdrawing consent — and the data-subject requests the staff answer: an export of
//! everything held about an address and its erasure.
//!
//! A contact is created only by a confirmation ([`upsert_contact`], inside
//! `Store::confirm`'s transaction). Withdrawal, export and erasure each append their ledger row
//! in their own transaction. Erasure blanks the address, the name and the answers wherever
//! Reach keeps them (contacts, submissions, the outbox's Reach messages) and withdraws the leads;
//! the ledger is never touched (it holds no address) and `email_sha256` stays, the key the proof
//! is filed under.

use chorus_core::ids::{ContactId, LeadId, OfferId, SubmissionId};
use chorus_core::reach::{ConsentEvent, OfferKind};
use chorus_core::{MarketId, UserId};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use super::ledger::{self, Entry, LedgerRow};
use super::submissions::{self, ConfirmRequest, Submission, SubmissionState};
use crate::audit::{self, Lock};
use crate::{Store, StoreError};

/// The contact of `s`'s address: created if there is none (with the preference token's hash),
/// filled again if it was erased; the name is the latest confirmed one. Returns it and whether
/// it is new.
pub(crate) async fn upsert_contact(
    conn: &mut AnyConnection,
    s: &Submission,
    email_sha256: &str,
    req: &ConfirmRequest<'_>,
) -> Result<(ContactId, bool), StoreError> {
    let inserted = sqlx::query(
        "INSERT INTO reach_contacts (email, email_sha256, name, prefs_token_sha256, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (email_sha256) DO NOTHING RETURNING id",
    )
    .bind(&s.email)
    .bind(email_sha256)
    .bind(&s.name)
    .bind(req.prefs_token_sha256)
    .bind(req.at_ms)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(row) = inserted {
        return Ok((ContactId(row.try_get("id")?), true));
    }
    let id: i64 = sqlx::query(
        "UPDATE reach_contacts SET email = $1, name = $2, erased_at = NULL \
         WHERE email_sha256 = $3 RETURNING id",
    )
    .bind(&s.email)
    .bind(&s.name)
    .bind(email_sha256)
    .fetch_one(&mut *conn)
    .await?
    .try_get("id")?;
    Ok((ContactId(id), false))
}

/// A contact as stored (email and name `None` once erased).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contact {
    pub id: ContactId,
    pub email: Option<String>,
    pub email_sha256: String,
    pub name: Option<String>,
    pub created_at_ms: i64,
    pub erased_at_ms: Option<i64>,
}

/// One of a contact's leads, as the preference page and an export show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContactLead {
    pub id: LeadId,
    pub offer: OfferId,
    #[serde(serialize_with = "kind_word")]
    pub kind: OfferKind,
    pub market: MarketId,
    pub submission: SubmissionId,
    pub story_id: Option<i64>,
    pub campaign_id: Option<i64>,
    pub confirmed_at_ms: i64,
    pub withdrawn_at_ms: Option<i64>,
}

fn kind_word<S: serde::Serializer>(kind: &OfferKind, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(kind.as_str())
}

/// What the preference page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preferences {
    pub contact: Contact,
    pub leads: Vec<ContactLead>,
}

/// How a withdrawal names the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WithdrawBy<'a> {
    /// The preference page's token (as SHA-256); `offer` narrows it to one offer.
    PrefsToken {
        sha256: &'a str,
        offer: Option<OfferId>,
    },
    /// An email's withdrawal link, which names the submission it followed: consent for that
    /// submission's offer is withdrawn (and the submission, if still pending, can no longer be
    /// confirmed).
    Submission(SubmissionId),
}

/// The request that withdraws (for the ledger's "how").
#[derive(Debug, Clone)]
pub struct WithdrawRequest<'a> {
    pub by: WithdrawBy<'a>,
    pub at_ms: i64,
    pub ip: &'a str,
    pub user_agent: &'a str,
}

/// What a withdrawal changed (empty when everything was withdrawn already).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Withdrawal {
    pub email_sha256: String,
    pub leads: Vec<LeadId>,
    /// A pending submission closed before it was confirmed.
    pub pending: Option<SubmissionId>,
}

/// Everything Reach holds about one address (a data-subject export), as JSON-able structs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubjectExport {
    pub email_sha256: String,
    pub contact: Option<Contact>,
    pub submissions: Vec<SubmissionExport>,
    pub leads: Vec<ContactLead>,
    pub ledger: Vec<LedgerRow>,
}

/// A submission as exported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubmissionExport {
    pub id: SubmissionId,
    pub offer: OfferId,
    pub market: MarketId,
    pub email: String,
    pub name: String,
    pub answers_json: String,
    pub locale: String,
    pub confirmed: bool,
    pub ip: String,
    pub user_agent: String,
    pub page_url: String,
    pub utm_json: String,
    pub story_id: Option<i64>,
    pub created_at_ms: i64,
    pub confirmed_at_ms: Option<i64>,
}

/// What an erasure blanked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Erasure {
    pub contact: Option<ContactId>,
    pub submissions: u64,
    pub leads_withdrawn: u64,
    pub messages: u64,
}

const CONTACT_COLUMNS: &str = "id, email, email_sha256, name, created_at, erased_at";

fn contact_from(r: &sqlx::any::AnyRow) -> Result<Contact, StoreError> {
    Ok(Contact {
        id: ContactId(r.try_get("id")?),
        email: r.try_get("email")?,
        email_sha256: r.try_get("email_sha256")?,
        name: r.try_get("name")?,
        created_at_ms: r.try_get("created_at")?,
        erased_at_ms: r.try_get("erased_at")?,
    })
}

async fn leads_of(
    conn: &mut AnyConnection,
    contact: ContactId,
) -> Result<Vec<ContactLead>, StoreError> {
    let rows = sqlx::query(
        "SELECT l.id, l.offer_id, o.kind, l.market_id, l.submission_id, l.story_id, \
         l.campaign_id, l.confirmed_at, l.withdrawn_at FROM reach_leads l \
         JOIN reach_offers o ON o.id = l.offer_id WHERE l.contact_id = $1 ORDER BY l.id",
    )
    .bind(contact.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let kind: String = r.try_get("kind")?;
            Ok(ContactLead {
                id: LeadId(r.try_get("id")?),
                offer: OfferId(r.try_get("offer_id")?),
                kind: OfferKind::parse(&kind).map_err(|e| StoreError::corrupt("offer kind", e))?,
                market: MarketId(r.try_get("market_id")?),
                submission: SubmissionId(r.try_get("submission_id")?),
                story_id: r.try_get("story_id")?,
                campaign_id: r.try_get("campaign_id")?,
                confirmed_at_ms: r.try_get("confirmed_at")?,
                withdrawn_at_ms: r.try_get("withdrawn_at")?,
            })
        })
        .collect()
}

async fn contact_where(
    conn: &mut AnyConnection,
    column: &str,
    value: &str,
) -> Result<Option<Contact>, StoreError> {
    sqlx::query(&format!(
        "SELECT {CONTACT_COLUMNS} FROM reach_contacts WHERE {column} = $1"
    ))
    .bind(value)
    .fetch_optional(&mut *conn)
    .await?
    .as_ref()
    .map(contact_from)
    .transpose()
}

impl Store {
    /// The contact of an address's hash, if the address ever confirmed.
    pub async fn contact_by_email_sha256(
        &self,
        email_sha256: &str,
    ) -> Result<Option<Contact>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        contact_where(&mut conn, "email_sha256", email_sha256).await
    }

    /// The markets where Reach holds something about `email` (hash `email_sha256`): its
    /// submissions' and its contact's leads', without duplicates (for deciding who may export
    /// or erase it).
    pub async fn subject_markets(
        &self,
        email: &str,
        email_sha256: &str,
    ) -> Result<Vec<MarketId>, StoreError> {
        let rows = sqlx::query(
            "SELECT o.market_id FROM reach_submissions s JOIN reach_offers o ON o.id = s.offer_id \
             WHERE s.email = $1 UNION SELECT l.market_id FROM reach_leads l \
             JOIN reach_contacts c ON c.id = l.contact_id WHERE c.email_sha256 = $2 \
             ORDER BY 1",
        )
        .bind(email)
        .bind(email_sha256)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|r| Ok(MarketId(r.try_get(0)?))).collect()
    }

    /// The preference page of the contact whose token hashes to `prefs_token_sha256`.
    pub async fn preferences(
        &self,
        prefs_token_sha256: &str,
    ) -> Result<Option<Preferences>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        let Some(contact) = contact_where(&mut conn, "prefs_token_sha256", prefs_token_sha256)
            .await?
            .filter(|c| c.erased_at_ms.is_none())
        else {
            return Ok(None);
        };
        let leads = leads_of(&mut conn, contact.id).await?;
        Ok(Some(Preferences { contact, leads }))
    }

    /// Withdraws consent (see [`WithdrawBy`]) in one transaction: the leads it covers get
    /// `withdrawn_at`, a pending submission it names can no longer be confirmed, and one
    /// `withdrawn` ledger row is appended per lead (or for the pending submission). `None`
    /// when the token or submission is unknown; an empty [`Withdrawal`] when everything was
    /// withdrawn already (nothing appended).
    pub async fn withdraw(
        &self,
        req: &WithdrawRequest<'_>,
    ) -> Result<Option<Withdrawal>, StoreError> {
        let mut tx = audit::begin(self, &Lock::nothing()).await?;
        let (email_sha256, contact, offer, pending) = match req.by {
            WithdrawBy::PrefsToken { sha256, offer } => {
                match contact_where(&mut tx, "prefs_token_sha256", sha256).await? {
                    Some(c) if c.erased_at_ms.is_none() => {
                        (c.email_sha256, Some(c.id), offer, None)
                    }
                    _ => return Ok(None),
                }
            }
            WithdrawBy::Submission(id) => {
                let Some(s) = submissions::by_id(&mut tx, id).await? else {
                    return Ok(None);
                };
                if s.email.is_empty() {
                    // Erased: nothing personal is left to withdraw from.
                    return Ok(Some(Withdrawal::default()));
                }
                let hash = chorus_core::reach::consent::email_digest(&s.email);
                let contact = contact_where(&mut tx, "email_sha256", &hash).await?;
                let pending = (s.state == SubmissionState::Pending && s.expires_at_ms > req.at_ms)
                    .then_some(s.id);
                (hash, contact.map(|c| c.id), Some(s.offer), pending)
            }
        };
        let mut out = Withdrawal {
            email_sha256,
            ..Withdrawal::default()
        };
        if let Some(id) = pending {
            sqlx::query(
                "UPDATE reach_submissions SET expires_at = $1 WHERE id = $2 AND state = 'pending'",
            )
            .bind(req.at_ms)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
            out.pending = Some(id);
        }
        let mut rows: Vec<(Option<LeadId>, Option<OfferId>, Option<MarketId>)> = Vec::new();
        if let Some(contact) = contact {
            for lead in leads_of(&mut tx, contact).await? {
                let covered = offer.is_none_or(|o| o == lead.offer);
                if covered && lead.withdrawn_at_ms.is_none() {
                    sqlx::query("UPDATE reach_leads SET withdrawn_at = $1 WHERE id = $2")
                        .bind(req.at_ms)
                        .bind(lead.id.0)
                        .execute(&mut *tx)
                        .await?;
                    out.leads.push(lead.id);
                    rows.push((Some(lead.id), Some(lead.offer), Some(lead.market)));
                }
            }
        }
        if let Some(id) = out.pending
            && rows.iter().all(|(_, o, _)| *o != offer)
        {
            let s = submissions::by_id(&mut tx, id).await?;
            rows.push((None, offer, s.map(|s| s.market)));
        }
        for (_, offer, market) in &rows {
            ledger::append(
                &mut tx,
                &Entry {
                    event: Some(ConsentEvent::Withdrawn),
                    at_ms: req.at_ms,
                    email_sha256: &out.email_sha256,
                    contact,
                    submission: match req.by {
                        WithdrawBy::Submission(id) => Some(id),
                        WithdrawBy::PrefsToken { .. } => None,
                    },
                    offer: *offer,
                    market: *market,
                    ip: Some(req.ip),
                    user_agent: Some(req.user_agent),
                    ..Entry::default()
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(Some(out))
    }

    /// Everything Reach holds about `email` (whose hash is `email_sha256`) in `markets` (all
    /// when `None`): the contact, its submissions, leads and ledger rows, with an `exported`
    /// ledger row naming `actor` appended first (so the export shows it).
    pub async fn export_subject(
        &self,
        email: &str,
        email_sha256: &str,
        markets: Option<&[MarketId]>,
        actor: UserId,
        at_ms: i64,
    ) -> Result<SubjectExport, StoreError> {
        let mut tx = audit::begin(self, &Lock::nothing()).await?;
        let contact = contact_where(&mut tx, "email_sha256", email_sha256).await?;
        ledger::append(
            &mut tx,
            &Entry {
                event: Some(ConsentEvent::Exported),
                at_ms,
                email_sha256,
                contact: contact.as_ref().map(|c| c.id),
                actor: Some(actor),
                ..Entry::default()
            },
        )
        .await?;
        let within = |m: Option<MarketId>| match (markets, m) {
            (None, _) | (Some(_), None) => true,
            (Some(ms), Some(m)) => ms.contains(&m),
        };
        let leads = match &contact {
            Some(c) => leads_of(&mut tx, c.id).await?,
            None => Vec::new(),
        };
        let leads: Vec<ContactLead> = leads
            .into_iter()
            .filter(|l| within(Some(l.market)))
            .collect();
        let rows =
            sqlx::query("SELECT s.id FROM reach_submissions s WHERE s.email = $1 ORDER BY s.id")
                .bind(email)
                .fetch_all(&mut *tx)
                .await?;
        let mut subs = Vec::new();
        for r in &rows {
            if let Some(s) = submissions::by_id(&mut tx, SubmissionId(r.try_get("id")?)).await?
                && within(Some(s.market))
            {
                subs.push(SubmissionExport {
                    id: s.id,
                    offer: s.offer,
                    market: s.market,
                    email: s.email,
                    name: s.name,
                    answers_json: s.answers_json,
                    locale: s.locale,
                    confirmed: s.state == SubmissionState::Confirmed,
                    ip: s.ip,
                    user_agent: s.user_agent,
                    page_url: s.page_url,
                    utm_json: s.utm.to_json(),
                    story_id: s.story_id,
                    created_at_ms: s.created_at_ms,
                    confirmed_at_ms: s.confirmed_at_ms,
                });
            }
        }
        let ledger: Vec<LedgerRow> = ledger::rows_of(&mut tx, email_sha256)
            .await?
            .into_iter()
            .filter(|r| within(r.market))
            .collect();
        tx.commit().await?;
        Ok(SubjectExport {
            email_sha256: email_sha256.to_owned(),
            contact,
            submissions: subs,
            leads,
            ledger,
        })
    }

    /// Erases `email` (hash `email_sha256`) from Reach in one transaction: the contact's email
    /// and name become NULL (the hash stays), every submission's email, name and answers are
    /// blanked, every lead is withdrawn, the outbox's Reach messages to the address lose
    /// address and bodies, and an `erased` ledger row naming `actor` is appended. The ledger's
    /// earlier rows are untouched.
    pub async fn erase_subject(
        &self,
        email: &str,
        email_sha256: &str,
        actor: UserId,
        at_ms: i64,
    ) -> Result<Erasure, StoreError> {
        let mut tx = audit::begin(self, &Lock::nothing()).await?;
        let contact = contact_where(&mut tx, "email_sha256", email_sha256)
            .await?
            .map(|c| c.id);
        let mut out = Erasure {
            contact,
            ..Erasure::default()
        };
        if let Some(c) = contact {
            sqlx::query(
                "UPDATE reach_contacts SET email = NULL, name = NULL, erased_at = $1 WHERE id = $2",
            )
            .bind(at_ms)
            .bind(c.0)
            .execute(&mut *tx)
            .await?;
            out.leads_withdrawn = sqlx::query(
                "UPDATE reach_leads SET withdrawn_at = $1 WHERE contact_id = $2 \
                 AND withdrawn_at IS NULL",
            )
            .bind(at_ms)
            .bind(c.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        out.submissions = sqlx::query(
            "UPDATE reach_submissions SET email = '', name = '', answers = '{}', \
             expires_at = CASE WHEN state = 'pending' THEN $1 ELSE expires_at END \
             WHERE email = $2",
        )
        .bind(at_ms)
        .bind(email)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        out.messages = sqlx::query(
            "UPDATE mail_outbox SET to_address = '', subject = '', text_body = '', \
             html_body = NULL WHERE to_address = $1 AND key LIKE 'reach-%'",
        )
        .bind(email)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        ledger::append(
            &mut tx,
            &Entry {
                event: Some(ConsentEvent::Erased),
                at_ms,
                email_sha256,
                contact,
                actor: Some(actor),
                ..Entry::default()
            },
        )
        .await?;
        tx.commit().await?;
        Ok(out)
    }
}

//! Form submissions and their confirmation (double opt-in). Storing a submission
//! ([`Store::submit`]) is in `submit.rs`; nothing about the person is a contact before
//! confirmation.
//! [`Store::confirm`] is one transaction: the token must be pending and unexpired (a second
//! use and an expired token are answered apart), then the contact (if new), the lead (contact ×
//! offer, first touch kept), the `confirmed` ledger row, a webinar's seat
//! (`registrations::seat`) and the email that follows. [`Store::purge_unconfirmed`] deletes pending submissions past a cutoff; their
//! ledger rows stay (they hold no address).
//!
//! The store has no rules about what is valid: the use cases (`chorus-app::reach::public`)
//! parse the input, check the rate limits ([`Store::recent_submissions`]) and render the mail.

use chorus_core::MarketId;
use chorus_core::ids::{ConsentTextId, ContactId, LeadId, OfferId, RegistrationId, SubmissionId};
use chorus_core::reach::attribution::Utm;
use chorus_core::reach::{ConsentEvent, OfferKind, RegistrationState};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::ledger::{self, Entry};
use crate::audit::{self, Lock};
use crate::direct::Bind;
use crate::mail::{self, NewMail};
use crate::{Store, StoreError};

/// An email to enqueue with a write, rendered by the caller (owned: it may be built once the
/// row's id is known).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReachMail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    pub list_unsubscribe: Option<String>,
    pub one_click: bool,
    pub locale: String,
}

impl ReachMail {
    pub(super) fn as_new<'a>(&'a self, key: &'a str) -> NewMail<'a> {
        NewMail {
            key,
            to: &self.to,
            subject: &self.subject,
            text: &self.text,
            html: self.html.as_deref(),
            list_unsubscribe: self.list_unsubscribe.as_deref(),
            one_click: self.one_click,
            locale: &self.locale,
        }
    }
}

/// The outbox key of a submission's confirmation email.
pub fn confirm_mail_key(submission: SubmissionId) -> String {
    format!("reach-confirm:{}", submission.0)
}

/// The outbox key of the email that follows a confirmation (the download link).
pub fn confirmed_mail_key(submission: SubmissionId) -> String {
    format!("reach-confirmed:{}", submission.0)
}

/// How many submissions an address and a network made since a time, and the oldest of each
/// (to say when the limit lifts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RecentSubmissions {
    pub by_email: i64,
    pub first_by_email_ms: Option<i64>,
    pub by_network: i64,
    pub first_by_network_ms: Option<i64>,
}

/// Whether a submission still waits for its confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmissionState {
    Pending,
    Confirmed,
}

/// A submission as its confirmation page needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    pub id: SubmissionId,
    pub offer: OfferId,
    pub kind: OfferKind,
    pub market: MarketId,
    pub email: String,
    pub name: String,
    pub answers_json: String,
    pub locale: String,
    pub consent_text: ConsentTextId,
    pub form_version: i64,
    pub state: SubmissionState,
    pub expires_at_ms: i64,
    pub confirmed_at_ms: Option<i64>,
    pub ip: String,
    pub user_agent: String,
    pub page_url: String,
    pub utm: Utm,
    pub story_id: Option<i64>,
    pub created_at_ms: i64,
}

/// What a confirmation wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmation {
    pub submission: SubmissionId,
    pub offer: OfferId,
    pub kind: OfferKind,
    pub market: MarketId,
    pub contact: ContactId,
    /// Whether this confirmation created the contact.
    pub new_contact: bool,
    pub lead: LeadId,
    /// Whether this confirmation created the lead (else the person had one for the offer).
    pub new_lead: bool,
    pub story_id: Option<i64>,
    pub campaign_id: Option<i64>,
    /// A webinar's seat given in the same transaction (registered or waitlisted; cancelled
    /// when the webinar was cancelled before the person confirmed). `None` for an asset.
    pub seat: Option<(RegistrationId, RegistrationState)>,
}

/// What [`Store::confirm`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfirmOutcome {
    Confirmed(Confirmation),
    /// The token was used before (it works once); nothing was written.
    AlreadyConfirmed {
        offer: OfferId,
        at_ms: i64,
    },
    /// The token expired at `at_ms`; nothing was written.
    Expired {
        offer: OfferId,
        at_ms: i64,
    },
    /// No submission has this token (never had, or purged).
    Unknown,
}

/// The request that confirms (for the ledger's "how").
#[derive(Debug, Clone)]
pub struct ConfirmRequest<'a> {
    pub token_sha256: &'a str,
    pub at_ms: i64,
    /// The new contact's preference-page token, as SHA-256 (used only if the contact is new).
    pub prefs_token_sha256: &'a str,
    pub ip: &'a str,
    pub user_agent: &'a str,
    /// The email that follows (the download link), keyed `reach-confirmed:{submission}`.
    pub mail: Option<&'a ReachMail>,
}

const COLUMNS: &str = "s.id, s.offer_id, o.kind, o.market_id, s.email, s.name, s.answers, \
     s.locale, s.consent_text_id, s.form_version, s.state, s.expires_at, s.confirmed_at, s.ip, \
     s.user_agent, s.page_url, s.utm_source, s.utm_medium, s.utm_campaign, s.utm_content, \
     s.utm_term, s.story_id, s.created_at";

fn from_row(r: &AnyRow) -> Result<Submission, StoreError> {
    let kind: String = r.try_get("kind")?;
    let state: String = r.try_get("state")?;
    Ok(Submission {
        id: SubmissionId(r.try_get("id")?),
        offer: OfferId(r.try_get("offer_id")?),
        kind: OfferKind::parse(&kind).map_err(|e| StoreError::corrupt("offer kind", e))?,
        market: MarketId(r.try_get("market_id")?),
        email: r.try_get("email")?,
        name: r.try_get("name")?,
        answers_json: r.try_get("answers")?,
        locale: r.try_get("locale")?,
        consent_text: ConsentTextId(r.try_get("consent_text_id")?),
        form_version: r.try_get("form_version")?,
        state: match state.as_str() {
            "pending" => SubmissionState::Pending,
            "confirmed" => SubmissionState::Confirmed,
            other => return Err(StoreError::corrupt("submission state", other)),
        },
        expires_at_ms: r.try_get("expires_at")?,
        confirmed_at_ms: r.try_get("confirmed_at")?,
        ip: r.try_get("ip")?,
        user_agent: r.try_get("user_agent")?,
        page_url: r.try_get("page_url")?,
        utm: Utm {
            source: r.try_get("utm_source")?,
            medium: r.try_get("utm_medium")?,
            campaign: r.try_get("utm_campaign")?,
            content: r.try_get("utm_content")?,
            term: r.try_get("utm_term")?,
        },
        story_id: r.try_get("story_id")?,
        created_at_ms: r.try_get("created_at")?,
    })
}

pub(crate) async fn by_id(
    conn: &mut AnyConnection,
    id: SubmissionId,
) -> Result<Option<Submission>, StoreError> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM reach_submissions s JOIN reach_offers o ON o.id = s.offer_id \
         WHERE s.id = $1"
    ))
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

impl Store {
    /// How many submissions `email` made at or after `email_since_ms` and the truncated
    /// address `ip` at or after `ip_since_ms`, each counted up to `cap` (a rate limit only needs
    /// to know whether it is reached, and counting stops there however busy a network is), and
    /// the oldest of each in its window (for the rate limits, asked before writing).
    pub async fn recent_submissions(
        &self,
        email: &str,
        email_since_ms: i64,
        ip: &str,
        ip_since_ms: i64,
        cap: i64,
    ) -> Result<RecentSubmissions, StoreError> {
        // Numbered in order of appearance: SQLite numbers `$n` that way on the direct path.
        let sql = "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM reach_submissions \
             WHERE email = $1 AND created_at >= $2 LIMIT $3) AS e) AS by_email, \
             (SELECT MIN(created_at) FROM reach_submissions WHERE email = $1 AND created_at >= $2) \
             AS first_email, \
             (SELECT COUNT(*) FROM (SELECT 1 FROM reach_submissions \
             WHERE ip = $4 AND created_at >= $5 LIMIT $3) AS n) AS by_network, \
             (SELECT MIN(created_at) FROM reach_submissions WHERE ip = $4 AND created_at >= $5) \
             AS first_network";
        let binds = vec![
            Bind::S(email.to_owned()),
            Bind::I(email_since_ms),
            Bind::I(cap),
            Bind::S(ip.to_owned()),
            Bind::I(ip_since_ms),
        ];
        self.read_one(sql, binds, |r| {
            Ok(RecentSubmissions {
                by_email: r.i64("by_email")?,
                first_by_email_ms: r.opt_i64("first_email")?,
                by_network: r.i64("by_network")?,
                first_by_network_ms: r.opt_i64("first_network")?,
            })
        })
        .await?
        .ok_or_else(|| StoreError::corrupt("submission counts", "no row"))
    }

    /// The submission whose token hashes to `token_sha256` (pending or confirmed), for the
    /// confirmation page, which confirms nothing.
    pub async fn submission_by_token(
        &self,
        token_sha256: &str,
    ) -> Result<Option<Submission>, StoreError> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM reach_submissions s JOIN reach_offers o ON o.id = s.offer_id \
             WHERE s.token_sha256 = $1"
        ))
        .bind(token_sha256)
        .fetch_optional(self.pool())
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
    }

    /// One submission by id (the withdrawal link's, the staff's).
    pub async fn submission(&self, id: SubmissionId) -> Result<Option<Submission>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        by_id(&mut conn, id).await
    }

    /// Confirms the submission whose token hashes to `req.token_sha256`, once, before it
    /// expires: in one transaction the submission becomes confirmed, the contact is created if
    /// the address has none (or filled again if it was erased), the lead for the offer is
    /// created with the submission's attribution (story, its campaign or else the offer's,
    /// UTM) or, if the person had one, kept as it was (first touch) with any withdrawal
    /// undone, the `confirmed` ledger row is appended, a webinar offer's seat is given, and
    /// `req.mail` is enqueued.
    pub async fn confirm(
        &self,
        req: &ConfirmRequest<'_>,
        email_sha256: &str,
    ) -> Result<ConfirmOutcome, StoreError> {
        let mut tx = audit::begin(self, &Lock::nothing()).await?;
        let found = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM reach_submissions s JOIN reach_offers o ON o.id = s.offer_id \
             WHERE s.token_sha256 = $1"
        ))
        .bind(req.token_sha256)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(s) = found.as_ref().map(from_row).transpose()? else {
            return Ok(ConfirmOutcome::Unknown);
        };
        if s.state == SubmissionState::Confirmed {
            return Ok(ConfirmOutcome::AlreadyConfirmed {
                offer: s.offer,
                at_ms: s.confirmed_at_ms.unwrap_or(s.created_at_ms),
            });
        }
        if req.at_ms >= s.expires_at_ms {
            return Ok(ConfirmOutcome::Expired {
                offer: s.offer,
                at_ms: s.expires_at_ms,
            });
        }
        // The guard: only a pending row changes, so two presses of the same link confirm once.
        let claimed = sqlx::query(
            "UPDATE reach_submissions SET state = 'confirmed', confirmed_at = $1 \
             WHERE id = $2 AND state = 'pending'",
        )
        .bind(req.at_ms)
        .bind(s.id.0)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if claimed != 1 {
            return Ok(ConfirmOutcome::AlreadyConfirmed {
                offer: s.offer,
                at_ms: req.at_ms,
            });
        }
        let (contact, new_contact) =
            super::contacts::upsert_contact(&mut tx, &s, email_sha256, req).await?;
        let campaign: Option<i64> = sqlx::query(
            "SELECT COALESCE((SELECT campaign_id FROM stories WHERE id = $1), \
             (SELECT campaign_id FROM reach_offers WHERE id = $2)) AS campaign",
        )
        .bind(s.story_id)
        .bind(s.offer.0)
        .fetch_one(&mut *tx)
        .await?
        .try_get("campaign")?;
        let (lead, new_lead) = lead_for(&mut tx, &s, contact, campaign, req.at_ms).await?;
        if new_lead {
            // +1 lead in Numbers for its market, story, campaign and the story's principles,
            // on the confirmation's local day, in this transaction (numbers/leads.rs).
            let subjects = crate::numbers::LeadSubjects {
                market: s.market.0,
                story: s.story_id,
                campaign,
            };
            crate::numbers::roll_up_lead(&mut tx, self.backend(), subjects, req.at_ms).await?;
        }
        let seat = match s.kind {
            OfferKind::Webinar => Some(
                super::registrations::seat(&mut tx, s.offer, lead, super::instant(req.at_ms)?)
                    .await?,
            ),
            OfferKind::Asset => None,
        };
        let consent =
            sqlx::query("SELECT body, sha256, legal_basis FROM reach_consent_texts WHERE id = $1")
                .bind(s.consent_text.0)
                .fetch_one(&mut *tx)
                .await?;
        let (body, sha256, basis): (String, String, String) = (
            consent.try_get("body")?,
            consent.try_get("sha256")?,
            consent.try_get("legal_basis")?,
        );
        let utm = s.utm.to_json();
        ledger::append(
            &mut tx,
            &Entry {
                event: Some(ConsentEvent::Confirmed),
                at_ms: req.at_ms,
                email_sha256,
                contact: Some(contact),
                submission: Some(s.id),
                offer: Some(s.offer),
                market: Some(s.market),
                consent_text_id: Some(s.consent_text),
                consent_text: Some(&body),
                consent_sha256: Some(&sha256),
                legal_basis: Some(&basis),
                form_version: Some(s.form_version),
                locale: Some(&s.locale),
                ip: Some(req.ip),
                user_agent: Some(req.user_agent),
                page_url: Some(&s.page_url),
                utm: Some(&utm),
                ..Entry::default()
            },
        )
        .await?;
        if let Some(message) = req.mail {
            mail::enqueue(&mut tx, &message.as_new(&confirmed_mail_key(s.id))).await?;
        }
        crate::webhooks::events::confirmed(&mut tx, &s, lead, new_lead, campaign, seat).await?;
        tx.commit().await?;
        Ok(ConfirmOutcome::Confirmed(Confirmation {
            submission: s.id,
            offer: s.offer,
            kind: s.kind,
            market: s.market,
            contact,
            new_contact,
            lead,
            new_lead,
            story_id: s.story_id,
            campaign_id: campaign,
            seat,
        }))
    }

    /// Deletes pending submissions made before `before_ms` (never confirmed: the person did not
    /// press the button). Their ledger rows stay. Returns how many went.
    pub async fn purge_unconfirmed(&self, before_ms: i64) -> Result<u64, StoreError> {
        Ok(
            sqlx::query(
                "DELETE FROM reach_submissions WHERE state = 'pending' AND created_at < $1",
            )
            .bind(before_ms)
            .execute(self.pool())
            .await?
            .rows_affected(),
        )
    }
}

/// The lead of `contact` for the submission's offer: a new one attributed to this submission,
/// or the one the person has (first touch kept; a withdrawal undone by confirming again).
async fn lead_for(
    conn: &mut AnyConnection,
    s: &Submission,
    contact: ContactId,
    campaign: Option<i64>,
    at_ms: i64,
) -> Result<(LeadId, bool), StoreError> {
    let inserted = sqlx::query(
        "INSERT INTO reach_leads (contact_id, offer_id, market_id, submission_id, story_id, \
         campaign_id, utm_source, utm_medium, utm_campaign, utm_content, utm_term, confirmed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (contact_id, offer_id) DO NOTHING RETURNING id",
    )
    .bind(contact.0)
    .bind(s.offer.0)
    .bind(s.market.0)
    .bind(s.id.0)
    .bind(s.story_id)
    .bind(campaign)
    .bind(s.utm.source.as_deref())
    .bind(s.utm.medium.as_deref())
    .bind(s.utm.campaign.as_deref())
    .bind(s.utm.content.as_deref())
    .bind(s.utm.term.as_deref())
    .bind(at_ms)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(row) = inserted {
        return Ok((LeadId(row.try_get("id")?), true));
    }
    let id: i64 = sqlx::query(
        "UPDATE reach_leads SET withdrawn_at = NULL WHERE contact_id = $1 AND offer_id = $2 \
         RETURNING id",
    )
    .bind(contact.0)
    .bind(s.offer.0)
    .fetch_one(&mut *conn)
    .await?
    .try_get("id")?;
    Ok((LeadId(id), false))
}

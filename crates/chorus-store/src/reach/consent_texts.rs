//! Consent texts per market, locale and version. A text is never changed once written: new
//! wording is a new version (the next number for its market and locale), so the words a person
//! agreed to can always be shown again, and the ledger copies them anyway.

use chorus_core::audit::Author;
use chorus_core::reach::consent::{LegalBasis, digest};
use chorus_core::{ConsentTextId, MarketId, UserId};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use super::instant;
use crate::audit::{self, Applied, Change, Lock};
use crate::{Store, StoreError, in_list, now_ms};

/// One version of a market's consent text in one locale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsentText {
    pub id: ConsentTextId,
    pub market: MarketId,
    pub locale: String,
    pub version: i64,
    /// The exact words shown beside the checkbox.
    pub body: String,
    #[serde(serialize_with = "legal_basis_word")]
    pub legal_basis: LegalBasis,
    pub privacy_url: String,
    /// SHA-256 of `body` (`chorus_core::reach::consent::digest`).
    pub sha256: String,
    pub created_by: Option<UserId>,
    pub created_at: jiff::Timestamp,
}

fn legal_basis_word<S: serde::Serializer>(b: &LegalBasis, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(b.as_str())
}

/// A new version, validated by the caller.
#[derive(Debug, Clone)]
pub struct NewConsentText {
    pub market: MarketId,
    pub locale: String,
    pub body: String,
    pub legal_basis: LegalBasis,
    pub privacy_url: String,
}

const COLUMNS: &str = "id, market_id, locale, version, body, legal_basis, privacy_url, sha256, \
                       created_by, created_at";

fn from_row(r: &sqlx::any::AnyRow) -> Result<ConsentText, StoreError> {
    let basis: String = r.try_get("legal_basis")?;
    Ok(ConsentText {
        id: ConsentTextId(r.try_get("id")?),
        market: MarketId(r.try_get("market_id")?),
        locale: r.try_get("locale")?,
        version: r.try_get("version")?,
        body: r.try_get("body")?,
        legal_basis: LegalBasis::parse(&basis)
            .map_err(|e| StoreError::corrupt("legal basis", e))?,
        privacy_url: r.try_get("privacy_url")?,
        sha256: r.try_get("sha256")?,
        created_by: r.try_get::<Option<i64>, _>("created_by")?.map(UserId),
        created_at: instant(r.try_get("created_at")?)?,
    })
}

/// One consent text by id, inside a transaction (the submission's, which copies it).
pub(crate) async fn load(
    c: &mut AnyConnection,
    id: ConsentTextId,
) -> Result<Option<ConsentText>, StoreError> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM reach_consent_texts WHERE id = $1"
    ))
    .bind(id.0)
    .fetch_optional(&mut *c)
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

impl Store {
    /// Writes the next version of `new.market`'s consent text in `new.locale` (audited).
    pub async fn create_consent_text(
        &self,
        author: &Author,
        new: &NewConsentText,
    ) -> Result<ConsentText, StoreError> {
        audit::write(
            self,
            author,
            Lock::id("markets", new.market.0),
            async |_| Ok(()),
            async |c, _| {
                let version: i64 = sqlx::query(
                    "SELECT COALESCE(MAX(version), 0) + 1 AS next FROM reach_consent_texts \
                     WHERE market_id = $1 AND locale = $2",
                )
                .bind(new.market.0)
                .bind(&new.locale)
                .fetch_one(&mut *c)
                .await?
                .try_get("next")?;
                let id: i64 = sqlx::query(
                    "INSERT INTO reach_consent_texts (market_id, locale, version, body, \
                     legal_basis, privacy_url, sha256, created_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                )
                .bind(new.market.0)
                .bind(&new.locale)
                .bind(version)
                .bind(&new.body)
                .bind(new.legal_basis.as_str())
                .bind(&new.privacy_url)
                .bind(digest(&new.body))
                .bind(author.user_id.map(|u| u.0))
                .bind(now_ms())
                .fetch_one(&mut *c)
                .await?
                .try_get("id")?;
                let text = load(c, ConsentTextId(id))
                    .await?
                    .ok_or(StoreError::NotFound {
                        what: "consent text",
                    })?;
                let change = Change {
                    action: "consent_text.create",
                    subject_type: "consent_text",
                    subject_id: id.to_string(),
                    market: Some(new.market),
                    before: None,
                    after: Some(serde_json::json!({
                        "title": format!("{} v{version}", new.locale),
                        "locale": new.locale,
                        "version": version,
                        "legal_basis": new.legal_basis.as_str(),
                        "privacy_url": new.privacy_url,
                        "sha256": text.sha256,
                    })),
                };
                Ok(Applied::rows(1, 1, text).audit(change))
            },
            async |_, _| StoreError::NotFound { what: "market" },
        )
        .await
    }

    /// One consent text version by id.
    pub async fn consent_text(&self, id: ConsentTextId) -> Result<Option<ConsentText>, StoreError> {
        load(&mut *self.pool().acquire().await?, id).await
    }

    /// The text a visitor in `locale` is shown for `market`: the latest version in that
    /// locale, else in its language (`pt` for `pt-BR`, or a `pt-…` text for `pt`), else the
    /// market's latest in any locale. `None`: the market has no consent text yet.
    pub async fn current_consent_text(
        &self,
        market: MarketId,
        locale: &str,
    ) -> Result<Option<ConsentText>, StoreError> {
        let texts = self.consent_texts(Some(&[market])).await?;
        let language = |l: &str| l.split('-').next().unwrap_or(l).to_ascii_lowercase();
        let wanted = language(locale);
        // `texts` is newest version first within each locale.
        let pick = texts
            .iter()
            .find(|t| t.locale.eq_ignore_ascii_case(locale))
            .or_else(|| texts.iter().find(|t| language(&t.locale) == wanted))
            .or_else(|| texts.iter().max_by_key(|t| (t.created_at, t.id)));
        Ok(pick.cloned())
    }

    /// Every version of the consent texts of `markets` (all markets when `None`), by market,
    /// locale and newest version first.
    pub async fn consent_texts(
        &self,
        markets: Option<&[MarketId]>,
    ) -> Result<Vec<ConsentText>, StoreError> {
        let mut sql = format!("SELECT {COLUMNS} FROM reach_consent_texts");
        if let Some(markets) = markets {
            if markets.is_empty() {
                return Ok(Vec::new());
            }
            sql.push_str(&format!(
                " WHERE market_id IN ({})",
                in_list(1, markets.len())
            ));
        }
        sql.push_str(" ORDER BY market_id, locale, version DESC");
        let mut q = sqlx::query(&sql);
        for m in markets.unwrap_or_default() {
            q = q.bind(m.0);
        }
        q.fetch_all(self.pool())
            .await?
            .iter()
            .map(from_row)
            .collect()
    }
}

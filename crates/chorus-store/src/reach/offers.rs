//! Offers: what people sign up for — a gated asset (a file) or a webinar — with a landing page
//! per locale and the custom fields of its form. Creating one writes the offer, its pages and its
//! asset or webinar row in one audited transaction; changing its state, pages or fields is
//! audited too. Changing the fields raises `form_version`, which every submission and ledger row
//! records.

use chorus_core::audit::Author;
use chorus_core::reach::{OfferKind, OfferState};
use chorus_core::{MarketId, OfferId};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use super::{instant, millis};
use crate::audit::{self, Applied, Change, Lock};
use crate::direct::{Bind, RowGet};
use crate::error::is_unique_violation;
use crate::{Store, StoreError, in_list, now_ms};

/// An offer's landing page in one locale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OfferPage {
    pub locale: String,
    pub title: String,
    pub description: String,
}

/// A gated asset's stored file (the bytes live under the data directory).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssetFile {
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    /// Where the bytes are, relative to the data directory's `reach/` folder; chosen by Chorus.
    pub storage_key: String,
    pub cover_key: Option<String>,
    pub cover_type: Option<String>,
}

/// A webinar's time, place and seats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Webinar {
    pub starts_at: jiff::Timestamp,
    pub duration_minutes: i64,
    /// The IANA zone the event is announced in.
    pub time_zone: String,
    /// `None`: no limit.
    pub capacity: Option<i64>,
    pub join_url: String,
    /// The iCalendar SEQUENCE (0 when created; up with every change attendees must hear of).
    pub sequence: i64,
    pub cancelled_at: Option<jiff::Timestamp>,
}

/// An offer as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Offer {
    pub id: OfferId,
    #[serde(serialize_with = "word")]
    pub kind: OfferKind,
    pub market: MarketId,
    pub slug: String,
    pub campaign: Option<i64>,
    #[serde(serialize_with = "word")]
    pub state: OfferState,
    /// The custom form fields as JSON (`chorus_core::reach`'s form definition).
    pub fields_json: String,
    pub form_version: i64,
    /// Landing pages, by locale.
    pub pages: Vec<OfferPage>,
    /// Set for assets.
    pub asset: Option<AssetFile>,
    /// Set for webinars.
    pub webinar: Option<Webinar>,
    pub created_at: jiff::Timestamp,
    pub updated_at: jiff::Timestamp,
}

fn word<S: serde::Serializer, T: std::fmt::Display>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

impl Offer {
    /// The landing page for `locale`: that locale, else its language, else the first.
    pub fn page(&self, locale: &str) -> Option<&OfferPage> {
        let language = |l: &str| l.split('-').next().unwrap_or(l).to_ascii_lowercase();
        self.pages
            .iter()
            .find(|p| p.locale.eq_ignore_ascii_case(locale))
            .or_else(|| {
                self.pages
                    .iter()
                    .find(|p| language(&p.locale) == language(locale))
            })
            .or_else(|| self.pages.first())
    }

    /// A name for lists and the audit log: the first page's title, else the slug.
    pub fn title(&self) -> &str {
        self.pages.first().map_or(&self.slug, |p| &p.title)
    }
}

/// A new offer, validated by the caller. Exactly one of `asset` and `webinar` is set, matching
/// `kind`.
#[derive(Debug, Clone)]
pub struct NewOffer {
    pub kind: OfferKind,
    pub market: MarketId,
    pub slug: String,
    pub campaign: Option<i64>,
    pub state: OfferState,
    pub fields_json: String,
    pub pages: Vec<OfferPage>,
    pub asset: Option<AssetFile>,
    pub webinar: Option<Webinar>,
}

/// Which offers to list.
#[derive(Debug, Clone, Default)]
pub struct OfferFilter {
    /// `None`: every market.
    pub markets: Option<Vec<MarketId>>,
    pub kind: Option<OfferKind>,
}

const COLUMNS: &str = "o.id, o.kind, o.market_id, o.slug, o.campaign_id, o.state, o.fields, \
     o.form_version, o.created_at, o.updated_at, a.file_name, a.content_type, a.size_bytes, \
     a.sha256, a.storage_key, a.cover_key, a.cover_type, w.starts_at, w.duration_minutes, \
     w.time_zone, w.capacity, w.join_url, w.sequence, w.cancelled_at";
const FROM: &str = "FROM reach_offers o LEFT JOIN reach_assets a ON a.offer_id = o.id \
     LEFT JOIN reach_webinars w ON w.offer_id = o.id";

fn from_row(r: &dyn RowGet) -> Result<Offer, StoreError> {
    let kind = r.string("kind")?;
    let state = r.string("state")?;
    let asset = match r.opt_string("storage_key")? {
        Some(storage_key) => Some(AssetFile {
            file_name: r.string("file_name")?,
            content_type: r.string("content_type")?,
            size_bytes: r.i64("size_bytes")?,
            sha256: r.string("sha256")?,
            storage_key,
            cover_key: r.opt_string("cover_key")?,
            cover_type: r.opt_string("cover_type")?,
        }),
        None => None,
    };
    let webinar = match r.opt_i64("starts_at")? {
        Some(starts_at) => Some(Webinar {
            starts_at: instant(starts_at)?,
            duration_minutes: r.i64("duration_minutes")?,
            time_zone: r.string("time_zone")?,
            capacity: r.opt_i64("capacity")?,
            join_url: r.string("join_url")?,
            sequence: r.i64("sequence")?,
            cancelled_at: r.opt_i64("cancelled_at")?.map(instant).transpose()?,
        }),
        None => None,
    };
    Ok(Offer {
        id: OfferId(r.i64("id")?),
        kind: OfferKind::parse(&kind).map_err(|e| StoreError::corrupt("offer kind", e))?,
        market: MarketId(r.i64("market_id")?),
        slug: r.string("slug")?,
        campaign: r.opt_i64("campaign_id")?,
        state: OfferState::parse(&state).map_err(|e| StoreError::corrupt("offer state", e))?,
        fields_json: r.string("fields")?,
        form_version: r.i64("form_version")?,
        pages: Vec::new(),
        asset,
        webinar,
        created_at: instant(r.i64("created_at")?)?,
        updated_at: instant(r.i64("updated_at")?)?,
    })
}

fn page_from_row(r: &dyn RowGet) -> Result<OfferPage, StoreError> {
    Ok(OfferPage {
        locale: r.string("locale")?,
        title: r.string("title")?,
        description: r.string("description")?,
    })
}

/// Loads the pages of `offers` into them (one statement).
async fn with_pages(
    c: &mut AnyConnection,
    mut offers: Vec<Offer>,
) -> Result<Vec<Offer>, StoreError> {
    if offers.is_empty() {
        return Ok(offers);
    }
    let sql = format!(
        "SELECT offer_id, locale, title, description FROM reach_offer_pages \
         WHERE offer_id IN ({}) ORDER BY offer_id, locale",
        in_list(1, offers.len())
    );
    let mut q = sqlx::query(&sql);
    for o in &offers {
        q = q.bind(o.id.0);
    }
    for r in q.fetch_all(&mut *c).await? {
        let offer: i64 = r.try_get("offer_id")?;
        if let Some(o) = offers.iter_mut().find(|o| o.id.0 == offer) {
            o.pages.push(page_from_row(&r)?);
        }
    }
    Ok(offers)
}

/// One offer with its pages, inside a transaction (the confirmation's, for one).
pub(crate) async fn load(c: &mut AnyConnection, id: OfferId) -> Result<Option<Offer>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} {FROM} WHERE o.id = $1"))
        .bind(id.0)
        .fetch_optional(&mut *c)
        .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(with_pages(c, vec![from_row(&row)?]).await?.pop())
}

async fn write_pages(
    c: &mut AnyConnection,
    id: OfferId,
    pages: &[OfferPage],
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM reach_offer_pages WHERE offer_id = $1")
        .bind(id.0)
        .execute(&mut *c)
        .await?;
    for p in pages {
        sqlx::query(
            "INSERT INTO reach_offer_pages (offer_id, locale, title, description) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(id.0)
        .bind(&p.locale)
        .bind(&p.title)
        .bind(&p.description)
        .execute(&mut *c)
        .await?;
    }
    Ok(())
}

fn slug_taken(e: sqlx::Error) -> StoreError {
    if is_unique_violation(&e, "slug") {
        StoreError::AlreadyExists {
            what: "an offer with this address",
            field: "slug",
        }
    } else {
        e.into()
    }
}

/// What the audit log keeps of an offer.
fn snapshot(o: &Offer) -> serde_json::Value {
    serde_json::json!({
        "title": o.title(),
        "kind": o.kind.as_str(),
        "slug": o.slug,
        "state": o.state.as_str(),
        "campaign_id": o.campaign,
        "form_version": o.form_version,
        "pages": o.pages,
        "file_name": o.asset.as_ref().map(|a| &a.file_name),
        "starts_at": o.webinar.as_ref().map(|w| w.starts_at.to_string()),
        "capacity": o.webinar.as_ref().and_then(|w| w.capacity),
    })
}

impl Store {
    /// Creates an offer with its pages and its asset or webinar row, in one audited
    /// transaction. A slug already used is `AlreadyExists` on `slug`.
    pub async fn create_offer(&self, author: &Author, new: &NewOffer) -> Result<Offer, StoreError> {
        audit::write(
            self,
            author,
            Lock::id("markets", new.market.0),
            async |_| Ok(()),
            async |c, _| {
                let now = now_ms();
                let id: i64 = sqlx::query(
                    "INSERT INTO reach_offers (kind, market_id, slug, campaign_id, state, fields, \
                     form_version, created_by, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8, $8) RETURNING id",
                )
                .bind(new.kind.as_str())
                .bind(new.market.0)
                .bind(&new.slug)
                .bind(new.campaign)
                .bind(new.state.as_str())
                .bind(&new.fields_json)
                .bind(author.user_id.map(|u| u.0))
                .bind(now)
                .fetch_one(&mut *c)
                .await
                .map_err(slug_taken)?
                .try_get("id")?;
                let id = OfferId(id);
                write_pages(c, id, &new.pages).await?;
                if let Some(a) = &new.asset {
                    sqlx::query(
                        "INSERT INTO reach_assets (offer_id, file_name, content_type, size_bytes, \
                         sha256, storage_key, cover_key, cover_type) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(id.0)
                    .bind(&a.file_name)
                    .bind(&a.content_type)
                    .bind(a.size_bytes)
                    .bind(&a.sha256)
                    .bind(&a.storage_key)
                    .bind(&a.cover_key)
                    .bind(&a.cover_type)
                    .execute(&mut *c)
                    .await?;
                }
                if let Some(w) = &new.webinar {
                    sqlx::query(
                        "INSERT INTO reach_webinars (offer_id, starts_at, duration_minutes, \
                         time_zone, capacity, join_url, sequence, cancelled_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(id.0)
                    .bind(millis(w.starts_at))
                    .bind(w.duration_minutes)
                    .bind(&w.time_zone)
                    .bind(w.capacity)
                    .bind(&w.join_url)
                    .bind(w.sequence)
                    .bind(w.cancelled_at.map(millis))
                    .execute(&mut *c)
                    .await?;
                }
                let offer = load(c, id)
                    .await?
                    .ok_or(StoreError::NotFound { what: "offer" })?;
                let change = Change {
                    action: "offer.create",
                    subject_type: "offer",
                    subject_id: id.to_string(),
                    market: Some(new.market),
                    before: None,
                    after: Some(snapshot(&offer)),
                };
                Ok(Applied::rows(1, 1, offer).audit(change))
            },
            async |_, _| StoreError::NotFound { what: "market" },
        )
        .await
    }

    /// One offer with its pages.
    pub async fn offer(&self, id: OfferId) -> Result<Option<Offer>, StoreError> {
        load(&mut *self.pool().acquire().await?, id).await
    }

    /// The offer whose landing page is at `slug`.
    pub async fn offer_by_slug(&self, slug: &str) -> Result<Option<Offer>, StoreError> {
        // Every landing page and form post asks: two reads on the direct connections.
        let sql = format!("SELECT {COLUMNS} {FROM} WHERE o.slug = $1");
        let binds = vec![Bind::S(slug.to_owned())];
        let Some(mut offer) = self.read_one(sql, binds, from_row).await? else {
            return Ok(None);
        };
        offer.pages = self
            .read_all(
                "SELECT locale, title, description FROM reach_offer_pages WHERE offer_id = $1 \
                 ORDER BY locale",
                vec![Bind::I(offer.id.0)],
                page_from_row,
            )
            .await?;
        Ok(Some(offer))
    }

    /// The offers `filter` selects, newest first, with their pages.
    pub async fn offers(&self, filter: &OfferFilter) -> Result<Vec<Offer>, StoreError> {
        let mut wheres = Vec::new();
        let mut n = 1;
        if let Some(markets) = &filter.markets {
            if markets.is_empty() {
                return Ok(Vec::new());
            }
            wheres.push(format!("o.market_id IN ({})", in_list(n, markets.len())));
            n += markets.len();
        }
        if filter.kind.is_some() {
            wheres.push(format!("o.kind = ${n}"));
        }
        let mut sql = format!("SELECT {COLUMNS} {FROM}");
        if !wheres.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&wheres.join(" AND "));
        }
        sql.push_str(" ORDER BY o.created_at DESC, o.id DESC");
        let mut q = sqlx::query(&sql);
        for m in filter.markets.iter().flatten() {
            q = q.bind(m.0);
        }
        if let Some(kind) = filter.kind {
            q = q.bind(kind.as_str());
        }
        let mut c = self.pool().acquire().await?;
        let offers = q
            .fetch_all(&mut *c)
            .await?
            .iter()
            .map(|r| from_row(r))
            .collect::<Result<Vec<_>, _>>()?;
        with_pages(&mut c, offers).await
    }

    /// Moves an offer to `state` (audited).
    pub async fn set_offer_state(
        &self,
        author: &Author,
        id: OfferId,
        state: OfferState,
    ) -> Result<Offer, StoreError> {
        self.change_offer(author, id, "offer.state", async |c| {
            sqlx::query("UPDATE reach_offers SET state = $1, updated_at = $2 WHERE id = $3")
                .bind(state.as_str())
                .bind(now_ms())
                .bind(id.0)
                .execute(&mut *c)
                .await?;
            Ok(())
        })
        .await
    }

    /// Replaces an offer's landing pages (audited).
    pub async fn set_offer_pages(
        &self,
        author: &Author,
        id: OfferId,
        pages: &[OfferPage],
    ) -> Result<Offer, StoreError> {
        self.change_offer(author, id, "offer.update", async |c| {
            write_pages(c, id, pages).await?;
            sqlx::query("UPDATE reach_offers SET updated_at = $1 WHERE id = $2")
                .bind(now_ms())
                .bind(id.0)
                .execute(&mut *c)
                .await?;
            Ok(())
        })
        .await
    }

    /// Replaces an offer's custom form fields (audited); when they differ from the stored
    /// ones, `form_version` goes up by one.
    pub async fn set_offer_fields(
        &self,
        author: &Author,
        id: OfferId,
        fields_json: &str,
    ) -> Result<Offer, StoreError> {
        self.change_offer(author, id, "offer.update", async |c| {
            sqlx::query(
                "UPDATE reach_offers SET fields = $1, form_version = form_version + 1, \
                 updated_at = $2 WHERE id = $3 AND fields <> $1",
            )
            .bind(fields_json)
            .bind(now_ms())
            .bind(id.0)
            .execute(&mut *c)
            .await?;
            Ok(())
        })
        .await
    }

    /// One audited change of an offer: locks it, reads it before and after `apply`.
    async fn change_offer(
        &self,
        author: &Author,
        id: OfferId,
        action: &'static str,
        apply: impl AsyncFnOnce(&mut AnyConnection) -> Result<(), StoreError>,
    ) -> Result<Offer, StoreError> {
        audit::write(
            self,
            author,
            Lock::id("reach_offers", id.0),
            async |c| load(c, id).await,
            async |c, before: &Option<Offer>| {
                let Some(before) = before else {
                    return Ok(Applied::rows(0, 1, None));
                };
                apply(c).await?;
                let after = load(c, id)
                    .await?
                    .ok_or(StoreError::NotFound { what: "offer" })?;
                let change = Change {
                    action,
                    subject_type: "offer",
                    subject_id: id.to_string(),
                    market: Some(before.market),
                    before: Some(snapshot(before)),
                    after: Some(snapshot(&after)),
                };
                Ok(Applied::rows(1, 1, Some(after)).audit(change))
            },
            async |_, _| StoreError::NotFound { what: "offer" },
        )
        .await?
        .ok_or(StoreError::NotFound { what: "offer" })
    }
}

//! Reading leads (Reach, issue 20): the list with its filters and counts, one lead with its
//! attribution, every touch and the consent history, and the figures the Reach overview shows
//! per offer and per story, campaign, market or principle.
//!
//! Read only: leads are written by the confirmation (`submissions.rs`) and withdrawn or erased
//! by the person's own requests. Visibility is the caller's to decide: `LeadFilter::markets`
//! narrows every read to the markets a use case lets the caller see (`None`: all). A lead's
//! principles are its story's (`story_principles`), so a principle filter finds the leads whose
//! story cites it. Paging is by keyset on `(confirmed_at, id)`, newest first.

use chorus_core::ids::{ContactId, LeadId, MarketId, OfferId, PrincipleId, SubmissionId};
use chorus_core::reach::{ConsentEvent, OfferKind};

use crate::direct::{Bind, RowGet};
use crate::{Store, StoreError, like_contains};

/// Which leads to read. Every field narrows; the default is every lead.
#[derive(Debug, Clone, Default)]
pub struct LeadFilter {
    /// Visibility: only leads of these markets (`None`: all; empty: none).
    pub markets: Option<Vec<MarketId>>,
    pub offer: Option<OfferId>,
    pub story: Option<i64>,
    pub campaign: Option<i64>,
    /// Leads whose story cites this principle.
    pub principle: Option<PrincipleId>,
    /// Confirmed at or after (ms).
    pub confirmed_from_ms: Option<i64>,
    /// Confirmed before (ms).
    pub confirmed_to_ms: Option<i64>,
    /// `Some(true)`: only withdrawn; `Some(false)`: only those still consenting.
    pub withdrawn: Option<bool>,
    /// A part of the email or name, any case.
    pub search: Option<String>,
    /// Keyset: only leads after this `(confirmed_at, id)` in newest-first order.
    pub before: Option<(i64, LeadId)>,
}

/// One lead as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadRow {
    pub id: LeadId,
    pub contact: ContactId,
    /// `None` once the person's data was erased.
    pub email: Option<String>,
    pub name: Option<String>,
    pub offer: OfferId,
    pub offer_kind: OfferKind,
    pub offer_slug: String,
    /// The offer's landing page title (English first, else the first locale).
    pub offer_title: String,
    pub market: MarketId,
    pub market_code: String,
    /// The first touch's story, while it exists.
    pub story: Option<i64>,
    pub story_title: Option<String>,
    pub campaign: Option<i64>,
    pub campaign_name: Option<String>,
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub utm_campaign: Option<String>,
    pub utm_content: Option<String>,
    pub utm_term: Option<String>,
    pub confirmed_at_ms: i64,
    pub withdrawn_at_ms: Option<i64>,
}

/// How many leads a filter finds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LeadCounts {
    pub total: i64,
    pub withdrawn: i64,
}

/// A principle a lead's story cites.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadPrinciple {
    pub id: PrincipleId,
    pub number: i64,
    pub title: String,
}

/// One form submission of the lead's contact (any offer): a touch, with what its address said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Touch {
    pub submission: SubmissionId,
    pub offer: OfferId,
    pub offer_slug: String,
    pub at_ms: i64,
    pub confirmed_at_ms: Option<i64>,
    pub locale: String,
    pub page_url: String,
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub utm_campaign: Option<String>,
    pub utm_content: Option<String>,
    pub utm_term: Option<String>,
    pub story: Option<i64>,
    pub story_title: Option<String>,
}

/// One row of the consent ledger about the lead's person, with the consent text's version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRecord {
    pub event: ConsentEvent,
    pub at_ms: i64,
    pub offer: Option<OfferId>,
    pub offer_slug: Option<String>,
    pub market_code: Option<String>,
    /// The consent text's version in its market and locale, while the text row exists.
    pub consent_version: Option<i64>,
    pub consent_text: Option<String>,
    pub consent_sha256: Option<String>,
    pub legal_basis: Option<String>,
    pub form_version: Option<i64>,
    pub locale: Option<String>,
    /// Truncated address (IPv4 /24, IPv6 /48).
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub page_url: Option<String>,
    /// The UTM parameters as stored (a JSON object).
    pub utm: Option<String>,
    /// For staff actions: who (by name); `None` when the person acted.
    pub actor: Option<String>,
}

/// A lead with everything its page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadDetail {
    pub lead: LeadRow,
    pub principles: Vec<LeadPrinciple>,
    /// Oldest first.
    pub touches: Vec<Touch>,
    /// Oldest first.
    pub consent: Vec<ConsentRecord>,
    pub erased_at_ms: Option<i64>,
}

/// An offer's figures: submissions and confirmations from the ledger (which purging pending
/// submissions leaves alone), leads and withdrawals from the leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OfferCounts {
    pub offer: OfferId,
    pub submissions: i64,
    pub confirmations: i64,
    pub leads: i64,
    pub withdrawn: i64,
}

/// What [`Store::lead_groups`] groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeadGroup {
    Story,
    Campaign,
    Market,
    Offer,
    Principle,
}

/// Leads of one group (`id`/`label` `None`: leads without one, e.g. no story).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadGroupRow {
    pub id: Option<i64>,
    pub label: Option<String>,
    pub leads: i64,
    pub withdrawn: i64,
}

const ROW_COLUMNS: &str = "l.id, l.contact_id, c.email, c.name, l.offer_id, o.kind, o.slug, \
    COALESCE((SELECT p.title FROM reach_offer_pages p WHERE p.offer_id = o.id \
    ORDER BY CASE WHEN p.locale = 'en' THEN 0 ELSE 1 END, p.locale LIMIT 1), o.slug) AS offer_title, \
    l.market_id, m.code AS market_code, l.story_id, s.title AS story_title, l.campaign_id, \
    g.name AS campaign_name, l.utm_source, l.utm_medium, l.utm_campaign, l.utm_content, \
    l.utm_term, l.confirmed_at, l.withdrawn_at";

const ROW_FROM: &str = "FROM reach_leads l JOIN reach_contacts c ON c.id = l.contact_id \
    JOIN reach_offers o ON o.id = l.offer_id JOIN markets m ON m.id = l.market_id \
    LEFT JOIN stories s ON s.id = l.story_id LEFT JOIN campaigns g ON g.id = l.campaign_id";

fn row_from(r: &dyn RowGet) -> Result<LeadRow, StoreError> {
    Ok(LeadRow {
        id: LeadId(r.i64("id")?),
        contact: ContactId(r.i64("contact_id")?),
        email: r.opt_string("email")?,
        name: r.opt_string("name")?,
        offer: OfferId(r.i64("offer_id")?),
        offer_kind: OfferKind::parse(&r.string("kind")?)
            .map_err(|e| StoreError::corrupt("reach value", e))?,
        offer_slug: r.string("slug")?,
        offer_title: r.string("offer_title")?,
        market: MarketId(r.i64("market_id")?),
        market_code: r.string("market_code")?,
        story: r.opt_i64("story_id")?,
        story_title: r.opt_string("story_title")?,
        campaign: r.opt_i64("campaign_id")?,
        campaign_name: r.opt_string("campaign_name")?,
        utm_source: r.opt_string("utm_source")?,
        utm_medium: r.opt_string("utm_medium")?,
        utm_campaign: r.opt_string("utm_campaign")?,
        utm_content: r.opt_string("utm_content")?,
        utm_term: r.opt_string("utm_term")?,
        confirmed_at_ms: r.i64("confirmed_at")?,
        withdrawn_at_ms: r.opt_i64("withdrawn_at")?,
    })
}

/// The `WHERE` of a filter (starting `WHERE 1 = 1`), numbering parameters from `$1`; `None`
/// when the filter can find nothing (no visible market).
fn lead_where(f: &LeadFilter, keyset: bool) -> Option<(String, Vec<Bind>)> {
    let mut sql = String::from("WHERE 1 = 1");
    let mut binds: Vec<Bind> = Vec::new();
    let mut push = |sql: &mut String, cond: &str, b: Vec<Bind>| {
        let mut it = b.into_iter();
        sql.push_str(" AND ");
        for ch in cond.chars() {
            match (ch, ch == '?') {
                (_, true) => {
                    if let Some(v) = it.next() {
                        binds.push(v);
                        sql.push_str(&format!("${}", binds.len()));
                    }
                }
                (ch, false) => sql.push(ch),
            }
        }
    };
    if let Some(markets) = &f.markets {
        if markets.is_empty() {
            return None;
        }
        let list = vec!["?"; markets.len()].join(", ");
        push(
            &mut sql,
            &format!("l.market_id IN ({list})"),
            markets.iter().map(|m| Bind::I(m.0)).collect(),
        );
    }
    if let Some(o) = f.offer {
        push(&mut sql, "l.offer_id = ?", vec![Bind::I(o.0)]);
    }
    if let Some(s) = f.story {
        push(&mut sql, "l.story_id = ?", vec![Bind::I(s)]);
    }
    if let Some(c) = f.campaign {
        push(&mut sql, "l.campaign_id = ?", vec![Bind::I(c)]);
    }
    if let Some(p) = f.principle {
        push(
            &mut sql,
            "l.story_id IN (SELECT story_id FROM story_principles WHERE principle_id = ?)",
            vec![Bind::I(p.0)],
        );
    }
    if let Some(from) = f.confirmed_from_ms {
        push(&mut sql, "l.confirmed_at >= ?", vec![Bind::I(from)]);
    }
    if let Some(to) = f.confirmed_to_ms {
        push(&mut sql, "l.confirmed_at < ?", vec![Bind::I(to)]);
    }
    match f.withdrawn {
        Some(true) => sql.push_str(" AND l.withdrawn_at IS NOT NULL"),
        Some(false) => sql.push_str(" AND l.withdrawn_at IS NULL"),
        None => {}
    }
    if let Some(q) = f.search.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = like_contains(q);
        push(
            &mut sql,
            "(LOWER(c.email) LIKE ? ESCAPE '\\' OR LOWER(c.name) LIKE ? ESCAPE '\\')",
            vec![Bind::S(pattern.clone()), Bind::S(pattern)],
        );
    }
    if let Some((at, id)) = f.before.filter(|_| keyset) {
        push(
            &mut sql,
            "(l.confirmed_at < ? OR (l.confirmed_at = ? AND l.id < ?))",
            vec![Bind::I(at), Bind::I(at), Bind::I(id.0)],
        );
    }
    Some((sql, binds))
}

impl Store {
    /// Up to `limit` leads the filter finds, newest confirmation first (then by id); pass the
    /// last row's `(confirmed_at_ms, id)` as `before` for the next page.
    pub async fn leads(&self, filter: &LeadFilter, limit: u32) -> Result<Vec<LeadRow>, StoreError> {
        let Some((cond, binds)) = lead_where(filter, true) else {
            return Ok(Vec::new());
        };
        let sql = format!(
            "SELECT {ROW_COLUMNS} {ROW_FROM} {cond} ORDER BY l.confirmed_at DESC, l.id DESC \
             LIMIT {limit}"
        );
        self.read_all(sql, binds, row_from).await
    }

    /// How many leads the filter finds (ignoring `before`), and how many of them withdrew.
    pub async fn lead_counts(&self, filter: &LeadFilter) -> Result<LeadCounts, StoreError> {
        let Some((cond, binds)) = lead_where(filter, false) else {
            return Ok(LeadCounts::default());
        };
        let sql = format!(
            "SELECT COUNT(*) AS total, \
             COUNT(CASE WHEN l.withdrawn_at IS NOT NULL THEN 1 END) AS withdrawn {ROW_FROM} {cond}"
        );
        let counts = self
            .read_one(sql, binds, |r| {
                Ok(LeadCounts {
                    total: r.i64("total")?,
                    withdrawn: r.i64("withdrawn")?,
                })
            })
            .await?;
        Ok(counts.unwrap_or_default())
    }

    /// The leads the filter finds, counted per story, campaign, market, offer or principle
    /// (a lead counts once under each principle its story cites), most leads first, leads
    /// without one last among equals, then by label and id.
    pub async fn lead_groups(
        &self,
        filter: &LeadFilter,
        by: LeadGroup,
    ) -> Result<Vec<LeadGroupRow>, StoreError> {
        let Some((cond, binds)) = lead_where(filter, false) else {
            return Ok(Vec::new());
        };
        let (id, label, join) = match by {
            LeadGroup::Story => ("l.story_id", "s.title", ""),
            LeadGroup::Campaign => ("l.campaign_id", "g.name", ""),
            LeadGroup::Market => ("l.market_id", "m.code", ""),
            LeadGroup::Offer => ("l.offer_id", "o.slug", ""),
            LeadGroup::Principle => (
                "sp.principle_id",
                "pr.title",
                " LEFT JOIN story_principles sp ON sp.story_id = l.story_id \
                 LEFT JOIN principles pr ON pr.id = sp.principle_id",
            ),
        };
        let sql = format!(
            "SELECT {id} AS gid, {label} AS label, COUNT(*) AS leads, \
             COUNT(CASE WHEN l.withdrawn_at IS NOT NULL THEN 1 END) AS withdrawn \
             {ROW_FROM}{join} {cond} GROUP BY {id}, {label} \
             ORDER BY 3 DESC, CASE WHEN {id} IS NULL THEN 1 ELSE 0 END, 2, 1"
        );
        self.read_all(sql, binds, |r| {
            Ok(LeadGroupRow {
                id: r.opt_i64("gid")?,
                label: r.opt_string("label")?,
                leads: r.i64("leads")?,
                withdrawn: r.i64("withdrawn")?,
            })
        })
        .await
    }

    /// Each offer's submissions, confirmations, leads and withdrawals, for the offers of
    /// `markets` (`None`: all), by offer id.
    pub async fn offer_counts(
        &self,
        markets: Option<&[MarketId]>,
    ) -> Result<Vec<OfferCounts>, StoreError> {
        let (cond, binds) = match markets {
            Some([]) => return Ok(Vec::new()),
            Some(ms) => (
                format!("WHERE o.market_id IN ({})", crate::in_list(1, ms.len())),
                ms.iter().map(|m| Bind::I(m.0)).collect(),
            ),
            None => (String::new(), Vec::new()),
        };
        let sql = format!(
            "SELECT o.id, \
             (SELECT COUNT(*) FROM reach_consent_events e WHERE e.offer_id = o.id \
              AND e.event = 'submitted') AS submissions, \
             (SELECT COUNT(*) FROM reach_consent_events e WHERE e.offer_id = o.id \
              AND e.event = 'confirmed') AS confirmations, \
             (SELECT COUNT(*) FROM reach_leads l WHERE l.offer_id = o.id) AS leads, \
             (SELECT COUNT(*) FROM reach_leads l WHERE l.offer_id = o.id \
              AND l.withdrawn_at IS NOT NULL) AS withdrawn \
             FROM reach_offers o {cond} ORDER BY o.id"
        );
        self.read_all(sql, binds, |r| {
            Ok(OfferCounts {
                offer: OfferId(r.i64("id")?),
                submissions: r.i64("submissions")?,
                confirmations: r.i64("confirmations")?,
                leads: r.i64("leads")?,
                withdrawn: r.i64("withdrawn")?,
            })
        })
        .await
    }

    /// One lead with its story's principles, its person's every submission (touches) and
    /// consent ledger rows; `None` if there is no such lead.
    pub async fn lead(&self, id: LeadId) -> Result<Option<LeadDetail>, StoreError> {
        let sql = format!("SELECT {ROW_COLUMNS}, c.erased_at {ROW_FROM} WHERE l.id = $1");
        let Some((lead, erased_at_ms)) = self
            .read_one(sql, vec![Bind::I(id.0)], |r| {
                Ok((row_from(r)?, r.opt_i64("erased_at")?))
            })
            .await?
        else {
            return Ok(None);
        };
        let principles = match lead.story {
            None => Vec::new(),
            Some(story) => {
                self.read_all(
                    "SELECT p.id, p.number, p.title FROM story_principles sp \
                     JOIN principles p ON p.id = sp.principle_id WHERE sp.story_id = $1 \
                     ORDER BY p.number",
                    vec![Bind::I(story)],
                    |r| {
                        Ok(LeadPrinciple {
                            id: PrincipleId(r.i64("id")?),
                            number: r.i64("number")?,
                            title: r.string("title")?,
                        })
                    },
                )
                .await?
            }
        };
        let touches = match &lead.email {
            None => Vec::new(),
            Some(email) => {
                self.read_all(
                    "SELECT s.id, s.offer_id, o.slug, s.created_at, s.confirmed_at, s.locale, \
                     s.page_url, s.utm_source, s.utm_medium, s.utm_campaign, s.utm_content, \
                     s.utm_term, s.story_id, t.title AS story_title FROM reach_submissions s \
                     JOIN reach_offers o ON o.id = s.offer_id \
                     LEFT JOIN stories t ON t.id = s.story_id \
                     WHERE s.email = $1 ORDER BY s.created_at, s.id",
                    vec![Bind::S(email.clone())],
                    touch_from,
                )
                .await?
            }
        };
        let consent = self
            .read_all(
                "SELECT e.event, e.at, e.offer_id, o.slug, m.code AS market_code, \
                 t.version, e.consent_text, e.consent_sha256, e.legal_basis, e.form_version, \
                 e.locale, e.ip, e.user_agent, e.page_url, e.utm, u.display_name \
                 FROM reach_consent_events e \
                 LEFT JOIN reach_offers o ON o.id = e.offer_id \
                 LEFT JOIN markets m ON m.id = e.market_id \
                 LEFT JOIN reach_consent_texts t ON t.id = e.consent_text_id \
                 LEFT JOIN users u ON u.id = e.actor_id \
                 WHERE e.email_sha256 = (SELECT email_sha256 FROM reach_contacts WHERE id = $1) \
                 ORDER BY e.at, e.id",
                vec![Bind::I(lead.contact.0)],
                consent_from,
            )
            .await?;
        Ok(Some(LeadDetail {
            lead,
            principles,
            touches,
            consent,
            erased_at_ms,
        }))
    }
}

fn touch_from(r: &dyn RowGet) -> Result<Touch, StoreError> {
    Ok(Touch {
        submission: SubmissionId(r.i64("id")?),
        offer: OfferId(r.i64("offer_id")?),
        offer_slug: r.string("slug")?,
        at_ms: r.i64("created_at")?,
        confirmed_at_ms: r.opt_i64("confirmed_at")?,
        locale: r.string("locale")?,
        page_url: r.string("page_url")?,
        utm_source: r.opt_string("utm_source")?,
        utm_medium: r.opt_string("utm_medium")?,
        utm_campaign: r.opt_string("utm_campaign")?,
        utm_content: r.opt_string("utm_content")?,
        utm_term: r.opt_string("utm_term")?,
        story: r.opt_i64("story_id")?,
        story_title: r.opt_string("story_title")?,
    })
}

fn consent_from(r: &dyn RowGet) -> Result<ConsentRecord, StoreError> {
    Ok(ConsentRecord {
        event: ConsentEvent::parse(&r.string("event")?)
            .map_err(|e| StoreError::corrupt("reach value", e))?,
        at_ms: r.i64("at")?,
        offer: r.opt_i64("offer_id")?.map(OfferId),
        offer_slug: r.opt_string("slug")?,
        market_code: r.opt_string("market_code")?,
        consent_version: r.opt_i64("version")?,
        consent_text: r.opt_string("consent_text")?,
        consent_sha256: r.opt_string("consent_sha256")?,
        legal_basis: r.opt_string("legal_basis")?,
        form_version: r.opt_i64("form_version")?,
        locale: r.opt_string("locale")?,
        ip: r.opt_string("ip")?,
        user_agent: r.opt_string("user_agent")?,
        page_url: r.opt_string("page_url")?,
        utm: r.opt_string("utm")?,
        actor: r.opt_string("display_name")?,
    })
}

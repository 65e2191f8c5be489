//! Managing offers (gated assets; webinars are made in `webinars*.rs`): list them with their
//! figures, create an asset with its uploaded file, change its landing pages and form fields,
//! move it between draft, live and closed.
//!
//! Authorization: an offer is seen by those who manage Reach (`Action::ManageReach`) or read
//! its leads (`Action::ReadLeads`) in its market; anyone else gets `NotFound`. Changing it
//! needs `ManageReach` there (`Forbidden` for a reader who may not). Inputs are plain strings,
//! parsed with `chorus_core::reach::offer` (errors name the field: `pages[0].title`,
//! `fields[2].options`, `file`, `cover`).

use chorus_core::org::Market;
use chorus_core::permission::{allows, markets_where};
use chorus_core::reach::offer::{
    self, FieldInput, FormField, PageInput, fields_from_json, fields_json, next_states,
};
use chorus_core::reach::{OfferKind, OfferState};
use chorus_core::validate::quoted;
use chorus_core::{Action, MarketId, OfferId, Scope};
pub use chorus_store::reach::OfferCounts;
use chorus_store::reach::OfferPage;

use super::files::{self, Upload, clean_file_name};
use super::{AssetFile, NewOffer, Offer, OfferFilter};
use crate::{App, Caller, Error, Result};

/// The markets whose offers the caller sees (`None`: every market).
pub(crate) fn visible_markets(caller: &Caller, markets: &[Market]) -> Option<Vec<MarketId>> {
    let ids = || markets.iter().map(|m| m.id);
    let manage = markets_where(&caller.actor, Action::ManageReach, ids())?;
    let read = markets_where(&caller.actor, Action::ReadLeads, ids())?;
    let mut all: Vec<MarketId> = manage.into_iter().chain(read).collect();
    all.sort();
    all.dedup();
    Some(all)
}

fn may_see(caller: &Caller, market: MarketId) -> bool {
    let scope = Scope::Market(market);
    allows(&caller.actor, Action::ManageReach, scope)
        || allows(&caller.actor, Action::ReadLeads, scope)
}

/// An offer as the staff pages show it: the offer, its market, its figures, its fields parsed,
/// and what the caller may do.
#[derive(Debug, Clone)]
pub struct OfferView {
    pub offer: Offer,
    pub market_code: String,
    pub market_name: String,
    pub counts: OfferCounts,
    pub fields: Vec<FormField>,
    pub can_manage: bool,
    /// The states the caller may move it to (empty without `can_manage`).
    pub next_states: Vec<OfferState>,
    /// Where the public landing page is, relative to the site: `/r/{slug}`.
    pub public_path: String,
}

impl OfferView {
    /// Confirmations per submission, `None` before the first submission.
    pub fn confirmation_rate(&self) -> Option<f64> {
        (self.counts.submissions > 0)
            .then(|| self.counts.confirmations as f64 / self.counts.submissions as f64)
    }
}

fn view(
    offer: Offer,
    markets: &[Market],
    counts: Option<OfferCounts>,
    caller: &Caller,
) -> OfferView {
    let market = markets.iter().find(|m| m.id == offer.market);
    let can_manage = allows(
        &caller.actor,
        Action::ManageReach,
        Scope::Market(offer.market),
    );
    OfferView {
        market_code: market.map_or_else(String::new, |m| m.code.to_string()),
        market_name: market.map_or_else(String::new, |m| m.name.clone()),
        counts: counts.unwrap_or(OfferCounts {
            offer: offer.id,
            submissions: 0,
            confirmations: 0,
            leads: 0,
            withdrawn: 0,
        }),
        fields: fields_from_json(&offer.fields_json),
        next_states: if can_manage {
            next_states(offer.state)
        } else {
            Vec::new()
        },
        public_path: format!("/r/{}", offer.slug),
        can_manage,
        offer,
    }
}

/// Every offer the caller sees (of `kind`, or all), newest first, with its figures.
pub async fn list(app: &App, caller: &Caller, kind: Option<OfferKind>) -> Result<Vec<OfferView>> {
    let markets = app.store.markets().await?;
    let visible = visible_markets(caller, &markets);
    let offers = app
        .store
        .offers(&OfferFilter {
            markets: visible.clone(),
            kind,
        })
        .await?;
    let counts = app.store.offer_counts(visible.as_deref()).await?;
    Ok(offers
        .into_iter()
        .map(|o| {
            let c = counts.iter().find(|c| c.offer == o.id).copied();
            view(o, &markets, c, caller)
        })
        .collect())
}

/// Whether the caller may make offers in some market (the pages show "New" buttons).
pub async fn may_create(app: &App, caller: &Caller) -> Result<bool> {
    let markets = app.store.markets().await?;
    Ok(markets_where(
        &caller.actor,
        Action::ManageReach,
        markets.iter().map(|m| m.id),
    )
    .is_none_or(|m| !m.is_empty()))
}

/// The markets the caller may make offers and consent texts in, for the forms' menus.
pub async fn managed_markets(app: &App, caller: &Caller) -> Result<Vec<Market>> {
    let markets = app.store.markets().await?;
    Ok(markets
        .into_iter()
        .filter(|m| allows(&caller.actor, Action::ManageReach, Scope::Market(m.id)))
        .collect())
}

/// One offer the caller sees (`NotFound` otherwise).
pub async fn get(app: &App, caller: &Caller, id: OfferId) -> Result<OfferView> {
    let offer = app.store.offer(id).await?.ok_or(Error::NotFound("offer"))?;
    if !may_see(caller, offer.market) {
        return Err(Error::NotFound("offer"));
    }
    let markets = app.store.markets().await?;
    let counts = app.store.offer_counts(Some(&[offer.market])).await?;
    let c = counts.iter().find(|c| c.offer == id).copied();
    Ok(view(offer, &markets, c, caller))
}

/// Loads an offer the caller may change: `NotFound` if they may not see it, `Forbidden` if
/// they may see but not change it.
async fn load_managed(app: &App, caller: &Caller, id: OfferId) -> Result<Offer> {
    let offer = app.store.offer(id).await?.ok_or(Error::NotFound("offer"))?;
    if !may_see(caller, offer.market) {
        return Err(Error::NotFound("offer"));
    }
    if !allows(
        &caller.actor,
        Action::ManageReach,
        Scope::Market(offer.market),
    ) {
        return Err(Error::forbidden("you may not change offers in this market"));
    }
    Ok(offer)
}

/// A new gated asset as typed.
#[derive(Debug, Clone, Default)]
pub struct RawAsset {
    /// A market code or id.
    pub market: String,
    pub slug: String,
    /// A campaign id, or empty.
    pub campaign: String,
    pub pages: Vec<PageInput>,
    pub fields: Vec<FieldInput>,
    pub file: Upload,
    /// An optional cover image.
    pub cover: Option<Upload>,
}

/// The market a form names (code or id), if the caller may manage Reach there: someone who
/// manages Reach nowhere is refused as such (`Forbidden`), before any market is looked up; a
/// market they do not see is "no market" (`Invalid` on `market`); one they see but may not
/// manage is `Forbidden`.
pub(crate) async fn managed_market(app: &App, caller: &Caller, raw: &str) -> Result<Market> {
    let markets = app.store.markets().await?;
    let manages = markets_where(
        &caller.actor,
        Action::ManageReach,
        markets.iter().map(|m| m.id),
    )
    .is_none_or(|m| !m.is_empty());
    if !manages {
        return Err(Error::forbidden(
            "only market leads and editors make offers and consent texts",
        ));
    }
    let found = markets.into_iter().find(|m| {
        m.code.as_str().eq_ignore_ascii_case(raw.trim()) || raw.trim() == m.id.0.to_string()
    });
    let no_market = || Error::invalid("market", format!("no market {}", quoted(raw)));
    let market = found.ok_or_else(no_market)?;
    if !may_see(caller, market.id) {
        return Err(no_market());
    }
    if !allows(&caller.actor, Action::ManageReach, Scope::Market(market.id)) {
        return Err(Error::forbidden(format!(
            "you may not make offers or consent texts for {}",
            market.name
        )));
    }
    Ok(market)
}

/// A campaign id that runs in `market`, or none for an empty field.
pub(super) async fn campaign_in(app: &App, market: &Market, raw: &str) -> Result<Option<i64>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let no_campaign = || Error::invalid("campaign", format!("no campaign {}", quoted(raw)));
    let id: i64 = raw.parse().map_err(|_| no_campaign())?;
    let campaigns = app.store.campaigns().await?;
    let campaign = campaigns
        .iter()
        .find(|c| c.id == id)
        .ok_or_else(no_campaign)?;
    if !campaign.markets.contains(&market.id) {
        return Err(Error::invalid(
            "campaign",
            format!(
                "the campaign “{}” does not run in {}",
                campaign.name, market.name
            ),
        ));
    }
    Ok(Some(id))
}

fn pages_of(raw: &[PageInput]) -> Result<Vec<OfferPage>> {
    let pages = offer::parse_pages(raw).map_err(field_error)?;
    Ok(pages
        .into_iter()
        .map(|p| OfferPage {
            locale: p.locale.to_string(),
            title: p.title,
            description: p.description,
        })
        .collect())
}

pub(super) fn field_error(e: chorus_core::FieldError) -> Error {
    Error::invalid(e.field.into_owned(), e.message)
}

/// Creates a gated asset, as a draft: checks the market, slug, campaign, pages and fields,
/// then stores the file (and cover) under the data directory, then the offer in one audited
/// transaction. A slug already taken is a `Conflict` on `slug`.
pub async fn create_asset(app: &App, caller: &Caller, raw: &RawAsset) -> Result<Offer> {
    let market = managed_market(app, caller, &raw.market).await?;
    let slug = offer::parse_slug(&raw.slug).map_err(|e| Error::invalid("slug", e.message))?;
    let campaign = campaign_in(app, &market, &raw.campaign).await?;
    let pages = pages_of(&raw.pages)?;
    let fields = offer::parse_fields(&raw.fields).map_err(field_error)?;
    if app.store.offer_by_slug(&slug).await?.is_some() {
        return Err(Error::conflict(
            "slug",
            format!("the address /r/{slug} is taken; choose another"),
        ));
    }
    let file = files::store(app, &raw.file, "file", false).await?;
    let cover = match &raw.cover {
        Some(c) if !c.bytes.is_empty() => Some(files::store(app, c, "cover", true).await?),
        _ => None,
    };
    let new = NewOffer {
        kind: OfferKind::Asset,
        market: market.id,
        slug,
        campaign,
        state: OfferState::Draft,
        fields_json: fields_json(&fields),
        pages,
        asset: Some(AssetFile {
            file_name: clean_file_name(&raw.file.file_name, file.file_type),
            content_type: file.file_type.content_type().to_owned(),
            size_bytes: file.size_bytes,
            sha256: file.sha256,
            storage_key: file.key,
            cover_key: cover.as_ref().map(|c| c.key.clone()),
            cover_type: cover.map(|c| c.file_type.content_type().to_owned()),
        }),
        webinar: None,
    };
    Ok(app.store.create_offer(&caller.author(), &new).await?)
}

/// An offer's landing pages and form fields as typed.
#[derive(Debug, Clone, Default)]
pub struct RawOfferTexts {
    pub pages: Vec<PageInput>,
    pub fields: Vec<FieldInput>,
}

/// Replaces an offer's landing pages and custom fields (each audited; the form version goes up
/// only when the fields change).
pub async fn update_texts(
    app: &App,
    caller: &Caller,
    id: OfferId,
    raw: &RawOfferTexts,
) -> Result<Offer> {
    let current = load_managed(app, caller, id).await?;
    let pages = pages_of(&raw.pages)?;
    let fields = fields_json(&offer::parse_fields(&raw.fields).map_err(field_error)?);
    let author = caller.author();
    let mut offer = current.clone();
    if pages != current.pages {
        offer = app.store.set_offer_pages(&author, id, &pages).await?;
    }
    if fields != current.fields_json {
        offer = app.store.set_offer_fields(&author, id, &fields).await?;
    }
    Ok(offer)
}

/// Moves an offer to `state` (`draft`, `live`, `closed`): a draft goes live or is closed, a
/// live one closes, a closed one goes live again; anything else is a `Conflict` on `state`.
pub async fn set_state(app: &App, caller: &Caller, id: OfferId, state: &str) -> Result<Offer> {
    let current = load_managed(app, caller, id).await?;
    let to = OfferState::parse(state.trim()).map_err(|_| {
        Error::invalid(
            "state",
            format!("{} is not draft, live or closed", quoted(state)),
        )
    })?;
    if !offer::may_move(current.state, to) {
        return Err(Error::conflict(
            "state",
            format!("a {} offer cannot become {to}", current.state),
        ));
    }
    if to == OfferState::Live {
        let text = app
            .store
            .current_consent_text(
                current.market,
                current.pages.first().map_or("en", |p| &p.locale),
            )
            .await?;
        if text.is_none() {
            return Err(Error::conflict(
                "state",
                "write the market's consent text first: a live form must show one",
            ));
        }
    }
    Ok(app.store.set_offer_state(&caller.author(), id, to).await?)
}

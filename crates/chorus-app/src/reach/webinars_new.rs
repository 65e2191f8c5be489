//! Making a webinar (`ManageReach` in its market): its landing pages and form questions as
//! for any offer (`chorus_core::reach::offer`: slug, pages, fields), its time in its own zone,
//! duration, capacity and join address (`chorus_core::reach::webinar::parse_webinar`). It
//! starts as a draft; going live is the offers' state change. Errors name the field.

use chorus_core::org::Market;
use chorus_core::permission::allows;
use chorus_core::reach::offer::{self, FieldInput, PageInput, fields_json};
use chorus_core::reach::webinar::{RawWebinar, parse_webinar};
use chorus_core::reach::{OfferKind, OfferState};
use chorus_core::validate::quoted;
use chorus_core::{Action, Scope};
use chorus_store::reach::OfferPage;

use super::offers::{campaign_in, field_error, managed_markets};
use super::{NewOffer, Offer, Webinar};
use crate::{App, Caller, Error, Result};

/// A new webinar as typed.
#[derive(Debug, Clone, Default)]
pub struct RawNewWebinar {
    /// A market code or id.
    pub market: String,
    pub slug: String,
    /// A campaign id, or empty.
    pub campaign: String,
    pub pages: Vec<PageInput>,
    pub fields: Vec<FieldInput>,
    pub webinar: RawWebinar,
}

/// Creates a webinar as a draft (audited). A slug already taken is a `Conflict` on `slug`;
/// a market the caller does not see is `Invalid` on `market`, one they see but may not manage
/// `Forbidden` (and so is everything for someone who manages Reach nowhere).
pub async fn create(app: &App, caller: &Caller, raw: &RawNewWebinar) -> Result<Offer> {
    if managed_markets(app, caller).await?.is_empty() {
        return Err(Error::forbidden(
            "only market leads and editors make webinars",
        ));
    }
    // As for gated assets: a market the caller does not see is "no market"; one they see
    // (reading its leads) but may not manage is Forbidden.
    let wanted = raw.market.trim();
    let no_market = || Error::invalid("market", format!("no market {}", quoted(wanted)));
    let market: Market = app
        .store
        .markets()
        .await?
        .into_iter()
        .find(|m| m.code.as_str().eq_ignore_ascii_case(wanted) || m.id.0.to_string() == wanted)
        .ok_or_else(no_market)?;
    let scope = Scope::Market(market.id);
    if !allows(&caller.actor, Action::ManageReach, scope) {
        if allows(&caller.actor, Action::ReadLeads, scope) {
            return Err(Error::forbidden(format!(
                "you may not make webinars for {}",
                market.name
            )));
        }
        return Err(no_market());
    }
    let market = &market;
    let slug = offer::parse_slug(&raw.slug).map_err(|e| Error::invalid("slug", e.message))?;
    let campaign = campaign_in(app, market, &raw.campaign).await?;
    let pages: Vec<OfferPage> = offer::parse_pages(&raw.pages)
        .map_err(field_error)?
        .into_iter()
        .map(|p| OfferPage {
            locale: p.locale.to_string(),
            title: p.title,
            description: p.description,
        })
        .collect();
    let fields = offer::parse_fields(&raw.fields).map_err(field_error)?;
    let w = parse_webinar(&raw.webinar).map_err(field_error)?;
    if app.store.offer_by_slug(&slug).await?.is_some() {
        return Err(Error::conflict(
            "slug",
            format!("the address /r/{slug} is taken; choose another"),
        ));
    }
    let new = NewOffer {
        kind: OfferKind::Webinar,
        market: market.id,
        slug,
        campaign,
        state: OfferState::Draft,
        fields_json: fields_json(&fields),
        pages,
        asset: None,
        webinar: Some(Webinar {
            starts_at: w.starts_at,
            duration_minutes: w.duration_minutes,
            time_zone: w.zone.as_str().to_owned(),
            capacity: w.capacity,
            join_url: w.join_url,
            sequence: 0,
            cancelled_at: None,
        }),
    };
    Ok(app.store.create_offer(&caller.author(), &new).await?)
}

//! The public links that follow a confirmation (re-exported by [`super::public`]): the signed
//! download, the withdrawal link every email carries, the preference page, and the purge of
//! submissions nobody confirmed.
//!
//! Contract: a download link is checked (signature in constant time, then expiry) before
//! anything is read, and a refused one says why (changed, expired, incomplete) without
//! touching a file. A withdrawal link's GET only shows what it will do (a person clicking it in
//! an email gets a button; mail scanners change nothing); its POST — the button, or RFC 8058's
//! one-click POST of `List-Unsubscribe=One-Click` — withdraws. The preference page's token is
//! derived from the person's email hash (`LinkKey::prefs_token`), so every email can carry it.

use chorus_core::ids::OfferId;
use chorus_core::reach::OfferKind;
use chorus_core::reach::signed::LinkError;
use chorus_core::reach::token::OptInToken;
use chorus_store::{WithdrawBy, WithdrawRequest};
use jiff::Timestamp;

use super::public::{Visitor, base, download_link, link_key, market_zone, time_of};
use crate::{App, Error, Result};

/// A file opened for a download: the same reader as the staff side's
/// ([`super::files::open`]), which opens only names Chorus made.
pub type Download = super::files::OpenFile;

/// The file a signed download link gives, if the link holds. A changed, expired or incomplete
/// link is `Forbidden` with the reason in words.
pub async fn download(app: &App, signed: &str) -> Result<Download> {
    let key = link_key(app)?;
    let offer_id = key.verify(signed, Timestamp::now()).map_err(|e| match e {
        LinkError::Expired { .. } => Error::forbidden(
            "this download link has expired; your preference page (linked in the email) \
                 gives a fresh one",
        ),
        other => Error::forbidden(other.to_string()),
    })?;
    let offer = app
        .store
        .offer(offer_id)
        .await?
        .ok_or(Error::NotFound("file"))?;
    let asset = offer.asset.ok_or(Error::NotFound("file"))?;
    super::files::open(app, &asset).await
}

/// The cover image of live offer `slug`, if it has one.
pub async fn cover(app: &App, slug: &str) -> Result<Download> {
    let offer = super::public::live_offer(app, slug).await?;
    let asset = offer.asset.ok_or(Error::NotFound("image"))?;
    super::files::open_cover(app, &asset)
        .await?
        .ok_or(Error::NotFound("image"))
}

/// What a withdrawal link's page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithdrawView {
    /// The offer the email was about.
    pub title: String,
    pub locale: String,
    /// Whether this request withdrew something (false: nothing was left to withdraw, or the
    /// page was only opened).
    pub withdrew: bool,
}

async fn withdrawal_subject(
    app: &App,
    signed: &str,
) -> Result<(chorus_core::ids::SubmissionId, WithdrawView)> {
    let id = link_key(app)?
        .verify_withdrawal(signed)
        .map_err(|_| Error::NotFound("withdrawal link"))?;
    let s = app
        .store
        .submission(id)
        .await?
        .ok_or(Error::NotFound("withdrawal link"))?;
    let offer = app.store.offer(s.offer).await?;
    let title = offer
        .as_ref()
        .and_then(|o| o.page(&s.locale).map(|p| p.title.clone()))
        .unwrap_or_default();
    Ok((
        id,
        WithdrawView {
            title,
            locale: s.locale,
            withdrew: false,
        },
    ))
}

/// The page a withdrawal link opens (GET): what its button will do. Changes nothing.
pub async fn withdraw_page(app: &App, signed: &str) -> Result<WithdrawView> {
    Ok(withdrawal_subject(app, signed).await?.1)
}

/// Withdraws consent for the offer the email with this link was about (the button, or a mail
/// client's one-click POST). Saying it twice is fine.
pub async fn withdraw(app: &App, signed: &str, visitor: &Visitor) -> Result<WithdrawView> {
    let (id, mut view) = withdrawal_subject(app, signed).await?;
    let done = app
        .store
        .withdraw(&WithdrawRequest {
            by: WithdrawBy::Submission(id),
            at_ms: Timestamp::now().as_millisecond(),
            ip: &visitor.ip(),
            user_agent: &visitor.user_agent(),
        })
        .await?
        .ok_or(Error::NotFound("withdrawal link"))?;
    view.withdrew = !done.leads.is_empty() || done.pending.is_some();
    Ok(view)
}

/// One of the person's offers on the preference page.
#[derive(Debug, Clone)]
pub struct PrefsOffer {
    pub offer: OfferId,
    pub kind: OfferKind,
    pub title: String,
    pub confirmed_at: Timestamp,
    pub withdrawn_at: Option<Timestamp>,
    /// A fresh signed download link (assets whose consent stands).
    pub download_url: Option<String>,
}

/// The preference page.
#[derive(Debug, Clone)]
pub struct Preferences {
    /// The organization's name (the page's brand).
    pub organization: String,
    pub name: String,
    pub email: String,
    pub offers: Vec<PrefsOffer>,
}

/// What the preference page's form asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrefsChange {
    /// Withdraw consent for one offer.
    Withdraw(OfferId),
    /// Withdraw consent for everything.
    WithdrawAll,
}

fn prefs_hash(token: &str) -> Result<String> {
    Ok(OptInToken::parse(token)
        .map_err(|_| Error::NotFound("preference page"))?
        .hash())
}

/// The preference page of the person whose link carries `token`.
pub async fn preferences(app: &App, token: &str) -> Result<Preferences> {
    let hash = prefs_hash(token)?;
    let p = app
        .store
        .preferences(&hash)
        .await?
        .ok_or(Error::NotFound("preference page"))?;
    let key = link_key(app)?;
    let base = base(app)?;
    let mut offers = Vec::with_capacity(p.leads.len());
    for lead in &p.leads {
        let Some(offer) = app.store.offer(lead.offer).await? else {
            continue;
        };
        let locale = "en";
        let download_url = match (lead.kind, lead.withdrawn_at_ms) {
            (OfferKind::Asset, None) => {
                let zone = market_zone(app, offer.market).await;
                Some(download_link(app, &key, &base, offer.id, &zone, locale)?.0)
            }
            _ => None,
        };
        offers.push(PrefsOffer {
            offer: offer.id,
            kind: lead.kind,
            title: offer.title().to_owned(),
            confirmed_at: time_of(lead.confirmed_at_ms),
            withdrawn_at: lead.withdrawn_at_ms.map(time_of),
            download_url,
        });
    }
    Ok(Preferences {
        organization: super::public::organization_name(app).await,
        name: p.contact.name.unwrap_or_default(),
        email: p.contact.email.unwrap_or_default(),
        offers,
    })
}

/// Changes the preferences of the person whose link carries `token` (withdraws consent for
/// one offer or all), then answers the page as it is now.
pub async fn change_preferences(
    app: &App,
    token: &str,
    change: PrefsChange,
    visitor: &Visitor,
) -> Result<Preferences> {
    let hash = prefs_hash(token)?;
    app.store
        .withdraw(&WithdrawRequest {
            by: WithdrawBy::PrefsToken {
                sha256: &hash,
                offer: match change {
                    PrefsChange::Withdraw(offer) => Some(offer),
                    PrefsChange::WithdrawAll => None,
                },
            },
            at_ms: Timestamp::now().as_millisecond(),
            ip: &visitor.ip(),
            user_agent: &visitor.user_agent(),
        })
        .await?
        .ok_or(Error::NotFound("preference page"))?;
    preferences(app, token).await
}

/// Deletes submissions nobody confirmed within `[reach] unconfirmed_purge_after` (their ledger
/// rows stay). Run by `chorus serve`'s jobs role every hour. Returns how many went.
pub async fn purge_unconfirmed(app: &App, now: Timestamp) -> Result<u64> {
    let keep = app.config.reach.unconfirmed_purge_after.as_millis() as i64;
    Ok(app
        .store
        .purge_unconfirmed(now.as_millisecond() - keep)
        .await?)
}

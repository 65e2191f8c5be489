//! The public side of Reach: what a visitor does without signing in — open an offer's landing
//! page, send its form, confirm by email, download the asset, withdraw consent, and use the
//! preference page. No `Caller`: the visitor is anonymous, and every capability is in a link
//! (an opt-in token, a signed link), never in a session.
//!
//! Contract:
//! - Only a live offer answers ([`landing`], [`submit`]); anything else is `NotFound("page")`.
//! - A submission stores nothing about a contact: it is pending until the person presses the
//!   confirm button on the emailed link's page ([`confirm_page`] only shows it; [`confirm`]
//!   confirms, once, before the token expires: `[reach] confirm_token_ttl`).
//! - A filled honeypot (`website`) is answered as a success and stores nothing. A form whose
//!   signed token (`form`) is missing, forged or older than a day is refused (the public form's
//!   CSRF protection: a post must come from a page this server rendered).
//! - The per-address rate limits (`[reach] submissions_per_email_per_hour`,
//!   `submissions_per_network_per_minute`, the network being the truncated client address) are
//!   checked before anything is written: `RateLimited`, saying when to try again.
//! - The text the form showed is the text stored: the form carries its consent text's id, and
//!   the ledger copies that version's body and hash.
//! - Every mail carries a one-click withdrawal link (`List-Unsubscribe`, RFC 8058).
//!
//! Links live under the installation's public address: `/r/{slug}`, `/r/confirm/{token}`,
//! `/r/download/{signed}`, `/r/unsubscribe/{signed}`, `/r/prefs/{token}`.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use chorus_core::ids::{OfferId, SubmissionId};
use chorus_core::org::Locale;
use chorus_core::reach::attribution::Utm;
use chorus_core::reach::form::{self, FormDefinition};
use chorus_core::reach::signed::LinkKey;
use chorus_core::reach::token::OptInToken;
use chorus_core::reach::{OfferKind, OfferState, RegistrationState, consent, ip};
use chorus_store::{ConfirmOutcome, ConfirmRequest, NewSubmission, ReachMail, SubmissionState};
use jiff::Timestamp;

use super::public_mail::{self, Fill, Kind};
use super::{ConsentText, Offer};
use crate::{App, Error, Result};

/// How long a rendered landing form may be sent.
pub const FORM_MAX_AGE: Duration = Duration::from_secs(24 * 3600);

/// The name of the honeypot field: hidden from people and screen readers, filled by bots.
pub const HONEYPOT: &str = "website";

/// A landing page as the visitor sees it.
#[derive(Debug, Clone)]
pub struct Landing {
    /// The organization's name (the page's brand).
    pub organization: String,
    pub offer: Offer,
    /// The page's locale (the visitor's, else the market's first, else any).
    pub locale: String,
    pub title: String,
    pub description: String,
    /// The consent text shown beside the checkbox, exactly as stored.
    pub consent: ConsentText,
    pub fields: FormDefinition,
    /// The signed token the form carries back.
    pub form_token: String,
    /// The webinar's time in the visitor's words, if the offer is one.
    pub when: Option<String>,
    /// A webinar's seats in the visitor's words ("3 seats left", "Full – waitlist open"; empty
    /// without a limit): `webinars::seats_line`.
    pub seats: Option<String>,
}

/// The form as sent.
#[derive(Debug, Clone, Default)]
pub struct SubmitInput {
    pub slug: String,
    pub email: String,
    pub name: String,
    /// The consent checkbox (`on` when ticked).
    pub consent: String,
    /// The id of the consent text the form showed.
    pub consent_text: String,
    /// The form's signed token.
    pub form: String,
    /// The honeypot.
    pub website: String,
    /// The page's locale.
    pub locale: String,
    /// Custom fields' answers, by key.
    pub fields: BTreeMap<String, String>,
    /// The landing page's query string (its UTM tags).
    pub query: String,
    pub ip: Option<IpAddr>,
    pub user_agent: String,
}

/// What a sent form did. Both are answered alike ("check your inbox"), so a bot learns nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submitted {
    /// Stored and the confirmation mail queued.
    Queued(SubmissionId),
    /// The honeypot was filled: nothing stored.
    Ignored,
}

/// Who acts on a public link (for the ledger's "how").
#[derive(Debug, Clone, Default)]
pub struct Visitor {
    pub ip: Option<IpAddr>,
    pub user_agent: String,
}

impl Visitor {
    pub(crate) fn ip(&self) -> String {
        self.ip.map_or_else(|| "unknown".to_owned(), ip::truncate)
    }

    pub(crate) fn user_agent(&self) -> String {
        clean_header(&self.user_agent, 500)
    }
}

pub(crate) fn link_key(app: &App) -> Result<LinkKey> {
    app.secret_key
        .as_ref()
        .map(|k| LinkKey::derive(k.as_bytes()))
        .ok_or_else(|| {
            Error::Unavailable(
                "Reach's links need the installation's secret key; this server has none".into(),
            )
        })
}

pub(crate) fn base(app: &App) -> Result<String> {
    app.public_url()
        .map(|b| b.as_str().trim_end_matches('/').to_owned())
        .ok_or_else(|| Error::Unavailable("Reach's links need the public address".into()))
}

pub(crate) fn clean_header(s: &str, max: usize) -> String {
    s.chars().filter(|c| !c.is_control()).take(max).collect()
}

/// The organization's name, for the public pages' brand (empty when it cannot be read: the
/// page still works).
pub async fn organization_name(app: &App) -> String {
    match app.store.organization().await {
        Ok(Some(o)) => o.name,
        _ => String::new(),
    }
}

/// A live offer by slug, or `NotFound("page")`.
pub(crate) async fn live_offer(app: &App, slug: &str) -> Result<Offer> {
    if slug.is_empty() || slug.len() > 100 {
        return Err(Error::NotFound("page"));
    }
    match app.store.offer_by_slug(slug).await? {
        Some(o) if o.state == OfferState::Live => Ok(o),
        _ => Err(Error::NotFound("page")),
    }
}

/// The page locale for a visitor who asked for `wanted`: that locale or its language, else
/// the market's first locale, else the offer's first page.
fn page_locale(offer: &Offer, wanted: Option<&str>, market_first: Option<&str>) -> String {
    let language = |l: &str| l.split('-').next().unwrap_or(l).to_ascii_lowercase();
    let find = |want: &str| {
        offer
            .pages
            .iter()
            .find(|p| p.locale.eq_ignore_ascii_case(want))
            .or_else(|| {
                offer
                    .pages
                    .iter()
                    .find(|p| language(&p.locale) == language(want))
            })
    };
    wanted
        .and_then(find)
        .or_else(|| market_first.and_then(find))
        .or_else(|| offer.pages.first())
        .map_or_else(|| "en".to_owned(), |p| p.locale.clone())
}

/// The landing page of live offer `slug` in the visitor's `locale` (else the market's first,
/// else any), with the market's current consent text for that locale.
pub async fn landing(app: &App, slug: &str, locale: Option<&str>) -> Result<Landing> {
    let offer = live_offer(app, slug).await?;
    let market = app.store.market(offer.market).await?;
    let first = market.locales.first().map(|l| l.as_str().to_owned());
    let locale = page_locale(&offer, locale, first.as_deref());
    let consent = app
        .store
        .current_consent_text(offer.market, &locale)
        .await?
        .ok_or_else(|| {
            Error::Unavailable("this form is not open yet: it has no consent text".into())
        })?;
    let fields = FormDefinition::parse(&offer.fields_json)
        .map_err(|e| Error::Internal(format!("offer {} has bad fields: {e}", offer.id.0)))?;
    let (title, description) = offer
        .page(&locale)
        .map(|p| (p.title.clone(), p.description.clone()))
        .unwrap_or_else(|| (offer.slug.clone(), String::new()));
    let when = offer.webinar.as_ref().and_then(|w| {
        let zone = chorus_core::org::TimeZoneName::parse(&w.time_zone).ok()?;
        Some(chorus_core::reach::webinar::when_text(
            w.starts_at,
            w.duration_minutes,
            &zone,
            &locale,
        ))
    });
    let seats = super::webinars::seats_line(app, &offer, &locale)
        .await?
        .filter(|s| !s.is_empty());
    let form_token = link_key(app)?.sign_form(&offer.slug, Timestamp::now());
    let organization = organization_name(app).await;
    Ok(Landing {
        seats,
        organization,
        locale,
        title,
        description,
        consent,
        fields,
        form_token,
        when,
        offer,
    })
}

/// Minutes (at least 1) until `first_ms + window` passes `now_ms`.
fn minutes_until(first_ms: Option<i64>, window: Duration, now_ms: i64) -> u64 {
    let free_at = first_ms.unwrap_or(now_ms) + window.as_millis() as i64;
    (((free_at - now_ms).max(0) as u64).div_ceil(60_000)).max(1)
}

fn rate_limited(minutes: u64) -> Error {
    let unit = if minutes == 1 { "minute" } else { "minutes" };
    Error::RateLimited {
        message: format!("too many requests from this address; try again in {minutes} {unit}"),
        retry_after_secs: minutes * 60,
    }
}

/// When a link stops working, in the visitor's words, on the market's clock.
pub(crate) fn when_words(at: Timestamp, zone: &str, locale: &str) -> String {
    let zoned = match jiff::tz::TimeZone::get(zone) {
        Ok(tz) => at.to_zoned(tz),
        Err(_) => at.to_zoned(jiff::tz::TimeZone::UTC),
    };
    if locale.starts_with("fi") {
        zoned.strftime("%-d.%-m.%Y klo %H.%M %Z").to_string()
    } else {
        zoned.strftime("%-d %B %Y, %H:%M %Z").to_string()
    }
}

/// `raw` as a locale, else English.
pub(crate) fn locale_or_en(raw: &str) -> Result<Locale> {
    Locale::parse(raw)
        .or_else(|_| Locale::parse("en"))
        .map_err(|e| Error::Internal(e.message))
}

/// Milliseconds in the tables → an instant (the epoch for a value out of range).
pub(crate) fn time_of(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Sends the landing form of `input.slug`: checked, rate limited, stored with its ledger row,
/// and the confirmation mailed (see the module's contract).
pub async fn submit(app: &App, input: &SubmitInput) -> Result<Submitted> {
    let offer = live_offer(app, &input.slug).await?;
    let key = link_key(app)?;
    let now = Timestamp::now();
    key.verify_form(&input.form, &offer.slug, now, FORM_MAX_AGE)
        .map_err(|_| {
            Error::invalid(
                "form",
                "this form was open too long or did not come from this page; please send it again",
            )
        })?;
    if !input.website.trim().is_empty() {
        return Ok(Submitted::Ignored);
    }
    let email = form::parse_email(&input.email).map_err(|e| Error::invalid("email", e.message))?;
    let name = form::parse_name(&input.name).map_err(|e| Error::invalid("name", e.message))?;
    let fields = FormDefinition::parse(&offer.fields_json)
        .map_err(|e| Error::Internal(format!("offer {} has bad fields: {e}", offer.id.0)))?;
    let answers = fields.answers(&input.fields)?;
    if !matches!(input.consent.trim(), "on" | "true" | "1" | "yes") {
        return Err(Error::invalid(
            "consent",
            "tick the box to agree; without it we cannot send this to you",
        ));
    }
    let text_id = input
        .consent_text
        .trim()
        .parse::<i64>()
        .map(chorus_core::ids::ConsentTextId)
        .map_err(|_| Error::invalid("consent", "the form is incomplete; reload the page"))?;
    let settings = &app.config.reach;
    let visitor = Visitor {
        ip: input.ip,
        user_agent: input.user_agent.clone(),
    };
    let network = visitor.ip();
    let now_ms = now.as_millisecond();
    let hour = Duration::from_secs(3600);
    let minute = Duration::from_secs(60);
    let recent = app
        .store
        .recent_submissions(
            email.as_str(),
            now_ms - hour.as_millis() as i64,
            &network,
            now_ms - minute.as_millis() as i64,
            i64::from(
                settings
                    .submissions_per_email_per_hour
                    .max(settings.submissions_per_network_per_minute),
            ),
        )
        .await?;
    if recent.by_email >= i64::from(settings.submissions_per_email_per_hour) {
        return Err(rate_limited(minutes_until(
            recent.first_by_email_ms,
            hour,
            now_ms,
        )));
    }
    if recent.by_network >= i64::from(settings.submissions_per_network_per_minute) {
        return Err(rate_limited(minutes_until(
            recent.first_by_network_ms,
            minute,
            now_ms,
        )));
    }
    let base = base(app)?;
    let market = app.store.market(offer.market).await?;
    let locale = locale_or_en(input.locale.trim())?;
    let title = offer
        .page(locale.as_str())
        .map_or_else(|| offer.title().to_owned(), |p| p.title.clone());
    let token = OptInToken::generate();
    let expires = now
        .checked_add(jiff::SignedDuration::try_from(settings.confirm_token_ttl).unwrap_or_default())
        .unwrap_or(now);
    let query = clean_header(input.query.trim_start_matches('?'), 1500);
    let page_url = match query.is_empty() {
        true => format!("{base}/r/{}", offer.slug),
        false => format!("{base}/r/{}?{query}", offer.slug),
    };
    let utm = Utm::from_query(&query);
    let answers_json = serde_json::to_string(&answers).unwrap_or_else(|_| "{}".into());
    let expires_words = when_words(expires, market.timezone.as_str(), locale.as_str());
    let confirm_url = format!("{base}/r/confirm/{}", token.as_str());
    let submission = NewSubmission {
        offer: offer.id,
        email: email.as_str().to_owned(),
        email_sha256: consent::email_digest(email.as_str()),
        name: name.clone(),
        answers_json,
        locale: locale.as_str().to_owned(),
        consent_text: text_id,
        form_version: offer.form_version,
        token_sha256: token.hash(),
        expires_at_ms: expires.as_millisecond(),
        ip: network,
        user_agent: visitor.user_agent(),
        page_url,
        utm,
        at_ms: now_ms,
    };
    // Rendered once the submission has its id (the withdrawal link names it), inside the
    // transaction, which on SQLite runs on another thread: the closure owns what it needs.
    let to = submission.email.clone();
    let mail = move |id| {
        let withdraw_url = format!("{base}/r/unsubscribe/{}", key.sign_withdrawal(id));
        let templates = public_mail::templates(
            Kind::Confirm,
            &Fill {
                name: &name,
                title: &title,
                action_url: &confirm_url,
                expires: &expires_words,
                prefs_url: "",
                withdraw_url: &withdraw_url,
            },
        );
        let (used, t) = templates.pick(&locale);
        ReachMail {
            to,
            subject: t.subject.clone(),
            text: t.text.clone(),
            html: t.html.clone(),
            list_unsubscribe: Some(format!("<{withdraw_url}>")),
            one_click: true,
            locale: used.to_owned(),
        }
    };
    let id = app
        .store
        .submit(submission, mail)
        .await
        .map_err(|e| match e {
            // The form's consent text is not one of the offer's market: a forged form.
            chorus_store::StoreError::Reference(_) => {
                Error::invalid("consent", "the form is incomplete; reload the page")
            }
            other => Error::from(other),
        })?;
    Ok(Submitted::Queued(id))
}

/// Where a confirmation link stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// Waiting for the button.
    Pending,
    /// Used already (it works once).
    Used,
    /// Too old.
    Expired,
}

/// What the confirmation page shows before anything is confirmed.
#[derive(Debug, Clone)]
pub struct ConfirmPage {
    pub state: LinkState,
    pub kind: OfferKind,
    pub title: String,
    pub email: String,
    pub locale: String,
    pub expires_at: Timestamp,
    /// Expiry in the visitor's words.
    pub expires: String,
}

pub(crate) async fn market_zone(app: &App, market: chorus_core::MarketId) -> String {
    match app.store.market(market).await {
        Ok(m) => m.timezone.as_str().to_owned(),
        Err(_) => "UTC".to_owned(),
    }
}

/// The page a confirmation link opens (GET): what pressing its button will confirm. Confirms
/// nothing (mail scanners open links). An unknown or malformed token is `NotFound`.
pub async fn confirm_page(app: &App, token: &str) -> Result<ConfirmPage> {
    let token = OptInToken::parse(token).map_err(|_| Error::NotFound("confirmation link"))?;
    let s = app
        .store
        .submission_by_token(&token.hash())
        .await?
        .ok_or(Error::NotFound("confirmation link"))?;
    let offer = app
        .store
        .offer(s.offer)
        .await?
        .ok_or(Error::NotFound("confirmation link"))?;
    let now = Timestamp::now().as_millisecond();
    let state = match s.state {
        SubmissionState::Confirmed => LinkState::Used,
        SubmissionState::Pending if now >= s.expires_at_ms => LinkState::Expired,
        SubmissionState::Pending => LinkState::Pending,
    };
    let expires_at = time_of(s.expires_at_ms);
    let zone = market_zone(app, s.market).await;
    Ok(ConfirmPage {
        state,
        kind: offer.kind,
        title: offer
            .page(&s.locale)
            .map_or_else(|| offer.title().to_owned(), |p| p.title.clone()),
        email: s.email,
        expires: when_words(expires_at, &zone, &s.locale),
        locale: s.locale,
        expires_at,
    })
}

/// What pressing confirm did.
#[derive(Debug, Clone)]
pub enum ConfirmAnswer {
    Confirmed(Box<Confirmed>),
    /// The link was used before; nothing changed.
    AlreadyUsed {
        title: String,
        locale: String,
    },
    /// The link expired; nothing changed. `expires` in words.
    Expired {
        title: String,
        locale: String,
        slug: String,
        expires: String,
    },
}

/// A confirmation that went through.
#[derive(Debug, Clone)]
pub struct Confirmed {
    pub offer: OfferId,
    pub kind: OfferKind,
    pub title: String,
    pub locale: String,
    /// An asset's signed download link (also mailed).
    pub download_url: Option<String>,
    /// When it stops working, in words.
    pub download_expires: Option<String>,
    /// The person's preference page.
    pub prefs_url: String,
    /// A webinar's seat.
    pub seat: Option<RegistrationState>,
    /// The webinar's time in words.
    pub when: Option<String>,
}

/// Presses confirm (POST) on the link with `token`: once, before it expires. See
/// `chorus_store::Store::confirm` for what one transaction writes; an asset's download link is
/// mailed with it, a webinar's invitation (or waitlist notice) right after it commits.
pub async fn confirm(app: &App, token: &str, visitor: &Visitor) -> Result<ConfirmAnswer> {
    let token = OptInToken::parse(token).map_err(|_| Error::NotFound("confirmation link"))?;
    let hash = token.hash();
    let s = app
        .store
        .submission_by_token(&hash)
        .await?
        .ok_or(Error::NotFound("confirmation link"))?;
    let offer = app
        .store
        .offer(s.offer)
        .await?
        .ok_or(Error::NotFound("confirmation link"))?;
    let key = link_key(app)?;
    let base = base(app)?;
    let locale = locale_or_en(&s.locale)?;
    let title = offer
        .page(&s.locale)
        .map_or_else(|| offer.title().to_owned(), |p| p.title.clone());
    let zone = market_zone(app, s.market).await;
    let email_sha256 = consent::email_digest(&s.email);
    let prefs = key.prefs_token(&email_sha256);
    let prefs_url = format!("{base}/r/prefs/{}", prefs.as_str());
    let withdraw_url = format!("{base}/r/unsubscribe/{}", key.sign_withdrawal(s.id));
    let now = Timestamp::now();
    let (download_url, download_expires) = match offer.kind {
        OfferKind::Asset => {
            let (url, words) = download_link(app, &key, &base, offer.id, &zone, &s.locale)?;
            (Some(url), Some(words))
        }
        OfferKind::Webinar => (None, None),
    };
    let mail = download_url.as_ref().map(|url| {
        let templates = public_mail::templates(
            Kind::Download,
            &Fill {
                name: &s.name,
                title: &title,
                action_url: url,
                expires: download_expires.as_deref().unwrap_or(""),
                prefs_url: &prefs_url,
                withdraw_url: &withdraw_url,
            },
        );
        let (used, t) = templates.pick(&locale);
        ReachMail {
            to: s.email.clone(),
            subject: t.subject.clone(),
            text: t.text.clone(),
            html: t.html.clone(),
            list_unsubscribe: Some(format!("<{withdraw_url}>")),
            one_click: true,
            locale: used.to_owned(),
        }
    });
    let outcome = app
        .store
        .confirm(
            &ConfirmRequest {
                token_sha256: &hash,
                at_ms: now.as_millisecond(),
                prefs_token_sha256: &prefs.hash(),
                ip: &visitor.ip(),
                user_agent: &visitor.user_agent(),
                mail: mail.as_ref(),
            },
            &email_sha256,
        )
        .await?;
    let c = match outcome {
        ConfirmOutcome::Confirmed(c) => c,
        ConfirmOutcome::AlreadyConfirmed { .. } => {
            return Ok(ConfirmAnswer::AlreadyUsed {
                title,
                locale: s.locale,
            });
        }
        ConfirmOutcome::Expired { at_ms, .. } => {
            return Ok(ConfirmAnswer::Expired {
                title,
                expires: when_words(time_of(at_ms), &zone, &s.locale),
                locale: s.locale,
                slug: offer.slug,
            });
        }
        ConfirmOutcome::Unknown => return Err(Error::NotFound("confirmation link")),
    };
    if let Some((registration, _)) = c.seat
        && let Err(e) = super::webinars::send_invitation(app, registration).await
    {
        // The confirmation stands; the invitation can be sent again by staff.
        tracing::warn!(error = %e, registration = registration.0, "queueing a webinar invitation failed");
    }
    let when = offer.webinar.as_ref().and_then(|w| {
        let zone = chorus_core::org::TimeZoneName::parse(&w.time_zone).ok()?;
        Some(chorus_core::reach::webinar::when_text(
            w.starts_at,
            w.duration_minutes,
            &zone,
            &s.locale,
        ))
    });
    Ok(ConfirmAnswer::Confirmed(Box::new(Confirmed {
        offer: offer.id,
        kind: offer.kind,
        title,
        locale: s.locale,
        download_url,
        download_expires,
        prefs_url,
        seat: c.seat.map(|(_, state)| state),
        when,
    })))
}

/// A fresh signed download link for `offer` and when it stops working, in words.
pub(crate) fn download_link(
    app: &App,
    key: &LinkKey,
    base: &str,
    offer: OfferId,
    zone: &str,
    locale: &str,
) -> Result<(String, String)> {
    let now = Timestamp::now();
    let ttl = jiff::SignedDuration::try_from(app.config.reach.download_link_ttl)
        .unwrap_or(jiff::SignedDuration::from_hours(24));
    let expires = now.checked_add(ttl).unwrap_or(now);
    Ok((
        format!("{base}/r/download/{}", key.sign(offer, expires)),
        when_words(expires, zone, locale),
    ))
}

pub use super::public_links::*;

#[cfg(test)]
mod tests {
    use super::*;

    fn offer_with(locales: &[&str]) -> Offer {
        Offer {
            id: OfferId(1),
            kind: OfferKind::Asset,
            market: chorus_core::MarketId(1),
            slug: "guide".into(),
            campaign: None,
            state: OfferState::Live,
            fields_json: "[]".into(),
            form_version: 1,
            pages: locales
                .iter()
                .map(|l| super::super::OfferPage {
                    locale: (*l).into(),
                    title: format!("title {l}"),
                    description: String::new(),
                })
                .collect(),
            asset: None,
            webinar: None,
            created_at: Timestamp::UNIX_EPOCH,
            updated_at: Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn the_page_is_the_visitors_locale_else_the_markets_first_else_any() {
        let offer = offer_with(&["en", "fi", "sv-FI"]);
        for (wanted, market, used) in [
            (Some("fi"), Some("fi-FI"), "fi"),
            (Some("fi-FI"), None, "fi"),
            (Some("sv-FI"), Some("fi-FI"), "sv-FI"),
            (Some("sv"), Some("fi-FI"), "sv-FI"),
            (Some("de"), Some("fi-FI"), "fi"),
            (Some("de"), Some("ja-JP"), "en"),
            (None, Some("fi-FI"), "fi"),
            (None, None, "en"),
        ] {
            assert_eq!(
                page_locale(&offer, wanted, market),
                used,
                "{wanted:?} {market:?}"
            );
        }
        assert_eq!(page_locale(&offer_with(&[]), Some("fi"), None), "en");
    }

    #[test]
    fn a_rate_limit_says_when_it_lifts_in_whole_minutes() {
        let hour = Duration::from_secs(3600);
        let now = 10_000_000;
        assert_eq!(minutes_until(Some(now), hour, now), 60);
        assert_eq!(minutes_until(Some(now - 59 * 60_000 - 1), hour, now), 1);
        assert_eq!(minutes_until(Some(now - 30 * 60_000), hour, now), 30);
        assert_eq!(
            minutes_until(Some(now - 30 * 60_000 + 1), hour, now),
            31,
            "rounded up"
        );
        assert_eq!(
            minutes_until(Some(now - 2 * 3_600_000), hour, now),
            1,
            "never 0"
        );
        let e = rate_limited(1);
        assert_eq!(
            e.to_string(),
            "too many requests from this address; try again in 1 minute"
        );
        assert!(matches!(
            e,
            Error::RateLimited {
                retry_after_secs: 60,
                ..
            }
        ));
        assert!(rate_limited(5).to_string().ends_with("in 5 minutes"));
    }

    #[test]
    fn expiry_is_written_on_the_markets_clock_in_the_visitors_words() {
        let at: Timestamp = "2026-12-10T07:16:00Z".parse().unwrap();
        assert_eq!(
            when_words(at, "Europe/Helsinki", "en"),
            "10 December 2026, 09:16 EET"
        );
        assert_eq!(
            when_words(at, "Europe/Helsinki", "fi-FI"),
            "10.12.2026 klo 09.16 EET"
        );
        assert_eq!(
            when_words(at, "Not/AZone", "en"),
            "10 December 2026, 07:16 UTC"
        );
    }

    #[test]
    fn what_a_visitor_sends_in_headers_is_one_bounded_line() {
        let v = Visitor {
            ip: Some("2001:db8:1:2::9".parse().unwrap()),
            user_agent: format!("Evil\r\nX: 1{}", "a".repeat(1000)),
        };
        assert_eq!(v.ip(), "2001:db8:1::/48");
        assert!(!v.user_agent().contains(['\r', '\n']));
        assert_eq!(v.user_agent().chars().count(), 500);
        assert_eq!(Visitor::default().ip(), "unknown");
    }
}

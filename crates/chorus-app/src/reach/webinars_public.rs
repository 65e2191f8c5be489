//! The seat page a registrant reaches from the link in every mail about their seat
//! (`webinars::cancel_url`): what their seat is, and a button that cancels it. Anyone holding
//! the link may use it (it is the person's own, 128 random bits); opening it changes nothing
//! (mail scanners open links), only the button's POST — or a mail program's RFC 8058
//! one-click POST — cancels. A freed seat goes to the first waiting in the same transaction,
//! who is mailed the invitation.

use chorus_core::audit::Author;
use chorus_core::org::TimeZoneName;
use chorus_core::reach::RegistrationState;
use chorus_core::reach::webinar::when_text;
use chorus_store::reach::RegistrationNotice;
use jiff::Timestamp;

use super::webinars::notify;
use super::webinars_mail::Notice;
use crate::{App, Error, Result};

/// A seat as its holder sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicSeat {
    pub title: String,
    /// In the webinar's zone, in the person's language.
    pub when: String,
    pub state: RegistrationState,
    pub webinar_cancelled: bool,
    /// The locale the person registered in (for the page's words).
    pub locale: String,
}

async fn find(app: &App, token: &str) -> Result<RegistrationNotice> {
    let token = token.trim();
    if token.len() != 32 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::NotFound("seat"));
    }
    app.store
        .registration_by_cancel_token(token)
        .await?
        .ok_or(Error::NotFound("seat"))
}

fn public(n: &RegistrationNotice) -> PublicSeat {
    let when = TimeZoneName::parse(&n.time_zone)
        .map(|z| when_text(n.starts_at, n.duration_minutes, &z, &n.locale))
        .unwrap_or_else(|_| n.starts_at.to_string());
    PublicSeat {
        title: n.title.clone(),
        when,
        state: n.state,
        webinar_cancelled: n.webinar_cancelled_at.is_some(),
        locale: n.locale.clone(),
    }
}

/// The seat whose link holds `token` (`NotFound` for any other token).
pub async fn seat(app: &App, token: &str) -> Result<PublicSeat> {
    Ok(public(&find(app, token).await?))
}

/// Cancels the seat whose link holds `token`. Cancelling a seat already cancelled changes
/// nothing and answers it as it is, so pressing twice (or a one-click POST after the button)
/// is not an error.
pub async fn cancel(app: &App, token: &str) -> Result<PublicSeat> {
    let n = find(app, token).await?;
    if n.state == RegistrationState::Cancelled {
        return Ok(public(&n));
    }
    let now = Timestamp::now();
    let out = match app
        .store
        .cancel_registration(&Author::system("registrant"), n.id, now)
        .await
    {
        Ok(out) => out,
        // Cancelled meanwhile (a second click racing the first).
        Err(chorus_store::StoreError::State(_)) => return seat(app, token).await,
        Err(e) => return Err(e.into()),
    };
    let after = find(app, token).await?;
    if out.was == RegistrationState::Registered {
        notify(app, &after, Notice::SeatCancelled, now).await?;
    }
    for p in out.promoted {
        if let Some(promoted) = app.store.registration_notice(p).await? {
            notify(app, &promoted, Notice::Promoted, now).await?;
        }
    }
    Ok(public(&after))
}

//! Mails about webinar seats: the invitation (or the waitlist notice) once a person confirms,
//! the invitation again when a seat is theirs after waiting, updates when the time or place
//! changes, cancellations, and reminders.
//!
//! The contract:
//! - Each mail is queued in the outbox under a key that names the seat and what it says
//!   (`webinar-invitation:{registration}:{sequence}`, `webinar-waitlist:{registration}`,
//!   `webinar-update:…:{sequence}`, `webinar-cancel:…:{sequence}`,
//!   `webinar-seat-cancelled:{registration}`, `webinar-reminder:{registration}:{24h|1h}`), so
//!   calling twice — a retried job, a restart between queueing and finishing — mails once.
//! - Invitations, updates and cancellations carry the seat's `.ics` (`chorus_core::reach::ics`:
//!   its stable UID, the webinar's SEQUENCE, `METHOD:REQUEST` or `METHOD:CANCEL`), attached as
//!   `text/calendar; method=…`.
//! - Every mail ends with the link that cancels the seat, also its `List-Unsubscribe` with
//!   RFC 8058's one-click POST (cancelling the seat is what stops these mails), and the
//!   opt-in's withdrawal link (`/r/unsubscribe/…`, when the installation has its secret key).
//! - Nobody is mailed who withdrew consent or was erased.
//!
//! These functions do not authorize: they are called after a confirmation (the public flow),
//! by the staff use cases that changed something (which authorized), and by the reminder job.

use chorus_core::RegistrationId;
use chorus_core::org::{Locale, TimeZoneName};
use chorus_core::reach::RegistrationState;
use chorus_core::reach::ics::{self, Invitation, Method, Party};
use chorus_core::reach::webinar::when_text;
use chorus_core::user::Email;
use chorus_store::reach::RegistrationNotice;
use jiff::Timestamp;

use super::webinars_mail::{Fill, Notice, has_ics, templates};
use crate::mail::{self, MailAttachment, Outgoing};
use crate::{App, Error, Result};

/// The path under the public address of the page that cancels a seat, before its token.
pub const CANCEL_PATH: &str = "/r/seat/";

/// The link that cancels the seat with `token`, when the installation's public address is known.
pub fn cancel_url(app: &App, token: &str) -> Option<String> {
    app.public_url()
        .map(|base| format!("{}{CANCEL_PATH}{token}", base.as_str()))
}

/// What a webinar's landing page says about its seats in `locale` ("3 seats left", "Full –
/// waitlist open", "Cancelled"; empty without a limit); `None` for an asset. Public: the
/// landing page shows it to anyone.
pub async fn seats_line(app: &App, offer: &super::Offer, locale: &str) -> Result<Option<String>> {
    let Some(w) = &offer.webinar else {
        return Ok(None);
    };
    let (registered, waiting) = app.store.seat_counts(offer.id).await?;
    Ok(Some(chorus_core::reach::webinar::seats_text(
        w.capacity,
        registered,
        waiting,
        w.cancelled_at.is_some(),
        locale,
    )))
}

/// Mails the person of `registration` what their seat is now: the invitation (registered, with
/// the `.ics`), the waitlist notice (waitlisted) or the cancellation (the webinar was cancelled
/// before they confirmed). Called after a confirmation commits; queued once per seat and
/// SEQUENCE, so a second call mails nothing.
pub async fn send_invitation(app: &App, registration: RegistrationId) -> Result<()> {
    let Some(n) = app.store.registration_notice(registration).await? else {
        return Err(Error::NotFound("registration"));
    };
    let notice = match n.state {
        RegistrationState::Registered => Notice::Invitation,
        RegistrationState::Waitlisted => Notice::Waitlisted,
        RegistrationState::Cancelled if n.webinar_cancelled_at.is_some() => {
            Notice::WebinarCancelled
        }
        RegistrationState::Cancelled => return Ok(()),
    };
    notify(app, &n, notice, Timestamp::now()).await.map(|_| ())
}

/// The outbox key of `notice` about seat `n`.
pub fn mail_key(n: &RegistrationNotice, notice: Notice) -> String {
    let (id, seq) = (n.id.0, n.sequence);
    match notice {
        // A promotion is the seat's invitation: it never had one while it waited.
        Notice::Invitation | Notice::Promoted => format!("webinar-invitation:{id}:{seq}"),
        Notice::Waitlisted => format!("webinar-waitlist:{id}"),
        Notice::Updated => format!("webinar-update:{id}:{seq}"),
        Notice::WebinarCancelled => format!("webinar-cancel:{id}:{seq}"),
        Notice::SeatCancelled => format!("webinar-seat-cancelled:{id}"),
        Notice::Reminder24h => format!("webinar-reminder:{id}:24h"),
        Notice::Reminder1h => format!("webinar-reminder:{id}:1h"),
    }
}

/// Queues `notice` to the person of seat `n`, made at `now`. True when a message was queued,
/// false when there was nobody to mail (withdrawn, erased) or it was queued before.
pub async fn notify(
    app: &App,
    n: &RegistrationNotice,
    notice: Notice,
    now: Timestamp,
) -> Result<bool> {
    if n.withdrawn {
        return Ok(false);
    }
    let Some(to) = n.email.as_deref().and_then(|e| Email::parse(e).ok()) else {
        return Ok(false);
    };
    let zone = TimeZoneName::parse(&n.time_zone)
        .map_err(|e| Error::Internal(format!("webinar {}: {}", n.offer.0, e.message)))?;
    let locale = Locale::parse(&n.locale)
        .or_else(|_| Locale::parse(mail::FALLBACK_LOCALE))
        .map_err(|e| Error::Internal(e.message))?;
    let when = when_text(n.starts_at, n.duration_minutes, &zone, locale.as_str());
    let cancel = n
        .cancel_token
        .as_deref()
        .and_then(|t| cancel_url(app, t))
        .unwrap_or_default();
    // The opt-in's withdrawal link (`/r/unsubscribe/…`, signed with the installation's key):
    // it withdraws consent for this webinar, after which nothing more is mailed.
    let withdraw = super::public::link_key(app)
        .ok()
        .zip(super::public::base(app).ok())
        .map(|(key, base)| format!("{base}/r/unsubscribe/{}", key.sign_withdrawal(n.submission)))
        .unwrap_or_default();
    let fill = Fill {
        name: n.name.as_deref().unwrap_or(""),
        title: &n.title,
        when: &when,
        join_url: &n.join_url,
        cancel_url: &cancel,
        withdraw_url: &withdraw,
    };
    let templates = templates(notice, &fill);
    let (used, template) = templates.pick(&locale);
    let attachments = if has_ics(notice) {
        let method = match notice {
            Notice::WebinarCancelled | Notice::SeatCancelled => Method::Cancel,
            _ => Method::Request,
        };
        let doc = ics::invitation(&Invitation {
            method,
            uid: n.uid.clone(),
            sequence: n.sequence,
            starts_at: n.starts_at,
            duration_minutes: n.duration_minutes,
            zone,
            stamp: now,
            organizer: organizer(app),
            attendee: Party {
                name: fill.name.to_owned(),
                email: to.as_str().to_owned(),
            },
            summary: n.title.clone(),
            description: n.description.clone(),
            location: n.join_url.clone(),
            url: n.join_url.clone(),
        });
        vec![MailAttachment {
            file_name: if method == Method::Cancel {
                "cancel.ics".into()
            } else {
                "invite.ics".into()
            },
            content_type: method.content_type(),
            bytes: doc.into_bytes(),
        }]
    } else {
        Vec::new()
    };
    let ended = matches!(notice, Notice::WebinarCancelled | Notice::SeatCancelled);
    let list_unsubscribe = (!ended && !cancel.is_empty()).then(|| format!("<{cancel}>"));
    let queued = mail::enqueue_with(
        app,
        &Outgoing {
            key: mail_key(n, notice),
            to,
            locale: used.to_owned(),
            template: template.clone(),
            one_click: list_unsubscribe.is_some(),
            list_unsubscribe,
        },
        &attachments,
    )
    .await?;
    Ok(queued.created)
}

/// Who the invitation is from: `reach@` the public address's host (calendar programs show it,
/// and mail replies go to the message's own From anyway).
fn organizer(app: &App) -> Party {
    let host = app
        .public_url()
        .and_then(|b| {
            let rest = b.as_str().split_once("://").map(|(_, r)| r)?;
            let host = rest.split(['/', ':']).next()?;
            (!host.is_empty()).then(|| host.to_owned())
        })
        .unwrap_or_else(|| "localhost".to_owned());
    Party {
        name: "Chorus".into(),
        email: format!("reach@{host}"),
    }
}

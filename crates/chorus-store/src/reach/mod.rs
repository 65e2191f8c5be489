//! Reach's persistence (issue 20; schema in migration 0022): offers (gated assets and
//! webinars) with their landing pages, consent texts per market, locale and version, and —
//! in the modules beside these — submissions, contacts, leads, registrations and the
//! append-only consent ledger.
//!
//! Times are `jiff::Timestamp`s here and milliseconds in the tables.

mod consent_texts;
pub mod contacts;
mod leads;
pub mod ledger;
mod offers;
pub(crate) mod registrations;
pub mod submissions;
mod submit;
mod webinars;

pub use consent_texts::{ConsentText, NewConsentText};
pub use leads::{
    ConsentRecord, LeadCounts, LeadDetail, LeadFilter, LeadGroup, LeadGroupRow, LeadPrinciple,
    LeadRow, OfferCounts, Touch,
};
pub use offers::{AssetFile, NewOffer, Offer, OfferFilter, OfferPage, Webinar};
pub use registrations::{RegistrationNotice, SeatCancelled};
pub use submit::NewSubmission;
pub use webinars::{AttendanceReport, DueReminder, Registrant, WebinarChange, WebinarChanged};

use crate::StoreError;

/// Milliseconds in the tables → an instant.
pub(crate) fn instant(ms: i64) -> Result<jiff::Timestamp, StoreError> {
    jiff::Timestamp::from_millisecond(ms)
        .map_err(|e| StoreError::corrupt("time", format!("{ms} ms is out of range: {e}")))
}

/// An instant → milliseconds in the tables.
pub(crate) fn millis(at: jiff::Timestamp) -> i64 {
    at.as_millisecond()
}

//! Reach's use cases (issue 20): offers (gated assets and webinars) and their consent texts,
//! managed with `Action::ManageReach`; the public landing pages, double opt-in, withdrawal and
//! preferences, which anyone may use (the visitor is not a `Caller`); leads and registrants,
//! personal data read with `Action::ReadLeads` in their market.
//!
//! The store base is `chorus_store::reach` (migration 0022).

mod settings;

pub use settings::ReachSettings;

pub use chorus_store::reach::{
    AssetFile, ConsentText, NewConsentText, NewOffer, Offer, OfferFilter, OfferPage, Webinar,
};

pub mod consent_texts;
pub mod files;
pub mod leads;
pub mod offers;
pub mod public;
mod public_links;
pub mod public_mail;
pub mod subject;
pub mod webinars;
pub mod webinars_mail;
pub mod webinars_manage;
pub mod webinars_new;
pub mod webinars_public;
pub mod webinars_reminders;

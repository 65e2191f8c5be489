//! Reach: the vocabulary of gated assets and webinars ("offers"), their forms, double opt-in,
//! the consent ledger and lead attribution (issue 20). Pure: no IO.
//!
//! The shape, end to end: a person opens an offer's public landing page (its address may carry
//! the UTM tags of the post that brought them), fills in the form and ticks the consent text of
//! the offer's market and their locale; Chorus stores a *submission* (pending) and a `submitted`
//! row in the consent ledger, and emails a confirmation link whose token expires and works once.
//! Opening the link shows a confirm button (a GET never confirms: mail scanners open links);
//! pressing it creates the *contact* (if new) and the *lead* (contact × offer, attributed to the
//! story named by `utm_content=story-<id>`), writes `confirmed` to the ledger, and then hands
//! over the asset through a signed, expiring link, or registers the person for the webinar (or
//! puts them on its waitlist). Every email carries a one-click withdrawal.
//!
//! Schema: migration 0022 (`reach_*` tables in `chorus-store`).

pub mod attribution;
pub mod consent;
pub mod form;
pub mod ics;
pub mod ip;
pub mod offer;
pub mod signed;
pub mod sniff;
pub mod token;
pub mod webinar;

use std::fmt;

/// What an offer gives in exchange for the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OfferKind {
    /// A file (a PDF, a report) handed over after confirmation.
    Asset,
    /// An online event with a time, a time zone and maybe a capacity.
    Webinar,
}

/// Where an offer is in its life. Only a live offer's landing page answers the public.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OfferState {
    Draft,
    Live,
    /// No new submissions; confirmations of earlier ones still work.
    Closed,
}

/// A webinar seat's state. The waitlist is served in the order people confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegistrationState {
    Registered,
    Waitlisted,
    Cancelled,
}

/// One kind of row in the consent ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConsentEvent {
    /// The form was sent (consent given, not yet confirmed).
    Submitted,
    /// The person pressed confirm on the emailed link (double opt-in complete).
    Confirmed,
    /// The person withdrew consent (from an email's link or the preference page).
    Withdrawn,
    /// A copy of the person's data was exported (a data-subject request).
    Exported,
    /// The person's data was erased; the ledger keeps only the proof.
    Erased,
}

/// A stored word that is none of an enum's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} '{value}'")]
pub struct UnknownValue {
    pub what: &'static str,
    pub value: String,
}

macro_rules! stored_words {
    ($ty:ident, $what:literal, $($variant:ident => $word:literal),+ $(,)?) => {
        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The word stored in the database and used in the API.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $word),+
                }
            }

            /// Reads a stored word back.
            pub fn parse(value: &str) -> Result<$ty, UnknownValue> {
                match value {
                    $($word => Ok($ty::$variant),)+
                    _ => Err(UnknownValue { what: $what, value: value.to_owned() }),
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

stored_words!(OfferKind, "offer kind", Asset => "asset", Webinar => "webinar");
stored_words!(OfferState, "offer state", Draft => "draft", Live => "live", Closed => "closed");
stored_words!(
    RegistrationState,
    "registration state",
    Registered => "registered",
    Waitlisted => "waitlisted",
    Cancelled => "cancelled",
);
stored_words!(
    ConsentEvent,
    "consent event",
    Submitted => "submitted",
    Confirmed => "confirmed",
    Withdrawn => "withdrawn",
    Exported => "exported",
    Erased => "erased",
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_words_read_back_and_refuse_others() {
        for kind in OfferKind::ALL {
            assert_eq!(OfferKind::parse(kind.as_str()), Ok(*kind));
        }
        for state in OfferState::ALL {
            assert_eq!(OfferState::parse(state.as_str()), Ok(*state));
        }
        for state in RegistrationState::ALL {
            assert_eq!(RegistrationState::parse(state.as_str()), Ok(*state));
        }
        for event in ConsentEvent::ALL {
            assert_eq!(ConsentEvent::parse(event.as_str()), Ok(*event));
        }
        let err = ConsentEvent::parse("Confirmed").unwrap_err();
        assert_eq!(err.to_string(), "unknown consent event 'Confirmed'");
    }
}

//! Reach (issue 20): offers, consent texts, the public double opt-in, contacts, leads and the
//! append-only consent ledger.

pub mod contacts;
pub mod ledger;
pub mod submissions;

//! Reach (issue 20): offers, consent texts, submissions, contacts, leads and the consent ledger
//! (migration 0022).

mod leads;

pub use leads::{
    ConsentRecord, LeadCounts, LeadDetail, LeadFilter, LeadGroup, LeadGroupRow, LeadPrinciple,
    LeadRow, OfferCounts, Touch,
};

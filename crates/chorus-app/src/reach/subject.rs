//! Data-subject requests the staff answer for a person who asks (GDPR Art. 15 and 17): an
//! export of everything Reach holds about an email address, and its erasure.
//!
//! Authorization: `Action::ReadLeads` (personal data). An export covers the markets where the
//! caller reads leads; an address with nothing there is `NotFound` (a refusal never says what
//! another market holds). Erasure removes the person everywhere, so it needs `ReadLeads` in
//! every market where Reach holds something about the address (`Forbidden` otherwise, without
//! naming them). Both append their ledger row naming the caller; erasure leaves the ledger's
//! earlier rows as they are — the proof of what the person agreed to, filed under the hash of
//! their address, which stays.

use chorus_core::permission::{Action, Scope, allows, markets_where};
use chorus_core::reach::consent;
use chorus_core::reach::form;
use jiff::Timestamp;

pub use chorus_store::{Erasure, SubjectExport};

use crate::{App, Caller, Error, Result};

/// Everything Reach holds about `email` in the markets where the caller reads leads, as
/// JSON-able structs; appends an `exported` ledger row naming the caller.
pub async fn export(app: &App, caller: &Caller, email: &str) -> Result<SubjectExport> {
    let email = form::parse_email(email).map_err(|e| Error::invalid("email", e.message))?;
    let hash = consent::email_digest(email.as_str());
    let held = app.store.subject_markets(email.as_str(), &hash).await?;
    let markets = markets_where(&caller.actor, Action::ReadLeads, held.iter().copied());
    let visible = match &markets {
        None => !held.is_empty() || app.store.contact_by_email_sha256(&hash).await?.is_some(),
        Some(ms) => !ms.is_empty(),
    };
    if !visible {
        return Err(Error::NotFound("person"));
    }
    Ok(app
        .store
        .export_subject(
            email.as_str(),
            &hash,
            markets.as_deref(),
            caller.user_id(),
            Timestamp::now().as_millisecond(),
        )
        .await?)
}

/// Erases `email` from Reach (see `chorus_store::Store::erase_subject`). The caller must read
/// leads in every market where Reach holds something about the address.
pub async fn erase(app: &App, caller: &Caller, email: &str) -> Result<Erasure> {
    let email = form::parse_email(email).map_err(|e| Error::invalid("email", e.message))?;
    let hash = consent::email_digest(email.as_str());
    let held = app.store.subject_markets(email.as_str(), &hash).await?;
    let readable: Vec<_> = held
        .iter()
        .filter(|m| allows(&caller.actor, Action::ReadLeads, Scope::Market(**m)))
        .collect();
    if held.is_empty() {
        let global = allows(&caller.actor, Action::ReadLeads, Scope::Global);
        if !(global && app.store.contact_by_email_sha256(&hash).await?.is_some()) {
            return Err(Error::NotFound("person"));
        }
    } else if readable.is_empty() {
        return Err(Error::NotFound("person"));
    } else if readable.len() < held.len() {
        return Err(Error::forbidden(
            "this person also signed up in markets whose leads you do not read; ask someone \
             who reads leads everywhere to erase them",
        ));
    }
    Ok(app
        .store
        .erase_subject(
            email.as_str(),
            &hash,
            caller.user_id(),
            Timestamp::now().as_millisecond(),
        )
        .await?)
}

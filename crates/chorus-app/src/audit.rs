//! Reading the audit log: every change, who made it, when, the fields before and after.
//! Admins only (it names everyone and every market).

use chorus_core::permission::{allows, authorize};
use chorus_core::{Action, Scope};
use chorus_store::AuditQuery;

use crate::{App, Caller, Result};

pub use chorus_core::audit::AuditEntry;

/// Which entries to read, as given (blank text means no filter).
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// e.g. `principle`, `user`, `market`, `team`.
    pub subject_type: Option<String>,
    pub subject_id: Option<String>,
    /// Entries older than this id (paging back in time).
    pub before: Option<i64>,
    /// At most 500; default (and for zero or less) 50.
    pub limit: Option<i64>,
}

/// How many entries a page shows unless asked otherwise.
pub const DEFAULT_LIMIT: i64 = 50;

/// Whether the caller may read the log (the admin tabs offer it).
pub fn may_read(caller: &Caller) -> bool {
    allows(&caller.actor, Action::ReadAuditLog, Scope::Global)
}

/// Entries newest first.
pub async fn entries(app: &App, caller: &Caller, filter: &AuditFilter) -> Result<Vec<AuditEntry>> {
    authorize(&caller.actor, Action::ReadAuditLog, Scope::Global)?;
    let given = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    Ok(app
        .store
        .audit_entries(&AuditQuery {
            subject_type: given(&filter.subject_type),
            subject_id: given(&filter.subject_id),
            actor_id: None,
            before_id: filter.before,
            limit: filter
                .limit
                .filter(|l| *l > 0)
                .unwrap_or(DEFAULT_LIMIT)
                .min(500),
        })
        .await?)
}

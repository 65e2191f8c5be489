//! The audit log's vocabulary: who did what to which thing, with the state before and after.

pub mod describe;

use serde::{Deserialize, Serialize};

use crate::ids::{MarketId, UserId};

pub use describe::{Described, Names, describe};

/// One change, as recorded. `before`/`after` are JSON snapshots of the changed thing (absent on
/// create and delete respectively); secrets never appear in them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    /// Milliseconds since the Unix epoch, UTC.
    pub at_ms: i64,
    /// The user who made the change; `None` for the system (migrations, demo seeding, CLI setup).
    pub actor_id: Option<UserId>,
    /// How the actor was known at the time (email or "system"), kept if the user is deleted.
    pub actor_label: String,
    /// What happened, as `subject.verb`, e.g. `principle.update`.
    pub action: String,
    pub subject_type: String,
    pub subject_id: String,
    /// The market the change belongs to, for filtering; `None` for organization-wide things.
    pub market_id: Option<MarketId>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// Who is making a change, for the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    pub user_id: Option<UserId>,
    pub label: String,
}

impl Author {
    pub fn system(label: &str) -> Self {
        Self {
            user_id: None,
            label: format!("system ({label})"),
        }
    }

    pub fn user(id: UserId, email: &str) -> Self {
        Self {
            user_id: Some(id),
            label: email.to_owned(),
        }
    }
}

/// One changed field between two JSON snapshots, for showing a diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// The top-level fields that differ between `before` and `after` (objects), in key order.
pub fn diff(
    before: Option<&serde_json::Value>,
    after: Option<&serde_json::Value>,
) -> Vec<FieldChange> {
    use std::collections::BTreeSet;
    let empty = serde_json::Map::new();
    let b = before.and_then(|v| v.as_object()).unwrap_or(&empty);
    let a = after.and_then(|v| v.as_object()).unwrap_or(&empty);
    let keys: BTreeSet<&String> = b.keys().chain(a.keys()).collect();
    let show = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    keys.into_iter()
        .filter(|k| b.get(*k) != a.get(*k))
        .map(|k| FieldChange {
            field: k.clone(),
            before: b.get(k).map(show),
            after: a.get(k).map(show),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn diff_lists_changed_fields_only() {
        let before = json!({"title": "Old", "number": 1, "gone": true});
        let after = json!({"title": "New", "number": 1, "added": ["x"]});
        let d = diff(Some(&before), Some(&after));
        let fields: Vec<&str> = d.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["added", "gone", "title"]);
        assert_eq!(d[2].before.as_deref(), Some("Old"));
        assert_eq!(d[2].after.as_deref(), Some("New"));
        assert_eq!(d[0].after.as_deref(), Some(r#"["x"]"#));
        assert_eq!(diff(None, Some(&after)).len(), 3);
    }
}

//! Reading the audit log: every change, who made it, when, the fields before and after — and
//! the same in people's words for the pages. Admins only (it names everyone and every market).
//!
//! The contract:
//!
//! - [`entries`] returns the entries as recorded (the API's raw form); [`log`] returns them
//!   with a sentence each, the actor by name and the changed fields named for people
//!   ([`chorus_core::audit::describe`]), plus the people the log can be filtered by.
//! - Filters arrive as typed ([`AuditFilter`]): a kind of thing, its id, a person (a user's
//!   id), a first and last day (YYYY-MM-DD, inclusive, in UTC like the times the log shows).
//!   A malformed filter is `Invalid` naming the field.

use std::collections::{BTreeMap, BTreeSet};

use chorus_core::audit::{FieldChange, Names, describe};
use chorus_core::permission::{allows, authorize};
use chorus_core::{Action, Scope, UserId};
use chorus_store::AuditQuery;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::{App, Caller, Error, Result};

pub use chorus_core::audit::AuditEntry;

/// Which entries to read, as given (blank text means no filter).
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// e.g. `principle`, `user`, `market`, `team`, `story`, `conversation`.
    pub subject_type: Option<String>,
    pub subject_id: Option<String>,
    /// The id of the person who made the changes.
    pub actor: Option<String>,
    /// First day (YYYY-MM-DD, UTC), inclusive.
    pub from: Option<String>,
    /// Last day (YYYY-MM-DD, UTC), inclusive.
    pub to: Option<String>,
    /// Entries older than this id (paging back in time).
    pub before: Option<i64>,
    /// At most 500; default (and for zero or less) 50.
    pub limit: Option<i64>,
    /// The reader's IANA time zone, for times written in the sentences; UTC when absent or
    /// not a zone this server knows.
    pub zone: Option<String>,
}

/// How many entries a page shows unless asked otherwise.
pub const DEFAULT_LIMIT: i64 = 50;

/// The kinds of things the log records changes to, as (subject type, what people call them).
pub const KINDS: [(&str, &str); 14] = [
    ("story", "Stories and posts"),
    ("campaign", "Campaigns"),
    ("conversation", "Conversations"),
    ("listening_query", "Listening queries"),
    ("principle", "Principles"),
    ("rule", "Post rules"),
    ("user", "Users and roles"),
    ("team", "Teams"),
    ("market", "Markets"),
    ("account", "Accounts"),
    ("api_token", "API tokens"),
    ("organization", "Organization"),
    ("response_target", "First-response targets"),
    ("webhook", "Webhooks"),
];

/// One entry in words.
#[derive(Debug, Clone)]
pub struct AuditLine {
    pub entry: AuditEntry,
    /// Who made the change, by name ("System" for setup and jobs).
    pub actor: String,
    /// What they did, e.g. "approved the story “Holiday gift guide”".
    pub sentence: String,
    /// The fields that changed, named and valued for people.
    pub changes: Vec<FieldChange>,
}

/// A page of the log in words.
#[derive(Debug, Clone)]
pub struct AuditLog {
    pub lines: Vec<AuditLine>,
    /// Everyone who can be chosen in the person filter, as (id, name), by name.
    pub people: Vec<(UserId, String)>,
    /// The id to page back from, when there may be older entries.
    pub older: Option<i64>,
}

/// Whether the caller may read the log (the admin tabs offer it).
pub fn may_read(caller: &Caller) -> bool {
    allows(&caller.actor, Action::ReadAuditLog, Scope::Global)
}

/// Entries newest first, as recorded.
pub async fn entries(app: &App, caller: &Caller, filter: &AuditFilter) -> Result<Vec<AuditEntry>> {
    authorize(&caller.actor, Action::ReadAuditLog, Scope::Global)?;
    let query = query(filter)?;
    Ok(app.store.audit_entries(&query).await?)
}

/// Entries newest first, in words, with the people to filter by.
pub async fn log(app: &App, caller: &Caller, filter: &AuditFilter) -> Result<AuditLog> {
    let rows = entries(app, caller, filter).await?;
    let limit = query(filter)?.limit;
    let older = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|e| e.id))
        .flatten();
    let people = app
        .store
        .users(None)
        .await?
        .into_iter()
        .map(|u| (u.user.id, u.user.display_name))
        .collect();
    let zone = filter
        .zone
        .as_deref()
        .and_then(|z| jiff::tz::db().get(z).ok())
        .unwrap_or(jiff::tz::TimeZone::UTC);
    Ok(AuditLog {
        lines: in_words(app, rows, zone).await?,
        people,
        older,
    })
}

/// `rows` in words, each with its actor by name and times in `zone`. For readers who may see
/// the entries (the caller has checked); loads only the people the entries name.
pub(crate) async fn in_words(
    app: &App,
    rows: Vec<AuditEntry>,
    zone: jiff::tz::TimeZone,
) -> Result<Vec<AuditLine>> {
    let mut names = names(app, &rows).await?;
    names.zone = zone;
    Ok(rows
        .into_iter()
        .map(|entry| {
            let described = describe(&entry, &names);
            let actor = match entry.actor_id {
                Some(id) => names
                    .users
                    .get(&id.0)
                    .cloned()
                    .unwrap_or_else(|| entry.actor_label.clone()),
                None => "System".to_owned(),
            };
            AuditLine {
                actor,
                sentence: described.sentence,
                changes: described.changes,
                entry,
            }
        })
        .collect())
}

/// The names the entries refer to by id.
async fn names(app: &App, rows: &[AuditEntry]) -> Result<Names> {
    let ids = |pick: &dyn Fn(&AuditEntry) -> Vec<i64>| -> Vec<i64> {
        rows.iter()
            .flat_map(pick)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    };
    let subjects = |kind: &'static str| {
        ids(&move |e: &AuditEntry| {
            (e.subject_type == kind)
                .then(|| e.subject_id.parse().ok())
                .flatten()
                .into_iter()
                .collect()
        })
    };
    let stories = subjects("story");
    let mut campaigns = BTreeMap::new();
    for id in subjects("campaign") {
        match app.store.campaign(id).await {
            Ok(c) => {
                campaigns.insert(id, c.name);
            }
            Err(chorus_store::StoreError::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    // People: who acted, whom a user entry is about, and who was assigned or added.
    let people = ids(&|e| {
        let mut found: Vec<i64> = e.actor_id.map(|u| u.0).into_iter().collect();
        if e.subject_type == "user"
            && let Ok(id) = e.subject_id.parse()
        {
            found.push(id);
        }
        for snapshot in [&e.before, &e.after].into_iter().flatten() {
            for key in ["assignee_id", "user_id"] {
                found.extend(snapshot.get(key).and_then(serde_json::Value::as_i64));
            }
        }
        found
    });
    let mut users = BTreeMap::new();
    for id in people {
        match app.store.user(UserId(id)).await {
            Ok(u) => {
                users.insert(id, u.display_name);
            }
            Err(chorus_store::StoreError::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Names {
        users,
        markets: app
            .store
            .markets()
            .await?
            .into_iter()
            .map(|m| (m.id.0, m.name))
            .collect(),
        accounts: app
            .store
            .accounts(None)
            .await?
            .into_iter()
            .map(|a| (a.id, a.handle))
            .collect(),
        stories: app.store.story_titles(&stories).await?,
        teams: app
            .store
            .teams(None)
            .await?
            .into_iter()
            .map(|t| (t.id.0, t.name))
            .collect(),
        principles: app
            .store
            .principles()
            .await?
            .into_iter()
            .map(|p| (p.id.0, p.title))
            .collect(),
        campaigns,
        zone: jiff::tz::TimeZone::UTC,
    })
}

/// The filter, validated into a store query.
fn query(filter: &AuditFilter) -> Result<AuditQuery> {
    let given = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let actor_id = given(&filter.actor)
        .map(|raw| {
            raw.parse::<i64>().map(UserId).map_err(|_| {
                Error::invalid("actor", format!("{raw:?} is not a person's id (a number)"))
            })
        })
        .transpose()?;
    let day = |raw: &Option<String>, name: &'static str| -> Result<Option<Date>> {
        given(raw)
            .map(|raw| {
                raw.parse::<Date>().map_err(|_| {
                    Error::invalid(
                        name,
                        format!("{raw:?} is not a date; write it as YYYY-MM-DD"),
                    )
                })
            })
            .transpose()
    };
    let from = day(&filter.from, "from")?;
    let to = day(&filter.to, "to")?;
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        return Err(Error::invalid("from", "the first day comes after the last"));
    }
    let start_ms = |d: Date| -> Result<i64> {
        d.to_zoned(TimeZone::UTC)
            .map(|z| z.timestamp().as_millisecond())
            .map_err(|e| Error::invalid("to", e.to_string()))
    };
    Ok(AuditQuery {
        subject_type: given(&filter.subject_type),
        subject_id: given(&filter.subject_id),
        actor_id,
        before_id: filter.before,
        limit: filter
            .limit
            .filter(|l| *l > 0)
            .unwrap_or(DEFAULT_LIMIT)
            .min(500),
        from_ms: from.map(start_ms).transpose()?,
        to_ms: to
            .map(|d| {
                d.tomorrow()
                    .map_err(|e| Error::invalid("to", e.to_string()))
            })
            .transpose()?
            .map(start_ms)
            .transpose()?,
    })
}

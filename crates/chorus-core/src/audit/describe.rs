//! The audit log in people's words: one sentence per entry ("approved the story “Holiday
//! gift guide”", "gave Chloe Nguyen the analyst role in Finland") and the changed fields with
//! names and values a marketer reads ("Assignee: Daniela Ortiz → not set"), never raw JSON or
//! column names.
//!
//! The contract:
//!
//! - [`describe`] covers every action the store records; an action it does not know still
//!   gets a sentence built from its verb and subject ("did 'x.y' to the story #3"), never an
//!   error, so an old entry always reads.
//! - Ids in the snapshots (users, markets, accounts, stories, teams, principles) are shown by
//!   name when [`Names`] knows them, and as "#id" otherwise (a deleted thing keeps its entry).
//! - The sentence leaves out who acted: the page shows the actor beside it.
//!
//! Pure: the caller loads the names.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::{AuditEntry, FieldChange, diff};

/// Names of the things audit snapshots refer to by id.
#[derive(Debug, Clone)]
pub struct Names {
    /// Users' display names.
    pub users: BTreeMap<i64, String>,
    /// Markets' names.
    pub markets: BTreeMap<i64, String>,
    /// Accounts' handles (without "@").
    pub accounts: BTreeMap<i64, String>,
    /// Stories' titles.
    pub stories: BTreeMap<i64, String>,
    /// Teams' names.
    pub teams: BTreeMap<i64, String>,
    /// Principles' titles.
    pub principles: BTreeMap<i64, String>,
    /// Campaigns' names.
    pub campaigns: BTreeMap<i64, String>,
    /// The reader's time zone: times in sentences are written on their clock (UTC by default).
    pub zone: jiff::tz::TimeZone,
}

impl Default for Names {
    fn default() -> Names {
        Names {
            users: BTreeMap::new(),
            markets: BTreeMap::new(),
            accounts: BTreeMap::new(),
            stories: BTreeMap::new(),
            teams: BTreeMap::new(),
            principles: BTreeMap::new(),
            campaigns: BTreeMap::new(),
            zone: jiff::tz::TimeZone::UTC,
        }
    }
}

/// An entry in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Described {
    /// What was done, without who did it, e.g. "approved the story “Holiday gift guide”".
    pub sentence: String,
    /// The fields that changed, named and valued for people (empty when the sentence says all).
    pub changes: Vec<FieldChange>,
}

/// Longest value shown in a change before it is cut with "…": a principle's text in full, a
/// pasted novel not.
const MAX_VALUE_CHARS: usize = 4000;

/// `entry` in words.
pub fn describe(entry: &AuditEntry, names: &Names) -> Described {
    let before = entry.before.as_ref();
    let after = entry.after.as_ref();
    let (noun, verb) = entry
        .action
        .split_once('.')
        .unwrap_or((entry.subject_type.as_str(), entry.action.as_str()));
    let subject = subject(entry, names);
    let field = |key: &str| after.or(before).and_then(|v| v.get(key));
    let story = || format!("the story {subject}");
    let variant_on = || {
        let account = field("account_id")
            .and_then(Value::as_i64)
            .map(|id| format!(" for {}", account(names, id)))
            .unwrap_or_default();
        format!("a post{account} in {}", story())
    };
    let changes = || human_changes(before, after, names);
    let simple = |s: String| Described {
        sentence: s,
        changes: Vec::new(),
    };
    match (noun, verb) {
        ("variant", "create") => simple(format!("added {}", variant_on())),
        ("variant", "update") => Described {
            sentence: format!("edited {}", variant_on()),
            changes: changes(),
        },
        ("variant", "delete") => simple(format!("deleted a post in {}", story())),
        ("variant", "reschedule") => Described {
            sentence: format!("moved a post in {} to another time", story()),
            changes: changes(),
        },
        ("variant", "published") => simple(format!("published a post in {}", story())),
        ("variant", "failed") => Described {
            sentence: format!("could not publish a post in {}", story()),
            changes: changes(),
        },
        ("variant", "image_add") => simple(format!("added an image to a post in {}", story())),
        ("variant", "image_remove") => {
            simple(format!("removed an image from a post in {}", story()))
        }
        ("variant", "image_alt") => Described {
            sentence: format!("changed an image's description in {}", story()),
            changes: changes(),
        },
        ("story", transition) if TRANSITIONS.iter().any(|(t, _)| *t == transition) => {
            let words = TRANSITIONS
                .iter()
                .find(|(t, _)| *t == transition)
                .map_or(transition, |(_, w)| w);
            let reason = field("reason")
                .and_then(Value::as_str)
                .map(|r| format!(": “{}”", cut(r.to_owned())))
                .unwrap_or_default();
            simple(format!("{}{reason}", words.replace("{}", &story())))
        }
        ("membership", grant_or_revoke) => {
            membership(grant_or_revoke, before, after, &subject, names)
        }
        ("team", "member_add" | "member_remove") => {
            let user = field("user_id")
                .and_then(Value::as_i64)
                .map_or_else(|| "someone".to_owned(), |id| user(names, id));
            let words = if verb == "member_add" {
                format!("added {user} to the team {subject}")
            } else {
                format!("removed {user} from the team {subject}")
            };
            simple(words)
        }
        ("campaign" | "offer", "state") => simple(format!(
            "moved {} to {}",
            the(entry, &subject),
            field("state")
                .and_then(Value::as_str)
                .unwrap_or("another state")
        )),
        ("account", "connect") => simple(format!(
            "connected the {} account {subject}",
            network(
                field("network")
                    .and_then(Value::as_str)
                    .unwrap_or("network")
            )
        )),
        ("response_target", "set") => simple(match field("first_response_minutes") {
            Some(Value::Number(n)) => format!(
                "set the first-response target in {} to {n} minutes",
                market_of(entry, names)
            ),
            _ => format!(
                "removed the first-response target in {}",
                market_of(entry, names)
            ),
        }),
        ("conversation", "update") => Described {
            sentence: format!(
                "{} in {}",
                conversation_change(before, after, names),
                the(entry, &subject)
            ),
            changes: Vec::new(),
        },
        ("conversation", "labels") => {
            let mut parts = Vec::new();
            if let Some(lang) = after
                .and_then(|v| v.get("language"))
                .and_then(Value::as_str)
            {
                parts.push(format!("language {lang}"));
            }
            if let Some(s) = after
                .and_then(|v| v.get("sentiment_label"))
                .and_then(Value::as_str)
            {
                parts.push(format!("sentiment {s}"));
            }
            simple(if parts.is_empty() {
                format!("corrected {}", the(entry, &subject))
            } else {
                format!("corrected {}: {}", the(entry, &subject), parts.join(", "))
            })
        }
        ("conversation", "note") => simple(format!("added a note to {}", the(entry, &subject))),
        ("conversation", "reply") => simple(format!("wrote a reply in {}", the(entry, &subject))),
        ("conversation", "reply_sent") => {
            simple(format!("published a reply in {}", the(entry, &subject)))
        }
        ("user", "password") => simple(format!("changed the password of {subject}")),
        ("webhook", "rotate_secret") => simple(format!(
            "gave {} a new signing secret",
            the(entry, &subject)
        )),
        (_, "create") => simple(format!("created {}", the(entry, &subject))),
        (_, "delete") => simple(format!("deleted {}", the(entry, &subject))),
        (_, "revoke") => simple(format!("revoked {}", the(entry, &subject))),
        (_, "update") => {
            let changes = changes();
            let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
            let what = match fields.as_slice() {
                [] => String::new(),
                [one] => format!(": {}", one.to_lowercase()),
                many => format!(": {}", many.join(", ").to_lowercase()),
            };
            Described {
                sentence: format!("changed {}{what}", the(entry, &subject)),
                changes,
            }
        }
        _ => Described {
            sentence: format!("did “{}” to {}", entry.action, the(entry, &subject)),
            changes: changes(),
        },
    }
}

/// Story transitions as the store records them (`story.<transition>`), in words; `{}` is the
/// story.
const TRANSITIONS: [(&str, &str); 7] = [
    ("submit", "submitted {} for review"),
    ("approve", "approved {}"),
    ("reject", "rejected {}"),
    ("reopen", "sent {} back to draft"),
    ("schedule", "scheduled {}"),
    ("unschedule", "unscheduled {}"),
    ("retry", "retried publishing {}"),
];

/// "the principle “Listen first”", "the conversation #12".
fn the(entry: &AuditEntry, subject: &str) -> String {
    format!("the {} {subject}", noun(&entry.subject_type))
}

/// The kind of thing, in words.
fn noun(subject_type: &str) -> String {
    match subject_type {
        "api_token" => "API token".to_owned(),
        "listening_query" => "listening query".to_owned(),
        "response_target" => "first-response target".to_owned(),
        "rule" => "post rule".to_owned(),
        other => other.replace('_', " "),
    }
}

/// The entry's subject by name: quoted title or name, a person's name, an account's handle,
/// or "#id".
fn subject(entry: &AuditEntry, names: &Names) -> String {
    let id = entry.subject_id.parse::<i64>().ok();
    let known = |map: &BTreeMap<i64, String>| id.and_then(|id| map.get(&id)).cloned();
    let snapshot = |key: &str| {
        [entry.after.as_ref(), entry.before.as_ref()]
            .into_iter()
            .flatten()
            .find_map(|v| v.get(key).and_then(Value::as_str).map(str::to_owned))
    };
    let quoted = |s: String| format!("“{s}”");
    let found = match entry.subject_type.as_str() {
        "user" => known(&names.users).or_else(|| snapshot("display_name")),
        "market" => known(&names.markets)
            .or_else(|| snapshot("name"))
            .map(quoted),
        "account" => known(&names.accounts)
            .or_else(|| snapshot("handle"))
            .map(|h| format!("@{h}")),
        "story" => known(&names.stories)
            .or_else(|| snapshot("title"))
            .map(quoted),
        "team" => known(&names.teams).or_else(|| snapshot("name")).map(quoted),
        "principle" => known(&names.principles)
            .or_else(|| snapshot("title"))
            .map(quoted),
        "campaign" => known(&names.campaigns)
            .or_else(|| snapshot("name"))
            .map(quoted),
        "rule" => snapshot("term").map(quoted),
        _ => snapshot("title").or_else(|| snapshot("name")).map(quoted),
    };
    found.unwrap_or_else(|| format!("#{}", entry.subject_id))
}

fn user(names: &Names, id: i64) -> String {
    names
        .users
        .get(&id)
        .cloned()
        .unwrap_or_else(|| format!("user #{id}"))
}

fn account(names: &Names, id: i64) -> String {
    names
        .accounts
        .get(&id)
        .map_or_else(|| format!("account #{id}"), |h| format!("@{h}"))
}

fn market(names: &Names, id: i64) -> String {
    names
        .markets
        .get(&id)
        .cloned()
        .unwrap_or_else(|| format!("market #{id}"))
}

fn market_of(entry: &AuditEntry, names: &Names) -> String {
    entry
        .market_id
        .map_or_else(|| "every market".to_owned(), |m| market(names, m.0))
}

fn network(name: &str) -> &str {
    match name {
        "bluesky" => "Bluesky",
        "mastodon" => "Mastodon",
        "linkedin" => "LinkedIn",
        "x" => "X",
        other => other,
    }
}

/// "assigned it to Daniela Ortiz, marked it done, tagged it “vip”": what changed in a
/// conversation's status, assignee and tags.
fn conversation_change(before: Option<&Value>, after: Option<&Value>, names: &Names) -> String {
    let get = |v: Option<&Value>, key: &str| v.and_then(|v| v.get(key)).cloned();
    let mut parts = Vec::new();
    let (was, now) = (get(before, "status"), get(after, "status"));
    if was != now
        && let Some(status) = now.as_ref().and_then(Value::as_str)
    {
        parts.push(match status {
            "done" => "marked it done".to_owned(),
            "waiting" => "marked it waiting for a reply".to_owned(),
            "open" if was.as_ref().and_then(Value::as_str) == Some("done") => {
                "reopened it".to_owned()
            }
            other => format!("marked it {other}"),
        });
    }
    let (was, now) = (get(before, "assignee_id"), get(after, "assignee_id"));
    if was != now {
        parts.push(match now.as_ref().and_then(Value::as_i64) {
            Some(id) => format!("assigned it to {}", user(names, id)),
            None => "unassigned it".to_owned(),
        });
    }
    let tags = |v: Option<&Value>| -> BTreeSet<String> {
        get(v, "tags")
            .and_then(|t| t.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(Value::as_str)
            .map(|t| format!("“{t}”"))
            .collect()
    };
    let (was, now) = (tags(before), tags(after));
    let added: Vec<String> = now.difference(&was).cloned().collect();
    let removed: Vec<String> = was.difference(&now).cloned().collect();
    if !added.is_empty() {
        parts.push(format!("tagged it {}", added.join(", ")));
    }
    if !removed.is_empty() {
        parts.push(format!("removed the tag {}", removed.join(", ")));
    }
    if parts.is_empty() {
        "changed nothing".to_owned()
    } else {
        parts.join(", ")
    }
}

/// "gave Chloe Nguyen the analyst role in Finland": the memberships added (or removed) are
/// the difference between the lists before and after.
fn membership(
    verb: &str,
    before: Option<&Value>,
    after: Option<&Value>,
    subject: &str,
    names: &Names,
) -> Described {
    let list = |v: Option<&Value>| -> BTreeSet<String> {
        v.and_then(|v| v.get("memberships"))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let (b, a) = (list(before), list(after));
    let (moved, words) = if verb == "grant" {
        (a.difference(&b).cloned().collect::<Vec<_>>(), "gave")
    } else {
        (b.difference(&a).cloned().collect::<Vec<_>>(), "took from")
    };
    let roles: Vec<String> = moved.iter().map(|m| role_in(m, names)).collect();
    let roles = if roles.is_empty() {
        "a role".to_owned()
    } else {
        roles.join(" and ")
    };
    Described {
        sentence: format!("{words} {subject} {roles}"),
        changes: Vec::new(),
    }
}

/// "analyst (market 6)" → "the analyst role in Kenya"; "admin (global)" → "the admin role in
/// every market".
fn role_in(membership: &str, names: &Names) -> String {
    let (role, scope) = membership
        .split_once(" (")
        .map_or((membership, ""), |(r, s)| (r, s.trim_end_matches(')')));
    let role = role.replace('_', " ");
    match scope.strip_prefix("market ").and_then(|id| id.parse().ok()) {
        Some(id) => format!("the {role} role in {}", market(names, id)),
        None if scope == "global" => format!("the {role} role in every market"),
        None => format!("the {role} role"),
    }
}

/// The changed fields, named and valued for people.
fn human_changes(before: Option<&Value>, after: Option<&Value>, names: &Names) -> Vec<FieldChange> {
    let raw_before = before.and_then(Value::as_object);
    let raw_after = after.and_then(Value::as_object);
    diff(before, after)
        .into_iter()
        .filter(|c| !HIDDEN.contains(&c.field.as_str()))
        .map(|c| {
            let value = |side: Option<&serde_json::Map<String, Value>>| {
                side.and_then(|o| o.get(&c.field))
                    .filter(|v| !v.is_null())
                    .map(|v| value(&c.field, v, names))
            };
            FieldChange {
                field: field_name(&c.field),
                before: value(raw_before),
                after: value(raw_after),
            }
        })
        .collect()
}

/// Snapshot keys that identify rather than describe (the sentence already says which thing).
const HIDDEN: [&str; 4] = ["id", "variant", "note_id", "reply_id"];

/// A snapshot key as people say it.
fn field_name(key: &str) -> String {
    let named = match key {
        "assignee_id" => "Assignee",
        "account_id" => "Account",
        "market_id" | "market" => "Market",
        "campaign_id" => "Campaign",
        "team_id" => "Team",
        "principle" => "Principle",
        "principles" => "Principles",
        "markets" => "Markets",
        "display_name" => "Name",
        "scheduled_at" => "Publish time",
        "first_response_minutes" => "First-response target (minutes)",
        "starts_on" => "Starts",
        "ends_on" => "Ends",
        "locales" => "Languages",
        "timezone" => "Time zone",
        "spike_factor" => "Spike alert factor",
        "alt" => "Image description",
        "body" => "Text",
        "uri" => "Link",
        _ => "",
    };
    if !named.is_empty() {
        return named.to_owned();
    }
    let words = key.replace('_', " ");
    let mut chars = words.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// A snapshot value as people read it: ids by name, lists joined, yes/no, times on the
/// reader's clock with their zone's abbreviation, long text cut.
fn value(key: &str, v: &Value, names: &Names) -> String {
    let by_id = |map: &dyn Fn(i64) -> String| match v {
        Value::Number(n) => n.as_i64().map_or_else(|| n.to_string(), map),
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_i64().map_or_else(|| plain(i), map))
            .collect::<Vec<_>>()
            .join(", "),
        other => plain(other),
    };
    let shown = match key {
        "assignee_id" | "user_id" => by_id(&|id| user(names, id)),
        "market_id" | "market" | "markets" => by_id(&|id| market(names, id)),
        "account_id" => by_id(&|id| account(names, id)),
        "team_id" => by_id(&|id| {
            names
                .teams
                .get(&id)
                .cloned()
                .unwrap_or_else(|| format!("team #{id}"))
        }),
        "principle" | "principles" => by_id(&|id| {
            names
                .principles
                .get(&id)
                .cloned()
                .unwrap_or_else(|| format!("principle #{id}"))
        }),
        "scheduled_at" => v
            .as_i64()
            .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
            .map_or_else(
                || plain(v),
                |t| {
                    t.to_zoned(names.zone.clone())
                        .strftime("%-d %b %Y, %H:%M %Z")
                        .to_string()
                },
            ),
        _ => plain(v),
    };
    cut(shown)
}

/// Text, numbers, yes/no, lists joined with commas, objects as "key: value" pairs.
fn plain(v: &Value) -> String {
    match v {
        Value::Null => "not set".to_owned(),
        Value::Bool(true) => "yes".to_owned(),
        Value::Bool(false) => "no".to_owned(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) if items.is_empty() => "none".to_owned(),
        Value::Array(items) => items.iter().map(plain).collect::<Vec<_>>().join(", "),
        Value::Object(o) => o
            .iter()
            .map(|(k, v)| format!("{}: {}", field_name(k).to_lowercase(), plain(v)))
            .collect::<Vec<_>>()
            .join("; "),
    }
}

fn cut(s: String) -> String {
    match s.char_indices().nth(MAX_VALUE_CHARS) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s,
    }
}

#[cfg(test)]
mod tests;

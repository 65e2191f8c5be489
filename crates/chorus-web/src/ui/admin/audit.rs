//! The audit log: every change, who made it and when, one sentence each ("Sanna Korhonen
//! approved the story “Holiday gift guide”"), with the changed fields behind a disclosure.
//! Filters by kind of thing, person and date. Admins only.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use chorus_app::audit::{self, AuditFilter, KINDS};
use chorus_app::org;
use chorus_core::audit::FieldChange;
use serde::Deserialize;

use super::Tabs;
use crate::auth::PageUser;
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::{Shell, format_time, iso_time, render};

pub fn routes() -> Router<AppState> {
    Router::new().route("/admin/audit", get(page))
}

struct Entry {
    id: i64,
    tone: &'static str,
    actor: String,
    sentence: String,
    market: String,
    at: String,
    at_iso: String,
    changes: Vec<FieldChange>,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    shell: Shell,
    tabs: Tabs,
    entries: Vec<Entry>,
    kinds: &'static [(&'static str, &'static str)],
    people: Vec<(String, String)>,
    filter: Params,
    /// The filter as a query string (without `before`), for paging.
    query: String,
    older: Option<i64>,
}

/// The filter as typed (shown back in the form), and the page to start from.
#[derive(Default, Deserialize)]
struct Params {
    #[serde(default)]
    subject: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    before: Option<i64>,
}

impl Params {
    fn is_empty(&self) -> bool {
        [&self.subject, &self.id, &self.actor, &self.from, &self.to]
            .iter()
            .all(|s| s.trim().is_empty())
    }
}

fn tone(action: &str) -> &'static str {
    if action.ends_with(".create") || action.ends_with(".grant") || action.ends_with("_add") {
        "success"
    } else if action.ends_with(".delete")
        || action.ends_with(".revoke")
        || action.ends_with("_remove")
        || action.ends_with(".failed")
    {
        "danger"
    } else {
        "info"
    }
}

async fn page(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Query(p): Query<Params>,
) -> Result<Response, PageError> {
    let f = p;
    let some = |s: &str| Some(s.to_owned());
    let filter = AuditFilter {
        subject_type: some(&f.subject),
        subject_id: some(&f.id),
        actor: some(&f.actor),
        from: some(&f.from),
        to: some(&f.to),
        before: f.before,
        limit: None,
        zone: crate::ui::local_time::zone().iana_name().map(str::to_owned),
    };
    let log = audit::log(&state.app, &id.caller, &filter).await?;
    let markets = org::markets(&state.app, &id.caller).await?;
    let entries = log
        .lines
        .into_iter()
        .map(|l| Entry {
            id: l.entry.id,
            tone: tone(&l.entry.action),
            actor: l.actor,
            sentence: l.sentence,
            market: l
                .entry
                .market_id
                .and_then(|mid| markets.iter().find(|m| m.id == mid))
                .map(|m| m.code.to_string())
                .unwrap_or_default(),
            at: format_time(l.entry.at_ms),
            at_iso: iso_time(l.entry.at_ms),
            changes: l.changes,
        })
        .collect();
    let shell = Shell::with_markets(&state, &id, &markets, "admin", "Audit log").await?;
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("subject", f.subject.trim())
        .append_pair("id", f.id.trim())
        .append_pair("actor", f.actor.trim())
        .append_pair("from", f.from.trim())
        .append_pair("to", f.to.trim())
        .finish();
    Ok(render(&AuditPage {
        shell,
        tabs: Tabs::new(&id, "audit"),
        entries,
        kinds: &KINDS,
        people: log
            .people
            .into_iter()
            .map(|(id, name)| (id.0.to_string(), name))
            .collect(),
        filter: f,
        query,
        older: log.older,
    }))
}

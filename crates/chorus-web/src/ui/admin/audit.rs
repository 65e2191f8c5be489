//! The audit log: every change, who made it, when, and the fields before and after. Admins only.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use chorus_app::audit::{self, AuditFilter};
use chorus_app::org;
use chorus_core::audit::{FieldChange, diff};
use serde::Deserialize;

use super::Tabs;
use crate::auth::PageUser;
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::{Shell, format_time, iso_time, render};

pub fn routes() -> Router<AppState> {
    Router::new().route("/admin/audit", get(page))
}

const PAGE_SIZE: i64 = 50;

struct Entry {
    id: i64,
    action: String,
    tone: &'static str,
    subject: String,
    actor: String,
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
    subject: String,
    subject_id: String,
    older: Option<i64>,
}

#[derive(Deserialize)]
struct Filter {
    subject: Option<String>,
    id: Option<String>,
    before: Option<i64>,
}

fn tone(action: &str) -> &'static str {
    if action.ends_with(".create") || action.ends_with(".grant") || action.ends_with("_add") {
        "success"
    } else if action.ends_with(".delete")
        || action.ends_with(".revoke")
        || action.ends_with("_remove")
    {
        "danger"
    } else {
        "info"
    }
}

async fn page(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Query(f): Query<Filter>,
) -> Result<Response, PageError> {
    let filter = AuditFilter {
        subject_type: f.subject,
        subject_id: f.id,
        before: f.before,
        limit: Some(PAGE_SIZE),
    };
    let rows = audit::entries(&state.app, &id.caller, &filter).await?;
    let markets = org::markets(&state.app, &id.caller).await?;
    let older = (rows.len() as i64 == PAGE_SIZE)
        .then(|| rows.last().map(|e| e.id))
        .flatten();
    let entries = rows
        .iter()
        .map(|e| Entry {
            id: e.id,
            action: e.action.clone(),
            tone: tone(&e.action),
            subject: format!("{} {}", e.subject_type, e.subject_id),
            actor: e.actor_label.clone(),
            market: e
                .market_id
                .and_then(|mid| markets.iter().find(|m| m.id == mid))
                .map(|m| m.code.to_string())
                .unwrap_or_default(),
            at: format_time(e.at_ms),
            at_iso: iso_time(e.at_ms),
            changes: diff(e.before.as_ref(), e.after.as_ref()),
        })
        .collect();
    let shell = Shell::with_markets(&state, &id, &markets, "admin", "Audit log").await?;
    let shown = |s: Option<String>| s.map(|s| s.trim().to_owned()).unwrap_or_default();
    Ok(render(&AuditPage {
        shell,
        tabs: Tabs::new(&id, "audit"),
        entries,
        subject: shown(filter.subject_type),
        subject_id: shown(filter.subject_id),
        older,
    }))
}

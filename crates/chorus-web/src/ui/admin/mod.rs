//! The admin section: users and memberships, markets and teams, the audit log, the rules for
//! posts and the network accounts. Each page shows
//! only what the viewer may manage: everything for admins, their own markets for market leads.

mod accounts;
mod audit;
mod markets;
mod rules;
mod users;

use axum::Router;
use axum::response::Redirect;
use axum::routing::get;
use chorus_core::org::Market;
use chorus_core::permission::allows;
use chorus_core::{Action, Role, Scope};

use crate::auth::Identity;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(|| async { Redirect::to("/admin/users") }))
        .merge(users::routes())
        .merge(markets::routes())
        .merge(audit::routes())
        .merge(rules::routes())
        .merge(accounts::routes())
}

/// The tabs across the admin pages; `active` is "users", "markets" or "audit".
pub struct Tabs {
    pub active: &'static str,
    pub show_audit: bool,
}

impl Tabs {
    pub fn new(id: &Identity, active: &'static str) -> Tabs {
        Tabs {
            active,
            show_audit: allows(&id.caller.actor, Action::ReadAuditLog, Scope::Global),
        }
    }
}

/// The markets `action` is allowed in for this actor.
pub fn markets_where(id: &Identity, action: Action, markets: &[Market]) -> Vec<Market> {
    markets
        .iter()
        .filter(|m| allows(&id.caller.actor, action, Scope::Market(m.id)))
        .cloned()
        .collect()
}

/// The roles the actor may grant somewhere, for the role pickers.
pub fn grantable_roles(id: &Identity) -> Vec<(&'static str, &'static str)> {
    Role::ALL
        .iter()
        .filter(|r| {
            id.caller.actor.is_admin()
                || matches!(
                    r,
                    Role::Editor | Role::Contributor | Role::CommunityManager | Role::Analyst
                )
        })
        .map(|r| (r.as_str(), r.label()))
        .collect()
}

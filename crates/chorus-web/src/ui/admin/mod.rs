//! The admin section: users and memberships, markets and teams, the audit log, the rules for
//! posts, the network accounts, the webhooks and single sign-on. Each page shows
//! only what the viewer may manage: everything for admins, their own markets for market leads.

mod accounts;
mod audit;
mod markets;
mod rules;
mod sign_in;
mod users;
mod webhooks;

use axum::Router;
use axum::response::Redirect;
use axum::routing::get;

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
        .merge(webhooks::routes())
        .merge(sign_in::routes())
}

/// The tabs across the admin pages; `active` is "users", "markets", "audit", "webhooks"
/// or "sign-in".
pub struct Tabs {
    pub active: &'static str,
    pub show_audit: bool,
    pub show_webhooks: bool,
    pub show_sign_in: bool,
}

impl Tabs {
    pub fn new(id: &Identity, active: &'static str) -> Tabs {
        Tabs {
            active,
            show_audit: chorus_app::audit::may_read(&id.caller),
            show_webhooks: chorus_app::webhooks::may_manage(&id.caller),
            show_sign_in: chorus_app::sso::may_manage(&id.caller),
        }
    }
}

//! The sections that are not built yet: each says what is coming, and shows no made-up data.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;

use super::{Shell, render};
use crate::auth::PageUser;
use crate::error::PageError;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/reach", get(|s, u| section(s, u, &REACH)))
}

/// What a section will hold, in plain words.
struct Plan {
    key: &'static str,
    title: &'static str,
    subtitle: &'static str,
    text: &'static str,
    items: &'static [(&'static str, &'static str)],
    /// The principle that explains the section, as (slug, title).
    principle: (&'static str, &'static str),
}

#[derive(Template)]
#[template(path = "coming_soon.html")]
struct ComingSoon {
    shell: Shell,
    plan: &'static Plan,
}

async fn section(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    plan: &'static Plan,
) -> Result<Response, PageError> {
    let shell = Shell::new(&state, &id, plan.key, plan.title).await?;
    Ok(render(&ComingSoon { shell, plan }))
}

static REACH: Plan = Plan {
    key: "reach",
    title: "Reach",
    subtitle: "Email-gated downloads and webinar registrations, with leads traced to the story that brought them.",
    text: "This section will publish landing pages for gated assets and events, confirm sign-ups by email with consent recorded, and attribute each lead to its story. No assets or events exist yet.",
    items: &[
        (
            "Gated assets",
            "A landing page and form; a signed, expiring download link after double opt-in.",
        ),
        ("Events", "Webinar registrations with calendar invitations."),
        ("Leads", "Consent, source story and campaign, exportable."),
    ],
    principle: (
        "sharing-over-control",
        "Sharing is more important than control",
    ),
};

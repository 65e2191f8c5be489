//! `/notifications`: what the workflow told this person (a story to review, an approval, a
//! rejection with its reason, a publication or a failure), newest first.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chorus_app::notifications;

use crate::auth::PageUser;
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::{Shell, format_time, render};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/notifications", get(page))
        .route("/notifications/read", post(mark_read))
}

struct Item {
    message: String,
    link: String,
    at: String,
    read: bool,
}

#[derive(Template)]
#[template(path = "stories/notifications.html")]
struct Page {
    shell: Shell,
    items: Vec<Item>,
    unread: usize,
}

/// Only links inside Chorus are followed from a notification.
fn local_link(link: &str) -> String {
    if link.starts_with('/') && !link.starts_with("//") && !link.contains('\\') {
        link.to_owned()
    } else {
        String::new()
    }
}

async fn page(
    State(state): State<AppState>,
    PageUser(id): PageUser,
) -> Result<Response, PageError> {
    let items: Vec<Item> = notifications::list(&state.app, &id.caller)
        .await?
        .into_iter()
        .map(|n| Item {
            link: local_link(&n.link),
            message: n.message,
            at: format_time(n.created_at_ms),
            read: n.read,
        })
        .collect();
    let unread = items.iter().filter(|i| !i.read).count();
    let shell = Shell::new(&state, &id, "notifications", "Notifications").await?;
    Ok(render(&Page {
        shell,
        items,
        unread,
    }))
}

async fn mark_read(
    State(state): State<AppState>,
    PageUser(id): PageUser,
) -> Result<Response, PageError> {
    notifications::mark_all_read(&state.app, &id.caller).await?;
    Ok(Redirect::to("/notifications").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_links() {
        assert_eq!(local_link("/stories/3"), "/stories/3");
        assert_eq!(local_link("//evil.example"), "");
        assert_eq!(local_link("https://evil.example"), "");
        assert_eq!(local_link("javascript:alert(1)"), "");
    }
}

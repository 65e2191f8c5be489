//! The server-rendered UI: one module per section, templates under `templates/`.
//!
//! Every page gets a [`Shell`] (title, active section, the signed-in user, the CSRF token, an
//! optional flash message) that `base.html` renders around the page's own content. Askama
//! escapes every value by default; the only unescaped HTML is rendered Markdown, which
//! `chorus_core::playbook::markdown` makes safe by construction.

mod account;
mod admin;
pub(crate) mod conversations;
mod form;
mod local_time;
mod login;
mod numbers;
mod playbook;
pub(crate) mod reach;
mod reach_public;
mod reach_public_words;
pub(crate) mod stories;

use askama::Template;
use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use crate::auth::Identity;
use crate::error::{AppError, PageError};
use crate::state::AppState;

pub use form::FormData;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/playbook") }))
        .route("/static/{file}", get(static_file))
        .merge(login::routes())
        .merge(playbook::routes())
        .merge(reach::routes())
        .merge(numbers::routes())
        .merge(conversations::routes())
        .merge(admin::routes())
        .merge(account::routes())
        .merge(stories::routes())
        .merge(reach_public::routes())
        .layer(axum::middleware::from_fn(local_time::scope))
}

/// What `base.html` needs around every page.
pub struct Shell {
    pub title: String,
    pub section: &'static str,
    pub user: Option<ShellUser>,
    pub csrf: String,
    pub flash: Option<Flash>,
}

pub struct ShellUser {
    pub display_name: String,
    pub email: String,
    pub roles: String,
    /// Whether the Admin section shows in the navigation.
    pub is_admin: bool,
    /// Whether Numbers shows in the navigation.
    pub sees_numbers: bool,
    /// Unread in-app notifications (the count beside "Notifications").
    pub unread: i64,
}

pub struct Flash {
    pub kind: &'static str,
    pub message: String,
}

impl Flash {
    pub fn success(message: impl Into<String>) -> Option<Flash> {
        Some(Flash {
            kind: "success",
            message: message.into(),
        })
    }

    pub fn error(message: impl Into<String>) -> Option<Flash> {
        Some(Flash {
            kind: "error",
            message: message.into(),
        })
    }
}

impl Shell {
    /// The shell for a signed-in page.
    pub async fn new(
        state: &AppState,
        id: &Identity,
        section: &'static str,
        title: impl Into<String>,
    ) -> Result<Shell, AppError> {
        let markets = chorus_app::org::markets(&state.app, &id.caller).await?;
        Shell::with_markets(state, id, &markets, section, title).await
    }

    /// [`Shell::new`] for a page that has already read the markets in this request.
    pub async fn with_markets(
        state: &AppState,
        id: &Identity,
        markets: &[chorus_core::org::Market],
        section: &'static str,
        title: impl Into<String>,
    ) -> Result<Shell, AppError> {
        let roles = id.caller.actor.roles_summary(|mid| {
            markets
                .iter()
                .find(|m| m.id == mid)
                .map(|m| m.code.to_string())
                .unwrap_or_else(|| mid.to_string())
        });
        let unread = chorus_app::notifications::unread(&state.app, &id.caller).await?;
        Ok(Shell {
            title: title.into(),
            section,
            user: Some(ShellUser {
                display_name: id.user.display_name.clone(),
                email: id.user.email.to_string(),
                roles,
                is_admin: chorus_app::auth::shows_admin(&id.caller),
                sees_numbers: chorus_app::auth::shows_numbers(&id.caller),
                unread,
            }),
            csrf: id.csrf.clone().unwrap_or_default(),
            flash: None,
        })
    }

    /// The shell for a signed-out page (login, errors).
    pub fn bare(title: impl Into<String>, csrf: String) -> Shell {
        Shell {
            title: title.into(),
            section: "",
            user: None,
            csrf,
            flash: None,
        }
    }

    pub fn with_flash(mut self, flash: Option<Flash>) -> Shell {
        self.flash = flash;
        self
    }
}

/// Messages for `?done=…` after a redirect: fixed texts, so the URL cannot inject words.
pub fn done_flash(done: Option<&str>) -> Option<Flash> {
    let msg = match done? {
        "created" => "Created. The change is recorded in the audit log.",
        "saved" => "Saved. The change is recorded in the audit log.",
        "deleted" => "Deleted. The change is recorded in the audit log.",
        "granted" => "Role granted.",
        "revoked" => "Role removed.",
        "token" => "Token revoked.",
        "password" => {
            "Password changed. Your other sessions have ended; your API tokens still work — \
             revoke any you no longer trust below."
        }
        "reset" => {
            "Saved. The new password is set: every session of theirs has ended and their API \
             tokens are revoked."
        }
        "reset_kept_tokens" => {
            "Saved. The new password is set: every session of theirs has ended; their API tokens \
             still work."
        }
        _ => return None,
    };
    Flash::success(msg)
}

/// Renders a template into a response, mapping a render failure to a 500 page.
pub fn render<T: Template>(t: &T) -> Response {
    render_with_status(StatusCode::OK, t)
}

pub fn render_with_status<T: Template>(status: StatusCode, t: &T) -> Response {
    match t.render() {
        Ok(html) => (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            html,
        )
            .into_response(),
        Err(e) => PageError(AppError::Internal(format!("template: {e}"))).into_response(),
    }
}

/// A standalone error page (it must render even when the database is down).
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub status: u16,
    pub reason: &'static str,
    pub message: String,
}

impl ErrorPage {
    pub fn render_html(&self) -> String {
        self.render()
            .unwrap_or_else(|_| format!("{} {}", self.status, self.reason))
    }
}

pub async fn not_found(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        return AppError::NotFound("endpoint").into_response();
    }
    PageError(AppError::NotFound("page")).into_response()
}

/// A page error inside the layout: the navigation, what went wrong in words, and a way back
/// to the section the person was in.
#[derive(Template)]
#[template(path = "error_in_layout.html")]
struct ErrorInLayout {
    shell: Shell,
    message: String,
    not_found: bool,
    /// (href, label) of the section the failed page belongs to.
    back: Option<(&'static str, &'static str)>,
}

/// The sections a path can belong to, as (path prefix, nav section, label).
const SECTIONS: [(&str, &str, &str); 8] = [
    ("/playbook", "playbook", "Playbook"),
    ("/stories", "stories", "Stories"),
    ("/conversations", "conversations", "Conversations"),
    ("/numbers", "numbers", "Numbers"),
    ("/reach", "reach", "Reach"),
    ("/notifications", "notifications", "Notifications"),
    ("/admin", "admin", "Admin"),
    ("/account", "", "your account"),
];

/// [`ErrorInLayout`] for `id`, or `None` when the layout cannot be built (the bare page stays).
pub(crate) async fn error_in_layout(
    state: &AppState,
    id: &Identity,
    path: &str,
    status: StatusCode,
    shown: crate::error::ShownError,
) -> Option<Response> {
    let section = SECTIONS
        .iter()
        .find(|(prefix, _, _)| path == *prefix || path.starts_with(&format!("{prefix}/")));
    let title = if shown.not_found {
        "Not found"
    } else {
        match status {
            StatusCode::FORBIDDEN => "Not allowed",
            StatusCode::CONFLICT => "Not possible now",
            s if s.is_server_error() => "Something went wrong",
            _ => "That did not work",
        }
    };
    let shell = Shell::new(state, id, section.map_or("", |s| s.1), title)
        .await
        .ok()?;
    let page = ErrorInLayout {
        shell,
        message: shown.message,
        not_found: shown.not_found,
        back: section.map(|(prefix, _, label)| (*prefix, *label)),
    };
    let html = page.render().ok()?;
    Some(
        (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            html,
        )
            .into_response(),
    )
}

/// Formats milliseconds since the epoch on the viewer's clock, e.g. "26 Nov 2026, 11:14 EET"
/// (in UTC, and saying so, until the browser has told us its zone; see [`local_time`]).
pub fn format_time(ms: i64) -> String {
    local_time::format_in(ms, &local_time::zone())
}

/// The same instant as an ISO 8601 string for `<time datetime>`.
pub fn iso_time(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

const CSS: &[u8] = include_bytes!("../../static/chorus.css");
const HTMX: &[u8] = include_bytes!("../../static/htmx.min.js");
const FAVICON: &[u8] = include_bytes!("../../static/favicon.svg");
const UPLOT_JS: &[u8] = include_bytes!("../../static/uplot.min.js");
const UPLOT_CSS: &[u8] = include_bytes!("../../static/uplot.min.css");
const SIGNALS_JS: &[u8] = include_bytes!("../../static/signals.js");
const NUMBERS_JS: &[u8] = include_bytes!("../../static/numbers.js");
const STORIES_JS: &[u8] = include_bytes!("../../static/stories.js");
const COMPOSER_JS: &[u8] = include_bytes!("../../static/composer.js");
const STORIES_CSS: &[u8] = include_bytes!("../../static/stories.css");
const INBOX_JS: &[u8] = include_bytes!("../../static/inbox.js");
const INBOX_CSS: &[u8] = include_bytes!("../../static/inbox.css");
const TIME_JS: &[u8] = include_bytes!("../../static/time.js");
const REACH_CSS: &[u8] = include_bytes!("../../static/reach.css");

async fn static_file(Path(file): Path<String>) -> Response {
    let (body, mime) = match file.as_str() {
        "chorus.css" => (CSS, "text/css; charset=utf-8"),
        "htmx.min.js" => (HTMX, "text/javascript; charset=utf-8"),
        "favicon.svg" => (FAVICON, "image/svg+xml"),
        "uplot.min.js" => (UPLOT_JS, "text/javascript; charset=utf-8"),
        "time.js" => (TIME_JS, "text/javascript; charset=utf-8"),
        "uplot.min.css" => (UPLOT_CSS, "text/css; charset=utf-8"),
        "signals.js" => (SIGNALS_JS, "text/javascript; charset=utf-8"),
        "numbers.js" => (NUMBERS_JS, "text/javascript; charset=utf-8"),
        "stories.js" => (STORIES_JS, "text/javascript; charset=utf-8"),
        "composer.js" => (COMPOSER_JS, "text/javascript; charset=utf-8"),
        "stories.css" => (STORIES_CSS, "text/css; charset=utf-8"),
        "inbox.js" => (INBOX_JS, "text/javascript; charset=utf-8"),
        "inbox.css" => (INBOX_CSS, "text/css; charset=utf-8"),
        "reach.css" => (REACH_CSS, "text/css; charset=utf-8"),
        _ => return PageError(AppError::NotFound("file")).into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, mime),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

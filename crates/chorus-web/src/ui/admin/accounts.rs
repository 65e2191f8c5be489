//! `/admin/accounts`: the network accounts Chorus publishes from, one market each. Admins connect
//! accounts for any market, market leads for theirs (`chorus_app::accounts`). Connecting logs in
//! once with an app password and stores the credentials sealed with the installation's key; the
//! password never reaches a page, a log or the audit log.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chorus_app::Secret;
use chorus_app::accounts::{self, ConnectFields};
use serde::Deserialize;

use crate::auth::{Identity, PageUser};
use crate::error::{AppError, PageError};
use crate::state::AppState;
use crate::ui::stories::StoryTabs;
use crate::ui::{Flash, FormData, Shell, done_flash, render_with_status};

pub fn routes() -> Router<AppState> {
    Router::new().route("/admin/accounts", get(page).post(connect))
}

struct Row {
    market: String,
    network: String,
    handle: String,
    did: String,
    service: String,
    /// Chorus can publish from it.
    connected: bool,
    /// A demo account (made by `serve --demo`, never connected).
    demo: bool,
}

#[derive(Template)]
#[template(path = "admin/accounts.html")]
struct AccountsPage {
    shell: Shell,
    tabs: StoryTabs,
    rows: Vec<Row>,
    /// How many of the rows are not connected.
    not_connected: usize,
    markets: Vec<(String, String, bool)>,
    pds: String,
    handle: String,
    has_key: bool,
    error_field: String,
    error_message: String,
}

#[derive(Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

/// What the connect form shows again: the values typed (never the password) and why it was
/// refused.
#[derive(Default)]
struct Typed<'a> {
    market: &'a str,
    pds: &'a str,
    handle: &'a str,
    error: Option<AppError>,
}

async fn render_page(
    state: &AppState,
    id: &Identity,
    status: StatusCode,
    flash: Option<Flash>,
    typed: Typed<'_>,
) -> Result<Response, PageError> {
    let view = accounts::managed_accounts(&state.app, &id.caller).await?;
    let rows = view
        .accounts
        .iter()
        .map(|a| Row {
            market: view
                .markets
                .iter()
                .find(|m| m.id == a.market_id)
                .map(|m| m.code.to_string())
                .unwrap_or_default(),
            network: a.network.clone(),
            handle: a.handle.clone(),
            did: a.external_id.clone(),
            service: a.service_url.clone(),
            connected: !view.not_connected.contains(&a.id),
            demo: a.demo,
        })
        .collect();
    let (error_field, error_message) = match &typed.error {
        Some(e) => (e.field().unwrap_or("form").to_owned(), e.public_message()),
        None => (String::new(), String::new()),
    };
    let shell = Shell::new(state, id, "stories", "Network accounts")
        .await?
        .with_flash(flash);
    Ok(render_with_status(
        status,
        &AccountsPage {
            shell,
            tabs: StoryTabs::new(&id.caller.actor, "accounts"),
            not_connected: view.not_connected.len(),
            rows,
            markets: view
                .markets
                .iter()
                .map(|m| {
                    (
                        m.code.to_string(),
                        format!("{} {}", m.code, m.name),
                        m.code.as_str() == typed.market,
                    )
                })
                .collect(),
            pds: typed.pds.to_owned(),
            handle: typed.handle.to_owned(),
            has_key: view.can_connect,
            error_field,
            error_message,
        },
    ))
}

async fn page(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let typed = Typed {
        pds: "https://bsky.social",
        ..Typed::default()
    };
    render_page(
        &state,
        &id,
        StatusCode::OK,
        done_flash(q.done.as_deref()),
        typed,
    )
    .await
}

async fn connect(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    form: FormData,
) -> Result<Response, PageError> {
    let fields = ConnectFields {
        market: form.get("market").to_owned(),
        pds: form.get("pds").to_owned(),
        handle: form.get("handle").to_owned(),
        app_password: Secret::new(form.get("app_password")),
    };
    match accounts::connect_bluesky(&state.app, &id.caller, &fields)
        .await
        .map_err(AppError::from)
    {
        Ok(_) => Ok(Redirect::to("/admin/accounts?done=created").into_response()),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => {
            let status = e.status();
            let flash = Flash::error(format!(
                "The account was not connected: {}",
                e.public_message()
            ));
            let typed = Typed {
                market: form.get("market"),
                pds: form.get("pds"),
                handle: form.get("handle").trim().trim_start_matches('@'),
                error: Some(e),
            };
            render_page(&state, &id, status, flash, typed).await
        }
        Err(e) => Err(PageError(e)),
    }
}

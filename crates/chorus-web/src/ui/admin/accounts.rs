//! `/admin/accounts`: the network accounts Chorus publishes from, one market each. Admins connect
//! accounts for any market, market leads for theirs. Connecting logs in once with an app
//! password and stores the credentials sealed with the installation's key
//! (`chorus_jobs::connect_bluesky`); the password never reaches a page, a log or the audit log.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chorus_core::permission::allows;
use chorus_core::{Action, Scope};
use chorus_networks::bluesky::Secret;
use serde::Deserialize;

use crate::auth::{Identity, PageUser};
use crate::error::{AppError, PageError};
use crate::state::AppState;
use crate::ui::stories::StoryTabs;
use crate::ui::stories::service::Lookup;
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
}

#[derive(Template)]
#[template(path = "admin/accounts.html")]
struct AccountsPage {
    shell: Shell,
    tabs: StoryTabs,
    rows: Vec<Row>,
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

#[allow(clippy::too_many_arguments)]
async fn render_page(
    state: &AppState,
    id: &Identity,
    status: StatusCode,
    flash: Option<Flash>,
    market: &str,
    pds: &str,
    handle: &str,
    error: Option<AppError>,
) -> Result<Response, PageError> {
    let lookup = Lookup::load(&state.app, &id.caller).await?;
    let allowed: Vec<_> = lookup
        .markets
        .iter()
        .filter(|m| {
            allows(
                &id.caller.actor,
                Action::ConnectAccounts,
                Scope::Market(m.id),
            )
        })
        .collect();
    if allowed.is_empty() {
        return Err(PageError(AppError::Forbidden(
            "only admins and market leads connect accounts".into(),
        )));
    }
    let rows = lookup
        .accounts
        .iter()
        .filter(|a| allowed.iter().any(|m| m.id == a.market_id))
        .map(|a| Row {
            market: lookup.market_code(a.market_id),
            network: a.network.clone(),
            handle: a.handle.clone(),
            did: a.external_id.clone(),
            service: a.service_url.clone(),
        })
        .collect();
    let (error_field, error_message) = match &error {
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
            rows,
            markets: allowed
                .iter()
                .map(|m| {
                    (
                        m.code.to_string(),
                        format!("{} {}", m.code, m.name),
                        m.code.as_str() == market,
                    )
                })
                .collect(),
            pds: pds.to_owned(),
            handle: handle.to_owned(),
            has_key: state.secret_key.is_some(),
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
    render_page(
        &state,
        &id,
        StatusCode::OK,
        done_flash(q.done.as_deref()),
        "",
        "https://bsky.social",
        "",
        None,
    )
    .await
}

/// An http(s) server address without path, query or credentials.
pub fn parse_service_url(raw: &str) -> Result<String, AppError> {
    let url = raw.trim().trim_end_matches('/');
    let bad = || {
        AppError::invalid(
            "pds",
            "give the server address, e.g. https://bsky.social or your PDS's https:// address",
        )
    };
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(bad)?;
    if rest.is_empty()
        || rest.contains(['/', '?', '#', '@', ' ', '\\'])
        || !rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
    {
        return Err(bad());
    }
    Ok(url.to_owned())
}

async fn connect(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    form: FormData,
) -> Result<Response, PageError> {
    let lookup = Lookup::load(&state.app, &id.caller).await?;
    let code = form.get("market");
    let pds_raw = form.get("pds");
    let handle = form.get("handle").trim().trim_start_matches('@').to_owned();
    let result = async {
        let market = lookup
            .market_by_code(code)
            .ok_or_else(|| AppError::invalid("market", "choose a market"))?;
        if !allows(
            &id.caller.actor,
            Action::ConnectAccounts,
            Scope::Market(market.id),
        ) {
            return Err(AppError::Forbidden(format!(
                "you may not connect accounts for {}",
                market.name
            )));
        }
        let key = state.secret_key.as_ref().ok_or_else(|| {
            AppError::invalid(
                "form",
                "this server was started without its secret key, so it cannot seal credentials",
            )
        })?;
        let pds = parse_service_url(pds_raw)?;
        if handle.is_empty() || handle.len() > 253 {
            return Err(AppError::invalid(
                "handle",
                "give the account's handle, e.g. northwind.bsky.social",
            ));
        }
        let password = form.get("app_password");
        if password.trim().is_empty() {
            return Err(AppError::invalid(
                "app_password",
                "create an app password in the account's settings and paste it here",
            ));
        }
        chorus_jobs::connect_bluesky(
            &state.store,
            key,
            &id.author(),
            market.id,
            &pds,
            &handle,
            Secret::new(password.trim()),
        )
        .await
        .map_err(|e| match e {
            chorus_jobs::ConnectError::Store(s) => AppError::from(s),
            other => AppError::invalid("app_password", other.to_string()),
        })
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to("/admin/accounts?done=created").into_response()),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => {
            let flash = Flash::error(format!(
                "The account was not connected: {}",
                e.public_message()
            ));
            render_page(
                &state,
                &id,
                StatusCode::UNPROCESSABLE_ENTITY,
                flash,
                code,
                pds_raw,
                &handle,
                Some(e),
            )
            .await
        }
        Err(e) => Err(PageError(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_urls_are_plain_server_addresses() {
        assert_eq!(
            parse_service_url("https://bsky.social/").unwrap(),
            "https://bsky.social"
        );
        assert_eq!(
            parse_service_url("http://localhost:2583").unwrap(),
            "http://localhost:2583"
        );
        for bad in [
            "bsky.social",
            "ftp://x",
            "https://",
            "https://a/b",
            "https://u:p@x",
            "https://x?y",
        ] {
            assert!(parse_service_url(bad).is_err(), "{bad}");
        }
    }
}

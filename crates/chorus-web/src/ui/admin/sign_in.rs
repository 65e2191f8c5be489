//! Admin → Sign-in (`/admin/sign-in`): the identity providers in config (with the callback URL
//! to register at each), who may still use a password, and the rules that turn the providers'
//! groups into memberships — listed, added and deleted here. Admins only; everything translates
//! to `chorus_app::sso`.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chorus_app::sso::{self, NewRule, ProviderInfo};
use chorus_core::Role;
use chorus_core::sso::{PasswordSignIn, RuleScope};
use serde::Deserialize;

use super::Tabs;
use crate::auth::{Identity, PageUser};
use crate::error::{AppError, PageError};
use crate::state::AppState;
use crate::ui::{Flash, FormData, Shell, render_with_status};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/sign-in", get(page))
        .route("/admin/sign-in/rules", post(create))
        .route("/admin/sign-in/rules/{id}/delete", post(delete))
}

struct RuleRow {
    id: i64,
    group: String,
    role: &'static str,
    /// "FI", "All markets" or "From the suffix".
    market: String,
    is_market: bool,
}

/// The add-a-rule form as typed, and why it was refused.
struct Form {
    group: String,
    role: String,
    /// "" (all markets), a market code, or "*" (from the group's suffix).
    market: String,
    error_field: String,
    error_message: String,
}

#[derive(Template)]
#[template(path = "admin/sign_in.html")]
struct SignInPage {
    shell: Shell,
    tabs: Tabs,
    providers: Vec<ProviderInfo>,
    /// Who may use a password, in words.
    password_policy: String,
    rules: Vec<RuleRow>,
    form: Form,
    roles: Vec<(&'static str, &'static str)>,
    markets: Vec<(String, String)>,
}

#[derive(Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

async fn render(
    state: &AppState,
    id: &Identity,
    status: StatusCode,
    flash: Option<Flash>,
    form: Form,
) -> Result<Response, PageError> {
    let rules = sso::rules(&state.app, &id.caller).await?;
    let markets = chorus_app::org::markets(&state.app, &id.caller).await?;
    let code = |m: chorus_core::MarketId| {
        markets
            .iter()
            .find(|x| x.id == m)
            .map(|x| x.code.to_string())
            .unwrap_or_else(|| format!("market {m}"))
    };
    let rules = rules
        .iter()
        .map(|r| RuleRow {
            id: r.id,
            group: r.group.as_str().to_owned(),
            role: r.role.label(),
            market: match r.scope {
                RuleScope::Global => "All markets".into(),
                RuleScope::Market(m) => code(m),
                RuleScope::FromSuffix => "The market the * names".into(),
            },
            is_market: matches!(r.scope, RuleScope::Market(_)),
        })
        .collect();
    let providers = sso::configured(&state.app, &id.caller)?;
    let password_policy = match sso::password_sign_in(&state.app) {
        PasswordSignIn::Everyone => "Everyone with a password may also sign in with it. Set \
             sso.password_sign_in = \"break_glass\" to keep passwords for named admins only."
            .to_owned(),
        PasswordSignIn::BreakGlass(admins) => format!(
            "Only these admins may sign in with a password (break-glass, for when the identity \
             provider is down): {}.",
            admins.join(", ")
        ),
    };
    let shell = Shell::new(state, id, "admin", "Sign-in")
        .await?
        .with_flash(flash);
    Ok(render_with_status(
        status,
        &SignInPage {
            shell,
            tabs: Tabs::new(id, "sign-in"),
            providers,
            password_policy,
            rules,
            form,
            roles: Role::ALL.iter().map(|r| (r.as_str(), r.label())).collect(),
            markets: markets
                .iter()
                .map(|m| (m.code.to_string(), format!("{} {}", m.code, m.name)))
                .collect(),
        },
    ))
}

fn blank() -> Form {
    Form {
        group: String::new(),
        role: Role::Contributor.as_str().to_owned(),
        market: String::new(),
        error_field: String::new(),
        error_message: String::new(),
    }
}

async fn page(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let flash = crate::ui::done_flash(q.done.as_deref());
    render(&state, &id, StatusCode::OK, flash, blank()).await
}

async fn create(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    form: FormData,
) -> Result<Response, PageError> {
    let market = form.get("market").trim().to_owned();
    let input = NewRule {
        group: form.get("group").to_owned(),
        role: form.get("role").to_owned(),
        market: (!market.is_empty() && market != "*").then(|| market.clone()),
        market_from_suffix: market == "*",
    };
    match sso::create_rule(&state.app, &id.caller, &input)
        .await
        .map_err(AppError::from)
    {
        Ok(_) => Ok(Redirect::to("/admin/sign-in?done=created").into_response()),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => {
            let flash = Flash::error(format!("The rule was not added: {}", e.public_message()));
            let typed = Form {
                group: input.group,
                role: input.role,
                market,
                error_field: e.field().unwrap_or("form").to_owned(),
                error_message: e.public_message(),
            };
            render(&state, &id, e.status(), flash, typed).await
        }
        Err(e) => Err(PageError(e)),
    }
}

async fn delete(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(rule): Path<i64>,
    _form: FormData,
) -> Result<Response, PageError> {
    sso::delete_rule(&state.app, &id.caller, rule).await?;
    Ok(Redirect::to("/admin/sign-in?done=deleted").into_response())
}

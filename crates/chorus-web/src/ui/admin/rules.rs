//! `/admin/rules`: the playbook's rules for posts, as data (see `chorus_app::playbook::rules`).
//! Admins and global leads add, change, switch off and delete them; every change is audited.
//! Each rule names the principle it serves, so the composer can say where a finding comes from.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chorus_app::playbook::rules::{self, RuleFields, RuleKind};
use serde::Deserialize;

use crate::auth::{Identity, PageUser};
use crate::error::{AppError, PageError};
use crate::state::AppState;
use crate::ui::stories::StoryTabs;
use crate::ui::{Flash, FormData, Shell, done_flash, render_with_status};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/rules", get(page).post(create))
        .route("/admin/rules/{id}", post(update))
        .route("/admin/rules/{id}/delete", post(delete))
}

pub const KINDS: [(&str, &str); 5] = [
    ("cite_principle", "Stories cite a principle"),
    ("alt_text", "Images have alt text"),
    ("utm_links", "Links get UTM tags"),
    ("banned_term", "Banned term"),
    ("required_term", "Required term"),
];

struct RuleRow {
    id: i64,
    kind: String,
    describe: String,
    term: String,
    has_term: bool,
    market: String,
    principle: String,
    enabled: bool,
}

#[derive(Template)]
#[template(path = "admin/rules.html")]
struct RulesPage {
    shell: Shell,
    tabs: StoryTabs,
    rows: Vec<RuleRow>,
    kinds: Vec<(&'static str, &'static str)>,
    markets: Vec<(String, String)>,
    principles: Vec<(String, String)>,
    error_message: String,
}

#[derive(Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

async fn render_page(
    state: &AppState,
    id: &Identity,
    status: StatusCode,
    flash: Option<Flash>,
    error: Option<AppError>,
) -> Result<Response, PageError> {
    let editor = rules::editor(&state.app, &id.caller).await?;
    let market_code = |m| {
        editor
            .markets
            .iter()
            .find(|x| x.id == m)
            .map(|x| x.code.to_string())
            .unwrap_or_else(|| m.to_string())
    };
    let rows = editor
        .rules
        .iter()
        .map(|r| {
            let term = match &r.kind {
                RuleKind::BannedTerm { term } | RuleKind::RequiredTerm { term } => term.clone(),
                _ => String::new(),
            };
            RuleRow {
                id: r.id,
                kind: r.kind.key().to_owned(),
                describe: r.kind.describe(),
                has_term: !term.is_empty(),
                term,
                market: r.market.map(market_code).unwrap_or_default(),
                principle: r
                    .principle
                    .and_then(|p| editor.principles.iter().find(|x| x.id == p))
                    .map(|p| p.number.to_string())
                    .unwrap_or_default(),
                enabled: r.enabled,
            }
        })
        .collect();
    let shell = Shell::with_markets(state, id, &editor.markets, "stories", "Post rules")
        .await?
        .with_flash(flash);
    Ok(render_with_status(
        status,
        &RulesPage {
            shell,
            tabs: StoryTabs::new(&id.caller.actor, "rules"),
            rows,
            kinds: KINDS.to_vec(),
            markets: editor
                .markets
                .iter()
                .map(|m| (m.code.to_string(), format!("{} {}", m.code, m.name)))
                .collect(),
            principles: editor
                .principles
                .iter()
                .map(|p| (p.number.to_string(), format!("{}. {}", p.number, p.title)))
                .collect(),
            error_message: error.map(|e| e.public_message()).unwrap_or_default(),
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
        None,
    )
    .await
}

/// The form fields `kind`, `term`, `market` (code or empty), `principle` (number or empty) and
/// `enabled` (a checkbox: absent means off).
fn fields(form: &FormData) -> RuleFields {
    RuleFields {
        kind: form.get("kind").to_owned(),
        term: form.get("term").to_owned(),
        market: form.get("market").to_owned(),
        principle: form.get("principle").to_owned(),
        enabled: matches!(form.get("enabled"), "on" | "true" | "1"),
    }
}

/// Where a save goes: back to the list, or the list again with why it was not saved.
async fn saved(
    state: &AppState,
    id: &Identity,
    result: chorus_app::Result<rules::Rule>,
    done: &str,
) -> Result<Response, PageError> {
    match result.map_err(AppError::from) {
        Ok(_) => Ok(Redirect::to(&format!("/admin/rules?done={done}")).into_response()),
        Err(e @ AppError::Invalid { .. }) => {
            let flash = Flash::error(format!("The rule was not saved: {}", e.public_message()));
            render_page(state, id, StatusCode::UNPROCESSABLE_ENTITY, flash, Some(e)).await
        }
        Err(e) => Err(PageError(e)),
    }
}

async fn create(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    form: FormData,
) -> Result<Response, PageError> {
    let result = rules::create_rule(&state.app, &id.caller, &fields(&form)).await;
    saved(&state, &id, result, "created").await
}

async fn update(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(rid): Path<i64>,
    form: FormData,
) -> Result<Response, PageError> {
    let result = rules::update_rule(&state.app, &id.caller, rid, &fields(&form)).await;
    saved(&state, &id, result, "saved").await
}

async fn delete(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(rid): Path<i64>,
) -> Result<Response, PageError> {
    rules::delete_rule(&state.app, &id.caller, rid).await?;
    Ok(Redirect::to("/admin/rules?done=deleted").into_response())
}

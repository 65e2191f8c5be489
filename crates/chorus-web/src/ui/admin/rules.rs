//! `/admin/rules`: the playbook's rules for posts, as data (see `chorus_core::stories::rules`).
//! Admins and global leads add, change, switch off and delete them; every change is audited by
//! the store. Each rule names the principle it serves, so the composer can say where a finding
//! comes from.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chorus_core::permission::authorize;
use chorus_core::stories::rules::{Rule, RuleKind};
use chorus_core::{Action, MarketId, Scope};
use serde::Deserialize;

use crate::auth::{Identity, PageUser};
use crate::error::{AppError, PageError};
use crate::state::AppState;
use crate::ui::stories::StoryTabs;
use crate::ui::stories::service::Lookup;
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
    authorize(&id.caller.actor, Action::EditPostRules, Scope::Global)?;
    let lookup = Lookup::load(&state.app, &id.caller).await?;
    let rows = state
        .store
        .post_rules()
        .await?
        .into_iter()
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
                market: r.market.map(|m| lookup.market_code(m)).unwrap_or_default(),
                principle: r
                    .principle
                    .and_then(|p| lookup.principle(p))
                    .map(|p| p.number.to_string())
                    .unwrap_or_default(),
                enabled: r.enabled,
            }
        })
        .collect();
    let shell = Shell::new(state, id, "stories", "Post rules")
        .await?
        .with_flash(flash);
    Ok(render_with_status(
        status,
        &RulesPage {
            shell,
            tabs: StoryTabs::new(&id.caller.actor, "rules"),
            rows,
            kinds: KINDS.to_vec(),
            markets: lookup
                .markets
                .iter()
                .map(|m| (m.code.to_string(), format!("{} {}", m.code, m.name)))
                .collect(),
            principles: lookup
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

/// A rule from the form fields `kind`, `term`, `market` (code or empty), `principle` (number or
/// empty) and `enabled`.
pub fn parse_rule(form: &FormData, id: i64, lookup: &Lookup) -> Result<Rule, AppError> {
    let kind = RuleKind::parse(form.get("kind"), form.get("term")).map_err(|e| {
        let field = if form.get("kind").contains("term") {
            "term"
        } else {
            "kind"
        };
        AppError::invalid(field, e.message)
    })?;
    let market: Option<MarketId> = match form.get("market").trim() {
        "" => None,
        c => Some(
            lookup
                .market_by_code(c)
                .ok_or_else(|| AppError::invalid("market", format!("no market {c:?}")))?
                .id,
        ),
    };
    let principle = match form.get("principle").trim() {
        "" => None,
        p => Some(
            lookup
                .find_principle(p)
                .ok_or_else(|| AppError::invalid("principle", format!("no principle {p:?}")))?
                .id,
        ),
    };
    Ok(Rule {
        id,
        kind,
        market,
        principle,
        enabled: matches!(form.get("enabled"), "on" | "true" | "1"),
    })
}

async fn save(
    state: &AppState,
    id: &Identity,
    rule_id: i64,
    form: &FormData,
) -> Result<Response, PageError> {
    authorize(&id.caller.actor, Action::EditPostRules, Scope::Global)?;
    let lookup = Lookup::load(&state.app, &id.caller).await?;
    let result = match parse_rule(form, rule_id, &lookup) {
        Ok(rule) => state
            .store
            .save_post_rule(&id.author(), &rule)
            .await
            .map_err(AppError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to(if rule_id == 0 {
            "/admin/rules?done=created"
        } else {
            "/admin/rules?done=saved"
        })
        .into_response()),
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
    save(&state, &id, 0, &form).await
}

async fn update(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(rid): Path<i64>,
    form: FormData,
) -> Result<Response, PageError> {
    if rid <= 0 {
        return Err(PageError(AppError::NotFound("rule")));
    }
    save(&state, &id, rid, &form).await
}

async fn delete(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(rid): Path<i64>,
) -> Result<Response, PageError> {
    authorize(&id.caller.actor, Action::EditPostRules, Scope::Global)?;
    state.store.delete_post_rule(&id.author(), rid).await?;
    Ok(Redirect::to("/admin/rules?done=deleted").into_response())
}

//! The playbook pages: browse by pillar, search, read a principle, and (for global leads) create,
//! edit and delete principles.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chorus_core::org::Market;
use chorus_core::permission::{allows, authorize};
use chorus_core::playbook::{
    MarketExample, Pillar, Principle, PrincipleInput, RawPrinciple, markdown, search,
};
use chorus_core::{Action, Scope};
use serde::Deserialize;

use super::{
    Flash, FormData, Shell, done_flash, format_time, iso_time, render, render_with_status,
};
use crate::auth::PageUser;
use crate::error::{AppError, PageError};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/playbook", get(index).post(create))
        .route("/playbook/search", get(search_page))
        .route("/playbook/new", get(new_form))
        .route("/playbook/{slug}", get(show).post(update))
        .route("/playbook/{slug}/edit", get(edit_form))
        .route("/playbook/{slug}/delete", post(delete))
}

struct Card {
    number: i64,
    slug: String,
    pillar: &'static str,
    pillar_label: &'static str,
    title: String,
    statement_html: String,
    counts: String,
    markets: Vec<(String, String)>,
}

struct PillarGroup {
    key: &'static str,
    label: &'static str,
    tagline: &'static str,
    cards: Vec<Card>,
}

#[derive(Template)]
#[template(path = "playbook/index.html")]
struct IndexPage {
    shell: Shell,
    groups: Vec<PillarGroup>,
    tabs: Vec<(&'static str, &'static str, usize, bool)>,
    total: usize,
    all_selected: bool,
    can_edit: bool,
    q: String,
}

fn count_items(md: &str) -> usize {
    md.lines()
        .filter(|l| {
            let t = l.trim_start();
            t.starts_with("- ") || t.starts_with("* ") || t.starts_with("+ ")
        })
        .count()
}

fn card(p: &Principle, markets: &[Market]) -> Card {
    let mut counts = vec![];
    let n = count_items(&p.implications);
    if n > 0 {
        counts.push(format!("{n} implication{}", if n == 1 { "" } else { "s" }));
    }
    let n = count_items(&p.examples);
    if n > 0 {
        counts.push(format!("{n} example{}", if n == 1 { "" } else { "s" }));
    }
    if !p.case_studies.trim().is_empty() {
        counts.push("case study".to_owned());
    }
    Card {
        number: p.number,
        slug: p.slug.clone(),
        pillar: p.pillar.as_str(),
        pillar_label: p.pillar.label(),
        title: p.title.clone(),
        statement_html: markdown::render(&p.statement),
        counts: counts.join(" · "),
        markets: market_codes(&p.market_examples, markets),
    }
}

fn market_codes(examples: &[MarketExample], markets: &[Market]) -> Vec<(String, String)> {
    examples
        .iter()
        .filter_map(|e| markets.iter().find(|m| m.id == e.market_id))
        .map(|m| (m.code.to_string(), m.name.clone()))
        .collect()
}

#[derive(Deserialize)]
struct IndexQuery {
    pillar: Option<String>,
    done: Option<String>,
}

async fn index(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Query(q): Query<IndexQuery>,
) -> Result<Response, PageError> {
    authorize(&id.caller.actor, Action::ReadPlaybook, Scope::Global)?;
    let principles = state.store.principles().await?;
    let markets = state.store.markets().await?;
    let selected = q.pillar.as_deref().and_then(|p| Pillar::parse(p).ok());
    let tabs = Pillar::ALL
        .iter()
        .map(|p| {
            let n = principles.iter().filter(|x| x.pillar == *p).count();
            (p.as_str(), p.label(), n, selected == Some(*p))
        })
        .collect();
    let groups = Pillar::ALL
        .iter()
        .filter(|p| selected.is_none_or(|s| s == **p))
        .map(|p| PillarGroup {
            key: p.as_str(),
            label: p.label(),
            tagline: p.tagline(),
            cards: principles
                .iter()
                .filter(|x| x.pillar == *p)
                .map(|x| card(x, &markets))
                .collect(),
        })
        .collect();
    let shell = Shell::new(&state, &id, "playbook", "Playbook")
        .await?
        .with_flash(done_flash(q.done.as_deref()));
    Ok(render(&IndexPage {
        shell,
        groups,
        tabs,
        total: principles.len(),
        all_selected: selected.is_none(),
        can_edit: allows(&id.caller.actor, Action::EditPlaybook, Scope::Global),
        q: String::new(),
    }))
}

struct SearchHit {
    number: i64,
    slug: String,
    title: String,
    pillar: &'static str,
    pillar_label: &'static str,
    field: &'static str,
    snippet: Vec<(String, bool)>,
}

#[derive(Template)]
#[template(path = "playbook/search.html")]
struct SearchPage {
    shell: Shell,
    q: String,
    hits: Vec<SearchHit>,
}

#[derive(Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
}

async fn search_page(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Query(q): Query<SearchQuery>,
) -> Result<Response, PageError> {
    authorize(&id.caller.actor, Action::ReadPlaybook, Scope::Global)?;
    let principles = state.store.principles().await?;
    let hits = search::search(&principles, &q.q)
        .into_iter()
        .map(|h| SearchHit {
            number: h.number,
            slug: h.slug,
            title: h.title,
            pillar: h.pillar.as_str(),
            pillar_label: h.pillar.label(),
            field: h.field,
            snippet: h
                .snippet
                .into_iter()
                .map(|s| (s.text, s.highlight))
                .collect(),
        })
        .collect();
    let shell = Shell::new(&state, &id, "playbook", "Search the playbook").await?;
    Ok(render(&SearchPage {
        shell,
        q: q.q,
        hits,
    }))
}

struct MarketSection {
    code: String,
    name: String,
    html: String,
}

#[derive(Template)]
#[template(path = "playbook/principle.html")]
struct PrinciplePage {
    shell: Shell,
    number: i64,
    slug: String,
    pillar: &'static str,
    pillar_label: &'static str,
    statement_html: String,
    implications_html: String,
    examples_html: String,
    case_studies_html: String,
    market_sections: Vec<MarketSection>,
    updated: String,
    updated_iso: String,
    total: usize,
    can_edit: bool,
    can_audit: bool,
    id: i64,
}

#[derive(Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(slug): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    authorize(&id.caller.actor, Action::ReadPlaybook, Scope::Global)?;
    let p = state.store.principle_by_slug(&slug).await?;
    let markets = state.store.markets().await?;
    let total = state.store.principles().await?.len();
    let market_sections = p
        .market_examples
        .iter()
        .filter_map(|e| {
            let m = markets.iter().find(|m| m.id == e.market_id)?;
            Some(MarketSection {
                code: m.code.to_string(),
                name: m.name.clone(),
                html: markdown::render(&e.body),
            })
        })
        .collect();
    let shell = Shell::new(&state, &id, "playbook", p.title.clone())
        .await?
        .with_flash(done_flash(q.done.as_deref()));
    Ok(render(&PrinciplePage {
        shell,
        number: p.number,
        slug: p.slug.clone(),
        pillar: p.pillar.as_str(),
        pillar_label: p.pillar.label(),
        statement_html: markdown::render(&p.statement),
        implications_html: markdown::render(&p.implications),
        examples_html: markdown::render(&p.examples),
        case_studies_html: markdown::render(&p.case_studies),
        market_sections,
        updated: format_time(p.updated_at_ms),
        updated_iso: iso_time(p.updated_at_ms),
        total,
        can_edit: allows(&id.caller.actor, Action::EditPlaybook, Scope::Global),
        can_audit: allows(&id.caller.actor, Action::ReadAuditLog, Scope::Global),
        id: p.id.0,
    }))
}

/// The values in the form, as typed (kept when re-showing it with errors).
#[derive(Default)]
struct Values {
    number: String,
    slug: String,
    pillar: String,
    title: String,
    statement: String,
    implications: String,
    examples: String,
    case_studies: String,
}

struct MarketField {
    code: String,
    name: String,
    body: String,
}

#[derive(Template)]
#[template(path = "playbook/form.html")]
struct FormPage {
    shell: Shell,
    is_new: bool,
    action: String,
    cancel: String,
    v: Values,
    error_field: String,
    error_message: String,
    market_fields: Vec<MarketField>,
    pillars: Vec<(&'static str, &'static str)>,
}

fn pillars() -> Vec<(&'static str, &'static str)> {
    Pillar::ALL
        .iter()
        .map(|p| (p.as_str(), p.label()))
        .collect()
}

async fn form_page(
    state: &AppState,
    id: &crate::auth::Identity,
    existing: Option<&Principle>,
    v: Values,
    market_bodies: Vec<(chorus_core::MarketId, String)>,
    error: Option<(String, String)>,
) -> Result<Response, PageError> {
    let markets = state.store.markets().await?;
    let market_fields = markets
        .iter()
        .map(|m| MarketField {
            code: m.code.to_string(),
            name: m.name.clone(),
            body: market_bodies
                .iter()
                .find(|(mid, _)| *mid == m.id)
                .map(|(_, b)| b.clone())
                .unwrap_or_default(),
        })
        .collect();
    let (title, action, cancel) = match existing {
        Some(p) => (
            format!("Edit principle {}", p.number),
            format!("/playbook/{}", p.slug),
            format!("/playbook/{}", p.slug),
        ),
        None => (
            "New principle".to_owned(),
            "/playbook".to_owned(),
            "/playbook".to_owned(),
        ),
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let (error_field, error_message) = error.unwrap_or_default();
    let flash = (!error_message.is_empty())
        .then(|| Flash::error("The principle was not saved: one field needs attention."))
        .flatten();
    let shell = Shell::new(state, id, "playbook", title)
        .await?
        .with_flash(flash);
    Ok(render_with_status(
        status,
        &FormPage {
            shell,
            is_new: existing.is_none(),
            action,
            cancel,
            v,
            error_field,
            error_message,
            market_fields,
            pillars: pillars(),
        },
    ))
}

async fn new_form(
    State(state): State<AppState>,
    PageUser(id): PageUser,
) -> Result<Response, PageError> {
    authorize(&id.caller.actor, Action::EditPlaybook, Scope::Global)?;
    let next = state
        .store
        .principles()
        .await?
        .iter()
        .map(|p| p.number)
        .max()
        .unwrap_or(0)
        + 1;
    let v = Values {
        number: next.to_string(),
        pillar: "stories".into(),
        ..Default::default()
    };
    form_page(&state, &id, None, v, vec![], None).await
}

async fn edit_form(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    authorize(&id.caller.actor, Action::EditPlaybook, Scope::Global)?;
    let p = state.store.principle_by_slug(&slug).await?;
    let v = Values {
        number: p.number.to_string(),
        slug: p.slug.clone(),
        pillar: p.pillar.as_str().into(),
        title: p.title.clone(),
        statement: p.statement.clone(),
        implications: p.implications.clone(),
        examples: p.examples.clone(),
        case_studies: p.case_studies.clone(),
    };
    let bodies = p
        .market_examples
        .iter()
        .map(|e| (e.market_id, e.body.clone()))
        .collect();
    form_page(&state, &id, Some(&p), v, bodies, None).await
}

/// Reads the form into raw fields and the values to show again on error.
async fn read_form(
    state: &AppState,
    form: &FormData,
) -> Result<(RawPrinciple, Values, Vec<(chorus_core::MarketId, String)>), PageError> {
    let markets = state.store.markets().await?;
    let mut bodies = vec![];
    for (code, body) in form.with_prefix("market_example_") {
        if let Some(m) = markets.iter().find(|m| m.code.as_str() == code) {
            bodies.push((m.id, body.to_owned()));
        }
    }
    let v = Values {
        number: form.get("number").to_owned(),
        slug: form.get("slug").to_owned(),
        pillar: form.get("pillar").to_owned(),
        title: form.get("title").to_owned(),
        statement: form.get("statement").to_owned(),
        implications: form.get("implications").to_owned(),
        examples: form.get("examples").to_owned(),
        case_studies: form.get("case_studies").to_owned(),
    };
    let raw = RawPrinciple {
        number: v.number.trim().parse().unwrap_or(0),
        slug: Some(v.slug.clone()),
        pillar: v.pillar.clone(),
        title: v.title.clone(),
        statement: v.statement.clone(),
        implications: v.implications.clone(),
        examples: v.examples.clone(),
        case_studies: v.case_studies.clone(),
        market_examples: bodies
            .iter()
            .map(|(id, body)| MarketExample {
                market_id: *id,
                body: body.clone(),
            })
            .collect(),
    };
    Ok((raw, v, bodies))
}

async fn create(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    form: FormData,
) -> Result<Response, PageError> {
    authorize(&id.caller.actor, Action::EditPlaybook, Scope::Global)?;
    let (raw, v, bodies) = read_form(&state, &form).await?;
    let input = match PrincipleInput::parse(&raw) {
        Ok(i) => i,
        Err(e) => {
            return form_page(
                &state,
                &id,
                None,
                v,
                bodies,
                Some((e.field.into(), e.message)),
            )
            .await;
        }
    };
    match state.store.create_principle(&id.author(), &input).await {
        Ok(p) => Ok(Redirect::to(&format!("/playbook/{}?done=created", p.slug)).into_response()),
        Err(e) => match AppError::from(e) {
            AppError::Conflict { field, message }
            | AppError::Invalid {
                field: Some(field),
                message,
            } => form_page(&state, &id, None, v, bodies, Some((field, message))).await,
            other => Err(PageError(other)),
        },
    }
}

async fn update(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(slug): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    authorize(&id.caller.actor, Action::EditPlaybook, Scope::Global)?;
    let existing = state.store.principle_by_slug(&slug).await?;
    let (raw, v, bodies) = read_form(&state, &form).await?;
    let input = match PrincipleInput::parse(&raw) {
        Ok(i) => i,
        Err(e) => {
            return form_page(
                &state,
                &id,
                Some(&existing),
                v,
                bodies,
                Some((e.field.into(), e.message)),
            )
            .await;
        }
    };
    match state
        .store
        .update_principle(&id.author(), existing.id, &input)
        .await
    {
        Ok(p) => Ok(Redirect::to(&format!("/playbook/{}?done=saved", p.slug)).into_response()),
        Err(e) => match AppError::from(e) {
            AppError::Conflict { field, message }
            | AppError::Invalid {
                field: Some(field),
                message,
            } => {
                form_page(
                    &state,
                    &id,
                    Some(&existing),
                    v,
                    bodies,
                    Some((field, message)),
                )
                .await
            }
            other => Err(PageError(other)),
        },
    }
}

async fn delete(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    authorize(&id.caller.actor, Action::EditPlaybook, Scope::Global)?;
    let p = state.store.principle_by_slug(&slug).await?;
    state.store.delete_principle(&id.author(), p.id).await?;
    Ok(Redirect::to("/playbook?done=deleted").into_response())
}

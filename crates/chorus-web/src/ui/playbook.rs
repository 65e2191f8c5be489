//! The playbook pages: browse by pillar, search, read a principle, and (for global leads) create,
//! edit and delete principles. Each handler reads the request, calls its use case in
//! `chorus_app::playbook` (which decides who may and validates) and renders; a refused form is
//! shown again with the refusal's status, as the JSON API answers the same request.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chorus_app::playbook::{
    self, MarketExample, MarketExampleFields, Pillar, Principle, PrincipleEditor, PrincipleFields,
};
use chorus_core::org::Market;
use chorus_core::playbook::markdown;
use serde::Deserialize;

use super::{
    Flash, FormData, Shell, done_flash, format_time, iso_time, render, render_with_status,
};
use crate::auth::{Identity, PageUser};
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

fn card(p: &Principle, markets: &[Market], images: markdown::Images) -> Card {
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
        statement_html: markdown::render_with(&p.statement, images),
        counts: counts.join(" · "),
        markets: market_codes(&p.market_examples, markets),
    }
}

/// Which Markdown images become `<img>`: the installation's `external_images` setting.
fn images(state: &AppState) -> markdown::Images {
    if state.config.external_images {
        markdown::Images::External
    } else {
        markdown::Images::Local
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
    let book = playbook::playbook(&state.app, &id.caller).await?;
    let (principles, markets) = (&book.principles, &book.markets);
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
                .map(|x| card(x, markets, images(&state)))
                .collect(),
        })
        .collect();
    let shell = Shell::with_markets(&state, &id, markets, "playbook", "Playbook")
        .await?
        .with_flash(done_flash(q.done.as_deref()));
    Ok(render(&IndexPage {
        shell,
        groups,
        tabs,
        total: principles.len(),
        all_selected: selected.is_none(),
        can_edit: book.can_edit,
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
    let hits = playbook::search(&state.app, &id.caller, &q.q)
        .await?
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
    let view = playbook::principle(&state.app, &id.caller, &slug).await?;
    let (p, markets) = (&view.principle, &view.markets);
    let market_sections = p
        .market_examples
        .iter()
        .filter_map(|e| {
            let m = markets.iter().find(|m| m.id == e.market_id)?;
            Some(MarketSection {
                code: m.code.to_string(),
                name: m.name.clone(),
                html: markdown::render_with(&e.body, images(&state)),
            })
        })
        .collect();
    let shell = Shell::with_markets(&state, &id, markets, "playbook", p.title.clone())
        .await?
        .with_flash(done_flash(q.done.as_deref()));
    Ok(render(&PrinciplePage {
        shell,
        number: p.number,
        slug: p.slug.clone(),
        pillar: p.pillar.as_str(),
        pillar_label: p.pillar.label(),
        statement_html: markdown::render_with(&p.statement, images(&state)),
        implications_html: markdown::render_with(&p.implications, images(&state)),
        examples_html: markdown::render_with(&p.examples, images(&state)),
        case_studies_html: markdown::render_with(&p.case_studies, images(&state)),
        market_sections,
        updated: format_time(p.updated_at_ms),
        updated_iso: iso_time(p.updated_at_ms),
        total: view.total,
        can_edit: view.can_edit,
        can_audit: view.can_audit,
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
    /// (market code, body) as typed.
    market_examples: Vec<(String, String)>,
}

impl Values {
    fn of(p: &Principle, markets: &[Market]) -> Values {
        Values {
            number: p.number.to_string(),
            slug: p.slug.clone(),
            pillar: p.pillar.as_str().into(),
            title: p.title.clone(),
            statement: p.statement.clone(),
            implications: p.implications.clone(),
            examples: p.examples.clone(),
            case_studies: p.case_studies.clone(),
            market_examples: p
                .market_examples
                .iter()
                .filter_map(|e| {
                    let m = markets.iter().find(|m| m.id == e.market_id)?;
                    Some((m.code.to_string(), e.body.clone()))
                })
                .collect(),
        }
    }

    /// The form's fields; each market's example is `market_example_<CODE>`.
    fn from_form(form: &FormData) -> Values {
        Values {
            number: form.get("number").to_owned(),
            slug: form.get("slug").to_owned(),
            pillar: form.get("pillar").to_owned(),
            title: form.get("title").to_owned(),
            statement: form.get("statement").to_owned(),
            implications: form.get("implications").to_owned(),
            examples: form.get("examples").to_owned(),
            case_studies: form.get("case_studies").to_owned(),
            market_examples: form
                .with_prefix("market_example_")
                .map(|(code, body)| (code.to_owned(), body.to_owned()))
                .collect(),
        }
    }

    fn fields(&self) -> PrincipleFields {
        PrincipleFields {
            number: self.number.clone(),
            slug: self.slug.clone(),
            pillar: self.pillar.clone(),
            title: self.title.clone(),
            statement: self.statement.clone(),
            implications: self.implications.clone(),
            examples: self.examples.clone(),
            case_studies: self.case_studies.clone(),
            market_examples: self
                .market_examples
                .iter()
                .map(|(market, body)| MarketExampleFields {
                    market: market.clone(),
                    body: body.clone(),
                })
                .collect(),
        }
    }
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

/// The form, with the values typed and, when it was refused, why: answered with the refusal's
/// status (422 for a bad value, 409 for a number or slug in use), as the API answers.
async fn form_page(
    state: &AppState,
    id: &Identity,
    editor: &PrincipleEditor,
    v: Values,
    error: Option<AppError>,
) -> Result<Response, PageError> {
    let market_fields = editor
        .markets
        .iter()
        .map(|m| MarketField {
            code: m.code.to_string(),
            name: m.name.clone(),
            body: v
                .market_examples
                .iter()
                .find(|(code, _)| code.eq_ignore_ascii_case(m.code.as_str()))
                .map(|(_, b)| b.clone())
                .unwrap_or_default(),
        })
        .collect();
    let (title, action, cancel) = match &editor.principle {
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
    let status = error
        .as_ref()
        .map_or(axum::http::StatusCode::OK, AppError::status);
    let (error_field, error_message) = match &error {
        // The examples are one fieldset: `market_examples[2].market` points at it.
        Some(e) => (
            e.field()
                .map(|f| f.split('[').next().unwrap_or(f))
                .unwrap_or("form")
                .to_owned(),
            e.public_message(),
        ),
        None => (String::new(), String::new()),
    };
    let flash = error
        .is_some()
        .then(|| Flash::error("The principle was not saved: one field needs attention."))
        .flatten();
    let shell = Shell::with_markets(state, id, &editor.markets, "playbook", title)
        .await?
        .with_flash(flash);
    Ok(render_with_status(
        status,
        &FormPage {
            shell,
            is_new: editor.principle.is_none(),
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
    let editor = playbook::editor(&state.app, &id.caller, None).await?;
    let v = Values {
        number: editor.next_number.to_string(),
        pillar: "stories".into(),
        ..Default::default()
    };
    form_page(&state, &id, &editor, v, None).await
}

async fn edit_form(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let editor = playbook::editor(&state.app, &id.caller, Some(&slug)).await?;
    let v = match &editor.principle {
        Some(p) => Values::of(p, &editor.markets),
        None => Values::default(),
    };
    form_page(&state, &id, &editor, v, None).await
}

/// Whether a refusal is about what was typed (the form is shown again with it) rather than
/// about the request (an error page).
fn about_a_field(e: &AppError) -> bool {
    matches!(
        e,
        AppError::Conflict { .. } | AppError::Invalid { field: Some(_), .. }
    )
}

async fn create(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    form: FormData,
) -> Result<Response, PageError> {
    let v = Values::from_form(&form);
    match playbook::create_principle(&state.app, &id.caller, &v.fields())
        .await
        .map_err(AppError::from)
    {
        Ok(p) => Ok(Redirect::to(&format!("/playbook/{}?done=created", p.slug)).into_response()),
        Err(e) if about_a_field(&e) => {
            let editor = playbook::editor(&state.app, &id.caller, None).await?;
            form_page(&state, &id, &editor, v, Some(e)).await
        }
        Err(e) => Err(PageError(e)),
    }
}

async fn update(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(slug): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let v = Values::from_form(&form);
    match playbook::update_principle(&state.app, &id.caller, &slug, &v.fields())
        .await
        .map_err(AppError::from)
    {
        Ok(p) => Ok(Redirect::to(&format!("/playbook/{}?done=saved", p.slug)).into_response()),
        Err(e) if about_a_field(&e) => {
            let editor = playbook::editor(&state.app, &id.caller, Some(&slug)).await?;
            form_page(&state, &id, &editor, v, Some(e)).await
        }
        Err(e) => Err(PageError(e)),
    }
}

async fn delete(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    playbook::delete_principle(&state.app, &id.caller, &slug).await?;
    Ok(Redirect::to("/playbook?done=deleted").into_response())
}

//! Gated assets: `/reach/assets` (the list), `/reach/assets/new` (the form with the upload),
//! `/reach/assets/{id}` (the public link to share, figures, landing page texts and form fields
//! to edit, the state), and `/reach/offers/{id}/state` (draft → live → closed, for webinars
//! too). Forms name their rows `pages[i].title`, `fields[i].label`…, the names the use cases'
//! errors give, so a refusal lands beside its field.

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chorus_app::reach::offers::{self, OfferView, RawAsset, RawOfferTexts};
use chorus_core::OfferId;
use chorus_core::reach::offer::{FieldInput, FieldKind, PageInput};
use chorus_core::reach::{OfferKind, OfferState};
use serde::Deserialize;

use super::upload::UploadForm;
use super::{OfferRow, ReachTabs, count, percent, state_label, state_tone};
use crate::auth::PageUser;
use crate::error::{AppError, PageError};
use crate::state::AppState;
use crate::ui::{Flash, FormData, Shell, render, render_with_status};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/reach/assets",
            get(list).post(create).layer(DefaultBodyLimit::disable()),
        )
        .route("/reach/assets/new", get(new))
        .route("/reach/assets/{id}", get(show).post(update))
        .route("/reach/offers/{id}/state", post(set_state))
}

/// A landing page row of the form.
#[derive(Clone, Default)]
pub(crate) struct PageRow {
    pub locale: String,
    pub title: String,
    pub description: String,
}

/// A custom field row of the form.
#[derive(Clone, Default)]
pub(crate) struct FieldRow {
    pub label: String,
    pub kind: String,
    pub required: bool,
    pub options: String,
}

/// Reads `prefix[i].name` rows (i = 0, 1, … while any of `names` is present).
fn rows(form: &FormData, prefix: &str, names: &[&str]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for i in 0..40 {
        let values: Vec<Option<&str>> = names
            .iter()
            .map(|n| {
                let key = format!("{prefix}[{i}].{n}");
                form.0
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, v)| v.as_str())
            })
            .collect();
        if values.iter().all(Option::is_none) {
            break;
        }
        out.push(
            values
                .into_iter()
                .map(|v| v.unwrap_or("").to_owned())
                .collect(),
        );
    }
    out
}

fn page_rows(form: &FormData) -> Vec<PageRow> {
    rows(form, "pages", &["locale", "title", "description"])
        .into_iter()
        .map(|v| PageRow {
            locale: v[0].clone(),
            title: v[1].clone(),
            description: v[2].clone(),
        })
        .collect()
}

fn field_rows(form: &FormData) -> Vec<FieldRow> {
    rows(form, "fields", &["label", "kind", "required", "options"])
        .into_iter()
        .map(|v| FieldRow {
            label: v[0].clone(),
            kind: v[1].clone(),
            required: !v[2].is_empty(),
            options: v[3].clone(),
        })
        .collect()
}

fn page_inputs(rows: &[PageRow]) -> Vec<PageInput> {
    rows.iter()
        .map(|r| PageInput {
            locale: r.locale.clone(),
            title: r.title.clone(),
            description: r.description.clone(),
        })
        .collect()
}

fn field_inputs(rows: &[FieldRow]) -> Vec<FieldInput> {
    rows.iter()
        .map(|r| FieldInput {
            label: r.label.clone(),
            kind: r.kind.clone(),
            required: r.required,
            options: r.options.clone(),
        })
        .collect()
}

/// The rows as shown: what is there, plus spare empty rows to add one.
fn with_spares(
    mut pages: Vec<PageRow>,
    mut fields: Vec<FieldRow>,
) -> (Vec<PageRow>, Vec<FieldRow>) {
    pages.push(PageRow::default());
    if fields.len() < 12 {
        fields.push(FieldRow {
            kind: "text".into(),
            ..FieldRow::default()
        });
    }
    (pages, fields)
}

/// The kinds a field may be, as (value, label).
fn kinds() -> Vec<(&'static str, &'static str)> {
    FieldKind::ALL
        .iter()
        .map(|k| (k.as_str(), k.label()))
        .collect()
}

/// The error to show: its field (as the form names it) and message.
fn shown(error: &Option<AppError>) -> (String, String) {
    match error {
        Some(e) => (e.field().unwrap_or("form").to_owned(), e.public_message()),
        None => (String::new(), String::new()),
    }
}

#[derive(Template)]
#[template(path = "reach/assets.html")]
struct ListPage {
    shell: Shell,
    tabs: ReachTabs,
    rows: Vec<OfferRow>,
    can_create: bool,
}

async fn list(
    State(state): State<AppState>,
    PageUser(id): PageUser,
) -> Result<Response, PageError> {
    let offers = offers::list(&state.app, &id.caller, Some(OfferKind::Asset)).await?;
    Ok(render(&ListPage {
        shell: Shell::new(&state, &id, "reach", "Reach").await?,
        tabs: ReachTabs {
            active: "assets",
            leads: chorus_app::reach::leads::breakdown(&state.app, &id.caller)
                .await?
                .is_some(),
        },
        rows: offers.iter().map(OfferRow::of).collect(),
        can_create: offers::may_create(&state.app, &id.caller).await?,
    }))
}

#[derive(Template)]
#[template(path = "reach/asset_new.html")]
struct NewPage {
    shell: Shell,
    markets: Vec<(String, String)>,
    campaigns: Vec<(i64, String)>,
    market: String,
    slug: String,
    campaign: String,
    pages: Vec<PageRow>,
    fields: Vec<FieldRow>,
    kinds: Vec<(&'static str, &'static str)>,
    max_size: String,
    error_field: String,
    error_message: String,
}

struct NewValues {
    market: String,
    slug: String,
    campaign: String,
    pages: Vec<PageRow>,
    fields: Vec<FieldRow>,
}

async fn new_page(
    state: &AppState,
    id: &crate::auth::Identity,
    v: NewValues,
    error: Option<AppError>,
) -> Result<Response, PageError> {
    let markets = offers::managed_markets(&state.app, &id.caller).await?;
    if markets.is_empty() {
        return Err(PageError(AppError::Forbidden(
            "only market leads and editors make gated assets".into(),
        )));
    }
    let campaigns = chorus_app::stories::campaigns::campaigns(&state.app, &id.caller)
        .await?
        .lookup
        .campaigns
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let (pages, fields) = with_spares(v.pages, v.fields);
    let (error_field, error_message) = shown(&error);
    let status = error
        .as_ref()
        .map_or(axum::http::StatusCode::OK, AppError::status);
    let page = NewPage {
        shell: Shell::new(state, id, "reach", "New gated asset").await?,
        markets: markets
            .iter()
            .map(|m| (m.code.to_string(), m.name.clone()))
            .collect(),
        campaigns,
        market: v.market,
        slug: v.slug,
        campaign: v.campaign,
        pages,
        fields,
        kinds: kinds(),
        max_size: chorus_app::reach::files::human_size(state.app.max_asset_bytes().unwrap_or(0)),
        error_field,
        error_message,
    };
    Ok(render_with_status(status, &page))
}

async fn new(State(state): State<AppState>, PageUser(id): PageUser) -> Result<Response, PageError> {
    let v = NewValues {
        market: String::new(),
        slug: String::new(),
        campaign: String::new(),
        pages: vec![PageRow {
            locale: "en".into(),
            ..PageRow::default()
        }],
        fields: Vec::new(),
    };
    new_page(&state, &id, v, None).await
}

/// Whether an error belongs beside a field of the form (re-show it) rather than on its own page.
fn about_a_field(e: &AppError) -> bool {
    matches!(
        e,
        AppError::Invalid { field: Some(_), .. } | AppError::Conflict { .. }
    )
}

async fn create(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    form: UploadForm,
) -> Result<Response, PageError> {
    let v = NewValues {
        market: form.fields.get("market").to_owned(),
        slug: form.fields.get("slug").to_owned(),
        campaign: form.fields.get("campaign").to_owned(),
        pages: page_rows(&form.fields),
        fields: field_rows(&form.fields),
    };
    if let Some(e) = form.refused {
        return new_page(&state, &id, v, Some(e)).await;
    }
    let raw = RawAsset {
        market: v.market.clone(),
        slug: v.slug.clone(),
        campaign: v.campaign.clone(),
        pages: page_inputs(&v.pages),
        fields: field_inputs(&v.fields),
        file: form.file,
        cover: form.cover,
    };
    match offers::create_asset(&state.app, &id.caller, &raw)
        .await
        .map_err(AppError::from)
    {
        Ok(o) => {
            Ok(Redirect::to(&format!("/reach/assets/{}?done=created", o.id.0)).into_response())
        }
        Err(e) if about_a_field(&e) => new_page(&state, &id, v, Some(e)).await,
        Err(e) => Err(PageError(e)),
    }
}

#[derive(Template)]
#[template(path = "reach/asset.html")]
struct ShowPage {
    shell: Shell,
    v: OfferView,
    state_label: &'static str,
    state_tone: &'static str,
    public_url: String,
    file_name: String,
    file_type: String,
    file_size: String,
    has_cover: bool,
    submissions: String,
    confirmations: String,
    leads: String,
    withdrawn: String,
    rate: String,
    moves: Vec<(&'static str, &'static str, &'static str)>,
    pages: Vec<PageRow>,
    fields: Vec<FieldRow>,
    kinds: Vec<(&'static str, &'static str)>,
    error_field: String,
    error_message: String,
    reads_leads: bool,
}

#[derive(Deserialize)]
struct Done {
    done: Option<String>,
}

fn offer_id(raw: &str) -> Result<OfferId, PageError> {
    raw.parse::<i64>()
        .map(OfferId)
        .map_err(|_| PageError(AppError::NotFound("offer")))
}

/// The button for a move to `to`: (value, label, style).
fn move_button(to: OfferState) -> (&'static str, &'static str, &'static str) {
    match to {
        OfferState::Live => ("live", "Publish the landing page", "btn--primary"),
        OfferState::Closed => ("closed", "Close sign-ups", "btn--secondary"),
        OfferState::Draft => ("draft", "Back to draft", "btn--secondary"),
    }
}

async fn show_page(
    state: &AppState,
    id: &crate::auth::Identity,
    offer: OfferId,
    edited: Option<(Vec<PageRow>, Vec<FieldRow>)>,
    error: Option<AppError>,
    flash: Option<Flash>,
) -> Result<Response, PageError> {
    let v = offers::get(&state.app, &id.caller, offer).await?;
    if v.offer.kind != OfferKind::Asset {
        return Ok(Redirect::to(&format!("/reach/webinars/{}", offer.0)).into_response());
    }
    let (pages, fields) = edited.unwrap_or_else(|| {
        (
            v.offer
                .pages
                .iter()
                .map(|p| PageRow {
                    locale: p.locale.clone(),
                    title: p.title.clone(),
                    description: p.description.clone(),
                })
                .collect(),
            v.fields
                .iter()
                .map(|f| FieldRow {
                    label: f.label.clone(),
                    kind: f.kind.as_str().to_owned(),
                    required: f.required,
                    options: f.options.join("\n"),
                })
                .collect(),
        )
    });
    let (pages, fields) = with_spares(pages, fields);
    let asset = v
        .offer
        .asset
        .clone()
        .unwrap_or_else(|| chorus_app::reach::AssetFile {
            file_name: String::new(),
            content_type: String::new(),
            size_bytes: 0,
            sha256: String::new(),
            storage_key: String::new(),
            cover_key: None,
            cover_type: None,
        });
    let file_type = chorus_core::reach::sniff::FileType::from_content_type(&asset.content_type)
        .map_or_else(|| asset.content_type.clone(), |t| t.label().to_owned());
    let public_url = match state.app.public_url() {
        Some(base) => format!("{}{}", base.as_str().trim_end_matches('/'), v.public_path),
        None => v.public_path.clone(),
    };
    let (error_field, error_message) = shown(&error);
    let status = error
        .as_ref()
        .map_or(axum::http::StatusCode::OK, AppError::status);
    let title = v.offer.title().to_owned();
    let page = ShowPage {
        shell: Shell::new(state, id, "reach", title)
            .await?
            .with_flash(flash),
        state_label: state_label(v.offer.state),
        state_tone: state_tone(v.offer.state),
        public_url,
        file_name: asset.file_name.clone(),
        file_type,
        file_size: chorus_app::reach::files::human_size(
            u64::try_from(asset.size_bytes).unwrap_or(0),
        ),
        has_cover: asset.cover_key.is_some(),
        submissions: count(v.counts.submissions),
        confirmations: count(v.counts.confirmations),
        leads: count(v.counts.leads),
        withdrawn: count(v.counts.withdrawn),
        rate: percent(v.confirmation_rate()),
        moves: v.next_states.iter().map(|s| move_button(*s)).collect(),
        pages,
        fields,
        kinds: kinds(),
        error_field,
        error_message,
        reads_leads: chorus_core::permission::allows(
            &id.caller.actor,
            chorus_core::Action::ReadLeads,
            chorus_core::Scope::Market(v.offer.market),
        ),
        v,
    };
    Ok(render_with_status(status, &page))
}

async fn show(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(raw): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    let flash = match done.done.as_deref() {
        Some("created") => Flash::success(
            "Created as a draft. Check the landing page texts, then publish it to share the link.",
        ),
        Some("saved") => Flash::success("Saved. The change is recorded in the audit log."),
        Some("live") => Flash::success("Live: the landing page answers at its public link."),
        Some("closed") => Flash::success("Closed: the landing page no longer takes sign-ups."),
        _ => None,
    };
    show_page(&state, &id, offer_id(&raw)?, None, None, flash).await
}

async fn update(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(raw): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let offer = offer_id(&raw)?;
    let pages = page_rows(&form);
    let fields = field_rows(&form);
    let input = RawOfferTexts {
        pages: page_inputs(&pages),
        fields: field_inputs(&fields),
    };
    match offers::update_texts(&state.app, &id.caller, offer, &input)
        .await
        .map_err(AppError::from)
    {
        Ok(_) => Ok(Redirect::to(&format!("/reach/assets/{}?done=saved", offer.0)).into_response()),
        Err(e) if about_a_field(&e) => {
            show_page(&state, &id, offer, Some((pages, fields)), Some(e), None).await
        }
        Err(e) => Err(PageError(e)),
    }
}

async fn set_state(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(raw): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let offer = offer_id(&raw)?;
    match offers::set_state(&state.app, &id.caller, offer, form.get("state"))
        .await
        .map_err(AppError::from)
    {
        Ok(o) => {
            let base = match o.kind {
                OfferKind::Asset => "assets",
                OfferKind::Webinar => "webinars",
            };
            let done = match o.state {
                OfferState::Live => "live",
                OfferState::Closed => "closed",
                OfferState::Draft => "saved",
            };
            Ok(Redirect::to(&format!("/reach/{base}/{}?done={done}", offer.0)).into_response())
        }
        Err(e @ AppError::Conflict { .. }) => {
            let message = Flash::error(e.public_message());
            show_page(&state, &id, offer, None, None, message).await
        }
        Err(e) => Err(PageError(e)),
    }
}

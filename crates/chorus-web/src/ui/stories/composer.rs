//! The composer: write one variant (account, locale, text, time in the market's zone, images
//! with alt text) with live checks as you type. The text area posts to `/stories/{id}/check`
//! (htmx, 300 ms after typing stops), which answers with the length as the network counts what
//! will be posted (each link as its short redirect, and what each link counts for), every rule
//! finding with the principle it comes from and how to fix it, and a preview of the post as the
//! network shows it: the account's initials, name and handle, the text with what runs over the
//! limit and what a rule forbids marked, the images, the link's card.
//!
//! Images can be added before the first save: the picker (or a drop on the composer, with
//! `/static/composer.js`) stages each file as it is chosen (`images.rs`), and the form carries
//! the staged ids; the save attaches them. Without JavaScript the picker's files come with the
//! form itself (multipart, [`ComposerForm`]) and are staged and attached by the same save.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chorus_app::stories::staged::{self, Pending, RawStaged};
use chorus_app::stories::variants::{self, Composer, LiveCheck, Typed};
use chorus_app::stories::{Lookup, RawVariant};
use chorus_core::stories::compose::MarkKind;
use chorus_core::stories::limits::Network;
use chorus_core::stories::rules::Severity;

use super::composer_form::{ComposerForm, staged_from};
use super::images::{self, StagedRow};
use super::{Choice, FindingView, StoryTabs, done_message, preview, zones};
use crate::auth::{Identity, PageUser};
use crate::error::{AppError, PageError};
use crate::state::AppState;
use crate::ui::{Flash, FormData, Shell, render_with_status};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/stories/{id}/variants/new", get(new_form))
        .route("/stories/{id}/variants", post(create))
        .route("/stories/{id}/variants/{vid}", get(edit_form).post(update))
        .route("/stories/{id}/variants/{vid}/delete", post(delete))
        .route("/stories/{id}/check", post(check))
        .merge(images::routes())
}

/// What one link of the post counts for.
pub struct LinkLine {
    /// Where it leads, shortened for reading.
    pub target: String,
    /// What it goes out as, shortened for reading (the short link, or the target).
    pub posted: String,
    pub counted: usize,
    /// What it would count for written out in full (UTM tags included).
    pub full: usize,
    pub shortened: bool,
}

/// What the live-check fragment shows.
#[derive(Template)]
#[template(path = "stories/_checks.html")]
pub struct Checks {
    pub length: usize,
    pub limit: usize,
    pub network: &'static str,
    pub unit: &'static str,
    pub over: bool,
    /// How many characters past the limit.
    pub over_by: usize,
    /// Saving adds UTM tags to the links, and the count includes them.
    pub tagged: bool,
    pub links: Vec<LinkLine>,
    /// Mastodon counts every link as 23, whatever it is.
    pub flat_links: bool,
    pub blocking: usize,
    pub findings: Vec<FindingView>,
    /// Whether a forbidden term is marked in the preview.
    pub banned_marked: bool,
    pub handle: String,
    pub name: String,
    pub initials: String,
    pub preview_html: String,
    /// Images in the post: (address, alt text).
    pub images: Vec<(String, String)>,
    /// The card the first link gets when the post has no image: (host, path).
    pub card: Option<(String, String)>,
}

/// The count and the number of problems beside Save (on a phone the checks are above it, out
/// of sight once the person scrolls back up). The live checks replace it out of band.
#[derive(Template)]
#[template(path = "stories/_save_summary.html")]
pub struct SaveSummary {
    pub length: usize,
    pub limit: usize,
    pub over: bool,
    pub blocking: usize,
    pub oob: bool,
}

impl SaveSummary {
    pub fn of(c: &Checks, oob: bool) -> SaveSummary {
        SaveSummary {
            length: c.length,
            limit: c.limit,
            over: c.over,
            blocking: c.blocking,
            oob,
        }
    }
}

/// The fragment for the checks of text as typed (see `chorus_app::stories::variants`).
pub fn checks_view(c: &LiveCheck, lookup: &Lookup) -> Checks {
    let mut images: Vec<(String, String)> = match c.variant_id {
        Some(vid) => c
            .images
            .iter()
            .map(|i| (image_url(c.story_id, vid, i.id), i.alt.clone()))
            .collect(),
        None => Vec::new(),
    };
    images.extend(
        c.staged
            .iter()
            .map(|p| (images::staged_url(c.story_id, p.image.id), p.alt.clone())),
    );
    let m = &c.measured;
    let links: Vec<LinkLine> = m
        .links
        .iter()
        .map(|l| LinkLine {
            target: preview::shorten(&l.target),
            posted: preview::shorten(&l.posted),
            counted: l.counted,
            full: l.full,
            shortened: l.shortened(),
        })
        .collect();
    let card = match (images.is_empty(), m.links.first()) {
        (true, Some(l)) => Some(preview::card_parts(&l.target)),
        _ => None,
    };
    Checks {
        length: c.length,
        limit: c.limit,
        network: c.network.label(),
        unit: "characters",
        over: c.over(),
        over_by: c.length.saturating_sub(c.limit),
        tagged: c.tagged,
        flat_links: c.network == Network::Mastodon,
        links,
        blocking: c.blocking,
        findings: c
            .findings
            .iter()
            .map(|f| FindingView {
                marked: c.marks.iter().any(|k| match k.kind {
                    MarkKind::Over => {
                        f.rule_id.is_none() && f.severity == Severity::Error && c.over()
                    }
                    MarkKind::Banned { rule } => f.rule_id == Some(rule),
                }),
                ..FindingView::of(f, lookup)
            })
            .collect(),
        banned_marked: c
            .marks
            .iter()
            .any(|k| matches!(k.kind, MarkKind::Banned { .. })),
        name: preview::display_name(&c.handle),
        initials: preview::initials(&c.handle),
        handle: c.handle.clone(),
        preview_html: preview::render_marked(
            &m.posted,
            &c.marks,
            &m.links
                .iter()
                .map(|l| l.target.as_str())
                .collect::<Vec<_>>(),
        ),
        images,
        card,
    }
}

fn image_url(story: i64, variant: i64, image: i64) -> String {
    format!("/stories/{story}/variants/{variant}/images/{image}")
}

pub struct ImageRow {
    pub id: i64,
    pub url: String,
    pub name: String,
    pub alt: String,
}

#[derive(Template)]
#[template(path = "stories/composer.html")]
struct ComposerPage {
    shell: Shell,
    tabs: StoryTabs,
    story_id: i64,
    story_title: String,
    variant_id: Option<i64>,
    action: String,
    accounts: Vec<Choice>,
    /// Some of the accounts are not connected (the field's hint says what that means).
    some_not_connected: bool,
    locales: Vec<Choice>,
    body: String,
    time: String,
    zone: String,
    images: Vec<ImageRow>,
    /// Images added before saving, attached by the save.
    staged: Vec<StagedRow>,
    summary: SaveSummary,
    checks: Checks,
    error_field: String,
    error_message: String,
    returns_to_draft: bool,
    market_code: String,
}

/// What the composer says above the form.
pub enum Note {
    Nothing,
    Done(&'static str),
    Error(AppError),
}

/// Renders the composer with `raw` in its fields.
async fn composer_page(
    state: &AppState,
    id: &Identity,
    c: &Composer,
    raw: &RawVariant,
    staged: Vec<Pending>,
    status: StatusCode,
    note: Note,
) -> Result<Response, PageError> {
    let story = &c.story;
    let staged_rows: Vec<StagedRow> = staged.iter().map(|p| StagedRow::of(story.id, p)).collect();
    let accounts: Vec<Choice> = c
        .accounts
        .iter()
        .map(|a| {
            // "Not connected" first: a narrow select cuts the end of its label.
            let label = if c.not_connected.contains(&a.id) {
                format!("Not connected: @{} ({})", a.handle, a.network)
            } else {
                format!("@{} ({})", a.handle, a.network)
            };
            Choice::new(a.id, label, raw.account == a.id.to_string())
        })
        .collect();
    let locales = c
        .market
        .locales
        .iter()
        .map(|l| Choice::new(l.as_str(), l.as_str(), raw.locale == l.as_str()))
        .collect();
    let checks = checks_view(
        &c.check(raw.account.parse().ok(), &raw.body, staged),
        &c.lookup,
    );
    let (error_field, error_message) = match &note {
        Note::Error(e) => (e.field().unwrap_or("form").to_owned(), e.public_message()),
        _ => (String::new(), String::new()),
    };
    let title = if c.variant.is_some() {
        "Edit variant"
    } else {
        "New variant"
    };
    let shell = Shell::new(state, id, "stories", title)
        .await?
        .with_flash(match &note {
            Note::Error(_) => Flash::error("The variant was not saved: the marked field says why."),
            Note::Done(m) => Flash::success(*m),
            Note::Nothing => None,
        });
    Ok(render_with_status(
        status,
        &ComposerPage {
            shell,
            tabs: StoryTabs::new(&id.caller.actor, "stories"),
            story_id: story.id,
            story_title: story.title.clone(),
            variant_id: c.variant.as_ref().map(|v| v.id),
            action: match &c.variant {
                Some(v) => format!("/stories/{}/variants/{}", story.id, v.id),
                None => format!("/stories/{}/variants", story.id),
            },
            accounts,
            some_not_connected: !c.not_connected.is_empty(),
            locales,
            body: raw.body.clone(),
            time: raw.time.clone(),
            zone: c.market.timezone.as_str().to_owned(),
            images: c
                .variant
                .as_ref()
                .map(|v| {
                    v.images
                        .iter()
                        .map(|i| ImageRow {
                            id: i.id,
                            url: image_url(story.id, v.id, i.id),
                            name: i.name.clone(),
                            alt: i.alt.clone(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            staged: staged_rows,
            summary: SaveSummary::of(&checks, false),
            checks,
            error_field,
            error_message,
            returns_to_draft: story.state.edit_returns_to_draft(),
            market_code: c.market.code.to_string(),
        },
    ))
}

async fn new_form(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(sid): Path<i64>,
) -> Result<Response, PageError> {
    let c = variants::composer(&state.app, &id.caller, sid, None).await?;
    let raw = c.fields.clone();
    composer_page(
        &state,
        &id,
        &c,
        &raw,
        Vec::new(),
        StatusCode::OK,
        Note::Nothing,
    )
    .await
}

#[derive(serde::Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

async fn edit_form(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path((sid, vid)): Path<(i64, i64)>,
    Query(q): Query<DoneQuery>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let note = match done_message(q.done.as_deref()) {
        Some(m) => Note::Done(m),
        None => Note::Nothing,
    };
    variant_page(&state, &id, sid, vid, &headers, StatusCode::OK, note).await
}

/// The composer for a saved variant, optionally with an error (e.g. a refused image upload).
pub async fn variant_page(
    state: &AppState,
    id: &Identity,
    sid: i64,
    vid: i64,
    headers: &HeaderMap,
    status: StatusCode,
    note: Note,
) -> Result<Response, PageError> {
    let c = variants::composer(&state.app, &id.caller, sid, Some(vid)).await?;
    let viewer = zones::viewer(None, headers);
    let mut raw = c.fields.clone();
    if let Some(t) = c.variant.as_ref().and_then(|v| v.scheduled_at_ms) {
        raw.time = zones::show(t, &c.market.timezone, &viewer).input;
    }
    composer_page(state, id, &c, &raw, Vec::new(), status, note).await
}

/// Saves the variant with its staged images. Files sent with the form (no JavaScript) are
/// staged first; a refused file or field comes back to the composer with what was typed and
/// the images still waiting.
async fn save(
    state: &AppState,
    id: &Identity,
    sid: i64,
    vid: Option<i64>,
    headers: &HeaderMap,
    form: &ComposerForm,
) -> Result<Response, PageError> {
    let raw = form.raw();
    let mut images = form.staged();
    let mut result = Ok(());
    for file in &form.files {
        match staged::stage(&state.app, &id.caller, sid, file).await {
            Ok(s) => images.push(RawStaged {
                id: s.id.to_string(),
                alt: String::new(),
            }),
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    let saved = match result {
        Ok(()) => variants::save_with_images(&state.app, &id.caller, sid, vid, &raw, &images).await,
        Err(e) => Err(e),
    };
    match saved {
        Ok(saved) => {
            let done = if saved.back_to_draft {
                "variant_draft"
            } else {
                "variant"
            };
            Ok(Redirect::to(&format!("/stories/{sid}?done={done}")).into_response())
        }
        Err(e) => match AppError::from(e) {
            e @ AppError::Conflict { .. } if e.field() == Some("state") => {
                super::story::refused(state, id, sid, headers, "The variant was not saved", e).await
            }
            e @ (AppError::Invalid { .. } | AppError::Conflict { .. }) => {
                let c = variants::composer(&state.app, &id.caller, sid, vid).await?;
                let waiting =
                    staged::pending(&state.app, &id.caller, sid, &images, 0, true).await?;
                composer_page(state, id, &c, &raw, waiting, e.status(), Note::Error(e)).await
            }
            e => Err(PageError(e)),
        },
    }
}

async fn create(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(sid): Path<i64>,
    headers: HeaderMap,
    form: ComposerForm,
) -> Result<Response, PageError> {
    save(&state, &id, sid, None, &headers, &form).await
}

async fn update(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path((sid, vid)): Path<(i64, i64)>,
    headers: HeaderMap,
    form: ComposerForm,
) -> Result<Response, PageError> {
    save(&state, &id, sid, Some(vid), &headers, &form).await
}

async fn delete(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path((sid, vid)): Path<(i64, i64)>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    match variants::delete(&state.app, &id.caller, sid, vid).await {
        Ok(d) => {
            let done = if d.back_to_draft {
                "deleted_draft"
            } else {
                "deleted"
            };
            Ok(Redirect::to(&format!("/stories/{sid}?done={done}")).into_response())
        }
        Err(e) => {
            super::story::refused(
                &state,
                &id,
                sid,
                &headers,
                "The variant was not deleted",
                e.into(),
            )
            .await
        }
    }
}

/// The live checks (htmx fragment).
async fn check(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(sid): Path<i64>,
    form: FormData,
) -> Result<Response, PageError> {
    let typed = Typed {
        account: form.get("account").parse().ok(),
        body: form.get("body").to_owned(),
        variant: form.get("variant").parse().ok(),
    };
    let staged = staged_from(&form);
    let (c, lookup) =
        variants::live_check_with(&state.app, &id.caller, sid, &typed, &staged).await?;
    let checks = checks_view(&c, &lookup);
    let summary = SaveSummary::of(&checks, true);
    let html = format!(
        "{}\n{}",
        checks
            .render()
            .map_err(|e| PageError(AppError::Internal(format!("template: {e}"))))?,
        summary
            .render()
            .map_err(|e| PageError(AppError::Internal(format!("template: {e}"))))?
    );
    Ok(axum::response::Html(html).into_response())
}

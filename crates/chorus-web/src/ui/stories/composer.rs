//! The composer: write one variant (account, locale, text, time in the market's zone, images
//! with alt text) with live checks as you type. The text area posts to `/stories/{id}/check`
//! (htmx, 300 ms after typing stops), which answers with the length counter, every rule finding
//! with the principle it comes from and how to fix it, and a preview of the post.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chorus_core::stories::limits::Network;
use chorus_core::stories::rules::{ImageInfo, Severity};
use chorus_core::stories::workflow::StoryState;
use chorus_store::{ImageMeta, Story, Variant};

use super::images;
use super::service::{
    self, Lookup, RawVariant, check_open_for_variants, editable_story, parse_variant,
    readable_story, tag_links,
};
use super::{Choice, FindingView, StoryTabs, done_message, preview, zones};
use crate::auth::{Identity, PageUser};
use crate::error::{AppError, PageError};
use crate::state::AppState;
use crate::ui::{Flash, FormData, Shell, render, render_with_status};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/stories/{id}/variants/new", get(new_form))
        .route("/stories/{id}/variants", post(create))
        .route("/stories/{id}/variants/{vid}", get(edit_form).post(update))
        .route("/stories/{id}/variants/{vid}/delete", post(delete))
        .route("/stories/{id}/check", post(check))
        .merge(images::routes())
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
    /// Saving adds UTM tags to the links, and the count includes them.
    pub tagged: bool,
    pub blocking: usize,
    pub findings: Vec<FindingView>,
    pub handle: String,
    pub preview_html: String,
    pub images: Vec<(String, String)>,
}

/// Runs the checks on text as typed (tagged as it will be saved).
pub fn checks(
    story: &Story,
    lookup: &Lookup,
    rules: &[chorus_core::stories::rules::Rule],
    account: Option<i64>,
    body: &str,
    images: &[ImageMeta],
    image_urls: Vec<(String, String)>,
) -> Checks {
    let acct = account
        .and_then(|a| lookup.account(a))
        .filter(|a| a.market_id == story.market_id);
    let network = acct
        .and_then(|a| Network::parse(&a.network).ok())
        .unwrap_or(Network::Bluesky);
    let body = body.replace("\r\n", "\n");
    let tagged = tag_links(body.trim(), network, story, lookup, rules);
    let infos: Vec<ImageInfo<'_>> = images
        .iter()
        .map(|i| ImageInfo {
            name: &i.name,
            alt: &i.alt,
        })
        .collect();
    let findings = service::check(&tagged, network, story, &infos, rules);
    let (limit, _) = network.limit();
    let length = network.length(&tagged);
    Checks {
        length,
        limit,
        network: network.label(),
        unit: match network {
            Network::Bluesky => "characters (graphemes)",
            Network::Mastodon => "characters (a link counts as 23)",
        },
        over: length > limit,
        tagged: tagged != body.trim(),
        blocking: findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count(),
        findings: FindingView::all(&findings, lookup),
        handle: acct.map(|a| a.handle.clone()).unwrap_or_default(),
        preview_html: preview::render(&tagged),
        images: image_urls,
    }
}

fn image_urls(story: i64, v: Option<&Variant>) -> Vec<(String, String)> {
    v.map(|v| {
        v.images
            .iter()
            .map(|i| {
                (
                    format!("/stories/{story}/variants/{}/images/{}", v.id, i.id),
                    i.alt.clone(),
                )
            })
            .collect()
    })
    .unwrap_or_default()
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
    locales: Vec<Choice>,
    body: String,
    time: String,
    zone: String,
    images: Vec<ImageRow>,
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

async fn composer(
    state: &AppState,
    id: &Identity,
    story: &Story,
    variant: Option<&Variant>,
    raw: &RawVariant,
    status: StatusCode,
    note: Note,
) -> Result<Response, PageError> {
    let lookup = Lookup::load(&state.app, &id.caller).await?;
    let rules = state.store.post_rules().await?;
    let market = lookup
        .market(story.market_id)
        .ok_or(AppError::NotFound("market"))?;
    let accounts: Vec<Choice> = lookup
        .accounts
        .iter()
        .filter(|a| a.market_id == story.market_id)
        .map(|a| {
            Choice::new(
                a.id,
                format!("@{} ({})", a.handle, a.network),
                raw.account == a.id.to_string(),
            )
        })
        .collect();
    let locales = market
        .locales
        .iter()
        .map(|l| Choice::new(l.as_str(), l.as_str(), raw.locale == l.as_str()))
        .collect();
    let metas: Vec<ImageMeta> = variant.map(|v| v.images.clone()).unwrap_or_default();
    let checks = checks(
        story,
        &lookup,
        &rules,
        raw.account.parse().ok(),
        &raw.body,
        &metas,
        image_urls(story.id, variant),
    );
    let (error_field, error_message) = match &note {
        Note::Error(e) => (e.field().unwrap_or("form").to_owned(), e.public_message()),
        _ => (String::new(), String::new()),
    };
    let title = if variant.is_some() {
        "Edit variant"
    } else {
        "New variant"
    };
    let shell = Shell::new(state, id, "stories", title)
        .await?
        .with_flash(match &note {
            Note::Error(_) => Flash::error("The variant was not saved: one field needs attention."),
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
            variant_id: variant.map(|v| v.id),
            action: match variant {
                Some(v) => format!("/stories/{}/variants/{}", story.id, v.id),
                None => format!("/stories/{}/variants", story.id),
            },
            accounts,
            locales,
            body: raw.body.clone(),
            time: raw.time.clone(),
            zone: market.timezone.as_str().to_owned(),
            images: variant
                .map(|v| {
                    v.images
                        .iter()
                        .map(|i| ImageRow {
                            id: i.id,
                            url: format!("/stories/{}/variants/{}/images/{}", story.id, v.id, i.id),
                            name: i.name.clone(),
                            alt: i.alt.clone(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            checks,
            error_field,
            error_message,
            returns_to_draft: story.state.edit_returns_to_draft(),
            market_code: market.code.to_string(),
        },
    ))
}

fn raw_from(form: &FormData) -> RawVariant {
    RawVariant {
        account: form.get("account").to_owned(),
        locale: form.get("locale").to_owned(),
        body: form.get("body").to_owned(),
        time: form.get("time").to_owned(),
    }
}

async fn variant_of(state: &AppState, story: &Story, vid: i64) -> Result<Variant, AppError> {
    let v = state.store.variant(vid).await?;
    if v.story_id != story.id {
        return Err(AppError::NotFound("variant"));
    }
    Ok(v)
}

async fn new_form(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(sid): Path<i64>,
) -> Result<Response, PageError> {
    let story = editable_story(&state, &id, sid).await?;
    check_open_for_variants(&story)?;
    let lookup = Lookup::load(&state.app, &id.caller).await?;
    let taken: Vec<(i64, String)> = state
        .store
        .variants(sid)
        .await?
        .into_iter()
        .map(|v| (v.account_id, v.locale))
        .collect();
    // Suggest the first account and locale that has no variant yet.
    let market = lookup.market(story.market_id);
    let mut raw = RawVariant::default();
    'outer: for a in lookup
        .accounts
        .iter()
        .filter(|a| a.market_id == story.market_id)
    {
        for l in market.map(|m| m.locales.clone()).unwrap_or_default() {
            if !taken.contains(&(a.id, l.as_str().to_owned())) {
                raw.account = a.id.to_string();
                raw.locale = l.as_str().to_owned();
                break 'outer;
            }
        }
    }
    composer(
        &state,
        &id,
        &story,
        None,
        &raw,
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
    let story = editable_story(&state, &id, sid).await?;
    let v = variant_of(&state, &story, vid).await?;
    let note = match done_message(q.done.as_deref()) {
        Some(m) => Note::Done(m),
        None => Note::Nothing,
    };
    variant_page(&state, &id, &story, &v, &headers, StatusCode::OK, note).await
}

/// The composer for a saved variant, optionally with an error (e.g. a refused image upload).
pub async fn variant_page(
    state: &AppState,
    id: &Identity,
    story: &Story,
    v: &Variant,
    headers: &HeaderMap,
    status: StatusCode,
    note: Note,
) -> Result<Response, PageError> {
    let market = state.store.market(story.market_id).await?;
    let viewer = zones::viewer(None, headers);
    let raw = RawVariant {
        account: v.account_id.to_string(),
        locale: v.locale.clone(),
        body: v.body.clone(),
        time: v
            .scheduled_at_ms
            .map(|t| zones::show(t, &market.timezone, &viewer).input)
            .unwrap_or_default(),
    };
    composer(state, id, story, Some(v), &raw, status, note).await
}

async fn save(
    state: &AppState,
    id: &Identity,
    story: &Story,
    variant: Option<&Variant>,
    form: &FormData,
) -> Result<Response, PageError> {
    if variant.is_some_and(|v| {
        matches!(
            v.pub_state,
            chorus_store::PubState::Published | chorus_store::PubState::Publishing
        )
    }) {
        return Err(PageError(AppError::Conflict {
            field: "state".into(),
            message: "this variant is published (or publishing) and cannot change".into(),
        }));
    }
    let raw = raw_from(form);
    let lookup = Lookup::load(&state.app, &id.caller).await?;
    let rules = state.store.post_rules().await?;
    let result = match check_open_for_variants(story)
        .and_then(|_| parse_variant(&raw, story, &lookup, &rules))
    {
        Ok(p) => state
            .store
            .save_variant(&id.author(), story.id, variant.map(|v| v.id), &p.input)
            .await
            .map_err(AppError::from),
        Err(e) => Err(AppError::from(e)),
    };
    match result {
        Ok(_) => {
            let now = state.store.story(story.id).await?;
            let done = if now.state == StoryState::Draft && story.state != StoryState::Draft {
                "variant_draft"
            } else {
                "variant"
            };
            Ok(Redirect::to(&format!("/stories/{}?done={done}", story.id)).into_response())
        }
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => {
            composer(state, id, story, variant, &raw, e.status(), Note::Error(e)).await
        }
        Err(e) => Err(PageError(e)),
    }
}

async fn create(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(sid): Path<i64>,
    form: FormData,
) -> Result<Response, PageError> {
    let story = editable_story(&state, &id, sid).await?;
    save(&state, &id, &story, None, &form).await
}

async fn update(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path((sid, vid)): Path<(i64, i64)>,
    form: FormData,
) -> Result<Response, PageError> {
    let story = editable_story(&state, &id, sid).await?;
    let v = variant_of(&state, &story, vid).await?;
    save(&state, &id, &story, Some(&v), &form).await
}

async fn delete(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path((sid, vid)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    let story = editable_story(&state, &id, sid).await?;
    let v = variant_of(&state, &story, vid).await?;
    if matches!(
        v.pub_state,
        chorus_store::PubState::Published | chorus_store::PubState::Publishing
    ) {
        return Err(PageError(AppError::Conflict {
            field: "state".into(),
            message: "a published variant stays: it is on the network".into(),
        }));
    }
    state.store.delete_variant(&id.author(), vid).await?;
    Ok(Redirect::to(&format!("/stories/{sid}?done=deleted")).into_response())
}

/// The live checks (htmx fragment).
async fn check(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(sid): Path<i64>,
    form: FormData,
) -> Result<Response, PageError> {
    let story = readable_story(&state, &id, sid).await?;
    let lookup = Lookup::load(&state.app, &id.caller).await?;
    let rules = state.store.post_rules().await?;
    let variant = match form.get("variant").parse::<i64>() {
        Ok(vid) => variant_of(&state, &story, vid).await.ok(),
        Err(_) => None,
    };
    let metas = variant
        .as_ref()
        .map(|v| v.images.clone())
        .unwrap_or_default();
    let c = checks(
        &story,
        &lookup,
        &rules,
        form.get("account").parse().ok(),
        form.get("body"),
        &metas,
        image_urls(story.id, variant.as_ref()),
    );
    Ok(render(&c))
}

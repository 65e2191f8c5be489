//! `/stories/{id}`: one story, its variants with their checks and times, the workflow buttons
//! the viewer may press, and comments. Creating and editing a story's fields live in
//! [`super::story_form`].

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chorus_core::stories::workflow::{self, Transition};
use chorus_core::validate::text;
use chorus_store::{PubState, Story};
use serde::Deserialize;

use super::service::{
    self, Lookup, apply_transition, facts, may_reschedule, readable_story, state_tone, user_names,
};
use super::zones::{self, Shown, Viewer};
use super::{FindingView, StoryTabs, done_message, preview, story_form};
use crate::auth::{Identity, PageUser};
use crate::error::{AppError, PageError};
use crate::state::AppState;
use crate::ui::{Flash, FormData, Shell, format_time, render_with_status};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/stories/new", get(story_form::new_form))
        .route("/stories/{id}", get(show).post(story_form::update))
        .route("/stories/{id}/edit", get(story_form::edit_form))
        .route("/stories", axum::routing::post(story_form::create))
        .route("/stories/{id}/transition", post(transition))
        .route("/stories/{id}/comments", post(comment))
}

pub struct ImageView {
    pub url: String,
    pub name: String,
    pub alt: String,
}

pub struct VariantView {
    pub id: i64,
    pub handle: String,
    pub network: String,
    pub locale: String,
    pub time: Option<Shown>,
    pub pub_state: &'static str,
    pub pub_tone: &'static str,
    pub published_uri: String,
    pub last_error: String,
    pub attempts: i64,
    pub preview_html: String,
    pub images: Vec<ImageView>,
    pub findings: Vec<FindingView>,
    pub errors: usize,
    pub can_edit: bool,
    pub can_move: bool,
}

struct CommentView {
    author: String,
    body: String,
    at: String,
}

#[derive(Template)]
#[template(path = "stories/story.html")]
struct StoryPage {
    shell: Shell,
    tabs: StoryTabs,
    story: Story,
    state_label: &'static str,
    tone: &'static str,
    market: String,
    market_code: String,
    market_zone: String,
    campaign: Option<(i64, String)>,
    author: String,
    principles: Vec<(i64, String, String)>,
    variants: Vec<VariantView>,
    buttons: Vec<(&'static str, &'static str, &'static str)>,
    can_reject: bool,
    can_edit: bool,
    /// Whether variants may still be added (not once publishing has started).
    open_for_variants: bool,
    comments: Vec<CommentView>,
    viewer: Viewer,
    past_times: bool,
}

#[derive(Deserialize)]
struct ShowQuery {
    done: Option<String>,
    tz: Option<String>,
}

fn pub_label(p: PubState) -> (&'static str, &'static str) {
    match p {
        PubState::Pending => ("Not published", "neutral"),
        PubState::Publishing => ("Publishing", "warning"),
        PubState::Published => ("Published", "success"),
        PubState::Failed => ("Failed", "danger"),
    }
}

pub async fn variant_views(
    state: &AppState,
    id: &Identity,
    story: &Story,
    lookup: &Lookup,
    viewer: &Viewer,
) -> Result<Vec<VariantView>, AppError> {
    let rules = state.store.post_rules().await?;
    let market = lookup.market(story.market_id);
    let can_edit = workflow::may_edit(&id.caller.actor, &facts(story));
    let can_move = may_reschedule(&id.caller.actor, story);
    let mut out = Vec::new();
    for v in state.store.variants(story.id).await? {
        let findings = service::check_saved(&v, story, lookup, &rules);
        let account = lookup.account(v.account_id);
        let (pub_state, pub_tone) = pub_label(v.pub_state);
        let settled = matches!(v.pub_state, PubState::Published | PubState::Publishing);
        out.push(VariantView {
            id: v.id,
            handle: account.map(|a| a.handle.clone()).unwrap_or_default(),
            network: account.map(|a| a.network.clone()).unwrap_or_default(),
            locale: v.locale.clone(),
            time: match (v.scheduled_at_ms, market) {
                (Some(at), Some(m)) => Some(zones::show(at, &m.timezone, viewer)),
                _ => None,
            },
            pub_state,
            pub_tone,
            published_uri: v.published_uri.clone().unwrap_or_default(),
            last_error: v.last_error.clone().unwrap_or_default(),
            attempts: v.attempts,
            preview_html: preview::render(&v.body),
            images: v
                .images
                .iter()
                .map(|i| ImageView {
                    url: format!("/stories/{}/variants/{}/images/{}", story.id, v.id, i.id),
                    name: i.name.clone(),
                    alt: i.alt.clone(),
                })
                .collect(),
            errors: findings
                .iter()
                .filter(|f| f.severity == chorus_core::stories::rules::Severity::Error)
                .count(),
            findings: FindingView::all(&findings, lookup),
            can_edit: can_edit && !settled,
            can_move: can_move && !settled,
        });
    }
    Ok(out)
}

pub async fn story_page(
    state: &AppState,
    id: &Identity,
    story: Story,
    viewer: Viewer,
    status: StatusCode,
    flash: Option<Flash>,
) -> Result<Response, PageError> {
    let lookup = Lookup::load(&state.app, &id.caller).await?;
    let names = user_names(state).await?;
    let variants = variant_views(state, id, &story, &lookup, &viewer).await?;
    let available = workflow::available(&id.caller.actor, &facts(&story));
    let buttons = available
        .iter()
        .filter(|t| **t != Transition::Reject)
        .map(|t| {
            let kind = match t {
                Transition::Approve | Transition::Schedule | Transition::Submit => "btn--primary",
                Transition::Retry => "btn--primary",
                _ => "",
            };
            (t.as_str(), t.label(), kind)
        })
        .collect();
    let now = chorus_store::now_ms();
    let past_times = available.contains(&Transition::Schedule)
        && state
            .store
            .variants(story.id)
            .await?
            .iter()
            .any(|v| v.scheduled_at_ms.is_some_and(|t| t < now));
    let comments = state
        .store
        .comments(story.id)
        .await?
        .into_iter()
        .map(|(u, body, at)| CommentView {
            author: names.get(&u).cloned().unwrap_or_default(),
            body,
            at: format_time(at),
        })
        .collect();
    let market = lookup.market(story.market_id);
    let shell = Shell::new(state, id, "stories", story.title.clone())
        .await?
        .with_flash(flash);
    Ok(render_with_status(
        status,
        &StoryPage {
            shell,
            tabs: StoryTabs::new(&id.caller.actor, "stories"),
            state_label: story.state.label(),
            tone: state_tone(story.state),
            market: market
                .map(|m| format!("{} {}", m.code, m.name))
                .unwrap_or_default(),
            market_code: market.map(|m| m.code.to_string()).unwrap_or_default(),
            market_zone: market
                .map(|m| m.timezone.as_str().to_owned())
                .unwrap_or_default(),
            campaign: story
                .campaign_id
                .and_then(|c| lookup.campaign(c))
                .map(|c| (c.id, c.name.clone())),
            author: names.get(&story.author_id).cloned().unwrap_or_default(),
            principles: story
                .principles
                .iter()
                .filter_map(|p| lookup.principle(*p))
                .map(|p| (p.number, p.slug.clone(), p.title.clone()))
                .collect(),
            variants,
            buttons,
            can_reject: available.contains(&Transition::Reject),
            can_edit: workflow::may_edit(&id.caller.actor, &facts(&story)),
            open_for_variants: service::check_open_for_variants(&story).is_ok(),
            comments,
            viewer,
            past_times,
            story,
        },
    ))
}

async fn show(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(sid): Path<i64>,
    Query(q): Query<ShowQuery>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let story = readable_story(&state, &id, sid).await?;
    let flash = done_message(q.done.as_deref()).and_then(Flash::success);
    let viewer = zones::viewer(q.tz.as_deref(), &headers);
    story_page(&state, &id, story, viewer, StatusCode::OK, flash).await
}

async fn transition(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(sid): Path<i64>,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, PageError> {
    let story = readable_story(&state, &id, sid).await?;
    let t = Transition::parse(form.get("transition"))
        .map_err(|e| AppError::invalid("transition", e.message))?;
    let reason = form.get("reason");
    let reason = (!reason.trim().is_empty()).then_some(reason);
    match apply_transition(&state, &id, &story, t, reason).await {
        Ok(_) => Ok(Redirect::to(&format!("/stories/{sid}?done={}", t.as_str())).into_response()),
        Err(
            e @ (AppError::Invalid { .. } | AppError::Conflict { .. } | AppError::Forbidden(_)),
        ) => {
            let status = e.status();
            let viewer = zones::viewer(None, &headers);
            let fresh = state.store.story(sid).await?;
            story_page(
                &state,
                &id,
                fresh,
                viewer,
                status,
                Flash::error(format!(
                    "{} was not done: {}",
                    t.label(),
                    e.public_message()
                )),
            )
            .await
        }
        Err(e) => Err(PageError(e)),
    }
}

async fn comment(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(sid): Path<i64>,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, PageError> {
    let story = readable_story(&state, &id, sid).await?;
    match text(form.get("body"), 4000) {
        Ok(body) => {
            state
                .store
                .add_comment(&id.author(), story.id, &body)
                .await?;
            Ok(Redirect::to(&format!("/stories/{sid}?done=comment#comments")).into_response())
        }
        Err(e) => {
            let viewer = zones::viewer(None, &headers);
            story_page(
                &state,
                &id,
                story,
                viewer,
                StatusCode::UNPROCESSABLE_ENTITY,
                Flash::error(format!("The comment {}", e.message)),
            )
            .await
        }
    }
}

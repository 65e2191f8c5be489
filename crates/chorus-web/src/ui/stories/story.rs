//! `/stories/{id}`: one story, its variants with their checks and times, the workflow buttons
//! the viewer may press, and comments. Creating and editing a story's fields live in
//! [`super::story_form`].

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chorus_app::stories::comments;
use chorus_app::stories::next::Next;
use chorus_app::stories::story::{self, Shown, VariantDetail};
use chorus_app::stories::{Lookup, PubState, Story};
use chorus_core::stories::next::Mover;
use chorus_core::stories::rules::Severity;
use chorus_core::stories::workflow::Transition;
use serde::Deserialize;

use super::state_tone;
use super::zones::{self, Shown as ShownTime, Viewer};
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
    pub time: Option<ShownTime>,
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
    /// Why the viewer, a reviewer, may not approve this story, and who may instead.
    approval_refused: Option<String>,
    /// Whether the viewer may change the story's fields and add variants now (not once
    /// publishing has started).
    can_edit: bool,
    comments: Vec<CommentView>,
    viewer: Viewer,
    past_times: bool,
    /// Whether the viewer reads the numbers of the story's market (published variants link
    /// to their numbers).
    reads_numbers: bool,
    /// What happens next and who does it, in words.
    next: NextView,
}

/// The "Next" note of the workflow panel.
struct NextView {
    /// The sentence: who acts next (by name) and what they do.
    text: String,
    /// Who may, as roles (when people act next).
    roles: String,
    /// Why the step would be refused now (an account not connected).
    blocked: String,
    /// The step's button (value, label), when it is the viewer's to take now.
    button: Option<(&'static str, &'static str)>,
}

impl NextView {
    fn of(next: &Next, viewer_name: &str) -> NextView {
        let what = next.step.what;
        let others: Vec<&str> = next
            .people
            .iter()
            .map(String::as_str)
            .filter(|n| *n != viewer_name)
            .collect();
        let text = match next.step.mover {
            Mover::Person(_) if next.yours => {
                let mut t = format!("Your turn: {what}.");
                if !others.is_empty() {
                    t.push_str(&format!(" {} may too.", join_names(&others)));
                }
                t
            }
            Mover::Person(_) if !next.anyone => format!(
                "Waiting for {} to {what}, and nobody may yet: an admin gives someone that role \
                 under Admin → Users.",
                next.step.roles
            ),
            Mover::Person(_) if others.is_empty() => {
                format!("Waiting for {} to {what}.", next.step.roles)
            }
            Mover::Person(_) => format!("Waiting for {} to {what}.", join_names(&others)),
            Mover::Chorus | Mover::Nobody => what.to_owned(),
        };
        // The roles, unless the sentence already says them instead of names.
        let named = next.yours || !others.is_empty();
        NextView {
            text,
            roles: match next.step.mover {
                Mover::Person(_) if named => next.step.roles.to_owned(),
                _ => String::new(),
            },
            blocked: next.blocked.clone().unwrap_or_default(),
            button: next
                .transition()
                .filter(|_| next.yours && next.blocked.is_none())
                .map(|t| (t.as_str(), t.label())),
        }
    }
}

/// "A", "A or B", "A, B or C".
fn join_names(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
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

fn variant_view(d: &VariantDetail, story: &Story, lookup: &Lookup, viewer: &Viewer) -> VariantView {
    let v = &d.variant;
    let account = lookup.account(v.account_id);
    let market = lookup.market(story.market_id);
    let (pub_state, pub_tone) = pub_label(v.pub_state);
    VariantView {
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
        errors: d
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count(),
        findings: FindingView::all(&d.findings, lookup),
        can_edit: d.can_edit,
        can_move: d.can_move,
    }
}

/// The story page for `story` as it is now (re-read: the caller's copy may be stale), with
/// `status` and an optional message.
pub async fn story_page(
    state: &AppState,
    id: &Identity,
    story: Story,
    viewer: Viewer,
    status: StatusCode,
    flash: Option<Flash>,
) -> Result<Response, PageError> {
    page(state, id, story.id, viewer, status, flash).await
}

async fn page(
    state: &AppState,
    id: &Identity,
    sid: i64,
    viewer: Viewer,
    status: StatusCode,
    flash: Option<Flash>,
) -> Result<Response, PageError> {
    let Shown {
        detail,
        lookup,
        names,
        comments,
        next,
    } = story::show(&state.app, &id.caller, sid).await?;
    let viewer_name = names
        .get(&id.caller.actor.user_id)
        .map(String::as_str)
        .unwrap_or_default();
    let next = NextView::of(&next, viewer_name);
    let story = detail.story;
    let variants = detail
        .variants
        .iter()
        .map(|d| variant_view(d, &story, &lookup, &viewer))
        .collect();
    let buttons = detail
        .available
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
    let comments = comments
        .into_iter()
        .map(|c| CommentView {
            author: c.author,
            body: c.body,
            at: format_time(c.at_ms),
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
            can_reject: detail.available.contains(&Transition::Reject),
            approval_refused: detail.approval_refused.clone(),
            can_edit: detail.can_edit,
            comments,
            viewer,
            past_times: detail.past_times,
            reads_numbers: chorus_app::numbers::reads_numbers_in(&id.caller, &[story.market_id]),
            next,
            story,
        },
    ))
}

/// A change refused because of the story's or the variant's state (published, publishing):
/// the story page, with the refusal in words and its status. Other errors are answered as
/// they are.
pub async fn refused(
    state: &AppState,
    id: &Identity,
    sid: i64,
    headers: &HeaderMap,
    what: &str,
    e: AppError,
) -> Result<Response, PageError> {
    match &e {
        AppError::Conflict { field, .. } if field == "state" => {
            let viewer = zones::viewer(None, headers);
            let flash = Flash::error(format!("{what}: {}", e.public_message()));
            page(state, id, sid, viewer, e.status(), flash).await
        }
        _ => Err(PageError(e)),
    }
}

async fn show(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(sid): Path<i64>,
    Query(q): Query<ShowQuery>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let flash = done_message(q.done.as_deref()).and_then(Flash::success);
    let viewer = zones::viewer(q.tz.as_deref(), &headers);
    page(&state, &id, sid, viewer, StatusCode::OK, flash).await
}

async fn transition(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(sid): Path<i64>,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, PageError> {
    let raw = form.get("transition");
    let (reason, seen) = (form.get("reason"), form.get("seen"));
    match story::transition(&state.app, &id.caller, sid, raw, reason, seen).await {
        Ok((_, t)) => {
            Ok(Redirect::to(&format!("/stories/{sid}?done={}", t.as_str())).into_response())
        }
        Err(e) => match AppError::from(e) {
            e @ (AppError::Invalid { .. } | AppError::Conflict { .. } | AppError::Forbidden(_)) => {
                let label = Transition::parse(raw).map_or("That", |t| t.label());
                let viewer = zones::viewer(None, &headers);
                let flash = Flash::error(format!("{label} was not done: {}", e.public_message()));
                page(&state, &id, sid, viewer, e.status(), flash).await
            }
            e => Err(PageError(e)),
        },
    }
}

async fn comment(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(sid): Path<i64>,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, PageError> {
    match comments::add(&state.app, &id.caller, sid, form.get("body")).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/stories/{sid}?done=comment#comments")).into_response())
        }
        Err(chorus_app::Error::Invalid { message, .. }) => {
            let viewer = zones::viewer(None, &headers);
            page(
                &state,
                &id,
                sid,
                viewer,
                StatusCode::UNPROCESSABLE_ENTITY,
                Flash::error(format!("The comment {message}")),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

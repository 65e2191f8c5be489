//! Transitional adapters over `chorus_app::stories` while the Stories pages move onto the
//! use-case layer: the rules and parsing live there; what stays here is presentation.

use std::collections::HashMap;

use chorus_core::permission::Actor;
use chorus_core::stories::workflow::{StoryState, Transition};
use chorus_core::{MarketId, UserId};

pub use chorus_app::stories::{
    Lookup, RawStory, RawVariant, check, check_open_for_variants, check_saved, facts,
    may_reschedule, parse_story, parse_variant, tag_links,
};
use chorus_app::stories::{Story, Variant};

use crate::auth::Identity;
use crate::error::AppError;
use crate::state::AppState;

/// Whether the actor reads the stories of `market` (transitional: the rule is core's).
#[allow(dead_code)] // no page asks since the campaign pages moved to their use cases
pub fn may_read(actor: &Actor, market: MarketId) -> bool {
    chorus_core::permission::allows(
        actor,
        chorus_core::Action::ReadStories,
        chorus_core::Scope::Market(market),
    )
}

/// Whether the actor drafts stories in `market` (transitional: the rule is core's).
pub fn may_draft(actor: &Actor, market: MarketId) -> bool {
    chorus_core::permission::allows(
        actor,
        chorus_core::Action::DraftStories,
        chorus_core::Scope::Market(market),
    )
}

pub async fn user_names(state: &AppState) -> Result<HashMap<UserId, String>, AppError> {
    Ok(chorus_app::stories::user_names(&state.app).await?)
}

pub async fn readable_story(
    state: &AppState,
    id: &Identity,
    story: i64,
) -> Result<Story, AppError> {
    Ok(chorus_app::stories::readable_story(&state.app, &id.caller, story).await?)
}

pub async fn editable_story(
    state: &AppState,
    id: &Identity,
    story: i64,
) -> Result<Story, AppError> {
    Ok(chorus_app::stories::editable_story(&state.app, &id.caller, story).await?)
}

pub async fn apply_transition(
    state: &AppState,
    id: &Identity,
    story: &Story,
    transition: Transition,
    reason: Option<&str>,
) -> Result<Story, AppError> {
    Ok(chorus_app::stories::transition(&state.app, &id.caller, story, transition, reason).await?)
}

#[allow(dead_code)] // the calendar's page and API call `chorus_app::stories::calendar` directly
pub async fn reschedule(
    state: &AppState,
    id: &Identity,
    variant: i64,
    local: &str,
) -> Result<(Variant, Story, Option<String>), AppError> {
    Ok(chorus_app::stories::reschedule(&state.app, &id.caller, variant, local).await?)
}

/// A badge tone for a story state.
pub fn state_tone(s: StoryState) -> &'static str {
    match s {
        StoryState::Draft => "neutral",
        StoryState::InReview | StoryState::Scheduled => "info",
        StoryState::Approved | StoryState::Published => "success",
        StoryState::Publishing => "warning",
        StoryState::Rejected | StoryState::Failed => "danger",
    }
}

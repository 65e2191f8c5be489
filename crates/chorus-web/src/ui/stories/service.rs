//! Transitional adapters over `chorus_app::stories` while the Stories pages move onto the
//! use-case layer: the rules and parsing live there; what stays here is presentation.

use chorus_core::MarketId;
use chorus_core::permission::Actor;
use chorus_core::stories::workflow::StoryState;

pub use chorus_app::stories::{
    Lookup, RawStory, RawVariant, may_reschedule, parse_story, parse_variant,
};
use chorus_app::stories::{Story, Variant};

use crate::auth::Identity;
use crate::error::AppError;
use crate::state::AppState;

/// Whether the actor reads the stories of `market` (transitional: the rule is core's).
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

pub async fn readable_story(
    state: &AppState,
    id: &Identity,
    story: i64,
) -> Result<Story, AppError> {
    Ok(chorus_app::stories::readable_story(&state.app, &id.caller, story).await?)
}

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

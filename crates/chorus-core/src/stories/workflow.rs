//! The life of a story: who may move it from which state to which.
//!
//! ```text
//! draft ──submit──▶ in_review ──approve──▶ approved ──schedule──▶ scheduled ──(scheduler)──▶ publishing ──▶ published
//!   ▲                  │                      ▲                      │                                     └─▶ failed ──retry──▶ scheduled
//!   │               reject(reason)            └──────unschedule──────┘
//!   └──reopen── rejected
//! ```
//!
//! Contributors draft; editors submit and schedule; market leads of the story's market approve
//! or reject. Nobody approves what they wrote or changed (the four-eyes rule): not their own
//! story, and not a story whose content they changed since it was last approved
//! ([`StoryFacts::changed_by`]); anyone may still reject it. Editing the content of a story that
//! is in review, approved or scheduled sends it back to draft: what gets published is always
//! what was approved, by someone who did not write it.

use serde::{Deserialize, Serialize};

use crate::permission::{Action, Actor, Scope, allows};
use crate::validate::{Invalid, quoted};
use crate::{MarketId, UserId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoryState {
    Draft,
    InReview,
    Rejected,
    Approved,
    Scheduled,
    Publishing,
    Published,
    Failed,
}

impl StoryState {
    pub const ALL: [StoryState; 8] = [
        StoryState::Draft,
        StoryState::InReview,
        StoryState::Rejected,
        StoryState::Approved,
        StoryState::Scheduled,
        StoryState::Publishing,
        StoryState::Published,
        StoryState::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StoryState::Draft => "draft",
            StoryState::InReview => "in_review",
            StoryState::Rejected => "rejected",
            StoryState::Approved => "approved",
            StoryState::Scheduled => "scheduled",
            StoryState::Publishing => "publishing",
            StoryState::Published => "published",
            StoryState::Failed => "failed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            StoryState::Draft => "Draft",
            StoryState::InReview => "In review",
            StoryState::Rejected => "Rejected",
            StoryState::Approved => "Approved",
            StoryState::Scheduled => "Scheduled",
            StoryState::Publishing => "Publishing",
            StoryState::Published => "Published",
            StoryState::Failed => "Failed",
        }
    }

    pub fn parse(raw: &str) -> Result<StoryState, Invalid> {
        StoryState::ALL
            .into_iter()
            .find(|s| s.as_str() == raw.trim())
            .ok_or_else(|| Invalid::new(format!("unknown story state {}", quoted(raw))))
    }

    /// Whether the text and variants may be edited without leaving the state.
    pub fn is_editable(self) -> bool {
        matches!(self, StoryState::Draft | StoryState::Rejected)
    }

    /// Whether editing the content sends the story back to draft (approval no longer holds).
    pub fn edit_returns_to_draft(self) -> bool {
        matches!(
            self,
            StoryState::InReview
                | StoryState::Approved
                | StoryState::Scheduled
                | StoryState::Failed
        )
    }
}

/// Something a person asks to do with a story.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transition {
    Submit,
    Approve,
    Reject,
    Reopen,
    Schedule,
    Unschedule,
    Retry,
}

impl Transition {
    pub const ALL: [Transition; 7] = [
        Transition::Submit,
        Transition::Approve,
        Transition::Reject,
        Transition::Reopen,
        Transition::Schedule,
        Transition::Unschedule,
        Transition::Retry,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Transition::Submit => "submit",
            Transition::Approve => "approve",
            Transition::Reject => "reject",
            Transition::Reopen => "reopen",
            Transition::Schedule => "schedule",
            Transition::Unschedule => "unschedule",
            Transition::Retry => "retry",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Transition::Submit => "Submit for review",
            Transition::Approve => "Approve",
            Transition::Reject => "Reject",
            Transition::Reopen => "Back to draft",
            Transition::Schedule => "Schedule",
            Transition::Unschedule => "Unschedule",
            Transition::Retry => "Retry now",
        }
    }

    pub fn parse(raw: &str) -> Result<Transition, Invalid> {
        Transition::ALL
            .into_iter()
            .find(|t| t.as_str() == raw.trim())
            .ok_or_else(|| Invalid::new(format!("unknown transition {}", quoted(raw))))
    }

    /// The states it starts from and the state it leads to.
    pub fn edge(self) -> (&'static [StoryState], StoryState) {
        use StoryState::*;
        match self {
            Transition::Submit => (&[Draft], InReview),
            Transition::Approve => (&[InReview], Approved),
            Transition::Reject => (&[InReview], Rejected),
            Transition::Reopen => (&[Rejected, Approved, Failed], Draft),
            Transition::Schedule => (&[Approved], Scheduled),
            Transition::Unschedule => (&[Scheduled], Approved),
            Transition::Retry => (&[Failed], Scheduled),
        }
    }
}

/// Why a transition was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("a story that is {from} cannot be {verb}", from = .from.label().to_lowercase(), verb = verb(*.transition))]
    WrongState {
        transition: Transition,
        from: StoryState,
    },
    #[error("nobody approves their own story; ask another lead of this market")]
    OwnStory,
    #[error("nobody approves content they changed; ask another lead of this market")]
    ChangedContent,
    #[error("only {who} may {what} stories in this market", who = who(*.transition), what = .transition.as_str())]
    NotAllowed { transition: Transition },
    #[error("say why the story is rejected, so its author can fix it")]
    ReasonRequired,
}

fn verb(t: Transition) -> &'static str {
    match t {
        Transition::Submit => "submitted for review",
        Transition::Approve => "approved",
        Transition::Reject => "rejected",
        Transition::Reopen => "sent back to draft",
        Transition::Schedule => "scheduled",
        Transition::Unschedule => "unscheduled",
        Transition::Retry => "retried",
    }
}

fn who(t: Transition) -> &'static str {
    match t {
        Transition::Approve | Transition::Reject => "market leads",
        Transition::Reopen | Transition::Submit => "the author, editors and market leads",
        _ => "editors and market leads",
    }
}

/// The facts about a story that decide who may move it.
#[derive(Debug, Clone)]
pub struct StoryFacts {
    pub state: StoryState,
    pub market: MarketId,
    pub author: UserId,
    /// Who changed its content (fields, variants, images) since it was last approved — its
    /// author among them until then. None of them may approve it: every change is approved by
    /// someone who did not make it. An approval empties the list (what it approved was seen
    /// by a second pair of eyes); the next change starts it again.
    pub changed_by: Vec<UserId>,
}

/// Whether the actor may change this story's content (brief, variants, principles): its
/// author while they may draft in its market, and whoever edits that market's stories.
pub fn may_edit(actor: &Actor, story: &StoryFacts) -> bool {
    let scope = Scope::Market(story.market);
    allows(actor, Action::EditStories, scope)
        || (actor.user_id == story.author && allows(actor, Action::DraftStories, scope))
}

/// Whether the actor may move a variant's time: whoever schedules the market's stories, and
/// whoever may edit the story while it is a draft (its time is part of the draft).
pub fn may_reschedule(actor: &Actor, story: &StoryFacts) -> bool {
    allows(actor, Action::ScheduleStories, Scope::Market(story.market))
        || (story.state.is_editable() && may_edit(actor, story))
}

/// The action of the rule table a transition needs in the story's market (besides the
/// workflow's own conditions: the source state, never approving one's own story or content one
/// changed).
pub fn action_for(transition: Transition) -> Option<Action> {
    match transition {
        Transition::Schedule | Transition::Unschedule | Transition::Retry => {
            Some(Action::ScheduleStories)
        }
        Transition::Approve | Transition::Reject => Some(Action::ReviewStories),
        // Submitting and reopening are editing: the author submits their own draft (a
        // contributor too), editors and leads anyone's. See `may_edit`.
        Transition::Submit | Transition::Reopen => None,
    }
}

/// Checks `transition` may be done by `actor` to `story` now; returns the new state.
pub fn check(
    actor: &Actor,
    story: &StoryFacts,
    transition: Transition,
    reason: Option<&str>,
) -> Result<StoryState, TransitionError> {
    let (from, to) = transition.edge();
    let allowed = match action_for(transition) {
        Some(action) => allows(actor, action, Scope::Market(story.market)),
        None => may_edit(actor, story),
    };
    if !allowed {
        return Err(TransitionError::NotAllowed { transition });
    }
    if !from.contains(&story.state) {
        return Err(TransitionError::WrongState {
            transition,
            from: story.state,
        });
    }
    if transition == Transition::Approve {
        if actor.user_id == story.author {
            return Err(TransitionError::OwnStory);
        }
        if story.changed_by.contains(&actor.user_id) {
            return Err(TransitionError::ChangedContent);
        }
    }
    if transition == Transition::Reject && reason.is_none_or(|r| r.trim().is_empty()) {
        return Err(TransitionError::ReasonRequired);
    }
    Ok(to)
}

/// The transitions `actor` may do on `story` now (for the buttons on the story page).
pub fn available(actor: &Actor, story: &StoryFacts) -> Vec<Transition> {
    Transition::ALL
        .into_iter()
        .filter(|t| check(actor, story, *t, Some("reason")).is_ok())
        .collect()
}

/// Why `actor`, who reviews the stories of this market, may not approve this story awaiting
/// review ([`TransitionError::OwnStory`] or [`TransitionError::ChangedContent`], whose message
/// says who may instead); `None` when they may, or when approving is not theirs to do at all.
/// For the story page and the API to say so beside the transitions on offer.
pub fn approval_refused(actor: &Actor, story: &StoryFacts) -> Option<TransitionError> {
    match check(actor, story, Transition::Approve, None) {
        Err(e @ (TransitionError::OwnStory | TransitionError::ChangedContent)) => Some(e),
        _ => None,
    }
}

#[cfg(test)]
mod tests;

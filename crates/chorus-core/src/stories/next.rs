//! What happens next to a story, and who does it: one answer for every state, so no story page
//! ends in "nothing to do" without saying who acts now.
//!
//! [`next_step`] names the transition that moves the story on (if a person makes it) and, in
//! words, what it does; [`may_take`] says whether a given person may make it now, by the
//! workflow's own rule table ([`super::workflow::check`]), so the page lists exactly the people
//! whose button would work. Scheduled and publishing stories are moved on by Chorus itself (at
//! each variant's time); a published story is finished.

use super::workflow::{StoryFacts, StoryState, Transition, check};
use crate::permission::Actor;

/// Who moves a story on from its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mover {
    /// A person, by making this transition.
    Person(Transition),
    /// Chorus itself, at each variant's time (nobody needs to act).
    Chorus,
    /// Nobody: the story is finished.
    Nobody,
}

/// The next step of a story in `state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NextStep {
    pub mover: Mover,
    /// What the step does, in words for marketers: for a person's step what they do, to
    /// follow "Waiting for … to" or "Your turn:" ("submit it for review …"); otherwise a
    /// sentence of its own.
    pub what: &'static str,
    /// Who, as roles, may take it (for when no named person may: "the market's leads").
    pub roles: &'static str,
}

/// The next step of a story in `state`: who moves it on and what that does.
pub fn next_step(state: StoryState) -> NextStep {
    use StoryState::*;
    let (mover, what, roles) = match state {
        Draft => (
            Mover::Person(Transition::Submit),
            "submit it for review when its variants are ready",
            "its author, or an editor or lead of the market",
        ),
        InReview => (
            Mover::Person(Transition::Approve),
            "approve it, or send it back with a reason",
            "a market or global lead who neither wrote nor changed it",
        ),
        Rejected => (
            Mover::Person(Transition::Reopen),
            "take it back to draft, fix what the reason says and submit it again",
            "its author, or an editor or lead of the market",
        ),
        Approved => (
            Mover::Person(Transition::Schedule),
            "schedule it, so each variant goes out at its time",
            "an editor or lead of the market",
        ),
        Scheduled => (
            Mover::Chorus,
            "Chorus publishes each variant at its time; until then an editor or lead of the market may unschedule it.",
            "Chorus",
        ),
        Publishing => (
            Mover::Chorus,
            "Chorus is publishing it now; each variant shows its own state.",
            "Chorus",
        ),
        Published => (
            Mover::Nobody,
            "It is published: its numbers come in over the next days.",
            "nobody",
        ),
        Failed => (
            Mover::Person(Transition::Retry),
            "retry it after reading each variant's last attempt, or take it back to draft to fix it",
            "an editor or lead of the market",
        ),
    };
    NextStep { mover, what, roles }
}

/// Whether `actor` may take the next step of `story` now (make its transition).
pub fn may_take(actor: &Actor, story: &StoryFacts) -> bool {
    match next_step(story.state).mover {
        Mover::Person(t) => check(actor, story, t, Some("reason")).is_ok(),
        Mover::Chorus | Mover::Nobody => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::permission::Actor;
    use crate::role::Role;
    use crate::user::Membership;
    use crate::{MarketId, Scope, UserId};

    const M: MarketId = MarketId(1);

    fn actor(id: i64, role: Role) -> Actor {
        Actor {
            user_id: UserId(id),
            memberships: vec![Membership {
                role,
                scope: Scope::Market(M),
            }],
        }
    }

    fn story(state: StoryState, author: i64) -> StoryFacts {
        StoryFacts {
            state,
            market: M,
            author: UserId(author),
            changed_by: vec![UserId(author)],
        }
    }

    /// Every state has a next step, and a person's step starts from that state.
    #[test]
    fn every_state_says_what_comes_next() {
        for state in StoryState::ALL {
            let step = next_step(state);
            assert!(!step.what.is_empty(), "{state:?}");
            if let Mover::Person(t) = step.mover {
                assert!(t.edge().0.contains(&state), "{state:?} → {t:?}");
            }
        }
        assert_eq!(next_step(StoryState::Published).mover, Mover::Nobody);
        assert_eq!(next_step(StoryState::Scheduled).mover, Mover::Chorus);
    }

    /// Who may take each step, by role: (state, role, author?, may).
    #[test]
    fn who_takes_the_step() {
        use Role::*;
        use StoryState::*;
        let rows = [
            (Draft, Contributor, true, true),
            (Draft, Contributor, false, false),
            (Draft, Editor, false, true),
            (Draft, CommunityManager, false, false),
            (InReview, MarketLead, false, true),
            (InReview, MarketLead, true, false),
            (InReview, Editor, false, false),
            (Rejected, Contributor, true, true),
            (Approved, Editor, false, true),
            (Approved, Contributor, true, false),
            (Scheduled, MarketLead, false, false),
            (Published, Admin, false, false),
            (Failed, Editor, false, true),
            (Failed, Contributor, true, false),
        ];
        for (state, role, own, want) in rows {
            let a = actor(10, role);
            let s = story(state, if own { 10 } else { 99 });
            assert_eq!(may_take(&a, &s), want, "{state:?} {role} own={own}");
        }
    }
}

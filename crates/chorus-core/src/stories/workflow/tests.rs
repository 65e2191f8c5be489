//! The workflow matrix: role × (own market, other market) × transition × author or not.

use super::*;
use crate::role::Role;

fn may_draft(a: &Actor, m: MarketId) -> bool {
    allows(a, Action::DraftStories, Scope::Market(m))
}

fn may_read(a: &Actor, m: MarketId) -> bool {
    allows(a, Action::ReadStories, Scope::Market(m))
}
use crate::user::Membership;

const OWN: MarketId = MarketId(1);
const OTHER: MarketId = MarketId(2);

fn actor(id: i64, role: Role) -> Actor {
    let scope = if role.is_global_only() {
        Scope::Global
    } else {
        Scope::Market(OWN)
    };
    Actor {
        user_id: UserId(id),
        memberships: vec![Membership { role, scope }],
    }
}

fn story(state: StoryState, market: MarketId, author: i64) -> StoryFacts {
    StoryFacts {
        state,
        market,
        author: UserId(author),
    }
}

/// Which roles may do each transition in their own market (the source state being right and
/// the actor not the author). In another market only the global roles may.
fn allowed(role: Role, t: Transition) -> bool {
    use Role::*;
    match t {
        Transition::Approve | Transition::Reject => matches!(role, Admin | GlobalLead | MarketLead),
        Transition::Submit | Transition::Schedule | Transition::Unschedule | Transition::Retry => {
            matches!(role, Admin | GlobalLead | MarketLead | Editor)
        }
        Transition::Reopen => matches!(role, Admin | GlobalLead | MarketLead | Editor),
    }
}

#[test]
fn workflow_matrix() {
    let mut checked = 0;
    for role in Role::ALL {
        let a = actor(10, role);
        for t in Transition::ALL {
            let from = t.edge().0[0];
            for market in [OWN, OTHER] {
                let s = story(from, market, 99);
                let got = check(&a, &s, t, Some("needs a source")).is_ok();
                let want = allowed(role, t) && (market == OWN || role.is_global_only());
                assert_eq!(got, want, "{role} {t:?} in {market:?}");
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 7 * 7 * 2);
}

#[test]
fn nobody_approves_their_own_story() {
    let lead = actor(7, Role::MarketLead);
    let own = story(StoryState::InReview, OWN, 7);
    assert_eq!(
        check(&lead, &own, Transition::Approve, None),
        Err(TransitionError::OwnStory)
    );
    let admin = actor(8, Role::Admin);
    let admins_own = story(StoryState::InReview, OWN, 8);
    assert_eq!(
        check(&admin, &admins_own, Transition::Approve, None),
        Err(TransitionError::OwnStory)
    );
    // Rejecting one's own is allowed (it is how a lead withdraws it).
    assert!(check(&lead, &own, Transition::Reject, Some("withdrawn")).is_ok());
}

#[test]
fn states_must_match() {
    let editor = actor(1, Role::Editor);
    let err = check(
        &editor,
        &story(StoryState::Published, OWN, 1),
        Transition::Schedule,
        None,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "a story that is published cannot be scheduled"
    );
    let lead = actor(2, Role::MarketLead);
    assert_eq!(
        check(
            &lead,
            &story(StoryState::InReview, OWN, 1),
            Transition::Reject,
            Some("  ")
        ),
        Err(TransitionError::ReasonRequired)
    );
    assert_eq!(
        check(
            &lead,
            &story(StoryState::InReview, OWN, 1),
            Transition::Approve,
            None
        ),
        Ok(StoryState::Approved)
    );
}

#[test]
fn contributors_draft_and_reopen_their_own() {
    let c = actor(5, Role::Contributor);
    assert!(may_draft(&c, OWN));
    assert!(!may_draft(&c, OTHER));
    let mine = story(StoryState::Rejected, OWN, 5);
    assert_eq!(
        check(&c, &mine, Transition::Reopen, None),
        Ok(StoryState::Draft)
    );
    assert!(may_edit(&c, &mine));
    let theirs = story(StoryState::Draft, OWN, 6);
    assert!(!may_edit(&c, &theirs));
    assert_eq!(available(&c, &story(StoryState::Draft, OWN, 5)), vec![]);
    let analyst = actor(9, Role::Analyst);
    assert!(may_read(&analyst, OWN) && !may_draft(&analyst, OWN));
}

#[test]
fn editing_sends_approved_work_back_to_draft() {
    assert!(StoryState::Draft.is_editable());
    assert!(StoryState::Approved.edit_returns_to_draft());
    assert!(StoryState::Scheduled.edit_returns_to_draft());
    assert!(
        !StoryState::Publishing.is_editable() && !StoryState::Publishing.edit_returns_to_draft()
    );
    assert!(!StoryState::Published.edit_returns_to_draft());
}

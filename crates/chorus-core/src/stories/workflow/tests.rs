//! The workflow matrix: role × (own market, other market) × transition × author, changer of
//! the content or neither.

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
        changed_by: vec![UserId(author)],
    }
}

/// The same story, its content since changed by `who` as well.
fn changed(mut s: StoryFacts, who: i64) -> StoryFacts {
    s.changed_by.push(UserId(who));
    s
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

/// The same matrix for someone who changed the story's content: everything as before, except
/// approving, which nobody may do to content they changed.
#[test]
fn workflow_matrix_for_who_changed_the_content() {
    let mut checked = 0;
    for role in Role::ALL {
        let a = actor(10, role);
        for t in Transition::ALL {
            let from = t.edge().0[0];
            for market in [OWN, OTHER] {
                let s = changed(story(from, market, 99), 10);
                let got = check(&a, &s, t, Some("needs a source"));
                let may = allowed(role, t) && (market == OWN || role.is_global_only());
                if !may {
                    assert!(
                        matches!(got, Err(TransitionError::NotAllowed { .. })),
                        "{role} {t:?} in {market:?}: {got:?}"
                    );
                } else if t == Transition::Approve {
                    assert_eq!(got, Err(TransitionError::ChangedContent), "{role}");
                } else {
                    assert_eq!(got, Ok(t.edge().1), "{role} {t:?} in {market:?}");
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 7 * 7 * 2);
}

#[test]
fn nobody_approves_content_they_changed() {
    let lead = actor(7, Role::MarketLead);
    let other_lead = actor(8, Role::MarketLead);
    // A contributor's story, changed by the lead (and by the author, as ever).
    let edited = changed(story(StoryState::InReview, OWN, 5), 7);
    let err = check(&lead, &edited, Transition::Approve, None).unwrap_err();
    assert_eq!(err, TransitionError::ChangedContent);
    assert_eq!(
        err.to_string(),
        "nobody approves content they changed; ask another lead of this market"
    );
    assert!(!available(&lead, &edited).contains(&Transition::Approve));
    assert_eq!(
        approval_refused(&lead, &edited),
        Some(TransitionError::ChangedContent)
    );
    // Rejecting it stays open: sending back what one changed approves nothing.
    assert!(available(&lead, &edited).contains(&Transition::Reject));
    assert_eq!(
        check(
            &lead,
            &edited,
            Transition::Reject,
            Some("my edit was wrong")
        ),
        Ok(StoryState::Rejected)
    );
    // Another lead, who changed nothing, may approve.
    assert_eq!(
        check(&other_lead, &edited, Transition::Approve, None),
        Ok(StoryState::Approved)
    );
    assert_eq!(approval_refused(&other_lead, &edited), None);
    // So may the lead once the changes were approved by someone else (the list is empty again).
    let approved_since = StoryFacts {
        changed_by: vec![],
        ..edited.clone()
    };
    assert_eq!(
        check(&lead, &approved_since, Transition::Approve, None),
        Ok(StoryState::Approved)
    );
    // The author stays the author: the list being empty does not let them approve.
    let author = actor(5, Role::MarketLead);
    assert_eq!(
        check(&author, &approved_since, Transition::Approve, None),
        Err(TransitionError::OwnStory)
    );
    assert_eq!(
        approval_refused(&author, &approved_since),
        Some(TransitionError::OwnStory)
    );
    // A global lead who changed it is refused alike, in any market.
    let global = actor(9, Role::GlobalLead);
    let elsewhere = changed(story(StoryState::InReview, OTHER, 5), 9);
    assert_eq!(
        check(&global, &elsewhere, Transition::Approve, None),
        Err(TransitionError::ChangedContent)
    );
    // Nothing to say to those who do not approve at all, or when it is not in review.
    let editor = actor(3, Role::Editor);
    assert_eq!(approval_refused(&editor, &changed(edited.clone(), 3)), None);
    let draft = changed(story(StoryState::Draft, OWN, 5), 7);
    assert_eq!(approval_refused(&lead, &draft), None);
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
    // Their own draft they submit (see `a_contributor_submits_their_own_draft`).
    assert_eq!(
        available(&c, &story(StoryState::Draft, OWN, 5)),
        vec![Transition::Submit]
    );
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

/// A contributor submits their own draft (and only their own): "cannot publish alone" still
/// holds, since approving and scheduling are others' to do.
#[test]
fn a_contributor_submits_their_own_draft() {
    let contributor = actor(5, Role::Contributor);
    let own = story(StoryState::Draft, OWN, 5);
    assert_eq!(
        check(&contributor, &own, Transition::Submit, None),
        Ok(StoryState::InReview)
    );
    assert_eq!(available(&contributor, &own), vec![Transition::Submit]);
    let theirs = story(StoryState::Draft, OWN, 6);
    assert!(check(&contributor, &theirs, Transition::Submit, None).is_err());
    let approved = story(StoryState::Approved, OWN, 5);
    assert!(check(&contributor, &approved, Transition::Schedule, None).is_err());
}

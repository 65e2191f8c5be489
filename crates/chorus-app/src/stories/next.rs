//! What happens next to a story and who does it, by name, for its page: every state says it
//! (core's [`next_step`]), so no story page is a dead end.
//!
//! The people named are those whose button would work now — the workflow's own rule table
//! decides ([`may_take`]) — leaving out admins while someone of the market may (admins may do
//! everything everywhere; naming them on every story says nothing), and only those the viewer
//! may be told of ([`may_name_user`]: colleagues of a market they work in); the others are
//! said as roles. When nobody may, the page
//! says who grants the role. When the step would be refused because an account of the story is
//! not connected, the same refusal the transition gives is said beforehand.

use chorus_core::permission::{Actor, may_name_user};
use chorus_core::role::Role;
use chorus_core::stories::next::{Mover, NextStep, may_take, next_step};
use chorus_core::stories::workflow::Transition;
use chorus_core::user::Membership;

use super::{Story, facts};
use crate::{App, Caller, Error, Result};

/// The next step of one story, as its page says it.
#[derive(Debug, Clone)]
pub struct Next {
    pub step: NextStep,
    /// The people who may take it now whom the viewer may be told of (display names; the
    /// viewer among them if they may), ordered by name. Empty when Chorus or nobody moves the
    /// story on, or when nobody the viewer knows of may.
    pub people: Vec<String>,
    /// Whether anyone at all may take it now (named or not).
    pub anyone: bool,
    /// Whether the viewer may take it now.
    pub yours: bool,
    /// Why taking it now would be refused although someone may (an account not connected).
    pub blocked: Option<String>,
}

impl Next {
    /// The transition a person makes to take the step, if a person does.
    pub fn transition(&self) -> Option<Transition> {
        match self.step.mover {
            Mover::Person(t) => Some(t),
            Mover::Chorus | Mover::Nobody => None,
        }
    }
}

/// What happens next to `story` (which the caller reads) and who does it.
pub async fn of(app: &App, caller: &Caller, story: &Story) -> Result<Next> {
    let step = next_step(story.state);
    let f = facts(story);
    let yours = may_take(&caller.actor, &f);
    if let Mover::Person(t) = step.mover {
        let Named { names, anyone } =
            names_of(app, &caller.actor, |actor| may_take(actor, &f)).await?;
        let blocked = match t {
            Transition::Approve | Transition::Schedule | Transition::Retry => {
                match super::check_connected(app, story, t).await {
                    Err(Error::Conflict { message, .. }) => Some(message),
                    Err(e) => return Err(e),
                    Ok(()) => None,
                }
            }
            _ => None,
        };
        return Ok(Next {
            step,
            people: names,
            anyone,
            yours,
            blocked,
        });
    }
    Ok(Next {
        step,
        people: Vec::new(),
        anyone: false,
        yours,
        blocked: None,
    })
}

/// Who `may` allows, as [`names_of`] tells it.
pub(crate) struct Named {
    /// Display names the viewer may be told ([`may_name_user`]), ordered.
    pub names: Vec<String>,
    /// Whether anyone active is allowed, named or not.
    pub anyone: bool,
}

/// The active people `may` allows, by the names `viewer` may be told, leaving out those who
/// hold only the admin role unless nobody else is allowed (admins may do everything,
/// everywhere: naming them on every page says nothing).
pub(crate) async fn names_of(
    app: &App,
    viewer: &Actor,
    may: impl Fn(&Actor) -> bool,
) -> Result<Named> {
    let mut people = Vec::new();
    let mut admins = Vec::new();
    for u in app.store.users(None).await? {
        if !u.user.active {
            continue;
        }
        let actor = Actor {
            user_id: u.user.id,
            memberships: u.memberships.clone(),
        };
        if !may(&actor) {
            continue;
        }
        let name = (u.user.id == viewer.user_id || may_name_user(viewer, &u.memberships))
            .then_some(u.user.display_name);
        if is_only_admin(&u.memberships) {
            admins.push(name);
        } else {
            people.push(name);
        }
    }
    if people.is_empty() {
        people = admins;
    }
    let anyone = !people.is_empty();
    let mut names: Vec<String> = people.into_iter().flatten().collect();
    names.sort();
    Ok(Named { names, anyone })
}

/// Whether every role held is admin (who may do everything, everywhere).
fn is_only_admin(memberships: &[Membership]) -> bool {
    !memberships.is_empty() && memberships.iter().all(|m| m.role == Role::Admin)
}

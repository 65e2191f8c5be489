//! Working the inbox: status, assignee and tags of one conversation or many at once (all or
//! none, one audit entry per conversation that changed), and internal notes.
//!
//! Each conversation must be one the caller works (`WorkConversations` in one of its
//! markets): one they may not read is not found, one they only read is forbidden, and then
//! nothing changes. An assignee must be someone who may work on every conversation given.

use chorus_core::conversations::{ConversationId, Status, note, tag};
use chorus_core::permission::may_be_assigned;
use chorus_core::validate::quoted;
use chorus_core::{MarketId, UserId};
use chorus_store::{ConversationChange, StoreError};

use super::workable;
use crate::{App, Caller, Error, Result};

/// A change as typed: empty fields leave things alone. `assignee` is a user id, `me` or
/// `nobody`.
#[derive(Debug, Clone, Default)]
pub struct ChangeFields {
    pub status: String,
    pub assignee: String,
    pub add_tags: Vec<String>,
    pub remove_tags: Vec<String>,
}

/// Most conversations one bulk change touches.
pub const BULK_MAX: usize = 500;

impl ChangeFields {
    fn parse(&self, me: UserId) -> Result<ConversationChange> {
        let tags = |v: &[String], field: &'static str| -> Result<Vec<String>> {
            v.iter()
                .filter(|t| !t.trim().is_empty())
                .map(|t| tag(t).map_err(|e| Error::from(e.at(field))))
                .collect()
        };
        let change = ConversationChange {
            status: match self.status.trim() {
                "" => None,
                s => Some(Status::parse(s).map_err(|e| e.at("status"))?),
            },
            assignee: match self.assignee.trim() {
                "" => None,
                "me" => Some(Some(me)),
                "nobody" => Some(None),
                u => Some(Some(UserId(u.parse().map_err(|_| {
                    Error::invalid("assignee", format!("{} is not a user id", quoted(u)))
                })?))),
            },
            add_tags: tags(&self.add_tags, "add_tags")?,
            remove_tags: tags(&self.remove_tags, "remove_tags")?,
        };
        if change.is_empty() {
            return Err(Error::Invalid {
                field: None,
                message: "nothing to change: choose a status, an assignee or tags".into(),
            });
        }
        Ok(change)
    }
}

/// Changes one conversation; returns 1 if it changed, 0 if it already was so.
pub async fn change(app: &App, caller: &Caller, id: i64, fields: &ChangeFields) -> Result<usize> {
    bulk(app, caller, &[id], fields).await
}

/// The same change to every conversation in `ids` (1 to [`BULK_MAX`]), all or none; returns
/// how many changed.
pub async fn bulk(app: &App, caller: &Caller, ids: &[i64], fields: &ChangeFields) -> Result<usize> {
    if ids.is_empty() || ids.len() > BULK_MAX {
        return Err(Error::invalid(
            "ids",
            format!("select 1 to {BULK_MAX} conversations"),
        ));
    }
    let ids: Vec<ConversationId> = ids.iter().map(|i| ConversationId(*i)).collect();
    let mut markets = Vec::with_capacity(ids.len());
    for c in &ids {
        markets.push(workable(app, caller, *c).await?);
    }
    let change = fields.parse(caller.user_id())?;
    if let Some(Some(assignee)) = change.assignee {
        check_assignee(app, caller, assignee, &markets).await?;
    }
    Ok(app
        .store
        .change_conversations(&caller.author(), &ids, &change)
        .await?)
}

/// The assignee is an active person who may work on each conversation (found in `markets`,
/// core's `may_be_assigned`); the caller themself is. Anyone else, and an id nobody has, get
/// the same answer, so assigning cannot tell who has an account.
async fn check_assignee(
    app: &App,
    caller: &Caller,
    assignee: UserId,
    markets: &[Vec<MarketId>],
) -> Result<()> {
    if caller.user.is_some() && assignee == caller.user_id() {
        return Ok(());
    }
    let refused = || {
        Error::invalid(
            "assignee",
            "choose someone who works the inbox of this conversation's markets",
        )
    };
    let (user, actor) = match app.store.user_and_actor(assignee).await {
        Ok(found) => found,
        Err(StoreError::NotFound { .. }) => return Err(refused()),
        Err(e) => return Err(e.into()),
    };
    if user.active && markets.iter().all(|m| may_be_assigned(&actor, m)) {
        Ok(())
    } else {
        Err(refused())
    }
}

/// Adds an internal note (never posted) to a conversation.
pub async fn add_note(app: &App, caller: &Caller, id: i64, body: &str) -> Result<()> {
    let id = ConversationId(id);
    workable(app, caller, id).await?;
    let body = note(body).map_err(|e| e.at("body"))?;
    app.store.add_note(&caller.author(), id, &body).await?;
    Ok(())
}

//! Replies from the inbox: recorded first (audited), then published through the network
//! (`chorus_jobs::send_reply_with` over the app's guarded client, which threads the reply under
//! the post and records the outcome);
//! a failure is kept with its reason and can be retried, with the same record key, so a retry
//! never posts twice.
//!
//! Who: those who work the conversation, from a Bluesky account of one of its markets where
//! they work it. The installation's secret key unseals the account's credentials.

use chorus_core::conversations::{ConversationId, reply_text};
use chorus_core::permission::allows;
use chorus_core::{Action, Scope};
use chorus_networks::bluesky::SecretKey;

use super::{Reply, workable};
use crate::{App, Caller, Error, Result};

/// A reply as typed: the account's id and the text.
#[derive(Debug, Clone, Default)]
pub struct ReplyFields {
    pub account: String,
    pub body: String,
}

/// Records a reply to conversation `id` and publishes it; answers the reply as it ended up
/// (`sent`, or `failed` with the reason, to retry).
pub async fn send(app: &App, caller: &Caller, id: i64, fields: &ReplyFields) -> Result<Reply> {
    let id = ConversationId(id);
    let markets = workable(app, caller, id).await?;
    let body = reply_text(&fields.body).map_err(|e| e.at("body"))?;
    let account: i64 = fields
        .account
        .trim()
        .parse()
        .map_err(|_| Error::invalid("account", "choose the account to reply from"))?;
    let account = app.store.account(account).await?;
    let works_there = allows(
        &caller.actor,
        Action::WorkConversations,
        Scope::Market(account.market_id),
    );
    if !markets.contains(&account.market_id) || !works_there {
        return Err(Error::invalid(
            "account",
            "choose an account of a market where you work this conversation",
        ));
    }
    let key = app.secret_key()?;
    let reply = app
        .store
        .create_reply(&caller.author(), id, account.id, &body)
        .await?;
    publish(app, key, reply.id).await
}

/// Sends a failed reply again (same record key: it cannot post twice).
pub async fn retry(app: &App, caller: &Caller, conversation: i64, reply: i64) -> Result<Reply> {
    workable(app, caller, ConversationId(conversation)).await?;
    let r = app.store.reply(reply).await?;
    if r.conversation_id.0 != conversation {
        return Err(Error::NotFound("reply"));
    }
    let account = app.store.account(r.account_id).await?;
    if !allows(
        &caller.actor,
        Action::WorkConversations,
        Scope::Market(account.market_id),
    ) {
        return Err(Error::forbidden(
            "this reply goes out from another market's account: that market's community managers and leads may retry it",
        ));
    }
    if r.state != "failed" {
        return Err(Error::conflict(
            "state",
            format!("only a failed reply is sent again; this one is {}", r.state),
        ));
    }
    let key = app.secret_key()?;
    app.store.retry_reply(r.id).await?;
    publish(app, key, r.id).await
}

/// Publishes a recorded reply and answers it in its new state; a failure is recorded on the
/// reply (with the reason people see), not returned.
async fn publish(app: &App, key: &SecretKey, reply: i64) -> Result<Reply> {
    let http = app.outbound()?;
    if let Err(e) = chorus_jobs::send_reply_with(&app.store, key, &http, reply).await {
        tracing::warn!(reply, error = %e, "reply not published");
    }
    Ok(app.store.reply(reply).await?)
}

//! Following a click redirect (`/l/{code}`): the use case of the public caller, anyone who
//! clicks a link in a published post. No sign-in and no permission: a code is a capability,
//! unguessable and only ever made for a link a published variant holds.
//!
//! Contract: the answer is the stored target (UTM tags as published) or `NotFound`, nothing
//! else. Nothing from the request goes into where it leads: the code only selects a stored
//! link, and a code that is not [`CODE_LEN`](chorus_core::links::CODE_LEN) base62 characters is
//! `NotFound` before the store is asked. Each click is counted once, as a person's or, when the
//! user agent is a bot's (`chorus_core::links::is_bot`), as a bot's; a click that cannot be
//! recorded still leads on (the visitor is not kept from the page because a count failed) and
//! is logged.

use chorus_core::links::{self, LinkCode};

use crate::{App, Error, Result};

/// Where a click on `code` leads, counting it. `user_agent` is the request's, if any.
pub async fn follow(app: &App, code: &str, user_agent: Option<&str>) -> Result<String> {
    let code = LinkCode::parse(code).map_err(|_| Error::NotFound("link"))?;
    let link = app
        .store
        .link(&code)
        .await?
        .ok_or(Error::NotFound("link"))?;
    let location = links::location(&link.target).ok_or(Error::NotFound("link"))?;
    let bot = links::is_bot(user_agent);
    if let Err(e) = app
        .store
        .record_click(link.id, bot, chorus_store::now_ms())
        .await
    {
        tracing::warn!(error = %e, link = link.id, "a click could not be counted");
    }
    Ok(location)
}

//! Who is asking: signing in and out, sessions, API tokens, passwords.
//!
//! A request is signed in by a session (the browser's cookie) or an API token (a script's
//! `Bearer`); both resolve here to a [`SignedIn`] person, or to nobody when the session has
//! ended, the token was revoked or the person was deactivated. What stays with the caller is
//! transport: cookies, CSRF and the login rate limiter (it counts per address).
//!
//! Contract: a login always issues a new session and ends the one the browser brought (a
//! session set before login is never kept); changing one's password ends every other session;
//! a token is listed, created and revoked only by its owner (and created for anyone by the
//! operator at the command line).

use chorus_core::permission::{allows, allows_in_any};
use chorus_core::user::{Email, User, check_new_password};
use chorus_core::{Action, MarketId, Scope, UserId};

use crate::{App, Caller, Error, Result};

pub use chorus_store::{ApiToken, NewApiToken};

/// The person a request acts for.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user: User,
    /// The same person with their memberships, for the use cases.
    pub caller: Caller,
    /// The session's CSRF token (forms echo it back); `None` for an API token.
    pub csrf: Option<String>,
}

/// The person behind a session cookie's value, if the session is live and they are active.
pub async fn session(app: &App, token: &str) -> Result<Option<SignedIn>> {
    match app.store.session(token).await? {
        Some(s) => signed_in(app, s.user_id, Some(s.csrf_token)).await,
        None => Ok(None),
    }
}

/// The person behind an API token, if it is not revoked and they are active. Records its use.
pub async fn bearer(app: &App, secret: &str) -> Result<Option<SignedIn>> {
    match app.store.api_token_user(secret).await? {
        Some(user) => signed_in(app, user, None).await,
        None => Ok(None),
    }
}

async fn signed_in(app: &App, id: UserId, csrf: Option<String>) -> Result<Option<SignedIn>> {
    let (user, actor) = match app.store.user_and_actor(id).await {
        Ok(found) => found,
        Err(chorus_store::StoreError::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    if !user.active {
        return Ok(None);
    }
    Ok(Some(SignedIn {
        caller: Caller::person(user.clone(), actor),
        user,
        csrf,
    }))
}

/// A session just started: `token` is the cookie's value (shown once, stored as a hash).
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: String,
    pub user: UserId,
}

/// Signs a person in with their email and password. Ends the session the browser brought
/// (`replacing`, whoever's it was) and always starts a new one. Wrong credentials, an unknown
/// email and a deactivated person all answer [`Error::Unauthenticated`], in the same time.
pub async fn log_in(
    app: &App,
    email: &str,
    password: &str,
    replacing: Option<&str>,
) -> Result<NewSession> {
    let email = Email::parse(email).map_err(|e| e.at("email"))?;
    let creds = app.store.login_credentials(&email).await?;
    let password = password.to_owned();
    let user = blocking(move || match creds {
        Some((id, hash)) => chorus_core::password::verify(&password, &hash).then_some(id),
        None => {
            chorus_core::password::verify_dummy(&password);
            None
        }
    })
    .await?
    .ok_or(Error::Unauthenticated)?;
    // Checked after the password, so that the answer tells nothing to someone who does not
    // know it; a person who does is told to use their organization's sign-in.
    let policy = crate::sso::password_sign_in(app);
    if *policy != chorus_core::sso::PasswordSignIn::Everyone {
        let admin = app.store.actor(user).await?.is_admin();
        if !policy.allows(email.as_str(), admin) {
            return Err(Error::forbidden(
                "password sign-in is turned off here: use your organization's sign-in \
                 (the buttons above the form)",
            ));
        }
    }
    if let Some(old) = replacing {
        app.store.delete_session(old).await?;
    }
    let ttl = i64::try_from(app.config.session_ttl.as_millis()).unwrap_or(i64::MAX);
    let (token, _) = app.store.create_session(user, ttl).await?;
    Ok(NewSession { token, user })
}

/// Ends a session (signing out). Ending one that has already ended is not an error.
/// Removes sessions past their end (housekeeping the server runs now and then); answers how
/// many were removed.
pub async fn expire_sessions(app: &App) -> Result<u64> {
    Ok(app.store.delete_expired_sessions().await?)
}

pub async fn log_out(app: &App, token: &str) -> Result<()> {
    Ok(app.store.delete_session(token).await?)
}

/// A change of one's own password, as typed.
#[derive(Debug, Clone, Default)]
pub struct PasswordChange {
    pub current: String,
    pub new: String,
}

/// Changes the caller's password after checking the current one. Every other session of theirs
/// ends; `keep` (the session the change was made from) stays. API tokens stay: they are
/// listed beside the form and revoked one by one.
pub async fn change_password(
    app: &App,
    caller: &Caller,
    change: &PasswordChange,
    keep: Option<&str>,
) -> Result<()> {
    let user = person(caller)?;
    let creds = app.store.login_credentials(&user.email).await?;
    let current = change.current.clone();
    let matches = blocking(move || match creds {
        Some((_, hash)) => chorus_core::password::verify(&current, &hash),
        None => {
            chorus_core::password::verify_dummy(&current);
            false
        }
    })
    .await?;
    if !matches {
        return Err(Error::invalid(
            "current_password",
            "is not your current password",
        ));
    }
    check_new_password(&change.new).map_err(|e| e.at("new_password"))?;
    let hash = hash_password(&change.new).await?;
    Ok(app
        .store
        .change_password(&caller.author(), user.id, &hash, keep)
        .await?)
}

/// The caller's API tokens (revoked ones too, marked), oldest first.
pub async fn tokens(app: &App, caller: &Caller) -> Result<Vec<ApiToken>> {
    Ok(app.store.api_tokens(person(caller)?.id).await?)
}

/// Creates an API token for the caller; its secret is in the answer, once.
pub async fn create_token(app: &App, caller: &Caller, name: &str) -> Result<NewApiToken> {
    let user = person(caller)?.id;
    let name = token_name(name)?;
    Ok(app
        .store
        .create_api_token(&caller.author(), user, &name)
        .await?)
}

/// Creates an API token for the person with `email`: the operator may do it for anyone (to set
/// up scripts), a person only for themself.
pub async fn issue_token(
    app: &App,
    caller: &Caller,
    email: &str,
    name: &str,
) -> Result<NewApiToken> {
    let email = Email::parse(email).map_err(|e| e.at("email"))?;
    let name = token_name(name)?;
    let user = app
        .store
        .user_by_email(&email)
        .await?
        .ok_or(Error::NotFound("user"))?;
    match &caller.user {
        None => {}
        Some(me) if me.id == user.id => {}
        Some(_) => return Err(Error::NotFound("user")),
    }
    Ok(app
        .store
        .create_api_token(&caller.author(), user.id, &name)
        .await?)
}

/// Revokes one of the caller's tokens; it stops working at once. Someone else's token is not
/// found; revoking one already revoked changes nothing.
pub async fn revoke_token(app: &App, caller: &Caller, id: i64) -> Result<()> {
    let user = person(caller)?.id;
    let tokens = app.store.api_tokens(user).await?;
    if !tokens.iter().any(|t| t.id == id) {
        return Err(Error::NotFound("token"));
    }
    app.store
        .revoke_api_token(&caller.author(), user, id)
        .await?;
    Ok(())
}

/// Whether the navigation offers the admin section to the caller.
pub fn shows_admin(caller: &Caller) -> bool {
    allows(&caller.actor, Action::ViewAdmin, Scope::Global)
}

/// Whether the navigation offers Numbers to the caller: someone who reads numbers globally or
/// in one of the markets they hold a role in (the page answers 403 to everyone else).
pub fn shows_numbers(caller: &Caller) -> bool {
    let markets: Vec<MarketId> = caller
        .actor
        .memberships
        .iter()
        .filter_map(|m| match m.scope {
            Scope::Market(id) => Some(id),
            Scope::Global => None,
        })
        .collect();
    allows_in_any(&caller.actor, Action::ReadNumbers, &markets)
}

fn person(caller: &Caller) -> Result<&User> {
    caller.user.as_ref().ok_or(Error::Unauthenticated)
}

fn token_name(raw: &str) -> Result<String> {
    Ok(chorus_core::validate::text(raw, 80).map_err(|e| e.at("name"))?)
}

/// Hashes a new password off the async threads (Argon2 takes tens of milliseconds on purpose).
pub(crate) async fn hash_password(password: &str) -> Result<String> {
    let password = password.to_owned();
    blocking(move || chorus_core::password::hash(&password))
        .await?
        .map_err(|e| Error::Internal(format!("password hash: {e}")))
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Internal(format!("password check: {e}")))
}

#[cfg(test)]
mod tests;

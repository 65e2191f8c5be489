//! The network accounts that publish for a market, one market each.
//!
//! Admins connect accounts for any market, market leads for theirs (`Action::ConnectAccounts`);
//! they see the accounts of those markets. Whoever may write stories in a market may list its
//! accounts, to pick one for a post ([`accounts_for_drafting`]). Connecting logs in once with an
//! app password and stores the credentials sealed with the installation's key
//! (`chorus_jobs::connect_bluesky`): the password never reaches the database, a log, a page or
//! the audit log. The connection and its audit entry (`account.connect`) are one transaction.
//!
//! The PDS address is typed by a person, so logging in is a server-side request to wherever
//! they point: it goes through the installation's guarded client ([`App::outbound`]), which
//! refuses loopback, private and other non-public addresses (and redirects there) unless the
//! operator allows them. What the form says back is fixed text, never the remote server's
//! words: a refused address names its class; wrong credentials one message; anything else —
//! no connection, a timeout, a server error, an answer that is not a PDS's — one message, so a
//! closed port and an open one read the same. The detail goes to the log.
//!
//! An account is *connected* when Chorus can publish from it: it is not one of the demo's
//! accounts and its stored credentials open with this installation's key ([`is_connected`]).
//! Approving, scheduling and retrying a story refuse accounts that are not, saying which and
//! where they get connected (see `stories::transition`).
//!
//! There is no disconnecting yet (the store has no way to); an account is replaced by
//! connecting it again.

use chorus_core::org::{Market, MarketCode};
use chorus_core::permission::{allows, authorize};
use chorus_core::{Action, MarketId, Scope};
use chorus_jobs::{BlueskyLogin, ConnectError};
use chorus_networks::bluesky::{Secret, XrpcError};

pub use chorus_store::Account;

use crate::{App, Caller, Error, Result};

/// The fields of the form that connects a Bluesky account, as typed.
#[derive(Debug, Clone)]
pub struct ConnectFields {
    /// The market's code.
    pub market: String,
    /// The account's server (its PDS), e.g. `https://bsky.social`.
    pub pds: String,
    /// With or without the leading `@`.
    pub handle: String,
    /// An app password (never the account's own); `Debug` prints `[redacted]`.
    pub app_password: Secret,
}

/// The accounts page: the accounts of the markets the caller connects accounts for.
#[derive(Debug, Clone)]
pub struct ManagedAccounts {
    /// Ordered by handle.
    pub accounts: Vec<Account>,
    /// The markets the caller may connect accounts for (never empty).
    pub markets: Vec<Market>,
    /// Whether this installation can seal credentials (it has its secret key).
    pub can_connect: bool,
    /// The ids of the accounts Chorus cannot publish from (see [`is_connected`]).
    pub not_connected: Vec<i64>,
}

/// The markets where the caller may connect accounts; refused if there are none.
async fn connectable_markets(app: &App, caller: &Caller) -> Result<Vec<Market>> {
    let markets: Vec<Market> = app
        .store
        .markets()
        .await?
        .into_iter()
        .filter(|m| allows(&caller.actor, Action::ConnectAccounts, Scope::Market(m.id)))
        .collect();
    if markets.is_empty() {
        return Err(Error::forbidden(
            "only admins and market leads connect accounts",
        ));
    }
    Ok(markets)
}

/// The accounts of the markets the caller connects accounts for (admins, market leads).
pub async fn managed_accounts(app: &App, caller: &Caller) -> Result<ManagedAccounts> {
    let markets = connectable_markets(app, caller).await?;
    let accounts: Vec<Account> = app
        .store
        .accounts(None)
        .await?
        .into_iter()
        .filter(|a| markets.iter().any(|m| m.id == a.market_id))
        .collect();
    Ok(ManagedAccounts {
        not_connected: not_connected(app, &accounts).await?,
        accounts,
        markets,
        can_connect: app.has_secret_key(),
    })
}

/// Whether Chorus can publish from `account`: it is not a demo account, and its stored
/// credentials open with this installation's key. A check made here; whether the network still
/// accepts them shows when publishing.
pub async fn is_connected(app: &App, account: &Account) -> Result<bool> {
    let Some(key) = app.secret_key.as_ref() else {
        return Ok(false);
    };
    if account.demo {
        return Ok(false);
    }
    let sealed = app.store.account_credentials(account.id).await?;
    Ok(chorus_jobs::connectors::credentials_open(
        &account.network,
        &sealed,
        key,
    ))
}

/// The ids of those of `accounts` that are not connected.
pub async fn not_connected(app: &App, accounts: &[Account]) -> Result<Vec<i64>> {
    let mut out = Vec::new();
    for a in accounts {
        if !is_connected(app, a).await? {
            out.push(a.id);
        }
    }
    Ok(out)
}

/// The accounts that publish for `market`, for those who may write stories there.
pub async fn accounts_for_drafting(
    app: &App,
    caller: &Caller,
    market: MarketId,
) -> Result<Vec<Account>> {
    authorize(&caller.actor, Action::DraftStories, Scope::Market(market))?;
    Ok(app.store.accounts(Some(market)).await?)
}

/// Connects a Bluesky account for a market (admins, the market's leads): logs in to its PDS with
/// the app password and stores the sealed credentials. Connecting an account that is already
/// connected replaces its credentials; only those who may connect accounts in its current
/// market may do that (it would move the account to the new market).
pub async fn connect_bluesky(
    app: &App,
    caller: &Caller,
    fields: &ConnectFields,
) -> Result<Account> {
    // Those who connect accounts nowhere are refused whatever they typed.
    connectable_markets(app, caller).await?;
    let all = app.store.markets().await?;
    let market = MarketCode::parse(&fields.market)
        .ok()
        .and_then(|code| all.into_iter().find(|m| m.code == code))
        .ok_or_else(|| Error::invalid("market", "choose a market"))?;
    authorize(
        &caller.actor,
        Action::ConnectAccounts,
        Scope::Market(market.id),
    )?;
    let pds = parse_service_url(&fields.pds)?;
    let handle = fields.handle.trim().trim_start_matches('@').to_owned();
    if handle.is_empty() || handle.len() > 253 {
        return Err(Error::invalid(
            "handle",
            "give the account's handle, e.g. northwind.bsky.social",
        ));
    }
    let password = fields.app_password.expose().trim();
    if password.is_empty() {
        return Err(Error::invalid(
            "app_password",
            "create an app password in the account's settings and paste it here",
        ));
    }
    // The store replaces an account with the same handle wherever it is: a lead of one market
    // must not move another market's account to theirs.
    let taken_elsewhere = app.store.accounts(None).await?.into_iter().any(|a| {
        a.network == "bluesky"
            && a.handle.eq_ignore_ascii_case(&handle)
            && !allows(
                &caller.actor,
                Action::ConnectAccounts,
                Scope::Market(a.market_id),
            )
    });
    if taken_elsewhere {
        return Err(Error::conflict(
            "handle",
            "this account already publishes for a market you do not manage; an admin can move it",
        ));
    }
    let key = app.secret_key()?;
    let http = app.outbound()?;
    chorus_jobs::connect_bluesky(
        &app.store,
        key,
        &http,
        &caller.author(),
        market.id,
        BlueskyLogin {
            pds: &pds,
            handle: &handle,
            app_password: Secret::new(password),
        },
    )
    .await
    .map_err(|e| connect_error(&pds, e))
}

/// What the form says when the PDS did not answer as it should.
pub const PDS_UNREACHABLE: &str = "the server at this address could not be reached or did not \
     answer as a Bluesky PDS: check the address (e.g. https://bsky.social)";
/// What the form says when the PDS refused the handle and app password.
pub const LOGIN_REFUSED: &str = "the PDS did not accept this handle and app password: check \
     both (an app password from the account's settings, not its password)";
/// What the form says when the PDS asks to slow down.
pub const PDS_BUSY: &str = "the PDS asks to slow down: try again in a few minutes";

/// Turns a failed connection into what the form says. The remote server's words (its error
/// message, its body) never reach the page; the whole error is logged.
fn connect_error(pds: &str, e: ConnectError) -> Error {
    let login = match e {
        ConnectError::Store(s) => return Error::from(s),
        ConnectError::Credentials(e) => {
            return Error::Internal(format!("sealing the account's credentials: {e}"));
        }
        ConnectError::Login(login) => login,
    };
    tracing::info!(pds, error = %login, detail = ?login, "connecting a Bluesky account failed");
    match login {
        XrpcError::Refused { source, .. } => Error::invalid(
            "pds",
            format!("Chorus does not connect to this server: {source}"),
        ),
        XrpcError::Auth { .. } | XrpcError::ExpiredToken { .. } => {
            Error::invalid("app_password", LOGIN_REFUSED)
        }
        XrpcError::RateLimited { .. } => Error::invalid("pds", PDS_BUSY),
        _ => Error::invalid("pds", PDS_UNREACHABLE),
    }
}

/// An http(s) server address without path, query or credentials, e.g. `https://bsky.social`
/// (a trailing slash is dropped).
pub fn parse_service_url(raw: &str) -> Result<String> {
    let url = raw.trim().trim_end_matches('/');
    let bad = || {
        Error::invalid(
            "pds",
            "give the server address, e.g. https://bsky.social or your PDS's https:// address",
        )
    };
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(bad)?;
    if rest.is_empty()
        || rest.contains(['/', '?', '#', '@', ' ', '\\'])
        || !rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
    {
        return Err(bad());
    }
    Ok(url.to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chorus_core::Role;
    use chorus_core::audit::Author;
    use chorus_store::NewAccount;

    use super::*;
    use crate::playbook::tests::{caller, world};

    #[test]
    fn service_urls_are_plain_server_addresses() {
        assert_eq!(
            parse_service_url("https://bsky.social/").unwrap(),
            "https://bsky.social"
        );
        assert_eq!(
            parse_service_url("http://localhost:2583").unwrap(),
            "http://localhost:2583"
        );
        for bad in [
            "bsky.social",
            "ftp://x",
            "https://",
            "https://a/b",
            "https://u:p@x",
            "https://x?y",
        ] {
            let err = parse_service_url(bad).unwrap_err();
            assert_eq!(err.field(), Some("pds"), "{bad}");
        }
    }

    /// What the form says for each way logging in can fail: the field to point at, fixed text,
    /// and never the remote server's words.
    #[test]
    fn connect_errors_never_carry_the_remote_servers_words() {
        let secret = |s: &str| format!("SECRET-{s}");
        let refused = XrpcError::Refused {
            url: "http://127.0.0.1:8091/xrpc/com.atproto.server.createSession".into(),
            source: chorus_outbound::Error::Refused {
                host: "127.0.0.1".into(),
                class: chorus_outbound::AddressClass::Loopback,
                addr: "127.0.0.1".parse().unwrap(),
            },
        };
        let rows = [
            (refused, "pds", "a loopback address"),
            (
                XrpcError::Auth {
                    error: "AuthenticationRequired".into(),
                    message: secret("auth"),
                },
                "app_password",
                LOGIN_REFUSED,
            ),
            (
                XrpcError::Server {
                    status: 500,
                    error: "InternalServerError".into(),
                    message: secret("500"),
                },
                "pds",
                PDS_UNREACHABLE,
            ),
            (
                XrpcError::Rejected {
                    status: 400,
                    error: "InvalidRequest".into(),
                    message: secret("400"),
                },
                "pds",
                PDS_UNREACHABLE,
            ),
            (
                XrpcError::Decode {
                    url: "u".into(),
                    reason: secret("decode"),
                },
                "pds",
                PDS_UNREACHABLE,
            ),
            (
                XrpcError::RateLimited { retry_after: None },
                "pds",
                PDS_BUSY,
            ),
        ];
        for (login, field, says) in rows {
            let shown = connect_error("http://x", ConnectError::Login(login));
            assert_eq!(shown.field(), Some(field), "{shown:?}");
            let text = shown.to_string();
            assert!(text.contains(says), "{text}");
            assert!(!text.contains("SECRET"), "{text}");
        }
    }

    #[tokio::test]
    async fn accounts_are_listed_for_their_market_and_never_moved_by_another_market() {
        let w = world().await;
        let sys = Author::system("test");
        for (market, handle) in [(w.fi, "northwind-fi.test"), (w.br, "northwind-br.test")] {
            w.app
                .store
                .connect_account(
                    &sys,
                    &NewAccount {
                        market_id: market,
                        network: "bluesky",
                        handle,
                        external_id: "did:plc:test",
                        service_url: "http://127.0.0.1:9",
                        sealed: "not-real",
                    },
                )
                .await
                .unwrap();
        }
        let writer = caller(Role::Contributor, Some(w.fi));
        let fi = accounts_for_drafting(&w.app, &writer, w.fi).await.unwrap();
        assert_eq!(fi.len(), 1);
        assert_eq!(fi[0].handle, "northwind-fi.test");
        assert!(matches!(
            accounts_for_drafting(&w.app, &writer, w.br).await,
            Err(Error::Forbidden(_))
        ));
        assert!(matches!(
            managed_accounts(&w.app, &writer).await,
            Err(Error::Forbidden(_))
        ));

        let lead = caller(Role::MarketLead, Some(w.fi));
        let page = managed_accounts(&w.app, &lead).await.unwrap();
        assert_eq!(page.accounts.len(), 1);
        assert_eq!(page.markets.len(), 1);
        assert!(!page.can_connect, "no secret key in this test");

        let connect = |market: &str, handle: &str| ConnectFields {
            market: market.into(),
            pds: "https://bsky.social".into(),
            handle: handle.into(),
            app_password: Secret::new("app-pass"),
        };
        let err = connect_bluesky(&w.app, &lead, &connect("BR", "x.test"))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::Forbidden(m) if !m.contains("BR")),
            "{err:?}"
        );
        let err = connect_bluesky(&w.app, &lead, &connect("FI", "@Northwind-BR.test"))
            .await
            .unwrap_err();
        assert_eq!(err.field(), Some("handle"), "{err:?}");
        assert!(matches!(err, Error::Conflict { .. }));
        // Its own market's account, or a new one: only the missing key stops it here.
        for handle in ["northwind-fi.test", "new.test"] {
            let err = connect_bluesky(&w.app, &lead, &connect("FI", handle))
                .await
                .unwrap_err();
            assert!(matches!(err, Error::Unavailable(_)), "{err:?}");
        }
        let admin = caller(Role::Admin, None);
        let err = connect_bluesky(&w.app, &admin, &connect("FI", "northwind-br.test"))
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::Unavailable(_)),
            "admins move accounts: {err:?}"
        );
    }
}

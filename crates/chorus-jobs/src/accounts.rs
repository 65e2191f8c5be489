//! Connecting network accounts: log in once, seal the credentials with the installation's key,
//! store the sealed form. The app password never reaches the database, the logs or a page.
//! Jobs open the sealed form again through [`crate::connectors`].
//!
//! The login goes through the guarded client the caller passes (built from the installation's
//! outbound settings): a PDS address the policy refuses is [`XrpcError::Refused`] inside
//! [`ConnectError::Login`], and nothing is sent to it.

use chorus_core::MarketId;
use chorus_core::audit::Author;
use chorus_networks::bluesky::credentials::CredentialError;
use chorus_networks::bluesky::{Agent, Secret, SecretKey, StoredAccount, Xrpc, XrpcError};
use chorus_outbound::Client;
use chorus_store::{Account, NewAccount, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("logging in to Bluesky failed: {0}")]
    Login(#[from] XrpcError),
    #[error(transparent)]
    Credentials(#[from] CredentialError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What logging in to a Bluesky account takes.
#[derive(Debug, Clone)]
pub struct BlueskyLogin<'a> {
    /// The account's PDS, e.g. `https://bsky.social` (a trailing `/` is dropped).
    pub pds: &'a str,
    /// A handle or DID.
    pub handle: &'a str,
    /// An app password; `Debug` prints `[redacted]`.
    pub app_password: Secret,
}

/// Logs in to `login.pds` through `http` as `login.handle` with its app password, and stores
/// the account for `market`.
pub async fn connect_bluesky(
    store: &Store,
    key: &SecretKey,
    http: &Client,
    author: &Author,
    market: MarketId,
    login: BlueskyLogin<'_>,
) -> Result<Account, ConnectError> {
    let pds = login.pds.trim().trim_end_matches('/').to_owned();
    let xrpc = Xrpc::new(http.clone(), &pds)?;
    let agent = Agent::login(xrpc, login.handle.trim(), &login.app_password).await?;
    let session = agent.session().await;
    let stored = StoredAccount {
        pds: pds.clone(),
        did: session.did.to_string(),
        handle: session.handle.clone(),
        app_password: login.app_password,
        refresh_jwt: None,
    };
    let sealed = stored.seal(key)?;
    let sealed_json = serde_json::to_string(&sealed).map_err(|_| CredentialError::Open)?;
    Ok(store
        .connect_account(
            author,
            &NewAccount {
                market_id: market,
                network: "bluesky",
                handle: &stored.handle,
                external_id: &stored.did,
                service_url: &pds,
                sealed: &sealed_json,
            },
        )
        .await?)
}

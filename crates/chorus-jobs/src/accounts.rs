//! Connecting network accounts: log in once, seal the credentials with the installation's key,
//! store the sealed form. The app password never reaches the database, the logs or a page.
//! Jobs open the sealed form again through [`crate::connectors`].

use chorus_core::MarketId;
use chorus_core::audit::Author;
use chorus_networks::bluesky::credentials::CredentialError;
use chorus_networks::bluesky::{
    Agent, Secret, SecretKey, StoredAccount, Xrpc, XrpcError, http_client,
};
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

/// Logs in to `pds` as `handle` with an app password and stores the account for `market`.
pub async fn connect_bluesky(
    store: &Store,
    key: &SecretKey,
    author: &Author,
    market: MarketId,
    pds: &str,
    handle: &str,
    app_password: Secret,
) -> Result<Account, ConnectError> {
    let pds = pds.trim().trim_end_matches('/').to_owned();
    let xrpc = Xrpc::new(http_client()?, &pds)?;
    let agent = Agent::login(xrpc, handle.trim(), &app_password).await?;
    let session = agent.session().await;
    let stored = StoredAccount {
        pds: pds.clone(),
        did: session.did.to_string(),
        handle: session.handle.clone(),
        app_password,
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

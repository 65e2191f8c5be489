//! Network accounts for background work: a [`Connector`] per network name opens an account
//! from its sealed credentials as an `Arc<dyn DynNetwork>`; [`Connectors`] keeps one open
//! connection per account and hands it to jobs.
//!
//! Jobs see accounts only through [`DynNetwork`] and decide about failures only by their
//! [`ErrorKind`], so a second network is a connector module (its `Network` implementation in
//! `chorus-networks`) and one line in [`Connectors::standard`].
//!
//! Refused credentials are remembered: when logging in to an account fails with
//! [`ErrorKind::Auth`] (its app password was revoked), later jobs for that account fail at once
//! with the same reason instead of asking the network again, until the account is reconnected
//! (its sealed credentials change). Connecting is one at a time per account, so jobs due
//! together log in once. A connection opened earlier that fails with `Auth` may only have lost
//! its session: [`Connectors::call`] drops it and tries once more on a fresh login before
//! believing the credentials are bad.
//!
//! Connectors reach networks only through the guarded HTTP client they are given
//! (`chorus_outbound`, built from the installation's outbound settings): an account whose server
//! the policy refuses fails with [`ErrorKind::Refused`], which no job retries.

use std::collections::HashMap;
use std::sync::{Arc, Mutex as StdMutex};

use chorus_networks::bluesky::credentials::SealedAccount;
use chorus_networks::bluesky::{Agent, Bluesky, SecretKey, StoredAccount, Xrpc};
use chorus_networks::{BoxFuture, DynNetwork, DynNetworkError, ErrorKind};
use chorus_outbound::Client;
use chorus_store::{Account, Store, StoreError};
use tokio::sync::Mutex;

/// Opens accounts of one network.
pub trait Connector: Send + Sync + 'static {
    /// The `network` of the accounts it opens (`bluesky`).
    fn network(&self) -> &'static str;

    /// Logs in to `account` with its stored credentials, `sealed` with the installation's `key`.
    /// Credentials that cannot be opened or are refused are [`ErrorKind::Auth`].
    fn connect<'a>(
        &'a self,
        account: &'a Account,
        sealed: &'a str,
        key: &'a SecretKey,
    ) -> BoxFuture<'a, Result<Arc<dyn DynNetwork>, DynNetworkError>>;
}

/// Bluesky accounts: an app password sealed with the DID (see `accounts::connect_bluesky`),
/// reached through `http` (see `chorus_networks::bluesky::http_client`).
#[derive(Debug, Clone)]
pub struct BlueskyConnector {
    http: Client,
    appview: Option<String>,
}

impl BlueskyConnector {
    pub fn new(http: Client) -> Self {
        BlueskyConnector {
            http,
            appview: None,
        }
    }

    /// Reads counts from the AppView at `url` (e.g. `https://public.api.bsky.app`) instead of
    /// through each account's PDS. A 429 from it is handed to the job at once (no waiting
    /// inside the call): the job queue's backoff honours the wait.
    pub fn with_appview(mut self, url: Option<String>) -> Self {
        self.appview = url;
        self
    }
}

impl Connector for BlueskyConnector {
    fn network(&self) -> &'static str {
        "bluesky"
    }

    fn connect<'a>(
        &'a self,
        account: &'a Account,
        sealed: &'a str,
        key: &'a SecretKey,
    ) -> BoxFuture<'a, Result<Arc<dyn DynNetwork>, DynNetworkError>> {
        Box::pin(async move {
            let stored = open_sealed(account, sealed, key)?;
            let xrpc = Xrpc::new(self.http.clone(), &stored.pds).map_err(DynNetworkError::new)?;
            let agent = Agent::login(xrpc, &stored.did, &stored.app_password)
                .await
                .map_err(DynNetworkError::new)?;
            let mut bluesky = Bluesky::new(agent);
            if let Some(url) = &self.appview {
                let mut appview =
                    Xrpc::new(self.http.clone(), url).map_err(DynNetworkError::new)?;
                appview.rate_limit.max_retries = 0;
                bluesky = bluesky.with_appview(appview);
            }
            Ok(Arc::new(bluesky) as Arc<dyn DynNetwork>)
        })
    }
}

/// Opens sealed Bluesky credentials; failing to is `Auth`: only connecting the account (again)
/// helps, and the message says so in the words of the accounts page.
fn open_sealed(
    account: &Account,
    sealed: &str,
    key: &SecretKey,
) -> Result<StoredAccount, DynNetworkError> {
    let unusable = || DynNetworkError::other(ErrorKind::Auth, not_connected(account));
    let sealed: SealedAccount = serde_json::from_str(sealed).map_err(|_| unusable())?;
    StoredAccount::open(&sealed, key).map_err(|_| unusable())
}

/// Why Chorus cannot publish from `account`, for a marketer: which account, that it is not
/// connected, and where it gets connected.
fn not_connected(account: &Account) -> String {
    if account.demo {
        format!(
            "@{} is a demo account and is not connected to {}: an admin or a lead of its market \
             connects it under Stories → Accounts",
            account.handle, account.network
        )
    } else {
        format!(
            "@{} is not connected: this server cannot read the sign-in saved for it (it was \
             saved with another secret key); an admin or a lead of its market connects it again \
             under Stories → Accounts",
            account.handle
        )
    }
}

/// Whether `sealed` credentials of a `network` account open with `key`: a check made here,
/// without asking the network (whether it still accepts them shows when publishing).
pub fn credentials_open(network: &str, sealed: &str, key: &SecretKey) -> bool {
    match network {
        "bluesky" => serde_json::from_str::<SealedAccount>(sealed)
            .ok()
            .is_some_and(|s| StoredAccount::open(&s, key).is_ok()),
        _ => false,
    }
}

/// What is known of one account.
enum Slot {
    Closed,
    Open(Arc<dyn DynNetwork>),
    /// Its credentials, as sealed when they were refused, and why.
    Refused {
        sealed: String,
        error: String,
    },
}

/// A connection handed out by [`Connectors::open`].
#[derive(Clone)]
struct Opened {
    network: Arc<dyn DynNetwork>,
    /// Logged in for this call (not kept from an earlier one).
    fresh: bool,
}

/// The connectors by network name, and one open connection per account.
pub struct Connectors {
    store: Store,
    key: SecretKey,
    by_network: HashMap<&'static str, Arc<dyn Connector>>,
    accounts: StdMutex<HashMap<i64, Arc<Mutex<Slot>>>>,
}

impl Connectors {
    /// No network yet: add them with [`Connectors::with`].
    pub fn new(store: Store, key: SecretKey) -> Self {
        Connectors {
            store,
            key,
            by_network: HashMap::new(),
            accounts: StdMutex::new(HashMap::new()),
        }
    }

    /// Every network Chorus publishes to, reached through `http`.
    pub fn standard(store: Store, key: SecretKey, http: Client) -> Self {
        Self::standard_with(store, key, http, &crate::Settings::default())
    }

    /// Every network Chorus publishes to, reached through `http`, as `settings` say (where
    /// Bluesky's AppView is).
    pub fn standard_with(
        store: Store,
        key: SecretKey,
        http: Client,
        settings: &crate::Settings,
    ) -> Self {
        Self::new(store, key)
            .with(BlueskyConnector::new(http).with_appview(settings.bluesky_appview.clone()))
    }

    /// Adds (or replaces) the connector of `connector.network()`.
    pub fn with(mut self, connector: impl Connector) -> Self {
        self.by_network
            .insert(connector.network(), Arc::new(connector));
        self
    }

    fn slot(&self, account: i64) -> Arc<Mutex<Slot>> {
        let mut accounts = self
            .accounts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        accounts
            .entry(account)
            .or_insert_with(|| Arc::new(Mutex::new(Slot::Closed)))
            .clone()
    }

    /// The account's open connection, or a new one. Failures carry their kind: the account or
    /// its credentials gone from the store is `NotFound`, an unreachable database `Transient`, a
    /// network nobody registered `Invalid`, credentials refused now or earlier `Auth`.
    async fn open(&self, account: i64) -> Result<Opened, DynNetworkError> {
        let slot = self.slot(account);
        let mut slot = slot.lock().await;
        if let Slot::Open(network) = &*slot {
            return Ok(Opened {
                network: network.clone(),
                fresh: false,
            });
        }
        let row = self.store.account(account).await.map_err(store_error)?;
        let sealed = self
            .store
            .account_credentials(account)
            .await
            .map_err(store_error)?;
        if let Slot::Refused { sealed: s, error } = &*slot
            && *s == sealed
        {
            return Err(DynNetworkError::other(
                ErrorKind::Auth,
                format!(
                    "{error} (refused earlier; not tried again until the account is reconnected)"
                ),
            ));
        }
        let connector = self.by_network.get(row.network.as_str()).ok_or_else(|| {
            DynNetworkError::other(
                ErrorKind::Invalid,
                format!("Chorus has no connector for {} accounts", row.network),
            )
        })?;
        match connector.connect(&row, &sealed, &self.key).await {
            Ok(network) => {
                *slot = Slot::Open(network.clone());
                Ok(Opened {
                    network,
                    fresh: true,
                })
            }
            Err(e) => {
                if e.kind() == ErrorKind::Auth {
                    tracing::warn!(account, error = %e, "the account's credentials were refused");
                    *slot = Slot::Refused {
                        sealed,
                        error: e.to_string(),
                    };
                }
                Err(e)
            }
        }
    }

    /// Reports that a call on `opened` failed with `error`. An `Auth` failure closes the
    /// connection; returns true when the call deserves one more try on a fresh login (the
    /// connection was an earlier one, whose session may have ended while the credentials
    /// still work).
    async fn failed(&self, account: i64, opened: &Opened, error: &DynNetworkError) -> bool {
        if error.kind() != ErrorKind::Auth {
            return false;
        }
        let slot = self.slot(account);
        let mut slot = slot.lock().await;
        if let Slot::Open(n) = &*slot
            && Arc::ptr_eq(n, &opened.network)
        {
            *slot = Slot::Closed;
        }
        !opened.fresh
    }

    /// Runs `call` on the account's connection; an `Auth` failure of a connection kept from
    /// earlier is tried once more on a fresh login (refused requests change nothing, so
    /// repeating one is safe).
    pub async fn call<'r, T>(
        &self,
        account: i64,
        call: impl Fn(Arc<dyn DynNetwork>) -> BoxFuture<'r, Result<T, DynNetworkError>>,
    ) -> Result<T, DynNetworkError> {
        let mut tries = 0;
        loop {
            tries += 1;
            let opened = self.open(account).await?;
            match call(opened.network.clone()).await {
                Err(e) if self.failed(account, &opened, &e).await && tries < 2 => {
                    tracing::info!(account, error = %e, "session refused; logging in again");
                }
                other => return other,
            }
        }
    }
}

fn store_error(e: StoreError) -> DynNetworkError {
    let kind = match e {
        StoreError::NotFound { .. } => ErrorKind::NotFound,
        _ => ErrorKind::TRANSIENT,
    };
    DynNetworkError::other(kind, e.to_string())
}

#[cfg(test)]
mod tests;

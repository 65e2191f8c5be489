//! The use cases of Chorus: one function per action, shared by the pages, the JSON API and the
//! command line, so that they can never disagree about who may do what.
//!
//! Every use case has the same shape: **load** what it acts on → **authorize** with the rule
//! table of `chorus-core` (`permission::allows` and the resource rules beside it) → **validate**
//! the input into core types (errors name the field) → **one store transaction**, whose audit
//! entry is written inside it → jobs and notifications. Callers only translate: `chorus-web`
//! parses HTTP into the raw inputs defined here and renders what comes back; the `chorus`
//! binary does the same with flags.
//!
//! Contract: no HTTP and no SQL here. Nothing outside this crate calls the store for something a
//! person does; infrastructure (migrations, backups, ingest, the demo loader) may.
//!
//! Modules follow the product's areas: [`auth`] (sessions, tokens, passwords), [`org`]
//! (markets, teams), [`users`], [`audit`], [`playbook`], [`stories`], [`conversations`], and
//! [`links`] (following a published link's click redirect, the one use case of the public
//! caller), and [`numbers`] (reports of what was published, as figures, CSV and the overview
//! page); Reach will sit beside them.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod conversations;
mod error;
pub mod links;
pub mod mail;
pub mod notifications;
pub mod numbers;
pub mod org;
pub mod playbook;
pub mod reach;
pub mod sso;
pub mod stories;
pub mod users;
pub mod webhooks;

use std::time::Duration;

use chorus_core::audit::Author;
use chorus_core::user::{Membership, User};
use chorus_core::{Actor, Role, Scope, UserId};

pub use chorus_core::links::PublicBase;
pub use chorus_networks::bluesky::{Secret, SecretKey};
/// The guarded HTTP client every request to another server goes through ([`App::with_outbound`]).
pub use chorus_outbound::Client as OutboundClient;
/// The database the use cases act on; opened by the binary and handed to [`App::new`].
pub use chorus_store::Store;
pub use error::{Error, Result};

/// Settings the use cases need, validated by the caller.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// How long a login lasts.
    pub session_ttl: Duration,
    /// Reach's settings (`[reach]`).
    pub reach: reach::ReachSettings,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            session_ttl: Duration::from_secs(12 * 3600),
            reach: reach::ReachSettings::default(),
        }
    }
}

/// The use cases' handle on the world: the store, the installation's secret key and the
/// settings. Cheap to clone.
#[derive(Clone)]
pub struct App {
    pub(crate) store: Store,
    pub(crate) config: std::sync::Arc<AppConfig>,
    /// Seals network credentials; without it, accounts cannot be connected and replies cannot
    /// be sent (the pages say so).
    pub(crate) secret_key: Option<SecretKey>,
    /// The guarded client for other servers (see [`App::with_outbound`]).
    pub(crate) outbound: Option<chorus_outbound::Client>,
    /// Where published links' click redirects live (see [`App::with_public_url`]).
    pub(crate) public_url: Option<chorus_core::links::PublicBase>,
    /// Single sign-on's providers and what was learnt from them (see [`App::with_sso`]).
    pub(crate) sso: std::sync::Arc<sso::Sso>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("store", &self.store)
            .field("config", &self.config)
            .field(
                "secret_key",
                &self.secret_key.as_ref().map(|_| "[redacted]"),
            )
            .field("outbound", &self.outbound)
            .field("public_url", &self.public_url)
            .field("sso", &self.sso)
            .finish()
    }
}

impl App {
    pub fn new(store: Store, config: AppConfig) -> App {
        App {
            store,
            config: std::sync::Arc::new(config),
            secret_key: None,
            outbound: None,
            public_url: None,
            sso: Default::default(),
        }
    }

    /// Single sign-on (`[sso]`): the providers people may sign in with, and who may still use
    /// a password.
    pub fn with_sso(mut self, settings: sso::SsoSettings) -> App {
        self.sso = sso::shared(settings);
        self
    }

    /// Tells the composer's checks that published links go out as click redirects under
    /// `base` (the installation's public address), so a text's length is counted with each link
    /// as its redirect, as the publisher will send it. Without it, links count as typed.
    pub fn with_public_url(mut self, base: chorus_core::links::PublicBase) -> App {
        self.public_url = Some(base);
        self
    }

    /// The installation's public address, when it is known (see [`App::with_public_url`]):
    /// what links that leave Chorus (click redirects, calendar entries) start with.
    pub fn public_url(&self) -> Option<&chorus_core::links::PublicBase> {
        self.public_url.as_ref()
    }

    /// Lets use cases that talk to other servers (connecting accounts, replies) do so through
    /// `client`: the installation's guarded XRPC client
    /// (`chorus_networks::bluesky::http_client` over its outbound settings). Tests pass one
    /// pinned to the servers they start. Without it, a client that reaches public addresses
    /// only is used.
    pub fn with_outbound(mut self, client: chorus_outbound::Client) -> App {
        self.outbound = Some(client);
        self
    }

    /// The guarded client network use cases go through (see [`App::with_outbound`]).
    pub fn outbound(&self) -> Result<chorus_outbound::Client> {
        match &self.outbound {
            Some(client) => Ok(client.clone()),
            None => chorus_networks::bluesky::http_client(&chorus_outbound::Builder::new(
                chorus_outbound::Policy::public_only(),
            ))
            .map_err(|e| Error::Internal(e.to_string())),
        }
    }

    /// Lets use cases that talk to networks (connecting accounts, replies) unseal credentials.
    pub fn with_secret_key(mut self, key: SecretKey) -> App {
        self.secret_key = Some(key);
        self
    }

    /// Reach's settings (`[reach]`): link lifetimes, limits, where asset files live.
    pub fn with_reach(mut self, reach: reach::ReachSettings) -> App {
        std::sync::Arc::make_mut(&mut self.config).reach = reach;
        self
    }

    pub fn config(&self) -> &AppConfig {
        &self.config
    }

    /// Whether network credentials can be sealed and unsealed here (see [`App::with_secret_key`]).
    pub fn has_secret_key(&self) -> bool {
        self.secret_key.is_some()
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<()> {
        Ok(self.store.ping().await?)
    }

    pub(crate) fn secret_key(&self) -> Result<&SecretKey> {
        self.secret_key
            .as_ref()
            .ok_or_else(|| Error::Unavailable("network accounts are not configured on this server: it has no secret key to seal their credentials".into()))
    }
}

/// On whose behalf a use case runs: a signed-in person, or the operator at the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Every membership the caller holds; what the rule table is asked about.
    pub actor: Actor,
    /// The person, or `None` for the operator.
    pub user: Option<User>,
}

impl Caller {
    /// A signed-in person with their memberships (see [`auth`] for how requests get one).
    pub fn person(user: User, actor: Actor) -> Caller {
        Caller {
            actor,
            user: Some(user),
        }
    }

    /// The operator of the installation at the command line: whoever can run `chorus` against
    /// the database may do what an admin may. Audited as `system:cli`.
    pub fn operator() -> Caller {
        Caller {
            actor: Actor {
                user_id: UserId(0),
                memberships: vec![Membership {
                    role: Role::Admin,
                    scope: Scope::Global,
                }],
            },
            user: None,
        }
    }

    pub fn user_id(&self) -> UserId {
        self.actor.user_id
    }

    /// The caller as the audit log names them.
    pub fn author(&self) -> Author {
        match &self.user {
            Some(u) => Author::user(u.id, u.email.as_str()),
            None => Author::system("cli"),
        }
    }
}

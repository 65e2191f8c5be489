//! Outbound webhooks: admins subscribe other systems (a CRM, a chat, a data warehouse) to what
//! happens in Chorus, see each endpoint's delivery log and send it a test event.
//!
//! The contract:
//!
//! - Admins only (`Action::ManageWebhooks`): a webhook carries events of every market it
//!   subscribes to out of Chorus. For anyone else the list and creating are `Forbidden`, and a
//!   webhook by id is `NotFound` (they may not know it exists).
//! - Input arrives as strings ([`WebhookFields`]) and is validated naming the field: `name`,
//!   `url` (https or http, no credentials; and an address the outbound guard would refuse — a
//!   private network unless `[outbound] allow_private_addresses` is set — is refused here
//!   already, by the same policy the deliveries go through), `market` (a code, or blank for
//!   every market) and `events`.
//! - The signing secret is derived from the installation key and the endpoint's salt; it is
//!   shown to admins on the endpoint's page and after creating or rotating, never stored.
//! - Events themselves are recorded by the store in the transaction of the change that causes
//!   them; delivery is `chorus_jobs::webhooks`.

use std::net::IpAddr;

use chorus_core::org::MarketCode;
use chorus_core::permission::{allows, authorize};
use chorus_core::webhooks::{
    EventType, SigningSecret, TargetUrl, new_salt, parse_event_types, parse_name,
};
use chorus_core::{Action, MarketId, Scope};
use chorus_store::{EndpointInput, WebhookAttempt, WebhookDelivery, WebhookEndpoint};

use crate::{App, Caller, Error, Result};

pub use chorus_store::DeliveryState;

/// What an admin typed, as strings.
#[derive(Debug, Clone, Default)]
pub struct WebhookFields {
    pub name: String,
    pub url: String,
    /// A market's code, or blank for every market.
    pub market: String,
    /// Event type names (`story.approved`, …).
    pub events: Vec<String>,
    pub enabled: bool,
}

/// An endpoint with its market's code (`None`: every market).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub endpoint: WebhookEndpoint,
    pub market_code: Option<String>,
}

/// One endpoint's page: the endpoint, its secret, its latest deliveries and attempts.
#[derive(Debug, Clone)]
pub struct WebhookDetail {
    pub webhook: Webhook,
    /// The signing secret (`whsec_…`), for the receiver's configuration.
    pub secret: String,
    pub deliveries: Vec<WebhookDelivery>,
    pub attempts: Vec<WebhookAttempt>,
}

/// How many deliveries and attempts an endpoint's page shows.
pub const LOG_LIMIT: i64 = 50;

/// Whether `caller` may manage webhooks (for showing the tab).
pub fn may_manage(caller: &Caller) -> bool {
    allows(&caller.actor, Action::ManageWebhooks, Scope::Global)
}

/// Every event type a webhook may subscribe to, as (name, what it means).
pub fn event_types() -> Vec<(&'static str, &'static str)> {
    EventType::SUBSCRIBABLE
        .into_iter()
        .map(|t| (t.as_str(), t.label()))
        .collect()
}

/// Every webhook, oldest first.
pub async fn list(app: &App, caller: &Caller) -> Result<Vec<Webhook>> {
    authorize(&caller.actor, Action::ManageWebhooks, Scope::Global)?;
    let markets = app.store.markets().await?;
    let code = |id: Option<MarketId>| {
        id.and_then(|id| markets.iter().find(|m| m.id == id))
            .map(|m| m.code.to_string())
    };
    Ok(app
        .store
        .webhooks()
        .await?
        .into_iter()
        .map(|endpoint| Webhook {
            market_code: code(endpoint.market_id),
            endpoint,
        })
        .collect())
}

/// Webhook `id` with its secret and log (`NotFound` for anyone but admins).
pub async fn get(app: &App, caller: &Caller, id: i64) -> Result<WebhookDetail> {
    let webhook = load(app, caller, id).await?;
    let secret = secret_of(app, &webhook.endpoint)?;
    Ok(WebhookDetail {
        deliveries: app.store.webhook_deliveries(id, LOG_LIMIT).await?,
        attempts: app.store.webhook_attempts(id, LOG_LIMIT).await?,
        webhook,
        secret,
    })
}

/// Subscribes a new endpoint; answers it with its secret.
pub async fn create(
    app: &App,
    caller: &Caller,
    fields: &WebhookFields,
) -> Result<(Webhook, String)> {
    authorize(&caller.actor, Action::ManageWebhooks, Scope::Global)?;
    app.secret_key()?;
    let valid = validate(app, fields).await?;
    let events: Vec<&str> = valid.events.iter().map(|e| e.as_str()).collect();
    let endpoint = app
        .store
        .create_webhook(
            &caller.author(),
            &valid.input(&events, fields.enabled),
            &new_salt(),
        )
        .await?;
    let secret = secret_of(app, &endpoint)?;
    Ok((with_code(app, endpoint).await?, secret))
}

/// Changes an endpoint (turning it on again clears its failures).
pub async fn update(
    app: &App,
    caller: &Caller,
    id: i64,
    fields: &WebhookFields,
) -> Result<Webhook> {
    load(app, caller, id).await?;
    let valid = validate(app, fields).await?;
    let events: Vec<&str> = valid.events.iter().map(|e| e.as_str()).collect();
    let endpoint = app
        .store
        .update_webhook(&caller.author(), id, &valid.input(&events, fields.enabled))
        .await?;
    with_code(app, endpoint).await
}

/// Gives an endpoint a new signing secret; answers it. The old one stops working at once.
pub async fn rotate_secret(app: &App, caller: &Caller, id: i64) -> Result<String> {
    load(app, caller, id).await?;
    app.secret_key()?;
    let endpoint = app
        .store
        .rotate_webhook_secret(&caller.author(), id, &new_salt())
        .await?;
    secret_of(app, &endpoint)
}

/// The longest message a test event may carry.
pub const MAX_TEST_MESSAGE: usize = 500;

/// Queues a `webhook.test` event to this endpoint alone (whatever it subscribes to, on or
/// off), carrying `message` (blank: a standard sentence); answers the event's id. It goes out
/// like any other, through the job queue.
pub async fn send_test(app: &App, caller: &Caller, id: i64, message: &str) -> Result<String> {
    let webhook = load(app, caller, id).await?;
    app.secret_key()?;
    let message = match message.trim() {
        "" => "A test event from Chorus: if you can read this, the webhook works.",
        m if m.chars().count() > MAX_TEST_MESSAGE || m.chars().any(char::is_control) => {
            return Err(Error::invalid(
                "message",
                format!("use at most {MAX_TEST_MESSAGE} characters, without control characters"),
            ));
        }
        m => m,
    };
    let data = serde_json::json!({
        "message": message,
        "webhook_id": id,
        "webhook_name": webhook.endpoint.name,
    });
    let (event_id, _) = app.store.send_test_webhook(id, data).await?;
    Ok(event_id)
}

async fn load(app: &App, caller: &Caller, id: i64) -> Result<Webhook> {
    if !may_manage(caller) {
        return Err(Error::NotFound("webhook"));
    }
    let endpoint = app.store.webhook(id).await?;
    with_code(app, endpoint).await
}

async fn with_code(app: &App, endpoint: WebhookEndpoint) -> Result<Webhook> {
    let market_code = match endpoint.market_id {
        Some(id) => Some(app.store.market(id).await?.code.to_string()),
        None => None,
    };
    Ok(Webhook {
        endpoint,
        market_code,
    })
}

fn secret_of(app: &App, endpoint: &WebhookEndpoint) -> Result<String> {
    let key = app.secret_key()?;
    Ok(SigningSecret::derive(key.as_bytes(), &endpoint.secret_salt)
        .reveal()
        .to_owned())
}

/// Fields validated into what the store takes.
struct Valid {
    name: String,
    url: TargetUrl,
    market: Option<MarketId>,
    events: Vec<EventType>,
}

impl Valid {
    fn input<'a>(&'a self, events: &'a [&'a str], enabled: bool) -> EndpointInput<'a> {
        EndpointInput {
            name: &self.name,
            url: self.url.as_str(),
            market_id: self.market,
            events,
            enabled,
        }
    }
}

async fn validate(app: &App, fields: &WebhookFields) -> Result<Valid> {
    let name = parse_name(&fields.name)?;
    let url = TargetUrl::parse(&fields.url)?;
    let events = parse_event_types(&fields.events)?;
    let market = match fields.market.trim() {
        "" | "all" => None,
        code => {
            let code = MarketCode::parse(code).map_err(|e| e.at("market"))?;
            match app.store.market_by_code(&code).await {
                Ok(m) => Some(m.id),
                Err(chorus_store::StoreError::NotFound { .. }) => {
                    return Err(Error::invalid("market", "no market has this code"));
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    check_address(app, &url).await?;
    Ok(Valid {
        name,
        url,
        market,
        events,
    })
}

/// Refuses a target whose host is, or resolves only to, an address the installation's outbound
/// policy refuses — the same policy every delivery goes through, so a private target is refused
/// when it is typed rather than at each delivery. A name that does not resolve now is accepted
/// (its deliveries fail and are logged until it does).
async fn check_address(app: &App, url: &TargetUrl) -> Result<()> {
    let policy = app.outbound()?.policy();
    let host = url.host();
    let addrs: Vec<IpAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => match tokio::net::lookup_host((host, 443)).await {
            Ok(found) => found.map(|a| a.ip()).collect(),
            Err(_) => return Ok(()),
        },
    };
    let refused: Vec<_> = addrs
        .iter()
        .filter_map(|ip| policy.check(*ip).err())
        .collect();
    if !addrs.is_empty() && refused.len() == addrs.len() {
        return Err(Error::invalid(
            "url",
            format!(
                "{host} is {}: Chorus sends webhooks to public addresses only \
                 (an operator can allow local networks with [outbound] allow_private_addresses)",
                refused[0].describe()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;

/// Deletes the delivery log older than `chorus_core::webhooks::LOG_RETENTION_DAYS` (finished
/// deliveries, their attempts, events left without one). Run by `chorus serve` every hour.
pub async fn prune_log(app: &App, now: jiff::Timestamp) -> Result<chorus_store::PrunedLog> {
    let keep = chorus_core::webhooks::LOG_RETENTION_DAYS * 24 * 3600 * 1000;
    Ok(app
        .store
        .prune_webhook_log(now.as_millisecond() - keep)
        .await?)
}

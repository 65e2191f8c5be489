//! `chorus webhooks list|create|show|test|enable|disable|rotate-secret`: the outbound webhooks
//! from the command line, as the operator, through the same use cases as Admin → Webhooks
//! (`chorus_app::webhooks`). A target is checked against `[outbound]` as deliveries will be.
//! Events go out from `chorus serve` (its publisher role runs the `deliver_webhook` jobs).

use std::io::Write;

use chorus_app::webhooks::{self, Webhook, WebhookFields};
use chorus_app::{App, AppConfig, Caller};
use clap::Subcommand;

use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum WebhooksCommand {
    /// Every webhook: id, on or off, market, events, address.
    List,
    /// Subscribe an address to events; prints the webhook's id and signing secret.
    ///
    /// Examples:
    ///   chorus webhooks create --name CRM --url https://crm.example.com/hooks/chorus \
    ///       --event reach.lead_confirmed --event reach.webinar_registration --market FI
    ///   chorus webhooks create --name Chat --url https://chat.example.com/in \
    ///       --event story.published --event story.failed
    ///
    /// Events: story.submitted story.approved story.published story.failed
    /// conversation.assigned conversation.replied signals.spike reach.lead_confirmed
    /// reach.webinar_registration
    #[command(verbatim_doc_comment)]
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        url: String,
        /// An event type (repeat for several).
        #[arg(long = "event", required = true)]
        events: Vec<String>,
        /// A market's code; default every market.
        #[arg(long)]
        market: Option<String>,
        /// Create it turned off.
        #[arg(long)]
        off: bool,
    },
    /// One webhook: its settings, signing secret and latest attempts.
    Show { id: i64 },
    /// Queue a `webhook.test` event to one webhook (sent by `chorus serve`).
    Test {
        id: i64,
        /// What the event's `data.message` says (default: a standard sentence).
        #[arg(long, default_value = "")]
        message: String,
    },
    /// Turn a webhook on (clears its count of failures).
    Enable { id: i64 },
    /// Turn a webhook off.
    Disable { id: i64 },
    /// Give a webhook a new signing secret; prints it. The old one stops signing at once.
    RotateSecret { id: i64 },
}

pub async fn run(config: &Config, cmd: WebhooksCommand) -> anyhow::Result<()> {
    let store = crate::cmd::serve::open_store(config).await?;
    let outbound = chorus_networks::bluesky::http_client(&config.outbound.builder())
        .map_err(|e| anyhow::anyhow!("building the outbound client: {e}"))?;
    let key = chorus_networks::bluesky::SecretKey::from_bytes(config.secret_key()?);
    let app = App::new(store.clone(), AppConfig::default())
        .with_secret_key(key)
        .with_outbound(outbound);
    let result = act(&app, cmd).await;
    store.close().await;
    result
}

async fn act(app: &App, cmd: WebhooksCommand) -> anyhow::Result<()> {
    let op = Caller::operator();
    let mut out = std::io::stdout().lock();
    match cmd {
        WebhooksCommand::List => {
            let hooks = webhooks::list(app, &op).await?;
            if hooks.is_empty() {
                writeln!(out, "no webhooks")?;
            }
            for w in hooks {
                writeln!(out, "{}", line(&w))?;
            }
        }
        WebhooksCommand::Create {
            name,
            url,
            events,
            market,
            off,
        } => {
            let fields = WebhookFields {
                name,
                url,
                market: market.unwrap_or_default(),
                events,
                enabled: !off,
            };
            let (w, secret) = webhooks::create(app, &op, &fields).await?;
            writeln!(out, "created {}", line(&w))?;
            writeln!(out, "signing secret: {secret}")?;
        }
        WebhooksCommand::Show { id } => {
            let d = webhooks::get(app, &op, id).await?;
            writeln!(out, "{}", line(&d.webhook))?;
            if let Some(why) = &d.webhook.endpoint.disabled_reason {
                writeln!(out, "off: {why}")?;
            }
            writeln!(out, "signing secret: {}", d.secret)?;
            writeln!(out, "latest attempts (newest first):")?;
            for a in &d.attempts {
                let at = jiff::Timestamp::from_millisecond(a.at_ms)
                    .map(|t| t.to_string())
                    .unwrap_or_default();
                let status = a.status.map_or_else(|| "-".to_owned(), |s| s.to_string());
                writeln!(
                    out,
                    "  {at}  {} {}  try {}  {status}  {} ms  {}",
                    a.event_type,
                    a.event_id,
                    a.attempt,
                    a.duration_ms,
                    a.error.as_deref().unwrap_or("")
                )?;
            }
        }
        WebhooksCommand::Test { id, message } => {
            let event = webhooks::send_test(app, &op, id, &message).await?;
            writeln!(
                out,
                "queued test event {event}; `chorus serve` sends it (see `chorus webhooks show {id}`)"
            )?;
        }
        WebhooksCommand::Enable { id } | WebhooksCommand::Disable { id } => {
            let on = matches!(cmd, WebhooksCommand::Enable { .. });
            let d = webhooks::get(app, &op, id).await?;
            let e = &d.webhook.endpoint;
            let fields = WebhookFields {
                name: e.name.clone(),
                url: e.url.clone(),
                market: d.webhook.market_code.clone().unwrap_or_default(),
                events: e.events.clone(),
                enabled: on,
            };
            let w = webhooks::update(app, &op, id, &fields).await?;
            writeln!(out, "{}", line(&w))?;
        }
        WebhooksCommand::RotateSecret { id } => {
            let secret = webhooks::rotate_secret(app, &op, id).await?;
            writeln!(out, "new signing secret: {secret}")?;
        }
    }
    Ok(())
}

/// `7  on   FI   story.published,story.failed  https://…  "Name"`
fn line(w: &Webhook) -> String {
    let e = &w.endpoint;
    format!(
        "{}  {}  {}  {}  {}  {:?}",
        e.id,
        if e.enabled { "on " } else { "off" },
        w.market_code.as_deref().unwrap_or("all"),
        e.events.join(","),
        e.url,
        e.name
    )
}

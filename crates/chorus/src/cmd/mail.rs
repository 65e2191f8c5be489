//! `chorus mail …`: the mail outbox from the command line. `test` queues the installation's
//! test message and sends it at once through the `[mail]` server (the same `send_mail` job that
//! `chorus serve` runs), to check the configuration; `outbox` lists the latest messages.

use std::io::Write;
use std::time::Duration;

use anyhow::Context;
use chorus_app::mail::{MailState, OutboxMail};
use chorus_app::{App, AppConfig, Caller};
use chorus_jobs::mail::{Mailer, SendMail};
use chorus_store::Store;

use crate::config::Config;

#[derive(Debug, clap::Subcommand)]
pub enum MailCommand {
    /// Send a test message to check the [mail] settings.
    ///
    /// Queues one short message (a plain-text and an HTML part) in the mail outbox and sends it
    /// right away through the SMTP server in the configuration's [mail] section, then says what
    /// the server answered. Nothing else needs to run. A server that refuses the message (5xx)
    /// fails it; a server that asks to try later (4xx) or cannot be reached leaves it queued,
    /// and `chorus serve` keeps retrying it.
    ///
    /// The settings (file or CHORUS__MAIL__… environment variables):
    ///   [mail]
    ///   host = "smtp.example.com"
    ///   port = 587                       # default by security: 587, 465 or 25
    ///   security = "starttls"            # starttls | tls | none (none: localhost only)
    ///   username = "chorus"
    ///   password = "…"                   # or CHORUS__MAIL__PASSWORD
    ///   from = "Chorus <chorus@example.com>"
    ///   reply_to = "marketing@example.com"   # optional
    ///
    /// Examples:
    ///   chorus mail test --to you@example.com
    ///   chorus mail test --to you@example.com --locale fi
    #[command(verbatim_doc_comment)]
    Test {
        /// Who receives the test message.
        #[arg(long, value_name = "ADDRESS")]
        to: String,
        /// The message's language (English, or Finnish with `fi`; others fall back to English).
        #[arg(long, default_value = "en")]
        locale: String,
        /// How long to wait for the server, in seconds.
        #[arg(long, default_value_t = 60, value_name = "SECONDS")]
        wait: u64,
    },
    /// List the latest messages of the outbox with their state (queued, sent, failed,
    /// bounced), attempts and last error.
    Outbox {
        /// How many to list.
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
}

pub async fn run(config: &Config, cmd: MailCommand) -> anyhow::Result<()> {
    let store = crate::cmd::serve::open_store(config).await?;
    let app = App::new(store.clone(), AppConfig::default());
    match cmd {
        MailCommand::Test { to, locale, wait } => {
            test(
                config,
                &app,
                &store,
                &to,
                &locale,
                Duration::from_secs(wait),
            )
            .await
        }
        MailCommand::Outbox { limit } => {
            let recent = chorus_app::mail::recent(&app, &Caller::operator(), limit).await?;
            let mut out = std::io::stdout().lock();
            for m in &recent {
                writeln!(out, "{}", line(m))?;
            }
            if recent.is_empty() {
                writeln!(out, "the outbox is empty")?;
            }
            Ok(())
        }
    }
}

fn line(m: &OutboxMail) -> String {
    let mut s = format!(
        "{:>6}  {:<7}  {}  attempts {}  {:?}",
        m.id,
        m.state.as_str(),
        m.to,
        m.attempts,
        m.subject
    );
    if let Some(e) = &m.last_error {
        s.push_str(&format!("  last error: {e}"));
    }
    s
}

/// The mailer for `send_mail` from `[mail]`, or `None` (mail off) with a log line saying how
/// many messages wait and how to turn mail on.
pub async fn mailer(config: &Config, store: &Store) -> anyhow::Result<Option<Mailer>> {
    let Some(mail) = &config.mail else {
        let waiting = store.queued_mail_count().await.unwrap_or(0);
        tracing::warn!(
            waiting,
            "mail is off: no [mail] section in the configuration; messages are kept in the \
             outbox and sent once [mail] (host, from, …) is set and Chorus restarted"
        );
        return Ok(None);
    };
    let mailer = mail.mailer().context("the [mail] settings")?;
    tracing::info!(host = %mail.host, port = mail.port, security = ?mail.security, "mail goes out through SMTP");
    Ok(Some(mailer))
}

async fn test(
    config: &Config,
    app: &App,
    store: &Store,
    to: &str,
    locale: &str,
    wait: Duration,
) -> anyhow::Result<()> {
    let Some(mailer) = mailer(config, store).await? else {
        anyhow::bail!(
            "mail is off: add a [mail] section (host, security, username, password, from) to \
             the configuration, or CHORUS__MAIL__HOST and friends to the environment; see \
             `chorus mail test --help`"
        );
    };
    let settings = mailer.settings().clone();
    let queued = chorus_app::mail::send_test(app, &Caller::operator(), to, locale).await?;
    // The worker runs send_mail only, until the test message is no longer waiting for a first
    // answer (other queued messages due meanwhile go out too, as `chorus serve` would send them).
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let worker = chorus_jobs::Worker::new(
        store.clone(),
        chorus_jobs::JobKinds::new().with(SendMail::new(store.clone(), mailer)),
        chorus_jobs::WorkerConfig {
            poll: Duration::from_millis(100),
            ..Default::default()
        },
    );
    let running = tokio::spawn(worker.run(stop));
    let deadline = tokio::time::Instant::now() + wait;
    let message = loop {
        let m = chorus_app::mail::message(app, &Caller::operator(), queued.id).await?;
        if m.state != MailState::Queued || m.attempts > 0 {
            break m;
        }
        if tokio::time::Instant::now() >= deadline {
            break m;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let _ = stop_tx.send(true);
    let _ = running.await;
    let server = format!("{}:{}", settings.host, settings.port);
    match message.state {
        MailState::Sent => {
            writeln!(
                std::io::stdout().lock(),
                "sent the test message (outbox {}) to {} through {server}",
                message.id,
                message.to
            )?;
            Ok(())
        }
        MailState::Queued if message.attempts == 0 => anyhow::bail!(
            "no answer from {server} within {} s; the message (outbox {}) stays queued",
            wait.as_secs(),
            message.id
        ),
        MailState::Queued => anyhow::bail!(
            "{server} did not take the message yet ({}); it stays queued (outbox {}) and \
             `chorus serve` retries it",
            message.last_error.as_deref().unwrap_or("no reason given"),
            message.id
        ),
        MailState::Failed | MailState::Bounced => anyhow::bail!(
            "{server} refused the message ({}); check [mail] and the address",
            message.last_error.as_deref().unwrap_or("no reason given")
        ),
    }
}

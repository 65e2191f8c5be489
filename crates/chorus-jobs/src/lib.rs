//! Background work on the durable job queue in the database: publishing scheduled variants,
//! retrying replies, collecting numbers, sending the mail outbox (`send_mail`), delivering
//! signed webhooks (`deliver_webhook`), and whatever kinds come next (reminders).
//!
//! A [`Worker`] is built with a registry of [`JobKind`]s ([`JobKinds`]); it claims due jobs of
//! every registered kind (see `chorus_store::jobs`), runs a few at a time, renews their leases
//! while they run, and leaves each kind to record its outcome, in the same transaction as the
//! work's effects where it has any. Jobs run at least once; the effects are exactly once because
//! the work is keyed (publishing by the variant's id and its first-attempt time, see
//! `chorus_networks::bluesky::rkey`), so a retry after a crash finds the post it already made
//! instead of making another.
//!
//! Kinds reach network accounts only through [`Connectors`] (a connector per network name,
//! handing out `Arc<dyn DynNetwork>`) and decide whether to retry only from a failure's
//! [`ErrorKind`](chorus_networks::ErrorKind) ([`backoff::retry_after`]): a second network
//! plugs in without touching the worker or the kinds.

pub mod accounts;
pub mod backoff;
pub mod connectors;
pub mod kinds;
pub mod mail;
pub mod mail_journal;
pub mod numbers;
pub mod publish;
pub mod reply;
pub mod smtp;
pub mod webhooks;
mod worker;

use std::sync::Arc;

use chorus_core::links::PublicBase;
use chorus_networks::bluesky::SecretKey;
use chorus_store::Store;

pub use accounts::{BlueskyLogin, ConnectError, connect_bluesky};
pub use connectors::{Connector, Connectors};
pub use kinds::{JobKind, JobKinds, Outcome};
pub use reply::{ReplyError, send_reply, send_reply_with};
pub use worker::{Worker, WorkerConfig};

/// What the standard kinds need beyond the store, the key and the client.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Where Bluesky counts are read (`None`: through each account's PDS).
    pub bluesky_appview: Option<String>,
    pub numbers: numbers::CollectSettings,
    /// The SMTP server outbox messages go through (`None`: mail is off, `send_mail` is not
    /// registered and messages wait in the outbox).
    pub mail: Option<mail::Mailer>,
    /// Where `send_mail` notes messages written in full and awaiting the server's answer
    /// (`mail_journal`; one file per sending process's data directory). `None`: in the outbox.
    pub mail_journal: Option<std::path::PathBuf>,
}

/// The job kinds Chorus runs, sharing one set of account connections, which reach networks
/// through `http` (the installation's guarded client). Published links point at the click
/// redirects under `public_url`. A new kind is a module and one line here.
pub fn standard_kinds(
    store: &Store,
    key: SecretKey,
    http: chorus_outbound::Client,
    public_url: PublicBase,
) -> JobKinds {
    kinds_with(store, key, http, public_url, &Settings::default())
}

/// [`standard_kinds`] as `settings` say.
pub fn kinds_with(
    store: &Store,
    key: SecretKey,
    http: chorus_outbound::Client,
    public_url: PublicBase,
    settings: &Settings,
) -> JobKinds {
    // Webhooks go out through the same guarded client, signed with secrets derived from the key.
    let webhooks = webhooks::DeliverWebhook::new(store.clone(), key.clone(), http.clone());
    let accounts = Arc::new(Connectors::standard_with(
        store.clone(),
        key,
        http,
        settings,
    ));
    let kinds = JobKinds::new()
        .with(publish::PublishVariant::new(
            store.clone(),
            accounts.clone(),
            public_url,
        ))
        .with(reply::SendReply::new(store.clone(), accounts.clone()))
        .with(numbers::CollectNumbers::new(
            store.clone(),
            accounts,
            settings.numbers.clone(),
        ))
        .with(webhooks);
    match &settings.mail {
        Some(mailer) => {
            let send = mail::SendMail::new(store.clone(), mailer.clone());
            kinds.with(match &settings.mail_journal {
                Some(path) => send.with_journal(mail_journal::Journal::new(path)),
                None => send,
            })
        }
        None => kinds,
    }
}

//! The `send_mail` job kind: sends one message of the mail outbox (`chorus_store::mail`) over
//! SMTP with lettre, and records the outcome with the message's state in one transaction.
//!
//! Connections are pooled and a message is sent in steps ([`crate::smtp`]): the outbox records
//! that the whole message is in the operating system's hands (written, before the server's
//! reply), and a message a dead sender left so marked is recorded as sent (presumed delivered,
//! with a note for operators) instead of sent twice. Building a [`Mailer`] only validates its settings; it
//! connects on the first send.
//!
//! A message goes out as `multipart/alternative` (the plain-text part, then the HTML part) when
//! it has HTML, as plain text otherwise, with `List-Unsubscribe` (and
//! `List-Unsubscribe-Post: List-Unsubscribe=One-Click`, RFC 8058) when the outbox row has one.
//! Files attached to the outbox row (`Store::mail_attachments`, e.g. a weekly report's PDF)
//! make it `multipart/mixed`: the body above, then each file as an attachment.
//! Its Message-ID is derived from the outbox row (`<chorus.{id}.{created}@{from domain}>`), so a
//! second send after a crash between the server's acceptance and our commit is recognisable as
//! the same message.
//!
//! Failures are triaged by the SMTP reply: a 4xx, a refused or lost connection, a timeout or a
//! TLS failure may pass and is retried with the queue's backoff ([`crate::backoff::delay`])
//! while attempts remain; a 5xx (or an address lettre cannot parse) fails the message for good.
//! The recorded error carries the server's reply code for operators; it is never shown to the
//! people the mail was for.

use std::sync::Arc;
use std::time::Duration;

use chorus_networks::BoxFuture;
use chorus_store::{Job, MailAttachment, MailState, OutboxMail, Store};
use lettre::Message;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;

use crate::backoff;
use crate::kinds::{JobKind, Outcome};
use crate::mail_journal::Journal;
use crate::smtp::{Connections, Note};

pub use chorus_store::MAIL_JOB;

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain connection upgraded with STARTTLS, which is required (usually port 587).
    StartTls,
    /// TLS from the first byte ("implicit TLS", usually port 465).
    Tls,
    /// No encryption: only for a server on this machine (the configuration allows it for
    /// loopback hosts only).
    None,
}

/// The SMTP server and the sender, validated by the caller (the binary's `[mail]` section).
#[derive(Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    /// Username and password, when the server asks for them.
    pub credentials: Option<(String, String)>,
    /// The From address, e.g. `Chorus <chorus@example.com>`.
    pub from: String,
    pub reply_to: Option<String>,
    /// How long a connection or a reply may take.
    pub timeout: Duration,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field(
                "credentials",
                &self.credentials.as_ref().map(|(u, _)| (u, "[redacted]")),
            )
            .field("from", &self.from)
            .field("reply_to", &self.reply_to)
            .finish()
    }
}

/// Why a [`Mailer`] could not be built (the settings' key is named).
#[derive(Debug, thiserror::Error)]
pub enum MailerError {
    #[error("mail.from: {0:?} is not an email address (e.g. \"Chorus <chorus@example.com>\")")]
    From(String),
    #[error("mail.reply_to: {0:?} is not an email address")]
    ReplyTo(String),
    #[error("mail.host: {0}")]
    Tls(String),
}

/// Sends messages through one SMTP server as one sender. Cheap to clone; clones share the
/// open connections.
#[derive(Clone)]
pub struct Mailer {
    connections: Arc<Connections>,
    from: Mailbox,
    reply_to: Option<Mailbox>,
    /// The From domain: names us in EHLO and in Message-IDs.
    domain: String,
    settings: Arc<SmtpSettings>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("settings", &self.settings)
            .finish()
    }
}

impl Mailer {
    /// Validates `settings` (the From and Reply-To addresses, the TLS parameters); opens
    /// nothing, and may run outside a runtime.
    pub fn new(settings: SmtpSettings) -> Result<Mailer, MailerError> {
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|_| MailerError::From(settings.from.clone()))?;
        let reply_to = match &settings.reply_to {
            None => None,
            Some(r) => Some(r.parse().map_err(|_| MailerError::ReplyTo(r.clone()))?),
        };
        let domain = from.email.domain().to_owned();
        let tls = |host: &str| {
            TlsParameters::new(host.to_owned()).map_err(|e| MailerError::Tls(e.to_string()))
        };
        let tls = match settings.security {
            Security::StartTls => Tls::Required(tls(&settings.host)?),
            Security::Tls => Tls::Wrapper(tls(&settings.host)?),
            Security::None => Tls::None,
        };
        let credentials = settings
            .credentials
            .as_ref()
            .map(|(user, password)| Credentials::new(user.clone(), password.clone()));
        let connections = Connections::new(
            settings.host.clone(),
            settings.port,
            settings.timeout,
            ClientId::Domain(domain.clone()),
            tls,
            credentials,
        );
        Ok(Mailer {
            connections: Arc::new(connections),
            from,
            reply_to,
            domain,
            settings: Arc::new(settings),
        })
    }

    pub fn settings(&self) -> &SmtpSettings {
        &self.settings
    }

    /// The Message-ID of outbox message `mail`: the same for every attempt.
    pub fn message_id(&self, mail: &OutboxMail) -> String {
        format!(
            "<chorus.{}.{}@{}>",
            mail.id, mail.created_at_ms, self.domain
        )
    }

    /// The message as it goes out. `Err` says why it cannot be sent at all (a recipient
    /// address that is not one, a header with line breaks).
    pub fn compose(&self, mail: &OutboxMail) -> Result<Message, String> {
        self.compose_with(mail, &[])
    }

    /// [`Mailer::compose`] with `attachments` after the body (`multipart/mixed`).
    pub fn compose_with(
        &self,
        mail: &OutboxMail,
        attachments: &[MailAttachment],
    ) -> Result<Message, String> {
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|_| "the recipient is not an email address".to_owned())?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .message_id(Some(self.message_id(mail)));
        if let Some(r) = &self.reply_to {
            builder = builder.reply_to(r.clone());
        }
        if let Some(list) = &mail.list_unsubscribe {
            if list.chars().any(char::is_control) {
                return Err("List-Unsubscribe holds a control character".into());
            }
            builder = builder.raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                list.clone(),
            ));
            if mail.one_click {
                builder = builder.raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".to_owned(),
                ));
            }
        }
        let built = match (&mail.html, attachments.is_empty()) {
            (Some(html), true) => builder.multipart(MultiPart::alternative_plain_html(
                mail.text.clone(),
                html.clone(),
            )),
            (None, true) => builder.singlepart(SinglePart::plain(mail.text.clone())),
            (html, false) => {
                let mut mixed = match html {
                    Some(html) => MultiPart::mixed().multipart(MultiPart::alternative_plain_html(
                        mail.text.clone(),
                        html.clone(),
                    )),
                    None => MultiPart::mixed().singlepart(SinglePart::plain(mail.text.clone())),
                };
                for a in attachments {
                    let content_type = lettre::message::header::ContentType::parse(&a.content_type)
                        .map_err(|_| format!("{:?} is not a content type", a.content_type))?;
                    mixed = mixed.singlepart(
                        lettre::message::Attachment::new(a.file_name.clone())
                            .body(a.bytes.clone(), content_type),
                    );
                }
                builder.multipart(mixed)
            }
        };
        built.map_err(|e| format!("the message cannot be built: {e}"))
    }

    /// Sends `message` over an open connection, making `note` once the whole message is in
    /// the operating system's hands and before the server's reply (see [`crate::smtp`]).
    pub async fn send(&self, message: &Message, note: Option<Note>) -> Result<(), SendError> {
        self.connections
            .send(message.envelope(), &message.formatted(), note)
            .await
    }
}

/// A failed send, triaged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    /// Whether trying again later may succeed (4xx, connection, timeout, TLS).
    pub transient: bool,
    /// For operators: the reply code and text, or what failed.
    pub message: String,
}

impl From<&lettre::transport::smtp::Error> for SendError {
    fn from(e: &lettre::transport::smtp::Error) -> Self {
        let message = match e.status() {
            Some(code) => format!("SMTP {code}: {e}"),
            None => format!("SMTP: {e}"),
        };
        // A 5xx is final; so is a client-side error (a message lettre cannot send). Everything
        // else — 4xx, refused or lost connections, timeouts, TLS, unparsable replies — may pass.
        let transient = !(e.is_permanent() || e.is_client());
        SendError { transient, message }
    }
}

/// The note on a message recorded as sent because its sender died after writing all of it and
/// before the server's reply.
pub const PRESUMED_DELIVERED: &str = "presumed delivered: its sender stopped after writing it \
     to the SMTP server and before the reply, so it was not sent again";

/// The `send_mail` kind.
pub struct SendMail {
    store: Store,
    mailer: Mailer,
    /// Where hand-overs are noted (else in the outbox itself), replayed before the first send.
    journal: Option<(Arc<Journal>, tokio::sync::OnceCell<()>)>,
}

impl SendMail {
    pub fn new(store: Store, mailer: Mailer) -> Self {
        SendMail {
            store,
            mailer,
            journal: None,
        }
    }

    /// Notes hand-overs in `journal` (`mail_journal`: one append, made inside the write of the
    /// message's last byte); without one, a crash before a reply sends that message again.
    pub fn with_journal(mut self, journal: Journal) -> Self {
        self.journal = Some((Arc::new(journal), tokio::sync::OnceCell::new()));
        self
    }

    /// The note that message `id` was written in full: a line in the journal. Without a
    /// journal none is made, and a crash before the reply sends the message again.
    fn note(&self, id: i64) -> Option<Note> {
        let (journal, _) = self.journal.as_ref()?;
        let journal = journal.clone();
        Some(Box::new(move || journal.handed_over(id)))
    }

    fn answered(&self, id: i64) {
        if let Some((journal, _)) = &self.journal {
            journal.answered(id);
        }
    }

    async fn send(&self, job: &Job) -> Result<Outcome, chorus_store::StoreError> {
        if let Some((journal, replayed)) = &self.journal {
            replayed
                .get_or_try_init(async || {
                    let marked = journal.replay(&self.store).await?;
                    if marked > 0 {
                        tracing::info!(marked, journal = %journal.path().display(), "messages a stopped sender had written in full are recorded as sent, not sent again");
                    }
                    Ok::<_, chorus_store::StoreError>(())
                })
                .await?;
        }
        let Some(id) = mail_id(&job.payload) else {
            let error = format!("a send_mail payload without a message: {}", job.payload);
            self.store.finish_job(job.id, false, Some(&error)).await?;
            return Ok(Outcome::Failed { error });
        };
        let Some(mail) = self.store.outbox_mail(id).await? else {
            self.store.finish_job(job.id, true, None).await?;
            return Ok(Outcome::Dropped {
                why: format!("message {id} is gone"),
            });
        };
        if mail.state != MailState::Queued {
            self.store.finish_job(job.id, true, None).await?;
            return Ok(Outcome::Dropped {
                why: format!("message {id} is {} already", mail.state.as_str()),
            });
        }
        if mail.handed_over_at_ms.is_some() {
            // Its sender died after writing all of it: the server has it, and sending it again
            // would deliver it twice.
            self.store
                .mail_sent(job.id, id, Some(PRESUMED_DELIVERED))
                .await?;
            return Ok(Outcome::Done {
                what: format!("message {id}: {PRESUMED_DELIVERED}"),
            });
        }
        let attachments = self.store.mail_attachments(id).await?;
        let message = match self.mailer.compose_with(&mail, &attachments) {
            Ok(m) => m,
            Err(error) => {
                self.store.mail_failed(job.id, id, &error).await?;
                return Ok(Outcome::Failed { error });
            }
        };
        let sent = self.mailer.send(&message, self.note(id)).await;
        // A refusal is noted before it is recorded (a crash between the two must not presume
        // it delivered); an acceptance after (a crash between them must).
        if sent.is_err() {
            self.answered(id);
        }
        match sent {
            Ok(()) => {
                self.store.mail_sent(job.id, id, None).await?;
                self.answered(id);
                Ok(Outcome::Done {
                    what: format!("sent message {id}"),
                })
            }
            Err(e) if e.transient && job.attempts < job.max_attempts => {
                let at = chorus_store::now_ms() + backoff::delay(job.attempts).as_millis() as i64;
                self.store.mail_retry(job.id, id, at, &e.message).await?;
                Ok(Outcome::RetryLater { error: e.message })
            }
            Err(e) => {
                let error = if e.transient {
                    format!("gave up after {} attempts: {}", job.attempts, e.message)
                } else {
                    e.message
                };
                self.store.mail_failed(job.id, id, &error).await?;
                Ok(Outcome::Failed { error })
            }
        }
    }
}

/// The outbox id in a job's payload (`{"mail": 42}`).
fn mail_id(payload: &str) -> Option<i64> {
    #[derive(serde::Deserialize)]
    struct Payload {
        mail: i64,
    }
    serde_json::from_str::<Payload>(payload)
        .ok()
        .map(|p| p.mail)
}

impl JobKind for SendMail {
    fn name(&self) -> &'static str {
        MAIL_JOB
    }

    fn run<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            match self.send(job).await {
                Ok(outcome) => outcome,
                Err(e) => Outcome::Unrecorded {
                    error: e.to_string(),
                },
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mailer() -> Mailer {
        Mailer::new(SmtpSettings {
            host: "127.0.0.1".into(),
            port: 1025,
            security: Security::None,
            credentials: Some(("chorus".into(), "hunter2".into())),
            from: "Chorus <chorus@example.com>".into(),
            reply_to: Some("help@example.com".into()),
            timeout: Duration::from_secs(5),
        })
        .unwrap()
    }

    fn outbox(html: Option<&str>, list: Option<&str>) -> OutboxMail {
        OutboxMail {
            id: 7,
            key: "k".into(),
            to: "Ann <ann@example.org>".into(),
            subject: "Hello".into(),
            text: "plain".into(),
            html: html.map(str::to_owned),
            list_unsubscribe: list.map(str::to_owned),
            one_click: true,
            locale: "en".into(),
            state: MailState::Queued,
            attempts: 0,
            last_error: None,
            created_at_ms: 1234,
            sent_at_ms: None,
            bounced_at_ms: None,
            handed_over_at_ms: None,
        }
    }

    #[test]
    fn a_message_has_its_parts_headers_and_a_stable_id() {
        let m = mailer();
        let raw = String::from_utf8(
            m.compose(&outbox(
                Some("<p>html</p>"),
                Some("<https://x.example/u/1>"),
            ))
            .unwrap()
            .formatted(),
        )
        .unwrap();
        assert!(
            raw.contains("Message-ID: <chorus.7.1234@example.com>"),
            "{raw}"
        );
        assert!(
            raw.contains("List-Unsubscribe: <https://x.example/u/1>"),
            "{raw}"
        );
        assert!(raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
        assert!(raw.contains("multipart/alternative"));
        assert!(raw.contains("Reply-To: help@example.com"));
        let plain = String::from_utf8(m.compose(&outbox(None, None)).unwrap().formatted()).unwrap();
        assert!(!plain.contains("multipart") && !plain.contains("List-Unsubscribe"));
        assert!(m.compose(&outbox(None, Some("<a>\r\nBcc: x@y"))).is_err());
        let mut bad = outbox(None, None);
        bad.to = "not an address".into();
        assert!(m.compose(&bad).is_err());
        assert!(!format!("{m:?}").contains("hunter2"));
    }

    #[test]
    fn bad_settings_name_their_key() {
        let s = |from: &str, reply: Option<&str>| SmtpSettings {
            host: "127.0.0.1".into(),
            port: 25,
            security: Security::None,
            credentials: None,
            from: from.into(),
            reply_to: reply.map(str::to_owned),
            timeout: Duration::from_secs(1),
        };
        assert!(matches!(
            Mailer::new(s("nope", None)),
            Err(MailerError::From(_))
        ));
        assert!(matches!(
            Mailer::new(s("a@b.example", Some("x"))),
            Err(MailerError::ReplyTo(_))
        ));
    }

    #[test]
    fn payloads_name_the_message() {
        assert_eq!(mail_id("{\"mail\":42}"), Some(42));
        assert_eq!(mail_id("{}"), None);
    }
}

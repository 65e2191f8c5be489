//! Email: the seam every use case that sends mail goes through (scheduled reports, double
//! opt-in confirmations, reminders), and the operator's test message.
//!
//! A message is rendered from a [`Template`] in the recipient's locale ([`Templates::pick`]:
//! the exact locale, else its language, else English) and handed to [`enqueue`], which records
//! it in the mail outbox with its `send_mail` job; the job sends it over SMTP when mail is
//! configured (`[mail]`), and it waits in the outbox until then. Enqueueing is idempotent by the
//! caller's key, so a use case that runs twice never mails twice.
//!
//! [`enqueue`] does not authorize: it is called by use cases that have (it is not an action of
//! its own). [`send_test`] is one: only an admin (or the operator at the command line) may mail
//! the installation's test message.

use std::collections::BTreeMap;

use chorus_core::org::Locale;
use chorus_core::user::Email;

use crate::{App, Caller, Error, Result};

pub use chorus_store::{Enqueued, MailAttachment, MailState, OutboxMail};

/// The locale every template has, and the last fallback.
pub const FALLBACK_LOCALE: &str = "en";

/// One message in one locale. The text part is required (every message has a plain-text part);
/// the HTML part is optional.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
}

/// A message in every locale it is written in, English always among them.
#[derive(Debug, Clone)]
pub struct Templates {
    english: Template,
    others: BTreeMap<String, Template>,
}

impl Templates {
    /// Templates with `english` as the fallback.
    pub fn new(english: Template) -> Templates {
        Templates {
            english,
            others: BTreeMap::new(),
        }
    }

    /// Adds (or replaces) the template for `locale` (a BCP 47 tag, e.g. `fi` or `pt-BR`).
    pub fn with(mut self, locale: &Locale, template: Template) -> Templates {
        if locale.as_str() == FALLBACK_LOCALE {
            self.english = template;
        } else {
            self.others.insert(locale.as_str().to_owned(), template);
        }
        self
    }

    /// The template for `locale` and the locale it is written in: `locale` itself, else its
    /// language (`fi` for `fi-FI`), else English.
    pub fn pick(&self, locale: &Locale) -> (&str, &Template) {
        let exact = locale.as_str();
        let language = exact.split('-').next().unwrap_or(exact);
        [exact, language]
            .into_iter()
            .find_map(|l| self.others.get_key_value(l))
            .map(|(k, t)| (k.as_str(), t))
            .unwrap_or((FALLBACK_LOCALE, &self.english))
    }
}

/// A message to send, as a use case builds it.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// Idempotency key: the same key is never queued twice (e.g. `confirm:{submission}`).
    pub key: String,
    pub to: Email,
    /// The locale it was rendered in.
    pub locale: String,
    pub template: Template,
    /// The `List-Unsubscribe` value (`<https://…>` and/or `<mailto:…>`), for messages a person
    /// can stop receiving; with `one_click`, RFC 8058's one-click POST is offered too.
    pub list_unsubscribe: Option<String>,
    pub one_click: bool,
}

/// Records `mail` in the outbox with its send job. Called by use cases after their own checks;
/// a second call with the same key answers the first message (`created: false`).
pub async fn enqueue(app: &App, mail: &Outgoing) -> Result<Enqueued> {
    enqueue_with(app, mail, &[]).await
}

/// [`enqueue`] with files attached (a report's PDF), stored with the message.
pub async fn enqueue_with(
    app: &App,
    mail: &Outgoing,
    attachments: &[MailAttachment],
) -> Result<Enqueued> {
    if let Some(list) = &mail.list_unsubscribe
        && (list.chars().any(char::is_control) || !list.trim_start().starts_with('<'))
    {
        return Err(Error::Internal(
            "a List-Unsubscribe value must be <…> addresses on one line".into(),
        ));
    }
    Ok(app
        .store
        .enqueue_mail_with(
            &chorus_store::NewMail {
                key: &mail.key,
                to: mail.to.as_str(),
                subject: &mail.template.subject,
                text: &mail.template.text,
                html: mail.template.html.as_deref(),
                list_unsubscribe: mail.list_unsubscribe.as_deref(),
                one_click: mail.one_click,
                locale: &mail.locale,
            },
            attachments,
        )
        .await?)
}

/// The test message, in English and Finnish (an example of a second locale).
fn test_templates() -> Templates {
    let en = Template {
        subject: "Chorus test message".into(),
        text: "This is a test message from Chorus. If you can read it, mail is configured \
               correctly.\n"
            .into(),
        html: Some(
            "<p>This is a test message from <b>Chorus</b>. If you can read it, mail is \
             configured correctly.</p>"
                .into(),
        ),
    };
    let fi = Template {
        subject: "Chorusin testiviesti".into(),
        text: "Tämä on Chorusin testiviesti. Jos luet tätä, sähköposti on määritetty oikein.\n"
            .into(),
        html: Some(
            "<p>Tämä on <b>Chorusin</b> testiviesti. Jos luet tätä, sähköposti on määritetty \
             oikein.</p>"
                .into(),
        ),
    };
    match Locale::parse("fi") {
        Ok(fi_locale) => Templates::new(en).with(&fi_locale, fi),
        Err(_) => Templates::new(en),
    }
}

/// Queues the installation's test message to `to` in `locale` (English when empty), to check
/// the `[mail]` settings. Admins only. Each call is a new message (its key is random).
pub async fn send_test(app: &App, caller: &Caller, to: &str, locale: &str) -> Result<Enqueued> {
    if !caller.actor.is_admin() {
        return Err(Error::forbidden("only an admin may send the test message"));
    }
    let to = Email::parse(to).map_err(|e| Error::invalid("to", e.message))?;
    let locale = match locale.trim() {
        "" => Locale::parse(FALLBACK_LOCALE),
        l => Locale::parse(l),
    }
    .map_err(|e| Error::invalid("locale", e.message))?;
    let templates = test_templates();
    let (used, template) = templates.pick(&locale);
    enqueue(
        app,
        &Outgoing {
            key: format!("mail-test:{:016x}", rand::random::<u64>()),
            to,
            locale: used.to_owned(),
            template: template.clone(),
            list_unsubscribe: None,
            one_click: false,
        },
    )
    .await
}

/// The outbox's latest messages (for the operator at the command line). Admins only.
pub async fn recent(app: &App, caller: &Caller, limit: i64) -> Result<Vec<OutboxMail>> {
    if !caller.actor.is_admin() {
        return Err(Error::forbidden("only an admin may read the mail outbox"));
    }
    Ok(app.store.recent_mail(limit.clamp(1, 1000)).await?)
}

/// One message of the outbox (for the operator). Admins only.
pub async fn message(app: &App, caller: &Caller, id: i64) -> Result<OutboxMail> {
    if !caller.actor.is_admin() {
        return Err(Error::forbidden("only an admin may read the mail outbox"));
    }
    app.store
        .outbox_mail(id)
        .await?
        .ok_or(Error::NotFound("message"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(subject: &str) -> Template {
        Template {
            subject: subject.into(),
            text: subject.into(),
            html: None,
        }
    }

    #[test]
    fn a_locale_falls_back_to_its_language_then_english() {
        let l = |s: &str| Locale::parse(s).unwrap();
        let templates = Templates::new(t("en"))
            .with(&l("fi"), t("fi"))
            .with(&l("pt-BR"), t("pt-BR"));
        for (asked, used) in [
            ("fi", "fi"),
            ("fi-FI", "fi"),
            ("pt-BR", "pt-BR"),
            ("pt-PT", "en"),
            ("pt", "en"),
            ("sv-FI", "en"),
            ("en-GB", "en"),
            ("EN", "en"),
        ] {
            let (locale, template) = templates.pick(&l(asked));
            assert_eq!((locale, template.subject.as_str()), (used, used), "{asked}");
        }
    }

    #[test]
    fn the_test_message_has_a_text_part_in_each_locale() {
        let templates = test_templates();
        let (used, fi) = templates.pick(&Locale::parse("fi-FI").unwrap());
        assert_eq!(used, "fi");
        assert!(fi.subject.contains("testiviesti") && fi.html.is_some());
        let (used, en) = templates.pick(&Locale::parse("de").unwrap());
        assert_eq!(used, "en");
        assert!(!en.text.is_empty());
    }
}

//! The `[mail]` section: the SMTP server the mail outbox sends through. Without the section
//! mail is off: messages are still recorded in the outbox and wait there until it is set.
//! Errors name the key (`mail.host`, `mail.security`, …) and where its value came from.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use chorus_jobs::mail::{Mailer, MailerError, Security, SmtpSettings};
use serde::Deserialize;

use super::{ConfigError, Secret, err};

/// How long a connection or an SMTP reply may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMail {
    host: Option<String>,
    port: Option<u16>,
    security: Option<String>,
    username: Option<String>,
    password: Option<String>,
    from: Option<String>,
    reply_to: Option<String>,
}

/// The validated `[mail]` section.
#[derive(Debug, Clone)]
pub struct Mail {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// The From address, e.g. `Chorus <chorus@example.com>`.
    pub from: String,
    pub reply_to: Option<String>,
}

impl Mail {
    /// The job kind's settings.
    pub fn smtp(&self) -> SmtpSettings {
        SmtpSettings {
            host: self.host.clone(),
            port: self.port,
            security: self.security,
            credentials: match (&self.username, &self.password) {
                (Some(u), Some(Secret(p))) => Some((u.clone(), p.clone())),
                _ => None,
            },
            from: self.from.clone(),
            reply_to: self.reply_to.clone(),
            timeout: SMTP_TIMEOUT,
        }
    }

    /// The mailer `send_mail` sends through (validated when the configuration was read).
    pub fn mailer(&self) -> Result<Mailer, MailerError> {
        Mailer::new(self.smtp())
    }
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// `[mail]`: `None` when the section is absent or empty (mail off).
pub(super) fn validate(
    raw: Option<RawMail>,
    sources: &BTreeMap<String, String>,
) -> Result<Option<Mail>, ConfigError> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let nonempty = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let Some(host) = nonempty(raw.host) else {
        return Err(err(
            "mail.host",
            "is required when [mail] is present: the SMTP server's name, e.g. smtp.example.com",
            sources,
        ));
    };
    let bare = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let name_like = host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    if !(name_like || bare.parse::<IpAddr>().is_ok()) {
        return Err(err(
            "mail.host",
            "must be a host name or IP address only (the port is mail.port)",
            sources,
        ));
    }
    let host = bare;
    let security = match raw.security.as_deref().map(str::trim).unwrap_or("starttls") {
        "starttls" => Security::StartTls,
        "tls" => Security::Tls,
        "none" => Security::None,
        other => {
            return Err(err(
                "mail.security",
                format!("is {other:?}; use \"starttls\", \"tls\" or \"none\""),
                sources,
            ));
        }
    };
    if security == Security::None && !is_loopback(&host) {
        return Err(err(
            "mail.security",
            format!(
                "\"none\" sends mail and passwords in the clear, so it is only allowed for a \
                 server on this machine (localhost, 127.0.0.1, ::1), not {host:?}; use \
                 \"starttls\" or \"tls\""
            ),
            sources,
        ));
    }
    let port = match raw.port {
        Some(0) => return Err(err("mail.port", "must be between 1 and 65535", sources)),
        Some(p) => p,
        None => match security {
            Security::StartTls => 587,
            Security::Tls => 465,
            Security::None => 25,
        },
    };
    let username = nonempty(raw.username);
    let password = raw.password.filter(|p| !p.is_empty()).map(Secret);
    match (&username, &password) {
        (Some(_), None) => {
            return Err(err(
                "mail.password",
                "is required with mail.username",
                sources,
            ));
        }
        (None, Some(_)) => {
            return Err(err(
                "mail.username",
                "is required with mail.password",
                sources,
            ));
        }
        _ => {}
    }
    let Some(from) = nonempty(raw.from) else {
        return Err(err(
            "mail.from",
            "is required when [mail] is present, e.g. \"Chorus <chorus@example.com>\"",
            sources,
        ));
    };
    let mail = Mail {
        host,
        port,
        security,
        username,
        password,
        from,
        reply_to: nonempty(raw.reply_to),
    };
    // The addresses are checked as the mailer will parse them.
    mail.mailer().map_err(|e| match e {
        MailerError::From(_) => err("mail.from", e.to_string(), sources),
        MailerError::ReplyTo(_) => err("mail.reply_to", e.to_string(), sources),
        MailerError::Tls(_) => err("mail.host", e.to_string(), sources),
    })?;
    Ok(Some(mail))
}

#[cfg(test)]
mod tests {
    use super::super::{Config, ConfigError, Overrides};
    use super::*;

    fn load(toml: &str, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chorus.toml");
        std::fs::write(&path, toml).unwrap();
        let env = env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
        Config::load(Some(&path), env, &Overrides::default())
    }

    #[test]
    fn no_section_is_mail_off() {
        assert!(load("", &[]).unwrap().mail.is_none());
    }

    #[test]
    fn a_full_section_with_defaults_by_security() {
        let c = load(
            "[mail]\nhost = \"smtp.example.com\"\nusername = \"chorus\"\n\
             password = \"hunter2\"\nfrom = \"Chorus <chorus@example.com>\"\n\
             reply_to = \"help@example.com\"\n",
            &[],
        )
        .unwrap();
        let m = c.mail.as_ref().unwrap();
        assert_eq!(
            (m.host.as_str(), m.port, m.security),
            ("smtp.example.com", 587, Security::StartTls)
        );
        assert_eq!(
            m.smtp().credentials,
            Some(("chorus".into(), "hunter2".into()))
        );
        assert!(
            !format!("{c:?}").contains("hunter2"),
            "the password never prints"
        );
        let c = load(
            "[mail]\nhost = \"smtp.example.com\"\nsecurity = \"tls\"\nfrom = \"a@example.com\"\n",
            &[
                ("CHORUS__MAIL__PASSWORD", "pw"),
                ("CHORUS__MAIL__USERNAME", "u"),
            ],
        )
        .unwrap();
        let m = c.mail.unwrap();
        assert_eq!((m.port, m.security), (465, Security::Tls));
        let c = load(
            "[mail]\nhost = \"127.0.0.1\"\nport = 1025\nsecurity = \"none\"\nfrom = \"a@example.com\"\n",
            &[],
        )
        .unwrap();
        assert_eq!(c.mail.unwrap().port, 1025);
        for host in ["localhost", "::1", "[::1]"] {
            let toml =
                format!("[mail]\nhost = \"{host}\"\nsecurity = \"none\"\nfrom = \"a@b.example\"\n");
            assert!(load(&toml, &[]).is_ok(), "{host}");
        }
    }

    #[test]
    fn bad_values_name_their_key_and_source() {
        let base = "from = \"a@example.com\"\n";
        for (toml, key) in [
            (format!("[mail]\n{base}"), "mail.host"),
            (
                format!("[mail]\nhost = \"smtp.example.com:587\"\n{base}"),
                "mail.host",
            ),
            (
                format!("[mail]\nhost = \"smtp.example.com\"\nsecurity = \"ssl\"\n{base}"),
                "mail.security",
            ),
            (
                format!("[mail]\nhost = \"smtp.example.com\"\nsecurity = \"none\"\n{base}"),
                "mail.security",
            ),
            (
                format!("[mail]\nhost = \"10.0.0.5\"\nsecurity = \"none\"\n{base}"),
                "mail.security",
            ),
            (
                format!("[mail]\nhost = \"smtp.example.com\"\nport = 0\n{base}"),
                "mail.port",
            ),
            (
                format!("[mail]\nhost = \"smtp.example.com\"\nusername = \"u\"\n{base}"),
                "mail.password",
            ),
            (
                format!("[mail]\nhost = \"smtp.example.com\"\npassword = \"p\"\n{base}"),
                "mail.username",
            ),
            (
                "[mail]\nhost = \"smtp.example.com\"\n".to_owned(),
                "mail.from",
            ),
            (
                "[mail]\nhost = \"smtp.example.com\"\nfrom = \"chorus at example\"\n".to_owned(),
                "mail.from",
            ),
            (
                format!("[mail]\nhost = \"smtp.example.com\"\nreply_to = \"nope\"\n{base}"),
                "mail.reply_to",
            ),
            (
                format!("[mail]\nhost = \"smtp.example.com\"\nsender = \"x\"\n{base}"),
                "mail.sender",
            ),
        ] {
            let e = load(&toml, &[]).unwrap_err();
            assert_eq!(e.key, key, "{toml}: {e}");
            // A value that is there says where it was set (a missing one has no source).
            let name = key.trim_start_matches("mail.");
            if toml.contains(&format!("{name} =")) {
                assert!(e.to_string().contains("chorus.toml"), "{e}");
            }
        }
        let e = load(
            &format!("[mail]\nhost = \"smtp.example.com\"\n{base}"),
            &[("CHORUS__MAIL__SECURITY", "plain")],
        )
        .unwrap_err();
        assert_eq!(e.key, "mail.security");
        assert!(e.to_string().contains("CHORUS__MAIL__SECURITY"), "{e}");
    }
}

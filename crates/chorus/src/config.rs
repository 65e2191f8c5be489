//! Configuration in two steps: a file (TOML) overlaid with `CHORUS__SECTION__KEY` environment
//! variables and command-line flags, read into a raw struct that refuses unknown keys, then
//! validated into [`Config`]. Every error names the key and where its value came from.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chorus_store::DatabaseUrl;
use serde::Deserialize;

mod mail;
mod nats;
mod outbound;
mod reach;
mod sso;
mod text;
mod web;

pub use mail::Mail;
pub use outbound::Outbound;

/// The validated configuration, passed explicitly to whatever needs it.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub database: DatabaseUrl,
    /// Base64 of 32 bytes for encrypting stored credentials; `None` means the key file in the
    /// data directory (created on first use).
    pub secret_key: Option<Secret>,
    pub server: Server,
    pub log: Log,
    pub ingest: Ingest,
    pub outbound: Outbound,
    pub numbers: Numbers,
    /// The SMTP server the mail outbox sends through (`[mail]`); `None`: mail is off, messages
    /// wait in the outbox.
    pub mail: Option<Mail>,
    /// Gated assets and webinars (`[reach]`).
    pub reach: chorus_app::reach::ReachSettings,
    /// Sentiment mode and the language posts are filed under (`[text]`).
    pub text: chorus_pipeline::TextSettings,
    /// The post stream between processes (`[nats]`); `None`: one process does it all.
    pub nats: Option<chorus_stream::StreamConfig>,
    /// Single sign-on (`[sso]`): identity providers and who may still use a password.
    pub sso: chorus_app::sso::SsoSettings,
}

/// Settings of Numbers collection.
#[derive(Debug, Clone, Default)]
pub struct Numbers {
    /// The Bluesky AppView counts are read from (`getPosts`, `getProfile`, `getLikes`), e.g.
    /// `https://public.api.bsky.app`; `None`: through each account's PDS, which forwards to
    /// its own AppView.
    pub bluesky_appview_url: Option<String>,
}

/// Settings of the ingest pipeline.
#[derive(Debug, Clone, Default)]
pub struct Ingest {
    /// Let feed fetches reach loopback, private, link-local and carrier-grade NAT addresses
    /// (off: the outbound guard refuses them; `0.0.0.0` and reserved ranges stay refused).
    pub allow_private_addresses: bool,
    /// The Bluesky firehose `chorus ingest bluesky` reads by default, and `chorus serve`'s
    /// source role reads.
    pub firehose_url: Option<String>,
    /// RSS/Atom feeds `chorus serve`'s source role polls.
    pub feeds: Vec<String>,
    /// How long between two polls of each feed.
    pub feed_every: Duration,
}

#[derive(Debug, Clone)]
pub struct Server {
    pub bind: IpAddr,
    pub port: u16,
    /// The address people use to reach Chorus, when it differs from bind:port (behind a proxy),
    /// without a trailing slash; published links point at its click redirects (`/l/{code}`).
    pub public_url: Option<String>,
    pub session_ttl: Duration,
    pub max_body_bytes: usize,
    pub cookie_secure: bool,
    /// Reverse proxies whose client-address header the login limits believe (see `config/web.rs`).
    pub trusted_proxies: Option<chorus_web::TrustedProxies>,
    /// The bearer token `/metrics` asks for; without one, `/metrics` is off.
    pub metrics_token: Option<Secret>,
    /// Whether pages show images from other sites (off: only this server's own).
    pub external_images: bool,
}

#[derive(Debug, Clone)]
pub struct Log {
    pub json: bool,
    /// A `tracing` filter, e.g. `info` or `chorus_web=debug,info`.
    pub filter: String,
}

/// A secret string: `Debug` never shows it.
#[derive(Clone)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    secret_key: Option<String>,
    #[serde(default)]
    server: RawServer,
    #[serde(default)]
    log: RawLog,
    #[serde(default)]
    ingest: RawIngest,
    #[serde(default)]
    outbound: outbound::RawOutbound,
    #[serde(default)]
    numbers: RawNumbers,
    mail: Option<mail::RawMail>,
    #[serde(default)]
    reach: reach::RawReach,
    #[serde(default)]
    text: text::RawText,
    nats: Option<nats::RawNats>,
    sso: Option<sso::RawSso>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNumbers {
    bluesky_appview_url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIngest {
    allow_private_addresses: Option<bool>,
    firehose_url: Option<String>,
    feeds: Option<Vec<String>>,
    feed_every_minutes: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    bind: Option<String>,
    port: Option<u16>,
    public_url: Option<String>,
    session_ttl_hours: Option<u64>,
    max_body_bytes: Option<usize>,
    cookie_secure: Option<bool>,
    trusted_proxies: Option<web::StringList>,
    client_address_header: Option<String>,
    metrics_token: Option<String>,
    external_images: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLog {
    format: Option<String>,
    level: Option<String>,
}

/// Values given on the command line; they win over the environment and the file.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub bind: Option<String>,
    pub port: Option<u16>,
    pub log_json: bool,
    pub log_level: Option<String>,
}

/// A configuration problem, naming the key and the source of its value.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {key}: {message}{}", origin_hint(.origin))]
pub struct ConfigError {
    pub key: String,
    pub message: String,
    /// Where the value came from: a file, an environment variable, a flag.
    pub origin: Option<String>,
}

fn origin_hint(origin: &Option<String>) -> String {
    origin
        .as_ref()
        .map(|s| format!(" (set in {s})"))
        .unwrap_or_default()
}

fn err(key: &str, message: impl Into<String>, sources: &BTreeMap<String, String>) -> ConfigError {
    ConfigError {
        key: key.to_owned(),
        message: message.into(),
        origin: sources.get(key).cloned(),
    }
}

const ENV_PREFIX: &str = "CHORUS__";

impl Config {
    /// Reads `file` (if given), the environment `env`, and the command-line `overrides`.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
        overrides: &Overrides,
    ) -> Result<Config, ConfigError> {
        let mut table = toml::Table::new();
        let mut sources: BTreeMap<String, String> = BTreeMap::new();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
                key: "--config".into(),
                message: format!("cannot read {}: {e}", path.display()),
                origin: None,
            })?;
            table = text.parse::<toml::Table>().map_err(|e| ConfigError {
                key: "file".into(),
                message: format!("{} is not valid TOML: {}", path.display(), e.message()),
                origin: e.span().map(|s| line_col(&text, s.start)),
            })?;
            collect_keys(&table, "", &mut |k| {
                sources.insert(k, path.display().to_string());
            });
        }
        for (name, value) in env {
            let Some(rest) = name.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            let path: Vec<String> = rest.split("__").map(|p| p.to_ascii_lowercase()).collect();
            let key = path.join(".");
            if path.iter().any(|p| p.is_empty()) {
                return Err(ConfigError {
                    key,
                    message: "malformed variable name; use CHORUS__SECTION__KEY".into(),
                    origin: Some(name),
                });
            }
            insert(&mut table, &path, scalar(&value));
            sources.insert(key, format!("environment variable {name}"));
        }
        let mut set = |path: &[&str], v: toml::Value| {
            let owned: Vec<String> = path.iter().map(|s| (*s).to_owned()).collect();
            sources.insert(owned.join("."), "a command-line flag".into());
            insert(&mut table, &owned, v);
        };
        if let Some(d) = &overrides.data_dir {
            set(&["data_dir"], toml::Value::String(d.display().to_string()));
        }
        if let Some(u) = &overrides.database_url {
            set(&["database_url"], toml::Value::String(u.clone()));
        }
        if let Some(b) = &overrides.bind {
            set(&["server", "bind"], toml::Value::String(b.clone()));
        }
        if let Some(p) = overrides.port {
            set(&["server", "port"], toml::Value::Integer(i64::from(p)));
        }
        if overrides.log_json {
            set(&["log", "format"], toml::Value::String("json".into()));
        }
        if let Some(l) = &overrides.log_level {
            set(&["log", "level"], toml::Value::String(l.clone()));
        }
        let raw: RawConfig =
            serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
                let path = e.path().to_string();
                let message = e.inner().to_string();
                // For an unknown key the path already ends with it.
                let field = message
                    .strip_prefix("unknown field `")
                    .and_then(|r| r.split('`').next());
                let key = match (field, path.as_str()) {
                    (Some(f), "." | "") => f.to_owned(),
                    (_, p) => p.to_owned(),
                };
                let message = if field.is_some() {
                    format!("unknown key; {message}")
                } else {
                    message
                };
                err(&key, message, &sources)
            })?;
        validate(raw, &sources)
    }

    /// The 32-byte key that seals stored credentials: `secret_key` from the configuration, or the
    /// file `secret.key` in the data directory (base64 text), created (mode 0600) with random
    /// bytes on first use.
    pub fn secret_key(&self) -> anyhow::Result<[u8; 32]> {
        use anyhow::Context;
        use base64::Engine;
        let decode = |b64: &str, what: &str| -> anyhow::Result<[u8; 32]> {
            base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .with_context(|| format!("{what} must hold base64 of exactly 32 bytes"))
        };
        if let Some(Secret(k)) = &self.secret_key {
            return decode(k, "secret_key");
        }
        let path = self.data_dir.join("secret.key");
        match std::fs::read_to_string(&path) {
            Ok(text) => decode(&text, &path.display().to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                use rand::RngCore;
                let mut key = [0u8; 32];
                rand::rng().fill_bytes(&mut key);
                std::fs::create_dir_all(&self.data_dir)
                    .with_context(|| format!("creating {}", self.data_dir.display()))?;
                let text = base64::engine::general_purpose::STANDARD.encode(key);
                write_private(&path, text.as_bytes())
                    .with_context(|| format!("writing {}", path.display()))?;
                tracing::info!(path = %path.display(), "created a new secret key; back it up with the database");
                Ok(key)
            }
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// The URL people open in a browser.
    pub fn public_url(&self, bound_port: u16) -> String {
        if let Some(u) = &self.server.public_url {
            return u.trim_end_matches('/').to_owned();
        }
        let host = if self.server.bind.is_unspecified() || self.server.bind.is_loopback() {
            "localhost".to_owned()
        } else if self.server.bind.is_ipv6() {
            format!("[{}]", self.server.bind)
        } else {
            self.server.bind.to_string()
        };
        format!("http://{host}:{bound_port}")
    }
}

fn validate(raw: RawConfig, sources: &BTreeMap<String, String>) -> Result<Config, ConfigError> {
    let data_dir = raw
        .data_dir
        .unwrap_or_else(|| PathBuf::from("./chorus-data"));
    let database = match raw.database_url.as_deref() {
        None | Some("") => DatabaseUrl::sqlite_in(&data_dir),
        Some(url) => {
            DatabaseUrl::parse(url).map_err(|e| err("database_url", e.message, sources))?
        }
    };
    let secret_key = match raw.secret_key {
        None => None,
        Some(k) => {
            use base64::Engine;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(k.trim())
                .map_err(|_| {
                    err(
                        "secret_key",
                        "must be base64 (e.g. from `openssl rand -base64 32`)",
                        sources,
                    )
                })?;
            if bytes.len() != 32 {
                return Err(err(
                    "secret_key",
                    format!("must decode to 32 bytes, not {}", bytes.len()),
                    sources,
                ));
            }
            Some(Secret(k.trim().to_owned()))
        }
    };
    let bind: IpAddr = raw
        .server
        .bind
        .as_deref()
        .unwrap_or("127.0.0.1")
        .parse()
        .map_err(|_| {
            err(
                "server.bind",
                "must be an IP address such as 127.0.0.1 or 0.0.0.0",
                sources,
            )
        })?;
    // The address people reach Chorus at; published links point at its click redirects
    // (`/l/{code}`), so it must be a plain http(s) address.
    let public_url = match raw.server.public_url.filter(|u| !u.trim().is_empty()) {
        None => None,
        Some(u) => Some(
            chorus_core::links::PublicBase::parse(&u)
                .map_err(|e| err("server.public_url", e.message, sources))?
                .as_str()
                .to_owned(),
        ),
    };
    let ttl_hours = raw.server.session_ttl_hours.unwrap_or(12);
    if !(1..=24 * 90).contains(&ttl_hours) {
        return Err(err(
            "server.session_ttl_hours",
            "must be between 1 and 2160 (90 days)",
            sources,
        ));
    }
    let max_body = raw.server.max_body_bytes.unwrap_or(1024 * 1024);
    if !(1024..=100 * 1024 * 1024).contains(&max_body) {
        return Err(err(
            "server.max_body_bytes",
            "must be between 1024 and 104857600",
            sources,
        ));
    }
    let trusted_proxies = web::trusted_proxies(
        raw.server.trusted_proxies,
        raw.server.client_address_header,
        sources,
    )?;
    let metrics_token = web::metrics_token(raw.server.metrics_token, sources)?;
    let https = public_url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"));
    let json = match raw.log.format.as_deref().unwrap_or("text") {
        "text" => false,
        "json" => true,
        other => {
            return Err(err(
                "log.format",
                format!("is {other:?}; use \"text\" or \"json\""),
                sources,
            ));
        }
    };
    let filter = raw.log.level.unwrap_or_else(|| "info".to_owned());
    if tracing_subscriber::EnvFilter::try_new(&filter).is_err() {
        return Err(err(
            "log.level",
            format!("{filter:?} is not a log filter; use error, warn, info, debug or trace"),
            sources,
        ));
    }
    if let Some(u) = raw.ingest.firehose_url.as_deref().filter(|u| !u.is_empty())
        && !(u.starts_with("ws://") || u.starts_with("wss://"))
    {
        return Err(err(
            "ingest.firehose_url",
            "must start with ws:// or wss://, e.g. wss://bsky.network",
            sources,
        ));
    }
    let feeds = raw.ingest.feeds.unwrap_or_default();
    for (i, f) in feeds.iter().enumerate() {
        if chorus_outbound::Url::parse(f).map_or(true, |u| !matches!(u.scheme(), "http" | "https"))
        {
            return Err(err(
                "ingest.feeds",
                format!("entry {} ({f:?}) is not an http:// or https:// URL", i + 1),
                sources,
            ));
        }
    }
    let feed_every_minutes = raw.ingest.feed_every_minutes.unwrap_or(15);
    if !(1..=24 * 60).contains(&feed_every_minutes) {
        return Err(err(
            "ingest.feed_every_minutes",
            format!("is {feed_every_minutes}; use 1 to 1440"),
            sources,
        ));
    }
    let outbound = outbound::validate(raw.outbound, sources)?;
    let mail = mail::validate(raw.mail, sources)?;
    let reach = reach::validate(raw.reach, &data_dir, sources)?;
    let text = text::validate(raw.text, sources)?;
    let nats = nats::validate(raw.nats, sources)?;
    let sso = sso::validate(raw.sso, sources)?;
    let appview = raw
        .numbers
        .bluesky_appview_url
        .map(|u| u.trim().trim_end_matches('/').to_owned())
        .filter(|u| !u.is_empty());
    if let Some(u) = &appview
        && chorus_outbound::Url::parse(u)
            .map_or(true, |url| !matches!(url.scheme(), "http" | "https"))
    {
        return Err(err(
            "numbers.bluesky_appview_url",
            "must be an http:// or https:// URL, e.g. https://public.api.bsky.app",
            sources,
        ));
    }
    Ok(Config {
        data_dir,
        database,
        secret_key,
        server: Server {
            bind,
            port: raw.server.port.unwrap_or(8080),
            public_url,
            session_ttl: Duration::from_secs(ttl_hours * 3600),
            max_body_bytes: max_body,
            cookie_secure: raw.server.cookie_secure.unwrap_or(https),
            trusted_proxies,
            metrics_token,
            external_images: raw.server.external_images.unwrap_or(false),
        },
        log: Log { json, filter },
        ingest: Ingest {
            allow_private_addresses: raw.ingest.allow_private_addresses.unwrap_or(false),
            firehose_url: raw.ingest.firehose_url.filter(|u| !u.is_empty()),
            feeds,
            feed_every: Duration::from_secs(feed_every_minutes * 60),
        },
        outbound,
        numbers: Numbers {
            bluesky_appview_url: appview,
        },
        mail,
        reach,
        text,
        nats,
        sso,
    })
}

/// Writes a new file readable only by its owner; fails if it exists.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(bytes)
}

/// An environment value as TOML: numbers and booleans typed, anything else a string.
fn scalar(raw: &str) -> toml::Value {
    if let Ok(i) = raw.parse::<i64>() {
        return toml::Value::Integer(i);
    }
    match raw {
        "true" => toml::Value::Boolean(true),
        "false" => toml::Value::Boolean(false),
        _ => toml::Value::String(raw.to_owned()),
    }
}

fn insert(table: &mut toml::Table, path: &[String], value: toml::Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut t = table;
    for p in parents {
        let entry = t
            .entry(p.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if !entry.is_table() {
            *entry = toml::Value::Table(toml::Table::new());
        }
        let toml::Value::Table(next) = entry else {
            return;
        };
        t = next;
    }
    t.insert(last.clone(), value);
}

fn collect_keys(table: &toml::Table, prefix: &str, f: &mut impl FnMut(String)) {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        if let toml::Value::Table(t) = v {
            collect_keys(t, &key, f);
        }
        f(key);
    }
}

fn line_col(text: &str, offset: usize) -> String {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("line {line}, column {col}")
}

#[cfg(test)]
mod tests;

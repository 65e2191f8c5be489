//! `chorus bluesky …`: connect an account, post, and watch the firehose.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use chorus_networks::Network as _;
use chorus_networks::StreamStats;
use chorus_networks::bluesky::credentials::{SealedAccount, StoredAccount};
use chorus_networks::bluesky::firehose::{FirehoseConfig, subscribe};
use chorus_networks::bluesky::{Agent, Bluesky, Resolver, Secret, SecretKey, Xrpc, http_client};
use chorus_networks::model::PublishRequest;
use chorus_outbound::{Builder, Client};

/// Bluesky over the AT Protocol.
#[derive(Debug, clap::Subcommand)]
pub enum BlueskyCommand {
    /// Log in and remember the account (sealed with the secret key) in the data directory.
    Login {
        /// The account's PDS, e.g. https://bsky.social or http://localhost:2583.
        #[arg(long)]
        pds: String,
        /// Handle (alice.bsky.social) or DID.
        #[arg(long)]
        handle: String,
        /// An app password (prefer the environment variable: arguments show in `ps`).
        #[arg(long, env = "CHORUS_BLUESKY_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// Publish a post as the remembered account; prints its at:// URI and CID as JSON.
    Post {
        /// The text (at most 300 characters); links, @mentions and #hashtags become facets.
        text: String,
        /// Chorus id for this publication: running again with the same id never posts twice.
        #[arg(long)]
        id: Option<String>,
        /// Language tags, e.g. --lang en --lang fi.
        #[arg(long)]
        lang: Vec<String>,
    },
    /// Print firehose events as JSON lines (post text included); a rate counter on stderr.
    Firehose {
        /// WebSocket URL of the relay or PDS, e.g. ws://localhost:2583.
        #[arg(long)]
        url: String,
        /// Resume after this sequence number (printed as `cursor` with every event). Without it,
        /// resumes after the last event printed for this URL (kept in the data directory).
        #[arg(long)]
        cursor: Option<i64>,
        /// Start from the live position, ignoring the remembered cursor.
        #[arg(long, conflicts_with = "cursor")]
        from_now: bool,
        /// Stop after this many events.
        #[arg(long)]
        limit: Option<u64>,
        /// PLC directory for resolving authors' handles, e.g. https://plc.directory (without it,
        /// handles come only from #identity events).
        #[arg(long)]
        plc: Option<String>,
    },
}

pub fn run(cmd: BlueskyCommand, config: &crate::config::Config) -> anyhow::Result<()> {
    let dir = config.data_dir.clone();
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let key = SecretKey::from_bytes(config.secret_key()?);
    // Every request to a PDS, the PLC directory or a handle's host goes through the guard.
    let outbound = config.outbound.builder();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async move {
        match cmd {
            BlueskyCommand::Login {
                pds,
                handle,
                password,
            } => {
                let http = http_client(&outbound)?;
                login(&dir, &key, &http, &pds, &handle, Secret::new(password)).await
            }
            BlueskyCommand::Post { text, id, lang } => {
                let http = http_client(&outbound)?;
                post(&dir, &key, &http, text, id, lang).await
            }
            BlueskyCommand::Firehose {
                url,
                cursor,
                from_now,
                limit,
                plc,
            } => {
                let cursors = CursorFile(dir.join("bluesky-firehose-cursors.json"));
                let cursor = match (cursor, from_now) {
                    (Some(c), _) => Some(c),
                    (None, true) => None,
                    (None, false) => cursors.get(&url)?,
                };
                firehose(url, cursor, limit, plc, &outbound, &cursors).await
            }
        }
    })
}

/// Writes a file only its owner can read; `new` refuses to replace an existing one.
fn write_private(path: &Path, bytes: &[u8], new: bool) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .with_context(|| format!("writing {}", tmp.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    if new && path.exists() {
        bail!(
            "{} appeared while creating it; not replacing it",
            path.display()
        );
    }
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

fn account_path(dir: &Path) -> PathBuf {
    dir.join("bluesky-account.json")
}

fn save_account(dir: &Path, key: &SecretKey, account: &StoredAccount) -> anyhow::Result<()> {
    let sealed = account.seal(key)?;
    write_private(
        &account_path(dir),
        &serde_json::to_vec_pretty(&sealed)?,
        false,
    )
}

async fn login(
    dir: &Path,
    key: &SecretKey,
    http: &Client,
    pds: &str,
    handle: &str,
    password: Secret,
) -> anyhow::Result<()> {
    let xrpc = Xrpc::new(http.clone(), pds)?;
    let agent = Agent::login(xrpc, handle, &password).await?;
    let session = agent.session().await;
    let account = StoredAccount {
        pds: pds.trim_end_matches('/').to_owned(),
        did: session.did.to_string(),
        handle: session.handle.clone(),
        app_password: password,
        refresh_jwt: Some(session.refresh_jwt),
    };
    save_account(dir, key, &account)?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "logged in as {} ({}); account saved in {}",
        account.handle,
        account.did,
        account_path(dir).display()
    )?;
    Ok(())
}

async fn post(
    dir: &Path,
    key: &SecretKey,
    http: &Client,
    text: String,
    id: Option<String>,
    langs: Vec<String>,
) -> anyhow::Result<()> {
    let path = account_path(dir);
    let sealed: SealedAccount =
        serde_json::from_slice(&std::fs::read(&path).with_context(|| {
            format!(
                "no account in {}: run `chorus bluesky login` first",
                path.display()
            )
        })?)?;
    let mut account = StoredAccount::open(&sealed, key)?;
    let xrpc = Xrpc::new(http.clone(), &account.pds)?;
    let agent = match &account.refresh_jwt {
        Some(r) => match Agent::resume(xrpc.clone(), r).await {
            Ok(a) => a,
            Err(_) => Agent::login(xrpc, &account.did, &account.app_password).await?,
        },
        None => Agent::login(xrpc, &account.did, &account.app_password).await?,
    };
    account.refresh_jwt = Some(agent.session().await.refresh_jwt);
    save_account(dir, key, &account)?;

    // The time first used for an id is remembered, so a rerun derives the same record key.
    let id = id.unwrap_or_else(|| format!("cli-{}", jiff::Timestamp::now().as_nanosecond()));
    let at = first_time(dir, &id)?;
    let mut req = PublishRequest::text(id, at, text);
    req.langs = langs;
    let published = Bluesky::new(agent).publish(&req).await?;
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, &published)?;
    writeln!(out)?;
    Ok(())
}

fn first_time(dir: &Path, id: &str) -> anyhow::Result<jiff::Timestamp> {
    let path = dir.join("bluesky-publications.json");
    let mut known: BTreeMap<String, jiff::Timestamp> = match std::fs::read(&path) {
        Ok(b) => {
            serde_json::from_slice(&b).with_context(|| format!("reading {}", path.display()))?
        }
        Err(_) => BTreeMap::new(),
    };
    if let Some(at) = known.get(id) {
        return Ok(*at);
    }
    let at = jiff::Timestamp::now();
    known.insert(id.to_owned(), at);
    write_private(&path, &serde_json::to_vec_pretty(&known)?, false)?;
    Ok(at)
}

/// The HTTP URL of the service behind a firehose URL (it answers resolveHandle when it is a PDS).
fn pds_of(ws_url: &str) -> Option<String> {
    let rest = ws_url
        .strip_prefix("ws://")
        .map(|r| ("http://", r))
        .or_else(|| ws_url.strip_prefix("wss://").map(|r| ("https://", r)))?;
    let host = rest.1.split('/').next()?;
    Some(format!("{}{host}", rest.0))
}

/// Writes one JSON line; `Ok(false)` when stdout was closed.
fn write_line(out: &mut impl std::io::Write, ev: &impl serde::Serialize) -> anyhow::Result<bool> {
    let broken = |e: &std::io::Error| e.kind() == std::io::ErrorKind::BrokenPipe;
    if let Err(e) = serde_json::to_writer(&mut *out, ev) {
        return match e.io_error_kind() {
            Some(std::io::ErrorKind::BrokenPipe) => Ok(false),
            _ => Err(e.into()),
        };
    }
    match writeln!(out) {
        Ok(()) => Ok(true),
        Err(e) if broken(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Where the firehose command remembers, per URL, the cursor of the last event it printed.
struct CursorFile(PathBuf);

impl CursorFile {
    fn read(&self) -> anyhow::Result<std::collections::BTreeMap<String, i64>> {
        match std::fs::read(&self.0) {
            Ok(bytes) => serde_json::from_slice(&bytes).with_context(|| {
                format!(
                    "{} is damaged; delete it or pass --cursor",
                    self.0.display()
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Default::default()),
            Err(e) => Err(e).with_context(|| format!("reading {}", self.0.display())),
        }
    }

    fn get(&self, url: &str) -> anyhow::Result<Option<i64>> {
        Ok(self.read()?.get(url).copied())
    }

    /// Saves atomically (write a new file, then rename over the old one).
    fn set(&self, url: &str, cursor: i64) -> anyhow::Result<()> {
        let mut all = self.read()?;
        all.insert(url.to_owned(), cursor);
        let tmp = self.0.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(&all)?)
            .with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &self.0).with_context(|| format!("writing {}", self.0.display()))?;
        Ok(())
    }
}

async fn firehose(
    url: String,
    cursor: Option<i64>,
    limit: Option<u64>,
    plc: Option<String>,
    outbound: &Builder,
    cursors: &CursorFile,
) -> anyhow::Result<()> {
    let key = url.clone();
    let mut config = FirehoseConfig::new(url);
    config.cursor = cursor;
    if let Some(plc) = plc {
        let http = http_client(outbound)?;
        let handle_service = pds_of(&config.url)
            .map(|u| Xrpc::new(http.clone(), &u))
            .transpose()?;
        config.resolve_handles = Some(Resolver::new(outbound, &plc, handle_service)?);
    }
    let mut sub = subscribe(config)?;
    let stats = sub.stats.clone();
    let bar =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    bar.set_style(indicatif::ProgressStyle::with_template("{spinner} {msg}")?);
    let started = Instant::now();
    let mut last = (Instant::now(), 0u64);
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    let mut printed = 0u64;
    // The cursor of the last event written to stdout: saved only after a flush, so a restart
    // never skips an event (it may repeat the ones of the last second).
    let mut last_printed: Option<i64> = None;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let result: anyhow::Result<()> = loop {
        tokio::select! {
            ev = sub.next() => {
                let Some(ev) = ev else { break Ok(()) };
                match write_line(&mut out, &ev) {
                    Ok(true) => last_printed = Some(ev.cursor),
                    Ok(false) => break Ok(()), // stdout closed (e.g. piped into head)
                    Err(e) => break Err(e),
                }
                printed += 1;
                if limit.is_some_and(|l| printed >= l) {
                    break Ok(());
                }
            }
            _ = ticker.tick() => {
                if let Err(e) = out.flush() {
                    if e.kind() == std::io::ErrorKind::BrokenPipe {
                        break Ok(());
                    }
                    break Err(e.into());
                }
                if let Some(c) = last_printed
                    && let Err(e) = cursors.set(&key, c)
                {
                    break Err(e);
                }
                let events = StreamStats::get(&stats.events);
                let rate = (events - last.1) as f64 / last.0.elapsed().as_secs_f64().max(1e-3);
                last = (Instant::now(), events);
                bar.set_message(format!(
                    "{events} events, {rate:.0}/s, {} frames, {} malformed, {} connects, cursor {}",
                    StreamStats::get(&stats.frames),
                    StreamStats::get(&stats.malformed),
                    StreamStats::get(&stats.connects),
                    stats.cursor().map_or("none".to_owned(), |c| c.to_string()),
                ));
                bar.tick();
            }
            _ = tokio::signal::ctrl_c() => break Ok(()),
        }
    };
    if out.flush().is_ok()
        && let Some(c) = last_printed
    {
        cursors.set(&key, c)?;
    }
    bar.finish_and_clear();
    let mut err = std::io::stderr().lock();
    writeln!(
        err,
        "{printed} events in {:.1} s, {} malformed frames skipped; resume with --cursor {}",
        started.elapsed().as_secs_f64(),
        StreamStats::get(&stats.malformed),
        stats.cursor().map_or("none".to_owned(), |c| c.to_string())
    )?;
    sub.stop().await?;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_are_remembered_per_url() {
        let dir = tempfile::tempdir().unwrap();
        let f = CursorFile(dir.path().join("c.json"));
        assert_eq!(f.get("ws://a").unwrap(), None);
        f.set("ws://a", 41).unwrap();
        f.set("ws://b", 7).unwrap();
        f.set("ws://a", 42).unwrap();
        assert_eq!(f.get("ws://a").unwrap(), Some(42));
        assert_eq!(f.get("ws://b").unwrap(), Some(7));
        std::fs::write(dir.path().join("c.json"), "not json").unwrap();
        assert!(f.get("ws://a").unwrap_err().to_string().contains("damaged"));
    }

    #[test]
    fn a_publication_keeps_its_first_time() {
        let dir = tempfile::tempdir().unwrap();
        let a = first_time(dir.path(), "a").unwrap();
        assert_eq!(a, first_time(dir.path(), "a").unwrap());
    }

    #[test]
    fn firehose_url_to_its_service() {
        assert_eq!(
            pds_of("ws://localhost:2583").as_deref(),
            Some("http://localhost:2583")
        );
        assert_eq!(
            pds_of("wss://bsky.network/xrpc/com.atproto.sync.subscribeRepos").as_deref(),
            Some("https://bsky.network")
        );
        assert_eq!(pds_of("http://x"), None);
    }
}

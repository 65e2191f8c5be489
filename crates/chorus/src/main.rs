//! `chorus`: one binary, roles chosen at run time.
//!
//! Global options (configuration file, data directory, database URL, logging) come first and
//! apply to every command; see `chorus --help`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of glibc's malloc: the ingest pipeline hands batches of posts between
/// threads, and glibc's per-thread arenas grew, trimmed and re-faulted their heaps for every
/// batch (a tenth of an import's CPU in malloc, free and page faults).
///
/// Built with `no_thp`: mimalloc would otherwise ask for transparent huge pages on its arenas,
/// and the kernel then zeroes 2 MiB at each first touch, much of it memory never used. On a
/// machine whose kernel grants them on request (`madvise` mode), that was half of an import's
/// system time (0.48 → 0.26 s) and 30 MB of its peak memory.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod cmd;
mod config;
mod demo;
mod logging;

use config::{Config, Overrides};

/// Chorus: social media marketing at scale — Stories, Numbers, Conversations.
///
/// Start here: `chorus serve --demo` runs Chorus on an embedded SQLite database in
/// ./chorus-data with a demo organization, and prints the address and the demo logins.
#[derive(Debug, Parser)]
#[command(name = "chorus", version, about, long_about, propagate_version = true)]
struct Cli {
    /// A TOML configuration file (keys as in CHORUS__SECTION__KEY variables, e.g. [server] port).
    #[arg(long, global = true, env = "CHORUS_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Where the embedded database, keys and caches live [default: ./chorus-data].
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Use PostgreSQL (postgres://user:pass@host/db) or a given SQLite file (sqlite://path).
    #[arg(long, global = true, value_name = "URL")]
    database_url: Option<String>,
    /// Write logs as JSON lines (for log collectors).
    #[arg(long, global = true)]
    log_json: bool,
    /// Log filter: error, warn, info, debug, trace, or per-crate (chorus_web=debug,info).
    #[arg(long, global = true, value_name = "FILTER")]
    log_level: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Run the web UI and JSON API (and, later, jobs and ingest) in one process.
    Serve(cmd::serve::ServeArgs),
    /// Apply pending database migrations and print the schema version.
    Migrate(cmd::migrate::MigrateArgs),
    /// Create and list users, and issue API tokens.
    #[command(subcommand)]
    Users(cmd::users::UsersCommand),
    /// Copy the embedded SQLite database to FILE while Chorus runs (online backup).
    Backup(cmd::backup::BackupArgs),
    /// Restore a backup FILE into an empty data directory.
    Restore(cmd::backup::RestoreArgs),
    /// Bluesky (AT Protocol): log in, post, read the firehose.
    #[command(subcommand)]
    Bluesky(cmd::bluesky::BlueskyCommand),
    /// Listening queries: check syntax, match posts against many queries.
    #[command(subcommand)]
    Query(cmd::query::QueryCommand),
    /// Text analysis: sentiment and language.
    #[command(subcommand)]
    Text(cmd::text::TextCommand),
    /// Ingest public posts: files, RSS/Atom feeds, the Bluesky firehose.
    #[command(subcommand)]
    Ingest(cmd::ingest::IngestCommand),
    /// Listening queries in the database: import from a file, list.
    #[command(subcommand)]
    Listening(cmd::listening::ListeningCommand),
    /// Numbers: measure what Chorus published (`collect`), write a PDF report (`report`), queue
    /// the weekly emails (`send-reports`).
    #[command(subcommand)]
    Numbers(cmd::numbers::NumbersCommand),
    /// Email: send a test message through [mail], list the outbox.
    #[command(subcommand)]
    Mail(cmd::mail::MailCommand),
    /// Reach: export leads as CSV (`leads`).
    #[command(subcommand)]
    Reach(cmd::reach::ReachCommand),
    /// Outbound webhooks: `list`, `create`, `show`, `test`, `enable`, `disable`,
    /// `rotate-secret`.
    #[command(subcommand)]
    Webhooks(cmd::webhooks::WebhooksCommand),
    /// Single sign-on: `providers` (with the redirect URI to register), `check` a provider,
    /// and the `rules` that turn its groups into roles (`list`, `add`, `remove`).
    #[command(subcommand)]
    Sso(cmd::sso::SsoCommand),
}

impl Cli {
    fn overrides(&self) -> Overrides {
        let (bind, port) = match &self.command {
            Command::Serve(s) => (s.bind.clone(), s.port),
            _ => (None, None),
        };
        Overrides {
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
            bind,
            port,
            log_json: self.log_json,
            log_level: self.log_level.clone(),
        }
    }

    fn load_config(&self) -> anyhow::Result<Config> {
        Ok(Config::load(
            self.config.as_deref(),
            std::env::vars(),
            &self.overrides(),
        )?)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = run(cli);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("error: {}", error_chain(&err));
            }
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes joined by `: `, leaving out a cause whose message ends the one
/// before it (our errors and sqlx's include their source at the end of their own message; `{:#}`
/// repeated it). A cause that merely appears somewhere earlier is still said.
fn error_chain(err: &anyhow::Error) -> String {
    let mut out = String::new();
    let mut previous = String::new();
    for cause in err.chain() {
        let msg = cause.to_string();
        let repeats = msg.is_empty() || previous.ends_with(&msg);
        if !repeats {
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(&msg);
        }
        previous = msg;
    }
    out
}

fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Bluesky(_) = &cli.command {
        let config = cli.load_config()?;
        logging::init(&config.log);
        let Command::Bluesky(c) = cli.command else {
            return Ok(());
        };
        return cmd::bluesky::run(c, &config);
    }
    match cli.command {
        Command::Query(c) => return cmd::query::run(c),
        Command::Text(c) if !c.needs_store() => return cmd::text::run(c),
        _ => {}
    }
    let config = cli.load_config()?;
    logging::init(&config.log);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => cmd::serve::run(&config, args).await,
            Command::Migrate(args) => cmd::migrate::run(&config, args).await,
            Command::Users(c) => cmd::users::run(&config, c).await,
            Command::Backup(args) => cmd::backup::backup(&config, args).await,
            Command::Restore(args) => cmd::backup::restore(&config, args).await,
            Command::Ingest(c) => cmd::ingest::run(&config, c).await,
            Command::Listening(c) => cmd::listening::run(&config, c).await,
            Command::Numbers(c) => cmd::numbers::run(&config, c).await,
            Command::Mail(c) => cmd::mail::run(&config, c).await,
            Command::Reach(c) => cmd::reach::run(&config, c).await,
            Command::Webhooks(c) => cmd::webhooks::run(&config, c).await,
            Command::Sso(c) => cmd::sso::run(&config, c).await,
            Command::Text(c) => cmd::text_corrections::run(&config, c).await,
            Command::Bluesky(_) | Command::Query(_) => Ok(()),
        }
    })
}

#[cfg(test)]
mod tests {
    #[derive(Debug, thiserror::Error)]
    #[error("table users already exists")]
    struct Inner;

    #[derive(Debug, thiserror::Error)]
    #[error("while executing migration 1: {0}")]
    struct Outer(#[source] Inner);

    #[test]
    fn error_chain_says_each_cause_once() {
        let err = anyhow::Error::new(Outer(Inner)).context("migrating the database failed");
        assert_eq!(
            super::error_chain(&err),
            "migrating the database failed: while executing migration 1: table users already exists"
        );
        let plain = anyhow::Error::new(Inner).context("opening the database");
        assert_eq!(
            super::error_chain(&plain),
            "opening the database: table users already exists"
        );
    }

    #[derive(Debug, thiserror::Error)]
    #[error("connection refused")]
    struct Refused;

    #[test]
    fn error_chain_keeps_a_cause_that_only_appears_earlier() {
        // The context mentions the words, but the cause is not the end of its message.
        let err = anyhow::Error::new(Refused).context("retrying after connection refused twice");
        assert_eq!(
            super::error_chain(&err),
            "retrying after connection refused twice: connection refused"
        );
    }
}

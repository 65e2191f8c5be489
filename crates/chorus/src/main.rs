//! `chorus`: one binary, roles chosen at run time.

use std::process::ExitCode;

use clap::Parser;

mod cmd;

/// Chorus: social media marketing at scale — Stories, Numbers, Conversations.
#[derive(Debug, Parser)]
#[command(name = "chorus", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Bluesky (AT Protocol): log in, post, read the firehose.
    #[command(subcommand)]
    Bluesky(cmd::bluesky::BlueskyCommand),
    /// Listening queries: check syntax, match posts against many queries.
    #[command(subcommand)]
    Query(cmd::query::QueryCommand),
    /// Text analysis: sentiment and language.
    #[command(subcommand)]
    Text(cmd::text::TextCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Bluesky(c) => cmd::bluesky::run(c),
        Command::Query(c) => cmd::query::run(c),
        Command::Text(c) => cmd::text::run(c),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("error: {err:#}");
            }
            ExitCode::FAILURE
        }
    }
}

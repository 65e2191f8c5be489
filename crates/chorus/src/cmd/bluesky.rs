//! `chorus bluesky …`: connect an account, post, and watch the firehose.

/// Bluesky over the AT Protocol.
#[derive(Debug, clap::Subcommand)]
pub enum BlueskyCommand {
    /// Print firehose events as JSON lines.
    Firehose {
        /// WebSocket URL of the relay or PDS, e.g. ws://localhost:2583.
        #[arg(long)]
        url: String,
    },
}

pub fn run(cmd: BlueskyCommand) -> anyhow::Result<()> {
    match cmd {
        BlueskyCommand::Firehose { url } => anyhow::bail!("bluesky connector not built yet: {url}"),
    }
}

//! `chorus text …`: sentiment and language of lines of text.

/// Score the sentiment or identify the language of text.
#[derive(Debug, clap::Subcommand)]
pub enum TextCommand {
    /// Print VADER sentiment scores for each input line as JSON.
    Sentiment,
}

pub fn run(cmd: TextCommand) -> anyhow::Result<()> {
    match cmd {
        TextCommand::Sentiment => anyhow::bail!("text analysis not built yet"),
    }
}

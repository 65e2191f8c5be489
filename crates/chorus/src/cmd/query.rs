//! `chorus query …`: check and run listening queries from the command line.

/// Work with listening queries.
#[derive(Debug, clap::Subcommand)]
pub enum QueryCommand {
    /// Parse a query and print its tree, or the error with a caret under the problem.
    Check {
        /// The query text, e.g. '"new phone" AND (launch OR release) -job'.
        query: String,
    },
}

pub fn run(cmd: QueryCommand) -> anyhow::Result<()> {
    match cmd {
        QueryCommand::Check { query } => anyhow::bail!("query engine not built yet: {query}"),
    }
}

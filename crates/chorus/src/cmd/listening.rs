//! `chorus listening …`: listening queries in the database, from the command line.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;

use anyhow::{Context, bail};
use chorus_core::audit::Author;
use chorus_core::conversations::{QueryInput, RawQuery};
use chorus_core::org::MarketCode;

use crate::config::Config;

#[derive(Debug, clap::Subcommand)]
pub enum ListeningCommand {
    /// Add queries to a market from a file: TSV `name<TAB>query`, or JSON lines with `name`,
    /// `query` and optional `languages`, `networks`, `side`. Every query is checked first; one
    /// bad line adds none.
    Import {
        /// The market the queries belong to, e.g. FI.
        #[arg(long)]
        market: String,
        /// The owning team (by name, in that market).
        #[arg(long)]
        team: Option<String>,
        file: PathBuf,
    },
    /// List the listening queries (of one market).
    List {
        #[arg(long)]
        market: Option<String>,
    },
}

pub async fn run(config: &Config, cmd: ListeningCommand) -> anyhow::Result<()> {
    let store = crate::cmd::serve::open_store(config).await?;
    match cmd {
        ListeningCommand::Import { market, team, file } => {
            let code = MarketCode::parse(&market).map_err(|e| anyhow::anyhow!("--market: {e}"))?;
            let market = store
                .market_by_code(&code)
                .await
                .with_context(|| format!("market {code}"))?;
            let team_id = match team {
                None => None,
                Some(name) => Some(
                    store
                        .teams(Some(market.id))
                        .await?
                        .into_iter()
                        .find(|t| t.name.eq_ignore_ascii_case(name.trim()))
                        .with_context(|| format!("no team {name:?} in {code}"))?
                        .id,
                ),
            };
            let raws = read_queries(&file)?;
            let mut inputs = Vec::with_capacity(raws.len());
            for (line, raw) in raws {
                let input = QueryInput::parse(market.id, team_id, &raw)
                    .map_err(|e| anyhow::anyhow!("{}:{line}: {e}", file.display()))?;
                let effective = input.effective_query();
                if let Err(e) = chorus_query::parse(&effective) {
                    match chorus_query::parse(&input.query) {
                        Err(e) => bail!(
                            "{}:{line}: invalid query\n{}",
                            file.display(),
                            e.render(&input.query)
                        ),
                        Ok(_) => bail!("{}:{line}: languages or networks: {e}", file.display()),
                    }
                }
                inputs.push(input);
            }
            let n = store
                .create_listening_queries(&Author::system("cli"), &inputs)
                .await?;
            writeln!(
                std::io::stdout().lock(),
                "added {n} listening queries to {code}"
            )?;
        }
        ListeningCommand::List { market } => {
            let market_id = match market {
                Some(m) => {
                    let code =
                        MarketCode::parse(&m).map_err(|e| anyhow::anyhow!("--market: {e}"))?;
                    Some(store.market_by_code(&code).await?.id)
                }
                None => None,
            };
            let markets = store.markets().await?;
            let mut out = std::io::stdout().lock();
            for q in store.listening_queries(market_id).await? {
                let code = markets
                    .iter()
                    .find(|m| m.id == q.market_id)
                    .map(|m| m.code.to_string())
                    .unwrap_or_default();
                writeln!(
                    out,
                    "{}\t{code}\t{}\t{}\t{}{}",
                    q.id,
                    q.side.as_str(),
                    q.name,
                    q.query,
                    if q.active { "" } else { "\t(paused)" }
                )?;
            }
        }
    }
    store.close().await;
    Ok(())
}

fn read_queries(path: &PathBuf) -> anyhow::Result<Vec<(usize, RawQuery)>> {
    let f = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in BufReader::new(f).lines().enumerate() {
        let line = line.with_context(|| format!("{}: read error", path.display()))?;
        let t = line.trim_end_matches('\r');
        if t.trim().is_empty() || t.starts_with('#') {
            continue;
        }
        let raw = if t.trim_start().starts_with('{') {
            serde_json::from_str::<RawQuery>(t)
                .with_context(|| format!("{}:{}: bad JSON query line", path.display(), i + 1))?
        } else {
            let Some((name, query)) = t.split_once('\t') else {
                bail!("{}:{}: expected `name<TAB>query`", path.display(), i + 1);
            };
            RawQuery {
                name: name.to_owned(),
                query: query.to_owned(),
                ..RawQuery::default()
            }
        };
        out.push((i + 1, raw));
    }
    Ok(out)
}

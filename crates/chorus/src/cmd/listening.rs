//! `chorus listening …`: listening queries in the database, from the command line. The
//! operator acts through the same use cases as the pages and the API
//! (`chorus_app::conversations::queries`), audited as `system (cli)`.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use chorus_app::conversations::queries::{self, ImportError};
use chorus_app::{App, AppConfig, Caller};
use chorus_core::conversations::RawQuery;

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
    let app = App::new(store.clone(), AppConfig::default());
    let result = match cmd {
        ListeningCommand::Import { market, team, file } => {
            import(&app, &market, team.as_deref(), &file).await
        }
        ListeningCommand::List { market } => list(&app, market.as_deref()).await,
    };
    store.close().await;
    result
}

/// Validates every query of the file (the same validation as the pages and the API), then adds
/// them all in one transaction, as the operator.
async fn import(app: &App, market: &str, team: Option<&str>, file: &Path) -> anyhow::Result<()> {
    let lines = read_queries(file)?;
    let raws: Vec<RawQuery> = lines.iter().map(|(_, raw)| raw.clone()).collect();
    let n = match queries::import(app, &Caller::operator(), market, team, &raws).await {
        Ok(n) => n,
        Err(ImportError::Query { index, error }) => {
            let (line, raw) = &lines[index];
            let at = format!("{}:{line}", file.display());
            // A query that does not parse is shown with a caret under the problem.
            let caret = (error.field() == Some("query"))
                .then(|| queries::check(raw.query.trim(), &[], &[]).error)
                .flatten()
                .map(|e| e.rendered)
                .filter(|r| !r.is_empty());
            match caret {
                Some(rendered) => bail!("{at}: invalid query\n{rendered}"),
                None => bail!("{at}: {}: {error}", error.field().unwrap_or("query")),
            }
        }
        Err(ImportError::Other(e)) => bail!(
            "{}: {e}",
            e.field().map_or("--market".into(), |f| format!("--{f}"))
        ),
    };
    writeln!(
        std::io::stdout().lock(),
        "added {n} listening queries to {}",
        market.trim().to_ascii_uppercase()
    )?;
    Ok(())
}

/// Every listening query (of one market), one a line: id, market, side, name, query.
async fn list(app: &App, market: Option<&str>) -> anyhow::Result<()> {
    let (all, markets) = queries::all(app, &Caller::operator(), market)
        .await
        .map_err(|e| anyhow::anyhow!("--market: {e}"))?;
    let mut out = std::io::stdout().lock();
    for q in all {
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
    Ok(())
}

fn read_queries(path: &Path) -> anyhow::Result<Vec<(usize, RawQuery)>> {
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

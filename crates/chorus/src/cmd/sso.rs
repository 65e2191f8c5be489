//! `chorus sso providers|check|rules`: single sign-on from the command line, as the operator,
//! through the same use cases as Admin → Sign-in (`chorus_app::sso`). Providers are read from
//! `[[sso.providers]]`; rules are stored, and apply from each person's next sign-in.

use std::io::Write;

use chorus_app::sso::{self, NewRule};
use chorus_app::{App, AppConfig, Caller};
use chorus_core::sso::{GroupRule, RuleScope};
use clap::Subcommand;

use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum SsoCommand {
    /// The identity providers in config, with the redirect URI to register at each.
    Providers,
    /// Fetch a provider's discovery document and keys, as a sign-in will: shows its endpoints,
    /// or says what is wrong (unreachable, an issuer that differs, no PKCE).
    Check {
        /// The provider's id (`[[sso.providers]] id`).
        provider: String,
    },
    /// The rules that turn a provider's groups into roles.
    #[command(subcommand)]
    Rules(RulesCommand),
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Every rule: id, group, role, where.
    List,
    /// Add a rule; it applies from each person's next sign-in.
    ///
    /// Examples:
    ///   chorus sso rules add social-fi-editors editor --market FI
    ///   chorus sso rules add 'social-leads-*' market_lead --market-from-suffix
    ///   chorus sso rules add chorus-admins admin
    ///
    /// Roles: admin global_lead market_lead editor contributor community_manager analyst
    #[command(verbatim_doc_comment)]
    Add {
        /// The group's name as the provider sends it, or a prefix ending in `*`.
        group: String,
        role: String,
        /// A market's code; default every market.
        #[arg(long, conflicts_with = "market_from_suffix")]
        market: Option<String>,
        /// The market is the one whose code the group's `*` matched (social-leads-fi → FI).
        #[arg(long)]
        market_from_suffix: bool,
    },
    /// Delete a rule; what it gave is taken back at each holder's next sign-in.
    Remove { id: i64 },
}

pub async fn run(config: &Config, cmd: SsoCommand) -> anyhow::Result<()> {
    let store = crate::cmd::serve::open_store(config).await?;
    let outbound = chorus_networks::bluesky::http_client(&config.outbound.builder())
        .map_err(|e| anyhow::anyhow!("building the outbound client: {e}"))?;
    let public_url = chorus_core::links::PublicBase::parse(&config.public_url(config.server.port))
        .map_err(|e| anyhow::anyhow!("server.public_url {}", e.message))?;
    let app = App::new(store.clone(), AppConfig::default())
        .with_outbound(outbound)
        .with_public_url(public_url)
        .with_sso(config.sso.clone());
    let result = act(&app, cmd).await;
    store.close().await;
    result
}

async fn act(app: &App, cmd: SsoCommand) -> anyhow::Result<()> {
    let op = Caller::operator();
    let mut out = std::io::stdout().lock();
    match cmd {
        SsoCommand::Providers => {
            let list = sso::configured(app, &op)?;
            if list.is_empty() {
                writeln!(
                    out,
                    "no identity provider is configured; add one under [[sso.providers]] \
                     (see the README's \"Single sign-on\" section)"
                )?;
            }
            for p in list {
                writeln!(out, "{}  {:?}  {}", p.id, p.display_name, p.issuer)?;
                writeln!(out, "  client id:    {}", p.client_id)?;
                writeln!(out, "  redirect URI: {}", p.redirect_uri)?;
                writeln!(out, "  scopes:       {}", p.scopes.join(" "))?;
                writeln!(out, "  groups claim: {}", p.groups_claim)?;
            }
        }
        SsoCommand::Check { provider } => match sso::check(app, &op, &provider).await? {
            Ok(report) => {
                writeln!(out, "{provider}: discovery and keys answer")?;
                writeln!(out, "  issuer:        {}", report.issuer)?;
                writeln!(out, "  authorization: {}", report.authorization_endpoint)?;
                writeln!(out, "  token:         {}", report.token_endpoint)?;
                writeln!(out, "  keys:          {} published", report.keys)?;
            }
            Err(refused) => anyhow::bail!("{provider}: {refused}"),
        },
        SsoCommand::Rules(RulesCommand::List) => {
            let rules = sso::rules(app, &op).await?;
            if rules.is_empty() {
                writeln!(out, "no rules: nobody can sign in with a provider yet")?;
            }
            let markets = app_markets(app).await?;
            for r in &rules {
                writeln!(out, "{}", line(r, &markets))?;
            }
        }
        SsoCommand::Rules(RulesCommand::Add {
            group,
            role,
            market,
            market_from_suffix,
        }) => {
            let rule = sso::create_rule(
                app,
                &op,
                &NewRule {
                    group,
                    role,
                    market,
                    market_from_suffix,
                },
            )
            .await?;
            writeln!(out, "added {}", line(&rule, &app_markets(app).await?))?;
        }
        SsoCommand::Rules(RulesCommand::Remove { id }) => {
            sso::delete_rule(app, &op, id).await?;
            writeln!(
                out,
                "removed rule {id}; it gives nothing from each holder's next sign-in"
            )?;
        }
    }
    Ok(())
}

async fn app_markets(app: &App) -> anyhow::Result<Vec<(chorus_core::MarketId, String)>> {
    Ok(chorus_app::org::markets(app, &Caller::operator())
        .await?
        .into_iter()
        .map(|m| (m.id, m.code.to_string()))
        .collect())
}

/// `3  social-leads-*  → market_lead  in the market the * names`
fn line(r: &GroupRule, markets: &[(chorus_core::MarketId, String)]) -> String {
    let place = match r.scope {
        RuleScope::Global => "in all markets".to_owned(),
        RuleScope::Market(m) => format!(
            "in {}",
            markets
                .iter()
                .find(|(id, _)| *id == m)
                .map_or("?", |(_, c)| c.as_str())
        ),
        RuleScope::FromSuffix => "in the market the * names".to_owned(),
    };
    format!(
        "{}  {}  → {}  {place}",
        r.id,
        r.group.as_str(),
        r.role.as_str()
    )
}

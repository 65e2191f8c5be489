//! `chorus users …`: the first admin, listing, API tokens — for setup and scripts.

use std::io::Write;

use anyhow::{Context, bail};
use chorus_core::audit::Author;
use chorus_core::org::MarketCode;
use chorus_core::user::{Email, Membership, check_new_password};
use chorus_core::{Role, Scope};
use chorus_store::NewUser;

use crate::cmd::serve::open_store;
use crate::config::Config;

#[derive(Debug, clap::Subcommand)]
pub enum UsersCommand {
    /// Create a user, e.g. the first admin:
    /// `chorus users create --email ana@example.com --role admin`.
    Create {
        #[arg(long)]
        email: String,
        /// admin, global_lead, market_lead, editor, contributor, community_manager or analyst.
        #[arg(long)]
        role: String,
        /// Market code for market roles (e.g. FI); omit for a global role.
        #[arg(long)]
        market: Option<String>,
        /// Display name [default: the part of the email before @].
        #[arg(long)]
        name: Option<String>,
        /// Read the password from this environment variable instead of generating one.
        #[arg(long, value_name = "VAR")]
        password_env: Option<String>,
    },
    /// List users and their roles.
    List,
    /// Issue an API token for a user (printed once).
    Token {
        #[arg(long)]
        email: String,
        /// What the token is for, e.g. "weekly report".
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

pub async fn run(config: &Config, cmd: UsersCommand) -> anyhow::Result<()> {
    let store = open_store(config).await?;
    let author = Author::system("cli");
    let mut out = std::io::stdout().lock();
    match cmd {
        UsersCommand::Create {
            email,
            role,
            market,
            name,
            password_env,
        } => {
            let email = Email::parse(&email).map_err(|e| e.at("--email"))?;
            let role = Role::parse(&role).map_err(|e| e.at("--role"))?;
            let market_id =
                match market {
                    None => None,
                    Some(code) => {
                        let code = MarketCode::parse(&code).map_err(|e| e.at("--market"))?;
                        Some(store.market_by_code(&code).await.with_context(|| {
                        format!("--market: no market {code}; create it in the admin pages first")
                    })?.id)
                    }
                };
            let membership = Membership::new(role, market_id).map_err(|e| e.at("--market"))?;
            let (password, generated) = match password_env {
                Some(var) => (
                    std::env::var(&var)
                        .with_context(|| format!("--password-env: ${var} is not set"))?,
                    false,
                ),
                None => (generate_password(), true),
            };
            check_new_password(&password).map_err(|e| e.at("password"))?;
            let display_name = name.unwrap_or_else(|| {
                email
                    .as_str()
                    .split('@')
                    .next()
                    .unwrap_or("user")
                    .to_owned()
            });
            let hash = chorus_core::password::hash(&password)?;
            let user = store
                .create_user(
                    &author,
                    &NewUser {
                        email: email.clone(),
                        display_name,
                        password_hash: Some(hash),
                        memberships: vec![membership],
                    },
                )
                .await?;
            writeln!(
                out,
                "created user {} ({}) as {}",
                user.id,
                email,
                role.label()
            )?;
            if generated {
                writeln!(out, "password: {password}")?;
                writeln!(out, "(shown once; sign in and keep it somewhere safe)")?;
            }
        }
        UsersCommand::List => {
            let markets = store.markets().await?;
            for u in store.users(None).await? {
                let roles: Vec<String> = u
                    .memberships
                    .iter()
                    .map(|m| match m.scope {
                        Scope::Global => m.role.to_string(),
                        Scope::Market(id) => format!(
                            "{}@{}",
                            m.role,
                            markets
                                .iter()
                                .find(|x| x.id == id)
                                .map_or_else(|| id.to_string(), |x| x.code.to_string())
                        ),
                    })
                    .collect();
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}{}",
                    u.user.id,
                    u.user.email,
                    u.user.display_name,
                    roles.join(","),
                    if u.user.active { "" } else { "\t(deactivated)" }
                )?;
            }
        }
        UsersCommand::Token { email, name } => {
            let email = Email::parse(&email).map_err(|e| e.at("--email"))?;
            let Some(user) = store.user_by_email(&email).await? else {
                bail!("--email: no user {email}");
            };
            let token = store.create_api_token(&author, user.id, &name).await?;
            writeln!(out, "{}", token.secret)?;
        }
    }
    Ok(())
}

/// 20 characters from an unambiguous alphabet: about 115 bits.
fn generate_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

//! `chorus users …`: the first admin, listing, API tokens — for setup and scripts. The
//! command acts as the operator (`Caller::operator()`, audited as "system (cli)") through the same
//! use cases as the pages and the API.

use std::io::Write;

use anyhow::{Context, anyhow};
use chorus_app::users::{self, MembershipFields, NewUserFields};
use chorus_app::{App, AppConfig, Caller, auth, org};
use chorus_core::Scope;

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
    let app = App::new(open_store(config).await?, AppConfig::default());
    let operator = Caller::operator();
    let mut out = std::io::stdout().lock();
    match cmd {
        UsersCommand::Create {
            email,
            role,
            market,
            name,
            password_env,
        } => {
            let (password, generated) = match password_env {
                Some(var) => (
                    std::env::var(&var)
                        .with_context(|| format!("--password-env: ${var} is not set"))?,
                    false,
                ),
                None => (generate_password(), true),
            };
            let display_name = name.unwrap_or_else(|| {
                let email = email.trim().to_lowercase();
                email.split('@').next().unwrap_or("user").to_owned()
            });
            let fields = NewUserFields {
                email,
                display_name,
                password,
                memberships: vec![MembershipFields {
                    role,
                    market: market.unwrap_or_default(),
                }],
            };
            let created = users::create(&app, &operator, &fields)
                .await
                .map_err(flag_error)?;
            let role = created.memberships.first().map_or("", |m| m.role.label());
            writeln!(
                out,
                "created user {} ({}) as {role}",
                created.user.id, created.user.email,
            )?;
            if generated {
                writeln!(out, "password: {}", fields.password)?;
                writeln!(out, "(shown once; sign in and keep it somewhere safe)")?;
            }
        }
        UsersCommand::List => {
            let markets = org::markets(&app, &operator).await?;
            for u in users::list(&app, &operator).await? {
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
            let token = auth::issue_token(&app, &operator, &email, &name)
                .await
                .map_err(|e| match e {
                    chorus_app::Error::NotFound(_) => anyhow!("--email: no user {}", email.trim()),
                    e => flag_error(e),
                })?;
            writeln!(out, "{}", token.secret)?;
        }
    }
    Ok(())
}

/// A use case's refusal in the terms of the command line: the flag that was given.
fn flag_error(e: chorus_app::Error) -> anyhow::Error {
    let flag = e.field().map(|field| {
        match field.rsplit_once('.').map_or(field, |(_, f)| f) {
            "email" => "--email",
            "display_name" => "--name",
            "password" => "password",
            "role" | "memberships" => "--role",
            "market" => "--market",
            "name" => "--name",
            other => other,
        }
        .to_owned()
    });
    match flag {
        Some(flag) => anyhow!("{flag}: {e}"),
        None => anyhow!(e),
    }
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

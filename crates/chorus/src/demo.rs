//! The demo organization (`chorus serve --demo`): markets on five continents, teams, one user per
//! role, the six-principle playbook, a living Stories section (see [`stories`]), from
//! `demo/demo.toml`, about 90 days of generated Numbers history, labelled as demo data
//! (see [`numbers`]), and Reach: a gated asset, a webinar and their leads (see [`reach`]).
//!
//! Loading is idempotent and resumable: each market, team, user and principle is created only if
//! missing, so a second start (or a start after a crash mid-load) changes nothing that exists.

mod numbers;
mod reach;
mod stories;

use std::io::Write;

use anyhow::Context;
use chorus_core::Role;
use chorus_core::audit::Author;
use chorus_core::org::{MarketCode, MarketInput, team_name};
use chorus_core::playbook::{MarketExample, PrincipleInput, RawPrinciple};
use chorus_core::user::{Email, Membership};
use chorus_store::{NewUser, Organization, Store, StoreError};
use serde::Deserialize;

const DEMO: &str = include_str!("../demo/demo.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Demo {
    organization: DemoOrg,
    markets: Vec<DemoMarket>,
    users: Vec<DemoUser>,
    principles: Vec<DemoPrinciple>,
    #[serde(default)]
    listening: Vec<DemoQuery>,
    #[serde(default)]
    accounts: Vec<stories::DemoAccount>,
    #[serde(default)]
    rules: Vec<stories::DemoRule>,
    #[serde(default)]
    campaigns: Vec<stories::DemoCampaign>,
    #[serde(default)]
    stories: Vec<stories::DemoStory>,
}

/// A listening query of the demo: our brand, competitors and topics, per market.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoQuery {
    market: String,
    team: Option<String>,
    name: String,
    query: String,
    #[serde(default)]
    languages: Vec<String>,
    side: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoOrg {
    name: String,
    slug: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoMarket {
    code: String,
    name: String,
    country: String,
    locales: Vec<String>,
    timezone: String,
    teams: Vec<String>,
    /// First-response target in minutes.
    #[serde(default)]
    response_minutes: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoUser {
    email: String,
    display_name: String,
    role: String,
    market: Option<String>,
    password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoPrinciple {
    number: i64,
    slug: String,
    pillar: String,
    title: String,
    statement: String,
    implications: String,
    examples: String,
    case_study: String,
    #[serde(default)]
    market_examples: Vec<DemoMarketExample>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoMarketExample {
    market: String,
    text: String,
}

/// A demo login to print.
pub struct Login {
    pub email: String,
    pub password: String,
    pub role: String,
}

/// What the demo holds, for printing.
pub struct Loaded {
    pub organization: String,
    pub logins: Vec<Login>,
}

fn parse() -> anyhow::Result<Demo> {
    toml::from_str(DEMO).context("demo/demo.toml is malformed")
}

/// Loads the demo; `reach` says where its gated asset's file goes (`[reach]`).
pub async fn load(
    store: &Store,
    reach_settings: &chorus_app::reach::ReachSettings,
) -> anyhow::Result<Loaded> {
    let demo = parse()?;
    let author = Author::system("demo");
    if store.organization().await?.is_none() {
        store
            .set_organization(
                &author,
                &Organization {
                    name: demo.organization.name.clone(),
                    slug: demo.organization.slug.clone(),
                },
            )
            .await?;
    }
    for m in &demo.markets {
        let input = MarketInput::parse(&m.code, &m.name, &m.country, &m.locales, &m.timezone)
            .with_context(|| format!("demo market {}", m.code))?;
        let market = match store.market_by_code(&input.code).await {
            Ok(existing) => existing,
            Err(StoreError::NotFound { .. }) => store.create_market(&author, &input).await?,
            Err(e) => return Err(e.into()),
        };
        let existing = store.teams(Some(market.id)).await?;
        for t in &m.teams {
            let name = team_name(t)?;
            if !existing.iter().any(|x| x.name == name) {
                store.create_team(&author, market.id, &name).await?;
            }
        }
    }
    let markets = store.markets().await?;
    let market_id = |code: &str| -> anyhow::Result<chorus_core::MarketId> {
        let code = MarketCode::parse(code)?;
        markets
            .iter()
            .find(|m| m.code == code)
            .map(|m| m.id)
            .with_context(|| format!("demo refers to unknown market {code}"))
    };
    let mut logins = Vec::new();
    for u in &demo.users {
        let email = Email::parse(&u.email)?;
        let role = Role::parse(&u.role)?;
        let market = u.market.as_deref().map(market_id).transpose()?;
        let membership = Membership::new(role, market)?;
        if store.user_by_email(&email).await?.is_none() {
            let hash = chorus_core::password::hash(&u.password)?;
            store
                .create_user(
                    &author,
                    &NewUser {
                        email: email.clone(),
                        display_name: u.display_name.clone(),
                        password_hash: Some(hash),
                        memberships: vec![membership],
                    },
                )
                .await?;
        }
        let place = u.market.as_deref().unwrap_or("global");
        logins.push(Login {
            email: email.to_string(),
            password: u.password.clone(),
            role: format!("{} ({place})", role.label()),
        });
    }
    for p in &demo.principles {
        if store.principle_by_slug(&p.slug).await.is_ok() {
            continue;
        }
        let market_examples = p
            .market_examples
            .iter()
            .map(|e| {
                Ok(MarketExample {
                    market_id: market_id(&e.market)?,
                    body: e.text.clone(),
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let input = PrincipleInput::parse(&RawPrinciple {
            number: p.number,
            slug: Some(p.slug.clone()),
            pillar: p.pillar.clone(),
            title: p.title.clone(),
            statement: p.statement.clone(),
            implications: p.implications.clone(),
            examples: p.examples.clone(),
            case_studies: p.case_study.clone(),
            market_examples,
        })
        .with_context(|| format!("demo principle {}", p.number))?;
        store.create_principle(&author, &input).await?;
    }
    load_listening(store, &author, &demo).await?;
    let section = stories::DemoStories {
        accounts: &demo.accounts,
        rules: &demo.rules,
        campaigns: &demo.campaigns,
        stories: &demo.stories,
    };
    stories::load(store, &section)
        .await
        .context("loading the demo's stories")?;
    let mut writers = std::collections::BTreeMap::new();
    for s in &demo.stories {
        writers
            .entry(s.market().to_owned())
            .or_insert_with(|| s.author().to_owned());
    }
    let cast = numbers::Cast {
        writers,
        fallback: demo
            .users
            .iter()
            .find(|u| u.role == "admin")
            .map(|u| u.email.clone())
            .context("the demo has no admin")?,
    };
    numbers::load(store, &cast, jiff::Timestamp::now())
        .await
        .context("loading the demo's Numbers history")?;
    reach::load(store, reach_settings, jiff::Timestamp::now())
        .await
        .context("loading the demo's Reach")?;
    load_webhook(store, &author)
        .await
        .context("loading the demo's webhook")?;
    Ok(Loaded {
        organization: demo.organization.name,
        logins,
    })
}

/// Listening queries and response targets per market; each created only if missing. The demo
/// holds no conversations: they come from real sources (`chorus ingest …`).
async fn load_listening(store: &Store, author: &Author, demo: &Demo) -> anyhow::Result<()> {
    use chorus_core::conversations::{QueryInput, RawQuery};
    let markets = store.markets().await?;
    let teams = store.teams(None).await?;
    for m in &demo.markets {
        let code = MarketCode::parse(&m.code)?;
        let market = markets
            .iter()
            .find(|x| x.code == code)
            .with_context(|| format!("demo market {code}"))?;
        if let Some(minutes) = m.response_minutes
            && store.response_target(market.id).await?.is_none()
        {
            let minutes = chorus_core::conversations::response_target_minutes(minutes)?;
            store
                .set_response_target(author, market.id, minutes)
                .await?;
        }
    }
    let existing = store.listening_queries(None).await?;
    for q in &demo.listening {
        let code = MarketCode::parse(&q.market)?;
        let market = markets
            .iter()
            .find(|x| x.code == code)
            .with_context(|| format!("demo query {:?}: unknown market {code}", q.name))?;
        if existing
            .iter()
            .any(|e| e.market_id == market.id && e.name == q.name)
        {
            continue;
        }
        let team = match &q.team {
            None => None,
            Some(t) => Some(
                teams
                    .iter()
                    .find(|x| x.market_id == market.id && &x.name == t)
                    .with_context(|| format!("demo query {:?}: no team {t} in {code}", q.name))?
                    .id,
            ),
        };
        let input = QueryInput::parse(
            market.id,
            team,
            &RawQuery {
                name: q.name.clone(),
                query: q.query.clone(),
                languages: q.languages.clone(),
                side: Some(q.side.clone()),
                ..RawQuery::default()
            },
        )
        .with_context(|| format!("demo query {:?}", q.name))?;
        chorus_query::parse(&input.effective_query())
            .map_err(|e| anyhow::anyhow!("demo query {:?}: {}", q.name, e.render(&q.query)))?;
        store.create_listening_query(author, &input).await?;
    }
    Ok(())
}

pub fn print_logins(out: &mut impl Write, demo: &Loaded) -> std::io::Result<()> {
    writeln!(out, "  demo organization: {}", demo.organization)?;
    writeln!(out, "  demo logins (email / password / role):")?;
    let width = demo.logins.iter().map(|l| l.email.len()).max().unwrap_or(0);
    let pw_width = demo
        .logins
        .iter()
        .map(|l| l.password.len())
        .max()
        .unwrap_or(0);
    for l in &demo.logins {
        writeln!(
            out,
            "    {:width$}  {:pw_width$}  {}",
            l.email, l.password, l.role
        )?;
    }
    Ok(())
}

/// One webhook to show Admin → Webhooks with (Finland's Reach leads to a CRM), turned off: its
/// address is an example, and the demo sends nothing anywhere. Made once.
async fn load_webhook(store: &Store, author: &Author) -> anyhow::Result<()> {
    if !store.webhooks().await?.is_empty() {
        return Ok(());
    }
    let fi = store.market_by_code(&MarketCode::parse("FI")?).await?;
    store
        .create_webhook(
            author,
            &chorus_store::EndpointInput {
                name: "CRM: Finland's Reach leads (example)",
                url: "https://crm.example.com/hooks/chorus",
                market_id: Some(fi.id),
                events: &["reach.lead_confirmed", "reach.webinar_registration"],
                enabled: false,
            },
            &chorus_core::webhooks::new_salt(),
        )
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_file_is_complete() {
        let demo = parse().unwrap();
        assert!(demo.markets.len() >= 6);
        for role in Role::ALL {
            assert!(
                demo.users
                    .iter()
                    .any(|u| Role::parse(&u.role).unwrap() == role),
                "no demo user is {role}"
            );
        }
        let titles: Vec<&str> = demo.principles.iter().map(|p| p.title.as_str()).collect();
        for t in [
            "Consider the social opportunity in everything we do",
            "Engage in better conversations with more consumers",
            "Deliver personal experiences (be authentic) and earn trust",
            "Sharing is more important than control",
            "Define clear objectives from the outset",
            "Invest and commit to social presences",
        ] {
            assert!(titles.contains(&t), "missing principle {t}");
        }
        for p in &demo.principles {
            assert!(
                !p.implications.is_empty() && !p.examples.is_empty() && !p.case_study.is_empty()
            );
        }
        let zones: std::collections::HashSet<&str> = demo
            .markets
            .iter()
            .map(|m| m.timezone.split('/').next().unwrap_or(""))
            .collect();
        assert!(
            zones.len() >= 5,
            "markets on at least five continents: {zones:?}"
        );
        // A living Stories section, and nothing that looks published without a publication.
        assert!(!demo.campaigns.is_empty() && !demo.rules.is_empty());
        let states: std::collections::HashSet<&str> =
            demo.stories.iter().map(|s| s.state.as_str()).collect();
        for s in ["draft", "in_review", "approved", "scheduled"] {
            assert!(states.contains(s), "no demo story is {s}");
        }
        assert!(
            states
                .iter()
                .all(|s| ["draft", "in_review", "approved", "scheduled"].contains(s)),
            "{states:?}"
        );
    }

    #[test]
    fn every_market_listens_for_us_and_a_competitor_in_valid_queries() {
        let demo = parse().unwrap();
        for m in &demo.markets {
            let qs: Vec<&DemoQuery> = demo
                .listening
                .iter()
                .filter(|q| q.market == m.code)
                .collect();
            assert!(
                qs.iter().any(|q| q.side == "us"),
                "{}: no query for us",
                m.code
            );
            assert!(
                qs.iter().any(|q| q.side == "competitor"),
                "{}: no competitor query",
                m.code
            );
            assert!(
                m.response_minutes.is_some(),
                "{}: no response target",
                m.code
            );
        }
        for q in &demo.listening {
            let input = chorus_core::conversations::QueryInput::parse(
                chorus_core::MarketId(1),
                None,
                &chorus_core::conversations::RawQuery {
                    name: q.name.clone(),
                    query: q.query.clone(),
                    languages: q.languages.clone(),
                    side: Some(q.side.clone()),
                    ..Default::default()
                },
            )
            .unwrap();
            chorus_query::parse(&input.effective_query())
                .unwrap_or_else(|e| panic!("{}: {}", q.name, e.render(&q.query)));
            if let Some(t) = &q.team {
                let market = demo.markets.iter().find(|m| m.code == q.market).unwrap();
                assert!(market.teams.contains(t), "{}: no team {t}", q.name);
            }
        }
    }
}

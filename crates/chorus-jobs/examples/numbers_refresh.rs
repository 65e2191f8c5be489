//! The refresh half of the Numbers benchmark (`bench/numbers/refresh.sh` runs it): how long
//! the collector takes to measure many published posts against a real AppView, and how many
//! calls it makes.
//!
//! ```text
//! numbers_refresh setup DIR --pds URL --handle H --password P [--real 2000]
//! numbers_refresh collect DIR --appview URL
//! ```
//!
//! `setup` makes a SQLite store in DIR with a market, connects the account (a real login on
//! the PDS) and creates `--real` real posts on the PDS (`applyWrites`, 200 a call), timing
//! them; their URIs go to DIR/uris.txt (the script then publishes as many variants as it
//! likes pointing at them, in bulk). `collect` runs one collection (`collect_once`, the code
//! the `collect_numbers` job runs) with counts read from the AppView, and prints the calls,
//! the posts measured and the time.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::time::Instant;

use anyhow::{Context, bail};
use chorus_core::Role;
use chorus_core::audit::Author;
use chorus_core::org::MarketInput;
use chorus_core::user::{Email, Membership};
use chorus_jobs::numbers::{CollectSettings, collect_once};
use chorus_jobs::{BlueskyLogin, Connectors, Settings};
use chorus_networks::bluesky::{Secret, SecretKey};
use chorus_store::{DatabaseUrl, NewUser, Store};
use serde_json::{Value, json};

/// The benchmark's installation key (sealed credentials stay in the benchmark's database).
fn key() -> SecretKey {
    SecretKey::from_bytes([9; 32])
}

fn http() -> anyhow::Result<chorus_outbound::Client> {
    Ok(chorus_networks::bluesky::http_client(
        &chorus_outbound::Builder::new(chorus_outbound::Policy::local_networks()),
    )?)
}

fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

async fn xrpc(
    http: &chorus_outbound::Client,
    url: &str,
    token: Option<&str>,
    body: Value,
) -> anyhow::Result<Value> {
    let mut req = http
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await?;
    let status = resp.status();
    let text = resp.text().await?;
    if !status.is_success() {
        bail!("{url}: {status}: {text}");
    }
    Ok(serde_json::from_str(&text)?)
}

async fn setup(dir: &str, args: &[String]) -> anyhow::Result<()> {
    let pds = flag(args, "--pds").context("--pds")?;
    let handle = flag(args, "--handle").context("--handle")?;
    let password = flag(args, "--password").context("--password")?;
    let real: usize = flag(args, "--real").map_or(Ok(2000), |v| v.parse())?;
    let store = Store::open(&DatabaseUrl::sqlite_in(std::path::Path::new(dir))).await?;
    let sys = Author::system("numbers-refresh");
    let m = store
        .create_market(
            &sys,
            &MarketInput::parse("FI", "Finland", "FI", &["fi-FI".into()], "Europe/Helsinki")?,
        )
        .await?;
    store
        .create_user(
            &sys,
            &NewUser {
                email: Email::parse("refresh@numbers.test")?,
                display_name: "Refresh bench".into(),
                password_hash: None,
                memberships: vec![Membership::new(Role::Admin, None)?],
            },
        )
        .await?;
    let http = http()?;
    chorus_jobs::connect_bluesky(
        &store,
        &key(),
        &http,
        &sys,
        m.id,
        BlueskyLogin {
            pds: &pds,
            handle: &handle,
            app_password: Secret::new(password.clone()),
        },
    )
    .await?;
    let session = xrpc(
        &http,
        &format!("{pds}/xrpc/com.atproto.server.createSession"),
        None,
        json!({"identifier": handle, "password": password}),
    )
    .await?;
    let did = session["did"].as_str().context("did")?.to_owned();
    let token = session["accessJwt"]
        .as_str()
        .context("accessJwt")?
        .to_owned();
    let t = Instant::now();
    let mut uris = Vec::with_capacity(real);
    while uris.len() < real {
        let n = (real - uris.len()).min(200);
        let now = jiff::Timestamp::now().to_string();
        let writes: Vec<Value> = (0..n)
            .map(|i| {
                json!({"$type": "com.atproto.repo.applyWrites#create",
                    "collection": "app.bsky.feed.post",
                    "value": {"$type": "app.bsky.feed.post",
                        "text": format!("numbers refresh bench {}", uris.len() + i),
                        "createdAt": now}})
            })
            .collect();
        let out = xrpc(
            &http,
            &format!("{pds}/xrpc/com.atproto.repo.applyWrites"),
            Some(&token),
            json!({"repo": did, "writes": writes}),
        )
        .await?;
        for r in out["results"].as_array().context("applyWrites results")? {
            uris.push(r["uri"].as_str().context("uri")?.to_owned());
        }
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "created {real} real posts on the PDS in {secs:.1} s ({:.0} a second, applyWrites of 200)",
        real as f64 / secs
    );
    std::fs::write(format!("{dir}/uris.txt"), uris.join("\n") + "\n")?;
    Ok(())
}

async fn collect(dir: &str, args: &[String]) -> anyhow::Result<()> {
    let appview = flag(args, "--appview").context("--appview")?;
    let store = Store::open(&DatabaseUrl::sqlite_in(std::path::Path::new(dir))).await?;
    let settings = Settings {
        bluesky_appview: Some(appview),
        ..Settings::default()
    };
    let accounts = Connectors::standard_with(store.clone(), key(), http()?, &settings);
    let t = Instant::now();
    let mut last = 0;
    let report = collect_once(
        &store,
        &accounts,
        &CollectSettings::default(),
        &jiff::Timestamp::now,
        &mut |r| {
            if r.posts >= last + 10_000 {
                last = r.posts;
                eprintln!("  {} posts measured, {} calls", r.posts, r.calls);
            }
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let secs = t.elapsed().as_secs_f64();
    println!(
        "measured {} posts ({} not found) and {} accounts in {secs:.1} s with {} calls \
         ({:.1} calls a second); skipped: {:?}",
        report.posts,
        report.missing,
        report.accounts,
        report.calls,
        report.calls as f64 / secs,
        report.skipped
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = args.get(1).context("DIR")?.clone();
    match args.first().map(String::as_str) {
        Some("setup") => setup(&dir, &args[2..]).await,
        Some("collect") => collect(&dir, &args[2..]).await,
        _ => bail!(
            "usage: numbers_refresh setup DIR --pds URL --handle H --password P | collect DIR --appview URL"
        ),
    }
}

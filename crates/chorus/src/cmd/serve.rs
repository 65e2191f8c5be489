//! `chorus serve`: the web UI and JSON API on the configured database.

use std::io::Write;
use std::net::SocketAddr;

use anyhow::Context;
use chorus_store::Store;
use chorus_web::{AppState, LoginLimits, MetricsToken, WebConfig};

use crate::config::Config;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Port to listen on [default: 8080; 0 picks a free one].
    #[arg(long)]
    pub port: Option<u16>,
    /// Address to listen on [default: 127.0.0.1; 0.0.0.0 for every interface].
    #[arg(long)]
    pub bind: Option<String>,
    /// Load the demo organization (once) and print its logins.
    #[arg(long)]
    pub demo: bool,
    /// What this process runs, comma-separated: `web` (pages and the JSON API), `publisher`
    /// (the job queue: publishing, replies, numbers collection, mail; `jobs` is the old name),
    /// `source` (reads the firehose of `[ingest] firehose_url`), `worker` (normalize → score →
    /// match → store). Without `[nats]` a source feeds the workers of its own process; with it,
    /// sources publish to JetStream and any number of worker processes consume it. Several
    /// processes can share one PostgreSQL database, each with its own roles (see
    /// docs/scale-out.md).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "web,publisher,source,worker"
    )]
    pub roles: Vec<Role>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    /// Pages and the JSON API.
    Web,
    /// The durable job queue: publishing, replies, numbers collection, mail, reminders.
    #[value(alias = "jobs")]
    Publisher,
    /// Reads the firehose (`[ingest] firehose_url`).
    Source,
    /// Turns what sources read into stored posts and conversations.
    Worker,
}

pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    Store::open(&config.database).await.with_context(|| {
        format!(
            "opening the database {} (check --database-url / CHORUS__DATABASE_URL, and that the \
             server is running)",
            config.database
        )
    })
}

/// Refreshes the query planner's statistics at start (a database from before this existed,
/// or filled by another program, may have none) and then every hour, until `stop`.
async fn keep_statistics(store: Store, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        tokio::select! {
            _ = every.tick() => {
                if let Err(e) = store.optimize().await {
                    tracing::warn!(error = %e, "refreshing the query planner's statistics failed");
                }
            }
            // The only change is to stop (or the sender is gone).
            _ = stop.changed() => return,
        }
    }
}

/// Deletes Reach submissions nobody confirmed within `[reach] unconfirmed_purge_days` and the
/// webhook delivery log past its retention, at start and then every hour, until `stop`.
/// Running it in several processes is harmless: a purge deletes what is past the cutoff, once.
async fn purge_unconfirmed(app: chorus_app::App, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        tokio::select! {
            _ = every.tick() => {
                let now = jiff::Timestamp::now();
                match chorus_app::reach::public::purge_unconfirmed(&app, now).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(purged = n, "unconfirmed Reach submissions purged"),
                    Err(e) => tracing::warn!(error = %e, "purging unconfirmed Reach submissions failed"),
                }
                match chorus_app::webhooks::prune_log(&app, now).await {
                    Ok(p) if p == chorus_store::PrunedLog::default() => {}
                    Ok(p) => tracing::info!(attempts = p.attempts, deliveries = p.deliveries, events = p.events, "webhook delivery log pruned"),
                    Err(e) => tracing::warn!(error = %e, "pruning the webhook delivery log failed"),
                }
            }
            _ = stop.changed() => return,
        }
    }
}

pub async fn run(config: &Config, args: ServeArgs) -> anyhow::Result<()> {
    if let Some(why) = crate::cmd::roles::refuse(config, &args.roles) {
        anyhow::bail!("cannot run --roles {}: {why}", role_names(&args.roles));
    }
    let metrics = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .ok();
    let key = chorus_networks::bluesky::SecretKey::from_bytes(config.secret_key()?);
    // One guarded client for every PDS the web and the jobs reach, built from [outbound].
    let outbound = chorus_networks::bluesky::http_client(&config.outbound.builder())
        .context("building the outbound HTTP client (check [outbound] in the configuration)")?;
    let store = open_store(config).await?;
    let demo = if args.demo {
        Some(
            crate::demo::load(&store, &config.reach)
                .await
                .context("loading the demo organization")?,
        )
    } else {
        None
    };
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop_tx.send(true);
    });
    tokio::spawn(keep_statistics(store.clone(), stop_rx.clone()));
    let ingest = crate::cmd::roles::start(config, &store, &args.roles, stop_rx.clone())
        .await
        .context("starting the source and worker roles")?;
    // The web's address is known once it listens (port 0 picks one); published links point at
    // its click redirects, so it is bound before the jobs start. A process without the web role
    // answers only /healthz, /readyz and /metrics, when given a --port.
    let web = args.roles.contains(&Role::Web);
    let listener = match web || args.port.is_some() {
        true => Some(listen(config).await?),
        false => None,
    };
    let port = match &listener {
        Some(l) => l.local_addr()?.port(),
        None => config.server.port,
    };
    let public_url = chorus_core::links::PublicBase::parse(&config.public_url(port))
        .map_err(|e| anyhow::anyhow!("server.public_url {}", e.message))?;
    let web_key = key.clone();
    // The weekly Numbers emails run as a job kind of chorus-app (they build reports).
    let reports_app = chorus_app::App::new(store.clone(), chorus_app::AppConfig::default())
        .with_public_url(public_url.clone())
        // The webinar mails' withdrawal links are signed with it.
        .with_secret_key(key.clone());
    if args.roles.contains(&Role::Publisher) {
        // Numbers collection keeps itself going once queued (one job, by its key).
        chorus_jobs::numbers::schedule_collection(&store)
            .await
            .context("queueing numbers collection")?;
        chorus_app::numbers::weekly_job::schedule(&reports_app)
            .await
            .context("queueing the weekly numbers emails")?;
        chorus_app::reach::webinars_reminders::schedule(&reports_app)
            .await
            .context("queueing the webinar reminders")?;
        let reach_app = chorus_app::App::new(store.clone(), chorus_app::AppConfig::default())
            .with_reach(config.reach.clone());
        tokio::spawn(purge_unconfirmed(reach_app, stop_rx.clone()));
    }
    let settings = chorus_jobs::Settings {
        bluesky_appview: config.numbers.bluesky_appview_url.clone(),
        mail: crate::cmd::mail::mailer(config, &store).await?,
        mail_journal: Some(config.data_dir.join("mail-handed-over.log")),
        ..chorus_jobs::Settings::default()
    };
    let worker = args.roles.contains(&Role::Publisher).then(|| {
        let w = chorus_jobs::Worker::new(
            store.clone(),
            chorus_jobs::kinds_with(
                &store,
                key.clone(),
                outbound.clone(),
                public_url.clone(),
                &settings,
            )
            .with(chorus_app::numbers::weekly_job::WeeklyReports::new(
                reports_app.clone(),
            ))
            .with(
                chorus_app::reach::webinars_reminders::WebinarReminders::new(reports_app.clone()),
            ),
            chorus_jobs::WorkerConfig::default(),
        );
        tokio::spawn(w.run(stop_rx.clone()))
    });
    let mut state = web_state(
        config,
        &store,
        metrics,
        web_key,
        outbound,
        public_url.clone(),
    );
    if let Some(probe) = role_probe(&ingest) {
        state = state.with_roles(probe);
    }
    match listener {
        Some(listener) if web => {
            serve_web(
                config,
                listener,
                state,
                &public_url,
                demo.as_ref(),
                stop_rx.clone(),
            )
            .await?
        }
        other => {
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "Chorus running {} on {}",
                role_names(&args.roles),
                config.database
            )?;
            if let Some(l) = &other {
                writeln!(
                    out,
                    "  /healthz, /readyz and /metrics at http://{}",
                    l.local_addr()?
                )?;
            }
            drop(out);
            let mut rx = stop_rx.clone();
            match other {
                Some(l) => {
                    chorus_web::serve_ops(l, state, async move {
                        let _ = rx.wait_for(|s| *s).await;
                    })
                    .await?
                }
                None => {
                    let _ = rx.wait_for(|stop| *stop).await;
                }
            }
        }
    }
    if let Some(w) = worker {
        tracing::info!("waiting for running jobs to finish");
        let _ = w.await;
    }
    ingest.finish().await;
    store.close().await;
    Ok(())
}

/// `web,publisher,…` as given.
fn role_names(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| match r {
            Role::Web => "web",
            Role::Publisher => "publisher",
            Role::Source => "source",
            Role::Worker => "worker",
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// What `/readyz` says of the stream roles (web and publisher are ready when the database is).
fn role_probe(ingest: &crate::cmd::roles::IngestRoles) -> Option<chorus_web::RoleProbe> {
    let (health, names) = ingest.health.clone()?;
    Some(std::sync::Arc::new(move || {
        names
            .iter()
            .map(|role| {
                let (ready, detail) = health.report(role);
                chorus_web::RoleStatus {
                    role: (*role).to_owned(),
                    ready,
                    detail,
                }
            })
            .collect()
    }))
}

async fn listen(config: &Config) -> anyhow::Result<tokio::net::TcpListener> {
    let addr = SocketAddr::new(config.server.bind, config.server.port);
    tokio::net::TcpListener::bind(addr).await.with_context(|| {
        format!("cannot listen on {addr}; is another program using it? Try --port 8081")
    })
}

/// The web's state: its settings from `config`, and the use cases over `store` with the
/// installation's key, guarded client and public address.
fn web_state(
    config: &Config,
    store: &Store,
    metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    key: chorus_networks::bluesky::SecretKey,
    outbound: chorus_outbound::Client,
    public_url: chorus_core::links::PublicBase,
) -> AppState {
    let web = WebConfig {
        session_ttl: config.server.session_ttl,
        cookie_secure: config.server.cookie_secure,
        max_body_bytes: config.server.max_body_bytes,
        login_limits: LoginLimits::default(),
        trusted_proxies: config.server.trusted_proxies.clone(),
        metrics_token: config
            .server
            .metrics_token
            .as_ref()
            .map(|t| MetricsToken::new(t.0.clone())),
        external_images: config.server.external_images,
    };
    AppState::new(store.clone(), web, metrics)
        .with_secret_key(key)
        .with_outbound(outbound)
        .with_public_url(public_url)
        .with_reach(config.reach.clone())
        .with_sso(config.sso.clone())
}

async fn serve_web(
    config: &Config,
    listener: tokio::net::TcpListener,
    state: AppState,
    public_url: &chorus_core::links::PublicBase,
    demo: Option<&crate::demo::Loaded>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let bound = listener.local_addr()?;
    let url = public_url.as_str().to_owned();
    let mut out = std::io::stdout().lock();
    writeln!(out, "Chorus is running at {url}")?;
    writeln!(out, "  database: {}", config.database)?;
    if let Some(demo) = demo {
        crate::demo::print_logins(&mut out, demo)?;
    }
    writeln!(out, "Press Ctrl+C to stop.")?;
    out.flush()?;
    drop(out);
    tracing::info!(%url, address = %bound, "serving");
    chorus_web::serve(listener, state, async move {
        let _ = stop.wait_for(|s| *s).await;
    })
    .await?;
    tracing::info!("stopped accepting requests");
    Ok(())
}

/// Resolves on SIGINT (Ctrl+C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl+C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("received Ctrl+C, shutting down"),
        () = term => tracing::info!("received SIGTERM, shutting down"),
    }
}

//! Running the binary: one-shot commands, and `chorus serve` as a child process on port 0.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// reqwest is built without a default TLS provider in this workspace (one crypto backend,
/// ring); clients in tests need it installed once.
pub fn install_tls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

pub fn chorus() -> Command {
    install_tls();
    let mut c = Command::new(env!("CARGO_BIN_EXE_chorus"));
    // Tests choose their own configuration; inherited CHORUS__ variables would leak in.
    for (k, _) in std::env::vars() {
        if k.starts_with("CHORUS__") || k == "CHORUS_CONFIG" {
            c.env_remove(k);
        }
    }
    c.env("CHORUS__LOG__LEVEL", "warn");
    c
}

pub fn run(args: &[&str], data_dir: &Path) -> Output {
    chorus()
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .output()
        .unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `chorus serve` on a free port; killed when dropped.
pub struct Server {
    pub child: Child,
    pub url: String,
    /// Everything printed on stdout up to "Press Ctrl+C".
    pub banner: String,
}

impl Server {
    pub fn start(data_dir: &Path, extra: &[&str]) -> Server {
        Server::start_with_env(data_dir, extra, &[])
    }

    /// As [`Server::start`], with environment variables (`CHORUS__…` settings) set.
    pub fn start_with_env(data_dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Server {
        let mut child = chorus()
            .args(["serve", "--port", "0"])
            .args(extra)
            .envs(env.iter().copied())
            .arg("--data-dir")
            .arg(data_dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut banner = String::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                banner.push_str(&line);
                banner.push('\n');
                if line.starts_with("Press Ctrl+C") {
                    let _ = tx.send(banner.clone());
                }
            }
        });
        let banner = rx
            .recv_timeout(Duration::from_secs(120))
            .expect("chorus serve printed its banner");
        let url = banner
            .lines()
            .find_map(|l| l.strip_prefix("Chorus is running at "))
            .unwrap()
            .trim()
            .to_owned();
        let server = Server { child, url, banner };
        server.wait_ready();
        server
    }

    fn wait_ready(&self) {
        install_tls();
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = reqwest::blocking::Client::new();
        while Instant::now() < deadline {
            if let Ok(r) = client.get(format!("{}/readyz", self.url)).send()
                && r.status().is_success()
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("{} never became ready", self.url);
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "chorus did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether a service-backed test must run (CI) rather than skip.
pub fn services_required() -> bool {
    std::env::var("CHORUS_REQUIRE_SERVICES").as_deref() == Ok("1")
}

/// A fresh PostgreSQL database on the server of `CHORUS_TEST_DATABASE_URL`, dropped when this
/// is (also when a test fails); `None` (with a printed reason) when that server is unreachable,
/// unless `CHORUS_REQUIRE_SERVICES=1`.
pub struct PgDb {
    pub url: chorus_store::DatabaseUrl,
    /// The URL as processes are given it (`url` prints without its password).
    pub raw_url: String,
    admin_url: String,
    name: String,
}

impl PgDb {
    pub async fn create() -> Option<PgDb> {
        use sqlx::Connection as _;
        let admin_url = std::env::var("CHORUS_TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://chorus:chorus@127.0.0.1:5432/chorus".into());
        let mut admin = match sqlx::PgConnection::connect(&admin_url).await {
            Ok(c) => c,
            Err(e) => {
                let reason = format!("PostgreSQL unreachable at {admin_url}: {e}");
                assert!(!services_required(), "{reason} (CHORUS_REQUIRE_SERVICES=1)");
                eprintln!("skipping: {reason}");
                return None;
            }
        };
        let name = format!(
            "chorus_cli_{}_{}",
            std::process::id(),
            rand::random::<u32>()
        );
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .unwrap();
        let (server, _) = admin_url.rsplit_once('/').unwrap();
        let raw_url = format!("{server}/{name}");
        Some(PgDb {
            url: chorus_store::DatabaseUrl::parse(&raw_url).unwrap(),
            raw_url,
            admin_url,
            name,
        })
    }

    /// A connection of the test's own (to watch tables while processes work).
    pub async fn connect(&self) -> sqlx::PgConnection {
        use sqlx::Connection as _;
        sqlx::PgConnection::connect(&self.raw_url).await.unwrap()
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let (admin, name) = (self.admin_url.clone(), self.name.clone());
        // Dropped inside or outside a runtime: a small one on a thread of its own.
        let _ = std::thread::spawn(move || {
            use sqlx::Connection as _;
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(mut c) = sqlx::PgConnection::connect(&admin).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut c)
                        .await;
                }
            });
        })
        .join();
    }
}

//! Scale-out (issue 22, docs/scale-out.md): several `chorus` processes on one PostgreSQL
//! database and one NATS JetStream stream — sources that publish, workers that store — under
//! SIGKILL of any of them and of nats-server itself.
//!
//! Each test starts nats-server processes of its own (the binary from `.ci/setup-nats.sh`,
//! `CHORUS_NATS_SERVER`) on a free port with a store directory of its own, so it can kill and
//! restart them, and a fresh PostgreSQL database (`CHORUS_TEST_DATABASE_URL`). Without either
//! service a test skips with the reason, unless `CHORUS_REQUIRE_SERVICES=1`.

mod backpressure;
mod crash;
mod feeds;
mod queries;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{PgDb, chorus, services_required};

/// Skips (printing why) or, under `CHORUS_REQUIRE_SERVICES=1`, fails.
fn absent(reason: &str) -> Option<std::convert::Infallible> {
    assert!(!services_required(), "{reason} (CHORUS_REQUIRE_SERVICES=1)");
    eprintln!("skipping: {reason}");
    None
}

/// A nats-server with JetStream on a port and store directory of its own.
pub struct Nats {
    bin: PathBuf,
    pub port: u16,
    store: PathBuf,
    log: PathBuf,
    child: Option<Child>,
}

impl Nats {
    /// Starts one, or `None` (with a printed reason) when the binary is absent.
    pub fn start(dir: &Path) -> Option<Nats> {
        let bin = match std::env::var("CHORUS_NATS_SERVER") {
            Ok(b) if Path::new(&b).exists() => PathBuf::from(b),
            _ => {
                absent("no nats-server: run .ci/setup-nats.sh and set CHORUS_NATS_SERVER")?;
                unreachable!()
            }
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut n = Nats {
            bin,
            port,
            store: dir.join("jetstream"),
            log: dir.join("nats.log"),
            child: None,
        };
        n.restart();
        Some(n)
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Starts the server (again) on the same port and store, and waits until it accepts
    /// connections.
    pub fn restart(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let child = Command::new(&self.bin)
            .args([
                "-js",
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-sd",
            ])
            .arg(&self.store)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "nats-server did not start; see {:?}",
                self.log
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            sigkill(&mut c);
        }
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A child process SIGKILLed when dropped, also when a test fails.
pub struct Proc(pub Child);

impl std::ops::Deref for Proc {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Proc {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Proc {
    /// Waits for the exit, or panics after `within` (the process is then killed on drop).
    pub fn wait_within(&mut self, within: Duration, what: &str) -> std::process::ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.0.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "{what} did not finish within {within:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// SIGKILL, then reap.
pub fn sigkill(child: &mut Child) {
    Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status()
        .unwrap();
    let _ = child.wait();
}

/// `chorus` with the database and the stream of a test, and the stream's timings short enough
/// for a test (a message a killed worker held comes back after 3 s).
pub fn scaled(db: &PgDb, nats_url: &str, data_dir: &Path) -> Command {
    let mut c = chorus();
    c.env("CHORUS__DATABASE_URL", &db.raw_url)
        .env("CHORUS__NATS__URL", nats_url)
        .env("CHORUS__NATS__ACK_WAIT_SECONDS", "3")
        .env(
            "CHORUS__LOG__LEVEL",
            "chorus_stream=info,chorus_pipeline=info,warn",
        )
        .env("CHORUS__DATA_DIR", data_dir);
    c
}

/// A `chorus serve --roles worker` process, its log (JSON lines) appended to `log`.
pub fn worker(db: &PgDb, nats_url: &str, data_dir: &Path, log: &Path) -> Proc {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    scaled(db, nats_url, data_dir)
        .env("CHORUS__LOG__FORMAT", "json")
        .args(["serve", "--roles", "worker"])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .map(Proc)
        .unwrap()
}

/// The sum of the `redelivered` fields of JSON-lines logs (what workers log of each batch that
/// brought posts delivered before).
pub fn redelivered(logs: &[PathBuf]) -> u64 {
    logs.iter()
        .flat_map(|l| json_lines(l))
        .filter_map(|v| v["redelivered"].as_u64())
        .sum()
}

/// The JSON lines of a log (non-JSON lines skipped).
pub fn json_lines(log: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// A post as a source would publish it: `text` by `author`, now.
pub fn post(uri: &str, author: &str, text: &str) -> chorus_pipeline::Incoming {
    chorus_pipeline::Incoming {
        uri: uri.into(),
        network: "import".into(),
        author: author.into(),
        author_handle: None,
        text: text.into(),
        declared_langs: vec!["en".into()],
        country: None,
        domains: vec![],
        posted_at_ms: chorus_store::now_ms(),
        reply_parent: None,
        reply_root: None,
        quote_of: None,
        cid: None,
        link: None,
    }
}

/// Publishes `posts` to the stream as a source does (waiting for the stream's answers).
pub async fn publish(conn: &chorus_stream::Connection, posts: &[chorus_pipeline::Incoming]) {
    let messages = posts
        .iter()
        .map(|p| chorus_stream::sink::encode(conn, p).unwrap())
        .collect();
    chorus_stream::sink::publish_all(conn, &chorus_stream::Health::default(), messages).await;
}

/// Connects to the test's stream as workers do (for its backlog).
pub async fn stream(nats: &Nats) -> chorus_stream::Connection {
    chorus_stream::connect(chorus_stream::StreamConfig::new(nats.url()), "chorus-test")
        .await
        .unwrap()
}

/// Waits until the stream is empty and nothing is pending (every post stored), or panics
/// after `within`.
pub async fn drained(nats: &Nats, within: Duration) -> chorus_stream::Backlog {
    let conn = stream(nats).await;
    let deadline = Instant::now() + within;
    loop {
        let b = conn.backlog().await.unwrap();
        if b.messages == 0 && b.lag() == 0 {
            return b;
        }
        assert!(Instant::now() < deadline, "the stream did not drain: {b:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

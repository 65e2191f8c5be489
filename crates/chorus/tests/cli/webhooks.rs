//! Webhooks end to end, with `chorus serve` SIGKILLed during deliveries.
//!
//! A receiver written in Python (started by the test; `http.server`) logs every request it
//! takes, checks its `Chorus-Signature` with Python's own `hmac` and `hashlib` — an
//! implementation independent of the Rust one that signs — and answers after a pause, so that
//! kills land while deliveries wait for their answer. `chorus webhooks create` refuses the
//! receiver's loopback address until `[outbound] allow_private_addresses` is set. Then events
//! are queued (through the store and `chorus webhooks test`), and `chorus serve` is killed with
//! SIGKILL at random moments, again and again; a last run finishes.
//!
//! What must hold: every event reached the receiver at least once, every request carried a
//! valid signature within the replay window, a request seen twice carried the same event id
//! and the same body (so a receiver drops it by the id), and every delivery ends delivered —
//! with the database in SQLite and in PostgreSQL.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use chorus_store::{DatabaseUrl, DeliveryState, Store};

use crate::support::{chorus, stdout};

const KEY_B64: &str = "q83vASNFZ4mrze8BI0VniavN7wEjRWeJq83vASNFZ4k=";
const EVENTS: usize = 40;

/// The receiver: prints its port, then appends one JSON line per request to the log file:
/// the event id, the attempt header, whether the signature checked out, and the body.
const RECEIVER: &str = r#"
import hashlib, hmac, json, random, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
secret, log = sys.argv[1].encode(), open(sys.argv[2], "a", buffering=1)
class H(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        parts = dict(p.split("=", 1) for p in self.headers["Chorus-Signature"].split(","))
        mac = hmac.new(secret, parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
        fresh = abs(time.time() - int(parts["t"])) <= 300
        log.write(json.dumps({"id": self.headers["Chorus-Event-Id"],
            "attempt": self.headers["Chorus-Delivery-Attempt"],
            "valid": hmac.compare_digest(mac, parts["v1"]) and fresh,
            "body": body.decode()}) + "\n")
        time.sleep(random.uniform(0.2, 0.9))
        self.send_response(204)
        self.end_headers()
    def log_message(self, *a):
        pass
server = ThreadingHTTPServer(("127.0.0.1", 0), H)
print(server.server_address[1], flush=True)
server.serve_forever()
"#;

struct Receiver {
    child: Child,
    port: u16,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn receiver(secret: &str, log: &std::path::Path) -> Receiver {
    let mut child = std::process::Command::new("python3")
        .args(["-c", RECEIVER, secret])
        .arg(log)
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line.trim().parse().unwrap();
    Receiver { child, port }
}

/// `chorus webhooks ARGS` on the test's data directory, with `[outbound]
/// allow_private_addresses` set when `allow_private`.
fn webhooks_cmd(db: &Db<'_>, args: &[&str], allow_private: bool) -> std::process::Output {
    let mut c = chorus();
    c.arg("webhooks")
        .args(args)
        .arg("--data-dir")
        .arg(db.dir)
        .envs(db.env())
        .env("CHORUS__SECRET_KEY", KEY_B64);
    if allow_private {
        c.env("CHORUS__OUTBOUND__ALLOW_PRIVATE_ADDRESSES", "true");
    }
    c.output().unwrap()
}

fn start_serve(db: &Db<'_>) -> Child {
    chorus()
        .args(["serve", "--port", "0", "--data-dir"])
        .arg(db.dir)
        .envs(db.env())
        .env("CHORUS__SECRET_KEY", KEY_B64)
        .env("CHORUS__OUTBOUND__ALLOW_PRIVATE_ADDRESSES", "true")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// The receiver's log: requests per event id, each (attempt header, signature valid, body).
fn received(log: &std::path::Path) -> BTreeMap<String, Vec<(String, bool, String)>> {
    let mut out: BTreeMap<String, Vec<(String, bool, String)>> = BTreeMap::new();
    for line in std::fs::read_to_string(log).unwrap_or_default().lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        out.entry(v["id"].as_str().unwrap().to_owned())
            .or_default()
            .push((
                v["attempt"].as_str().unwrap_or("").to_owned(),
                v["valid"].as_bool().unwrap(),
                v["body"].as_str().unwrap().to_owned(),
            ));
    }
    out
}

/// Where the processes and the test keep their data: the data directory, and PostgreSQL's URL
/// when the database is there rather than in SQLite under the directory.
struct Db<'a> {
    dir: &'a std::path::Path,
    postgres: Option<&'a crate::support::PgDb>,
}

impl Db<'_> {
    fn env(&self) -> Vec<(&'static str, String)> {
        match self.postgres {
            Some(pg) => vec![("CHORUS__DATABASE_URL", pg.raw_url.clone())],
            None => Vec::new(),
        }
    }

    fn url(&self) -> DatabaseUrl {
        match self.postgres {
            Some(pg) => pg.url.clone(),
            None => DatabaseUrl::sqlite_in(self.dir),
        }
    }
}

#[test]
fn every_event_arrives_signed_through_repeated_sigkills() {
    let dir = tempfile::tempdir().unwrap();
    sigkilled_deliveries(&Db {
        dir: dir.path(),
        postgres: None,
    });
}

#[test]
fn every_event_arrives_signed_through_repeated_sigkills_on_postgres() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some(pg) = rt.block_on(crate::support::PgDb::create()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    sigkilled_deliveries(&Db {
        dir: dir.path(),
        postgres: Some(&pg),
    });
}

fn sigkilled_deliveries(db: &Db<'_>) {
    crate::support::install_tls();
    let log = db.dir.join("received.jsonl");

    // The receiver's address is on loopback: refused unless the operator allows local networks.
    // The webhook is made first with a placeholder port (the receiver needs its secret), then
    // pointed at the receiver.
    let placeholder = "http://127.0.0.1:9/hook";
    let refused = webhooks_cmd(
        db,
        &[
            "create",
            "--name",
            "Receiver",
            "--url",
            placeholder,
            "--event",
            "story.published",
        ],
        false,
    );
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("allow_private_addresses"), "{err}");
    let made = webhooks_cmd(
        db,
        &[
            "create",
            "--name",
            "Receiver",
            "--url",
            placeholder,
            "--event",
            "story.published",
        ],
        true,
    );
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let text = stdout(&made);
    let secret = text
        .lines()
        .find_map(|l| l.strip_prefix("signing secret: "))
        .unwrap()
        .trim()
        .to_owned();
    let id: i64 = text
        .lines()
        .find_map(|l| l.strip_prefix("created "))
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .parse()
        .unwrap();
    let r = receiver(&secret, &log);

    let rt = tokio::runtime::Runtime::new().unwrap();
    let store = rt.block_on(async {
        let store = Store::open(&db.url()).await.unwrap();
        let hook = store.webhook(id).await.unwrap();
        store
            .update_webhook(
                &chorus_core::audit::Author::system("test"),
                id,
                &chorus_store::EndpointInput {
                    name: &hook.name,
                    url: &format!("http://127.0.0.1:{}/hook", r.port),
                    market_id: None,
                    events: &["story.published"],
                    enabled: true,
                },
            )
            .await
            .unwrap();
        for i in 1..EVENTS {
            store
                .send_test_webhook(id, serde_json::json!({"n": i}))
                .await
                .unwrap();
        }
        store
    });
    let out = webhooks_cmd(
        db,
        &["test", &id.to_string(), "--message", "from the CLI"],
        true,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Kill during deliveries: the receiver pauses before answering, so most kills find some
    // waiting for their answer.
    let mut kills = 0;
    while kills < 8 {
        let mut child = start_serve(db);
        std::thread::sleep(Duration::from_millis(700 + rand::random::<u64>() % 1_800));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        kills += 1;
    }
    let seen_during_kills = received(&log).len();

    // The last run: jobs a killed process held are claimed again when their lease (30 s) ends.
    let mut child = start_serve(db);
    let deadline = Instant::now() + Duration::from_secs(150);
    let delivered = |store: &Store| {
        rt.block_on(store.webhook_deliveries(id, 1000))
            .unwrap()
            .iter()
            .all(|d| d.state == DeliveryState::Delivered)
    };
    while !delivered(&store) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(500));
    }
    std::thread::sleep(Duration::from_secs(2));
    let _ = child.kill();
    let _ = child.wait();

    let deliveries = rt.block_on(store.webhook_deliveries(id, 1000)).unwrap();
    assert_eq!(deliveries.len(), EVENTS);
    let got = received(&log);
    let mut duplicates = 0;
    for d in &deliveries {
        assert_eq!(
            d.state,
            DeliveryState::Delivered,
            "{d:?} after {kills} SIGKILLs"
        );
        let copies = got
            .get(&d.event_id)
            .unwrap_or_else(|| panic!("{} never reached the receiver", d.event_id));
        assert!(copies.iter().all(|(_, valid, _)| *valid), "{copies:?}");
        assert!(
            copies.iter().all(|(_, _, body)| *body == copies[0].2),
            "a duplicate carries the same body: {copies:?}"
        );
        let body: serde_json::Value = serde_json::from_str(&copies[0].2).unwrap();
        assert_eq!(
            body["id"],
            d.event_id.as_str(),
            "the body names the event id"
        );
        duplicates += copies.len() - 1;
    }
    assert_eq!(got.len(), EVENTS, "nothing but these events arrived");
    let cli = got
        .values()
        .flatten()
        .filter(|(_, _, b)| b.contains("from the CLI"))
        .count();
    assert!(cli >= 1, "the CLI's test event arrived");
    let on = if db.postgres.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    eprintln!(
        "{on}: {EVENTS} events delivered after {kills} SIGKILLs ({seen_during_kills} reached the \
         receiver before the last run); {duplicates} duplicate requests, each with its event's id"
    );
    drop(r);
    rt.block_on(store.close());
}

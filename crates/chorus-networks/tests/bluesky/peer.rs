//! Finds or starts the local peer (through .ci/setup-bluesky.sh, which runs the shared start.sh).

use std::path::PathBuf;
use std::time::Duration;

use chorus_networks::bluesky::{Agent, Secret, Xrpc, http_client};
use chorus_outbound::{Builder, Client, Policy};
use tokio::sync::Mutex;

/// The outbound settings of these tests: the peer runs on loopback, so the local networks are
/// allowed here, explicitly (production allows public addresses only).
pub fn local() -> Builder {
    Builder::new(Policy::local_networks())
}

/// An XRPC client under [`local`].
pub fn http() -> Client {
    http_client(&local()).unwrap()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Pds,
    Full,
}

#[derive(Debug, Clone)]
pub struct Peer {
    pub pds: String,
    pub plc: String,
    pub firehose: String,
    pub appview: Option<String>,
}

static STARTING: Mutex<()> = Mutex::const_new(());

fn repo_root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn peer_dir(mode: Mode) -> PathBuf {
    let base = std::env::var("BSKY_PEER_DIR").unwrap_or_else(|_| "/var/tmp/chorus-bsky".into());
    match mode {
        Mode::Pds => PathBuf::from(base),
        Mode::Full => std::env::var("BSKY_FULL_PEER_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|_| PathBuf::from(format!("{base}-full"))),
    }
}

fn read_env(mode: Mode) -> Option<Peer> {
    let text = std::fs::read_to_string(peer_dir(mode).join("peer.env")).ok()?;
    let get = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .map(str::to_owned)
    };
    let want = match mode {
        Mode::Pds => "pds",
        Mode::Full => "full",
    };
    if get("BSKY_PEER_MODE")? != want {
        return None;
    }
    let pds = get("BSKY_PDS_URL")?;
    Some(Peer {
        firehose: pds.replacen("http", "ws", 1),
        pds,
        plc: get("BSKY_PLC_URL")?,
        appview: get("BSKY_APPVIEW_URL"),
    })
}

async fn healthy(p: &Peer) -> bool {
    let http = http();
    let ok = |u: String| {
        let http = http.clone();
        async move {
            http.get(&u)
                .timeout(Duration::from_secs(3))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
        }
    };
    ok(format!("{}/xrpc/_health", p.pds)).await
        && match &p.appview {
            Some(a) => ok(format!("{a}/xrpc/_health")).await,
            None => true,
        }
}

fn skip(reason: &str) -> Option<Peer> {
    if std::env::var("CHORUS_REQUIRE_SERVICES").as_deref() == Ok("1") {
        panic!("local Bluesky peer required (CHORUS_REQUIRE_SERVICES=1) but unavailable: {reason}");
    }
    eprintln!("SKIP: local Bluesky peer unavailable: {reason}");
    None
}

/// The running peer in `mode`, started if needed; `None` (test skipped) when it cannot run.
pub async fn peer(mode: Mode) -> Option<Peer> {
    let _guard = STARTING.lock().await;
    if let Some(p) = read_env(mode)
        && healthy(&p).await
    {
        return Some(p);
    }
    let script = repo_root().join(".ci/setup-bluesky.sh");
    let arg = if mode == Mode::Pds { "pds" } else { "full" };
    eprintln!("starting the local Bluesky peer ({arg} mode); the first start takes minutes");
    let out = tokio::process::Command::new("bash")
        .arg(&script)
        .arg(arg)
        .output()
        .await;
    match out {
        Ok(o) if o.status.success() => {}
        Ok(o) => {
            let tail: String = String::from_utf8_lossy(&o.stdout)
                .lines()
                .chain(String::from_utf8_lossy(&o.stderr).lines())
                .rev()
                .take(15)
                .collect::<Vec<_>>()
                .join(" | ");
            return skip(&format!("{} failed: {tail}", script.display()));
        }
        Err(e) => return skip(&format!("cannot run {}: {e}", script.display())),
    }
    match read_env(mode) {
        Some(p) if healthy(&p).await => Some(p),
        _ => skip("started, but not healthy"),
    }
}

/// A fresh account on the peer's PDS (unique handle), logged in.
pub struct TestAccount {
    pub handle: String,
    pub did: String,
    pub password: Secret,
    pub agent: Agent,
}

pub async fn account(peer: &Peer, prefix: &str) -> TestAccount {
    account_at(&peer.pds, peer, prefix).await
}

/// Creates the account on `peer` and logs in through `via` (the PDS, or a proxy in front of it).
pub async fn account_at(via: &str, peer: &Peer, prefix: &str) -> TestAccount {
    let n: u32 = rand_u32();
    let handle = format!("{prefix}{n:08x}.test");
    let password = Secret::new(format!("pw-{n:08x}-secret"));
    let pds = Xrpc::new(http(), &peer.pds).unwrap();
    let created: serde_json::Value = pds
        .procedure(
            "com.atproto.server.createAccount",
            &serde_json::json!({"handle": handle, "email": format!("{n:08x}@example.test"), "password": password.expose()}),
            None,
        )
        .await
        .unwrap();
    let did = created["did"].as_str().unwrap().to_owned();
    let agent = Agent::login(Xrpc::new(http(), via).unwrap(), &handle, &password)
        .await
        .unwrap();
    TestAccount {
        handle,
        did,
        password,
        agent,
    }
}

pub fn rand_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    );
    h.finish() as u32
}

/// Writes a record in `collection` for `who`; returns (uri, cid).
pub async fn create(
    who: &TestAccount,
    collection: &str,
    record: serde_json::Value,
) -> (String, String) {
    let mut record = record;
    record["$type"] = collection.into();
    if record.get("createdAt").is_none() {
        record["createdAt"] = jiff::Timestamp::now().to_string().into();
    }
    let out: serde_json::Value = who
        .agent
        .procedure(
            "com.atproto.repo.createRecord",
            &serde_json::json!({"repo": who.did, "collection": collection, "record": record}),
        )
        .await
        .unwrap();
    (
        out["uri"].as_str().unwrap().to_owned(),
        out["cid"].as_str().unwrap().to_owned(),
    )
}

pub async fn delete(who: &TestAccount, uri: &str) {
    let (_, coll, rkey) = chorus_networks::bluesky::publish::parse_at_uri(uri).unwrap();
    let _: serde_json::Value = who
        .agent
        .procedure(
            "com.atproto.repo.deleteRecord",
            &serde_json::json!({"repo": who.did, "collection": coll, "rkey": rkey}),
        )
        .await
        .unwrap();
}

pub fn strong(uri: &str, cid: &str) -> serde_json::Value {
    serde_json::json!({"uri": uri, "cid": cid})
}

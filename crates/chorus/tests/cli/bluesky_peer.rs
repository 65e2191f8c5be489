//! The local Bluesky peer (PLC + PDS on loopback, from ../shared/peers/bluesky): found if it
//! runs, started through `.ci/setup-bluesky.sh pds` if not, skipped with a printed reason when it
//! cannot run (failing instead under CHORUS_REQUIRE_SERVICES=1).

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::services_required;

pub struct Peer {
    pub pds: String,
}

/// The setting a `chorus` process needs to reach the peer, which runs on loopback: production
/// reaches public addresses only, so these tests open the local networks explicitly.
pub const ALLOW_LOCAL: (&str, &str) = ("CHORUS__OUTBOUND__ALLOW_PRIVATE_ADDRESSES", "true");

/// A guarded XRPC client that may reach the peer (the local networks allowed, explicitly).
pub fn local_http() -> chorus_outbound::Client {
    chorus_networks::bluesky::http_client(&chorus_outbound::Builder::new(
        chorus_outbound::Policy::local_networks(),
    ))
    .unwrap()
}

fn peer_env() -> Option<String> {
    let dir = std::env::var("BSKY_PEER_DIR").unwrap_or_else(|_| "/var/tmp/chorus-bsky".into());
    std::fs::read_to_string(PathBuf::from(dir).join("peer.env")).ok()
}

fn pds_url() -> Option<String> {
    let env = peer_env()?;
    if !env.lines().any(|l| l == "BSKY_PEER_MODE=pds") {
        return None;
    }
    env.lines()
        .find_map(|l| l.strip_prefix("BSKY_PDS_URL="))
        .map(str::to_owned)
}

fn healthy(pds: &str) -> bool {
    reqwest::blocking::Client::new()
        .get(format!("{pds}/xrpc/_health"))
        .timeout(Duration::from_secs(3))
        .send()
        .is_ok_and(|r| r.status().is_success())
}

pub fn peer() -> Option<Peer> {
    crate::support::install_tls();
    if let Some(pds) = pds_url().filter(|p| healthy(p)) {
        return Some(Peer { pds });
    }
    let script = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../.ci/setup-bluesky.sh"
    ));
    eprintln!("starting the local Bluesky peer; the first start installs it (minutes)");
    let status = std::process::Command::new("bash")
        .arg(&script)
        .arg("pds")
        .status();
    match (status, pds_url()) {
        (Ok(s), Some(pds)) if s.success() && healthy(&pds) => Some(Peer { pds }),
        (status, _) => {
            let reason = format!("the local Bluesky peer could not start ({status:?})");
            assert!(!services_required(), "{reason}");
            eprintln!("skipping: {reason}");
            None
        }
    }
}

impl Peer {
    /// Creates a fresh account (unique handle); returns (handle, did, password).
    pub fn new_account(&self, prefix: &str) -> (String, String, String) {
        let n: u32 = rand::random();
        let handle = format!("{prefix}{n:08x}.test");
        let password = format!("pw-{n:08x}-secret");
        let v: Value = reqwest::blocking::Client::new()
            .post(format!("{}/xrpc/com.atproto.server.createAccount", self.pds))
            .json(&json!({"handle": handle, "email": format!("{n:08x}@example.test"), "password": password}))
            .send()
            .unwrap()
            .json()
            .unwrap();
        let did = v["did"]
            .as_str()
            .unwrap_or_else(|| panic!("createAccount: {v}"))
            .to_owned();
        (handle, did, password)
    }

    /// Every post record in the repository of `did`: (uri, text).
    pub fn posts(&self, did: &str) -> Vec<(String, String)> {
        let client = reqwest::blocking::Client::new();
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut url = format!(
                "{}/xrpc/com.atproto.repo.listRecords?repo={did}&collection=app.bsky.feed.post&limit=100",
                self.pds
            );
            if let Some(c) = &cursor {
                url.push_str(&format!("&cursor={c}"));
            }
            let v: Value = client.get(url).send().unwrap().json().unwrap();
            let records = v["records"].as_array().cloned().unwrap_or_default();
            for r in &records {
                out.push((
                    r["uri"].as_str().unwrap_or("").to_owned(),
                    r["value"]["text"].as_str().unwrap_or("").to_owned(),
                ));
            }
            cursor = v["cursor"].as_str().map(str::to_owned);
            if records.is_empty() || cursor.is_none() {
                return out;
            }
        }
    }
}

//! The local Bluesky PDS (`shared/peers/bluesky`, pds mode): found if it runs, started through
//! `.ci/setup-bluesky.sh pds` if not, the test skipped with a printed reason when it cannot run
//! (failing instead under CHORUS_REQUIRE_SERVICES=1). Accounts and app passwords are made
//! through its own XRPC methods.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::Mutex;

pub struct Peer {
    pub pds: String,
    /// The AppView (full mode only).
    pub appview: Option<String>,
    http: chorus_outbound::Client,
}

/// An account on the PDS, with a session of its main password (for managing app passwords).
pub struct Account {
    pub handle: String,
    pub did: String,
    access: String,
}

static STARTING: Mutex<()> = Mutex::const_new(());

/// The outbound client of these tests: the PDS (and the proxy in front of it) run on loopback,
/// so the local networks are allowed here, explicitly (production allows public addresses only).
pub fn http() -> chorus_outbound::Client {
    chorus_networks::bluesky::http_client(&chorus_outbound::Builder::new(
        chorus_outbound::Policy::local_networks(),
    ))
    .unwrap()
}

fn pds_url() -> Option<String> {
    let dir = std::env::var("BSKY_PEER_DIR").unwrap_or_else(|_| "/var/tmp/chorus-bsky".into());
    let env = std::fs::read_to_string(PathBuf::from(dir).join("peer.env")).ok()?;
    if !env.lines().any(|l| l == "BSKY_PEER_MODE=pds") {
        return None;
    }
    env.lines()
        .find_map(|l| l.strip_prefix("BSKY_PDS_URL="))
        .map(str::to_owned)
}

async fn healthy(http: &chorus_outbound::Client, pds: &str) -> bool {
    http.get(&format!("{pds}/xrpc/_health"))
        .timeout(Duration::from_secs(3))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
}

/// The running PDS, started if needed; `None` (test skipped) when it cannot run.
pub async fn pds() -> Option<Peer> {
    let _guard = STARTING.lock().await;
    let http = http();
    if let Some(pds) = pds_url()
        && healthy(&http, &pds).await
    {
        return Some(Peer {
            pds,
            appview: None,
            http,
        });
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
    if let (Ok(s), Some(pds)) = (&status, pds_url())
        && s.success()
        && healthy(&http, &pds).await
    {
        return Some(Peer {
            pds,
            appview: None,
            http,
        });
    }
    let reason = format!("the local Bluesky PDS could not start ({status:?})");
    assert!(
        std::env::var("CHORUS_REQUIRE_SERVICES").as_deref() != Ok("1"),
        "{reason} (CHORUS_REQUIRE_SERVICES=1)"
    );
    eprintln!("SKIP: {reason}");
    None
}

/// The full peer (PDS and AppView, `shared/peers/bluesky` full mode): found if it runs,
/// started through `.ci/setup-bluesky.sh full` if not; `None` (test skipped, with the reason
/// printed) when it cannot run, a failure under CHORUS_REQUIRE_SERVICES=1.
pub async fn full() -> Option<Peer> {
    let _guard = STARTING.lock().await;
    let http = http();
    let read = || {
        let dir = std::env::var("BSKY_FULL_PEER_DIR").unwrap_or_else(|_| {
            let base =
                std::env::var("BSKY_PEER_DIR").unwrap_or_else(|_| "/var/tmp/chorus-bsky".into());
            format!("{base}-full")
        });
        let env = std::fs::read_to_string(PathBuf::from(dir).join("peer.env")).ok()?;
        let get = |k: &str| {
            env.lines()
                .find_map(|l| l.strip_prefix(&format!("{k}=")))
                .map(str::to_owned)
        };
        (get("BSKY_PEER_MODE")? == "full").then_some(())?;
        Some((get("BSKY_PDS_URL")?, get("BSKY_APPVIEW_URL")?))
    };
    if let Some((pds, appview)) = read()
        && healthy(&http, &pds).await
        && healthy(&http, &appview).await
    {
        return Some(Peer {
            pds,
            appview: Some(appview),
            http,
        });
    }
    let script = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../.ci/setup-bluesky.sh"
    ));
    eprintln!("starting the local Bluesky peer in full mode; the first start takes minutes");
    let status = std::process::Command::new("bash")
        .arg(&script)
        .arg("full")
        .status();
    if let (Ok(s), Some((pds, appview))) = (&status, read())
        && s.success()
        && healthy(&http, &pds).await
        && healthy(&http, &appview).await
    {
        return Some(Peer {
            pds,
            appview: Some(appview),
            http,
        });
    }
    let reason = format!(
        "the local Bluesky peer (full mode, with its AppView) could not start ({status:?})"
    );
    assert!(
        std::env::var("CHORUS_REQUIRE_SERVICES").as_deref() != Ok("1"),
        "{reason} (CHORUS_REQUIRE_SERVICES=1)"
    );
    eprintln!("SKIP: {reason}");
    None
}

impl Peer {
    /// Creates a record of `collection` as `account`; returns its (uri, cid).
    pub async fn create(
        &self,
        account: &Account,
        collection: &str,
        record: Value,
    ) -> (String, String) {
        let out = self
            .xrpc(
                "com.atproto.repo.createRecord",
                Some(&account.access),
                json!({"repo": account.did, "collection": collection, "record": record}),
            )
            .await;
        (
            out["uri"].as_str().unwrap().to_owned(),
            out["cid"].as_str().unwrap().to_owned(),
        )
    }

    /// Deletes `account`'s record `uri`.
    pub async fn delete(&self, account: &Account, uri: &str) {
        let (_, rest) = uri.split_once("at://").unwrap();
        let mut parts = rest.split('/');
        let (_, collection, rkey) = (parts.next(), parts.next().unwrap(), parts.next().unwrap());
        self.xrpc(
            "com.atproto.repo.deleteRecord",
            Some(&account.access),
            json!({"repo": account.did, "collection": collection, "rkey": rkey}),
        )
        .await;
    }

    /// A GET of the AppView's `nsid` (public methods; no credentials).
    pub async fn appview(&self, nsid: &str, query: &str) -> Value {
        let base = self.appview.as_deref().unwrap();
        let resp = self
            .http
            .get(&format!("{base}/xrpc/{nsid}?{query}"))
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let bytes = resp.bytes().await.unwrap();
        assert!(status.is_success(), "{nsid}: {status}");
        serde_json::from_slice(&bytes).unwrap()
    }

    async fn xrpc(&self, nsid: &str, token: Option<&str>, body: Value) -> Value {
        let mut req = self
            .http
            .post(&format!("{}/xrpc/{nsid}", self.pds))
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&body).unwrap());
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        assert!(status.is_success(), "{nsid}: {status} {text}");
        if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        }
    }

    /// A fresh account (unique handle).
    pub async fn account(&self, prefix: &str) -> Account {
        let n: u32 = rand::random();
        let handle = format!("{prefix}{n:08x}.test");
        let created = self
            .xrpc(
                "com.atproto.server.createAccount",
                None,
                json!({"handle": handle, "email": format!("{n:08x}@example.test"),
                       "password": format!("pw-{n:08x}-secret")}),
            )
            .await;
        Account {
            handle,
            did: created["did"].as_str().unwrap().to_owned(),
            access: created["accessJwt"].as_str().unwrap().to_owned(),
        }
    }

    /// Creates the app password `name` of `account`; returns it.
    pub async fn app_password(&self, account: &Account, name: &str) -> String {
        let out = self
            .xrpc(
                "com.atproto.server.createAppPassword",
                Some(&account.access),
                json!({ "name": name }),
            )
            .await;
        out["password"].as_str().unwrap().to_owned()
    }

    /// Revokes the app password `name`, as its owner would in Bluesky's settings.
    pub async fn revoke_app_password(&self, account: &Account, name: &str) {
        self.xrpc(
            "com.atproto.server.revokeAppPassword",
            Some(&account.access),
            json!({ "name": name }),
        )
        .await;
    }

    /// Writes a post as `account`; returns its (uri, cid).
    pub async fn post(&self, account: &Account, text: &str) -> (String, String) {
        let out = self
            .xrpc(
                "com.atproto.repo.createRecord",
                Some(&account.access),
                json!({"repo": account.did, "collection": "app.bsky.feed.post", "record": {
                    "$type": "app.bsky.feed.post", "text": text,
                    "createdAt": jiff::Timestamp::now().to_string(),
                }}),
            )
            .await;
        (
            out["uri"].as_str().unwrap().to_owned(),
            out["cid"].as_str().unwrap().to_owned(),
        )
    }

    /// Every post record of `did`: (uri, record).
    pub async fn posts(&self, did: &str) -> Vec<(String, Value)> {
        let out: Value = self
            .http
            .get(&format!(
                "{}/xrpc/com.atproto.repo.listRecords?repo={did}&collection=app.bsky.feed.post&limit=100",
                self.pds
            ))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .map(|b| serde_json::from_slice(&b).unwrap())
            .unwrap();
        out["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["uri"].as_str().unwrap().to_owned(), r["value"].clone()))
            .collect()
    }
}

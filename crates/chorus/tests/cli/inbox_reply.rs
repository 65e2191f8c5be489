//! From the firehose to a threaded reply, on the local Bluesky PDS: a fan posts and replies to
//! themself; `chorus ingest bluesky` stores the reply as a conversation (matched by a listening
//! query); the brand's account answers it from the inbox. The answer is threaded correctly
//! (parent = the fan's reply, root = the fan's first post), and sending it again after a
//! "failure" finds the same record instead of posting twice.

use std::time::{Duration, Instant};

use chorus_core::audit::Author;
use chorus_core::conversations::{QueryInput, RawQuery};
use chorus_core::org::MarketInput;
use chorus_networks::bluesky::{Agent, Secret, SecretKey, Xrpc};
use chorus_store::{DatabaseUrl, InboxQuery, Store};
use serde_json::{Value, json};

use crate::bluesky_peer::{local_http, peer};
use crate::support::chorus;

const KEY: [u8; 32] = [7; 32];

async fn login(pds: &str, handle: &str, password: &str) -> Agent {
    let xrpc = Xrpc::new(local_http(), pds).unwrap();
    Agent::login(xrpc, handle, &Secret::new(password))
        .await
        .unwrap()
}

async fn create_post(agent: &Agent, text: &str, reply: Option<Value>) -> (String, String) {
    let did = agent.did().await.to_string();
    let mut record = json!({
        "$type": "app.bsky.feed.post",
        "text": text,
        "langs": ["en"],
        "createdAt": jiff::Timestamp::now().to_string(),
    });
    if let Some(r) = reply {
        record["reply"] = r;
    }
    let out: Value = agent
        .procedure(
            "com.atproto.repo.createRecord",
            &json!({"repo": did, "collection": "app.bsky.feed.post", "record": record}),
        )
        .await
        .unwrap();
    (
        out["uri"].as_str().unwrap().to_owned(),
        out["cid"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn replies_from_the_inbox_are_threaded_on_the_pds_and_sent_once() {
    let Some(peer) = peer() else { return };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (fan_handle, _fan_did, fan_pw) = peer.new_account("fan");
    let (brand_handle, brand_did, brand_pw) = peer.new_account("brand");
    let word = format!("northwind{:06x}", rand::random::<u32>() & 0xffffff);

    let store = rt.block_on(async {
        let store = Store::open(&DatabaseUrl::sqlite_in(dir.path()))
            .await
            .unwrap();
        let sys = Author::system("test");
        let m = store
            .create_market(
                &sys,
                &MarketInput::parse(
                    "US",
                    "United States",
                    "US",
                    &["en-US".into()],
                    "America/New_York",
                )
                .unwrap(),
            )
            .await
            .unwrap();
        let q = QueryInput::parse(
            m.id,
            None,
            &RawQuery {
                name: "Brand".into(),
                query: word.clone(),
                side: Some("us".into()),
                ..RawQuery::default()
            },
        )
        .unwrap();
        store.create_listening_query(&sys, &q).await.unwrap();
        chorus_jobs::connect_bluesky(
            &store,
            &SecretKey::from_bytes(KEY),
            &local_http(),
            &sys,
            m.id,
            chorus_jobs::BlueskyLogin {
                pds: &peer.pds,
                handle: &brand_handle,
                app_password: Secret::new(&brand_pw),
            },
        )
        .await
        .unwrap();
        store
    });

    // Listen, then post: a root and a reply in the same thread, both mentioning the brand word.
    let firehose = peer.pds.replacen("http", "ws", 1);
    let ingest = chorus()
        .args(["ingest", "bluesky", "--quiet", "--firehose", &firehose])
        .arg("--data-dir")
        .arg(dir.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let (root, reply_post) = rt.block_on(async {
        let fan = login(&peer.pds, &fan_handle, &fan_pw).await;
        let root = create_post(&fan, &format!("Does anyone else love {word}?"), None).await;
        let refs = json!({"root": {"uri": root.0, "cid": root.1}, "parent": {"uri": root.0, "cid": root.1}});
        let reply = create_post(&fan, &format!("My {word} case broke today"), Some(refs)).await;
        (root, reply)
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let conv = loop {
        let rows = rt.block_on(store.inbox(&InboxQuery::default())).unwrap();
        if rows.len() >= 2 {
            break rows
                .into_iter()
                .find(|c| c.post.uri == reply_post.0)
                .unwrap();
        }
        assert!(
            Instant::now() < deadline,
            "the firehose posts never reached the inbox"
        );
        std::thread::sleep(Duration::from_millis(300));
    };
    std::process::Command::new("kill")
        .args(["-TERM", &ingest.id().to_string()])
        .status()
        .unwrap();
    let out = ingest.wait_with_output().unwrap();
    assert!(out.status.success(), "ingest stops cleanly on SIGTERM");
    assert!(String::from_utf8_lossy(&out.stdout).contains("cursor"));
    assert_eq!(conv.post.reply_root.as_deref(), Some(root.0.as_str()));
    assert_eq!(conv.post.cid.as_deref(), Some(reply_post.1.as_str()));

    let key = SecretKey::from_bytes(KEY);
    let (sent, again) = rt.block_on(async {
        let account = store.accounts(None).await.unwrap().pop().unwrap();
        let r = store
            .create_reply(
                &Author::system("test"),
                conv.id,
                account.id,
                "Sorry to hear! DM us.",
            )
            .await
            .unwrap();
        let sent = chorus_jobs::send_reply_with(&store, &key, &local_http(), r.id)
            .await
            .unwrap();
        // As if the answer had been lost: mark failed, retry with the same key.
        store.mark_reply_failed(r.id, "lost answer").await.unwrap();
        store.retry_reply(r.id).await.unwrap();
        let again = chorus_jobs::send_reply_with(&store, &key, &local_http(), r.id)
            .await
            .unwrap();
        (sent, again)
    });
    assert_eq!(sent.state, "sent");
    assert_eq!(sent.uri, again.uri, "the retry found the same record");
    let ours = peer.posts(&brand_did);
    assert_eq!(ours.len(), 1, "exactly one reply on the PDS: {ours:?}");
    let uri = sent.uri.clone().unwrap();
    let (_, collection_rkey) = uri.split_once("app.bsky.feed.post/").unwrap();
    let record: Value = reqwest::blocking::Client::new()
        .get(format!(
            "{}/xrpc/com.atproto.repo.getRecord?repo={brand_did}&collection=app.bsky.feed.post&rkey={collection_rkey}",
            peer.pds
        ))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        record["value"]["reply"]["parent"]["uri"],
        reply_post.0.as_str()
    );
    assert_eq!(
        record["value"]["reply"]["parent"]["cid"],
        reply_post.1.as_str()
    );
    assert_eq!(record["value"]["reply"]["root"]["uri"], root.0.as_str());
    assert_eq!(record["value"]["reply"]["root"]["cid"], root.1.as_str());
    let detail = rt.block_on(store.conversation(conv.id)).unwrap();
    assert_eq!(
        detail.row.status,
        chorus_core::conversations::Status::Waiting
    );
    assert!(detail.row.first_response_at_ms.is_some());
}

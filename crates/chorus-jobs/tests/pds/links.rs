//! Published links go out as click redirects: the post's text and its link facets carry
//! `{public_url}/l/{code}`, one code per link of the variant, and a retried publish sends the
//! same codes under the same record key.

use std::time::Duration;

use chorus_store::{JobState, PubState, publish_key};
use serde_json::Value;

use crate::peer;
use crate::proxy::{Fault, Proxy};
use crate::seed::{self, PUBLIC_URL};

const CREATE: &str = "com.atproto.repo.createRecord";
const TAGGED: &str = "https://example.com/launch?utm_source=bluesky&utm_medium=social&utm_campaign=none&utm_content=story-1&utm_term=fi";
const PLAIN: &str = "https://example.org/faq";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn published_links_are_redirects_and_a_retry_reuses_their_codes() {
    let Some(peer) = peer::pds().await else {
        return;
    };
    let proxy = Proxy::start(&peer.pds).await;
    let owner = peer.account("links").await;
    let app_password = peer.app_password(&owner, "chorus").await;
    let marker = format!("#{:08x}", rand::random::<u32>());
    let body = format!("Launch day: {TAGGED}. FAQ ({PLAIN}) and again {TAGGED} {marker}");
    let seeded = seed::scheduled(
        &proxy.url,
        &owner.handle,
        &app_password,
        std::slice::from_ref(&body),
    )
    .await;
    // The first attempt's three tries are refused: the job runs again later and makes a second
    // attempt, which publishes.
    proxy.arm(CREATE, &[Fault::Refuse; 3]);

    let worker = seed::start_worker(&seeded.store);
    let published = seed::until(Duration::from_secs(45), || async {
        seeded.variant(0).await.pub_state == PubState::Published
    })
    .await;
    worker.stop().await;
    let v = seeded.variant(0).await;
    assert!(published, "{v:?}");
    let job = seeded.store.job(&publish_key(v.id)).await.unwrap().unwrap();
    assert_eq!((job.state, job.attempts), (JobState::Done, 2));
    assert_eq!(v.body, body, "the variant keeps its own links");

    // One code per distinct link, pointing where the variant does.
    let links = seeded.store.link_clicks(v.id).await.unwrap();
    let targets: Vec<&str> = links.iter().map(|l| l.link.target.as_str()).collect();
    assert_eq!(targets, [TAGGED, PLAIN]);
    let redirect = |i: usize| format!("{PUBLIC_URL}/l/{}", links[i].link.code);
    let want = format!(
        "Launch day: {}. FAQ ({}) and again {} {marker}",
        redirect(0),
        redirect(1),
        redirect(0)
    );

    // The record on the PDS: the redirects in the text and in the link facets.
    let records = peer.posts(&owner.did).await;
    let ours: Vec<&(String, Value)> = records
        .iter()
        .filter(|(_, r)| r["text"].as_str().is_some_and(|t| t.contains(&marker)))
        .collect();
    assert_eq!(ours.len(), 1, "{records:?}");
    let (uri, record) = ours[0];
    assert_eq!(v.published_uri.as_deref(), Some(uri.as_str()));
    assert_eq!(record["text"], want.as_str());
    let facet_links: Vec<(String, usize, usize)> = record["facets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["features"][0]["$type"] == "app.bsky.richtext.facet#link")
        .map(|f| {
            (
                f["features"][0]["uri"].as_str().unwrap().to_owned(),
                f["index"]["byteStart"].as_u64().unwrap() as usize,
                f["index"]["byteEnd"].as_u64().unwrap() as usize,
            )
        })
        .collect();
    assert_eq!(
        facet_links
            .iter()
            .map(|(u, _, _)| u.clone())
            .collect::<Vec<_>>(),
        [redirect(0), redirect(1), redirect(0)]
    );
    for (u, start, end) in &facet_links {
        assert_eq!(&want[*start..*end], u, "the facet covers its link");
    }
    assert!(!record.to_string().contains("example.com/launch"));

    // Every try of both attempts sent the same text under the same record key.
    let creates = proxy.seen(CREATE);
    assert_eq!(creates.len(), 4, "three refused, one published");
    let sent: Vec<Value> = creates
        .iter()
        .map(|c| serde_json::from_slice(&c.body).unwrap())
        .collect();
    assert!(sent[0]["rkey"].is_string(), "{}", sent[0]);
    for s in &sent {
        assert_eq!(s["record"]["text"], want.as_str(), "{s}");
        assert_eq!(s["rkey"], sent[0]["rkey"]);
    }
    assert_eq!(
        seeded.store.link_clicks(v.id).await.unwrap().len(),
        2,
        "the retry made no new codes"
    );
}

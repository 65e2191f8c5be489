//! A reply whose first attempt fails on a server error is queued, retried by its job, and sent
//! once, threaded under the post it answers.

use std::time::Duration;

use chorus_core::audit::Author;
use chorus_core::conversations::{QueryInput, RawQuery};
use chorus_jobs::reply::{SEND_REPLY_JOB, reply_job_key};
use chorus_networks::ErrorKind;
use chorus_store::{InboxQuery, JobState, NewPost};

use crate::peer;
use crate::proxy::{Fault, Proxy};
use crate::seed;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_that_met_a_server_error_is_retried_by_its_job_and_sent_once() {
    let Some(peer) = peer::pds().await else {
        return;
    };
    let proxy = Proxy::start(&peer.pds).await;
    let brand = peer.account("brand").await;
    let customer = peer.account("customer").await;
    let app_password = peer.app_password(&brand, "chorus").await;
    let seeded = seed::scheduled(&proxy.url, &brand.handle, &app_password, &[]).await;
    let store = &seeded.store;

    // A customer's post, found by a listening query of the market.
    let (uri, cid) = peer
        .post(&customer, "is anyone listening at the brand?")
        .await;
    let sys = Author::system("test");
    let q = store
        .create_listening_query(
            &sys,
            &QueryInput::parse(
                seeded.market,
                None,
                &RawQuery {
                    name: "Brand".into(),
                    query: "listening".into(),
                    side: Some("us".into()),
                    ..RawQuery::default()
                },
            )
            .unwrap(),
        )
        .await
        .unwrap();
    store
        .ingest_batch(
            "test",
            "1",
            vec![NewPost {
                uri: uri.clone(),
                network: "bluesky".into(),
                author: customer.did.clone(),
                author_handle: Some(customer.handle.clone()),
                body: "is anyone listening at the brand?".into(),
                lang: "en".into(),
                sentiment: 0.0,
                labels: Default::default(),
                posted_at_ms: chorus_store::now_ms(),
                reply_parent: None,
                reply_root: None,
                quote_of: None,
                cid: Some(cid.clone()),
                link: None,
                country: None,
                domains: vec![],
                matches: vec![(q.id, seeded.market).into()],
            }],
        )
        .await
        .unwrap();
    let conversation = store.inbox(&InboxQuery::default()).await.unwrap()[0].id;
    let reply = store
        .create_reply(&sys, conversation, seeded.account, "We are! DM us.")
        .await
        .unwrap();

    // The first attempt (made while the person waits) meets three 500s and gives up for now.
    proxy.arm("com.atproto.repo.createRecord", &[Fault::Refuse; 3]);
    let err = chorus_jobs::send_reply_with(store, &seed::key(), &crate::peer::http(), reply.id)
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Transient { .. }),
        "{err}: {:?}",
        err.kind()
    );
    let failed = store.reply(reply.id).await.unwrap();
    assert_eq!(failed.state, "failed");
    assert!(failed.error.unwrap_or_default().contains("server error"));
    let job = store.job(&reply_job_key(reply.id)).await.unwrap().unwrap();
    assert_eq!(
        (job.kind.as_str(), job.state, job.attempts),
        (SEND_REPLY_JOB, JobState::Queued, 0)
    );

    let worker = seed::start_worker(store);
    let sent = seed::until(Duration::from_secs(30), || async {
        store.reply(reply.id).await.unwrap().state == "sent"
    })
    .await;
    worker.stop().await;
    assert!(sent, "the job sent it: {:?}", store.reply(reply.id).await);

    let job = store.job(&reply_job_key(reply.id)).await.unwrap().unwrap();
    assert_eq!((job.state, job.attempts), (JobState::Done, 1));
    let records = peer.posts(&brand.did).await;
    assert_eq!(
        records.len(),
        1,
        "exactly one reply on the PDS: {records:?}"
    );
    let (reply_uri, record) = &records[0];
    assert_eq!(record["text"], "We are! DM us.");
    assert_eq!(record["reply"]["parent"]["uri"], uri.as_str());
    assert_eq!(record["reply"]["parent"]["cid"], cid.as_str());
    assert_eq!(record["reply"]["root"]["uri"], uri.as_str());
    let done = store.reply(reply.id).await.unwrap();
    assert_eq!(done.uri.as_deref(), Some(reply_uri.as_str()));
    assert_eq!(proxy.seen("com.atproto.repo.createRecord").len(), 4);
}

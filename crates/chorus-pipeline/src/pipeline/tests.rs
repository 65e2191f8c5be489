//! The stages alone, on channels, and the bounded backpressure between them.

use super::*;

fn incoming(uri: &str, text: &str) -> Incoming {
    Incoming {
        uri: uri.into(),
        network: "import".into(),
        author: "a".into(),
        author_handle: None,
        text: text.into(),
        declared_langs: vec![],
        country: None,
        domains: vec![],
        posted_at_ms: 1_700_000_000_000,
        reply_parent: None,
        reply_root: None,
        quote_of: None,
        cid: None,
        link: None,
    }
}

#[test]
fn score_stage_keeps_order_and_positions() {
    let (in_tx, in_rx) = mpsc::channel(2);
    let (out_tx, mut out_rx) = mpsc::channel(2);
    let t = score_stage(Analyzers::new(), in_rx, out_tx);
    for i in 0..5 {
        in_tx
            .blocking_send(Batch {
                source: "test".into(),
                position: i.to_string(),
                items: vec![incoming(&format!("u{i}"), "I love this great phone")],
            })
            .unwrap();
        let b = out_rx.blocking_recv().unwrap();
        assert_eq!(b.position, i.to_string());
        assert_eq!(b.items[0].post.uri, format!("u{i}"));
        assert!(b.items[0].sentiment > 0.5);
    }
    drop(in_tx);
    assert!(
        out_rx.blocking_recv().is_none(),
        "closing the input ends the stage"
    );
    t.join().unwrap();
}

#[test]
fn a_full_channel_stops_the_stage_before_it() {
    // Nobody reads the output: the stage fills it, then blocks, so the input fills too.
    let (in_tx, in_rx) = mpsc::channel(1);
    let (out_tx, out_rx) = mpsc::channel(1);
    let _t = score_stage(Analyzers::new(), in_rx, out_tx);
    let mut sent = 0;
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while std::time::Instant::now() < deadline {
        match in_tx.try_send(Batch {
            source: "test".into(),
            position: sent.to_string(),
            items: vec![incoming("u", "x")],
        }) {
            Ok(()) => sent += 1,
            Err(mpsc::error::TrySendError::Full(_)) => {
                std::thread::sleep(Duration::from_millis(50));
                if in_tx.capacity() == 0 {
                    break;
                }
            }
            Err(e) => panic!("{e}"),
        }
    }
    // One batch in the output channel, one held by the stage, one in the input channel.
    assert!(sent <= 3, "sent {sent}: the pipeline queued without bound");
    assert_eq!(in_tx.capacity(), 0);
    drop(out_rx);
}

#[test]
fn match_stage_swaps_query_sets_between_batches() {
    use chorus_core::MarketId;
    use chorus_core::conversations::{ListeningQuery, QueryId, Side};
    let q = |id: i64, text: &str| ListeningQuery {
        id: QueryId(id),
        market_id: MarketId(1),
        team_id: None,
        name: format!("q{id}"),
        query: text.into(),
        languages: vec![],
        networks: vec![],
        side: Side::Topic,
        spike_factor: 3.0,
        active: true,
        revision: 0,
    };
    let (set_tx, set_rx) = watch::channel(Arc::new(QuerySet::build(&[q(1, "alpha")], 1)));
    let (in_tx, in_rx) = mpsc::channel(1);
    let (out_tx, mut out_rx) = mpsc::channel(1);
    let t = match_stage(set_rx, in_rx, out_tx);
    let scored = |text: &str| Scored {
        post: incoming("u", text),
        lang: "en".into(),
        sentiment: 0.0,
        labels: Default::default(),
    };
    in_tx
        .blocking_send(Batch {
            source: "test".into(),
            position: "1".into(),
            items: vec![scored("alpha beta"), scored("gamma")],
        })
        .unwrap();
    let b = out_rx.blocking_recv().unwrap();
    assert_eq!(b.items[0].matches.len(), 1);
    assert!(b.items[1].matches.is_empty());
    set_tx
        .send(Arc::new(QuerySet::build(
            &[q(1, "alpha"), q(2, "gamma")],
            2,
        )))
        .unwrap();
    in_tx
        .blocking_send(Batch {
            source: "test".into(),
            position: "2".into(),
            items: vec![scored("gamma")],
        })
        .unwrap();
    let b = out_rx.blocking_recv().unwrap();
    assert_eq!(b.items[0].matches[0].query, QueryId(2));
    drop(in_tx);
    t.join().unwrap();
}

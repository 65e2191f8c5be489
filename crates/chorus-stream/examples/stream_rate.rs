//! The stream's own rate, as Chorus uses it (the part `nats bench` would measure): N messages
//! of a post's size published through the source's code path (`sink::publish_all`: a message id
//! each, a window of acknowledgements in flight) into a work-queue stream on file storage, then
//! fetched in batches and acknowledged as workers do. Prints messages per second each way.
//!
//!   cargo run --release -p chorus-stream --example stream_rate -- nats://127.0.0.1:4222 [N] [BYTES]

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use bytes::Bytes;
use chorus_stream::sink::{Outgoing, publish_all};
use chorus_stream::{Health, StreamConfig};
use futures_util::StreamExt;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .unwrap_or_else(|| "nats://127.0.0.1:4222".into());
    let n: usize = args
        .next()
        .map_or(200_000, |s| s.parse().expect("N: a number"));
    let size: usize = args
        .next()
        .map_or(450, |s| s.parse().expect("BYTES: a number"));
    let mut config = StreamConfig::new(url);
    config.stream = "CHORUS_RATE".into();
    config.subject_prefix = "chorus-rate".into();
    config.consumer = "chorus-rate".into();
    config.max_bytes = 4 << 30;
    let conn = chorus_stream::connect(config, "chorus-stream-rate")
        .await
        .unwrap();
    let payload = Bytes::from(vec![b'x'; size]);
    let messages: Vec<Outgoing> = (0..n)
        .map(|i| Outgoing {
            subject: format!("chorus-rate.{}", i % 16),
            id: format!("rate-{i}-{}", std::process::id()),
            payload: payload.clone(),
        })
        .collect();
    let health = Health::default();
    let started = Instant::now();
    publish_all(&conn, &health, messages).await;
    let publish = started.elapsed().as_secs_f64();
    println!(
        "published {n} messages of {size} bytes: {:.0} messages/s",
        n as f64 / publish
    );

    let consumer = conn.consumer().await.unwrap();
    let started = Instant::now();
    let mut acked = 0;
    while acked < n {
        let mut batch = consumer.batch().max_messages(500).messages().await.unwrap();
        let mut got = Vec::with_capacity(500);
        while let Some(m) = batch.next().await {
            got.push(m.unwrap());
        }
        futures_util::future::join_all(got.iter().map(|m| m.ack())).await;
        acked += got.len();
    }
    let consume = started.elapsed().as_secs_f64();
    println!(
        "fetched and acknowledged {n} in batches of 500: {:.0} messages/s",
        n as f64 / consume
    );
    conn.js.delete_stream("CHORUS_RATE").await.unwrap();
}

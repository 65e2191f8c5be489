//! The `deliver_webhook` kind against a receiver this test starts on loopback: the request's
//! headers and body, the signature checked by Python's `hmac` (an implementation independent of
//! the one that signs), a 500 retried later with the attempt logged, a target on a loopback
//! address refused by the outbound guard under the default policy (nothing reaches the
//! receiver) and delivered once the policy opens local networks.

use std::sync::{Arc, Mutex};

use chorus_core::audit::Author;
use chorus_core::webhooks::{EventType, SigningSecret};
use chorus_jobs::webhooks::DeliverWebhook;
use chorus_jobs::{JobKind, Outcome};
use chorus_networks::bluesky::SecretKey;
use chorus_outbound::Policy;
use chorus_store::{
    DatabaseUrl, DeliveryState, EndpointInput, JobState, NewEvent, Store, WEBHOOK_JOB,
    webhook_job_key,
};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

/// One request the receiver took: lower-case header names and values, and the body.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A tiny HTTP/1.1 receiver on 127.0.0.1 answering every request with `status` (changeable
/// through the returned handle) and keeping what it was sent.
pub async fn receiver(
    status: u16,
) -> (
    std::net::SocketAddr,
    Arc<Mutex<Vec<Received>>>,
    Arc<Mutex<u16>>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let got = Arc::new(Mutex::new(Vec::new()));
    let answer = Arc::new(Mutex::new(status));
    let (g, a) = (got.clone(), answer.clone());
    tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                return;
            };
            let (g, a) = (g.clone(), a.clone());
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut r = BufReader::new(r);
                let mut headers = Vec::new();
                let mut line = String::new();
                r.read_line(&mut line).await.unwrap();
                loop {
                    line.clear();
                    r.read_line(&mut line).await.unwrap();
                    let l = line.trim_end();
                    if l.is_empty() {
                        break;
                    }
                    let (n, v) = l.split_once(':').unwrap();
                    headers.push((n.trim().to_ascii_lowercase(), v.trim().to_owned()));
                }
                let len: usize = headers
                    .iter()
                    .find(|(n, _)| n == "content-length")
                    .map_or(0, |(_, v)| v.parse().unwrap());
                let mut body = vec![0; len];
                r.read_exact(&mut body).await.unwrap();
                g.lock().unwrap().push(Received { headers, body });
                let status = *a.lock().unwrap();
                let reply = format!(
                    "HTTP/1.1 {status} X\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
                );
                w.write_all(reply.as_bytes()).await.unwrap();
                w.shutdown().await.ok();
            });
        }
    });
    (addr, got, answer)
}

/// Checks `header` over `body` with Python's `hmac` and `hashlib`, as a receiver would.
pub fn python_verifies(secret: &str, header: &str, body: &[u8]) -> bool {
    let script = r#"
import hashlib, hmac, sys, time
secret, header, body = sys.argv[1], sys.argv[2], sys.stdin.buffer.read()
parts = dict(p.split("=", 1) for p in header.split(","))
t = parts["t"]
expected = hmac.new(secret.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
ok = hmac.compare_digest(expected, parts["v1"]) and abs(time.time() - int(t)) <= 300
print("ok" if ok else "bad")
"#;
    let mut child = std::process::Command::new("python3")
        .args(["-c", script, secret, header])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    use std::io::Write;
    child.stdin.take().unwrap().write_all(body).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "python3 failed");
    String::from_utf8_lossy(&out.stdout).trim() == "ok"
}

struct Setup {
    store: Store,
    key: SecretKey,
    _dir: tempfile::TempDir,
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&DatabaseUrl::sqlite_in(dir.path()))
        .await
        .unwrap();
    Setup {
        store,
        key: SecretKey::from_bytes([9u8; 32]),
        _dir: dir,
    }
}

fn kind(s: &Setup, policy: Policy) -> DeliverWebhook {
    let http = chorus_outbound::Builder::new(policy).build().unwrap();
    DeliverWebhook::new(s.store.clone(), s.key.clone(), http)
}

async fn endpoint(s: &Setup, url: &str) -> chorus_store::WebhookEndpoint {
    s.store
        .create_webhook(
            &Author::system("test"),
            &EndpointInput {
                name: "receiver",
                url,
                market_id: None,
                events: &["story.approved"],
                enabled: true,
            },
            "salt",
        )
        .await
        .unwrap()
}

async fn event(s: &Setup) -> String {
    s.store
        .record_webhook_event(&NewEvent {
            kind: EventType::StoryApproved,
            market: None,
            data: serde_json::json!({"story_id": 7, "title": "Ääkköset & <tags>"}),
        })
        .await
        .unwrap()
        .unwrap()
}

async fn claim(s: &Setup) -> chorus_store::Job {
    s.store
        .claim_job("t", &[WEBHOOK_JOB], 30_000)
        .await
        .unwrap()
        .expect("a due webhook job")
}

#[tokio::test]
async fn a_delivery_is_signed_so_that_an_independent_check_accepts_it() {
    let s = setup().await;
    let (addr, got, answer) = receiver(500).await;
    let hook = endpoint(&s, &format!("http://127.0.0.1:{}/hook", addr.port())).await;
    let id = event(&s).await;
    let deliver = kind(&s, Policy::local_networks());

    // First a 500: retried later, the attempt logged with the status.
    let job = claim(&s).await;
    let outcome = deliver.run(&job).await;
    assert!(matches!(outcome, Outcome::RetryLater { .. }), "{outcome:?}");
    let key = webhook_job_key(s.store.webhook_deliveries(hook.id, 1).await.unwrap()[0].id);
    let status = s.store.job(&key).await.unwrap().unwrap();
    assert_eq!(status.state, JobState::Queued);
    assert!(
        status.run_at_ms > chorus_store::now_ms() + 20_000,
        "backed off"
    );
    let log = s.store.webhook_attempts(hook.id, 10).await.unwrap();
    assert_eq!(log[0].status, Some(500));
    assert_eq!(log[0].error.as_deref(), Some("answered HTTP 500"));

    // Then a 204: delivered, with the same body and id.
    *answer.lock().unwrap() = 204;
    s.store.run_job_now(&key).await.unwrap();
    let job = claim(&s).await;
    assert_eq!(job.attempts, 2);
    let outcome = deliver.run(&job).await;
    assert!(matches!(outcome, Outcome::Done { .. }), "{outcome:?}");
    let d = &s.store.webhook_deliveries(hook.id, 1).await.unwrap()[0];
    assert_eq!(
        (d.state, d.last_status, d.attempts),
        (DeliveryState::Delivered, Some(204), 2)
    );

    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 2);
    assert_eq!(
        got[0].body, got[1].body,
        "every attempt sends the same bytes"
    );
    let secret = SigningSecret::derive(s.key.as_bytes(), "salt");
    for (i, r) in got.iter().enumerate() {
        assert_eq!(r.header("chorus-event-id"), Some(id.as_str()));
        assert_eq!(r.header("chorus-event-type"), Some("story.approved"));
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(
            r.header("chorus-delivery-attempt"),
            Some((i + 1).to_string().as_str())
        );
        let sig = r.header("chorus-signature").unwrap();
        assert!(python_verifies(secret.reveal(), sig, &r.body), "{sig}");
        assert!(
            !python_verifies("whsec_wrong", sig, &r.body),
            "the check can fail"
        );
        let mut tampered = r.body.clone();
        tampered[2] ^= 1;
        assert!(!python_verifies(secret.reveal(), sig, &tampered));
    }
    let body: serde_json::Value = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!(body["id"], id.as_str());
    assert_eq!(body["data"]["title"], "Ääkköset & <tags>");
}

#[tokio::test]
async fn a_private_target_is_refused_unless_the_policy_opens_local_networks() {
    let s = setup().await;
    let (addr, got, _) = receiver(200).await;
    let hook = endpoint(&s, &format!("http://127.0.0.1:{}/hook", addr.port())).await;
    event(&s).await;
    let job = claim(&s).await;
    let outcome = kind(&s, Policy::public_only()).run(&job).await;
    let Outcome::Failed { error } = outcome else {
        panic!("{outcome:?}")
    };
    assert!(error.contains("refused"), "{error}");
    assert!(
        got.lock().unwrap().is_empty(),
        "nothing reached the receiver"
    );
    let d = &s.store.webhook_deliveries(hook.id, 1).await.unwrap()[0];
    assert_eq!((d.state, d.last_status), (DeliveryState::Failed, None));
    assert_eq!(
        s.store
            .job(&webhook_job_key(d.id))
            .await
            .unwrap()
            .unwrap()
            .state,
        JobState::Failed,
        "refused for good, not retried"
    );

    // The same address once [outbound] allow_private_addresses opens local networks.
    event(&s).await;
    let job = claim(&s).await;
    let outcome = kind(&s, Policy::allow_private_addresses(true))
        .run(&job)
        .await;
    assert!(matches!(outcome, Outcome::Done { .. }), "{outcome:?}");
    assert_eq!(got.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_turned_off_endpoint_gets_nothing_but_its_test_event() {
    let s = setup().await;
    let (addr, got, _) = receiver(200).await;
    let hook = endpoint(&s, &format!("http://127.0.0.1:{}/hook", addr.port())).await;
    event(&s).await;
    s.store
        .update_webhook(
            &Author::system("test"),
            hook.id,
            &EndpointInput {
                name: "receiver",
                url: &hook.url,
                market_id: None,
                events: &["story.approved"],
                enabled: false,
            },
        )
        .await
        .unwrap();
    let deliver = kind(&s, Policy::local_networks());
    let outcome = deliver.run(&claim(&s).await).await;
    assert!(matches!(outcome, Outcome::Dropped { .. }), "{outcome:?}");
    s.store
        .send_test_webhook(hook.id, serde_json::json!({"hello": "world"}))
        .await
        .unwrap();
    let outcome = deliver.run(&claim(&s).await).await;
    assert!(matches!(outcome, Outcome::Done { .. }), "{outcome:?}");
    let got = got.lock().unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].header("chorus-event-type"), Some("webhook.test"));
}

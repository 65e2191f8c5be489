//! The `send_mail` kind against real SMTP servers: maildev (started by `.ci/setup-smtp.sh`),
//! whose REST API (`GET /email`) shows what arrived, and a stub on loopback that answers with
//! the reply codes a test asks for (550 for a recipient, 421 at the greeting). maildev missing:
//! the test prints why and passes, unless CHORUS_REQUIRE_SERVICES=1.

use std::path::PathBuf;
use std::time::Duration;

use chorus_jobs::mail::{Mailer, Security, SendMail, SmtpSettings};
use chorus_jobs::{JobKind, Outcome};
use chorus_store::{DatabaseUrl, JobState, MAIL_JOB, MailState, NewMail, Store, mail_job_key};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// maildev's SMTP and web ports: from CHORUS_SMTP ("SMTP WEB", what `scripts/test` exports),
/// else from `.ci/setup-smtp.sh`'s last line; `None` (skipped) when it cannot run.
async fn maildev() -> Option<(u16, u16)> {
    let parse = |line: &str| -> Option<(u16, u16)> {
        let mut it = line.split_whitespace().map(str::parse::<u16>);
        Some((it.next()?.ok()?, it.next()?.ok()?))
    };
    let ports = match std::env::var("CHORUS_SMTP").ok().and_then(|l| parse(&l)) {
        Some(p) => Some(p),
        None => {
            let script = PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../.ci/setup-smtp.sh"
            ));
            std::process::Command::new("bash")
                .arg(script)
                .output()
                .ok()
                .filter(|o| o.status.success())
                .and_then(|o| {
                    let out = String::from_utf8_lossy(&o.stdout).into_owned();
                    out.lines().last().and_then(parse)
                })
        }
    };
    if let Some((smtp, web)) = ports
        && emails(web).await.is_some()
    {
        return Some((smtp, web));
    }
    let reason = "maildev (.ci/setup-smtp.sh) is not available";
    assert!(
        std::env::var("CHORUS_REQUIRE_SERVICES").as_deref() != Ok("1"),
        "{reason} (CHORUS_REQUIRE_SERVICES=1)"
    );
    eprintln!("SKIP: {reason}");
    None
}

/// Every message maildev holds.
async fn emails(web: u16) -> Option<Vec<Value>> {
    let http = crate::peer::http();
    let r = http
        .get(&format!("http://127.0.0.1:{web}/email"))
        .send()
        .await
        .ok()?;
    serde_json::from_str(&r.text().await.ok()?).ok()
}

pub fn settings(port: u16) -> SmtpSettings {
    SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        security: Security::None,
        credentials: None,
        from: "Chorus <chorus@example.com>".into(),
        reply_to: None,
        timeout: Duration::from_secs(5),
    }
}

pub async fn store() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&DatabaseUrl::sqlite_in(dir.path()))
        .await
        .unwrap();
    (store, dir)
}

pub fn nonce() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// Enqueues one message to `to`; claims its job and runs it through `send_mail` on `port`.
pub async fn send_one(store: &Store, port: u16, to: &str, key: &str) -> (i64, Outcome) {
    let id = store
        .enqueue_mail(&NewMail {
            key,
            to,
            subject: "Your report for week 49",
            text: "Plain figures: 42 likes.",
            html: Some("<p>HTML figures: <b>42</b> likes.</p>"),
            list_unsubscribe: Some("<https://chorus.example/u/tok>, <mailto:unsub@example.com>"),
            one_click: true,
            locale: "en",
        })
        .await
        .unwrap()
        .id;
    let job = store
        .claim_job("test", &[MAIL_JOB], 30_000)
        .await
        .unwrap()
        .unwrap();
    let kind = SendMail::new(store.clone(), Mailer::new(settings(port)).unwrap());
    (id, kind.run(&job).await)
}

#[tokio::test]
async fn a_message_arrives_once_with_both_parts_and_list_unsubscribe() {
    let Some((smtp, web)) = maildev().await else {
        return;
    };
    let (store, _dir) = store().await;
    let to = format!("reader-{}@example.org", nonce());
    let (id, outcome) = send_one(&store, smtp, &to, "report:1").await;
    assert!(matches!(outcome, Outcome::Done { .. }), "{outcome:?}");
    let m = store.outbox_mail(id).await.unwrap().unwrap();
    assert_eq!((m.state, m.attempts), (MailState::Sent, 1));
    // The job is done and the same key enqueues nothing: nothing more goes out.
    assert!(
        !store
            .enqueue_mail(&NewMail {
                key: "report:1",
                to: &to,
                subject: "x",
                text: "x",
                html: None,
                list_unsubscribe: None,
                one_click: false,
                locale: "en"
            })
            .await
            .unwrap()
            .created
    );
    assert!(
        store
            .claim_job("test", &[MAIL_JOB], 30_000)
            .await
            .unwrap()
            .is_none()
    );

    let all = emails(web).await.unwrap();
    let got: Vec<&Value> = all
        .iter()
        .filter(|e| {
            e["to"]
                .as_array()
                .is_some_and(|a| a.iter().any(|t| t["address"] == to.as_str()))
        })
        .collect();
    assert_eq!(got.len(), 1, "arrived once: {got:?}");
    let e = got[0];
    assert_eq!(e["subject"], "Your report for week 49");
    assert!(
        e["text"]
            .as_str()
            .unwrap()
            .contains("Plain figures: 42 likes."),
        "{e}"
    );
    assert!(e["html"].as_str().unwrap().contains("<b>42</b>"), "{e}");
    let headers = &e["headers"];
    assert_eq!(
        headers["list-unsubscribe"],
        "<https://chorus.example/u/tok>, <mailto:unsub@example.com>"
    );
    assert_eq!(
        headers["list-unsubscribe-post"],
        "List-Unsubscribe=One-Click"
    );
    let message_id = format!("<chorus.{id}.{}@example.com>", m.created_at_ms);
    assert_eq!(headers["message-id"], message_id.as_str(), "{headers}");
    assert_eq!(e["from"][0]["address"], "chorus@example.com");
}

/// A one-connection-at-a-time SMTP stub on loopback: greets with `greeting` (a 421 closes
/// the connection) and answers RCPT with `rcpt`.
async fn stub(greeting: &'static str, rcpt: &'static str) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let (read, mut write) = socket.into_split();
            let mut lines = BufReader::new(read).lines();
            write
                .write_all(format!("{greeting}\r\n").as_bytes())
                .await
                .ok();
            if greeting.starts_with('4') {
                continue;
            }
            while let Ok(Some(line)) = lines.next_line().await {
                let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                let reply = match verb.as_str() {
                    "EHLO" | "HELO" => "250 stub",
                    "MAIL" => "250 2.1.0 ok",
                    "RCPT" => rcpt,
                    "QUIT" => "221 bye",
                    _ => "250 ok",
                };
                write
                    .write_all(format!("{reply}\r\n").as_bytes())
                    .await
                    .ok();
                if verb == "QUIT" {
                    break;
                }
            }
        }
    });
    port
}

#[tokio::test]
async fn a_550_fails_the_message_with_the_reply_code() {
    let (store, _dir) = store().await;
    let port = stub("220 stub ESMTP", "550 5.1.1 no such user here").await;
    let (id, outcome) = send_one(&store, port, "gone@example.org", "k").await;
    assert!(matches!(outcome, Outcome::Failed { .. }), "{outcome:?}");
    let m = store.outbox_mail(id).await.unwrap().unwrap();
    assert_eq!((m.state, m.attempts), (MailState::Failed, 1));
    assert!(m.last_error.as_deref().unwrap().contains("550"), "{m:?}");
    let job = store.job(&mail_job_key(id)).await.unwrap().unwrap();
    assert_eq!(job.state, JobState::Failed);
}

#[tokio::test]
async fn a_421_or_a_refused_connection_is_retried_later() {
    let (store, _dir) = store().await;
    let port = stub("421 4.3.2 too busy, try later", "250 ok").await;
    let (id, outcome) = send_one(&store, port, "a@example.org", "busy").await;
    assert!(matches!(outcome, Outcome::RetryLater { .. }), "{outcome:?}");
    let m = store.outbox_mail(id).await.unwrap().unwrap();
    assert_eq!((m.state, m.attempts), (MailState::Queued, 1));
    assert!(m.last_error.as_deref().unwrap().contains("421"), "{m:?}");
    let job = store.job(&mail_job_key(id)).await.unwrap().unwrap();
    assert_eq!(job.state, JobState::Queued);
    assert!(job.run_at_ms > chorus_store::now_ms(), "after a backoff");

    // Nothing listens on a port just released: the connection is refused.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let (id, outcome) = send_one(&store, closed, "b@example.org", "refused").await;
    assert!(matches!(outcome, Outcome::RetryLater { .. }), "{outcome:?}");
    let m = store.outbox_mail(id).await.unwrap().unwrap();
    assert_eq!((m.state, m.attempts), (MailState::Queued, 1));
}

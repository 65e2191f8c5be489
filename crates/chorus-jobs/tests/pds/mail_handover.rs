//! `send_mail`'s connections and its hand-over mark, against SMTP servers on loopback that
//! count what they see: one connection carries message after message, the outbox knows a
//! message was written in full before the server answers, and a message its sender left so
//! marked (the process died) is recorded as sent, not sent again.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chorus_jobs::mail::{Mailer, PRESUMED_DELIVERED, SendMail};
use chorus_jobs::{JobKind, Outcome};
use chorus_store::{JobState, MAIL_JOB, MailState, NewMail, Store, mail_job_key};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::mail::{settings, store};

/// What the counting server saw.
#[derive(Default)]
struct Seen {
    connections: AtomicUsize,
    /// Bodies ended by their `.` (accepted with a 250).
    messages: AtomicUsize,
}

/// How the counting server treats a message.
#[derive(Clone, Copy)]
enum Behaviour {
    Accept,
    /// Answers DATA with 354, then closes the connection.
    HangUpAtData,
    /// Answers the `.` with 250 after this many milliseconds.
    SlowReply(u64),
}

/// An SMTP server on loopback that takes any message (354 to DATA, 250 after the `.`), any
/// number per connection, and counts connections and messages.
async fn counting_server(behaviour: Behaviour) -> (u16, Arc<Seen>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Seen::default());
    let counts = seen.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            counts.connections.fetch_add(1, Ordering::SeqCst);
            let counts = counts.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 counting ESMTP\r\n").await.ok();
                let mut in_body = false;
                while let Ok(Some(line)) = lines.next_line().await {
                    if in_body {
                        if line == "." {
                            in_body = false;
                            counts.messages.fetch_add(1, Ordering::SeqCst);
                            if let Behaviour::SlowReply(ms) = behaviour {
                                tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
                            }
                            write.write_all(b"250 2.0.0 queued\r\n").await.ok();
                        }
                        continue;
                    }
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 counting\r\n",
                        "DATA" => b"354 go ahead\r\n",
                        "QUIT" => b"221 bye\r\n",
                        _ => b"250 ok\r\n",
                    };
                    write.write_all(reply).await.ok();
                    if verb == "DATA" {
                        if matches!(behaviour, Behaviour::HangUpAtData) {
                            return;
                        }
                        in_body = true;
                    }
                    if verb == "QUIT" {
                        return;
                    }
                }
            });
        }
    });
    (port, seen)
}

async fn enqueue(store: &Store, key: &str) -> i64 {
    store
        .enqueue_mail(&NewMail {
            key,
            to: "reader@example.org",
            subject: "Confirm your email",
            text: "Press the button.",
            html: None,
            list_unsubscribe: None,
            one_click: false,
            locale: "en",
        })
        .await
        .unwrap()
        .id
}

/// Claims the due mail job with a lease of `lease_ms` (0: lapsed at once, as a dead
/// worker's does).
async fn claim_for(store: &Store, lease_ms: i64) -> chorus_store::Job {
    store
        .claim_job("test", &[MAIL_JOB], lease_ms)
        .await
        .unwrap()
        .unwrap()
}

async fn claim(store: &Store) -> chorus_store::Job {
    claim_for(store, 30_000).await
}

// Multi-threaded: on SQLite the hand-over is then committed on the sending thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_connection_carries_message_after_message() {
    let (store, _dir) = store().await;
    let (port, seen) = counting_server(Behaviour::Accept).await;
    let kind = SendMail::new(store.clone(), Mailer::new(settings(port)).unwrap());
    for i in 0..5 {
        let id = enqueue(&store, &format!("k{i}")).await;
        let outcome = kind.run(&claim(&store).await).await;
        assert!(matches!(outcome, Outcome::Done { .. }), "{outcome:?}");
        let m = store.outbox_mail(id).await.unwrap().unwrap();
        assert_eq!(m.state, MailState::Sent);
    }
    assert_eq!(seen.messages.load(Ordering::SeqCst), 5);
    assert_eq!(
        seen.connections.load(Ordering::SeqCst),
        1,
        "the connection was kept"
    );
}

#[tokio::test]
async fn a_message_left_half_handed_over_is_recorded_as_sent_not_sent_again() {
    let (store, _dir) = store().await;
    let (port, seen) = counting_server(Behaviour::Accept).await;
    let id = enqueue(&store, "crashed").await;
    // A sender claimed it, wrote it, marked it and died (its job's lease ran out).
    let first = claim_for(&store, 0).await;
    assert!(store.mail_handed_over(id).await.unwrap());
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let job = claim(&store).await;
    assert_eq!(
        (job.id, job.attempts),
        (first.id, 2),
        "claimed again after the lease"
    );
    let kind = SendMail::new(store.clone(), Mailer::new(settings(port)).unwrap());
    let outcome = kind.run(&job).await;
    assert!(matches!(outcome, Outcome::Done { .. }), "{outcome:?}");
    let m = store.outbox_mail(id).await.unwrap().unwrap();
    assert_eq!(m.state, MailState::Sent);
    assert_eq!(m.last_error.as_deref(), Some(PRESUMED_DELIVERED));
    let job = store.job(&mail_job_key(id)).await.unwrap().unwrap();
    assert_eq!(job.state, JobState::Done);
    assert_eq!(
        seen.connections.load(Ordering::SeqCst),
        0,
        "nothing was sent"
    );
}

#[tokio::test]
async fn a_server_that_hangs_up_before_the_body_has_the_message_retried() {
    let (store, _dir) = store().await;
    let (port, seen) = counting_server(Behaviour::HangUpAtData).await;
    let id = enqueue(&store, "hung-up").await;
    let kind = SendMail::new(store.clone(), Mailer::new(settings(port)).unwrap());
    let outcome = kind.run(&claim(&store).await).await;
    assert!(matches!(outcome, Outcome::RetryLater { .. }), "{outcome:?}");
    let m = store.outbox_mail(id).await.unwrap().unwrap();
    assert_eq!((m.state, m.handed_over_at_ms), (MailState::Queued, None));
    assert_eq!(seen.messages.load(Ordering::SeqCst), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_note_is_made_before_the_server_answers() {
    use chorus_jobs::mail_journal::Journal;
    let (store, dir) = store().await;
    let (port, _seen) = counting_server(Behaviour::SlowReply(800)).await;
    let id = enqueue(&store, "slow").await;
    let path = dir.path().join("mail-handed-over.log");
    let kind = SendMail::new(store.clone(), Mailer::new(settings(port)).unwrap())
        .with_journal(Journal::new(&path));
    let job = claim(&store).await;
    let sending = tokio::spawn(async move { kind.run(&job).await });
    let mut noted_while_waiting = false;
    for _ in 0..70 {
        let noted = std::fs::read_to_string(&path).unwrap_or_default();
        let m = store.outbox_mail(id).await.unwrap().unwrap();
        if m.state == MailState::Queued && noted == format!("+{id}\n") {
            noted_while_waiting = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(noted_while_waiting, "noted before the 250 came");
    let outcome = sending.await.unwrap();
    assert!(matches!(outcome, Outcome::Done { .. }), "{outcome:?}");
    let m = store.outbox_mail(id).await.unwrap().unwrap();
    assert_eq!((m.state, m.last_error), (MailState::Sent, None));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        format!("+{id}\n-{id}\n")
    );
}

#[tokio::test]
async fn a_journal_left_by_a_killed_sender_marks_what_it_wrote_and_nothing_else() {
    use chorus_jobs::mail_journal::Journal;
    let (store, dir) = store().await;
    let (port, seen) = counting_server(Behaviour::Accept).await;
    let written = enqueue(&store, "written").await;
    let refused = enqueue(&store, "refused").await;
    let untouched = enqueue(&store, "untouched").await;
    // What a sender killed while awaiting `written`'s answer leaves behind (`refused` was
    // answered with a 4xx and is to be sent again).
    let path = dir.path().join("mail-handed-over.log");
    let before = Journal::new(&path);
    before.handed_over(written);
    before.handed_over(refused);
    before.answered(refused);
    let kind = SendMail::new(store.clone(), Mailer::new(settings(port)).unwrap())
        .with_journal(Journal::new(&path));
    for _ in 0..3 {
        let job = claim(&store).await;
        let outcome = kind.run(&job).await;
        assert!(matches!(outcome, Outcome::Done { .. }), "{outcome:?}");
    }
    let mut notes = Vec::new();
    for id in [written, refused, untouched] {
        let m = store.outbox_mail(id).await.unwrap().unwrap();
        assert_eq!(m.state, MailState::Sent);
        notes.push(m.last_error);
    }
    // `written` presumed delivered, `refused` sent again, `untouched` sent.
    assert_eq!(notes, [Some(PRESUMED_DELIVERED.to_owned()), None, None]);
    assert_eq!(
        seen.messages.load(Ordering::SeqCst),
        2,
        "written was not sent again"
    );
    // Sending noted each message and its answer; a replay now finds nothing awaiting.
    let after = std::fs::read_to_string(&path).unwrap();
    assert_eq!(after.lines().count(), 4, "{after}");
    assert_eq!(Journal::new(&path).replay(&store).await.unwrap(), 0);
}

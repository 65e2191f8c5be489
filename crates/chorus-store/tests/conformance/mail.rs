//! The mail outbox: enqueueing is idempotent by key and adds one `send_mail` job; the job's
//! outcomes move the message and the job together; a bounce is recorded only for a sent
//! message; the recent list is newest first.

use chorus_store::{MAIL_JOB, MailAttachment, MailState, NewMail, Store, mail_job_key};

fn mail<'a>(key: &'a str, to: &'a str) -> NewMail<'a> {
    NewMail {
        key,
        to,
        subject: "Confirm your download",
        text: "Press the button.",
        html: Some("<p>Press the button.</p>"),
        list_unsubscribe: Some("<https://chorus.example/u/abc>"),
        one_click: true,
        locale: "fi-FI",
    }
}

/// Claims the message's job as a worker would.
async fn claim(store: &Store, id: i64) -> chorus_store::Job {
    let job = store
        .claim_job("test-worker", &[MAIL_JOB], 30_000)
        .await
        .unwrap()
        .expect("a send_mail job is due");
    assert_eq!(job.key, mail_job_key(id));
    assert_eq!(job.payload, format!("{{\"mail\":{id}}}"));
    job
}

async fn enqueueing_is_idempotent_by_key_and_adds_one_job(store: &Store) {
    let first = store
        .enqueue_mail(&mail("confirm:1", "a@example.com"))
        .await
        .unwrap();
    assert!(first.created);
    let again = store
        .enqueue_mail(&NewMail {
            subject: "something else",
            ..mail("confirm:1", "b@example.com")
        })
        .await
        .unwrap();
    assert_eq!(again.id, first.id);
    assert!(!again.created, "the same key is never queued twice");
    let m = store.outbox_mail(first.id).await.unwrap().unwrap();
    assert_eq!(m.to, "a@example.com", "the first message stands");
    assert_eq!(m.subject, "Confirm your download");
    assert_eq!(m.html.as_deref(), Some("<p>Press the button.</p>"));
    assert_eq!(
        m.list_unsubscribe.as_deref(),
        Some("<https://chorus.example/u/abc>")
    );
    assert!(m.one_click);
    assert_eq!(m.locale, "fi-FI");
    assert_eq!(m.state, MailState::Queued);
    assert_eq!((m.attempts, m.sent_at_ms, m.last_error), (0, None, None));
    assert_eq!(store.queue_counts().await.unwrap().queued, 1, "one job");
    assert_eq!(store.queued_mail_count().await.unwrap(), 1);
    let second = store
        .enqueue_mail(&mail("confirm:2", "c@example.com"))
        .await
        .unwrap();
    assert!(second.created && second.id != first.id);
    assert_eq!(store.queue_counts().await.unwrap().queued, 2);
    assert!(store.outbox_mail(second.id + 100).await.unwrap().is_none());
}

async fn sent_marks_the_message_and_finishes_its_job_together(store: &Store) {
    let id = store
        .enqueue_mail(&mail("k", "a@example.com"))
        .await
        .unwrap()
        .id;
    let job = claim(store, id).await;
    assert!(store.mail_sent(job.id, id, None).await.unwrap());
    let m = store.outbox_mail(id).await.unwrap().unwrap();
    assert_eq!(m.state, MailState::Sent);
    assert_eq!(m.attempts, 1);
    assert!(m.sent_at_ms.is_some());
    let status = store.job(&mail_job_key(id)).await.unwrap().unwrap();
    assert_eq!(status.state, chorus_store::JobState::Done);
    assert!(
        !store.mail_sent(job.id, id, None).await.unwrap(),
        "sent once"
    );
    assert_eq!(store.queued_mail_count().await.unwrap(), 0);
    // A bounce of a sent message is recorded once.
    assert!(
        store
            .record_mail_bounce(id, "550 5.1.1 no such user")
            .await
            .unwrap()
    );
    let m = store.outbox_mail(id).await.unwrap().unwrap();
    assert_eq!(m.state, MailState::Bounced);
    assert!(m.bounced_at_ms.is_some());
    assert_eq!(m.last_error.as_deref(), Some("550 5.1.1 no such user"));
    assert!(!store.record_mail_bounce(id, "again").await.unwrap());
}

async fn a_hand_over_is_marked_and_a_failure_seen_clears_it(store: &Store) {
    let id = store
        .enqueue_mail(&mail("k", "a@example.com"))
        .await
        .unwrap()
        .id;
    let job = claim(store, id).await;
    assert!(store.mail_handed_over(id).await.unwrap());
    let m = store.outbox_mail(id).await.unwrap().unwrap();
    assert!(m.handed_over_at_ms.is_some() && m.state == MailState::Queued);
    // A 4xx after the body: the server did not take it, so the mark goes with the retry.
    let later = chorus_store::now_ms() - 1;
    store
        .mail_retry(job.id, id, later, "451 4.3.0")
        .await
        .unwrap();
    let m = store.outbox_mail(id).await.unwrap().unwrap();
    assert_eq!(m.handed_over_at_ms, None);
    // Marked again, then presumed sent (its sender died after handing it over).
    let job = claim(store, id).await;
    assert!(store.mail_handed_over(id).await.unwrap());
    let note = "presumed delivered";
    assert!(store.mail_sent(job.id, id, Some(note)).await.unwrap());
    let m = store.outbox_mail(id).await.unwrap().unwrap();
    assert_eq!(
        (m.state, m.last_error.as_deref()),
        (MailState::Sent, Some(note))
    );
    assert!(
        !store.mail_handed_over(id).await.unwrap(),
        "only a queued message"
    );
}

async fn retries_count_and_failures_are_final(store: &Store) {
    let id = store
        .enqueue_mail(&mail("k", "a@example.com"))
        .await
        .unwrap()
        .id;
    let job = claim(store, id).await;
    let later = chorus_store::now_ms() - 1;
    store
        .mail_retry(job.id, id, later, "421 4.3.2 try later")
        .await
        .unwrap();
    let m = store.outbox_mail(id).await.unwrap().unwrap();
    assert_eq!((m.state, m.attempts), (MailState::Queued, 1));
    assert_eq!(m.last_error.as_deref(), Some("421 4.3.2 try later"));
    let status = store.job(&mail_job_key(id)).await.unwrap().unwrap();
    assert_eq!(status.state, chorus_store::JobState::Queued);
    let job = claim(store, id).await;
    assert_eq!(job.attempts, 2);
    store.mail_failed(job.id, id, "550 5.1.1").await.unwrap();
    let m = store.outbox_mail(id).await.unwrap().unwrap();
    assert_eq!((m.state, m.attempts), (MailState::Failed, 2));
    assert_eq!(m.last_error.as_deref(), Some("550 5.1.1"));
    let status = store.job(&mail_job_key(id)).await.unwrap().unwrap();
    assert_eq!(status.state, chorus_store::JobState::Failed);
    assert!(
        !store.record_mail_bounce(id, "x").await.unwrap(),
        "only a sent message bounces"
    );
    // Enqueueing the key again does not revive it.
    let again = store
        .enqueue_mail(&mail("k", "a@example.com"))
        .await
        .unwrap();
    assert!(!again.created);
    assert_eq!(store.queue_counts().await.unwrap().queued, 0);
}

async fn recent_mail_is_newest_first(store: &Store) {
    for i in 0..5 {
        store
            .enqueue_mail(&mail(&format!("k{i}"), &format!("p{i}@example.com")))
            .await
            .unwrap();
    }
    let recent = store.recent_mail(3).await.unwrap();
    let to: Vec<&str> = recent.iter().map(|m| m.to.as_str()).collect();
    assert_eq!(to, ["p4@example.com", "p3@example.com", "p2@example.com"]);
}

/// Attachments are written with a new message and read back byte for byte, in order; a second
/// enqueue with the same key adds none.
async fn attachments_come_with_their_message_once(store: &Store) {
    let pdf = MailAttachment {
        file_name: "report.pdf".into(),
        content_type: "application/pdf".into(),
        bytes: (0..=255u8).chain([0, 0, 37]).collect(),
    };
    let csv = MailAttachment {
        file_name: "rows.csv".into(),
        content_type: "text/csv".into(),
        bytes: b"a,b\n".to_vec(),
    };
    let first = store
        .enqueue_mail_with(
            &mail("weekly:1", "a@example.com"),
            &[pdf.clone(), csv.clone()],
        )
        .await
        .unwrap();
    assert!(first.created);
    let again = store
        .enqueue_mail_with(
            &mail("weekly:1", "a@example.com"),
            std::slice::from_ref(&pdf),
        )
        .await
        .unwrap();
    assert!(!again.created);
    assert_eq!(store.mail_attachments(first.id).await.unwrap(), [pdf, csv]);
    let plain = store
        .enqueue_mail(&mail("weekly:2", "b@example.com"))
        .await
        .unwrap();
    assert!(store.mail_attachments(plain.id).await.unwrap().is_empty());
}

/// Opting out of a kind of mail is per person and kind, audited once per change.
async fn opt_outs_are_per_person_and_kind_and_audited(store: &Store) {
    let a = crate::support::user(store, "a@example.com", vec![]).await;
    let b = crate::support::user(store, "b@example.com", vec![]).await;
    let author = chorus_core::audit::Author::system("test");
    assert!(!store.mail_opted_out(a, "numbers_weekly").await.unwrap());
    store
        .set_mail_opt_out(&author, a, "numbers_weekly", true)
        .await
        .unwrap();
    store
        .set_mail_opt_out(&author, a, "numbers_weekly", true)
        .await
        .unwrap();
    assert!(store.mail_opted_out(a, "numbers_weekly").await.unwrap());
    assert!(!store.mail_opted_out(a, "other").await.unwrap());
    assert!(!store.mail_opted_out(b, "numbers_weekly").await.unwrap());
    assert_eq!(store.mail_opt_outs("numbers_weekly").await.unwrap(), [a]);
    store
        .set_mail_opt_out(&author, a, "numbers_weekly", false)
        .await
        .unwrap();
    assert!(
        store
            .mail_opt_outs("numbers_weekly")
            .await
            .unwrap()
            .is_empty()
    );
    let entries = store
        .audit_entries(&chorus_store::AuditQuery::default())
        .await
        .unwrap();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e.action.as_str())
        .filter(|a| a.starts_with("user.mail_"))
        .collect();
    assert_eq!(actions.len(), 2, "one entry per change: {actions:?}");
    let missing = store
        .set_mail_opt_out(
            &author,
            chorus_core::UserId(999_999),
            "numbers_weekly",
            true,
        )
        .await;
    assert!(
        matches!(missing, Err(chorus_store::StoreError::NotFound { .. })),
        "{missing:?}"
    );
}

crate::support::conformance_suite!(
    attachments_come_with_their_message_once,
    opt_outs_are_per_person_and_kind_and_audited,
    enqueueing_is_idempotent_by_key_and_adds_one_job,
    sent_marks_the_message_and_finishes_its_job_together,
    a_hand_over_is_marked_and_a_failure_seen_clears_it,
    retries_count_and_failures_are_final,
    recent_mail_is_newest_first,
);

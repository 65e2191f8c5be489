//! Corrections of a conversation's language and sentiment: history with who and when, the
//! shown labels in the same transaction (the model's answer kept on the post), a repeat that
//! writes nothing, a later correction by someone else superseding, and the dataset by market.

use chorus_core::audit::Author;
use chorus_core::conversations::{ConversationId, Sentiment};
use chorus_core::user::Membership;
use chorus_core::{Role, UserId};
use chorus_store::{AuditQuery, InboxQuery, LabelCorrection, Store, StoreError};

use super::{input, market, post, sys};
use crate::support;

async fn person(store: &Store, email: &str) -> (UserId, Author) {
    let id = support::user(
        store,
        email,
        vec![Membership::new(Role::Admin, None).unwrap()],
    )
    .await;
    (
        id,
        Author {
            user_id: Some(id),
            label: email.into(),
        },
    )
}

async fn labels_are_corrected_with_history_and_exported(store: &Store) {
    let fi = market(store, "FI").await;
    let br = market(store, "BR").await;
    let q = store
        .create_listening_query(&sys(), &input(fi, "Brand", "earbuds", "us"))
        .await
        .unwrap();
    let t = 1_700_000_000_000;
    let mut p = post(
        "at://p/1",
        "please fix this, I rely on these earbuds",
        t,
        0.6,
        &[(q.id, fi)],
    );
    p.lang = "tl".into();
    let other = post("at://p/2", "earbuds are fine", t + 1, 0.0, &[(q.id, fi)]);
    store.ingest_batch("s", "2", vec![p, other]).await.unwrap();
    let rows = store
        .inbox(&InboxQuery {
            limit: 10,
            ..InboxQuery::default()
        })
        .await
        .unwrap();
    let id = rows.iter().find(|r| r.post.uri == "at://p/1").unwrap().id;
    assert_eq!((rows[1].lang.as_str(), rows[1].sentiment), ("tl", 0.6));

    let (_, sanna) = person(store, "sanna@example.test").await;
    let (_, maria) = person(store, "maria@example.test").await;
    let negative = LabelCorrection {
        lang: None,
        lang_name: None,
        sentiment: Some(Sentiment::Negative),
    };
    assert!(
        store
            .correct_conversation_labels(&sanna, id, &negative)
            .await
            .unwrap()
    );
    // The same again is no new correction.
    assert!(
        !store
            .correct_conversation_labels(&sanna, id, &negative)
            .await
            .unwrap()
    );
    let row = store.conversation(id).await.unwrap().row;
    assert_eq!(Sentiment::of(row.sentiment), Sentiment::Negative);
    assert_eq!(row.lang, "tl", "the language was left alone");
    assert_eq!(row.post.sentiment, 0.6, "the model's answer is kept");
    let negatives = store
        .inbox(&InboxQuery {
            sentiment: Some(Sentiment::Negative),
            limit: 10,
            ..InboxQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(negatives.iter().map(|r| r.id).collect::<Vec<_>>(), [id]);

    // Someone else corrects it again: the newest label wins, the history stays.
    assert!(
        store
            .correct_conversation_labels(
                &maria,
                id,
                &LabelCorrection {
                    lang: Some("en".into()),
                    lang_name: Some("English".into()),
                    sentiment: Some(Sentiment::Neutral),
                },
            )
            .await
            .unwrap()
    );
    let detail = store.conversation(id).await.unwrap();
    assert_eq!(detail.row.lang, "en");
    assert_eq!(Sentiment::of(detail.row.sentiment), Sentiment::Neutral);
    assert_eq!(detail.row.post.lang, "tl");
    let h = &detail.corrections;
    assert_eq!(h.len(), 2);
    assert_eq!(h[0].author, "sanna@example.test");
    assert_eq!(
        (
            h[0].lang.as_deref(),
            h[0].sentiment,
            h[0].lang_before.as_str(),
            h[0].sentiment_before
        ),
        (None, Some(Sentiment::Negative), "tl", 0.6)
    );
    assert_eq!(h[1].author, "maria@example.test");
    assert_eq!(
        (h[1].lang.as_deref(), h[1].sentiment, h[1].sentiment_before),
        (Some("en"), Some(Sentiment::Neutral), -1.0)
    );
    assert!(h[1].created_at_ms >= h[0].created_at_ms);
    assert_eq!(store.label_corrections(id).await.unwrap(), *h);
    let english = store
        .inbox(&InboxQuery {
            lang: Some("en".into()),
            limit: 10,
            ..InboxQuery::default()
        })
        .await
        .unwrap();
    assert!(english.iter().any(|r| r.id == id));

    // The dataset: only corrected conversations, the newest of each label, by market.
    let all = store.corrected_texts(None).await.unwrap();
    assert_eq!(all.len(), 1);
    let c = &all[0];
    assert_eq!(c.conversation_id, id);
    assert_eq!(c.text, "please fix this, I rely on these earbuds");
    assert_eq!(
        (c.lang.as_deref(), c.sentiment),
        (Some("en"), Some(Sentiment::Neutral))
    );
    assert_eq!((c.model_lang.as_str(), c.model_sentiment), ("tl", 0.6));
    assert_eq!(c.corrected_at_ms, h[1].created_at_ms);
    assert_eq!(store.corrected_texts(Some(&[fi])).await.unwrap(), all);
    assert!(store.corrected_texts(Some(&[br])).await.unwrap().is_empty());
    assert!(store.corrected_texts(Some(&[])).await.unwrap().is_empty());

    // Audited, with the shown labels before and after.
    let log = store
        .audit_entries(&AuditQuery {
            subject_type: Some("conversation".into()),
            limit: 50,
            from_ms: None,
            to_ms: None,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    let labels: Vec<_> = log
        .iter()
        .filter(|e| e.action == "conversation.labels")
        .collect();
    assert_eq!(labels.len(), 2);
    assert_eq!(labels[0].actor_label, "maria@example.test");
    assert_eq!(labels[0].market_id, Some(fi));
    assert_eq!(labels[0].before.as_ref().unwrap()["lang"], "tl");
    assert_eq!(labels[0].after.as_ref().unwrap()["lang"], "en");
    assert_eq!(labels[0].after.as_ref().unwrap()["language"], "English");
    assert_eq!(
        labels[1].after.as_ref().unwrap()["sentiment_label"],
        "negative"
    );

    let missing = store
        .correct_conversation_labels(&sanna, ConversationId(999_999), &negative)
        .await
        .unwrap_err();
    assert!(
        matches!(missing, StoreError::NotFound { .. }),
        "{missing:?}"
    );
}

support::conformance_suite!(labels_are_corrected_with_history_and_exported);

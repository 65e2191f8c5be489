//! Corrections against a real (temporary SQLite) store: who may correct (the conversation's
//! community managers and leads; an analyst reads but may not; a contributor or another
//! market's manager is told it does not exist), that a refusal writes nothing, the fields'
//! errors, and the dataset scoped to the markets the caller reads.

use chorus_core::Role;
use chorus_core::audit::Author;
use chorus_core::conversations::{QueryInput, RawQuery, Sentiment};
use chorus_store::NewPost;

use super::*;
use crate::users::tests::world;

fn fields(lang: &str, sentiment: &str) -> LabelFields {
    LabelFields {
        lang: lang.into(),
        sentiment: sentiment.into(),
    }
}

#[tokio::test]
async fn the_conversations_workers_correct_others_are_refused_and_nothing_changes() {
    let w = world().await;
    let query = QueryInput::parse(
        w.fi,
        None,
        &RawQuery {
            name: "Earbuds".into(),
            query: "earbuds".into(),
            side: Some("us".into()),
            ..RawQuery::default()
        },
    )
    .unwrap();
    let q = w
        .store
        .create_listening_query(&Author::system("test"), &query)
        .await
        .unwrap();
    let text = "please fix this, I rely on these earbuds";
    w.store
        .ingest_batch(
            "t",
            "1",
            vec![NewPost {
                uri: "at://p/1".into(),
                network: "bluesky".into(),
                author: "did:plc:a".into(),
                author_handle: None,
                body: text.into(),
                lang: "tl".into(),
                sentiment: 0.4,
                posted_at_ms: 1_700_000_000_000,
                reply_parent: None,
                reply_root: None,
                quote_of: None,
                cid: None,
                link: None,
                country: None,
                domains: Vec::new(),
                labels: Default::default(),
                matches: vec![(q.id, w.fi).into()],
            }],
        )
        .await
        .unwrap();
    let id = w
        .store
        .inbox(&chorus_store::InboxQuery {
            limit: 5,
            ..Default::default()
        })
        .await
        .unwrap()[0]
        .id;
    let cm = w
        .caller(
            w.person("cm@fi.test", &[(Role::CommunityManager, Some(w.fi))], None)
                .await,
        )
        .await;
    let lead = w
        .caller(
            w.person("lead@fi.test", &[(Role::MarketLead, Some(w.fi))], None)
                .await,
        )
        .await;
    let analyst = w
        .caller(
            w.person("an@fi.test", &[(Role::Analyst, Some(w.fi))], None)
                .await,
        )
        .await;
    let contributor = w
        .caller(
            w.person("co@fi.test", &[(Role::Contributor, Some(w.fi))], None)
                .await,
        )
        .await;
    let other = w
        .caller(
            w.person("cm@br.test", &[(Role::CommunityManager, Some(w.br))], None)
                .await,
        )
        .await;

    // Refusals first: nothing is written.
    let negative = fields("", "negative");
    assert!(matches!(
        correct(&w.app, &analyst, id.0, &negative).await,
        Err(Error::Forbidden(_))
    ));
    for who in [&contributor, &other] {
        assert!(matches!(
            correct(&w.app, who, id.0, &negative).await,
            Err(Error::NotFound("conversation"))
        ));
    }
    assert!(matches!(
        correct(&w.app, &cm, 999_999, &negative).await,
        Err(Error::NotFound("conversation"))
    ));
    for (bad, field) in [
        (fields("Klingon", ""), Some("lang")),
        (fields("", "angry"), Some("sentiment")),
        (fields(" ", ""), None),
    ] {
        match correct(&w.app, &cm, id.0, &bad).await {
            Err(Error::Invalid { field: f, .. }) => assert_eq!(f.as_deref(), field),
            other => panic!("{other:?}"),
        }
    }
    assert!(w.store.label_corrections(id).await.unwrap().is_empty());

    // The community manager, then the lead: names are read as languages.
    assert!(correct(&w.app, &cm, id.0, &negative).await.unwrap());
    assert!(!correct(&w.app, &cm, id.0, &negative).await.unwrap());
    assert!(
        correct(&w.app, &lead, id.0, &fields("English", ""))
            .await
            .unwrap()
    );
    let history = w.store.label_corrections(id).await.unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[1].lang.as_deref(), Some("en"));
    let row = w.store.conversation(id).await.unwrap().row;
    assert_eq!(
        (row.lang.as_str(), Sentiment::of(row.sentiment)),
        ("en", Sentiment::Negative)
    );

    // The dataset: the markets the caller reads.
    let want = format!("{{\"text\":\"{text}\",\"language\":\"en\",\"sentiment\":\"negative\"}}\n");
    for who in [&cm, &analyst, &lead] {
        let d = export(&w.app, who, "").await.unwrap();
        assert_eq!(
            (String::from_utf8(d.bytes).unwrap(), d.lines),
            (want.clone(), 1)
        );
    }
    assert_eq!(export(&w.app, &cm, "fi").await.unwrap().lines, 1);
    assert!(matches!(
        export(&w.app, &cm, "BR").await,
        Err(Error::Invalid { field: Some(f), .. }) if f == "market"
    ));
    let theirs = export(&w.app, &other, "").await.unwrap();
    assert_eq!((theirs.lines, theirs.bytes.len()), (0, 0));
    assert!(matches!(
        export(&w.app, &contributor, "").await,
        Err(Error::Forbidden(_))
    ));
    let parsed = chorus_text::corrections::parse(&want).unwrap();
    assert_eq!(parsed[0].text, text);
}

#[test]
fn languages_are_offered_by_name() {
    let choices = language_choices();
    assert!(choices.windows(2).all(|w| w[0].1 <= w[1].1));
    assert!(choices.contains(&("es", "Spanish")));
    assert_eq!(language_name("fi"), "Finnish");
    assert_eq!(language_name("und"), "not identified");
    assert_eq!(language_name("xx"), "xx");
}

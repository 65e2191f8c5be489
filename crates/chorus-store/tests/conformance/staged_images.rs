//! Images staged before their variant exists: kept for their uploader and story, moved onto
//! the variant by the save's transaction (attached once), refused whole when one is not the
//! saver's or not of the story, and purged when old.

use chorus_core::audit::Author;
use chorus_core::stories::workflow::StoryState;
use chorus_store::{Attach, Store, StoreError, StoryInput, VariantInput};

use crate::support::{finland_with_account, user};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n-bytes";

async fn staged_images_are_attached_once_by_their_uploader(store: &Store) {
    let (fi, account) = finland_with_account(store).await;
    let writer = user(store, "writer@example.com", vec![]).await;
    let other = user(store, "other@example.com", vec![]).await;
    let as_writer = Author::user(writer, "writer@example.com");
    let as_other = Author::user(other, "other@example.com");
    let story = |title: &'static str| StoryInput {
        market_id: fi,
        campaign_id: None,
        title: title.into(),
        brief: "b".into(),
        principles: vec![],
    };
    let s = store
        .create_story(&as_writer, &story("Launch"))
        .await
        .unwrap();
    let elsewhere = store
        .create_story(&as_writer, &story("Other"))
        .await
        .unwrap();
    let staged = store
        .stage_image(writer, s.id, "speaker.png", "image/png", PNG)
        .await
        .unwrap();
    assert_eq!(
        (staged.owner, staged.story_id, staged.size),
        (writer, s.id, PNG.len() as i64)
    );
    let (meta, bytes) = store.staged_image(staged.id).await.unwrap();
    assert_eq!((meta.name.as_str(), bytes.as_slice()), ("speaker.png", PNG));
    let listed = store
        .staged_images(&[staged.id, staged.id + 1000])
        .await
        .unwrap();
    assert_eq!(listed, vec![meta.clone()]);

    let input = VariantInput {
        account_id: account,
        locale: "fi-FI".into(),
        body: "Hei".into(),
        scheduled_at_ms: None,
    };
    let attach = [Attach {
        staged: staged.id,
        alt: "A speaker".into(),
    }];
    // Someone else's save, or a save to another story, attaches nothing and writes nothing.
    for (author, story) in [(&as_other, s.id), (&as_writer, elsewhere.id)] {
        let err = store
            .save_variant_with_images(author, story, None, &input, &attach)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::NotFound {
                    what: "staged image"
                }
            ),
            "{err:?}"
        );
        assert!(
            store.variants(story).await.unwrap().is_empty(),
            "the save rolled back"
        );
    }
    // The uploader's save moves it onto the new variant.
    let v = store
        .save_variant_with_images(&as_writer, s.id, None, &input, &attach)
        .await
        .unwrap();
    assert_eq!(v.images.len(), 1);
    assert_eq!(
        (v.images[0].name.as_str(), v.images[0].alt.as_str()),
        ("speaker.png", "A speaker")
    );
    assert_eq!(store.image(v.images[0].id).await.unwrap().1, PNG);
    assert!(matches!(
        store.staged_image(staged.id).await,
        Err(StoreError::NotFound { .. })
    ));
    // Attached once: a second save with it fails and leaves the variant as it was.
    let err = store
        .save_variant_with_images(&as_writer, s.id, Some(v.id), &input, &attach)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    assert_eq!(store.variant(v.id).await.unwrap().images.len(), 1);
    // On a saved variant, a staged image goes after the images it has.
    let second = store
        .stage_image(writer, s.id, "second.png", "image/png", PNG)
        .await
        .unwrap();
    let v = store
        .save_variant_with_images(
            &as_writer,
            s.id,
            Some(v.id),
            &input,
            &[Attach {
                staged: second.id,
                alt: String::new(),
            }],
        )
        .await
        .unwrap();
    let names: Vec<&str> = v.images.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["speaker.png", "second.png"]);
    assert_eq!(store.story(s.id).await.unwrap().state, StoryState::Draft);
    // Old uploads are purged.
    let old = store
        .stage_image(writer, s.id, "old.png", "image/png", PNG)
        .await
        .unwrap();
    assert_eq!(
        store
            .purge_staged_images(chorus_store::now_ms() + 1)
            .await
            .unwrap(),
        1
    );
    assert!(store.staged_image(old.id).await.is_err());
}

crate::support::conformance_suite!(staged_images_are_attached_once_by_their_uploader);

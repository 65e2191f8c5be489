//! Sessions, passwords and tokens against a real (temporary SQLite) store.

use chorus_core::Role;

use super::*;
use crate::users::tests::world;

const PASSWORD: &str = "correct horse battery";

#[tokio::test]
async fn login_replaces_the_session_it_was_brought_and_refuses_alike() {
    let w = world().await;
    let hash = chorus_core::password::hash(PASSWORD).unwrap();
    let ana = w
        .person("ana@example.com", &[(Role::Editor, Some(w.fi))], Some(hash))
        .await;
    let first = log_in(&w.app, " Ana@Example.com ", PASSWORD, None)
        .await
        .unwrap();
    assert_eq!(first.user, ana);
    let signed_in = session(&w.app, &first.token).await.unwrap().unwrap();
    assert_eq!(signed_in.user.id, ana);
    assert!(signed_in.csrf.is_some());

    let second = log_in(&w.app, "ana@example.com", PASSWORD, Some(&first.token))
        .await
        .unwrap();
    assert_ne!(second.token, first.token);
    assert!(
        session(&w.app, &first.token).await.unwrap().is_none(),
        "the brought one ended"
    );
    assert!(session(&w.app, &second.token).await.unwrap().is_some());

    for (email, password) in [
        ("ana@example.com", "wrong password"),
        ("nobody@example.com", PASSWORD),
    ] {
        let err = log_in(&w.app, email, password, Some(&second.token))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Unauthenticated), "{err:?}");
    }
    assert!(
        session(&w.app, &second.token).await.unwrap().is_some(),
        "a failed login ends nothing"
    );
    let err = log_in(&w.app, "not an email", PASSWORD, None)
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("email"));
}

#[tokio::test]
async fn tokens_belong_to_their_owner() {
    let w = world().await;
    let ana = w
        .person("ana@example.com", &[(Role::Editor, Some(w.fi))], None)
        .await;
    let bo = w
        .person("bo@example.com", &[(Role::Admin, None)], None)
        .await;
    let (ana, bo) = (w.caller(ana).await, w.caller(bo).await);
    let created = create_token(&w.app, &ana, "report").await.unwrap();
    assert_eq!(
        bearer(&w.app, &created.secret)
            .await
            .unwrap()
            .unwrap()
            .user
            .id,
        ana.user_id()
    );
    assert!(matches!(
        revoke_token(&w.app, &bo, created.token.id).await,
        Err(Error::NotFound("token"))
    ));
    assert!(
        matches!(
            issue_token(&w.app, &bo, "ana@example.com", "mine now").await,
            Err(Error::NotFound("user"))
        ),
        "not even an admin mints tokens for someone else"
    );
    assert_eq!(
        create_token(&w.app, &ana, " ").await.unwrap_err().field(),
        Some("name")
    );
    revoke_token(&w.app, &ana, created.token.id).await.unwrap();
    revoke_token(&w.app, &ana, created.token.id).await.unwrap();
    assert!(bearer(&w.app, &created.secret).await.unwrap().is_none());
    assert!(tokens(&w.app, &ana).await.unwrap()[0].revoked);
    let issued = issue_token(&w.app, &Caller::operator(), "ana@example.com", "cli")
        .await
        .unwrap();
    assert_eq!(issued.token.user_id, ana.user_id());
}

//! Identity resolution, sessions and sealed credentials against the real PDS and PLC.

use chorus_networks::bluesky::credentials::{SealedAccount, StoredAccount};
use chorus_networks::bluesky::{Agent, Resolver, Secret, SecretKey, Xrpc, XrpcError};

use crate::peer::{Mode, account, local, peer};

#[tokio::test]
async fn resolves_logs_in_refreshes_and_resumes_from_sealed_credentials() {
    let Some(peer) = peer(Mode::Pds).await else {
        return;
    };
    let a = account(&peer, "id").await;
    let http = crate::peer::http();
    let resolver = Resolver::new(
        &local(),
        &peer.plc,
        Some(Xrpc::new(http.clone(), &peer.pds).unwrap()),
    )
    .unwrap();

    // handle → DID → PDS, and DID → verified handle
    let by_handle = resolver.resolve(&a.handle).await.unwrap();
    assert_eq!(by_handle.did.as_str(), a.did);
    assert_eq!(by_handle.pds.as_str().trim_end_matches('/'), peer.pds);
    assert_eq!(
        by_handle.handle.as_ref().map(|h| h.as_str()),
        Some(a.handle.as_str())
    );
    let by_did = resolver.resolve(&a.did).await.unwrap();
    assert_eq!(by_did, by_handle);
    assert!(resolver.resolve("nobody-here-xyz.test").await.is_err());

    // refresh gives a new working session; the old refresh token is then spent
    let before = a.agent.session().await;
    let fresh = a.agent.refresh().await.unwrap();
    assert_ne!(fresh.refresh_jwt, before.refresh_jwt);
    let _: serde_json::Value = a
        .agent
        .query("com.atproto.server.getSession", &[])
        .await
        .unwrap();
    // a revoked refresh token is refused with a typed error
    let pds = Xrpc::new(http.clone(), &peer.pds).unwrap();
    let other = Agent::login(pds.clone(), &a.handle, &a.password)
        .await
        .unwrap();
    let revoked = other.session().await.refresh_jwt;
    let _: serde_json::Value = pds
        .procedure_no_body("com.atproto.server.deleteSession", Some(revoked.expose()))
        .await
        .unwrap();
    let reused = chorus_networks::bluesky::session::refresh_session(&pds, &revoked).await;
    assert!(
        matches!(
            reused,
            Err(XrpcError::ExpiredToken { .. } | XrpcError::Auth { .. })
        ),
        "{reused:?}"
    );

    // wrong password: typed auth error that says to log in again
    let bad = Agent::login(pds.clone(), &a.handle, &Secret::new("wrong"))
        .await
        .unwrap_err();
    assert!(matches!(bad, XrpcError::Auth { .. }), "{bad:?}");
    assert!(bad.to_string().contains("log in again"));

    // store sealed, reopen, resume without the password
    let key = SecretKey::generate().unwrap();
    let stored = StoredAccount {
        pds: peer.pds.clone(),
        did: a.did.clone(),
        handle: a.handle.clone(),
        app_password: a.password.clone(),
        refresh_jwt: Some(fresh.refresh_jwt.clone()),
    };
    let sealed: SealedAccount = stored.seal(&key).unwrap();
    let on_disk = serde_json::to_string(&sealed).unwrap();
    assert!(!on_disk.contains(a.password.expose()));
    let opened = StoredAccount::open(&serde_json::from_str(&on_disk).unwrap(), &key).unwrap();
    let resumed = Agent::resume(pds, opened.refresh_jwt.as_ref().unwrap())
        .await
        .unwrap();
    assert_eq!(resumed.did().await.as_str(), a.did);
    assert!(!format!("{resumed:?}").contains(fresh.access_jwt.expose()));
}

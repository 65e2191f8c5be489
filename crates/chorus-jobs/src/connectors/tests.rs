//! The registry's rules, with a connector of our own standing in for a network (what it
//! decides does not depend on which network answers): one login per account however many jobs
//! ask at once, a lost session logged in again once, refused credentials remembered until the
//! account is reconnected, accounts of networks nobody registered refused as invalid.

use std::sync::Mutex as StdMutex;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::time::Duration;

use chorus_core::audit::Author;
use chorus_core::org::MarketInput;
use chorus_networks::model::{
    Counts, NetworkKind, PostRef, PublishRequest, Published, ReplyTarget, ReplyTo,
};
use chorus_store::{DatabaseUrl, NewAccount};

use super::*;

#[derive(Default)]
struct Net {
    logins: AtomicUsize,
    /// Sessions numbered below this are refused (their tokens were revoked).
    valid_from: AtomicU32,
    password: StdMutex<String>,
}

struct Session {
    number: u32,
    net: Arc<Net>,
}

impl DynNetwork for Session {
    fn network(&self) -> NetworkKind {
        NetworkKind::Webhook
    }

    fn publish<'a>(
        &'a self,
        request: &'a PublishRequest,
    ) -> BoxFuture<'a, Result<Published, DynNetworkError>> {
        Box::pin(async move {
            if self.number < self.net.valid_from.load(Ordering::SeqCst) {
                return Err(DynNetworkError::other(ErrorKind::Auth, "session revoked"));
            }
            Ok(Published {
                post: PostRef {
                    uri: format!("test://{}/{}", self.number, request.id),
                    cid: String::new(),
                },
                already_existed: false,
            })
        })
    }

    fn reply_to<'a>(
        &'a self,
        _target: &'a ReplyTarget,
    ) -> BoxFuture<'a, Result<ReplyTo, DynNetworkError>> {
        Box::pin(async { Err(DynNetworkError::other(ErrorKind::Invalid, "no replies")) })
    }

    fn delete<'a>(&'a self, _uri: &'a str) -> BoxFuture<'a, Result<(), DynNetworkError>> {
        Box::pin(async { Ok(()) })
    }

    fn engagement<'a>(
        &'a self,
        _uris: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<(PostRef, Counts)>, DynNetworkError>> {
        Box::pin(async { Ok(Vec::new()) })
    }
}

struct TestConnector(Arc<Net>);

impl Connector for TestConnector {
    fn network(&self) -> &'static str {
        "testnet"
    }

    fn connect<'a>(
        &'a self,
        _account: &'a Account,
        sealed: &'a str,
        _key: &'a SecretKey,
    ) -> BoxFuture<'a, Result<Arc<dyn DynNetwork>, DynNetworkError>> {
        Box::pin(async move {
            let number = self.0.logins.fetch_add(1, Ordering::SeqCst) as u32 + 1;
            // Long enough for jobs asking at once to overlap.
            tokio::time::sleep(Duration::from_millis(50)).await;
            if sealed != *self.0.password.lock().unwrap() {
                return Err(DynNetworkError::other(ErrorKind::Auth, "wrong password"));
            }
            Ok(Arc::new(Session {
                number,
                net: self.0.clone(),
            }) as Arc<dyn DynNetwork>)
        })
    }
}

struct Fixture {
    store: Store,
    net: Arc<Net>,
    accounts: Arc<Connectors>,
    market: chorus_core::MarketId,
    _dir: tempfile::TempDir,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&DatabaseUrl::sqlite_in(dir.path()))
        .await
        .unwrap();
    let market = store
        .create_market(
            &Author::system("test"),
            &MarketInput::parse("FI", "Finland", "FI", &["fi-FI".into()], "Europe/Helsinki")
                .unwrap(),
        )
        .await
        .unwrap()
        .id;
    let net = Arc::new(Net::default());
    *net.password.lock().unwrap() = "sealed-1".into();
    let accounts = Arc::new(
        Connectors::new(store.clone(), SecretKey::from_bytes([1; 32]))
            .with(TestConnector(net.clone())),
    );
    Fixture {
        store,
        net,
        accounts,
        market,
        _dir: dir,
    }
}

impl Fixture {
    /// Connects (or reconnects) `handle` on `network` with credentials `sealed`.
    async fn account(&self, network: &str, handle: &str, sealed: &str) -> i64 {
        self.store
            .connect_account(
                &Author::system("test"),
                &NewAccount {
                    market_id: self.market,
                    network,
                    handle,
                    external_id: handle,
                    service_url: "http://localhost",
                    sealed,
                },
            )
            .await
            .unwrap()
            .id
    }

    async fn publish(&self, account: i64, id: &str) -> Result<String, DynNetworkError> {
        let request = PublishRequest::text(id, jiff::Timestamp::UNIX_EPOCH, "hello");
        let request = &request;
        self.accounts
            .call(account, |n| {
                Box::pin(async move { n.publish(request).await })
            })
            .await
            .map(|p| p.post.uri)
    }

    fn logins(&self) -> usize {
        self.net.logins.load(Ordering::SeqCst)
    }
}

#[tokio::test]
async fn one_login_per_account_however_many_jobs_ask_at_once() {
    let f = Arc::new(fixture().await);
    let account = f.account("testnet", "brand", "sealed-1").await;
    let mut calls = Vec::new();
    for i in 0..8 {
        let f = f.clone();
        calls.push(tokio::spawn(async move {
            f.publish(account, &format!("p{i}")).await
        }));
    }
    for c in calls {
        let uri = c.await.unwrap().unwrap();
        assert!(uri.starts_with("test://1/"), "{uri}");
    }
    assert_eq!(f.logins(), 1);
}

#[tokio::test]
async fn a_lost_session_logs_in_again_and_refused_credentials_wait_for_a_reconnection() {
    let f = fixture().await;
    let account = f.account("testnet", "brand", "sealed-1").await;
    assert_eq!(f.publish(account, "a").await.unwrap(), "test://1/a");

    // The session's tokens are revoked, the password still works: one new login, then success.
    f.net.valid_from.store(2, Ordering::SeqCst);
    assert_eq!(f.publish(account, "b").await.unwrap(), "test://2/b");
    assert_eq!(f.logins(), 2);

    // The password is revoked too: the kept session fails, the new login is refused.
    f.net.valid_from.store(u32::MAX, Ordering::SeqCst);
    *f.net.password.lock().unwrap() = "sealed-2".into();
    let refused = f.publish(account, "c").await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Auth);
    assert_eq!(f.logins(), 3);
    // Later jobs are refused without asking the network again…
    for id in ["d", "e", "f"] {
        let again = f.publish(account, id).await.unwrap_err();
        assert_eq!(again.kind(), ErrorKind::Auth);
        assert!(again.to_string().contains("refused earlier"), "{again}");
    }
    assert_eq!(f.logins(), 3);

    // …until the account is reconnected with new credentials.
    f.net.valid_from.store(0, Ordering::SeqCst);
    assert_eq!(f.account("testnet", "brand", "sealed-2").await, account);
    assert_eq!(f.publish(account, "g").await.unwrap(), "test://4/g");
    assert_eq!(f.logins(), 4);
}

#[tokio::test]
async fn unknown_networks_and_accounts_are_permanent_failures() {
    let f = fixture().await;
    let pigeon = f.account("pigeon", "coop", "sealed-1").await;
    let e = f.publish(pigeon, "a").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Invalid);
    assert!(e.to_string().contains("no connector for pigeon"), "{e}");
    let e = f.publish(9_999, "a").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert_eq!(f.logins(), 0);
}

/// Credentials that do not open fail in a marketer's words: which account, that it is not
/// connected, where it gets connected; never the cipher's words.
#[test]
fn credentials_that_do_not_open_say_which_account_and_where_to_connect_it() {
    let key = SecretKey::from_bytes([3; 32]);
    let mut account = Account {
        id: 1,
        market_id: chorus_core::MarketId(1),
        network: "bluesky".into(),
        handle: "northwind-ke.example".into(),
        external_id: "did:plc:x".into(),
        service_url: "https://pds.example".into(),
        demo: true,
    };
    let sealed = StoredAccount {
        pds: "https://pds.example".into(),
        did: "did:plc:x".into(),
        handle: "northwind-ke.example".into(),
        app_password: chorus_networks::bluesky::Secret::new("app-pass"),
        refresh_jwt: None,
    }
    .seal(&SecretKey::from_bytes([4; 32]))
    .unwrap();
    let other_key = serde_json::to_string(&sealed).unwrap();
    for (demo, sealed, says) in [
        (true, "demo-account-not-connected", "is a demo account"),
        (false, other_key.as_str(), "saved with another secret key"),
        (false, "", "is not connected"),
    ] {
        account.demo = demo;
        let Err(e) = open_sealed(&account, sealed, &key) else {
            panic!("{sealed} opened")
        };
        assert_eq!(e.kind(), ErrorKind::Auth);
        let text = e.to_string();
        assert!(text.starts_with("@northwind-ke.example "), "{text}");
        assert!(text.contains(says), "{text}");
        assert!(text.contains("under Stories → Accounts"), "{text}");
        assert!(!text.contains("sealed"), "{text}");
        assert!(!credentials_open("bluesky", sealed, &key));
    }
    assert!(credentials_open(
        "bluesky",
        &other_key,
        &SecretKey::from_bytes([4; 32])
    ));
}

//! Test databases: a temporary SQLite file, or a fresh PostgreSQL database per test.

use chorus_core::UserId;
use chorus_core::audit::Author;
use chorus_core::user::{Email, Membership};
use chorus_store::{DatabaseUrl, NewUser, Store};
use sqlx::Connection;

pub async fn sqlite_store() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&DatabaseUrl::sqlite_in(dir.path()))
        .await
        .unwrap();
    (store, dir)
}

const DEFAULT_PG: &str = "postgres://chorus:chorus@127.0.0.1:5432/chorus";

/// A fresh PostgreSQL database, dropped by [`PgDatabase::drop_now`]; `None` (with a printed
/// reason) when PostgreSQL is unreachable and not required.
pub struct PgDatabase {
    pub store: Store,
    admin_url: String,
    name: String,
}

impl PgDatabase {
    pub async fn create() -> Option<PgDatabase> {
        let admin_url =
            std::env::var("CHORUS_TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_PG.to_owned());
        let mut admin = match sqlx::PgConnection::connect(&admin_url).await {
            Ok(c) => c,
            Err(e) => {
                let reason = format!("PostgreSQL unreachable at {admin_url}: {e}");
                if std::env::var("CHORUS_REQUIRE_SERVICES").as_deref() == Ok("1") {
                    panic!("{reason} (CHORUS_REQUIRE_SERVICES=1)");
                }
                eprintln!("skipping PostgreSQL half: {reason}");
                return None;
            }
        };
        let name = format!("chorus_t_{}", rand_suffix());
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .unwrap();
        let (base, _) = admin_url.rsplit_once('/').unwrap();
        let url = DatabaseUrl::parse(&format!("{base}/{name}")).unwrap();
        let store = Store::open(&url).await.unwrap();
        Some(PgDatabase {
            store,
            admin_url,
            name,
        })
    }

    pub async fn drop_now(self) {
        self.store.close().await;
        if let Ok(mut admin) = sqlx::PgConnection::connect(&self.admin_url).await {
            let _ = sqlx::query(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut admin)
            .await;
        }
    }
}

fn rand_suffix() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{}_{}", std::process::id(), nanos % 1_000_000_000_000)
}

pub async fn user(store: &Store, email: &str, memberships: Vec<Membership>) -> UserId {
    store
        .create_user(
            &Author::system("test"),
            &NewUser {
                email: Email::parse(email).unwrap(),
                display_name: email.into(),
                password_hash: None,
                memberships,
            },
        )
        .await
        .unwrap()
        .id
}

/// Generates one `#[tokio::test]` per backend for each suite function `async fn(&Store)`.
macro_rules! conformance_suite {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let (store, _dir) = crate::support::sqlite_store().await;
                    super::$name(&store).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(db) = crate::support::PgDatabase::create().await else { return };
                    super::$name(&db.store).await;
                    db.drop_now().await;
                }
            )*
        }
    };
}
pub(crate) use conformance_suite;

/// Finland (Europe/Helsinki) and a connected Bluesky account in it, as most story tests need:
/// the market's id and the account's.
pub async fn finland_with_account(store: &Store) -> (chorus_core::MarketId, i64) {
    let sys = Author::system("test");
    let m = store
        .create_market(
            &sys,
            &chorus_core::org::MarketInput::parse(
                "FI",
                "Finland",
                "FI",
                &["fi-FI".into()],
                "Europe/Helsinki",
            )
            .unwrap(),
        )
        .await
        .unwrap();
    let acct = store
        .connect_account(
            &sys,
            &chorus_store::NewAccount {
                market_id: m.id,
                network: "bluesky",
                handle: "northwind.test",
                external_id: "did:plc:abc",
                service_url: "http://localhost:2583",
                sealed: "sealed-bytes",
            },
        )
        .await
        .unwrap();
    (m.id, acct.id)
}

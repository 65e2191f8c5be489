//! A SQLite store with a market and listening queries.

use chorus_core::MarketId;
use chorus_core::audit::Author;
use chorus_core::conversations::{QueryInput, RawQuery};
use chorus_core::org::MarketInput;
use chorus_store::{DatabaseUrl, Store};

pub async fn store_with_queries(queries: &[(&str, &str)]) -> (Store, MarketId, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&DatabaseUrl::sqlite_in(dir.path()))
        .await
        .unwrap();
    let sys = Author::system("test");
    let m = store
        .create_market(
            &sys,
            &MarketInput::parse("FI", "Finland", "FI", &["fi-FI".into()], "Europe/Helsinki")
                .unwrap(),
        )
        .await
        .unwrap();
    let inputs: Vec<QueryInput> = queries
        .iter()
        .map(|(name, q)| {
            QueryInput::parse(
                m.id,
                None,
                &RawQuery {
                    name: (*name).into(),
                    query: (*q).into(),
                    ..RawQuery::default()
                },
            )
            .unwrap()
        })
        .collect();
    store.create_listening_queries(&sys, &inputs).await.unwrap();
    (store, m.id, dir)
}

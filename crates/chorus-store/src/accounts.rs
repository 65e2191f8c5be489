//! Network accounts Chorus publishes from, one market each. Credentials arrive sealed (encrypted
//! with the installation's key by the caller) and are stored as given: this crate never sees
//! them in clear.

use chorus_core::MarketId;
use chorus_core::audit::Author;
use serde::Serialize;
use sqlx::Row;

use crate::audit::{self, Applied, Change, Lock};
use crate::direct::{Bind, RowGet};
use crate::error::is_unique_violation;
use crate::{Store, StoreError, now_ms};

/// An account as listed (credentials excluded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    pub id: i64,
    pub market_id: MarketId,
    /// `bluesky`, `mastodon`.
    pub network: String,
    pub handle: String,
    /// The network's stable id for the account (a DID on Bluesky).
    pub external_id: String,
    /// Where its server is (the PDS on Bluesky).
    pub service_url: String,
    /// Made by the demo loader and connected to no network: its publications and numbers are
    /// generated (see `demo.rs`), and the collector never measures it.
    pub demo: bool,
}

/// An account to connect.
#[derive(Debug, Clone)]
pub struct NewAccount<'a> {
    pub market_id: MarketId,
    pub network: &'a str,
    pub handle: &'a str,
    pub external_id: &'a str,
    pub service_url: &'a str,
    /// Sealed credentials (opaque to the store).
    pub sealed: &'a str,
}

const COLUMNS: &str = "id, market_id, network, handle, external_id, service_url, demo";

fn account_from_row(r: &dyn RowGet) -> Result<Account, StoreError> {
    Ok(Account {
        id: r.i64("id")?,
        market_id: MarketId(r.i64("market_id")?),
        network: r.string("network")?,
        handle: r.string("handle")?,
        external_id: r.string("external_id")?,
        service_url: r.string("service_url")?,
        demo: r.i64("demo")? != 0,
    })
}

impl Store {
    /// Connects an account, or replaces the credentials of one with the same network and handle.
    /// A connected account is a real one: connecting over a demo account clears its demo mark.
    pub async fn connect_account(
        &self,
        author: &Author,
        new: &NewAccount<'_>,
    ) -> Result<Account, StoreError> {
        audit::write(
            self,
            author,
            Lock::nothing(),
            async |_| Ok(()),
            async |c, _| {
                let row = sqlx::query(&format!(
                    "INSERT INTO accounts (market_id, network, handle, external_id, service_url, \
                     credentials, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (network, handle) DO UPDATE SET market_id = excluded.market_id, \
                     external_id = excluded.external_id, service_url = excluded.service_url, \
                     credentials = excluded.credentials, demo = 0 RETURNING {COLUMNS}"
                ))
                .bind(new.market_id.0)
                .bind(new.network)
                .bind(new.handle)
                .bind(new.external_id)
                .bind(new.service_url)
                .bind(new.sealed)
                .bind(now_ms())
                .fetch_one(&mut *c)
                .await
                .map_err(|e| {
                    if is_unique_violation(&e, "handle") {
                        StoreError::AlreadyExists {
                            what: "this account",
                            field: "handle",
                        }
                    } else {
                        e.into()
                    }
                })?;
                let account = account_from_row(&row)?;
                let change = Change {
                    action: "account.connect",
                    subject_type: "account",
                    subject_id: account.id.to_string(),
                    market: Some(account.market_id),
                    before: None,
                    after: crate::audit::snapshot(&account),
                };
                Ok(Applied::rows(1, 1, account).audit(change))
            },
            async |_, _| StoreError::NotFound { what: "account" },
        )
        .await
    }

    pub async fn accounts(&self, market: Option<MarketId>) -> Result<Vec<Account>, StoreError> {
        // On a direct connection on SQLite: every Numbers page reads the accounts.
        self.read_all(
            format!(
                "SELECT {COLUMNS} FROM accounts WHERE ($1 IS NULL OR market_id = $1) \
                 ORDER BY handle"
            ),
            vec![Bind::OptI(market.map(|m| m.0))],
            account_from_row,
        )
        .await
    }

    pub async fn account(&self, id: i64) -> Result<Account, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM accounts WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound { what: "account" })?;
        account_from_row(&row)
    }

    /// The sealed credentials of an account, for the publisher to open.
    pub async fn account_credentials(&self, id: i64) -> Result<String, StoreError> {
        let row = sqlx::query("SELECT credentials FROM accounts WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound { what: "account" })?;
        Ok(row.try_get("credentials")?)
    }
}

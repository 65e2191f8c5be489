//! Sessions on a PDS: log in with an app password, refresh, and call with automatic refresh.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;

use super::credentials::Secret;
use super::identity::Did;
use super::xrpc::{Xrpc, XrpcError};

/// A logged-in session. Tokens are [`Secret`]s.
#[derive(Debug, Clone)]
pub struct Session {
    pub did: Did,
    pub handle: String,
    pub access_jwt: Secret,
    pub refresh_jwt: Secret,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SessionOut {
    did: String,
    handle: String,
    access_jwt: String,
    refresh_jwt: String,
}

impl SessionOut {
    fn into_session(self) -> Result<Session, XrpcError> {
        let did = Did::parse(&self.did).map_err(|e| XrpcError::Decode {
            url: "createSession".into(),
            reason: e.to_string(),
        })?;
        Ok(Session {
            did,
            handle: self.handle,
            access_jwt: Secret::new(self.access_jwt),
            refresh_jwt: Secret::new(self.refresh_jwt),
        })
    }
}

/// Logs in with a handle or DID and an (app) password.
pub async fn create_session(
    pds: &Xrpc,
    identifier: &str,
    password: &Secret,
) -> Result<Session, XrpcError> {
    #[derive(Serialize)]
    struct In<'a> {
        identifier: &'a str,
        password: &'a str,
    }
    pds.procedure::<_, SessionOut>(
        "com.atproto.server.createSession",
        &In {
            identifier,
            password: password.expose(),
        },
        None,
    )
    .await?
    .into_session()
}

/// Exchanges a refresh token for a new session (the old refresh token stops working).
pub async fn refresh_session(pds: &Xrpc, refresh_jwt: &Secret) -> Result<Session, XrpcError> {
    pds.procedure_no_body::<SessionOut>(
        "com.atproto.server.refreshSession",
        Some(refresh_jwt.expose()),
    )
    .await?
    .into_session()
}

/// An authenticated client for one account on its PDS. When a call fails with an expired
/// access token it refreshes the session once and repeats the call.
#[derive(Debug)]
pub struct Agent {
    pds: Xrpc,
    session: RwLock<Session>,
}

impl Agent {
    pub fn new(pds: Xrpc, session: Session) -> Self {
        Agent {
            pds,
            session: RwLock::new(session),
        }
    }

    pub async fn login(pds: Xrpc, identifier: &str, password: &Secret) -> Result<Self, XrpcError> {
        let session = create_session(&pds, identifier, password).await?;
        Ok(Agent::new(pds, session))
    }

    /// Resumes from a stored refresh token.
    pub async fn resume(pds: Xrpc, refresh_jwt: &Secret) -> Result<Self, XrpcError> {
        let session = refresh_session(&pds, refresh_jwt).await?;
        Ok(Agent::new(pds, session))
    }

    pub fn xrpc(&self) -> &Xrpc {
        &self.pds
    }

    pub async fn did(&self) -> Did {
        self.session.read().await.did.clone()
    }

    pub async fn session(&self) -> Session {
        self.session.read().await.clone()
    }

    /// Refreshes now; returns the new session (store its refresh token).
    pub async fn refresh(&self) -> Result<Session, XrpcError> {
        let mut guard = self.session.write().await;
        let fresh = refresh_session(&self.pds, &guard.refresh_jwt).await?;
        *guard = fresh.clone();
        tracing::debug!(did = %guard.did, "session refreshed");
        Ok(fresh)
    }

    async fn token(&self) -> Secret {
        self.session.read().await.access_jwt.clone()
    }

    pub async fn query<T: DeserializeOwned>(
        &self,
        nsid: &str,
        params: &[(&str, &str)],
    ) -> Result<T, XrpcError> {
        let token = self.token().await;
        match self.pds.query(nsid, params, Some(token.expose())).await {
            Err(XrpcError::ExpiredToken { .. }) => {
                let token = self.refresh().await?.access_jwt;
                self.pds.query(nsid, params, Some(token.expose())).await
            }
            other => other,
        }
    }

    pub async fn procedure<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        nsid: &str,
        body: &B,
    ) -> Result<T, XrpcError> {
        let token = self.token().await;
        match self.pds.procedure(nsid, body, Some(token.expose())).await {
            // An expired token is refused before anything is written: repeating is safe.
            Err(XrpcError::ExpiredToken { .. }) => {
                let token = self.refresh().await?.access_jwt;
                self.pds.procedure(nsid, body, Some(token.expose())).await
            }
            other => other,
        }
    }

    pub async fn upload<T: DeserializeOwned>(
        &self,
        bytes: &[u8],
        mime: &str,
    ) -> Result<T, XrpcError> {
        let nsid = "com.atproto.repo.uploadBlob";
        let token = self.token().await;
        match self
            .pds
            .upload(nsid, bytes, mime, Some(token.expose()))
            .await
        {
            Err(XrpcError::ExpiredToken { .. }) => {
                let token = self.refresh().await?.access_jwt;
                self.pds
                    .upload(nsid, bytes, mime, Some(token.expose()))
                    .await
            }
            other => other,
        }
    }
}

//! Talking to one OpenID Connect provider: discovery (`/.well-known/openid-configuration`),
//! its key set, the authorization URL, the code exchange and userinfo — every request through
//! the installation's guarded outbound client, since an issuer is a URL someone typed.
//!
//! Discovery is kept for an hour. The key set is kept until a token names a key it does not
//! hold: then it is fetched again (a provider rotating its keys publishes the new one first),
//! at most once per [`JWKS_REFETCH`], so a stream of forged key ids cannot make Chorus hammer
//! the provider.

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::Deserialize;
use tokio::sync::Mutex;

use super::jwt::Jwks;
use super::{ProviderSettings, Refused};

/// How long discovery is trusted.
const DISCOVERY_TTL: Duration = Duration::from_secs(3600);
/// The least time between two fetches of the key set.
pub(crate) const JWKS_REFETCH: Duration = Duration::from_secs(2);
/// How long one request to the provider may take.
const TIMEOUT: Duration = Duration::from_secs(15);

/// What discovery says (OpenID Connect Discovery §3); only the members Chorus uses.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
    #[serde(default)]
    pub code_challenge_methods_supported: Option<Vec<String>>,
}

/// The token endpoint's answer (Core §3.1.3.3) or its error (RFC 6749 §5.2).
#[derive(Debug, Deserialize)]
pub(crate) struct Tokens {
    #[serde(default)]
    pub id_token: Option<String>,
    #[serde(default)]
    pub access_token: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub error_description: Option<String>,
}

struct Cached {
    discovery: Discovery,
    discovered: Instant,
    jwks: Jwks,
    jwks_fetched: Instant,
}

/// One configured provider and what Chorus has learnt from it.
pub(crate) struct Provider {
    pub settings: ProviderSettings,
    cache: Mutex<Option<Cached>>,
}

impl Provider {
    pub fn new(settings: ProviderSettings) -> Provider {
        Provider {
            settings,
            cache: Mutex::new(None),
        }
    }

    /// Discovery, fetched when missing or older than an hour; its issuer must be the one
    /// configured, character for character (Discovery §4.3).
    pub async fn discovery(&self, http: &chorus_outbound::Client) -> Result<Discovery, Refused> {
        let mut cache = self.cache.lock().await;
        if let Some(c) = cache.as_ref()
            && c.discovered.elapsed() < DISCOVERY_TTL
        {
            return Ok(c.discovery.clone());
        }
        let issuer = self.settings.issuer.trim_end_matches('/');
        let url = format!("{issuer}/.well-known/openid-configuration");
        let discovery: Discovery = get_json(http, &url, None).await?;
        if discovery.issuer != self.settings.issuer {
            return Err(Refused::Provider(format!(
                "its discovery document names the issuer {:?}, not the configured {:?}",
                discovery.issuer, self.settings.issuer
            )));
        }
        if let Some(methods) = &discovery.code_challenge_methods_supported
            && !methods.iter().any(|m| m == "S256")
        {
            return Err(Refused::Provider(
                "it does not support PKCE with S256, which Chorus requires".into(),
            ));
        }
        let jwks: Jwks = get_json(http, &discovery.jwks_uri, None).await?;
        *cache = Some(Cached {
            discovery: discovery.clone(),
            discovered: Instant::now(),
            jwks,
            jwks_fetched: Instant::now(),
        });
        Ok(discovery)
    }

    /// The key set; with `refresh`, fetched again first unless it was fetched moments ago.
    pub async fn jwks(
        &self,
        http: &chorus_outbound::Client,
        refresh: bool,
    ) -> Result<Jwks, Refused> {
        let discovery = self.discovery(http).await?;
        let mut cache = self.cache.lock().await;
        let Some(c) = cache.as_mut() else {
            return Err(Refused::Provider("its discovery was lost".into()));
        };
        if refresh {
            // Fetched moments ago: wait out the gap (the lock makes concurrent sign-ins share
            // one fetch) rather than refuse a key that may just have been published.
            if let Some(wait) = JWKS_REFETCH.checked_sub(c.jwks_fetched.elapsed()) {
                tokio::time::sleep(wait).await;
            }
            c.jwks = get_json(http, &discovery.jwks_uri, None).await?;
            c.jwks_fetched = Instant::now();
            tracing::info!(provider = %self.settings.id, keys = c.jwks.keys.len(), "fetched the provider's keys again");
        }
        Ok(c.jwks.clone())
    }

    /// Exchanges an authorization code (with its PKCE verifier) at the token endpoint,
    /// authenticating with `client_secret_basic` (RFC 6749 §2.3.1).
    pub async fn exchange(
        &self,
        http: &chorus_outbound::Client,
        token_endpoint: &str,
        code: &str,
        redirect_uri: &str,
        code_verifier: &str,
    ) -> Result<Tokens, Refused> {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "authorization_code")
            .append_pair("code", code)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("code_verifier", code_verifier)
            .finish();
        let form = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let basic = STANDARD.encode(format!(
            "{}:{}",
            form(&self.settings.client_id),
            form(self.settings.client_secret.reveal())
        ));
        let resp = http
            .post(token_endpoint)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .header("authorization", &format!("Basic {basic}"))
            .body(body)
            .timeout(TIMEOUT)
            .send()
            .await
            .map_err(|e| Refused::Unreachable(e.to_string()))?;
        let status = resp.status();
        let text = resp
            .text()
            .await
            .map_err(|e| Refused::Unreachable(e.to_string()))?;
        let tokens: Tokens = serde_json::from_str(&text).map_err(|_| {
            Refused::Provider(format!("its token endpoint answered {status} without JSON"))
        })?;
        if let Some(error) = &tokens.error {
            return Err(Refused::Provider(format!(
                "it refused the code: {error}{}",
                tokens
                    .error_description
                    .as_deref()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default()
            )));
        }
        if !status.is_success() {
            return Err(Refused::Provider(format!(
                "its token endpoint answered {status}"
            )));
        }
        Ok(tokens)
    }

    /// The userinfo claims for an access token (Core §5.3).
    pub async fn userinfo(
        &self,
        http: &chorus_outbound::Client,
        endpoint: &str,
        access_token: &str,
    ) -> Result<serde_json::Map<String, serde_json::Value>, Refused> {
        get_json(http, endpoint, Some(access_token)).await
    }
}

async fn get_json<T: serde::de::DeserializeOwned>(
    http: &chorus_outbound::Client,
    url: &str,
    bearer: Option<&str>,
) -> Result<T, Refused> {
    let mut req = http
        .get(url)
        .header("accept", "application/json")
        .timeout(TIMEOUT);
    if let Some(token) = bearer {
        req = req.bearer_auth(token);
    }
    let resp = req
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .map_err(|e| Refused::Unreachable(format!("{url}: {e}")))?;
    let text = resp
        .text()
        .await
        .map_err(|e| Refused::Unreachable(format!("{url}: {e}")))?;
    serde_json::from_str(&text)
        .map_err(|e| Refused::Provider(format!("{url} did not answer the expected JSON ({e})")))
}

/// 32 random bytes, base64url: states, nonces and PKCE verifiers (43 characters, RFC 7636 §4.1).
pub(crate) fn random() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The S256 challenge of a verifier (RFC 7636 §4.2).
pub(crate) fn challenge(verifier: &str) -> String {
    use sha2::Digest;
    URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()))
}

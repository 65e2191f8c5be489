//! Single sign-on with OpenID Connect: "Sign in with …", and the admins' rules that turn the
//! provider's groups into memberships.
//!
//! The sign-in is the authorization code flow with PKCE (S256), `state` and `nonce`
//! (OpenID Connect Core §3.1): [`begin`] records the sign-in under its state and answers the
//! provider's URL; [`finish`] takes that record back exactly once (a replayed or expired state is
//! refused), exchanges the code, checks the ID token's signature against the provider's keys and
//! its claims (issuer, audience, expiry, nonce), evaluates the rules over the groups the provider
//! sent, and signs the person in — creating them on their first sign-in — in one transaction
//! (`Store::sso_sign_in`). Someone the rules give nothing, and who holds nothing by hand, is
//! refused, and their other sessions and API tokens end.
//!
//! Providers are configuration (`[[sso.providers]]`); rules are data, changed by admins only
//! (`Action::ManageSignIn`) from Admin → Sign-in, the API or `chorus sso rules`.

mod jwt;
mod oidc;

use std::sync::Arc;

use chorus_core::permission::{allows, authorize};
use chorus_core::sso::{GroupRule, PasswordSignIn, check_rule, memberships_for};
use chorus_core::user::Email;
use chorus_core::{Action, MarketId, Role, Scope, UserId};
use chorus_store::{PendingSignIn, SsoOutcome, SsoProfile};

pub use jwt::TokenError;

use crate::{App, Caller, Error, Result};

/// How long a person has at the provider before the sign-in must start again.
const SIGN_IN_TTL_MS: i64 = 10 * 60 * 1000;
/// Clock difference tolerated between Chorus and a provider.
const LEEWAY_SECS: i64 = 60;

/// A client secret: `Debug` never shows it.
#[derive(Clone)]
pub struct ClientSecret(String);

impl ClientSecret {
    pub fn new(secret: String) -> ClientSecret {
        ClientSecret(secret)
    }

    pub(crate) fn reveal(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// One provider, as configured (`[[sso.providers]]`).
#[derive(Debug, Clone)]
pub struct ProviderSettings {
    /// Short name in URLs and the database (`okta`, `entra`): its callback is
    /// `<public_url>/login/sso/<id>/callback`.
    pub id: String,
    /// What the button says after "Sign in with".
    pub display_name: String,
    /// The issuer URL, exactly as the provider's discovery document states it.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: ClientSecret,
    /// Scopes asked for; `openid` is always among them.
    pub scopes: Vec<String>,
    /// The claim that lists the person's groups (`groups` at most providers).
    pub groups_claim: String,
}

/// `[sso]`: the providers and who may still use a password.
#[derive(Debug, Clone, Default)]
pub struct SsoSettings {
    pub providers: Vec<ProviderSettings>,
    pub password_sign_in: PasswordSignIn,
}

/// The configured providers with what Chorus has learnt from them (discovery, keys).
#[derive(Default)]
pub(crate) struct Sso {
    providers: Vec<oidc::Provider>,
    password_sign_in: PasswordSignIn,
}

impl Sso {
    pub fn new(settings: SsoSettings) -> Sso {
        Sso {
            providers: settings
                .providers
                .into_iter()
                .map(oidc::Provider::new)
                .collect(),
            password_sign_in: settings.password_sign_in,
        }
    }

    fn provider(&self, id: &str) -> Result<&oidc::Provider> {
        self.providers
            .iter()
            .find(|p| p.settings.id == id)
            .ok_or(Error::NotFound("sign-in provider"))
    }
}

impl std::fmt::Debug for Sso {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sso")
            .field(
                "providers",
                &self
                    .providers
                    .iter()
                    .map(|p| &p.settings.id)
                    .collect::<Vec<_>>(),
            )
            .field("password_sign_in", &self.password_sign_in)
            .finish()
    }
}

/// A provider as the login page and Admin show it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ProviderInfo {
    pub id: String,
    pub display_name: String,
    pub issuer: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub groups_claim: String,
    /// The URL to register at the provider as the redirect URI (empty without a public URL).
    pub redirect_uri: String,
}

/// The configured providers, in config order (anyone may see the names: the login page does).
pub fn providers(app: &App) -> Vec<ProviderInfo> {
    app.sso
        .providers
        .iter()
        .map(|p| ProviderInfo {
            id: p.settings.id.clone(),
            display_name: p.settings.display_name.clone(),
            issuer: p.settings.issuer.clone(),
            client_id: p.settings.client_id.clone(),
            scopes: p.settings.scopes.clone(),
            groups_claim: p.settings.groups_claim.clone(),
            redirect_uri: callback_url(app, &p.settings.id).unwrap_or_default(),
        })
        .collect()
}

/// The configured providers with their settings, for the admins who register Chorus at them.
pub fn configured(app: &App, caller: &Caller) -> Result<Vec<ProviderInfo>> {
    authorize(&caller.actor, Action::ManageSignIn, Scope::Global)?;
    Ok(providers(app))
}

/// Who may sign in with a password.
pub fn password_sign_in(app: &App) -> &PasswordSignIn {
    &app.sso.password_sign_in
}

/// Where a provider sends the browser back: register this URL at the provider.
pub fn callback_url(app: &App, provider: &str) -> Result<String> {
    let base = app.public_url().ok_or_else(|| {
        Error::Unavailable("single sign-on needs server.public_url to be set".into())
    })?;
    Ok(format!(
        "{}/login/sso/{provider}/callback",
        base.as_str().trim_end_matches('/')
    ))
}

/// What [`check`] found at a provider.
#[derive(Debug, Clone)]
pub struct CheckReport {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    /// How many keys its key set publishes.
    pub keys: usize,
}

/// Fetches a provider's discovery document and key set as a sign-in would (for operators
/// setting one up): what it says, or why a sign-in would fail.
pub async fn check(
    app: &App,
    caller: &Caller,
    provider: &str,
) -> Result<Result<CheckReport, Refused>> {
    authorize(&caller.actor, Action::ManageSignIn, Scope::Global)?;
    let p = app.sso.provider(provider)?;
    let http = app.outbound()?;
    let run = async {
        let d = p.discovery(&http).await?;
        let keys = p.jwks(&http, true).await?;
        Ok(CheckReport {
            issuer: d.issuer,
            authorization_endpoint: d.authorization_endpoint,
            token_endpoint: d.token_endpoint,
            keys: keys.keys.len(),
        })
    };
    Ok(run.await)
}

/// Why a sign-in with a provider did not sign anyone in, in words for the sign-in page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("this sign-in expired or was already used; start again")]
    StateUnknown,
    #[error("this sign-in was started in another browser tab or window; start again")]
    OtherBrowser,
    #[error("the identity provider could not be reached: {0}")]
    Unreachable(String),
    #[error("the identity provider's answer was not usable: {0}")]
    Provider(String),
    #[error("the identity provider declined: {0}")]
    Declined(String),
    #[error("{0}")]
    Token(#[from] TokenError),
    #[error("the identity provider did not send an email address for you")]
    NoEmail,
    #[error(
        "your organization has not given you access to Chorus: none of your groups at the \
         identity provider is mapped to a role. Ask an admin"
    )]
    NoAccess,
    #[error("your Chorus account is deactivated. Ask an admin")]
    Deactivated,
    #[error(
        "a Chorus user already has your email, and the identity provider does not say the email \
         is verified. Ask an admin"
    )]
    EmailTaken,
}

/// A sign-in sent to the provider: the browser goes to `url`; `state` is also set as a
/// short-lived cookie so that only this browser can finish it.
#[derive(Debug, Clone)]
pub struct Begun {
    pub url: String,
    pub state: String,
}

/// Starts a sign-in with `provider`; `next` is the page of this site to land on afterwards.
pub async fn begin(app: &App, provider: &str, next: &str) -> Result<Result<Begun, Refused>> {
    let p = app.sso.provider(provider)?;
    let redirect_uri = callback_url(app, provider)?;
    let http = app.outbound()?;
    let discovery = match p.discovery(&http).await {
        Ok(d) => d,
        Err(refused) => return Ok(Err(refused)),
    };
    let state = oidc::random();
    let pending = PendingSignIn {
        provider: provider.to_owned(),
        nonce: oidc::random(),
        code_verifier: oidc::random(),
        next: next.to_owned(),
    };
    app.store
        .begin_sso_login(&state, &pending, SIGN_IN_TTL_MS)
        .await?;
    let mut scopes = vec!["openid".to_owned()];
    scopes.extend(p.settings.scopes.iter().filter(|s| *s != "openid").cloned());
    let mut url = url::Url::parse(&discovery.authorization_endpoint)
        .map_err(|e| Error::Unavailable(format!("the provider's authorization endpoint: {e}")))?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &p.settings.client_id)
        .append_pair("redirect_uri", &redirect_uri)
        .append_pair("scope", &scopes.join(" "))
        .append_pair("state", &state)
        .append_pair("nonce", &pending.nonce)
        .append_pair("code_challenge", &oidc::challenge(&pending.code_verifier))
        .append_pair("code_challenge_method", "S256");
    Ok(Ok(Begun {
        url: url.into(),
        state,
    }))
}

/// What the provider sent the browser back with (the callback's query).
#[derive(Debug, Clone, Default)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    /// The issuer the answer says it comes from (RFC 9207), when the provider sends it: it
    /// must be this provider's, so a sign-in started here cannot be finished by another one.
    pub iss: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// A finished sign-in: the session's cookie value and where to go.
#[derive(Debug, Clone)]
pub struct Finished {
    pub token: String,
    pub user: UserId,
    pub next: String,
    pub created: bool,
}

/// Finishes a sign-in with `provider`. `browser_state` is the state cookie the browser holds;
/// `replacing` is the session it brought, ended on success (a session set before sign-in is
/// never kept).
pub async fn finish(
    app: &App,
    provider: &str,
    callback: &Callback,
    browser_state: Option<&str>,
    replacing: Option<&str>,
) -> Result<Result<Finished, Refused>> {
    let p = app.sso.provider(provider)?;
    let Some(state) = callback.state.as_deref().filter(|s| !s.is_empty()) else {
        return Ok(Err(Refused::StateUnknown));
    };
    if browser_state != Some(state) {
        return Ok(Err(Refused::OtherBrowser));
    }
    // Taken (deleted) before anything else: a state works once, whatever happens next.
    let Some(pending) = app.store.take_sso_login(state).await? else {
        return Ok(Err(Refused::StateUnknown));
    };
    if pending.provider != provider {
        return Ok(Err(Refused::StateUnknown));
    }
    if let Some(iss) = &callback.iss
        && *iss != p.settings.issuer
    {
        return Ok(Err(Refused::Provider(format!(
            "the answer came from another issuer ({iss})"
        ))));
    }
    if let Some(error) = &callback.error {
        let detail = callback.error_description.as_deref().unwrap_or("");
        return Ok(Err(Refused::Declined(
            format!("{error} {detail}").trim().to_owned(),
        )));
    }
    let Some(code) = callback.code.as_deref() else {
        return Ok(Err(Refused::Provider("it sent no code".into())));
    };
    let profile = match verified_profile(app, p, code, &pending).await? {
        Ok(profile) => profile,
        Err(refused) => {
            tracing::warn!(provider, %refused, "single sign-on refused");
            return Ok(Err(refused));
        }
    };
    let rules = app.store.sso_rules().await?;
    let markets: Vec<(MarketId, String)> = app
        .store
        .markets()
        .await?
        .into_iter()
        .map(|m| (m.id, m.code.to_string()))
        .collect();
    let given = memberships_for(&profile.groups, &rules, &markets);
    let ttl = i64::try_from(app.config.session_ttl.as_millis()).unwrap_or(i64::MAX);
    let outcome = app.store.sso_sign_in(&profile, &given, ttl).await?;
    let (token, user, created) = match outcome {
        SsoOutcome::SignedIn {
            token,
            user,
            created,
        } => (token, user, created),
        SsoOutcome::NoAccess { .. } => return Ok(Err(Refused::NoAccess)),
        SsoOutcome::Deactivated => return Ok(Err(Refused::Deactivated)),
        SsoOutcome::EmailTaken => return Ok(Err(Refused::EmailTaken)),
    };
    if let Some(old) = replacing {
        app.store.delete_session(old).await?;
    }
    Ok(Ok(Finished {
        token,
        user,
        next: pending.next,
        created,
    }))
}

/// Exchanges the code and checks the ID token; answers who it says signed in.
async fn verified_profile(
    app: &App,
    p: &oidc::Provider,
    code: &str,
    pending: &PendingSignIn,
) -> Result<Result<SsoProfile, Refused>> {
    let http = app.outbound()?;
    let redirect_uri = callback_url(app, &p.settings.id)?;
    let run = async {
        let discovery = p.discovery(&http).await?;
        let tokens = p
            .exchange(
                &http,
                &discovery.token_endpoint,
                code,
                &redirect_uri,
                &pending.code_verifier,
            )
            .await?;
        let id_token = tokens
            .id_token
            .as_deref()
            .ok_or_else(|| Refused::Provider("it sent no ID token".into()))?;
        let token = jwt::decode(id_token)?;
        let mut keys = p.jwks(&http, false).await?;
        if !token.has_key_in(&keys) {
            keys = p.jwks(&http, true).await?;
        }
        let claims = token.verify_signature(&keys)?;
        let now = jiff::Timestamp::now().as_second();
        jwt::check_claims(
            claims,
            &jwt::Expected {
                issuer: &p.settings.issuer,
                client_id: &p.settings.client_id,
                nonce: &pending.nonce,
                now,
                leeway: LEEWAY_SECS,
            },
        )?;
        let mut other = claims.other.clone();
        if !other.contains_key(&p.settings.groups_claim)
            && let (Some(endpoint), Some(access)) =
                (&discovery.userinfo_endpoint, &tokens.access_token)
        {
            let info = p.userinfo(&http, endpoint, access).await?;
            if info.get("sub").and_then(|s| s.as_str()) != Some(claims.sub.as_str()) {
                return Err(Refused::Provider(
                    "its userinfo is about someone else".into(),
                ));
            }
            for (k, v) in info {
                other.entry(k).or_insert(v);
            }
        }
        profile_from(&p.settings, &claims.sub, &other)
    };
    Ok(run.await)
}

fn profile_from(
    settings: &ProviderSettings,
    subject: &str,
    claims: &serde_json::Map<String, serde_json::Value>,
) -> Result<SsoProfile, Refused> {
    let text = |k: &str| claims.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    let email = text("email")
        .and_then(|e| Email::parse(&e).ok())
        .ok_or(Refused::NoEmail)?;
    let display_name = text("name")
        .or_else(|| text("preferred_username"))
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| email.as_str().to_owned());
    let groups = match claims.get(&settings.groups_claim) {
        Some(serde_json::Value::Array(list)) => list
            .iter()
            .filter_map(|g| g.as_str().map(str::to_owned))
            .collect(),
        Some(serde_json::Value::String(one)) => vec![one.clone()],
        _ => Vec::new(),
    };
    Ok(SsoProfile {
        provider: settings.id.clone(),
        subject: subject.to_owned(),
        email,
        email_verified: claims.get("email_verified").and_then(|v| v.as_bool()) == Some(true),
        display_name: chorus_core::validate::text(&display_name, 120)
            .unwrap_or_else(|_| display_name.chars().take(120).collect()),
        groups,
    })
}

/// The mapping rules, for admins.
pub async fn rules(app: &App, caller: &Caller) -> Result<Vec<GroupRule>> {
    authorize(&caller.actor, Action::ManageSignIn, Scope::Global)?;
    Ok(app.store.sso_rules().await?)
}

/// A new mapping rule as typed: the market by code (`None`: all markets).
#[derive(Debug, Clone, Default)]
pub struct NewRule {
    pub group: String,
    pub role: String,
    pub market: Option<String>,
    /// Take the market from what the group's `*` matched.
    pub market_from_suffix: bool,
}

/// Adds a mapping rule; it applies from each person's next sign-in.
pub async fn create_rule(app: &App, caller: &Caller, new: &NewRule) -> Result<GroupRule> {
    authorize(&caller.actor, Action::ManageSignIn, Scope::Global)?;
    let role = Role::parse(&new.role).map_err(|e| e.at("role"))?;
    let market = match new
        .market
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
    {
        None => None,
        Some(code) => Some(
            app.store
                .markets()
                .await?
                .into_iter()
                .find(|m| m.code.to_string().eq_ignore_ascii_case(code))
                .ok_or_else(|| {
                    Error::invalid("market", format!("no market has the code {code:?}"))
                })?
                .id,
        ),
    };
    let (group, scope) = check_rule(&new.group, role, market, new.market_from_suffix)?;
    Ok(app
        .store
        .create_sso_rule(&caller.author(), &group, role, scope)
        .await?)
}

/// Deletes a mapping rule; what it gave is taken back at each holder's next sign-in.
pub async fn delete_rule(app: &App, caller: &Caller, id: i64) -> Result<()> {
    authorize(&caller.actor, Action::ManageSignIn, Scope::Global)?;
    Ok(app.store.delete_sso_rule(&caller.author(), id).await?)
}

/// Whether the caller may manage sign-in (the navigation offers the page).
pub fn may_manage(caller: &Caller) -> bool {
    allows(&caller.actor, Action::ManageSignIn, Scope::Global)
}

pub(crate) fn shared(settings: SsoSettings) -> Arc<Sso> {
    Arc::new(Sso::new(settings))
}

#[cfg(test)]
mod tests;

//! Single sign-on through OpenID Connect (R17): the two legs of an
//! authorization-code flow, for an invitee accepting an invitation and for
//! a user signing in. `oidc` speaks the protocol, `routes` speaks HTTP
//! (cookies, redirects); this module holds the use cases between them.
//!
//! A flow is one `sso_requests` row, keyed by `state`, bound to the browser
//! that started it by the `roster_sso` cookie (only its SHA-256 is stored),
//! used once and for at most ten minutes. For an invitation the cookie also
//! carries the link's token, which the server never stores, so the callback
//! can judge the link afresh and send a refused invitee back to it.

pub mod oidc;
pub mod routes;

use crate::domain::{redirect::safe_next_path, sso::SignInMethod, AppError, EmailAddress};
use crate::domain::{sso::SsoRefusal, UserStatus};
use crate::server::{
    auth,
    repos::{
        self as repos, orgs,
        sso::{self as repo, NewSsoRequest, SsoPurpose},
        RepoError,
    },
    services::Engine,
    tokens,
};
use oidc::{ClientRegistration, Identity, OidcClient, OidcError};
use sha2::{Digest, Sha256};

/// The cookie that binds a flow to the browser that started it.
pub const SSO_COOKIE: &str = "roster_sso";
/// A flow must come back within this (also the cookie's lifetime).
pub const FLOW_LIFETIME_MS: i64 = 10 * 60 * 1000;

/// Why a flow stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SsoFailure {
    /// An answer for the person, shown at `/sso/problem`.
    Refused(SsoRefusal),
    /// R10: a copied link whose email is not confirmed yet; the link's page
    /// asks for it.
    ConfirmEmailFirst,
    /// Our fault or the database's: the usual error page.
    Failed(AppError),
}

impl From<AppError> for SsoFailure {
    fn from(error: AppError) -> Self {
        SsoFailure::Failed(error)
    }
}

impl From<RepoError> for SsoFailure {
    fn from(error: RepoError) -> Self {
        SsoFailure::Failed(error.into())
    }
}

/// The `roster_sso` cookie's value: a random secret, and for an invitation
/// the link's token after a dot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowserBinding {
    secret: String,
    pub invitation_token: Option<String>,
}

impl BrowserBinding {
    fn new(invitation_token: Option<&str>) -> Self {
        BrowserBinding {
            secret: tokens::new_token().secret,
            invitation_token: invitation_token.map(str::to_string),
        }
    }

    /// Reads a cookie value; anything not of our making is `None`.
    pub fn parse(value: &str) -> Option<Self> {
        let (secret, token) = match value.split_once('.') {
            Some((secret, token)) => (secret, Some(token)),
            None => (value, None),
        };
        let ours = tokens::looks_like_token(secret) && token.is_none_or(tokens::looks_like_token);
        ours.then(|| BrowserBinding {
            secret: secret.to_string(),
            invitation_token: token.map(str::to_string),
        })
    }

    pub fn cookie_value(&self) -> String {
        match &self.invitation_token {
            Some(token) => format!("{}.{token}", self.secret),
            None => self.secret.clone(),
        }
    }

    /// What `sso_requests.browser_hash` holds: SHA-256 (hex) of the cookie value.
    fn hash(&self) -> String {
        Sha256::digest(self.cookie_value().as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// Where to send the browser, and the cookie to set on it.
pub struct Started {
    pub authorization_url: String,
    pub binding: BrowserBinding,
}

/// The organisation's provider, if it signs in through SSO with a
/// complete registration.
async fn provider_of(
    engine: &Engine,
    org_id: &str,
) -> Result<(String, ClientRegistration), SsoFailure> {
    let config = orgs::find_sign_in_config(&engine.db, org_id).await?;
    let Some(config) = config.filter(|c| c.method == SignInMethod::Sso) else {
        return Err(SsoFailure::Refused(SsoRefusal::NotEnabled));
    };
    match (config.issuer, config.client_id, config.client_secret) {
        (Some(issuer), Some(client_id), Some(secret))
            if !issuer.is_empty() && !client_id.is_empty() =>
        {
            Ok((
                issuer,
                ClientRegistration {
                    client_id,
                    client_secret: secret.expose().to_string(),
                    redirect_uri: callback_url(&engine.public_url),
                },
            ))
        }
        _ => {
            tracing::warn!(
                org_id,
                "single sign-on is chosen but its provider is not set up"
            );
            Err(SsoFailure::Refused(SsoRefusal::NotEnabled))
        }
    }
}

/// What the provider must send the browser back to (registered there).
pub fn callback_url(public_url: &str) -> String {
    format!("{}/sso/callback", public_url.trim_end_matches('/'))
}

fn provider_failure(error: OidcError) -> SsoFailure {
    match error {
        OidcError::Unavailable(why) => {
            tracing::warn!(%why, "single sign-on: provider unavailable");
            SsoFailure::Refused(SsoRefusal::ProviderUnavailable)
        }
        OidcError::Refused(why) => {
            tracing::warn!(%why, "single sign-on: provider's answer refused");
            SsoFailure::Refused(SsoRefusal::InvalidResponse)
        }
    }
}

/// The first leg: checks what the flow is for (an invitation link, or a
/// sign-in to the organisation that uses SSO), records the flow and gives
/// the provider's authorization URL.
pub async fn start(
    engine: &Engine,
    invitation_token: Option<&str>,
    next: Option<&str>,
    now: i64,
) -> Result<Started, SsoFailure> {
    let (purpose, org_id, link_id, next_path) = match invitation_token {
        Some(token) => {
            let link = engine.link_for_single_sign_on(token, now).await?;
            (SsoPurpose::Invite, link.org_id, Some(link.link_id), None)
        }
        None => {
            let org_id = repo::find_sso_organisation_id(&engine.db)
                .await?
                .ok_or(SsoFailure::Refused(SsoRefusal::NotEnabled))?;
            let next_path = next.and_then(safe_next_path).map(str::to_string);
            (SsoPurpose::Login, org_id, None, next_path)
        }
    };
    let (issuer, registration) = provider_of(engine, &org_id).await?;
    let client = OidcClient::discover(&issuer, &registration, false)
        .await
        .map_err(provider_failure)?;
    let state = tokens::new_token().secret;
    let nonce = tokens::new_token().secret;
    let binding = BrowserBinding::new(invitation_token);
    let authorization = client.authorization_url(&state, &nonce);
    repo::insert_sso_request(
        &engine.db,
        NewSsoRequest {
            state: &state,
            org_id: &org_id,
            purpose,
            link_id: link_id.as_deref(),
            browser_hash: &binding.hash(),
            nonce: &nonce,
            pkce_verifier: &authorization.pkce_verifier,
            next_path: next_path.as_deref(),
            now,
        },
    )
    .await?;
    Ok(Started {
        authorization_url: authorization.url,
        binding,
    })
}

/// What the provider sent the browser back with.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct CallbackParams {
    pub code: Option<String>,
    pub state: Option<String>,
    /// The provider refused or the person cancelled (`access_denied`).
    pub error: Option<String>,
    /// RFC 9207: the provider that answers, when it says.
    pub iss: Option<String>,
}

/// How a flow ended well.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finished {
    /// Signed in (a new session); continue at `next`.
    SignedIn { session_token: String, next: String },
    /// The person cancelled at the provider: back where they started.
    Cancelled { back_to: String },
}

/// The return leg. The flow is claimed (used) before anything else, so a
/// replayed answer (same `state`, same code) is refused whatever follows.
pub async fn finish(
    engine: &Engine,
    params: &CallbackParams,
    binding: Option<&BrowserBinding>,
    now: i64,
) -> Result<Finished, SsoFailure> {
    let invalid = SsoFailure::Refused(SsoRefusal::InvalidResponse);
    let (Some(binding), Some(state)) = (binding, params.state.as_deref()) else {
        tracing::info!("single sign-on: callback without this browser's flow");
        return Err(invalid);
    };
    let mut conn = repos::acquire(&engine.db, "connect to claim an SSO request").await?;
    let request = repo::claim_sso_request(
        &mut conn,
        state,
        &binding.hash(),
        now - FLOW_LIFETIME_MS,
        now,
    )
    .await?;
    drop(conn);
    let Some(request) = request else {
        tracing::info!("single sign-on: unknown, used, stale or another browser's state");
        return Err(invalid);
    };
    let invitation = match request.purpose {
        SsoPurpose::Invite => match (&binding.invitation_token, &request.link_id) {
            (Some(token), Some(link_id)) => Some((token.as_str(), link_id.as_str())),
            _ => return Err(invalid),
        },
        SsoPurpose::Login => None,
    };
    if let Some(error) = params.error.as_deref() {
        tracing::info!(error, "single sign-on: the provider answered with an error");
        return match error {
            "access_denied" => Ok(Finished::Cancelled {
                back_to: match invitation {
                    Some((token, _)) => format!("/invite/{token}"),
                    None => "/login".to_string(),
                },
            }),
            "temporarily_unavailable" | "server_error" => {
                Err(SsoFailure::Refused(SsoRefusal::ProviderUnavailable))
            }
            _ => Err(invalid),
        };
    }
    let Some(code) = params.code.as_deref() else {
        return Err(invalid);
    };
    let (issuer, registration) = provider_of(engine, &request.org_id).await?;
    // RFC 9207 (mix-up attacks): an answer that names another provider is not ours.
    if params
        .iss
        .as_deref()
        .is_some_and(|iss| iss.trim_end_matches('/') != issuer.trim_end_matches('/'))
    {
        tracing::warn!("single sign-on: the answer names another issuer");
        return Err(invalid);
    }
    let when = chrono::DateTime::from_timestamp_millis(now)
        .ok_or(SsoFailure::Failed(AppError::Internal))?;
    let identity = oidc::finish_sign_in(
        &issuer,
        &registration,
        code,
        &request.pkce_verifier,
        &request.nonce,
        when,
    )
    .await
    .map_err(provider_failure)?;
    match invitation {
        Some((token, link_id)) => {
            let session_token = engine
                .accept_with_single_sign_on(token, link_id, &identity, now)
                .await?;
            Ok(Finished::SignedIn {
                session_token,
                next: "/welcome/profile".to_string(),
            })
        }
        None => {
            let session_token = sign_in(engine, &request.org_id, &identity, now).await?;
            let next = match request.next_path.as_deref().and_then(safe_next_path) {
                Some(next) => next.to_string(),
                None => auth::current_user(&engine.db, Some(&session_token), now)
                    .await?
                    .map_or("/", |user| user.home_path())
                    .to_string(),
            };
            Ok(Finished::SignedIn {
                session_token,
                next,
            })
        }
    }
}

/// R17 at a later sign-in: the account that has this `sub`; at the first
/// SSO sign-in, the oldest Active account with the provider's verified
/// email (and no `sub` yet) gets it. R5, R18: a deactivated user is
/// refused after the provider's answer. Returns a new session's token.
async fn sign_in(
    engine: &Engine,
    org_id: &str,
    identity: &Identity,
    now: i64,
) -> Result<String, SsoFailure> {
    let db = &engine.db;
    let known = repo::find_user_by_sso_subject(db, org_id, &identity.subject).await?;
    let user_id = match known {
        Some(user) => match user.status {
            UserStatus::Active => user.id,
            UserStatus::Deactivated => return Err(SsoFailure::Refused(SsoRefusal::Deactivated)),
            UserStatus::Invited => return Err(SsoFailure::Refused(SsoRefusal::UnknownAccount)),
        },
        None => first_sign_in(engine, org_id, identity).await?,
    };
    Ok(auth::start_session_for(db, &user_id, now).await?)
}

/// The first SSO sign-in of an account made before (a password user of an
/// organisation that switched to SSO): matched once by verified email.
async fn first_sign_in(
    engine: &Engine,
    org_id: &str,
    identity: &Identity,
) -> Result<String, SsoFailure> {
    let Some(email) = identity.email.as_deref() else {
        return Err(SsoFailure::Refused(SsoRefusal::UnknownAccount));
    };
    if identity.email_verified != Some(true) {
        return Err(SsoFailure::Refused(SsoRefusal::EmailUnverified));
    }
    let Ok(email) = EmailAddress::parse(email) else {
        return Err(SsoFailure::Refused(SsoRefusal::UnknownAccount));
    };
    let candidates = repo::find_unlinked_users_by_email(&engine.db, org_id, email.as_str()).await?;
    let Some(user) = candidates.iter().find(|u| u.status == UserStatus::Active) else {
        return Err(SsoFailure::Refused(
            if candidates
                .iter()
                .any(|u| u.status == UserStatus::Deactivated)
            {
                SsoRefusal::Deactivated
            } else {
                SsoRefusal::UnknownAccount
            },
        ));
    };
    match repo::set_sso_subject(&engine.db, &user.id, &identity.subject).await {
        Ok(true) => Ok(user.id.clone()),
        // Linked meanwhile by a racing sign-in, or the `sub` is another
        // user's (the unique index): not this answer's to settle.
        Ok(false) => Err(SsoFailure::Refused(SsoRefusal::InvalidResponse)),
        Err(e) if repos::is_unique_violation(&e.source) => {
            Err(SsoFailure::Refused(SsoRefusal::InvalidResponse))
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_browser_cookie_is_ours_or_nothing() {
        let login = BrowserBinding::new(None);
        assert_eq!(
            BrowserBinding::parse(&login.cookie_value()),
            Some(login.clone())
        );
        let token = tokens::new_token().secret;
        let invite = BrowserBinding::new(Some(&token));
        let parsed = BrowserBinding::parse(&invite.cookie_value()).unwrap();
        assert_eq!(parsed.invitation_token.as_deref(), Some(token.as_str()));
        assert_eq!(parsed.hash(), invite.hash());
        assert_ne!(invite.hash(), login.hash());
        assert_eq!(invite.hash().len(), 64);
        for bad in [
            "",
            "short",
            "a.b",
            &format!("{}.", login.cookie_value()),
            &format!("{}.x.y", login.cookie_value()),
        ] {
            assert_eq!(BrowserBinding::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_callback_is_under_the_public_url() {
        assert_eq!(
            callback_url("https://roster.example.org/"),
            "https://roster.example.org/sso/callback"
        );
    }
}

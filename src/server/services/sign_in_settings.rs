//! The Sign-in tab (R17): whether the organisation signs in with passwords
//! or through one OpenID Connect provider, and that provider's client.
//! Org Managers only. A provider is accepted only once its discovery
//! document answers; the client secret is written, never read back.

use super::{access, invitations::organisation_audit_entry, Engine};
use crate::domain::{
    sso::{SignInMethod, SignInSettings},
    AppError, SessionUser,
};
use crate::server::{
    db::Db,
    outbound_url,
    repos::{
        self, audit,
        orgs::{self, ClientSecret},
    },
};
use openidconnect::core::{CoreJsonWebKeySet, CoreProviderMetadata};
use openidconnect::reqwest;
use std::time::Duration;

/// How long the provider has to answer each request of the check.
pub const DISCOVERY_TIMEOUT: Duration = Duration::from_secs(5);
/// A discovery document or key set is a few kilobytes.
const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;
const MAX_CLIENT_ID_CHARS: usize = 1000;
const MAX_CLIENT_SECRET_CHARS: usize = 4096;

/// What an Org Manager submits on the Sign-in tab.
pub struct SignInInput {
    pub method: SignInMethod,
    pub issuer: String,
    pub client_id: String,
    /// Empty keeps the stored secret.
    pub client_secret: String,
}

impl Engine {
    pub fn sso_redirect_uri(&self) -> String {
        format!("{}/sso/callback", self.public_url)
    }

    pub async fn sign_in_settings(&self, actor: &SessionUser) -> Result<SignInSettings, AppError> {
        access::require_org_manager(actor)?;
        let config = orgs::find_sign_in_config(&self.db, &actor.org_id)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok(SignInSettings {
            method: config.method,
            issuer: config.issuer.unwrap_or_default(),
            client_id: config.client_id.unwrap_or_default(),
            has_client_secret: config.client_secret.is_some(),
            redirect_uri: self.sso_redirect_uri(),
        })
    }

    /// Saves the Sign-in tab. Switching to SSO first proves the provider
    /// answers discovery for this issuer; switching back to passwords keeps
    /// the provider settings for later.
    pub async fn save_sign_in_settings(
        &self,
        actor: &SessionUser,
        input: SignInInput,
        now: i64,
    ) -> Result<SignInSettings, AppError> {
        access::require_org_manager(actor)?;
        let detail = match input.method {
            SignInMethod::Password => {
                let mut tx = repos::begin(&self.db, "begin saving sign-in settings").await?;
                orgs::update_sign_in_method(&mut *tx, &actor.org_id, SignInMethod::Password)
                    .await?;
                let detail = "passwords".to_string();
                record(&mut tx, actor, &detail, now).await?;
                repos::commit(tx, "commit sign-in settings").await?;
                detail
            }
            SignInMethod::Sso => {
                let issuer = check_issuer_url(&input.issuer).map_err(AppError::Invalid)?;
                let client_id = check_client_id(&input.client_id)?;
                let new_secret = check_client_secret(&input.client_secret)?;
                if new_secret.is_none() {
                    let stored = orgs::find_sign_in_config(&self.db, &actor.org_id)
                        .await?
                        .and_then(|c| c.client_secret);
                    if stored.is_none() {
                        return Err(AppError::invalid(
                            "Client secret is required for single sign-on.",
                        ));
                    }
                }
                // Outside any transaction: the provider may take seconds.
                check_provider(&issuer).await.map_err(|reason| {
                    AppError::Invalid(format!(
                        "Could not use {issuer} as an OpenID provider: {reason}"
                    ))
                })?;
                let mut tx = repos::begin(&self.db, "begin saving sign-in settings").await?;
                orgs::update_sso_settings(
                    &mut *tx,
                    &actor.org_id,
                    &issuer,
                    &client_id,
                    new_secret.as_ref(),
                )
                .await?;
                let secret = if new_secret.is_some() {
                    "client secret replaced"
                } else {
                    "client secret kept"
                };
                let detail = format!("single sign-on at {issuer}, client ID {client_id}, {secret}");
                record(&mut tx, actor, &detail, now).await?;
                repos::commit(tx, "commit sign-in settings").await?;
                detail
            }
        };
        tracing::info!(org_id = %actor.org_id, actor_id = %actor.id, %detail, "sign-in settings saved");
        self.sign_in_settings(actor).await
    }
}

async fn record(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    actor: &SessionUser,
    detail: &str,
    now: i64,
) -> Result<(), AppError> {
    audit::record(
        tx,
        organisation_audit_entry(actor, "sign_in_settings", detail, now),
    )
    .await?;
    Ok(())
}

/// How the organisation of `org_id` signs in; for anonymous visitors (no
/// organisation yet known), the one first run created. Passwords before
/// first run.
pub async fn sign_in_method_for(db: &Db, org_id: Option<&str>) -> Result<SignInMethod, AppError> {
    let method = match org_id {
        Some(org_id) => orgs::find_sign_in_method(db, org_id).await,
        None => orgs::find_first_organisation_sign_in_method(db).await,
    }?;
    Ok(method.unwrap_or_default())
}

/// R17: an issuer is an `https` URL without query or fragment; plain `http`
/// only on this machine, for a provider under test. Returns the issuer as
/// the provider must name itself (trimmed).
pub fn check_issuer_url(raw: &str) -> Result<String, String> {
    if raw.trim().is_empty() {
        return Err("Issuer URL is required for single sign-on.".into());
    }
    outbound_url::check(
        raw,
        &outbound_url::UrlField {
            label: "Issuer URL",
            example: "https://login.example.com",
            local: "a provider",
            query_allowed: false,
        },
    )
    .map(|(issuer, _)| issuer)
}

fn check_client_id(raw: &str) -> Result<String, AppError> {
    let client_id = raw.trim();
    if client_id.is_empty() {
        return Err(AppError::invalid(
            "Client ID is required for single sign-on.",
        ));
    }
    if client_id.chars().count() > MAX_CLIENT_ID_CHARS {
        return Err(AppError::invalid(format!(
            "Client ID must have at most {MAX_CLIENT_ID_CHARS} characters."
        )));
    }
    if client_id.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "Client ID cannot contain control characters.",
        ));
    }
    Ok(client_id.to_string())
}

/// `None`: keep the stored secret.
fn check_client_secret(raw: &str) -> Result<Option<ClientSecret>, AppError> {
    let secret = raw.trim();
    if secret.is_empty() {
        return Ok(None);
    }
    if secret.chars().count() > MAX_CLIENT_SECRET_CHARS {
        return Err(AppError::invalid(format!(
            "Client secret must have at most {MAX_CLIENT_SECRET_CHARS} characters."
        )));
    }
    if secret.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "Client secret cannot contain control characters.",
        ));
    }
    Ok(Some(ClientSecret::new(secret)))
}

/// The provider must publish its discovery document for exactly this issuer
/// and a readable key set. The reason names the step that failed.
async fn check_provider(issuer: &str) -> Result<(), String> {
    let client = reqwest::Client::builder()
        // Following redirects would let a provider point us anywhere.
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(DISCOVERY_TIMEOUT)
        .timeout(DISCOVERY_TIMEOUT)
        .build()
        .map_err(|e| {
            tracing::error!(error = ?e, "could not build the HTTP client for discovery");
            "Roster could not prepare the request.".to_string()
        })?;
    let discovery_url = if issuer.ends_with('/') {
        format!("{issuer}.well-known/openid-configuration")
    } else {
        format!("{issuer}/.well-known/openid-configuration")
    };
    let body = fetch_json_document(&client, &discovery_url).await?;
    let json: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|_| format!("{discovery_url} did not answer with JSON."))?;
    let metadata: CoreProviderMetadata = serde_json::from_value(json).map_err(|e| {
        format!("{discovery_url} is not an OpenID Connect discovery document ({e}).")
    })?;
    let named = metadata.issuer().as_str();
    if named != issuer {
        return Err(format!(
            "its discovery document names the issuer {named}, which must be exactly the Issuer URL."
        ));
    }
    let jwks_url = metadata.jwks_uri().url();
    if !(jwks_url.scheme() == "https"
        || jwks_url.scheme() == "http" && outbound_url::is_loopback(jwks_url))
    {
        return Err(format!(
            "its key set address {jwks_url} must use https:// (plain http:// only on this machine)."
        ));
    }
    let jwks_url = jwks_url.as_str().to_string();
    let body = fetch_json_document(&client, &jwks_url).await?;
    serde_json::from_slice::<CoreJsonWebKeySet>(&body)
        .map_err(|e| format!("{jwks_url} is not a JSON Web Key Set ({e})."))?;
    Ok(())
}

/// GET `url`: 200 within the timeout, at most a megabyte.
async fn fetch_json_document(client: &reqwest::Client, url: &str) -> Result<Vec<u8>, String> {
    let mut response = client
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| unreachable_reason(url, &e))?;
    let status = response.status();
    if status.is_redirection() {
        return Err(format!(
            "{url} answered with a redirect (HTTP {status}); give the issuer's own address."
        ));
    }
    if status != reqwest::StatusCode::OK {
        return Err(format!("{url} answered HTTP {status}."));
    }
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
                    return Err(format!("{url} answered with more than a megabyte."));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(e) => return Err(unreachable_reason(url, &e)),
        }
    }
}

fn unreachable_reason(url: &str, error: &reqwest::Error) -> String {
    tracing::warn!(%url, error = ?error, "OpenID provider check failed");
    if error.is_timeout() {
        return format!(
            "{url} did not answer within {} seconds.",
            DISCOVERY_TIMEOUT.as_secs()
        );
    }
    // The innermost cause says what went wrong (refused, DNS, certificate).
    let mut cause: &dyn std::error::Error = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    format!("{url} could not be reached ({cause}).")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r17_issuers_are_https() {
        assert_eq!(
            check_issuer_url(" https://login.example.com "),
            Ok("https://login.example.com".to_string())
        );
        assert_eq!(
            check_issuer_url("https://login.example.com/tenant/v2.0/"),
            Ok("https://login.example.com/tenant/v2.0/".to_string())
        );
        for refused in [
            "",
            "   ",
            "login.example.com",
            "ftp://login.example.com",
            "http://login.example.com",
            "http://10.0.0.5",
            "http://192.168.1.1:8080",
            "http://[::2]",
            "http://localhost.example.com",
            "http://127.0.0.1.nip.io",
            "https://login.example.com?tenant=1",
            "https://login.example.com#x",
            "https://user:pw@login.example.com",
            "javascript:alert(1)",
        ] {
            assert!(
                check_issuer_url(refused).is_err(),
                "{refused:?} was accepted"
            );
        }
    }

    #[test]
    fn r17_plain_http_only_on_this_machine() {
        for accepted in [
            "http://127.0.0.1:9000",
            "http://127.1.2.3",
            "http://localhost:8080/realms/x",
            "http://LOCALHOST",
            "http://[::1]:9000",
        ] {
            assert!(
                check_issuer_url(accepted).is_ok(),
                "{accepted:?} was refused"
            );
        }
        let refused = check_issuer_url("http://idp.example.com").unwrap_err();
        assert!(refused.contains("https://"), "{refused}");
    }

    #[test]
    fn an_overlong_issuer_is_refused() {
        let long = format!(
            "https://example.com/{}",
            "a".repeat(outbound_url::MAX_URL_CHARS)
        );
        assert!(check_issuer_url(&long).is_err());
    }

    #[test]
    fn an_empty_secret_keeps_the_stored_one() {
        assert!(check_client_secret("  ").unwrap().is_none());
        assert_eq!(
            check_client_secret(" s3cret ").unwrap().unwrap().expose(),
            "s3cret"
        );
        assert!(check_client_secret("a\nb").is_err());
    }

    #[test]
    fn the_secret_never_shows_in_debug() {
        let secret = ClientSecret::new("hunter2-secret");
        assert!(!format!("{secret:?}").contains("hunter2"));
        let config = orgs::SignInConfig {
            method: SignInMethod::Sso,
            issuer: None,
            client_id: None,
            client_secret: Some(secret),
        };
        assert!(!format!("{config:?}").contains("hunter2"));
    }
}

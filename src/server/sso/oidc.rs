//! The OpenID Connect protocol, through the `openidconnect` crate: discovery
//! (cached a few minutes per issuer), the authorization URL (code flow,
//! PKCE S256, `state`, `nonce`), the code exchange (client_secret_basic) and
//! the ID token's verification (signature against the provider's JWKS,
//! issuer, audience, expiry, nonce). Nothing here knows about invitations.

use chrono::{DateTime, Utc};
use openidconnect::{
    core::{CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreProviderMetadata},
    reqwest, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope, TokenResponse,
};
use std::{
    collections::HashMap,
    sync::{LazyLock, Mutex},
    time::{Duration, Instant},
};

/// How long a provider's discovery document and keys are reused. A token
/// signed with a key we do not have yet (the provider rotated its keys)
/// makes us fetch them again at once, so this only saves round trips.
pub const DISCOVERY_CACHE_TTL: Duration = Duration::from_secs(300);

/// Each request to the provider (discovery, keys, token) must answer within this.
pub const PROVIDER_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a step with the provider failed. The text is for the log only: it
/// may name the provider's answer, never a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OidcError {
    /// The provider could not be reached, or answered something that is not
    /// a provider's answer (discovery, keys, token endpoint down).
    #[error("the identity provider is unavailable: {0}")]
    Unavailable(String),
    /// The provider's answer was refused: a code it would not exchange, an ID
    /// token that fails verification.
    #[error("the identity provider's answer was refused: {0}")]
    Refused(String),
}

/// Who the provider says signed in, once the ID token is verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// `sub`: stable for this person at this provider.
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
}

/// The client that discovery gives: authorization endpoint known, token and
/// user-info endpoints as the provider announced them.
type DiscoveredClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// Following redirects would let a provider's answer send our server to any
/// address (SSRF), so the client follows none; every request has a deadline.
fn http_client() -> &'static reqwest::Client {
    static CLIENT: LazyLock<reqwest::Client> = LazyLock::new(|| {
        reqwest::ClientBuilder::new()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(PROVIDER_TIMEOUT)
            .connect_timeout(PROVIDER_TIMEOUT)
            .build()
            .expect("the HTTP client for OpenID providers (TLS set-up)")
    });
    &CLIENT
}

type DiscoveryCache = Mutex<HashMap<String, (Instant, CoreProviderMetadata)>>;

fn discovery_cache() -> &'static DiscoveryCache {
    static CACHE: LazyLock<DiscoveryCache> = LazyLock::new(Default::default);
    &CACHE
}

/// The discovery document and keys of `issuer`, from the cache while fresh
/// unless `fresh` is asked. Returns whether they came from the cache.
pub async fn provider_metadata(
    issuer: &str,
    fresh: bool,
) -> Result<(CoreProviderMetadata, bool), OidcError> {
    if !fresh {
        let cache = discovery_cache().lock().unwrap_or_else(|e| e.into_inner());
        if let Some((at, metadata)) = cache.get(issuer) {
            if at.elapsed() < DISCOVERY_CACHE_TTL {
                return Ok((metadata.clone(), true));
            }
        }
    }
    let issuer_url = IssuerUrl::new(issuer.to_string())
        .map_err(|e| OidcError::Unavailable(format!("issuer {issuer} is not a URL: {e}")))?;
    let metadata = CoreProviderMetadata::discover_async(issuer_url, http_client())
        .await
        .map_err(|e| OidcError::Unavailable(format!("discovery at {issuer}: {}", chain(&e))))?;
    let mut cache = discovery_cache().lock().unwrap_or_else(|e| e.into_inner());
    cache.retain(|_, (at, _)| at.elapsed() < DISCOVERY_CACHE_TTL);
    cache.insert(issuer.to_string(), (Instant::now(), metadata.clone()));
    Ok((metadata, false))
}

/// An error with its sources, for the log.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The organisation's registration at its provider. Holds the client
/// secret: never `Debug`, never logged.
pub struct ClientRegistration {
    pub client_id: String,
    pub client_secret: String,
    /// `{ROSTER_PUBLIC_URL}/sso/callback`.
    pub redirect_uri: String,
}

/// What the browser is sent to the provider with, and what the callback
/// needs to finish.
pub struct AuthorizationStart {
    pub url: String,
    pub pkce_verifier: String,
}

/// One organisation's client at its provider, as discovery described it.
pub struct OidcClient {
    client: DiscoveredClient,
    /// The metadata came from the cache (so its keys may be stale).
    from_cache: bool,
}

impl OidcClient {
    pub fn new(
        metadata: CoreProviderMetadata,
        registration: &ClientRegistration,
        from_cache: bool,
    ) -> Result<Self, OidcError> {
        let redirect_uri = RedirectUrl::new(registration.redirect_uri.clone())
            .map_err(|e| OidcError::Unavailable(format!("redirect URI: {e}")))?;
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(registration.client_id.clone()),
            Some(ClientSecret::new(registration.client_secret.clone())),
        )
        .set_redirect_uri(redirect_uri);
        Ok(OidcClient { client, from_cache })
    }

    /// Discovers `issuer` (or reuses what the cache holds) for this client.
    pub async fn discover(
        issuer: &str,
        registration: &ClientRegistration,
        fresh: bool,
    ) -> Result<Self, OidcError> {
        let (metadata, from_cache) = provider_metadata(issuer, fresh).await?;
        OidcClient::new(metadata, registration, from_cache)
    }

    /// The provider's authorization URL for one flow: code flow, scopes
    /// `openid email profile`, our `state` and `nonce`, a new PKCE (S256)
    /// challenge whose verifier the caller keeps.
    pub fn authorization_url(&self, state: &str, nonce: &str) -> AuthorizationStart {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (state, nonce) = (state.to_string(), nonce.to_string());
        let (url, _, _) = self
            .client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                move || CsrfToken::new(state),
                move || Nonce::new(nonce),
            )
            .add_scope(Scope::new("email".to_string()))
            .add_scope(Scope::new("profile".to_string()))
            .set_pkce_challenge(challenge)
            .url();
        AuthorizationStart {
            url: url.to_string(),
            pkce_verifier: verifier.secret().clone(),
        }
    }

    /// Exchanges the code (with the PKCE verifier, authenticated with
    /// client_secret_basic) for the ID token.
    pub async fn exchange_code(
        &self,
        code: &str,
        pkce_verifier: &str,
    ) -> Result<CoreIdToken, OidcError> {
        let request = self
            .client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| OidcError::Unavailable(format!("token endpoint: {e}")))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_string()));
        let response = request
            .request_async(http_client())
            .await
            .map_err(|e| match e {
                // invalid_grant and friends: a used, expired or foreign code.
                RequestTokenError::ServerResponse(answer) => {
                    OidcError::Refused(format!("token endpoint refused the code: {answer}"))
                }
                RequestTokenError::Parse(e, _) => {
                    OidcError::Refused(format!("token endpoint answer: {e}"))
                }
                other => OidcError::Unavailable(format!("token endpoint: {}", chain(&other))),
            })?;
        response
            .id_token()
            .cloned()
            .ok_or_else(|| OidcError::Refused("the token answer has no ID token".into()))
    }

    /// Verifies the ID token as OpenID Connect Core §3.1.3.7 asks: signature
    /// with a key of the provider's JWKS and an algorithm it announced,
    /// issuer, audience (this client only), expiry at `now`, and our nonce.
    pub fn verify_id_token(
        &self,
        id_token: &CoreIdToken,
        nonce: &str,
        now: DateTime<Utc>,
    ) -> Result<Identity, ClaimsVerificationError> {
        let verifier = self.client.id_token_verifier().set_time_fn(move || now);
        let nonce = Nonce::new(nonce.to_string());
        let claims = id_token.claims(&verifier, &nonce)?;
        let subject = claims.subject().as_str().to_string();
        if subject.trim().is_empty() {
            return Err(ClaimsVerificationError::InvalidSubject(
                "empty sub".to_string(),
            ));
        }
        Ok(Identity {
            subject,
            email: claims.email().map(|e| e.as_str().to_string()),
            email_verified: claims.email_verified(),
        })
    }

    pub fn is_from_cache(&self) -> bool {
        self.from_cache
    }
}

/// The whole return leg: exchange the code, verify the ID token. A token
/// whose signature fails against cached keys is checked once more against
/// freshly fetched ones (the provider may have rotated its keys).
pub async fn finish_sign_in(
    issuer: &str,
    registration: &ClientRegistration,
    code: &str,
    pkce_verifier: &str,
    nonce: &str,
    now: DateTime<Utc>,
) -> Result<Identity, OidcError> {
    let client = OidcClient::discover(issuer, registration, false).await?;
    let id_token = client.exchange_code(code, pkce_verifier).await?;
    match client.verify_id_token(&id_token, nonce, now) {
        Ok(identity) => Ok(identity),
        Err(ClaimsVerificationError::SignatureVerification(_)) if client.is_from_cache() => {
            let client = OidcClient::discover(issuer, registration, true).await?;
            client
                .verify_id_token(&id_token, nonce, now)
                .map_err(|e| OidcError::Refused(format!("ID token: {e}")))
        }
        Err(e) => Err(OidcError::Refused(format!("ID token: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openidconnect::{
        core::{
            CoreIdTokenClaims, CoreJsonWebKeySet, CoreJwsSigningAlgorithm, CoreResponseType,
            CoreRsaPrivateSigningKey, CoreSubjectIdentifierType,
        },
        Audience, AuthUrl, EmptyAdditionalClaims, EmptyAdditionalProviderMetadata, EndUserEmail,
        JsonWebKeyId, JsonWebKeySetUrl, PrivateSigningKey, ResponseTypes, StandardClaims,
        SubjectIdentifier, TokenUrl,
    };

    const ISSUER: &str = "https://idp.example.test";
    const CLIENT_ID: &str = "roster";
    const NONCE: &str = "the-nonce-of-this-flow";

    /// The provider's signing key (made once with `openssl genrsa -traditional 2048`).
    const PROVIDER_KEY: &str = "\
-----BEGIN RSA PRIVATE KEY-----
MIIEpAIBAAKCAQEArzG8Gj56JPZHdt9JKbl13QSVRbo/wpiHs2Ei5nuf7KVU/Y9L
wYylDTIU3vO1n5NAe3BW2xti9vcu/s8g699QxsW6PMWe/4KPdFq7P/Cc4BqU1j9B
ppSSx6H6brVXilb4DYZmV3G3K+sh4dT6EogKPghwn3f94yYtHVCXhvSSmcMWUxEu
C48vh2HjRbYDhQvAC6wL/sNyF4C3i30Poy449GiJOFaCfnuw4uXiA4hYEAzNLd+p
uZbjkamLHJV2s+8gL62yttDxVXzTm2N11kyrI0ihwWjFDgv5SBKcMdkKkFuZ6pK1
uF1VzCFS87TUgAcTguKozp+SMz+0HGe8CoiQpwIDAQABAoIBAAvKSpDvlHPJWTzg
QQG8V/jEVrFnG+RiNHu3dUxSlIwuAj7ANoZziyYMsUfh2d6/366O/GFpgesB7pk6
YkpNcJe39dUiLZWfeT0I4CIo9L3GPC8A+c+WnxwtQ/fQX3BRcwch/OA0qHGdtN2I
Yj3+BsZu9fldb2oqhw26f0AXVIhhcoYJRyHdy/vRAPgW8/lgnmvs74F50r6PC2cV
Hrpb9e8QNVgyaXCGSdVHTUj5gUfoin49wYyWc3e3I8YQ8ElifTKHW2QsQGJjMeEd
bdeKAdIsftWKDXG8N4vFYPSaibNgpFAf0hPJdD2NXdsECryo1isR4TW6wVSmq0as
r7y7f8ECgYEA6vXagp+zhFcJniQPnY/Sesj4QnjS/2Z39VKvU7rKLg7Dhnboy71O
GVs5tQgbNCNoto0JuvI2Q4oxl/bsXK2BbGTOqNuBv7Gm4ggTq8MjCMSyFm1+ywJE
B0zaCjkKDnk3ZOnQlFTYDjmUCuCe/z/3Rl5zdowy1Qc5skHCPBCj2ucCgYEAvuHT
M99tKbd4aNKZet0DpnOVQqorDxiYgVJ1HOY7dAqF2Mu3ZFY4VpNcRoFQvgjNZFT1
Z4SZPj7dWiIMrvl4B31ox6gT7anH0tpAcHyi1jh+SByTha53kWXhQoppGd8cGVRy
8pl/w413hUm9L6uGToa6WJ6oWI8wwqds6a1+pEECgYAjo9laWQks+Nrfnw6zUr6V
m2h1BMjUruFhWAJ6S+ohJGIqQl07kmKHXBwbxrgBp6FZl3kzX0w14H93UqA1yqfI
Hl5upKVAw5zRynHZawckbFmrJz7FYnmZNeIZDN/mpCJv7zuRVHFVbwxyvfHAPB6x
EOCoycloIOlyjaD95XRFXwKBgQC64JhHtrxHFUqbRWPht7O1KH+/Dp6tXuUf5zyl
GHqodwznXTqkzwzFJew3Uq9b/X4odkz0Fgt5t046yg8k1zQ+EPeeUN2B1rC9q9Ne
zYcWt6RasS90t4R0IwxQevW+0IHQAq+u97zwFPYo1jKUExeglaKm1F34peeVCxlE
BglwgQKBgQCtVS7nSWCKJSg/ygevLh70nEJfIlJeuIc1/RQs5I249YzYlRYOQzat
wKKDJBNZdHCdVHSoNjjDn2IyeEs9e+e1RsRHRzM+sZQoM1X5DdnhH5W7wGTDf5+X
OmmGb4USnze6iuuEQF3T8X4F12NM0iNVJxU5SBykoVlD0bC28VNDWQ==
-----END RSA PRIVATE KEY-----";
    /// Someone else's key, under the same key id.
    const FORGER_KEY: &str = "\
-----BEGIN RSA PRIVATE KEY-----
MIIEowIBAAKCAQEAwZv+HxNdtFdmwlZAHtcIARFxYwUgyqah941UsU2QIz3X/wgy
WLHJ3RqTSR1uHV5JWenNQ22zgRkN1OcJ+miLsnuI/ukBuBVFz/oZmImpwo2Qkagr
uqTUGP7QVTGs2R1h18PxlZY//hyGSW6NMi5JILuFgWBU8KEclUZZ8SpC8ReRWlNw
a1n11auxi1/XrGkTSue7/L5f3qWHcj/0JTnSOhqe4qQFSGQImmBSHtaeapeKFaXt
Xv5ZM06O52diX6DDdbhZDHX938xYJ4S/CDIePurKlXpSuGBAqsjRbPYCG1scQxrX
u4DJOXnMQrgSZaKhQytoEykTEwu9MYYoleLgTQIDAQABAoIBAAFJU9bqvZrfQjL0
z6MZTVpLBjKWqDHIMqmrpazqj0eZyWqbLVEF6gm4FUQXkE8fhuE0Z3nP4ZJHST0k
Sqi9yhetfTeuyefBZyZUPgjvxjDFKssquyd+JlzzmCuz8hhpYVkSaZJELaa20Pdy
n0MdUPAnzObLWXzQi/V0HrcSpoO9DiDhdk0ZqNos6AAWmdqmFHZb2t7c3OfeKoWk
4mzTK8zAHZxdBCYeCRJauc+mVYnziw6F2R2lHoVdLRhYQ5EpFM8M3ntAtQZPiFdt
S8muOKAXpFZGVTdjPHfEYQPapO+B+1cF+D8sq+kOf/7jobLLQ2GLv1og2r0zQtNt
VFjHKpECgYEA6f2VOgJ3tkoAfFIPKLDW2nTjp4WQvk5qaU20JqKcOYDy9CGIXeA4
v339Ta1ajk6sYcy7ZJXSIHLAjwqCgVW4PwDfKUxZZwccp4SFxiIoWqBTaqgG1wtn
kshYyiIoJhKyQ+I/ZrB7+EInUvlV7wy8mDdgSbTzrP18BTjF0alEkSkCgYEA09IL
D0RaK1NHonS518OtvX+oSD9qV8ENui9J7kwA4Cx9G/4+bQurOjVHfUeTv+UaYhsF
6DEUC12ajqXJT+Y4BHSdTzyGwzuj++Lad74RiFFKwZO48OM/zdoJ42Np0ckra+kl
hVKTul/ymy28m+U8wEvDENlg08lZGcFsIngIhoUCgYEA241R2PV5yDRVklEY4jBT
2PT2qzg7ISXI2PfNArdvaNFipclU/+iktqEL7TeskXymaLnGV1HwsPubTFwrKhn5
YDx8KG74MCDPNSu2rbtdK/PlcV0p1dtgmqycC0XTcC340JNYtA0CtWW1KjjD9iJ4
T0cedOpx/i52kRu9GcX+jUkCgYB30CFtW05dn1evrrLINuj5fVHku+odBRgMrl71
KYx9QOzrfp409BrAbA6p8GjEbITF5V8r/UbHPwUDlwcN6Lza2FN61FOt7vhMq/7D
KIGmR8UvRa2gpAodGC3rrvnWLiIfgds1VIY3L7p8yBwdWkdIxhHqX+sDIKsDhILz
5E1+OQKBgC6DgWMpRrly5VV/hy2llEUz6AsPURazzNGyxsU2QuKafQYVXscYgVK+
JOii4SjtMQ/6RyYdftUF4A7MRZHdSgO7VAGgwP+kV9sx0bJqMran6wBwehLsIi7T
1wdVw+AOBqWtryPOqqa5rjJNNdFXKLHI6y7RZfxKTWj/MF9jMYSr
-----END RSA PRIVATE KEY-----";

    fn key(pem: &str) -> CoreRsaPrivateSigningKey {
        CoreRsaPrivateSigningKey::from_pem(pem, Some(JsonWebKeyId::new("key-1".into())))
            .expect("test key parses")
    }

    /// Our client as discovery would make it, the JWKS holding the provider's key.
    fn client() -> OidcClient {
        let jwks = CoreJsonWebKeySet::new(vec![key(PROVIDER_KEY).as_verification_key()]);
        let metadata = CoreProviderMetadata::new(
            IssuerUrl::new(ISSUER.into()).unwrap(),
            AuthUrl::new(format!("{ISSUER}/auth")).unwrap(),
            JsonWebKeySetUrl::new(format!("{ISSUER}/jwks")).unwrap(),
            vec![ResponseTypes::new(vec![CoreResponseType::Code])],
            vec![CoreSubjectIdentifierType::Public],
            vec![CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256],
            EmptyAdditionalProviderMetadata {},
        )
        .set_token_endpoint(Some(TokenUrl::new(format!("{ISSUER}/token")).unwrap()))
        .set_jwks(jwks);
        let registration = ClientRegistration {
            client_id: CLIENT_ID.into(),
            client_secret: "s3cret".into(),
            redirect_uri: "https://roster.example.test/sso/callback".into(),
        };
        OidcClient::new(metadata, &registration, false).unwrap()
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_603_600, 0).unwrap()
    }

    /// A token as the provider would issue it now, changed by `edit`.
    struct Token {
        issuer: String,
        audience: String,
        expires: DateTime<Utc>,
        nonce: Option<String>,
        key: &'static str,
    }

    impl Token {
        fn good() -> Self {
            Token {
                issuer: ISSUER.into(),
                audience: CLIENT_ID.into(),
                expires: now() + chrono::Duration::minutes(10),
                nonce: Some(NONCE.into()),
                key: PROVIDER_KEY,
            }
        }

        fn sign(self) -> CoreIdToken {
            let claims = CoreIdTokenClaims::new(
                IssuerUrl::new(self.issuer).unwrap(),
                vec![Audience::new(self.audience)],
                self.expires,
                now() - chrono::Duration::seconds(5),
                StandardClaims::new(SubjectIdentifier::new("sub-ada".into()))
                    .set_email(Some(EndUserEmail::new("ada@example.com".into())))
                    .set_email_verified(Some(true)),
                EmptyAdditionalClaims {},
            )
            .set_nonce(self.nonce.map(Nonce::new));
            CoreIdToken::new(
                claims,
                &key(self.key),
                CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
                None,
                None,
            )
            .expect("sign the test token")
        }
    }

    fn verify(token: Token) -> Result<Identity, ClaimsVerificationError> {
        client().verify_id_token(&token.sign(), NONCE, now())
    }

    #[test]
    fn a_good_token_gives_the_identity() {
        assert_eq!(
            verify(Token::good()).unwrap(),
            Identity {
                subject: "sub-ada".into(),
                email: Some("ada@example.com".into()),
                email_verified: Some(true),
            }
        );
    }

    #[test]
    fn a_token_with_another_nonce_is_refused() {
        let token = Token {
            nonce: Some("a-nonce-of-another-flow".into()),
            ..Token::good()
        };
        assert!(matches!(
            verify(token),
            Err(ClaimsVerificationError::InvalidNonce(_))
        ));
        let token = Token {
            nonce: None,
            ..Token::good()
        };
        assert!(matches!(
            verify(token),
            Err(ClaimsVerificationError::InvalidNonce(_))
        ));
    }

    #[test]
    fn a_token_for_another_client_is_refused() {
        let token = Token {
            audience: "another-app".into(),
            ..Token::good()
        };
        assert!(matches!(
            verify(token),
            Err(ClaimsVerificationError::InvalidAudience(_))
        ));
    }

    #[test]
    fn an_expired_token_is_refused() {
        let token = Token {
            expires: now() - chrono::Duration::seconds(1),
            ..Token::good()
        };
        assert!(matches!(
            verify(token),
            Err(ClaimsVerificationError::Expired(_))
        ));
        let token = Token {
            expires: now(),
            ..Token::good()
        };
        assert!(
            matches!(verify(token), Err(ClaimsVerificationError::Expired(_))),
            "a token expiring this very second is refused too"
        );
    }

    #[test]
    fn a_token_signed_with_another_key_is_refused() {
        let token = Token {
            key: FORGER_KEY,
            ..Token::good()
        };
        assert!(matches!(
            verify(token),
            Err(ClaimsVerificationError::SignatureVerification(_))
        ));
    }

    #[test]
    fn a_token_from_another_issuer_is_refused() {
        let token = Token {
            issuer: "https://evil.example.test".into(),
            ..Token::good()
        };
        assert!(matches!(
            verify(token),
            Err(ClaimsVerificationError::InvalidIssuer(_))
        ));
    }

    #[test]
    fn a_tampered_token_is_refused() {
        // Payload of another token under the good token's signature.
        let good = Token::good().sign().to_string();
        let other = Token {
            expires: now() + chrono::Duration::days(365),
            ..Token::good()
        }
        .sign()
        .to_string();
        let parts: Vec<&str> = good.split('.').collect();
        let other_parts: Vec<&str> = other.split('.').collect();
        let forged: CoreIdToken = format!("{}.{}.{}", parts[0], other_parts[1], parts[2])
            .parse()
            .unwrap();
        assert!(matches!(
            client().verify_id_token(&forged, NONCE, now()),
            Err(ClaimsVerificationError::SignatureVerification(_))
        ));
    }

    #[test]
    fn the_authorization_url_asks_for_the_code_flow_with_pkce() {
        let start = client().authorization_url("state-1", "nonce-1");
        let url = url::Url::parse(&start.url).unwrap();
        let query: HashMap<String, String> = url.query_pairs().into_owned().collect();
        assert_eq!(
            url.as_str().split('?').next(),
            Some("https://idp.example.test/auth")
        );
        assert_eq!(query["response_type"], "code");
        assert_eq!(query["client_id"], CLIENT_ID);
        assert_eq!(query["state"], "state-1");
        assert_eq!(query["nonce"], "nonce-1");
        assert_eq!(query["scope"], "openid email profile");
        assert_eq!(query["code_challenge_method"], "S256");
        assert_eq!(
            query["redirect_uri"],
            "https://roster.example.test/sso/callback"
        );
        assert_eq!(
            query["code_challenge"],
            PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(
                start.pkce_verifier.clone()
            ))
            .as_str()
        );
        assert!(!query.contains_key("client_secret"));
    }
}

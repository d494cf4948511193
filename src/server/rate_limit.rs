//! Rate limits on the public endpoints (SPEC §7): per client on every
//! public path here, and per invitation link in the invitee's server
//! functions (`request::limit_per_invitation`; the `/invite/{token}` page
//! calls one of them as it renders). The API (`/api/v1`) has its own: per
//! client whatever the token (here, before the body is read) and per token
//! (`api_v1::as_token`), so neither a runaway script nor a client trying
//! tokens can take the server.
//! `governor` (GCRA, the algorithm behind `tower_governor`) keeps one small
//! cell per key; `sweep` drops keys that are back to a full allowance.
//! The client is the one `client_ip` names, so behind a trusted proxy every
//! real client has its own allowance.

use super::{
    client_ip::TrustedProxies,
    error_response::{api_error_response, error_response},
};
use crate::domain::AppError;
use axum::{body::Body, extract::ConnectInfo, http::Request, middleware::Next, response::Response};
use governor::{
    clock::{Clock, DefaultClock},
    DefaultKeyedRateLimiter, NotUntil, Quota, RateLimiter,
};
use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr},
    num::NonZeroU32,
    sync::Arc,
};

/// Paths anyone may call without signing in.
const PUBLIC_PATHS: &[&str] = &[
    "/invite/",
    "/api/inspect_invite",
    "/api/confirm_invite_email",
    "/api/set_invite_password",
    "/api/resend_from_link",
    "/api/sign_in",
    "/api/create_organisation",
    // Single sign-on: start, the provider's callback, the problem page.
    "/sso/",
];

/// The client of a request, as `client_ip` decided; handlers read it from
/// the request's extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

#[derive(Clone)]
pub struct Limiters {
    per_client: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    per_invitation: Arc<DefaultKeyedRateLimiter<String>>,
    per_api_token: Arc<DefaultKeyedRateLimiter<String>>,
    per_api_client: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    trusted_proxies: Arc<TrustedProxies>,
}

impl Limiters {
    pub fn new(
        per_client_per_minute: u32,
        per_invitation_per_minute: u32,
        per_api_token_per_minute: u32,
        trusted_proxies: TrustedProxies,
    ) -> Self {
        let quota = |n: u32| Quota::per_minute(NonZeroU32::new(n.max(1)).expect("at least one"));
        Limiters {
            per_client: Arc::new(RateLimiter::keyed(quota(per_client_per_minute))),
            per_invitation: Arc::new(RateLimiter::keyed(quota(per_invitation_per_minute))),
            per_api_token: Arc::new(RateLimiter::keyed(quota(per_api_token_per_minute))),
            per_api_client: Arc::new(RateLimiter::keyed(quota(
                per_api_token_per_minute.saturating_mul(2),
            ))),
            trusted_proxies: Arc::new(trusted_proxies),
        }
    }

    pub fn allow_client(&self, client: IpAddr) -> bool {
        self.per_client.check_key(&client).is_ok()
    }

    /// Counts a request to one invitation link (the token is the key, cut to
    /// a token's length so a huge bogus one costs no more memory).
    pub fn allow_invitation(&self, token: &str) -> bool {
        let key: String = token.chars().take(64).collect();
        self.per_invitation.check_key(&key).is_ok()
    }

    /// Counts an API request of a token (its id: no secret is kept here);
    /// over the allowance, the seconds until the next request may pass.
    pub fn allow_api_token(&self, token_id: &str) -> Result<(), u64> {
        let key = token_id.to_string();
        self.per_api_token.check_key(&key).map_err(seconds_to_wait)
    }

    /// Counts an API request of a client, whatever token it presents.
    pub fn allow_api_client(&self, client: IpAddr) -> Result<(), u64> {
        self.per_api_client
            .check_key(&client)
            .map_err(seconds_to_wait)
    }

    /// Forgets clients, links and tokens that are back to a full allowance.
    pub fn sweep(&self) {
        self.per_client.retain_recent();
        self.per_client.shrink_to_fit();
        self.per_invitation.retain_recent();
        self.per_invitation.shrink_to_fit();
        self.per_api_token.retain_recent();
        self.per_api_token.shrink_to_fit();
        self.per_api_client.retain_recent();
        self.per_api_client.shrink_to_fit();
    }

    pub fn client_of<B>(&self, request: &Request<B>) -> IpAddr {
        let peer = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
        self.trusted_proxies.client_ip(peer, request.headers())
    }
}

/// Whole seconds, at least one: what `Retry-After` says.
fn seconds_to_wait(not_until: NotUntil<<DefaultClock as Clock>::Instant>) -> u64 {
    let wait = not_until.wait_time_from(DefaultClock::default().now());
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

pub fn is_public(path: &str) -> bool {
    PUBLIC_PATHS.iter().any(|p| path.starts_with(p))
}

/// Names the client on every request and refuses public requests over a limit.
pub async fn limit_public_endpoints(
    limiters: Limiters,
    mut request: Request<Body>,
    next: Next,
) -> Response {
    let client = limiters.client_of(&request);
    request.extensions_mut().insert(ClientIp(client));
    let path = request.uri().path();
    if is_public(path) && !limiters.allow_client(client) {
        tracing::info!(%client, path, "rate limited");
        return error_response(path, &AppError::RateLimited);
    }
    // The API's allowance per client, whatever token it presents, before
    // the body is read: trying tokens costs a lookup each.
    if path.starts_with("/api/v1/") {
        if let Err(wait) = limiters.allow_api_client(client) {
            tracing::info!(%client, "API rate limited (client)");
            return api_error_response(&AppError::RateLimited, Some(wait));
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_each_client_on_its_own() {
        let limiters = Limiters::new(3, 10, 600, TrustedProxies::none());
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..3 {
            assert!(limiters.allow_client(a));
        }
        assert!(!limiters.allow_client(a));
        assert!(limiters.allow_client(b), "another client is not affected");
    }

    #[test]
    fn limits_each_invitation_whoever_asks() {
        let limiters = Limiters::new(100, 2, 600, TrustedProxies::none());
        assert!(limiters.allow_invitation("abc"));
        assert!(limiters.allow_invitation("abc"));
        assert!(!limiters.allow_invitation("abc"));
        assert!(limiters.allow_invitation("def"));
        let long = "x".repeat(10_000);
        assert!(limiters.allow_invitation(&long));
        assert!(limiters.allow_invitation(&long));
        assert!(
            !limiters.allow_invitation(&"x".repeat(64)),
            "keys are cut to a token's length"
        );
    }

    #[test]
    fn limits_each_api_token_and_each_api_client() {
        let limiters = Limiters::new(100, 20, 2, TrustedProxies::none());
        assert!(limiters.allow_api_token("a").is_ok());
        assert!(limiters.allow_api_token("a").is_ok());
        // Two a minute: the next one passes within 30 s, and says so.
        let wait = limiters.allow_api_token("a").unwrap_err();
        assert!((1..=30).contains(&wait), "{wait}");
        assert!(
            limiters.allow_api_token("b").is_ok(),
            "another token is not affected"
        );
        let client: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..4 {
            assert!(
                limiters.allow_api_client(client).is_ok(),
                "twice a token's allowance"
            );
        }
        assert!(limiters.allow_api_client(client).is_err());
    }

    #[test]
    fn only_public_endpoints_are_limited() {
        assert!(is_public("/invite/abc"));
        assert!(is_public("/api/sign_in"));
        assert!(is_public("/api/create_organisation"));
        assert!(is_public("/sso/start"));
        assert!(is_public("/sso/callback"));
        assert!(!is_public("/api/list_users"));
        assert!(!is_public("/manage/settings/users"));
    }
}

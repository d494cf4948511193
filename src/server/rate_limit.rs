//! Per-client rate limit for the public endpoints (SPEC §7): the invitation
//! pages and their server functions, and sign-in. A fixed window per client
//! address, in memory: enough to stop guessing from one address; the
//! per-invitation limits are the 5-try lock (R10) and the cooldown (R8).

use axum::{
    body::Body,
    extract::ConnectInfo,
    http::{Request, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use std::{
    collections::HashMap,
    net::{IpAddr, SocketAddr},
    sync::{Arc, Mutex},
};

/// Requests to public endpoints one client may make per window.
pub const LIMIT: u32 = 100;
pub const WINDOW_MS: i64 = 60_000;

const PUBLIC_PATHS: &[&str] = &[
    "/invite/",
    "/api/inspect_invite",
    "/api/confirm_invite_email",
    "/api/set_invite_password",
    "/api/resend_from_link",
    "/api/sign_in",
];

#[derive(Clone, Default)]
pub struct RateLimiter {
    windows: Arc<Mutex<HashMap<IpAddr, (i64, u32)>>>,
}

impl RateLimiter {
    /// Counts a request; `false` once the client is over the limit.
    pub fn allow(&self, client: IpAddr, now: i64) -> bool {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() > 100_000 {
            windows.retain(|_, (start, _)| now - *start < WINDOW_MS);
        }
        let (start, count) = windows.entry(client).or_insert((now, 0));
        if now - *start >= WINDOW_MS {
            *start = now;
            *count = 0;
        }
        *count += 1;
        *count <= LIMIT
    }
}

pub fn is_public(path: &str) -> bool {
    PUBLIC_PATHS.iter().any(|p| path.starts_with(p))
}

pub async fn limit_public_endpoints(
    limiter: RateLimiter,
    request: Request<Body>,
    next: Next,
) -> Response {
    if is_public(request.uri().path()) {
        let client = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        if let Some(client) = client {
            if !limiter.allow(client, super::now_ms()) {
                return (
                    StatusCode::TOO_MANY_REQUESTS,
                    "Too many requests. Please wait a minute and try again.",
                )
                    .into_response();
            }
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_each_client_per_window() {
        let limiter = RateLimiter::default();
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..LIMIT {
            assert!(limiter.allow(a, 0));
        }
        assert!(!limiter.allow(a, 1));
        assert!(limiter.allow(b, 1), "another client is not affected");
        assert!(limiter.allow(a, WINDOW_MS), "a new window starts afresh");
    }

    #[test]
    fn only_public_endpoints_are_limited() {
        assert!(is_public("/invite/abc"));
        assert!(is_public("/api/sign_in"));
        assert!(!is_public("/api/list_users"));
        assert!(!is_public("/manage/settings/users"));
    }
}

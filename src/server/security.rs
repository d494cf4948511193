//! Request-level protections: CSRF defence for state-changing requests and
//! security headers on every response (SPEC §7).

use super::error_response::error_response;
use crate::domain::AppError;
use axum::{
    body::Body,
    http::{header, HeaderValue, Method, Request, StatusCode},
    middleware::Next,
    response::Response,
};
use std::sync::Arc;

/// What the request-level protections need to know of the configuration.
#[derive(Debug, Clone)]
pub struct SecurityPolicy {
    /// `scheme://host[:port]` of `ROSTER_PUBLIC_URL`: the only `Origin` our
    /// pages send. The `Host` header is not used: a proxy may rewrite it.
    pub public_origin: String,
    /// Served over https: browsers are told to stay on https (HSTS).
    pub https: bool,
}

/// Refuses cross-site state-changing requests. Browsers send `Origin` (and
/// `Sec-Fetch-Site`) on every POST, including plain HTML form posts, so a
/// request from another site is recognised whether or not JavaScript runs.
/// SameSite=Lax cookies are the second line.
pub async fn reject_cross_site_writes(
    policy: Arc<SecurityPolicy>,
    request: Request<Body>,
    next: Next,
) -> Response {
    if is_cross_site_write(&policy, &request) {
        return error_response(request.uri().path(), &AppError::CrossSite);
    }
    next.run(request).await
}

fn is_cross_site_write<B>(policy: &SecurityPolicy, request: &Request<B>) -> bool {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return false;
    }
    let headers = request.headers();
    if headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("cross-site") {
        return true;
    }
    match headers.get(header::ORIGIN) {
        // Not a browser, or a very old one: no ambient cookies to abuse.
        None => false,
        Some(origin) => origin.as_bytes() != policy.public_origin.as_bytes(),
    }
}

/// Headers on every response. Pages and server-function answers hold a
/// signed-in manager's data, so nothing but the static assets may be cached.
pub async fn security_headers(
    policy: Arc<SecurityPolicy>,
    request: Request<Body>,
    next: Next,
) -> Response {
    let path = request.uri().path().to_string();
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    headers.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    if policy.https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    let found = response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED;
    let cache_control = match cache_policy(&path) {
        Cacheable::Forever if found => "public, max-age=31536000, immutable",
        Cacheable::Forever | Cacheable::Never => "no-store",
        Cacheable::AfterAsking => "no-cache",
    };
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    response
}

#[derive(Debug, PartialEq)]
enum Cacheable {
    /// A file whose name carries a hash of its content (cargo-leptos
    /// `hash-files`): a new release has new names, so it never changes.
    Forever,
    /// Other static files (the favicon): cached, but asked about (a cheap 304)
    /// before each use, so an upgrade is seen at once.
    AfterAsking,
    /// Pages and server-function answers: they hold a signed-in manager's data.
    Never,
}

fn cache_policy(path: &str) -> Cacheable {
    let static_asset = path.starts_with("/pkg/") || path == "/favicon.svg";
    if !static_asset {
        Cacheable::Never
    } else if path.starts_with("/pkg/") && has_content_hash(path) {
        Cacheable::Forever
    } else {
        Cacheable::AfterAsking
    }
}

/// `roster.1a2b3c4d5e6f.wasm`: a name, a hash of at least 8 letters and
/// digits, an extension.
fn has_content_hash(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() >= 3 && {
        let hash = parts[parts.len() - 2];
        hash.len() >= 8
            && hash
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    }
}

/// `policy` with `origin` added to `form-action`: the sign-in forms post to
/// `/sso/start`, which redirects to the identity provider, and browsers
/// hold that redirect to the form's `form-action` too.
pub fn allow_form_target(policy: &str, origin: &str) -> String {
    policy.replace(
        "form-action 'self'",
        &format!("form-action 'self' {origin}"),
    )
}

/// The Content-Security-Policy of a rendered page: scripts only from this
/// site and with this response's nonce (Leptos puts it on its own inline
/// hydration scripts), no plugins, no framing, forms post only here.
pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r17_forms_may_lead_to_the_identity_provider_only() {
        let policy = allow_form_target(&content_security_policy("n"), "https://idp.example.org");
        assert!(
            policy.contains("form-action 'self' https://idp.example.org;"),
            "{policy}"
        );
        assert!(policy.contains("default-src 'self';"), "{policy}");
    }

    fn policy() -> SecurityPolicy {
        SecurityPolicy {
            public_origin: "https://roster.example.org".into(),
            https: true,
        }
    }

    fn post(origin: Option<&str>, site: Option<&str>) -> Request<()> {
        // The proxy rewrote Host; only Origin against the public URL counts.
        let mut builder = Request::post("/api/sign_in").header(header::HOST, "127.0.0.1:3000");
        if let Some(origin) = origin {
            builder = builder.header(header::ORIGIN, origin);
        }
        if let Some(site) = site {
            builder = builder.header("sec-fetch-site", site);
        }
        builder.body(()).unwrap()
    }

    #[test]
    fn same_origin_posts_pass() {
        assert!(!is_cross_site_write(
            &policy(),
            &post(Some("https://roster.example.org"), Some("same-origin"))
        ));
        assert!(!is_cross_site_write(&policy(), &post(None, None)));
    }

    #[test]
    fn cross_site_posts_are_refused() {
        let p = policy();
        assert!(is_cross_site_write(
            &p,
            &post(Some("https://evil.example"), None)
        ));
        assert!(is_cross_site_write(&p, &post(None, Some("cross-site"))));
        assert!(is_cross_site_write(&p, &post(Some("null"), None)));
        // The Host header says 127.0.0.1:3000, which a forged Origin could copy.
        assert!(is_cross_site_write(
            &p,
            &post(Some("http://127.0.0.1:3000"), None)
        ));
        assert!(is_cross_site_write(
            &p,
            &post(Some("https://roster.example.org.evil.example"), None)
        ));
    }

    #[test]
    fn only_static_assets_may_be_cached_and_hashed_ones_forever() {
        assert_eq!(cache_policy("/pkg/roster.wasm"), Cacheable::AfterAsking);
        assert_eq!(cache_policy("/favicon.svg"), Cacheable::AfterAsking);
        assert_eq!(
            cache_policy("/pkg/roster.Xb7Q2kWm9sTz.wasm"),
            Cacheable::Forever
        );
        assert_eq!(
            cache_policy("/pkg/roster.Xb7Q2kWm9sTz.css"),
            Cacheable::Forever
        );
        assert_eq!(cache_policy("/pkg/roster.min.js"), Cacheable::AfterAsking);
        assert_eq!(cache_policy("/manage/settings/users"), Cacheable::Never);
        assert_eq!(cache_policy("/api/list_users"), Cacheable::Never);
        assert_eq!(cache_policy("/invite/abc.defghijklm.x"), Cacheable::Never);
    }

    #[test]
    fn reads_are_never_refused() {
        let get = Request::get("/")
            .header(header::ORIGIN, "https://evil.example")
            .body(())
            .unwrap();
        assert!(!is_cross_site_write(&policy(), &get));
    }
}

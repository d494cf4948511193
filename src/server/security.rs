//! Request-level protections: CSRF defence for state-changing requests and
//! security headers on every response (SPEC §7).

use axum::{
    body::Body,
    http::{header, HeaderValue, Method, Request, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

/// Refuses cross-site state-changing requests. Browsers send `Origin` (and
/// `Sec-Fetch-Site`) on every POST, including plain HTML form posts, so a
/// request from another site is recognised whether or not JavaScript runs.
/// SameSite=Lax cookies are the second line.
pub async fn reject_cross_site_writes(request: Request<Body>, next: Next) -> Response {
    if is_cross_site_write(&request) {
        return (StatusCode::FORBIDDEN, "Cross-site request refused.").into_response();
    }
    next.run(request).await
}

fn is_cross_site_write<B>(request: &Request<B>) -> bool {
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
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false; // not a browser, or a very old one: no ambient cookies to abuse
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let origin_host = origin
        .split_once("://")
        .map(|(_, rest)| rest)
        .unwrap_or("null");
    origin_host != host
}

pub async fn security_headers(request: Request<Body>, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    headers.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(origin: Option<&str>, site: Option<&str>) -> Request<()> {
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
        assert!(!is_cross_site_write(&post(
            Some("http://127.0.0.1:3000"),
            Some("same-origin")
        )));
        assert!(!is_cross_site_write(&post(None, None)));
    }

    #[test]
    fn cross_site_posts_are_refused() {
        assert!(is_cross_site_write(&post(
            Some("https://evil.example"),
            None
        )));
        assert!(is_cross_site_write(&post(None, Some("cross-site"))));
        assert!(is_cross_site_write(&post(Some("null"), None)));
    }

    #[test]
    fn reads_are_never_refused() {
        let get = Request::get("/")
            .header(header::ORIGIN, "https://evil.example")
            .body(())
            .unwrap();
        assert!(!is_cross_site_write(&get));
    }
}

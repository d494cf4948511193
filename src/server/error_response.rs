//! One place turns an `AppError` into an HTTP answer: the status that says
//! what kind of refusal it is, and a body the caller can read (the API's
//! `{"error": {…}}` on `/api/v1/…`, the JSON the browser's server-function
//! decoder expects elsewhere on `/api/…`, a short page elsewhere).

use crate::domain::AppError;
use axum::{
    body::{to_bytes, Body},
    http::{header, HeaderValue, Request, StatusCode},
    middleware::Next,
    response::{Html, IntoResponse, Response},
};

/// The header server functions put on their error answers (server_fn's
/// `SERVER_FN_ERROR_HEADER`).
const SERVER_FN_ERROR_HEADER: &str = "serverfnerror";

/// Error bodies are a few hundred bytes; anything bigger is not ours to read.
const MAX_ERROR_BODY: usize = 64 * 1024;

pub fn status_of(error: &AppError) -> StatusCode {
    use AppError::*;
    match error {
        Unauthenticated | BadCredentials | UseSingleSignOn => StatusCode::UNAUTHORIZED,
        Forbidden | Deactivated | CrossSite => StatusCode::FORBIDDEN,
        NotFound => StatusCode::NOT_FOUND,
        AlreadySetUp
        | Cooldown { .. }
        | NotInvited { .. }
        | AlreadyInvited { .. }
        | AlreadyActive { .. } => StatusCode::CONFLICT,
        LinkUnusable => StatusCode::GONE,
        Invalid(_) | EmailMismatch { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        RequestTimeout => StatusCode::REQUEST_TIMEOUT,
        LinkLocked => StatusCode::LOCKED,
        RateLimited => StatusCode::TOO_MANY_REQUESTS,
        Busy | Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Internal | Transport(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Seconds a client should wait before trying again, for the refusals that pass.
fn retry_after_of(error: &AppError) -> Option<&'static str> {
    match error {
        AppError::RateLimited | AppError::Busy => Some("60"),
        // A database restart is over in seconds.
        AppError::Unavailable => Some("5"),
        _ => None,
    }
}

/// An answer made outside a server function (limits, CSRF, bodies), in the
/// same shape a server function's error has.
/// `/api/v1`'s refusal: `{"error": {"code", "message", "until"?}}`, with
/// the kind's status; `retry_after` (seconds) overrides the usual wait.
pub fn api_error_response(error: &AppError, retry_after: Option<u64>) -> Response {
    let mut body = serde_json::json!({ "code": error.code(), "message": error.to_string() });
    if let AppError::Cooldown { until } = error {
        body["until"] = serde_json::json!(until);
    }
    let mut response = (
        status_of(error),
        axum::Json(serde_json::json!({ "error": body })),
    )
        .into_response();
    let wait = retry_after
        .map(|seconds| seconds.to_string())
        .or_else(|| retry_after_of(error).map(str::to_string));
    if let Some(value) = wait.and_then(|w| HeaderValue::from_str(&w).ok()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

pub fn error_response(path: &str, error: &AppError) -> Response {
    // The API's refusals keep its shape, whichever layer refuses.
    if path.starts_with("/api/v1/") {
        return api_error_response(error, None);
    }
    let status = status_of(error);
    let mut response = if path.starts_with("/api/") {
        let body = serde_json::to_string(error).unwrap_or_else(|_| "\"Internal\"".into());
        let mut response = (status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Ok(path) = HeaderValue::from_str(path) {
            response.headers_mut().insert(SERVER_FN_ERROR_HEADER, path);
        }
        response
    } else {
        let message = html_escape(&error.to_string());
        (status, Html(format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Roster</title></head>\
             <body><main><h1>{message}</h1><p><a href=\"/\">Back to Roster</a></p></main></body></html>"
        )))
            .into_response()
    };
    if let Some(seconds) = retry_after_of(error) {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static(seconds));
    }
    response
}

/// Server functions answer every error with 500; this gives each the status
/// of its kind (401, 403, 404, 409, 410, 422, 423, 429, 503), so proxies,
/// logs and API clients can tell a refusal from a failure.
pub async fn set_error_status(request: Request<Body>, next: Next) -> Response {
    let response = next.run(request).await;
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response.headers().contains_key(SERVER_FN_ERROR_HEADER)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match to_bytes(body, MAX_ERROR_BODY).await {
        Ok(bytes) => bytes,
        Err(_) => return (StatusCode::INTERNAL_SERVER_ERROR, "").into_response(),
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = status_of(&error);
        if let Some(seconds) = retry_after_of(&error) {
            parts
                .headers
                .insert(header::RETRY_AFTER, HeaderValue::from_static(seconds));
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_not_server_errors() {
        assert_eq!(
            status_of(&AppError::Unauthenticated),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(status_of(&AppError::Forbidden), StatusCode::FORBIDDEN);
        assert_eq!(
            status_of(&AppError::UseSingleSignOn),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            status_of(&AppError::invalid("x")),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            status_of(&AppError::Cooldown { until: 0 }),
            StatusCode::CONFLICT
        );
        assert_eq!(
            status_of(&AppError::RateLimited),
            StatusCode::TOO_MANY_REQUESTS
        );
        assert_eq!(
            status_of(&AppError::Internal),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }

    #[test]
    fn an_unreachable_database_is_503_with_a_short_retry_after() {
        let response = error_response("/api/list_users", &AppError::Unavailable);
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "5");
    }

    #[tokio::test]
    async fn api_refusals_are_json_the_browser_can_decode() {
        let response = error_response("/api/sign_in", &AppError::RateLimited);
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        assert!(response.headers().contains_key(header::RETRY_AFTER));
        let body = to_bytes(response.into_body(), 1024).await.unwrap();
        assert_eq!(
            serde_json::from_slice::<AppError>(&body).unwrap(),
            AppError::RateLimited
        );
    }
}

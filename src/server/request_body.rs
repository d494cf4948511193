//! Request bodies are read here, whole, before any handler sees them: at
//! most a size that depends on the endpoint, within the body deadline. A
//! client that sends too much gets 413, one that stalls gets 408, and
//! neither reaches a server function as a 500.

use super::error_response::error_response;
use crate::domain::AppError;
use axum::{
    body::Body,
    http::{header, Method, Request},
    middleware::Next,
    response::Response,
};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use std::time::Duration;

/// Sign-in, an invitation, a search: a few hundred bytes. Every anonymous
/// endpoint is in this class, so no stranger can make us hold more.
pub const SMALL_BODY_BYTES: usize = 64 * 1024;
/// A pasted CSV of 10,000 rows is about 0.5 MB; a bulk resend lists ids.
pub const LARGE_BODY_BYTES: usize = 4 * 1024 * 1024;
/// The managers' bulk endpoints (they need a session to do anything).
const LARGE_BODY_PATHS: &[&str] = &["/api/bulk_invite", "/api/bulk_resend"];

pub fn max_body_bytes(path: &str) -> usize {
    if LARGE_BODY_PATHS.contains(&path) {
        LARGE_BODY_BYTES
    } else {
        SMALL_BODY_BYTES
    }
}

pub async fn read_body_within_limits(
    deadline: Duration,
    request: Request<Body>,
    next: Next,
) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let path = request.uri().path().to_string();
    let max = max_body_bytes(&path);
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > max as u64) {
        return error_response(&path, &AppError::TooLarge);
    }
    let (parts, body) = request.into_parts();
    let bytes = match tokio::time::timeout(deadline, Limited::new(body, max).collect()).await {
        Err(_) => return error_response(&path, &AppError::RequestTimeout),
        Ok(Err(error)) if error.downcast_ref::<LengthLimitError>().is_some() => {
            return error_response(&path, &AppError::TooLarge)
        }
        Ok(Err(error)) => {
            tracing::debug!(%error, path, "request body could not be read");
            return error_response(&path, &AppError::invalid("The request could not be read."));
        }
        Ok(Ok(collected)) => collected.to_bytes(),
    };
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_bulk_endpoints_take_large_bodies() {
        assert_eq!(max_body_bytes("/api/bulk_invite"), LARGE_BODY_BYTES);
        assert_eq!(max_body_bytes("/api/sign_in"), SMALL_BODY_BYTES);
        assert_eq!(max_body_bytes("/api/create_organisation"), SMALL_BODY_BYTES);
    }
}

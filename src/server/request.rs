//! Helpers for server functions: the app state, the session cookie and the
//! signed-in caller, read from the Leptos request context.

use super::{
    auth::{self, SESSION_COOKIE, SESSION_LIFETIME_MS},
    now_ms,
    state::AppState,
};
use crate::domain::{AppError, SessionUser};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue};
use leptos::prelude::{expect_context, use_context};
use leptos_axum::ResponseOptions;

pub fn app_state() -> AppState {
    expect_context::<AppState>()
}

/// The value of our session cookie on the current request, if any.
pub fn session_token() -> Option<String> {
    let parts = use_context::<Parts>()?;
    cookie_in(&parts.headers, SESSION_COOKIE)
}

/// The value of the cookie `name` in a request's headers, if any.
pub fn cookie_in(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(found, _)| *found == name)
        .map(|(_, value)| value.to_string())
}

pub async fn current_user() -> Result<Option<SessionUser>, AppError> {
    let state = app_state();
    auth::current_user(&state.db, session_token().as_deref(), now_ms()).await
}

/// The signed-in caller, or `Unauthenticated`.
pub async fn require_user() -> Result<SessionUser, AppError> {
    current_user().await?.ok_or(AppError::Unauthenticated)
}

/// The signed-in caller if they are an Org Manager (R1), else `Forbidden`.
pub async fn require_org_manager() -> Result<SessionUser, AppError> {
    let user = require_user().await?;
    if user.is_org_manager() {
        Ok(user)
    } else {
        Err(AppError::Forbidden)
    }
}

pub fn set_session_cookie(token: &str) {
    set_cookie(session_cookie(token, app_state().config.secure_cookies()));
}

/// The `Set-Cookie` value of a new session: server functions and the plain
/// handlers (single sign-on) set the same cookie.
pub fn session_cookie(token: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    let max_age = SESSION_LIFETIME_MS / 1000;
    format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

pub fn clear_session_cookie() {
    set_cookie(format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"
    ));
}

fn set_cookie(value: String) {
    if let (Some(response), Ok(value)) = (
        use_context::<ResponseOptions>(),
        HeaderValue::from_str(&value),
    ) {
        response.append_header(header::SET_COOKIE, value);
    }
}

pub fn engine() -> crate::server::services::Engine {
    app_state().engine
}

/// Counts a request to one invitation link (SPEC §7: public endpoints are
/// limited per invitation as well as per client).
pub fn limit_per_invitation(token: &str) -> Result<(), AppError> {
    if app_state().limiters.allow_invitation(token) {
        Ok(())
    } else {
        Err(AppError::RateLimited)
    }
}

//! `POST /sso/start` and `GET /sso/callback`: plain axum handlers, behind
//! the same layers as every page (CSRF check on the POST, the public rate
//! limit, security headers). They answer with 303 redirects only: to the
//! provider, to where the person continues, or to `/sso/problem`.

use super::{BrowserBinding, CallbackParams, Finished, SsoFailure, FLOW_LIFETIME_MS, SSO_COOKIE};
use crate::domain::AppError;
use crate::server::{
    error_response::error_response,
    now_ms,
    request::{cookie_in, session_cookie},
    security,
    state::AppState,
    tokens,
};
use axum::{
    extract::{Query, Request, State},
    http::{header, HeaderMap, HeaderValue, StatusCode, Uri},
    middleware::Next,
    response::{IntoResponse, Response},
    routing::{get, post},
    Form, Router,
};

/// Pages of an SSO organisation let their forms lead to the provider (the
/// 303 of `/sso/start` is held to the page's CSP `form-action`; without this
/// Chromium refuses it). Read per page, so a change of issuer applies at once
/// on every instance.
pub async fn allow_provider_in_form_action(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let Some(policy) = response
        .headers()
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
    else {
        return response;
    };
    let issuer = match crate::server::repos::sso::find_sso_issuer(&state.db).await {
        Ok(issuer) => issuer,
        Err(error) => {
            tracing::warn!(error = ?error, "reading the SSO issuer for the page's CSP");
            None
        }
    };
    let origin = issuer
        .and_then(|issuer| url::Url::parse(&issuer).ok())
        .map(|url| url.origin().ascii_serialization())
        .filter(|origin| origin != "null");
    if let Some(origin) = origin {
        if let Ok(value) = HeaderValue::from_str(&security::allow_form_target(&policy, &origin)) {
            response
                .headers_mut()
                .insert(header::CONTENT_SECURITY_POLICY, value);
        }
    }
    response
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sso/start", post(start))
        .route("/sso/callback", get(callback))
}

/// The form of the invitation page (`token`) or of `/login` (`next`).
#[derive(Debug, Default, serde::Deserialize)]
struct StartForm {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    next: Option<String>,
}

async fn start(State(state): State<AppState>, Form(form): Form<StartForm>) -> Response {
    let token = form
        .token
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    // SPEC §7: a link's requests are limited whoever makes them.
    if token.is_some_and(|token| !state.limiters.allow_invitation(token)) {
        return error_response("/sso/start", &AppError::RateLimited);
    }
    match super::start(&state.engine, token, form.next.as_deref(), now_ms()).await {
        Ok(started) => see_other(
            &started.authorization_url,
            &[flow_cookie(&started.binding, state.config.secure_cookies())],
        ),
        Err(failure) => refused("/sso/start", failure, token, &[]),
    }
}

async fn callback(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    // Parameters we cannot read are a response we cannot accept: `finish`
    // refuses a callback without `state`.
    let params = Query::<CallbackParams>::try_from_uri(&uri)
        .map(|q| q.0)
        .unwrap_or_default();
    let binding = cookie_in(&headers, SSO_COOKIE).and_then(|value| BrowserBinding::parse(&value));
    let token = binding.as_ref().and_then(|b| b.invitation_token.clone());
    // The flow is over whatever happens: the browser forgets it.
    let clear = clear_flow_cookie();
    match super::finish(&state.engine, &params, binding.as_ref(), now_ms()).await {
        Ok(Finished::SignedIn {
            session_token,
            next,
        }) => see_other(
            &next,
            &[
                clear,
                session_cookie(&session_token, state.config.secure_cookies()),
            ],
        ),
        Ok(Finished::Cancelled { back_to }) => see_other(&back_to, &[clear]),
        Err(failure) => refused("/sso/callback", failure, token.as_deref(), &[clear]),
    }
}

/// `roster_sso`: sent back only to `/sso/…`, only over https when Roster is
/// served so, never to scripts; SameSite=Lax still sends it on the
/// provider's top-level redirect back to us.
fn flow_cookie(binding: &BrowserBinding, secure: bool) -> String {
    let max_age = FLOW_LIFETIME_MS / 1000;
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{SSO_COOKIE}={}; Path=/sso; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}",
        binding.cookie_value()
    )
}

fn clear_flow_cookie() -> String {
    format!("{SSO_COOKIE}=; Path=/sso; HttpOnly; SameSite=Lax; Max-Age=0")
}

fn see_other(location: &str, cookies: &[String]) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    match HeaderValue::from_str(location) {
        Ok(location) => {
            response.headers_mut().insert(header::LOCATION, location);
        }
        Err(_) => return error_response(location, &AppError::Internal),
    }
    with_cookies(response, cookies)
}

fn with_cookies(mut response: Response, cookies: &[String]) -> Response {
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// A refusal goes to its page (with the link to return to, for an
/// invitation); a failure is the usual error page.
fn refused(path: &str, failure: SsoFailure, token: Option<&str>, cookies: &[String]) -> Response {
    // Only a token of our shape goes into a URL we make.
    let token = token.filter(|t| tokens::looks_like_token(t));
    match (failure, token) {
        (SsoFailure::Refused(reason), token) => {
            tracing::info!(reason = reason.code(), path, "single sign-on refused");
            let location = match token {
                Some(token) => format!("/sso/problem?reason={}&token={token}", reason.code()),
                None => format!("/sso/problem?reason={}", reason.code()),
            };
            see_other(&location, cookies)
        }
        // R10: the link's page asks for the email first.
        (SsoFailure::ConfirmEmailFirst, Some(token)) => {
            see_other(&format!("/invite/{token}"), cookies)
        }
        (SsoFailure::ConfirmEmailFirst, None) => see_other(
            &format!(
                "/sso/problem?reason={}",
                crate::domain::sso::SsoRefusal::LinkUnusable.code()
            ),
            cookies,
        ),
        (SsoFailure::Failed(error), _) => with_cookies(error_response(path, &error), cookies),
    }
}

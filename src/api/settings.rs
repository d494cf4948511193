//! Platform settings server functions: the Sign-in tab (R17). Org Managers
//! only; the client secret goes in and never comes back out.

use crate::domain::{
    api_tokens::{ApiTokenSummary, CreatedApiToken},
    sso::{SignInMethod, SignInSettings},
    AppError,
};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::server::{
    now_ms,
    request::{engine, require_user},
};

#[server(prefix = "/api", endpoint = "get_sign_in_settings")]
pub async fn get_sign_in_settings() -> Result<SignInSettings, AppError> {
    let actor = require_user().await?;
    engine().sign_in_settings(&actor).await
}

/// `client_secret` empty keeps the stored one. Switching to `Sso` checks the
/// provider's discovery document first (at most 5 s per request).
#[server(prefix = "/api", endpoint = "save_sign_in_settings")]
pub async fn save_sign_in_settings(
    method: SignInMethod,
    issuer: String,
    client_id: String,
    client_secret: String,
) -> Result<SignInSettings, AppError> {
    use crate::server::services::sign_in_settings::SignInInput;
    let actor = require_user().await?;
    engine()
        .save_sign_in_settings(
            &actor,
            SignInInput {
                method,
                issuer,
                client_id,
                client_secret,
            },
            now_ms(),
        )
        .await
}

/// R27: the organisation's reminder schedule, as the settings form shows it ("2, 5").
#[server(prefix = "/api", endpoint = "get_reminder_schedule")]
pub async fn get_reminder_schedule() -> Result<String, AppError> {
    let actor = require_user().await?;
    Ok(engine().reminder_schedule(&actor).await?.to_text())
}

/// R27: sets the schedule from what was typed ("2, 5"; empty turns reminders
/// off) and answers it as stored. A form posted without the WASM comes back
/// to the page with `?saved=1`.
#[server(prefix = "/api", endpoint = "save_reminder_schedule")]
pub async fn save_reminder_schedule(days: String) -> Result<String, AppError> {
    let actor = require_user().await?;
    let schedule = engine()
        .save_reminder_schedule(&actor, &days, now_ms())
        .await?;
    leptos_axum::redirect("/manage/settings/reminders?saved=1");
    Ok(schedule.to_text())
}

/// Step 10: the organisation's API tokens (without their secrets).
#[server(prefix = "/api", endpoint = "list_api_tokens")]
pub async fn list_api_tokens() -> Result<Vec<ApiTokenSummary>, AppError> {
    let actor = require_user().await?;
    engine().api_tokens(&actor).await
}

/// Makes an API token; its secret is in this answer only. `days` empty:
/// until revoked.
#[server(prefix = "/api", endpoint = "create_api_token")]
pub async fn create_api_token(
    name: String,
    days: Option<u32>,
) -> Result<CreatedApiToken, AppError> {
    let actor = require_user().await?;
    engine()
        .create_api_token(&actor, &name, days, now_ms())
        .await
}

#[server(prefix = "/api", endpoint = "revoke_api_token")]
pub async fn revoke_api_token(id: String) -> Result<(), AppError> {
    let actor = require_user().await?;
    engine().revoke_api_token(&actor, &id, now_ms()).await
}

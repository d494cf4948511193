//! Platform settings server functions, Org Managers only: Sign-in (R17; the
//! client secret goes in and never comes back out), Reminders (R27), API
//! tokens and Webhooks (Step 10).

use crate::domain::{
    api_tokens::{ApiTokenSummary, CreatedApiToken},
    sso::{SignInMethod, SignInSettings},
    webhooks::WebhookSettings,
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

/// Step 10: the organisation's webhook endpoints and newest deliveries.
#[server(prefix = "/api", endpoint = "get_webhook_settings")]
pub async fn get_webhook_settings() -> Result<WebhookSettings, AppError> {
    let actor = require_user().await?;
    engine().webhook_settings(&actor).await
}

/// Where the Webhooks form posts (a plain form: the page ships no WASM).
/// Added, it comes back with `?added=<id>`, which opens the new endpoint's
/// signing secret; refused, with what was typed and the error.
#[server(prefix = "/api", endpoint = "add_webhook_endpoint")]
pub async fn add_webhook_endpoint(
    url: String,
    #[server(default)] events: Vec<String>,
) -> Result<(), AppError> {
    let actor = require_user().await?;
    match engine()
        .add_webhook_endpoint(&actor, &url, &events, now_ms())
        .await
    {
        Ok(endpoint) => {
            leptos_axum::redirect(&format!("{WEBHOOKS_PAGE}?added={}", endpoint.id));
            Ok(())
        }
        Err(error) => {
            // At most what the field takes: the answer's Location stays small.
            let url: String = url.chars().take(2000).collect();
            // `events` present, even empty: the page then ticks only these.
            let typed = [("url", url.as_str()), ("events", &events.join(" "))];
            leptos_axum::redirect(&form_refused::<AddWebhookEndpoint>(
                WEBHOOKS_PAGE,
                &typed,
                &error,
            ));
            Err(error)
        }
    }
}

#[server(prefix = "/api", endpoint = "delete_webhook_endpoint")]
pub async fn delete_webhook_endpoint(id: String) -> Result<(), AppError> {
    let actor = require_user().await?;
    engine()
        .delete_webhook_endpoint(&actor, &id, now_ms())
        .await?;
    leptos_axum::redirect(&format!("{WEBHOOKS_PAGE}?deleted=1"));
    Ok(())
}

/// Sends the endpoint a `webhook.test` event; back with `?tested=1`.
#[server(prefix = "/api", endpoint = "send_test_webhook")]
pub async fn send_test_webhook(id: String) -> Result<(), AppError> {
    let actor = require_user().await?;
    engine().send_test_webhook(&actor, &id, now_ms()).await?;
    leptos_axum::redirect(&format!("{WEBHOOKS_PAGE}?tested=1"));
    Ok(())
}

pub const WEBHOOKS_PAGE: &str = "/manage/settings/webhooks";

/// Back to `page` after a refused plain form: what was `typed` (so nothing
/// is lost) and the error, where the page's `ServerAction` of `F` reads it
/// (Leptos' own `__path`/`__err`, which alone would keep only the error).
#[cfg(feature = "ssr")]
fn form_refused<F: leptos::server_fn::ServerFn>(
    page: &str,
    typed: &[(&str, &str)],
    error: &AppError,
) -> String {
    use leptos::server_fn::error::ServerFnUrlError;
    let mut url = url::Url::parse("http://roster.invalid").expect("a valid base URL");
    url.set_path(page);
    url.query_pairs_mut().extend_pairs(typed);
    match ServerFnUrlError::new(F::PATH, error.clone()).to_url(url.as_str()) {
        Ok(url) => url[url::Position::BeforePath..].to_string(),
        Err(_) => page.to_string(),
    }
}

//! The invitee's server functions (public: the token is the credential).

use crate::domain::{invitations::LinkView, AppError};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::server::{
    now_ms,
    request::{engine, limit_per_invitation},
};

#[server(prefix = "/api", endpoint = "inspect_invite")]
pub async fn inspect_invite(token: String) -> Result<LinkView, AppError> {
    limit_per_invitation(&token)?;
    engine().inspect_link(&token, now_ms()).await
}

#[server(prefix = "/api", endpoint = "confirm_invite_email")]
pub async fn confirm_invite_email(token: String, email: String) -> Result<(), AppError> {
    limit_per_invitation(&token)?;
    engine().confirm_email(&token, &email, now_ms()).await
}

/// Sets the password; an email link signs the invitee in (R6), a copied
/// link sends them to sign in (R10).
#[server(prefix = "/api", endpoint = "set_invite_password")]
pub async fn set_invite_password(
    token: String,
    password: String,
    confirm_password: String,
) -> Result<(), AppError> {
    use crate::server::{request, services::registration::Registered};
    limit_per_invitation(&token)?;
    if password != confirm_password {
        return Err(AppError::invalid("The two passwords do not match."));
    }
    match engine().set_password(&token, &password, now_ms()).await? {
        Registered::SignedIn { session_token } => {
            request::set_session_cookie(&session_token);
            leptos_axum::redirect("/welcome/profile");
        }
        Registered::SignInNext { .. } => leptos_axum::redirect("/login?next=/welcome/profile"),
    }
    Ok(())
}

/// R13: a fresh link to the invitation's own address. The form comes back
/// to its page saying so (`?sent=1`).
#[server(prefix = "/api", endpoint = "resend_from_link")]
pub async fn resend_from_link(token: String) -> Result<(), AppError> {
    limit_per_invitation(&token)?;
    engine().resend_from_link(&token, now_ms()).await?;
    leptos_axum::redirect(&format!(
        "/invite/{}?sent=1",
        crate::ui::users::url::encode(&token)
    ));
    Ok(())
}

#[server(prefix = "/api", endpoint = "complete_profile")]
pub async fn complete_profile(
    display_name: String,
    time_zone: String,
    accept_terms: Option<String>,
) -> Result<(), AppError> {
    let user = crate::server::request::require_user().await?;
    engine()
        .complete_profile(
            &user,
            &display_name,
            &time_zone,
            accept_terms.is_some(),
            now_ms(),
        )
        .await?;
    leptos_axum::redirect("/welcome");
    Ok(())
}

use crate::domain::{sso::SignInMethod, AppError, SessionUser};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What every page needs to know first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// No organisation exists yet: `/` offers first run.
    pub needs_setup: bool,
    pub user: Option<SessionUser>,
    /// How the organisation signs in (also for anonymous visitors, so the
    /// sign-in page can offer single sign-on).
    pub sign_in: SignInMethod,
}

#[server(prefix = "/api", endpoint = "get_session")]
pub async fn get_session() -> Result<SessionInfo, AppError> {
    use crate::server::{auth, request, services::sign_in_settings::sign_in_method_for};
    let state = request::app_state();
    let user = request::current_user().await?;
    let needs_setup = user.is_none() && auth::needs_setup(&state.db).await?;
    let sign_in = if needs_setup {
        SignInMethod::Password
    } else {
        sign_in_method_for(&state.db, user.as_ref().map(|u| u.org_id.as_str())).await?
    };
    Ok(SessionInfo {
        needs_setup,
        user,
        sign_in,
    })
}

#[server(prefix = "/api", endpoint = "create_organisation")]
pub async fn create_organisation(
    org_name: String,
    your_name: String,
    email: String,
    password: String,
) -> Result<(), AppError> {
    use crate::server::{auth, now_ms, request};
    let state = request::app_state();
    let token = auth::create_organisation(
        &state.db,
        auth::FirstRun {
            org_name,
            your_name,
            email,
            password,
        },
        now_ms(),
    )
    .await?;
    request::set_session_cookie(&token);
    leptos_axum::redirect("/manage/settings/users");
    Ok(())
}

/// Signs in and redirects to `next` (a path on this site) or the user's
/// home; the path is also the answer, for the form that signs in without a
/// page load.
#[server(prefix = "/api", endpoint = "sign_in")]
pub async fn sign_in(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<String, AppError> {
    use crate::server::{auth, now_ms, request};
    let state = request::app_state();
    let token = auth::sign_in(&state.db, &email, &password, now_ms()).await?;
    request::set_session_cookie(&token);
    let user = auth::current_user(&state.db, Some(&token), now_ms()).await?;
    // Only paths on this site: never an open redirect.
    let next = next
        .as_deref()
        .and_then(crate::domain::redirect::safe_next_path);
    let home = match (next, user) {
        (Some(next), _) => next.to_string(),
        (None, Some(user)) => user.home_path().to_string(),
        (None, None) => "/".to_string(),
    };
    leptos_axum::redirect(&home);
    Ok(home)
}

#[server(prefix = "/api", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::server::{auth, request};
    let state = request::app_state();
    auth::sign_out(&state.db, request::session_token().as_deref()).await?;
    request::clear_session_cookie();
    leptos_axum::redirect("/login");
    Ok(())
}

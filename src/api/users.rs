//! Manager server functions: each authenticates the caller here and lets the
//! engine check their rights on the target (R1, R2). The organisation always
//! comes from the caller's session, never from the request.

use crate::domain::{
    invitations::{
        BulkInviteReport, BulkResendReport, CopiedLink, InviteRequest, Invited, SentInvite,
        UserPage, UserQuery,
    },
    teams::TeamSummary,
    AppError, UserStatus,
};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[cfg(feature = "ssr")]
use crate::server::{
    now_ms,
    request::{engine, require_user},
};

#[server(prefix = "/api", endpoint = "list_users", input = Json)]
pub async fn list_users(query: UserQuery) -> Result<UserPage, AppError> {
    let actor = require_user().await?;
    engine().list_users(&actor, query, now_ms()).await
}

#[server(prefix = "/api", endpoint = "invite_user", input = Json)]
pub async fn invite_user(request: InviteRequest) -> Result<Invited, AppError> {
    let actor = require_user().await?;
    engine().invite(&actor, request, now_ms()).await
}

#[server(prefix = "/api", endpoint = "bulk_invite", input = Json)]
pub async fn bulk_invite(
    csv: String,
    team_id: Option<String>,
) -> Result<BulkInviteReport, AppError> {
    let actor = require_user().await?;
    engine()
        .bulk_invite(&actor, &csv, team_id.as_deref(), now_ms())
        .await
}

#[server(prefix = "/api", endpoint = "resend_invite")]
pub async fn resend_invite(user_id: String) -> Result<SentInvite, AppError> {
    let actor = require_user().await?;
    engine().resend(&actor, &user_id, now_ms()).await
}

#[server(prefix = "/api", endpoint = "copy_invite_link")]
pub async fn copy_invite_link(user_id: String) -> Result<CopiedLink, AppError> {
    let actor = require_user().await?;
    engine().copy_link(&actor, &user_id, now_ms()).await
}

#[server(prefix = "/api", endpoint = "revoke_invite")]
pub async fn revoke_invite(user_id: String) -> Result<(), AppError> {
    let actor = require_user().await?;
    engine().revoke(&actor, &user_id, now_ms()).await
}

#[server(prefix = "/api", endpoint = "deactivate_user")]
pub async fn deactivate_user(user_id: String) -> Result<(), AppError> {
    let actor = require_user().await?;
    engine().deactivate(&actor, &user_id, now_ms()).await
}

#[server(prefix = "/api", endpoint = "reactivate_user")]
pub async fn reactivate_user(user_id: String) -> Result<UserStatus, AppError> {
    let actor = require_user().await?;
    engine().reactivate(&actor, &user_id, now_ms()).await
}

/// R21: the user's invitations, emails with delivery attempts, and audit entries.
/// R21: the user detail panel's content, rendered here: the browser shows
/// it as it comes and carries none of its view code.
#[server(prefix = "/api", endpoint = "user_details")]
pub async fn user_details(user_id: String) -> Result<String, AppError> {
    let actor = require_user().await?;
    let history = engine().user_history(&actor, &user_id, now_ms()).await?;
    Ok(crate::ui::users::history::history_html(history))
}

/// R24: either `user_ids`, or every user matching `matching`.
#[server(prefix = "/api", endpoint = "bulk_resend", input = Json)]
pub async fn bulk_resend(
    user_ids: Vec<String>,
    matching: Option<UserQuery>,
) -> Result<BulkResendReport, AppError> {
    use crate::server::services::invitations::BulkTarget;
    let actor = require_user().await?;
    let target = match matching {
        Some(query) => BulkTarget::Matching(query),
        None => BulkTarget::Users(user_ids),
    };
    engine().bulk_resend(&actor, target, now_ms()).await
}

#[server(prefix = "/api", endpoint = "list_teams")]
pub async fn list_teams() -> Result<Vec<TeamSummary>, AppError> {
    let actor = require_user().await?;
    engine().list_teams(&actor).await
}

#[server(prefix = "/api", endpoint = "create_team")]
pub async fn create_team(name: String) -> Result<String, AppError> {
    let actor = require_user().await?;
    engine().create_team(&actor, &name, now_ms()).await
}

#[server(prefix = "/api", endpoint = "add_team_member")]
pub async fn add_team_member(
    team_id: String,
    user_id: String,
    as_manager: bool,
) -> Result<(), AppError> {
    let actor = require_user().await?;
    engine()
        .add_team_member(&actor, &team_id, &user_id, as_manager, now_ms())
        .await
}

/// R24: the ids of every user matching a query, so the browser can resend in
/// chunks and show progress.
#[server(prefix = "/api", endpoint = "matching_user_ids", input = Json)]
pub async fn matching_user_ids(query: UserQuery) -> Result<Vec<String>, AppError> {
    let actor = require_user().await?;
    engine().matching_user_ids(&actor, query, now_ms()).await
}

/// Adds the organisation's user with this email to a team (Org Managers).
#[server(prefix = "/api", endpoint = "add_team_member_by_email")]
pub async fn add_team_member_by_email(
    team_id: String,
    email: String,
    as_manager: bool,
) -> Result<(), AppError> {
    let actor = require_user().await?;
    engine()
        .add_team_member_by_email(&actor, &team_id, &email, as_manager, now_ms())
        .await
}

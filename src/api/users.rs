use crate::domain::{AppError, UserStatus};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub status: UserStatus,
}

/// The organisation's users, for Org Managers only (R1, R2: the organisation
/// comes from the caller's session, never from the request).
#[server(prefix = "/api", endpoint = "list_users")]
pub async fn list_users() -> Result<Vec<UserRow>, AppError> {
    use crate::server::{repos, request};
    let manager = request::require_org_manager().await?;
    let state = request::app_state();
    let rows = repos::users::list_users_of_org(&state.db, &manager.org_id, 50)
        .await
        .map_err(repos::db_error)?;
    Ok(rows
        .into_iter()
        .map(|row| UserRow {
            id: row.id,
            name: row.name,
            email: row.email,
            status: UserStatus::from_db(&row.status).unwrap_or(UserStatus::Deactivated),
        })
        .collect())
}

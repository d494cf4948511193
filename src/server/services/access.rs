//! Who may act on whom (R1, R2). Every service that touches a user calls
//! `authorize` first; the UI hiding a button is never the protection.

use crate::domain::{AppError, SessionUser};
use crate::server::{
    db::Db,
    repos::{teams, users},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    View,
    Resend,
    CopyLink,
    Revoke,
    Deactivate,
    Reactivate,
}

impl Action {
    /// SPEC §1: Team Managers may view, resend and copy links for their teams' members.
    fn allowed_to_team_managers(self) -> bool {
        matches!(self, Action::View | Action::Resend | Action::CopyLink)
    }
}

/// The user a manager acts on.
pub type Target = users::UserRecord;

pub async fn authorize(
    db: &Db,
    actor: &SessionUser,
    user_id: &str,
    action: Action,
) -> Result<Target, AppError> {
    if !actor.is_manager() {
        return Err(AppError::Forbidden);
    }
    // R2: another organisation's user and a user that does not exist get the same answer.
    let Some(target) = users::find_user_by_id(db, user_id).await? else {
        return Err(AppError::Forbidden);
    };
    if target.org_id != actor.org_id {
        return Err(AppError::Forbidden);
    }
    if actor.is_org_manager() {
        return Ok(target);
    }
    if action.allowed_to_team_managers() && is_in_managed_team(db, &actor.id, &target.id).await? {
        return Ok(target);
    }
    Err(AppError::Forbidden)
}

/// Whether `user_id` is a member of a team that `manager_id` manages.
pub async fn is_in_managed_team(
    db: &Db,
    manager_id: &str,
    user_id: &str,
) -> Result<bool, AppError> {
    Ok(teams::is_in_team_managed_by(db, manager_id, user_id).await?)
}

/// The teams of the caller's organisation named by `team_ids`, checked: all
/// exist in the organisation, and a Team Manager manages each of them (and
/// must name at least one, since they can only invite into their teams).
pub async fn authorize_teams(
    db: &Db,
    actor: &SessionUser,
    team_ids: &[String],
) -> Result<(), AppError> {
    if !actor.is_manager() {
        return Err(AppError::Forbidden);
    }
    if !actor.is_org_manager() && team_ids.is_empty() {
        return Err(AppError::invalid(
            "Choose one of your teams to invite into.",
        ));
    }
    for team_id in team_ids {
        let org_id = teams::find_team_org_id(db, team_id).await?;
        if org_id.as_deref() != Some(actor.org_id.as_str()) {
            return Err(AppError::Forbidden);
        }
        if !actor.is_org_manager() && !manages_team(db, &actor.id, team_id).await? {
            return Err(AppError::Forbidden);
        }
    }
    Ok(())
}

pub async fn manages_team(db: &Db, user_id: &str, team_id: &str) -> Result<bool, AppError> {
    Ok(teams::is_team_manager(db, team_id, user_id).await?)
}

pub fn require_org_manager(actor: &SessionUser) -> Result<(), AppError> {
    if actor.is_org_manager() {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

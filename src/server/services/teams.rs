//! Teams: Org Managers create them, add members and appoint Team Managers;
//! Team Managers see only the teams they manage (SPEC §1).

use super::{access, Engine};
use crate::domain::{teams::TeamSummary, AppError, SessionUser};
use crate::server::{
    auth::clean_name,
    new_id,
    repos::{self, audit, is_unique_violation, teams},
};

impl Engine {
    pub async fn create_team(
        &self,
        actor: &SessionUser,
        name: &str,
        now: i64,
    ) -> Result<String, AppError> {
        access::require_org_manager(actor)?;
        let name = clean_name(name, "Team name")?;
        let id = new_id();
        let mut tx = repos::begin(&self.db, "begin creating team").await?;
        teams::insert_team(&mut *tx, &id, &actor.org_id, &name, now)
            .await
            .map_err(|e| {
                if is_unique_violation(&e.source) {
                    AppError::invalid(format!("A team named “{name}” already exists."))
                } else {
                    e.into()
                }
            })?;
        audit::record(
            &mut tx,
            team_audit_entry(actor, "create_team", None, &name, now),
        )
        .await?;
        repos::commit(tx, "commit new team").await?;
        Ok(id)
    }

    /// Adds a user of the organisation to a team, optionally as its manager
    /// (or changes their manager flag if already a member).
    pub async fn add_team_member(
        &self,
        actor: &SessionUser,
        team_id: &str,
        user_id: &str,
        as_manager: bool,
        now: i64,
    ) -> Result<(), AppError> {
        access::require_org_manager(actor)?;
        access::authorize_teams(&self.db, actor, &[team_id.to_string()]).await?;
        let target = access::authorize(&self.db, actor, user_id, access::Action::View).await?;
        let team_name = teams::find_team_name(&self.db, team_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let mut tx = repos::begin(&self.db, "begin team membership change").await?;
        let was = teams::find_membership(&mut *tx, team_id, user_id).await?;
        let action = match (was, as_manager) {
            (Some(was_manager), _) if was_manager == as_manager => return Ok(()),
            (Some(_), true) | (None, true) => "appoint_team_manager",
            (Some(_), false) => "remove_team_manager",
            (None, false) => "add_team_member",
        };
        if was.is_some() {
            teams::set_manager_flag(&mut *tx, team_id, user_id, as_manager).await?;
        } else {
            teams::insert_member(&mut *tx, team_id, user_id, as_manager, now).await?;
        }
        let mut entry = team_audit_entry(actor, action, Some(&target.id), &team_name, now);
        entry.target_email = Some(&target.email);
        audit::record(&mut tx, entry).await?;
        repos::commit(tx, "commit team membership change").await?;
        if was.is_none() {
            // The team's Members tab counts one more.
            self.counts_cache.invalidate();
        }
        Ok(())
    }

    pub async fn add_team_member_by_email(
        &self,
        actor: &SessionUser,
        team_id: &str,
        email: &str,
        as_manager: bool,
        now: i64,
    ) -> Result<(), AppError> {
        access::require_org_manager(actor)?;
        // Rights on the team first: the answer must not depend on who exists.
        access::authorize_teams(&self.db, actor, &[team_id.to_string()]).await?;
        let email = crate::domain::EmailAddress::parse(email).map_err(AppError::Invalid)?;
        let Some((user_id, _)) = self.find_user_by_email(&actor.org_id, &email).await? else {
            return Err(AppError::invalid(format!(
                "No user with the email {email} in your organisation. Invite them first."
            )));
        };
        self.add_team_member(actor, team_id, &user_id, as_manager, now)
            .await
    }

    pub async fn list_teams(&self, actor: &SessionUser) -> Result<Vec<TeamSummary>, AppError> {
        if !actor.is_manager() {
            return Err(AppError::Forbidden);
        }
        // Org Managers see every team; Team Managers those they manage.
        let manager_id = (!actor.is_org_manager()).then_some(actor.id.as_str());
        let rows = teams::find_teams_of_org(&self.db, &actor.org_id, manager_id).await?;
        let mut summaries = Vec::with_capacity(rows.len());
        for row in rows {
            let managers = teams::find_manager_names(&self.db, &row.id).await?;
            summaries.push(TeamSummary {
                id: row.id,
                name: row.name,
                members: row.members,
                managers,
            });
        }
        Ok(summaries)
    }
}

/// A team change for the audit log (SPEC §7); the detail is the team's name.
fn team_audit_entry<'a>(
    actor: &'a SessionUser,
    action: &'a str,
    target_user_id: Option<&'a str>,
    team_name: &'a str,
    at: i64,
) -> audit::AuditEntry<'a> {
    let mut entry = super::invitations::audit_entry(actor, action, "", "", team_name, at);
    entry.target_user_id = target_user_id;
    entry.target_email = None;
    entry
}

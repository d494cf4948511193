//! Teams: Org Managers create them, add members and appoint Team Managers;
//! Team Managers see only the teams they manage (SPEC §1).

use super::{access, Engine};
use crate::domain::{teams::TeamSummary, AppError, SessionUser};
use crate::server::{
    auth::clean_name,
    new_id,
    repos::{audit, db_error, is_unique_violation, teams},
};
use sqlx::Row;

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
        let mut tx = self.db.begin().await.map_err(db_error)?;
        teams::insert_team(&mut *tx, &id, &actor.org_id, &name, now)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    AppError::invalid(format!("A team named “{name}” already exists."))
                } else {
                    db_error(e)
                }
            })?;
        audit::record(
            &mut tx,
            team_audit_entry(actor, "create_team", None, &name, now),
        )
        .await
        .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
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
            .await
            .map_err(db_error)?
            .ok_or(AppError::NotFound)?;
        let mut tx = self.db.begin().await.map_err(db_error)?;
        let was = teams::find_membership(&mut *tx, team_id, user_id)
            .await
            .map_err(db_error)?;
        let action = match (was, as_manager) {
            (Some(was_manager), _) if was_manager == as_manager => return Ok(()),
            (Some(_), true) | (None, true) => "appoint_team_manager",
            (Some(_), false) => "remove_team_manager",
            (None, false) => "add_team_member",
        };
        if was.is_some() {
            teams::set_manager_flag(&mut *tx, team_id, user_id, as_manager)
                .await
                .map_err(db_error)?;
        } else {
            teams::insert_member(&mut *tx, team_id, user_id, as_manager, now)
                .await
                .map_err(db_error)?;
        }
        let mut entry = team_audit_entry(actor, action, Some(&target.id), &team_name, now);
        entry.target_email = Some(&target.email);
        audit::record(&mut tx, entry).await.map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
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
        let rows = sqlx::query(
            "SELECT t.id, t.name,
                    (SELECT COUNT(*) FROM team_members m WHERE m.team_id = t.id) AS members
             FROM teams t
             WHERE t.org_id = $1
               AND ($2 = 1 OR EXISTS (SELECT 1 FROM team_members me
                                      WHERE me.team_id = t.id AND me.user_id = $3 AND me.is_manager = 1))
             ORDER BY LOWER(t.name)",
        )
        .bind(&actor.org_id)
        .bind(actor.is_org_manager() as i64)
        .bind(&actor.id)
        .fetch_all(&self.db)
        .await
        .map_err(db_error)?;
        let mut teams = Vec::with_capacity(rows.len());
        for r in rows {
            let id: String = r.try_get("id").map_err(db_error)?;
            let managers = sqlx::query(
                "SELECT u.name FROM team_members m JOIN users u ON u.id = m.user_id
                 WHERE m.team_id = $1 AND m.is_manager = 1 ORDER BY u.name",
            )
            .bind(&id)
            .fetch_all(&self.db)
            .await
            .map_err(db_error)?
            .iter()
            .map(|m| m.try_get::<String, _>(0))
            .collect::<Result<Vec<_>, _>>()
            .map_err(db_error)?;
            teams.push(TeamSummary {
                id,
                name: r.try_get("name").map_err(db_error)?,
                members: r.try_get("members").map_err(db_error)?,
                managers,
            });
        }
        Ok(teams)
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

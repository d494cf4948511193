//! Teams: Org Managers create them, add members and appoint Team Managers;
//! Team Managers see only the teams they manage (SPEC §1).

use super::{access, Engine};
use crate::domain::{teams::TeamSummary, AppError, SessionUser};
use crate::server::{
    auth::clean_name,
    new_id,
    repos::{db_error, is_unique_violation},
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
        sqlx::query("INSERT INTO teams (id, org_id, name, created_at) VALUES ($1, $2, $3, $4)")
            .bind(&id)
            .bind(&actor.org_id)
            .bind(&name)
            .bind(now)
            .execute(&self.db)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    AppError::invalid(format!("A team named “{name}” already exists."))
                } else {
                    db_error(e)
                }
            })?;
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
        access::authorize(&self.db, actor, user_id, access::Action::View).await?;
        let flag = as_manager as i64;
        let updated = sqlx::query(
            "UPDATE team_members SET is_manager = $3 WHERE team_id = $1 AND user_id = $2",
        )
        .bind(team_id)
        .bind(user_id)
        .bind(flag)
        .execute(&self.db)
        .await
        .map_err(db_error)?;
        if updated.rows_affected() == 0 {
            crate::server::repos::teams::insert_member(&self.db, team_id, user_id, as_manager, now)
                .await
                .map_err(db_error)?;
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

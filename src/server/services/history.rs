//! A user's detail panel (R21): what happened to their invitations and emails.

use super::{
    access::{self, Action},
    Engine,
};
use crate::domain::{history::UserHistory, AppError, SessionUser};
use crate::server::repos::{db_error, history};
use sqlx::Row;

impl Engine {
    /// Same rights as viewing the user in a table (R1, R2).
    pub async fn user_history(
        &self,
        actor: &SessionUser,
        user_id: &str,
        now: i64,
    ) -> Result<UserHistory, AppError> {
        let target = access::authorize(&self.db, actor, user_id, Action::View).await?;
        let times = sqlx::query("SELECT created_at, activated_at FROM users WHERE id = $1")
            .bind(&target.id)
            .fetch_one(&self.db)
            .await
            .map_err(db_error)?;
        let invitations = history::invitations(&self.db, &target.id)
            .await
            .map_err(db_error)?;
        let emails = history::emails(&self.db, &target.id)
            .await
            .map_err(db_error)?;
        let audit = history::audit(&self.db, &target.org_id, &target.id)
            .await
            .map_err(db_error)?;
        Ok(UserHistory {
            generated_at: now,
            name: target.name,
            email: target.email,
            status: target.status,
            created_at: times.try_get("created_at").map_err(db_error)?,
            activated_at: times.try_get("activated_at").map_err(db_error)?,
            invitations,
            emails,
            audit,
        })
    }
}

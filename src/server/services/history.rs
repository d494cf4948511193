//! A user's detail panel (R21): what happened to their invitations and emails.

use super::{
    access::{self, Action},
    Engine,
};
use crate::domain::{history::UserHistory, AppError, SessionUser};
use crate::server::repos::{history, users};

impl Engine {
    /// Same rights as viewing the user in a table (R1, R2).
    pub async fn user_history(
        &self,
        actor: &SessionUser,
        user_id: &str,
        now: i64,
    ) -> Result<UserHistory, AppError> {
        let target = access::authorize(&self.db, actor, user_id, Action::View).await?;
        let times = users::find_user_times(&self.db, &target.id).await?;
        let invitations = history::invitations(&self.db, &target.id).await?;
        let emails = history::emails(&self.db, &target.id).await?;
        let audit = history::audit(&self.db, &target.org_id, &target.id).await?;
        Ok(UserHistory {
            generated_at: now,
            name: target.name,
            email: target.email,
            status: target.status,
            created_at: times.created_at,
            activated_at: times.activated_at,
            invitations,
            emails,
            audit,
        })
    }
}

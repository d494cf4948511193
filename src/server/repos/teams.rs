//! Team membership rows.

use sqlx::{Any, Executor};

/// Adds `user_id` to `team_id`, as its manager or as a member.
pub async fn insert_member<'c>(
    db: impl Executor<'c, Database = Any>,
    team_id: &str,
    user_id: &str,
    is_manager: bool,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO team_members (team_id, user_id, is_manager, added_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(team_id)
    .bind(user_id)
    .bind(is_manager as i64)
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

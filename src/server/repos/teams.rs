//! Team membership rows.

use sqlx::{Any, Executor, Row};

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

pub async fn insert_team<'c>(
    db: impl Executor<'c, Database = Any>,
    id: &str,
    org_id: &str,
    name: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO teams (id, org_id, name, created_at) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(org_id)
        .bind(name)
        .bind(now)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn find_team_name<'c>(
    db: impl Executor<'c, Database = Any>,
    team_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query("SELECT name FROM teams WHERE id = $1")
        .bind(team_id)
        .fetch_optional(db)
        .await?
        .map(|row| row.try_get(0))
        .transpose()
}

/// `Some(is_manager)` when the user is in the team.
pub async fn find_membership<'c>(
    db: impl Executor<'c, Database = Any>,
    team_id: &str,
    user_id: &str,
) -> Result<Option<bool>, sqlx::Error> {
    sqlx::query("SELECT is_manager FROM team_members WHERE team_id = $1 AND user_id = $2")
        .bind(team_id)
        .bind(user_id)
        .fetch_optional(db)
        .await?
        .map(|row| row.try_get::<i64, _>(0).map(|flag| flag != 0))
        .transpose()
}

pub async fn set_manager_flag<'c>(
    db: impl Executor<'c, Database = Any>,
    team_id: &str,
    user_id: &str,
    is_manager: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE team_members SET is_manager = $3 WHERE team_id = $1 AND user_id = $2")
        .bind(team_id)
        .bind(user_id)
        .bind(is_manager as i64)
        .execute(db)
        .await?;
    Ok(())
}

use super::{RepoError, Step};
use crate::domain::{Role, SessionUser};
use sqlx::{Any, AnyPool, Executor};

pub async fn insert_session<'c>(
    db: impl Executor<'c, Database = Any>,
    token_hash: &str,
    user_id: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), RepoError> {
    sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(token_hash)
        .bind(user_id)
        .bind(now)
        .bind(expires_at)
        .execute(db)
        .await
        .step("insert session")?;
    Ok(())
}

pub async fn delete_session<'c>(
    db: impl Executor<'c, Database = Any>,
    token_hash: &str,
) -> Result<(), RepoError> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(db)
        .await
        .step("delete session")?;
    Ok(())
}

pub async fn delete_sessions_of_user<'c>(
    db: impl Executor<'c, Database = Any>,
    user_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn delete_expired_sessions<'c>(
    db: impl Executor<'c, Database = Any>,
    now: i64,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now)
        .execute(db)
        .await?
        .rows_affected())
}

/// The user behind a live session, only while that user is Active (R18: a
/// deactivated user's sessions stop working at once). Every request that is
/// signed in asks this, some twice (the page and its server functions), so it
/// is one statement: a row per team the user manages, or one row with no team.
pub async fn find_session_user(
    db: &AnyPool,
    token_hash: &str,
    now: i64,
) -> Result<Option<SessionUser>, RepoError> {
    #[derive(sqlx::FromRow)]
    struct SessionRow {
        id: String,
        name: String,
        email: String,
        role: Role,
        org_id: String,
        org_name: String,
        team_id: Option<String>,
    }
    let rows: Vec<SessionRow> = sqlx::query_as(
        "SELECT u.id, u.name, u.email, u.role, u.org_id, o.name AS org_name, tm.team_id
         FROM sessions s
         JOIN users u ON u.id = s.user_id
         JOIN organisations o ON o.id = u.org_id
         LEFT JOIN team_members tm ON tm.user_id = u.id AND tm.is_manager = 1
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.status = 'active'
         ORDER BY tm.team_id",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_all(db)
    .await
    .step("find session user")?;
    let managed_team_ids = rows.iter().filter_map(|r| r.team_id.clone()).collect();
    Ok(rows.into_iter().next().map(|row| SessionUser {
        id: row.id,
        name: row.name,
        email: row.email,
        role: row.role,
        org_id: row.org_id,
        org_name: row.org_name,
        managed_team_ids,
    }))
}

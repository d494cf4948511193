use crate::domain::{Role, SessionUser};
use sqlx::{Any, AnyPool, Executor, Row};

pub async fn insert_session<'c>(
    db: impl Executor<'c, Database = Any>,
    token_hash: &str,
    user_id: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(token_hash)
        .bind(user_id)
        .bind(now)
        .bind(expires_at)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn delete_session<'c>(
    db: impl Executor<'c, Database = Any>,
    token_hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(db)
        .await?;
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
/// deactivated user's sessions stop working at once).
pub async fn find_session_user(
    db: &AnyPool,
    token_hash: &str,
    now: i64,
) -> Result<Option<SessionUser>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT u.id, u.name, u.email, u.role, u.org_id, o.name AS org_name
         FROM sessions s
         JOIN users u ON u.id = s.user_id
         JOIN organisations o ON o.id = u.org_id
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.status = 'active'",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(db)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let id: String = row.try_get("id")?;
    let managed_team_ids = sqlx::query(
        "SELECT team_id FROM team_members WHERE user_id = $1 AND is_manager = 1 ORDER BY team_id",
    )
    .bind(&id)
    .fetch_all(db)
    .await?
    .iter()
    .map(|r| r.try_get::<String, _>(0))
    .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(SessionUser {
        id,
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        role: Role::from_db(&row.try_get::<String, _>("role")?).unwrap_or(Role::Member),
        org_id: row.try_get("org_id")?,
        org_name: row.try_get("org_name")?,
        managed_team_ids,
    }))
}

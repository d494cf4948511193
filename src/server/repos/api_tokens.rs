//! API tokens: stored by the hash of their secret, listed per organisation.

use super::{RepoError, Step};
use sqlx::{Any, Executor};

pub struct NewApiToken<'a> {
    pub id: &'a str,
    pub org_id: &'a str,
    pub name: &'a str,
    pub token_hash: &'a str,
    pub token_end: &'a str,
    pub created_by_id: &'a str,
    pub created_by_name: &'a str,
    pub created_at: i64,
    pub expires_at: Option<i64>,
}

pub async fn insert_api_token<'c>(
    db: impl Executor<'c, Database = Any>,
    token: NewApiToken<'_>,
) -> Result<(), RepoError> {
    sqlx::query(
        "INSERT INTO api_tokens (id, org_id, name, token_hash, token_end, created_by_id,
                                 created_by_name, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(token.id)
    .bind(token.org_id)
    .bind(token.name)
    .bind(token.token_hash)
    .bind(token.token_end)
    .bind(token.created_by_id)
    .bind(token.created_by_name)
    .bind(token.created_at)
    .bind(token.expires_at)
    .execute(db)
    .await
    .step("insert API token")?;
    Ok(())
}

#[derive(Debug, sqlx::FromRow)]
pub struct ApiTokenRow {
    pub id: String,
    pub name: String,
    pub token_end: String,
    pub created_by_name: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// The organisation's tokens, newest first.
pub async fn find_api_tokens_of_org<'c>(
    db: impl Executor<'c, Database = Any>,
    org_id: &str,
) -> Result<Vec<ApiTokenRow>, RepoError> {
    sqlx::query_as(
        "SELECT id, name, token_end, created_by_name, created_at, expires_at, last_used_at,
                revoked_at
         FROM api_tokens WHERE org_id = $1 ORDER BY created_at DESC, id",
    )
    .bind(org_id)
    .fetch_all(db)
    .await
    .step("find API tokens of organisation")
}

/// Revokes a token of this organisation; `None` if there is none by that
/// id here, else its name.
pub async fn revoke_api_token<'c>(
    db: impl Executor<'c, Database = Any>,
    org_id: &str,
    id: &str,
    now: i64,
) -> Result<Option<String>, RepoError> {
    let row: Option<(String,)> = sqlx::query_as(
        "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $3)
         WHERE org_id = $1 AND id = $2 RETURNING name",
    )
    .bind(org_id)
    .bind(id)
    .bind(now)
    .fetch_optional(db)
    .await
    .step("revoke API token")?;
    Ok(row.map(|(name,)| name))
}

/// The token a request presents, with its organisation's name.
#[derive(Debug, sqlx::FromRow)]
pub struct PresentedToken {
    pub id: String,
    pub org_id: String,
    pub org_name: String,
    pub name: String,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

pub async fn find_api_token_by_hash<'c>(
    db: impl Executor<'c, Database = Any>,
    token_hash: &str,
) -> Result<Option<PresentedToken>, RepoError> {
    sqlx::query_as(
        "SELECT t.id, t.org_id, o.name AS org_name, t.name, t.expires_at, t.revoked_at,
                t.last_used_at
         FROM api_tokens t JOIN organisations o ON o.id = t.org_id
         WHERE t.token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(db)
    .await
    .step("find API token by hash")
}

pub async fn record_api_token_use<'c>(
    db: impl Executor<'c, Database = Any>,
    id: &str,
    now: i64,
) -> Result<(), RepoError> {
    sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(db)
        .await
        .step("record API token use")?;
    Ok(())
}

//! The organisation: first run and its sign-in settings.

use super::{RepoError, Step};
use crate::domain::sso::SignInMethod;
use sqlx::{Any, Executor};

pub async fn count_organisations<'c>(
    db: impl Executor<'c, Database = Any>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM organisations")
        .fetch_one(db)
        .await
}

pub async fn insert_organisation<'c>(
    db: impl Executor<'c, Database = Any>,
    id: &str,
    name: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO organisations (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(name)
        .bind(now)
        .execute(db)
        .await?;
    Ok(())
}

/// Inserts the single row of `first_run`; `false` when it is already there
/// (first run happened, or a racing one holds it).
pub async fn claim_first_run(
    conn: &mut sqlx::AnyConnection,
    now: i64,
) -> Result<bool, sqlx::Error> {
    match sqlx::query("INSERT INTO first_run (id, done_at) VALUES (1, $1)")
        .bind(now)
        .execute(conn)
        .await
    {
        Ok(_) => Ok(true),
        Err(e) if super::is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The organisation's OpenID Connect client secret. Server-only: never
/// `Serialize`, and its `Debug` is redacted so a log line cannot carry it.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientSecret(String);

impl ClientSecret {
    pub fn new(secret: impl Into<String>) -> Self {
        ClientSecret(secret.into())
    }

    /// The secret itself, for the token request to the provider only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientSecret(<redacted>)")
    }
}

/// How an organisation signs in, with its provider settings (server-only:
/// carries the client secret).
#[derive(Debug, Clone)]
pub struct SignInConfig {
    pub method: SignInMethod,
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<ClientSecret>,
}

#[derive(sqlx::FromRow)]
struct SignInConfigRow {
    sign_in_method: SignInMethod,
    oidc_issuer: Option<String>,
    oidc_client_id: Option<String>,
    oidc_client_secret: Option<String>,
}

pub async fn find_sign_in_config<'c>(
    db: impl Executor<'c, Database = Any>,
    org_id: &str,
) -> Result<Option<SignInConfig>, RepoError> {
    let row: Option<SignInConfigRow> = sqlx::query_as(
        "SELECT sign_in_method, oidc_issuer, oidc_client_id, oidc_client_secret
         FROM organisations WHERE id = $1",
    )
    .bind(org_id)
    .fetch_optional(db)
    .await
    .step("find sign-in settings")?;
    Ok(row.map(|row| SignInConfig {
        method: row.sign_in_method,
        issuer: row.oidc_issuer,
        client_id: row.oidc_client_id,
        client_secret: row.oidc_client_secret.map(ClientSecret),
    }))
}

#[derive(sqlx::FromRow)]
struct Method {
    sign_in_method: SignInMethod,
}

/// The sign-in method of the organisation that first run created: Roster
/// serves one organisation, and anonymous visitors (the sign-in page) have
/// no other to ask about. `None` before first run.
pub async fn find_first_organisation_sign_in_method<'c>(
    db: impl Executor<'c, Database = Any>,
) -> Result<Option<SignInMethod>, RepoError> {
    let row: Option<Method> =
        sqlx::query_as("SELECT sign_in_method FROM organisations ORDER BY created_at, id LIMIT 1")
            .fetch_optional(db)
            .await
            .step("find first organisation's sign-in method")?;
    Ok(row.map(|row| row.sign_in_method))
}

pub async fn find_sign_in_method<'c>(
    db: impl Executor<'c, Database = Any>,
    org_id: &str,
) -> Result<Option<SignInMethod>, RepoError> {
    let row: Option<Method> =
        sqlx::query_as("SELECT sign_in_method FROM organisations WHERE id = $1")
            .bind(org_id)
            .fetch_optional(db)
            .await
            .step("find sign-in method")?;
    Ok(row.map(|row| row.sign_in_method))
}

/// Switches to passwords; the provider settings stay for a switch back.
pub async fn update_sign_in_method<'c>(
    db: impl Executor<'c, Database = Any>,
    org_id: &str,
    method: SignInMethod,
) -> Result<(), RepoError> {
    sqlx::query("UPDATE organisations SET sign_in_method = $2 WHERE id = $1")
        .bind(org_id)
        .bind(method.as_db())
        .execute(db)
        .await
        .step("update sign-in method")?;
    Ok(())
}

/// Switches to single sign-on at `issuer`. `client_secret` `None` keeps the
/// stored secret.
pub async fn update_sso_settings<'c>(
    db: impl Executor<'c, Database = Any>,
    org_id: &str,
    issuer: &str,
    client_id: &str,
    client_secret: Option<&ClientSecret>,
) -> Result<(), RepoError> {
    sqlx::query(
        "UPDATE organisations
         SET sign_in_method = $2, oidc_issuer = $3, oidc_client_id = $4,
             oidc_client_secret = COALESCE($5, oidc_client_secret)
         WHERE id = $1",
    )
    .bind(org_id)
    .bind(SignInMethod::Sso.as_db())
    .bind(issuer)
    .bind(client_id)
    .bind(client_secret.map(ClientSecret::expose))
    .execute(db)
    .await
    .step("update SSO settings")?;
    Ok(())
}

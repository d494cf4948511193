//! Single sign-on (R17): the authorization-code flows in progress
//! (`sso_requests`) and the provider's `sub` on user rows. The
//! organisation's provider settings are in `orgs`.

use super::{users::UserIdAndStatus, RepoError, Step};
use crate::domain::sso::SignInMethod;
use sqlx::{Any, AnyConnection, Executor};

/// The organisation that signs in through single sign-on, for `/login`.
/// Roster serves one organisation per deployment, so this is it when it
/// uses SSO; should there ever be more, the oldest wins.
pub async fn find_sso_organisation_id<'c>(
    db: impl Executor<'c, Database = Any>,
) -> Result<Option<String>, RepoError> {
    #[derive(sqlx::FromRow)]
    struct Id {
        id: String,
    }
    let row: Option<Id> = sqlx::query_as(
        "SELECT id FROM organisations WHERE sign_in_method = $1 ORDER BY created_at, id LIMIT 1",
    )
    .bind(SignInMethod::Sso.as_db())
    .fetch_optional(db)
    .await
    .step("find the SSO organisation")?;
    Ok(row.map(|row| row.id))
}

/// The issuer of the organisation that signs in through SSO, if any: pages
/// must allow their forms to lead there (CSP `form-action`).
pub async fn find_sso_issuer<'c>(
    db: impl Executor<'c, Database = Any>,
) -> Result<Option<String>, RepoError> {
    #[derive(sqlx::FromRow)]
    struct Issuer {
        oidc_issuer: Option<String>,
    }
    let row: Option<Issuer> = sqlx::query_as(
        "SELECT oidc_issuer FROM organisations WHERE sign_in_method = $1 ORDER BY created_at, id LIMIT 1",
    )
    .bind(SignInMethod::Sso.as_db())
    .fetch_optional(db)
    .await
    .step("find the SSO issuer")?;
    Ok(row.and_then(|row| row.oidc_issuer))
}

/// What a flow is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SsoPurpose {
    /// Accepting an invitation (the request names the link).
    Invite,
    /// Signing in to an existing account.
    Login,
}

impl SsoPurpose {
    pub fn as_db(self) -> &'static str {
        match self {
            SsoPurpose::Invite => "invite",
            SsoPurpose::Login => "login",
        }
    }

    pub fn from_db(value: &str) -> Option<Self> {
        match value {
            "invite" => Some(SsoPurpose::Invite),
            "login" => Some(SsoPurpose::Login),
            _ => None,
        }
    }
}

pub struct NewSsoRequest<'a> {
    pub state: &'a str,
    pub org_id: &'a str,
    pub purpose: SsoPurpose,
    pub link_id: Option<&'a str>,
    pub browser_hash: &'a str,
    pub nonce: &'a str,
    pub pkce_verifier: &'a str,
    pub next_path: Option<&'a str>,
    pub now: i64,
}

pub async fn insert_sso_request<'c>(
    db: impl Executor<'c, Database = Any>,
    request: NewSsoRequest<'_>,
) -> Result<(), RepoError> {
    sqlx::query(
        "INSERT INTO sso_requests (state, org_id, purpose, link_id, browser_hash, nonce, pkce_verifier, next_path, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(request.state)
    .bind(request.org_id)
    .bind(request.purpose.as_db())
    .bind(request.link_id)
    .bind(request.browser_hash)
    .bind(request.nonce)
    .bind(request.pkce_verifier)
    .bind(request.next_path)
    .bind(request.now)
    .execute(db)
    .await
    .step("insert SSO request")?;
    Ok(())
}

/// A flow claimed at the callback. Server-only (nonce, PKCE verifier).
#[derive(sqlx::FromRow)]
pub struct SsoRequest {
    pub org_id: String,
    pub purpose: SsoPurpose,
    pub link_id: Option<String>,
    pub nonce: String,
    pub pkce_verifier: String,
    pub next_path: Option<String>,
}

/// Marks the flow `state` used, if it is unused, started at or after
/// `started_after` and bound to this browser; returns it. Of two callbacks
/// with the same `state` only one gets it, so a replayed answer is refused
/// before its code is ever sent to the provider.
pub async fn claim_sso_request(
    conn: &mut AnyConnection,
    state: &str,
    browser_hash: &str,
    started_after: i64,
    now: i64,
) -> Result<Option<SsoRequest>, RepoError> {
    sqlx::query_as(
        "UPDATE sso_requests SET used_at = $4
         WHERE state = $1 AND browser_hash = $2 AND created_at > $3 AND used_at IS NULL
         RETURNING org_id, purpose, link_id, nonce, pkce_verifier, next_path",
    )
    .bind(state)
    .bind(browser_hash)
    .bind(started_after)
    .bind(now)
    .fetch_optional(conn)
    .await
    .step("claim SSO request")
}

/// Flows started before `before` are over (used or abandoned).
pub async fn delete_sso_requests_started_before<'c>(
    db: impl Executor<'c, Database = Any>,
    before: i64,
) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM sso_requests WHERE created_at < $1")
            .bind(before)
            .execute(db)
            .await?
            .rows_affected(),
    )
}

pub async fn find_user_by_sso_subject<'c>(
    db: impl Executor<'c, Database = Any>,
    org_id: &str,
    subject: &str,
) -> Result<Option<UserIdAndStatus>, RepoError> {
    sqlx::query_as("SELECT id, status FROM users WHERE org_id = $1 AND sso_subject = $2")
        .bind(org_id)
        .bind(subject)
        .fetch_optional(db)
        .await
        .step("find user by SSO subject")
}

/// Users of the organisation with this (normalised) email and no provider
/// identity yet, oldest first.
pub async fn find_unlinked_users_by_email<'c>(
    db: impl Executor<'c, Database = Any>,
    org_id: &str,
    email: &str,
) -> Result<Vec<UserIdAndStatus>, RepoError> {
    sqlx::query_as(
        "SELECT id, status FROM users
         WHERE org_id = $1 AND email = $2 AND sso_subject IS NULL
         ORDER BY created_at, id",
    )
    .bind(org_id)
    .bind(email)
    .fetch_all(db)
    .await
    .step("find unlinked users by email")
}

/// Stores the provider's `sub` on a user who has none; `false` if the user
/// got one meanwhile. Fails with a unique violation if another user of the
/// organisation has this `sub`.
pub async fn set_sso_subject<'c>(
    db: impl Executor<'c, Database = Any>,
    user_id: &str,
    subject: &str,
) -> Result<bool, RepoError> {
    let done =
        sqlx::query("UPDATE users SET sso_subject = $2 WHERE id = $1 AND sso_subject IS NULL")
            .bind(user_id)
            .bind(subject)
            .execute(db)
            .await
            .step("set SSO subject")?;
    Ok(done.rows_affected() == 1)
}

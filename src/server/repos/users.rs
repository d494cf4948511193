//! User rows: inserting, finding and changing the status of users.

use super::{
    batch::{insert_one, table_row},
    sql::Sql,
    RepoError, Step,
};
use crate::domain::{Role, UserStatus};
use sqlx::{Any, Executor};
use std::collections::HashMap;

pub struct NewUser<'a> {
    pub id: &'a str,
    pub org_id: &'a str,
    pub email: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub status: UserStatus,
    pub password_hash: Option<&'a str>,
    pub now: i64,
}

pub async fn insert_user<'c>(
    db: impl Executor<'c, Database = Any>,
    user: NewUser<'_>,
) -> Result<(), sqlx::Error> {
    let activated_at = (user.status == UserStatus::Active).then_some(user.now);
    insert_one(
        db,
        UserRow {
            id: user.id.to_string(),
            org_id: user.org_id.to_string(),
            email: user.email.to_string(),
            name: user.name.to_string(),
            role: user.role.as_db(),
            status: user.status.as_db(),
            password_hash: user.password_hash.map(str::to_string),
            created_at: user.now,
            activated_at,
            ..UserRow::default()
        },
    )
    .await
}

table_row!(
    /// A whole `users` row, as every writer makes it (first run, invite,
    /// bulk invite, the demo). Server-only: carries the password hash.
    UserRow in "users" {
    id: String,
    org_id: String,
    email: String,
    name: String,
    role: &'static str,
    status: &'static str,
    password_hash: Option<String>,
    time_zone: Option<String>,
    created_at: i64,
    activated_at: Option<i64>,
    /// The profile step (R6): terms and profile are done together.
    terms_accepted_at: Option<i64>,
    onboarded_at: Option<i64>,
    /// The working link's expiry, kept on the user row (migration 0003).
    link_expires_at: Option<i64>,
    /// The newest invitation email's time (migration 0007), written with
    /// the user when the invitation is made at the same moment, so the
    /// invitation's trigger has nothing to change.
    last_sent_at: i64,
});

/// A user's status, by address.
#[derive(sqlx::FromRow)]
struct EmailStatus {
    email: String,
    status: UserStatus,
}

/// The statuses of the organisation's users among `emails` (bulk invite).
pub async fn find_statuses_by_email<'c, E>(
    db: E,
    org_id: &str,
    emails: &[String],
) -> Result<HashMap<String, UserStatus>, RepoError>
where
    E: Executor<'c, Database = Any> + Copy,
{
    let mut found = HashMap::new();
    for chunk in emails.chunks(500) {
        let mut sql = Sql::new("SELECT email, status FROM users WHERE org_id = ");
        sql.push_bind(org_id).push(" AND email IN (");
        sql.push_list(chunk.iter().map(String::as_str)).push(")");
        let rows: Vec<EmailStatus> = sql
            .query_as()
            .fetch_all(db)
            .await
            .step("find statuses of addresses")?;
        found.extend(rows.into_iter().map(|row| (row.email, row.status)));
    }
    Ok(found)
}

/// Server-only: carries the password hash, so it is never `Serialize`.
#[derive(sqlx::FromRow)]
pub struct Credentials {
    #[sqlx(rename = "id")]
    pub user_id: String,
    pub status: UserStatus,
    pub password_hash: Option<String>,
    /// The identity provider's `sub`, once the user signed in through it.
    pub sso_subject: Option<String>,
}

pub async fn find_credentials_by_email<'c>(
    db: impl Executor<'c, Database = Any>,
    email: &str,
) -> Result<Vec<Credentials>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, status, password_hash, sso_subject FROM users WHERE email = $1 ORDER BY created_at",
    )
    .bind(email)
    .fetch_all(db)
    .await
}

/// A user as managers act on them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRecord {
    pub id: String,
    pub org_id: String,
    pub email: String,
    pub name: String,
    pub status: UserStatus,
}

pub async fn find_user_by_id<'c>(
    db: impl Executor<'c, Database = Any>,
    user_id: &str,
) -> Result<Option<UserRecord>, RepoError> {
    sqlx::query_as("SELECT id, org_id, email, name, status FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(db)
        .await
        .step("find user by id")
}

/// A user as sign-in and invitations match them (by email, by `sub`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UserIdAndStatus {
    pub id: String,
    pub status: UserStatus,
}

pub async fn find_user_by_email<'c>(
    db: impl Executor<'c, Database = Any>,
    org_id: &str,
    email: &str,
) -> Result<Option<UserIdAndStatus>, RepoError> {
    sqlx::query_as("SELECT id, status FROM users WHERE org_id = $1 AND email = $2")
        .bind(org_id)
        .bind(email)
        .fetch_optional(db)
        .await
        .step("find user by email")
}

#[derive(Debug, sqlx::FromRow)]
pub struct UserTimes {
    pub created_at: i64,
    pub activated_at: Option<i64>,
}

pub async fn find_user_times<'c>(
    db: impl Executor<'c, Database = Any>,
    user_id: &str,
) -> Result<UserTimes, RepoError> {
    sqlx::query_as("SELECT created_at, activated_at FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_one(db)
        .await
        .step("find user times")
}

/// R23: a revoked invitee leaves the users list; a user who is no longer
/// Invited stays.
pub async fn delete_invited_user<'c>(
    db: impl Executor<'c, Database = Any>,
    user_id: &str,
) -> Result<(), RepoError> {
    sqlx::query("DELETE FROM users WHERE id = $1 AND status = $2")
        .bind(user_id)
        .bind(UserStatus::Invited.as_db())
        .execute(db)
        .await
        .step("delete revoked invited user")?;
    Ok(())
}

pub async fn deactivate_user<'c>(
    db: impl Executor<'c, Database = Any>,
    user_id: &str,
) -> Result<(), RepoError> {
    sqlx::query("UPDATE users SET status = $2 WHERE id = $1")
        .bind(user_id)
        .bind(UserStatus::Deactivated.as_db())
        .execute(db)
        .await
        .step("deactivate user")?;
    Ok(())
}

/// R18: back to Active if they had registered (a password), else Invited.
/// Returns the status they now have.
pub async fn reactivate_user<'c>(
    db: impl Executor<'c, Database = Any>,
    user_id: &str,
) -> Result<UserStatus, RepoError> {
    #[derive(sqlx::FromRow)]
    struct Status {
        status: UserStatus,
    }
    let row: Status = sqlx::query_as(
        "UPDATE users SET status = CASE WHEN password_hash IS NULL THEN $2 ELSE $3 END
         WHERE id = $1 RETURNING status",
    )
    .bind(user_id)
    .bind(UserStatus::Invited.as_db())
    .bind(UserStatus::Active.as_db())
    .fetch_one(db)
    .await
    .step("reactivate user")?;
    Ok(row.status)
}

/// The profile step after registration (R6).
pub async fn update_profile<'c>(
    db: impl Executor<'c, Database = Any>,
    user_id: &str,
    name: &str,
    time_zone: &str,
    now: i64,
) -> Result<(), RepoError> {
    sqlx::query(
        "UPDATE users SET name = $2, time_zone = $3, terms_accepted_at = $4, onboarded_at = $4 WHERE id = $1",
    )
    .bind(user_id)
    .bind(name)
    .bind(time_zone)
    .bind(now)
    .execute(db)
    .await
    .step("update user profile")?;
    Ok(())
}

use crate::domain::{Role, UserStatus};
use sqlx::{Any, Executor, Row};

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
    sqlx::query(
        "INSERT INTO users (id, org_id, email, name, role, status, password_hash, created_at, activated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(user.id)
    .bind(user.org_id)
    .bind(user.email)
    .bind(user.name)
    .bind(user.role.as_db())
    .bind(user.status.as_db())
    .bind(user.password_hash)
    .bind(user.now)
    .bind(activated_at)
    .execute(db)
    .await?;
    Ok(())
}

/// Server-only: carries the password hash, so it is never `Serialize`.
pub struct Credentials {
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
    let rows = sqlx::query(
        "SELECT id, status, password_hash, sso_subject FROM users WHERE email = $1 ORDER BY created_at",
    )
    .bind(email)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Credentials {
                user_id: row.try_get("id")?,
                status: UserStatus::from_db(&row.try_get::<String, _>("status")?)
                    .unwrap_or(UserStatus::Deactivated),
                password_hash: row.try_get("password_hash")?,
                sso_subject: row.try_get("sso_subject")?,
            })
        })
        .collect()
}

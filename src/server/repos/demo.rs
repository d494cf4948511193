//! SQL of the demo-data command (`roster demo`): what it checks before it
//! writes. The rows it fills are the tables' own row records (`UserRow`,
//! `InvitationRow`, … next to their repos), written with
//! `batch::insert_many` like a bulk invite's, so demo data reads like data
//! the app made.

use crate::domain::{Role, UserStatus};
use sqlx::{Any, AnyConnection, Executor};

/// The first email in the database whose domain is none of `domains` (nor
/// a subdomain of one): a user the demo did not make.
pub async fn find_email_outside_domains<'c>(
    db: impl Executor<'c, Database = Any>,
    domains: &[&str],
) -> Result<Option<String>, sqlx::Error> {
    let conditions: Vec<String> = (0..domains.len())
        .map(|n| format!("email LIKE ${} OR email LIKE ${}", 2 * n + 1, 2 * n + 2))
        .collect();
    let sql = format!(
        "SELECT email FROM users WHERE NOT ({}) ORDER BY created_at, id LIMIT 1",
        conditions.join(" OR ")
    );
    let mut query = sqlx::query_scalar(&sql);
    for domain in domains {
        query = query
            .bind(format!("%@{domain}"))
            .bind(format!("%.{domain}"));
    }
    query.fetch_optional(db).await
}

#[derive(sqlx::FromRow)]
pub struct OrganisationRecord {
    pub id: String,
    pub name: String,
}

/// The organisation first run made (Roster serves one).
pub async fn find_first_organisation<'c>(
    db: impl Executor<'c, Database = Any>,
) -> Result<Option<OrganisationRecord>, sqlx::Error> {
    sqlx::query_as("SELECT id, name FROM organisations ORDER BY created_at, id LIMIT 1")
        .fetch_optional(db)
        .await
}

/// Server-only: carries the password hash.
#[derive(sqlx::FromRow)]
pub struct OrgManagerRecord {
    pub id: String,
    pub name: String,
    pub email: String,
    pub password_hash: Option<String>,
}

/// The organisation's longest-serving active Org Manager.
pub async fn find_first_active_org_manager<'c>(
    db: impl Executor<'c, Database = Any>,
    org_id: &str,
) -> Result<Option<OrgManagerRecord>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, name, email, password_hash FROM users
         WHERE org_id = $1 AND role = $2 AND status = $3 ORDER BY created_at, id LIMIT 1",
    )
    .bind(org_id)
    .bind(Role::OrgManager.as_db())
    .bind(UserStatus::Active.as_db())
    .fetch_optional(db)
    .await
}

/// Every address in the organisation, of users and of invitations (revoked
/// ones included): new demo addresses must differ from all of them.
pub async fn find_addresses_of_org<'c>(
    db: impl Executor<'c, Database = Any>,
    org_id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT email FROM users WHERE org_id = $1 UNION SELECT email FROM invitations WHERE org_id = $1",
    )
    .bind(org_id)
    .fetch_all(db)
    .await
}

/// The organisation's teams as `(id, name)`.
pub async fn find_teams_of_org<'c>(
    db: impl Executor<'c, Database = Any>,
    org_id: &str,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as("SELECT id, name FROM teams WHERE org_id = $1")
        .bind(org_id)
        .fetch_all(db)
        .await
}

/// How a SQLite connection writes a bulk load, or (`false`) SQLite's
/// defaults again. A bigger page cache (the default, 2 MiB, holds a few
/// thousand pages) keeps a dozen indexes' pages in memory instead of
/// writing the same pages out again and again; statement journals (each
/// multi-row INSERT keeps one, to undo itself alone) stay in memory
/// instead of temporary files. Nothing on Postgres: its cache is the
/// server's.
pub async fn tune_sqlite_for_bulk_writes(
    conn: &mut AnyConnection,
    bulk: bool,
) -> Result<(), sqlx::Error> {
    if conn.backend_name() != "SQLite" {
        return Ok(());
    }
    let pragmas = if bulk {
        "PRAGMA cache_size = -262144; PRAGMA temp_store = MEMORY"
    } else {
        "PRAGMA cache_size = -32768; PRAGMA temp_store = DEFAULT"
    };
    conn.execute(pragmas).await?;
    Ok(())
}

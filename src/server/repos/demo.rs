//! SQL of the demo-data command (`roster demo`): what it checks before it
//! writes, and whole rows of every table it fills, written in batches.
//!
//! A row type's fields are its table's columns, named once: the macro
//! `table_row!` makes the struct, the column list and the values from the
//! same names, in the same order. The rows carry every column the real
//! writers set (invite, bulk invite, registration, the outbox worker), so
//! demo data reads like data the app made.

use super::batch::{insert_rows, Value};
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

/// A row of one table: its name, its columns and its values, in one order.
pub trait TableRow {
    const TABLE: &'static str;
    const COLUMNS: &'static [&'static str];
    fn values(self) -> Vec<Value>;
}

/// Multi-row INSERTs of `rows` (a few hundred values per statement).
pub async fn insert<R: TableRow>(
    conn: &mut AnyConnection,
    rows: Vec<R>,
) -> Result<(), sqlx::Error> {
    let values = rows.into_iter().map(TableRow::values).collect();
    insert_rows(conn, R::TABLE, R::COLUMNS, values).await
}

/// `pub struct $row { $column: $type, … }` written to `$table`, the fields
/// being the columns.
macro_rules! table_row {
    ($(#[$doc:meta])* $row:ident in $table:literal { $($(#[$field_doc:meta])* $column:ident: $type:ty,)* }) => {
        $(#[$doc])*
        #[derive(Default)]
        pub struct $row {
            $($(#[$field_doc])* pub $column: $type,)*
        }

        impl TableRow for $row {
            const TABLE: &'static str = $table;
            const COLUMNS: &'static [&'static str] = &[$(stringify!($column)),*];
            fn values(self) -> Vec<Value> {
                vec![$(self.$column.into()),*]
            }
        }
    };
}

table_row!(TeamRow in "teams" {
    id: String,
    org_id: String,
    name: String,
    created_at: i64,
});

table_row!(
    /// Server-only: carries the password hash.
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
    /// The newest invitation email's time (migration 0007, whose triggers
    /// would otherwise set it row by row).
    last_sent_at: i64,
});

table_row!(InvitationRow in "invitations" {
    id: String,
    org_id: String,
    /// `None` once the user was deleted (a revoked invitation, R23).
    user_id: Option<String>,
    email: String,
    status: &'static str,
    invited_by_id: String,
    invited_by_name: String,
    first_sent_at: i64,
    last_sent_at: i64,
    last_sent_by_id: String,
    last_sent_by_name: String,
    created_at: i64,
    closed_at: Option<i64>,
});

table_row!(LinkRow in "invite_links" {
    id: String,
    invitation_id: String,
    token_hash: String,
    token_end: String,
    kind: &'static str,
    state: &'static str,
    failed_confirmations: i64,
    email_confirmed_at: Option<i64>,
    created_at: i64,
    expires_at: i64,
});

table_row!(
    /// An email of the outbox after the worker is done with it.
    EmailRow in "outbox" {
    id: String,
    org_id: String,
    invitation_id: String,
    to_address: String,
    subject: String,
    body_text: String,
    body_html: String,
    status: &'static str,
    attempts: i64,
    next_attempt_at: i64,
    claimed_until: i64,
    created_at: i64,
    sent_at: Option<i64>,
    last_result: String,
});

table_row!(AttemptRow in "delivery_attempts" {
    id: String,
    outbox_id: String,
    attempted_at: i64,
    succeeded: bool,
    reply: String,
});

table_row!(MemberRow in "team_members" {
    team_id: String,
    user_id: String,
    is_manager: bool,
    added_at: i64,
});

table_row!(AuditRow in "audit_log" {
    id: String,
    org_id: String,
    actor_id: Option<String>,
    actor_name: String,
    action: &'static str,
    target_user_id: Option<String>,
    target_email: Option<String>,
    detail: String,
    at: i64,
});

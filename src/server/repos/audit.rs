//! The audit log (SPEC §7): who did what to whom, and when.

use super::{RepoError, Step};
use sqlx::AnyConnection;

pub struct AuditEntry<'a> {
    pub org_id: &'a str,
    pub actor_id: Option<&'a str>,
    pub actor_name: &'a str,
    pub action: &'a str,
    pub target_user_id: Option<&'a str>,
    pub target_email: Option<&'a str>,
    pub detail: &'a str,
    pub at: i64,
}

pub async fn record(conn: &mut AnyConnection, entry: AuditEntry<'_>) -> Result<(), RepoError> {
    sqlx::query(
        "INSERT INTO audit_log (id, org_id, actor_id, actor_name, action, target_user_id, target_email, detail, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(crate::server::new_id())
    .bind(entry.org_id)
    .bind(entry.actor_id)
    .bind(entry.actor_name)
    .bind(entry.action)
    .bind(entry.target_user_id)
    .bind(entry.target_email)
    .bind(entry.detail)
    .bind(entry.at)
    .execute(conn)
    .await
    .step("record audit entry")?;
    Ok(())
}

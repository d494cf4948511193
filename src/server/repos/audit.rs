//! The audit log (SPEC §7): who did what to whom, and when.

use super::{
    batch::{insert_one, table_row},
    RepoError, Step,
};
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

table_row!(
    /// A whole `audit_log` row, as every writer makes it.
    AuditRow in "audit_log" {
    id: String,
    org_id: String,
    actor_id: Option<String>,
    actor_name: String,
    action: String,
    target_user_id: Option<String>,
    target_email: Option<String>,
    detail: String,
    at: i64,
});

impl AuditEntry<'_> {
    /// The entry's row, with a new id.
    pub fn into_row(self) -> AuditRow {
        AuditRow {
            id: crate::server::new_id(),
            org_id: self.org_id.to_string(),
            actor_id: self.actor_id.map(str::to_string),
            actor_name: self.actor_name.to_string(),
            action: self.action.to_string(),
            target_user_id: self.target_user_id.map(str::to_string),
            target_email: self.target_email.map(str::to_string),
            detail: self.detail.to_string(),
            at: self.at,
        }
    }
}

pub async fn record(conn: &mut AnyConnection, entry: AuditEntry<'_>) -> Result<(), RepoError> {
    insert_one(conn, entry.into_row())
        .await
        .step("record audit entry")
}

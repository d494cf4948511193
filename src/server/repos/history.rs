//! Reads behind a user's detail panel (R21): invitations with their links,
//! emails with their delivery attempts, audit entries. Three queries per kind
//! at most, never one per row.

use crate::domain::{
    history::{
        AuditLine, DeliveryAttempt, EmailHistory, InvitationHistory, InvitationStatus, LinkHistory,
        AUDIT_LIMIT,
    },
    rules::LinkKind,
};
use crate::server::db::Db;
use sqlx::Row;
use std::collections::HashMap;

/// The user's invitations, newest first, each with its links, newest first.
pub async fn invitations(db: &Db, user_id: &str) -> Result<Vec<InvitationHistory>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, status, invited_by_name, first_sent_at, last_sent_at, last_sent_by_name, closed_at
         FROM invitations WHERE user_id = $1 ORDER BY created_at DESC, id",
    )
    .bind(user_id)
    .fetch_all(db)
    .await?;
    let mut ids = Vec::with_capacity(rows.len());
    let mut list = Vec::with_capacity(rows.len());
    for r in &rows {
        ids.push(r.try_get::<String, _>("id")?);
        list.push(InvitationHistory {
            status: InvitationStatus::from_db(&r.try_get::<String, _>("status")?),
            invited_by: r.try_get("invited_by_name")?,
            first_sent_at: r.try_get("first_sent_at")?,
            last_sent_at: r.try_get("last_sent_at")?,
            last_sent_by: r.try_get("last_sent_by_name")?,
            closed_at: r.try_get("closed_at")?,
            links: vec![],
        });
    }
    let links = sqlx::query(
        "SELECT l.invitation_id, l.kind, l.state, l.token_end, l.created_at, l.expires_at, l.failed_confirmations
         FROM invite_links l JOIN invitations i ON i.id = l.invitation_id
         WHERE i.user_id = $1 ORDER BY l.created_at DESC, l.id",
    )
    .bind(user_id)
    .fetch_all(db)
    .await?;
    let position: HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    for r in &links {
        let invitation_id: String = r.try_get("invitation_id")?;
        let Some(&i) = position.get(invitation_id.as_str()) else {
            continue;
        };
        list[i].links.push(LinkHistory {
            kind: LinkKind::from_db(&r.try_get::<String, _>("kind")?),
            state: r.try_get("state")?,
            token_end: r.try_get("token_end")?,
            created_at: r.try_get("created_at")?,
            expires_at: r.try_get("expires_at")?,
            failed_confirmations: r.try_get("failed_confirmations")?,
        });
    }
    Ok(list)
}

/// Emails about the user's invitations, newest first, each with its delivery
/// attempts in the order they happened.
pub async fn emails(db: &Db, user_id: &str) -> Result<Vec<EmailHistory>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT o.id, o.subject, o.to_address, o.status, o.created_at, o.sent_at
         FROM outbox o JOIN invitations i ON i.id = o.invitation_id
         WHERE i.user_id = $1 ORDER BY o.created_at DESC, o.id",
    )
    .bind(user_id)
    .fetch_all(db)
    .await?;
    let mut position = HashMap::new();
    let mut list = Vec::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        position.insert(r.try_get::<String, _>("id")?, i);
        list.push(EmailHistory {
            subject: r.try_get("subject")?,
            to: r.try_get("to_address")?,
            status: r.try_get("status")?,
            queued_at: r.try_get("created_at")?,
            sent_at: r.try_get("sent_at")?,
            attempts: vec![],
        });
    }
    let attempts = sqlx::query(
        "SELECT a.outbox_id, a.attempted_at, a.succeeded, a.reply
         FROM delivery_attempts a
         JOIN outbox o ON o.id = a.outbox_id JOIN invitations i ON i.id = o.invitation_id
         WHERE i.user_id = $1 ORDER BY a.attempted_at, a.id",
    )
    .bind(user_id)
    .fetch_all(db)
    .await?;
    for r in &attempts {
        let outbox_id: String = r.try_get("outbox_id")?;
        if let Some(&i) = position.get(&outbox_id) {
            list[i].attempts.push(DeliveryAttempt {
                at: r.try_get("attempted_at")?,
                succeeded: r.try_get::<i64, _>("succeeded")? != 0,
                reply: r.try_get("reply")?,
            });
        }
    }
    Ok(list)
}

/// Audit entries about the user, newest first.
pub async fn audit(db: &Db, org_id: &str, user_id: &str) -> Result<Vec<AuditLine>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT at, actor_name, action, detail FROM audit_log
         WHERE target_user_id = $1 AND org_id = $2 ORDER BY at DESC, id LIMIT {AUDIT_LIMIT}"
    ))
    .bind(user_id)
    .bind(org_id)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AuditLine {
                at: r.try_get("at")?,
                actor: r.try_get("actor_name")?,
                action: r.try_get("action")?,
                detail: r.try_get("detail")?,
            })
        })
        .collect()
}

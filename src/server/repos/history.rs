//! Reads behind a user's detail panel (R21): invitations with their links,
//! emails with their delivery attempts, audit entries. Three queries per kind
//! at most, never one per row.

use super::{RepoError, Step};
use crate::domain::{
    history::{
        AuditLine, DeliveryAttempt, EmailHistory, InvitationHistory, InvitationStatus, LinkHistory,
        AUDIT_LIMIT,
    },
    rules::LinkKind,
};
use crate::server::db::Db;
use std::collections::HashMap;

#[derive(sqlx::FromRow)]
struct InvitationRow {
    id: String,
    status: InvitationStatus,
    invited_by_name: String,
    first_sent_at: i64,
    last_sent_at: i64,
    last_sent_by_name: String,
    closed_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct LinkRow {
    invitation_id: String,
    kind: LinkKind,
    state: String,
    token_end: String,
    created_at: i64,
    expires_at: i64,
    failed_confirmations: i64,
}

/// The user's invitations, newest first, each with its links, newest first.
pub async fn invitations(db: &Db, user_id: &str) -> Result<Vec<InvitationHistory>, RepoError> {
    let rows: Vec<InvitationRow> = sqlx::query_as(
        "SELECT id, status, invited_by_name, first_sent_at, last_sent_at, last_sent_by_name, closed_at
         FROM invitations WHERE user_id = $1 ORDER BY created_at DESC, id",
    )
    .bind(user_id)
    .fetch_all(db)
    .await
    .step("find invitations of user")?;
    let links: Vec<LinkRow> = sqlx::query_as(
        "SELECT l.invitation_id, l.kind, l.state, l.token_end, l.created_at, l.expires_at, l.failed_confirmations
         FROM invite_links l JOIN invitations i ON i.id = l.invitation_id
         WHERE i.user_id = $1 ORDER BY l.created_at DESC, l.id",
    )
    .bind(user_id)
    .fetch_all(db)
    .await
    .step("find invite links of user")?;
    let position: HashMap<String, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, row)| (row.id.clone(), i))
        .collect();
    let mut list: Vec<InvitationHistory> = rows
        .into_iter()
        .map(|row| InvitationHistory {
            status: row.status,
            invited_by: row.invited_by_name,
            first_sent_at: row.first_sent_at,
            last_sent_at: row.last_sent_at,
            last_sent_by: row.last_sent_by_name,
            closed_at: row.closed_at,
            links: vec![],
        })
        .collect();
    for link in links {
        let Some(&i) = position.get(&link.invitation_id) else {
            continue;
        };
        list[i].links.push(LinkHistory {
            kind: link.kind,
            state: link.state,
            token_end: link.token_end,
            created_at: link.created_at,
            expires_at: link.expires_at,
            failed_confirmations: link.failed_confirmations,
        });
    }
    Ok(list)
}

#[derive(sqlx::FromRow)]
struct EmailRow {
    id: String,
    subject: String,
    to_address: String,
    status: String,
    created_at: i64,
    sent_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct AttemptRow {
    outbox_id: String,
    attempted_at: i64,
    succeeded: i64,
    reply: String,
}

/// Emails about the user's invitations, newest first, each with its delivery
/// attempts in the order they happened.
pub async fn emails(db: &Db, user_id: &str) -> Result<Vec<EmailHistory>, RepoError> {
    let rows: Vec<EmailRow> = sqlx::query_as(
        "SELECT o.id, o.subject, o.to_address, o.status, o.created_at, o.sent_at
         FROM outbox o JOIN invitations i ON i.id = o.invitation_id
         WHERE i.user_id = $1 ORDER BY o.created_at DESC, o.id",
    )
    .bind(user_id)
    .fetch_all(db)
    .await
    .step("find emails of user")?;
    let attempts: Vec<AttemptRow> = sqlx::query_as(
        "SELECT a.outbox_id, a.attempted_at, a.succeeded, a.reply
         FROM delivery_attempts a
         JOIN outbox o ON o.id = a.outbox_id JOIN invitations i ON i.id = o.invitation_id
         WHERE i.user_id = $1 ORDER BY a.attempted_at, a.id",
    )
    .bind(user_id)
    .fetch_all(db)
    .await
    .step("find delivery attempts of user")?;
    let position: HashMap<String, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, row)| (row.id.clone(), i))
        .collect();
    let mut list: Vec<EmailHistory> = rows
        .into_iter()
        .map(|row| EmailHistory {
            subject: row.subject,
            to: row.to_address,
            status: row.status,
            queued_at: row.created_at,
            sent_at: row.sent_at,
            attempts: vec![],
        })
        .collect();
    for attempt in attempts {
        if let Some(&i) = position.get(&attempt.outbox_id) {
            list[i].attempts.push(DeliveryAttempt {
                at: attempt.attempted_at,
                succeeded: attempt.succeeded != 0,
                reply: attempt.reply,
            });
        }
    }
    Ok(list)
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    at: i64,
    actor_name: String,
    action: String,
    detail: String,
}

/// Audit entries about the user, newest first.
pub async fn audit(db: &Db, org_id: &str, user_id: &str) -> Result<Vec<AuditLine>, RepoError> {
    let rows: Vec<AuditRow> = sqlx::query_as(
        "SELECT at, actor_name, action, detail FROM audit_log
         WHERE target_user_id = $1 AND org_id = $2 ORDER BY at DESC, id LIMIT $3",
    )
    .bind(user_id)
    .bind(org_id)
    .bind(AUDIT_LIMIT as i64)
    .fetch_all(db)
    .await
    .step("find audit entries of user")?;
    Ok(rows
        .into_iter()
        .map(|row| AuditLine {
            at: row.at,
            actor: row.actor_name,
            action: row.action,
            detail: row.detail,
        })
        .collect())
}

//! Invitations and their links.

use super::{
    batch::{insert_one, table_row},
    sql::Sql,
    RepoError, Step,
};
use crate::domain::{
    rules::{InvitationStatus, LinkKind, LinkState},
    sso::SignInMethod,
    UserStatus,
};
use sqlx::{Any, AnyConnection, Executor};

table_row!(
    /// A whole `invitations` row, as every writer makes it.
    InvitationRow in "invitations" {
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
    /// R27: when the reminder scheduler looks at it next; `None`: never.
    next_reminder_at: Option<i64>,
});

table_row!(
    /// A whole `invite_links` row, as every writer makes it.
    LinkRow in "invite_links" {
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

impl From<NewLink<'_>> for LinkRow {
    /// A working link, not yet confirmed.
    fn from(link: NewLink<'_>) -> Self {
        LinkRow {
            id: link.id.to_string(),
            invitation_id: link.invitation_id.to_string(),
            token_hash: link.token_hash.to_string(),
            token_end: link.token_end.to_string(),
            kind: link.kind.as_db(),
            state: "active",
            failed_confirmations: 0,
            email_confirmed_at: None,
            created_at: link.now,
            expires_at: link.expires_at,
        }
    }
}

pub struct NewLink<'a> {
    pub id: &'a str,
    pub invitation_id: &'a str,
    pub token_hash: &'a str,
    pub token_end: &'a str,
    pub kind: LinkKind,
    pub now: i64,
    pub expires_at: i64,
}

/// R12: makes `link` the invitation's only working link.
pub async fn replace_active_link(
    conn: &mut AnyConnection,
    link: NewLink<'_>,
) -> Result<(), RepoError> {
    sqlx::query("UPDATE invite_links SET state = 'superseded' WHERE invitation_id = $1 AND state = 'active'")
        .bind(link.invitation_id)
        .execute(&mut *conn)
        .await
        .step("supersede active links")?;
    let (invitation_id, expires_at) = (link.invitation_id, link.expires_at);
    insert_one(&mut *conn, LinkRow::from(link))
        .await
        .step("insert invite link")?;
    sqlx::query(
        "UPDATE users SET link_expires_at = $1 WHERE id = (SELECT user_id FROM invitations WHERE id = $2)",
    )
    .bind(expires_at)
    .bind(invitation_id)
    .execute(conn)
    .await
    .step("set user's link expiry")?;
    Ok(())
}

/// The users table reads a user's working-link expiry from the user row
/// (migration 0003); it goes when the link stops working.
async fn clear_link_expiry_of_invitation(
    conn: &mut AnyConnection,
    invitation_id: &str,
) -> Result<(), RepoError> {
    sqlx::query(
        "UPDATE users SET link_expires_at = NULL WHERE id = (SELECT user_id FROM invitations WHERE id = $1)",
    )
    .bind(invitation_id)
    .execute(conn)
    .await
    .step("clear link expiry of invitation's user")?;
    Ok(())
}

async fn clear_link_expiry_of_link(
    conn: &mut AnyConnection,
    link_id: &str,
) -> Result<(), RepoError> {
    sqlx::query(
        "UPDATE users SET link_expires_at = NULL
         WHERE id = (SELECT i.user_id FROM invitations i JOIN invite_links l ON l.invitation_id = i.id WHERE l.id = $1)",
    )
    .bind(link_id)
    .execute(conn)
    .await
    .step("clear link expiry of link's user")?;
    Ok(())
}

/// R8 in the database: records a new invitation email only if the last one
/// is at least a cooldown old. Concurrent callers race on this one row; the
/// database lets exactly one of them through.
pub async fn claim_send_slot(
    conn: &mut AnyConnection,
    invitation_id: &str,
    sender_id: Option<&str>,
    sender_name: &str,
    now: i64,
    cooldown_ms: i64,
) -> Result<bool, RepoError> {
    let done = sqlx::query(
        "UPDATE invitations SET last_sent_at = $1, last_sent_by_id = $2, last_sent_by_name = $3
         WHERE id = $4 AND status = 'pending' AND last_sent_at <= $5",
    )
    .bind(now)
    .bind(sender_id)
    .bind(sender_name)
    .bind(invitation_id)
    .bind(now - cooldown_ms)
    .execute(conn)
    .await
    .step("claim send slot")?;
    Ok(done.rows_affected() == 1)
}

/// The open invitation of a user.
#[derive(Debug, sqlx::FromRow)]
pub struct PendingInvitation {
    pub id: String,
    pub last_sent_at: i64,
}

pub async fn find_pending_invitation_of_user<'c>(
    db: impl Executor<'c, Database = Any>,
    user_id: &str,
) -> Result<Option<PendingInvitation>, RepoError> {
    sqlx::query_as(
        "SELECT id, last_sent_at FROM invitations WHERE user_id = $1 AND status = 'pending'",
    )
    .bind(user_id)
    .fetch_optional(db)
    .await
    .step("find pending invitation of user")
}

/// Where an invitation stands for sending: its status and its last email.
#[derive(Debug, sqlx::FromRow)]
pub struct SendState {
    pub status: InvitationStatus,
    pub last_sent_at: i64,
}

pub async fn find_send_state<'c>(
    db: impl Executor<'c, Database = Any>,
    invitation_id: &str,
) -> Result<Option<SendState>, RepoError> {
    sqlx::query_as("SELECT status, last_sent_at FROM invitations WHERE id = $1")
        .bind(invitation_id)
        .fetch_optional(db)
        .await
        .step("find invitation's send state")
}

/// The names an invitation email is signed with.
#[derive(Debug, sqlx::FromRow)]
pub struct InvitationNames {
    pub org_name: String,
    /// The original inviter (R14: never the resender).
    pub invited_by_name: String,
}

pub async fn find_invitation_names<'c>(
    db: impl Executor<'c, Database = Any>,
    invitation_id: &str,
) -> Result<InvitationNames, RepoError> {
    sqlx::query_as(
        "SELECT o.name AS org_name, i.invited_by_name
         FROM invitations i JOIN organisations o ON o.id = i.org_id WHERE i.id = $1",
    )
    .bind(invitation_id)
    .fetch_one(db)
    .await
    .step("find organisation and inviter names of invitation")
}

/// Everything needed to judge a link and act on it.
#[derive(Debug, sqlx::FromRow)]
pub struct LinkRecord {
    pub link_id: String,
    pub kind: LinkKind,
    pub state: LinkState,
    pub failed_confirmations: i64,
    pub expires_at: i64,
    pub email_confirmed_at: Option<i64>,
    pub invitation_id: String,
    pub invitation_status: InvitationStatus,
    pub invitation_email: String,
    pub last_sent_at: i64,
    pub org_id: String,
    pub org_name: String,
    /// How the invitation's organisation signs in.
    pub sign_in_method: SignInMethod,
    pub user_id: Option<String>,
    pub user_status: Option<UserStatus>,
}

pub async fn find_link_by_token_hash<'c>(
    db: impl Executor<'c, Database = Any>,
    token_hash: &str,
) -> Result<Option<LinkRecord>, RepoError> {
    sqlx::query_as(
        "SELECT l.id AS link_id, l.kind, l.state, l.failed_confirmations, l.expires_at, l.email_confirmed_at,
                i.id AS invitation_id, i.status AS invitation_status, i.email AS invitation_email, i.last_sent_at,
                o.id AS org_id, o.name AS org_name, o.sign_in_method, u.id AS user_id, u.status AS user_status
         FROM invite_links l
         JOIN invitations i ON i.id = l.invitation_id
         JOIN organisations o ON o.id = i.org_id
         LEFT JOIN users u ON u.id = i.user_id
         WHERE l.token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(db)
    .await
    .step("find link by token hash")
}

/// R10: counts a wrong typed email; the fifth locks the link. Returns the
/// failures so far, or `None` if the link was no longer active.
pub async fn record_failed_confirmation(
    conn: &mut AnyConnection,
    link_id: &str,
    max_tries: i64,
) -> Result<Option<i64>, RepoError> {
    #[derive(sqlx::FromRow)]
    struct Failures {
        failed_confirmations: i64,
    }
    let row: Option<Failures> = sqlx::query_as(
        "UPDATE invite_links
         SET failed_confirmations = failed_confirmations + 1,
             state = CASE WHEN failed_confirmations + 1 >= $2 THEN 'locked' ELSE state END
         WHERE id = $1 AND state = 'active'
         RETURNING failed_confirmations",
    )
    .bind(link_id)
    .bind(max_tries)
    .fetch_optional(&mut *conn)
    .await
    .step("record failed email confirmation")?;
    let failures = row.map(|row| row.failed_confirmations);
    if failures.is_some_and(|n| n >= max_tries) {
        clear_link_expiry_of_link(conn, link_id).await?;
    }
    Ok(failures)
}

pub async fn mark_email_confirmed(
    conn: &mut AnyConnection,
    link_id: &str,
    now: i64,
) -> Result<bool, RepoError> {
    let done = sqlx::query(
        "UPDATE invite_links SET email_confirmed_at = $2 WHERE id = $1 AND state = 'active'",
    )
    .bind(link_id)
    .bind(now)
    .execute(conn)
    .await
    .step("mark email confirmed")?;
    Ok(done.rows_affected() == 1)
}

/// R15: a link is used once. Only one concurrent caller gets `true`.
pub async fn mark_link_used(conn: &mut AnyConnection, link_id: &str) -> Result<bool, RepoError> {
    let done =
        sqlx::query("UPDATE invite_links SET state = 'used' WHERE id = $1 AND state = 'active'")
            .bind(link_id)
            .execute(&mut *conn)
            .await
            .step("mark link used")?;
    clear_link_expiry_of_link(conn, link_id).await?;
    Ok(done.rows_affected() == 1)
}

/// How an invitee signs in from now on: set when they accept.
pub enum AcceptedCredential<'a> {
    /// An Argon2id hash of the password they chose.
    PasswordHash(&'a str),
    /// The identity provider's `sub` (R17); no password.
    SsoSubject(&'a str),
}

/// R6, R17: the invited user becomes Active with their credential. Fails
/// with a unique violation if another user of the organisation already has
/// this `sub`.
pub async fn activate_invited_user(
    conn: &mut AnyConnection,
    user_id: &str,
    credential: AcceptedCredential<'_>,
    now: i64,
) -> Result<bool, RepoError> {
    let (password_hash, sso_subject) = match credential {
        AcceptedCredential::PasswordHash(hash) => (Some(hash), None),
        AcceptedCredential::SsoSubject(subject) => (None, Some(subject)),
    };
    let done = sqlx::query(
        "UPDATE users SET password_hash = COALESCE($2, password_hash), sso_subject = COALESCE($3, sso_subject),
                status = $4, activated_at = $5
         WHERE id = $1 AND status = $6",
    )
    .bind(user_id)
    .bind(password_hash)
    .bind(sso_subject)
    .bind(UserStatus::Active.as_db())
    .bind(now)
    .bind(UserStatus::Invited.as_db())
    .execute(conn)
    .await
    .step("activate invited user")?;
    Ok(done.rows_affected() == 1)
}

/// Accepts or revokes the invitation if it is still pending; a revoked
/// one's link stops working.
pub async fn close_invitation(
    conn: &mut AnyConnection,
    invitation_id: &str,
    status: InvitationStatus,
    now: i64,
) -> Result<bool, RepoError> {
    let done = sqlx::query(
        "UPDATE invitations SET status = $2, closed_at = $3 WHERE id = $1 AND status = 'pending'",
    )
    .bind(invitation_id)
    .bind(status.as_db())
    .bind(now)
    .execute(&mut *conn)
    .await
    .step("close invitation")?;
    if status == InvitationStatus::Revoked {
        sqlx::query("UPDATE invite_links SET state = 'superseded' WHERE invitation_id = $1 AND state = 'active'")
            .bind(invitation_id)
            .execute(&mut *conn)
            .await
            .step("supersede links of revoked invitation")?;
    }
    clear_link_expiry_of_invitation(conn, invitation_id).await?;
    Ok(done.rows_affected() == 1)
}

#[derive(sqlx::FromRow)]
struct LastSent {
    email: String,
    last_sent_at: i64,
}

/// When `email` was last sent an invitation email in the organisation, by
/// any invitation, revoked ones included (R8 holds across revoke and
/// re-invite).
pub async fn find_last_sent_at_of_email<'c>(
    db: impl Executor<'c, Database = Any>,
    org_id: &str,
    email: &str,
) -> Result<Option<i64>, RepoError> {
    let row: Option<LastSent> = sqlx::query_as(
        "SELECT email, MAX(last_sent_at) AS last_sent_at FROM invitations
         WHERE org_id = $1 AND email = $2 GROUP BY email",
    )
    .bind(org_id)
    .bind(email)
    .fetch_optional(db)
    .await
    .step("find when an address was last emailed")?;
    Ok(row.map(|row| row.last_sent_at))
}

/// `find_last_sent_at_of_email` for many addresses at once (bulk invite).
pub async fn last_sent_at_by_email(
    db: &sqlx::AnyPool,
    org_id: &str,
    emails: &[String],
) -> Result<std::collections::HashMap<String, i64>, RepoError> {
    let mut found = std::collections::HashMap::new();
    for chunk in emails.chunks(500) {
        let mut sql = Sql::new(
            "SELECT email, MAX(last_sent_at) AS last_sent_at FROM invitations WHERE org_id = ",
        );
        sql.push_bind(org_id).push(" AND email IN (");
        sql.push_list(chunk.iter().map(String::as_str))
            .push(") GROUP BY email");
        let rows: Vec<LastSent> = sql
            .query_as()
            .fetch_all(db)
            .await
            .step("find when addresses were last emailed")?;
        found.extend(rows.into_iter().map(|row| (row.email, row.last_sent_at)));
    }
    Ok(found)
}

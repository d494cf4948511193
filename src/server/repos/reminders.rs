//! R27: the organisation's reminder schedule, the invitations that may be
//! due a reminder, and the record of each reminder sent.

use super::{RepoError, Step};
use sqlx::{Any, AnyConnection, Executor};

pub async fn find_reminder_days<'c>(
    db: impl Executor<'c, Database = Any>,
    org_id: &str,
) -> Result<String, RepoError> {
    let (days,): (String,) =
        sqlx::query_as("SELECT reminder_days FROM organisations WHERE id = $1")
            .bind(org_id)
            .fetch_one(db)
            .await
            .step("find reminder days")?;
    Ok(days)
}

pub async fn update_reminder_days<'c>(
    db: impl Executor<'c, Database = Any>,
    org_id: &str,
    days: &str,
) -> Result<(), RepoError> {
    sqlx::query("UPDATE organisations SET reminder_days = $2 WHERE id = $1")
        .bind(org_id)
        .bind(days)
        .execute(db)
        .await
        .step("update reminder days")?;
    Ok(())
}

/// An open invitation in an organisation with reminders on.
#[derive(Debug, sqlx::FromRow)]
pub struct ReminderCandidate {
    pub invitation_id: String,
    pub user_id: String,
    pub org_id: String,
    pub email: String,
    pub name: String,
    pub first_sent_at: i64,
    pub last_sent_at: i64,
    pub reminder_days: String,
    /// The latest step of the schedule already sent, if any.
    pub last_step: Option<i64>,
}

/// Open invitations of Invited users, in organisations with reminders on,
/// whose working link has not expired (a reminder never revives an expired
/// invitation) and whose last email is older than `sent_before` (the
/// cooldown, R8), oldest first, after `after` (first sent, id) when given.
pub async fn find_reminder_candidates(
    conn: &mut AnyConnection,
    now: i64,
    sent_before: i64,
    after: Option<(i64, &str)>,
    limit: i64,
) -> Result<Vec<ReminderCandidate>, RepoError> {
    let (after_at, after_id) = after.unwrap_or((i64::MIN, ""));
    sqlx::query_as(
        "SELECT i.id AS invitation_id, u.id AS user_id, u.org_id AS org_id, u.email AS email,
                u.name AS name, i.first_sent_at AS first_sent_at, i.last_sent_at AS last_sent_at,
                o.reminder_days AS reminder_days,
                (SELECT MAX(r.step) FROM reminders r WHERE r.invitation_id = i.id) AS last_step
         FROM organisations o
         JOIN invitations i ON i.org_id = o.id AND i.status = 'pending'
         JOIN users u ON u.id = i.user_id AND u.status = 'invited'
         WHERE o.reminder_days <> '' AND u.link_expires_at > $1 AND i.last_sent_at <= $2
           AND (i.first_sent_at > $3 OR (i.first_sent_at = $3 AND i.id > $4))
         ORDER BY i.first_sent_at, i.id
         LIMIT $5",
    )
    .bind(now)
    .bind(sent_before)
    .bind(after_at)
    .bind(after_id)
    .bind(limit)
    .fetch_all(conn)
    .await
    .step("find reminder candidates")
}

/// Records reminder `step` of an invitation as sent, unless someone did
/// already (another instance): `false` then, and this one sends nothing.
pub async fn claim_reminder(
    conn: &mut AnyConnection,
    invitation_id: &str,
    step: i64,
    now: i64,
) -> Result<bool, RepoError> {
    let done = sqlx::query(
        "INSERT INTO reminders (invitation_id, step, sent_at) VALUES ($1, $2, $3)
         ON CONFLICT (invitation_id, step) DO NOTHING",
    )
    .bind(invitation_id)
    .bind(step)
    .bind(now)
    .execute(conn)
    .await
    .step("claim reminder")?;
    Ok(done.rows_affected() == 1)
}

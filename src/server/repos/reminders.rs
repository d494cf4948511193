//! R27: the organisation's reminder schedule, when each open invitation is
//! next looked at (`invitations.next_reminder_at`), and the record of each
//! reminder sent.

use super::{sql::Sql, RepoError, Step};
use crate::domain::UserStatus;
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

/// An open invitation whose time to be looked at has come.
#[derive(Debug, sqlx::FromRow)]
pub struct ReminderCandidate {
    pub invitation_id: String,
    pub user_id: String,
    pub org_id: String,
    pub email: String,
    pub name: String,
    pub user_status: UserStatus,
    pub link_expires_at: Option<i64>,
    pub first_sent_at: i64,
    pub last_sent_at: i64,
    pub next_reminder_at: i64,
    /// The organisation's schedule ("" when reminders are off).
    pub reminder_days: String,
    /// The latest step of the schedule already sent, if any.
    pub last_step: Option<i64>,
}

/// Open invitations to look at by `now`, in the order of their time (then
/// id), after `after` when given: only these are read (a partial index),
/// however many are open.
pub async fn find_reminder_candidates(
    conn: &mut AnyConnection,
    now: i64,
    after: Option<(i64, &str)>,
    limit: i64,
) -> Result<Vec<ReminderCandidate>, RepoError> {
    let (after_at, after_id) = after.unwrap_or((i64::MIN, ""));
    sqlx::query_as(
        "SELECT i.id AS invitation_id, u.id AS user_id, u.org_id AS org_id, u.email AS email,
                u.name AS name, u.status AS user_status, u.link_expires_at AS link_expires_at,
                i.first_sent_at AS first_sent_at, i.last_sent_at AS last_sent_at,
                i.next_reminder_at AS next_reminder_at, o.reminder_days AS reminder_days,
                (SELECT MAX(r.step) FROM reminders r WHERE r.invitation_id = i.id) AS last_step
         FROM invitations i
         JOIN users u ON u.id = i.user_id
         JOIN organisations o ON o.id = i.org_id
         WHERE i.status = 'pending' AND i.next_reminder_at IS NOT NULL
           AND i.next_reminder_at <= $1 AND i.next_reminder_at >= $2
           AND (i.next_reminder_at, i.id) > ($2, $3)
         ORDER BY i.next_reminder_at, i.id
         LIMIT $4",
    )
    .bind(now)
    .bind(after_at)
    .bind(after_id)
    .bind(limit)
    .fetch_all(conn)
    .await
    .step("find reminder candidates")
}

/// Moves these invitations' next look from `from` to `to` (`None`: never),
/// as planned with the schedule `days`; not where it changed since it was
/// read (an email asked for a look meanwhile) or the schedule did (its save
/// asked for a look at every open invitation).
pub async fn reschedule<'c>(
    db: impl Executor<'c, Database = Any>,
    invitation_ids: &[&str],
    from: i64,
    to: Option<i64>,
    days: &str,
) -> Result<(), RepoError> {
    let mut sql = Sql::new("UPDATE invitations SET next_reminder_at = ");
    sql.push_bind(to)
        .push(" WHERE next_reminder_at = ")
        .push_bind(from)
        .push(" AND id IN (")
        .push_list(invitation_ids.iter().copied())
        .push(
            ") AND EXISTS (SELECT 1 FROM organisations o
                WHERE o.id = invitations.org_id AND o.reminder_days = ",
        )
        .push_bind(days)
        .push(")");
    sql.query()
        .execute(db)
        .await
        .step("reschedule reminder looks")?;
    Ok(())
}

/// The next look at one invitation, in the transaction that sent its reminder.
pub async fn set_next_reminder(
    conn: &mut AnyConnection,
    invitation_id: &str,
    at: Option<i64>,
) -> Result<(), RepoError> {
    sqlx::query("UPDATE invitations SET next_reminder_at = $2 WHERE id = $1")
        .bind(invitation_id)
        .bind(at)
        .execute(conn)
        .await
        .step("set next reminder")?;
    Ok(())
}

/// A reactivated user: the scheduler looks at their open invitation again
/// at `now` (a reminder may be due again).
pub async fn look_again_at_user<'c>(
    db: impl Executor<'c, Database = Any>,
    user_id: &str,
    now: i64,
) -> Result<(), RepoError> {
    sqlx::query(
        "UPDATE invitations SET next_reminder_at = $2 WHERE user_id = $1 AND status = 'pending'",
    )
    .bind(user_id)
    .bind(now)
    .execute(db)
    .await
    .step("look again at a user's invitation for reminders")?;
    Ok(())
}

/// A schedule set or changed: every open invitation of the organisation is
/// looked at (from its first email on); turned off, none is.
pub async fn reschedule_organisation<'c>(
    db: impl Executor<'c, Database = Any>,
    org_id: &str,
    on: bool,
) -> Result<(), RepoError> {
    let sql = if on {
        "UPDATE invitations SET next_reminder_at = first_sent_at
         WHERE org_id = $1 AND status = 'pending'"
    } else {
        "UPDATE invitations SET next_reminder_at = NULL
         WHERE org_id = $1 AND status = 'pending' AND next_reminder_at IS NOT NULL"
    };
    sqlx::query(sql)
        .bind(org_id)
        .execute(db)
        .await
        .step("reschedule the organisation's reminders")?;
    Ok(())
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

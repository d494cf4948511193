//! The email outbox (R20) and its delivery attempts (R21).

use super::{
    batch::{insert_many, insert_one, table_row},
    sql::Sql,
};
use crate::domain::{rules::InvitationStatus, UserStatus};
use sqlx::{Any, AnyConnection, Executor};
use std::collections::HashMap;

pub struct NewEmail<'a> {
    pub id: &'a str,
    pub org_id: &'a str,
    pub invitation_id: Option<&'a str>,
    pub to: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
    pub now: i64,
}

pub async fn enqueue(
    conn: &mut AnyConnection,
    email: NewEmail<'_>,
) -> Result<(), super::RepoError> {
    use super::Step;
    insert_one(conn, EmailRow::from(email))
        .await
        .step("queue email")
}

table_row!(
    /// A whole `outbox` row, as every writer makes it.
    EmailRow in "outbox" {
    id: String,
    org_id: String,
    invitation_id: Option<String>,
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
    /// The SMTP server's last reply; none before the first attempt.
    last_result: Option<String>,
});

impl From<NewEmail<'_>> for EmailRow {
    /// Queued now, due now, not yet leased.
    fn from(email: NewEmail<'_>) -> Self {
        EmailRow {
            id: email.id.to_string(),
            org_id: email.org_id.to_string(),
            invitation_id: email.invitation_id.map(str::to_string),
            to_address: email.to.to_string(),
            subject: email.subject.to_string(),
            body_text: email.text.to_string(),
            body_html: email.html.to_string(),
            status: "queued",
            attempts: 0,
            next_attempt_at: email.now,
            claimed_until: 0,
            created_at: email.now,
            sent_at: None,
            last_result: None,
        }
    }
}

table_row!(AttemptRow in "delivery_attempts" {
    id: String,
    outbox_id: String,
    attempted_at: i64,
    succeeded: bool,
    reply: String,
});

#[derive(sqlx::FromRow)]
pub struct QueuedEmail {
    pub id: String,
    #[sqlx(rename = "to_address")]
    pub to: String,
    pub subject: String,
    #[sqlx(rename = "body_text")]
    pub text: String,
    #[sqlx(rename = "body_html")]
    pub html: String,
    pub attempts: i64,
    pub created_at: i64,
}

/// Leases up to `limit` due emails to this worker until `lease_until`. The
/// lease is re-checked in the UPDATE's own WHERE, so two workers (or two
/// instances) never lease the same email at once.
///
/// On Postgres the candidates are locked with `FOR UPDATE SKIP LOCKED`:
/// another instance claiming at the same moment passes over them to the
/// next due emails, instead of waiting on these rows and then finding them
/// leased (an empty batch while hundreds are due). SQLite has one writer at
/// a time, so its claims are serial already; it has no `FOR UPDATE`.
pub async fn claim_due(
    conn: &mut AnyConnection,
    now: i64,
    lease_until: i64,
    limit: i64,
) -> Result<Vec<QueuedEmail>, sqlx::Error> {
    let sql = if conn.backend_name() == <sqlx::Postgres as sqlx::Database>::NAME {
        // A CTE, run once: as an `IN (...)` subquery the planner may scan
        // it again for each row, and each scan locks `limit` more rows.
        "WITH due AS MATERIALIZED (
             SELECT id FROM outbox
             WHERE status = $4 AND claimed_until <= $1 AND next_attempt_at <= $1
             ORDER BY next_attempt_at LIMIT $3
             FOR UPDATE SKIP LOCKED)
         UPDATE outbox SET claimed_until = $2
         FROM due
         WHERE outbox.id = due.id AND outbox.status = $4 AND outbox.claimed_until <= $1
         RETURNING outbox.id, outbox.to_address, outbox.subject, outbox.body_text, outbox.body_html,
                   outbox.attempts, outbox.created_at"
    } else {
        "UPDATE outbox SET claimed_until = $2
         WHERE status = $4 AND claimed_until <= $1 AND next_attempt_at <= $1
           AND id IN (SELECT id FROM outbox
                      WHERE status = $4 AND claimed_until <= $1 AND next_attempt_at <= $1
                      ORDER BY next_attempt_at LIMIT $3)
         RETURNING id, to_address, subject, body_text, body_html, attempts, created_at"
    };
    sqlx::query_as(sql)
        .bind(now)
        .bind(lease_until)
        .bind(limit)
        .bind("queued")
        .fetch_all(conn)
        .await
}

/// One delivery attempt, to be recorded.
pub struct Attempt {
    pub id: String,
    pub outbox_id: String,
    pub at: i64,
    pub succeeded: bool,
    /// The SMTP server's reply, the error, or why the email was not sent.
    pub reply: String,
    /// When to try again after a failure; `None` fails the email for good.
    pub retry_at: Option<i64>,
    /// Handed to the SMTP server; false when it was not sent at all (its
    /// invitation closed while it waited).
    pub tried: bool,
}

/// Records attempts and moves each email on: sent, retried at its
/// `retry_at`, or failed for good. Meant for one transaction: the worker
/// records the attempts that finished together with one commit.
pub async fn record_attempts(
    conn: &mut AnyConnection,
    attempts: &[Attempt],
) -> Result<(), sqlx::Error> {
    let rows = attempts
        .iter()
        .map(|a| AttemptRow {
            id: a.id.clone(),
            outbox_id: a.outbox_id.clone(),
            attempted_at: a.at,
            succeeded: a.succeeded,
            reply: a.reply.clone(),
        })
        .collect();
    insert_many(conn, rows).await?;
    for attempt in attempts {
        let (status, next_attempt_at) = match (attempt.succeeded, attempt.retry_at) {
            (true, _) => ("sent", attempt.at),
            (false, Some(at)) => ("queued", at),
            (false, None) => ("failed", attempt.at),
        };
        let sent_at = attempt.succeeded.then_some(attempt.at);
        sqlx::query(
            "UPDATE outbox SET status = $2, attempts = attempts + 1, next_attempt_at = $3, claimed_until = 0,
                 last_result = $4, sent_at = COALESCE($5, sent_at)
             WHERE id = $1",
        )
        .bind(attempt.outbox_id.as_str())
        .bind(status)
        .bind(next_attempt_at)
        .bind(attempt.reply.as_str())
        .bind(sent_at)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct SendCheck {
    id: String,
    invitation_id: Option<String>,
    invitation_status: Option<InvitationStatus>,
    user_status: Option<UserStatus>,
}

/// For each of these emails that should no longer go out, why: its
/// invitation was revoked or accepted meanwhile, or its user deactivated
/// (a link in it would be dead on arrival). One query for a claimed batch.
pub async fn reasons_not_to_send<'c>(
    db: impl Executor<'c, Database = Any>,
    outbox_ids: &[&str],
) -> Result<HashMap<String, &'static str>, sqlx::Error> {
    if outbox_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut sql = Sql::new(
        "SELECT o.id, o.invitation_id, i.status AS invitation_status, u.status AS user_status
         FROM outbox o
         LEFT JOIN invitations i ON i.id = o.invitation_id
         LEFT JOIN users u ON u.id = i.user_id
         WHERE o.id IN (",
    );
    sql.push_list(outbox_ids.iter().copied()).push(")");
    let rows: Vec<SendCheck> = sql.query_as().fetch_all(db).await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            row.invitation_id.as_ref()?;
            let reason = match (row.invitation_status, row.user_status) {
                (Some(InvitationStatus::Revoked), _) | (None, _) => {
                    "Not sent: the invitation was revoked before delivery."
                }
                (Some(InvitationStatus::Accepted), _) => {
                    "Not sent: the invitation was accepted before delivery."
                }
                (_, Some(UserStatus::Deactivated)) => {
                    "Not sent: the user was deactivated before delivery."
                }
                (_, None) => "Not sent: the user no longer exists.",
                _ => return None,
            };
            Some((row.id, reason))
        })
        .collect())
}

pub async fn count_by_status<'c>(
    db: impl Executor<'c, Database = Any>,
    status: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE status = $1")
        .bind(status)
        .fetch_one(db)
        .await
}

/// Makes the queued emails whose next try is after `now` due at `now`, as if
/// their back-off had run out; returns how many were waiting. For tests,
/// which would otherwise sleep through the back-off.
pub async fn skip_back_off<'c>(
    db: impl Executor<'c, Database = Any>,
    now: i64,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE outbox SET next_attempt_at = $1 WHERE status = $2 AND next_attempt_at > $1",
    )
    .bind(now)
    .bind("queued")
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// R21: for each of these users whose newest invitation email failed for
/// good, the reason (the SMTP server's reply or the error). A resend queues
/// a newer email, which clears it.
pub async fn failures_of_newest_emails<'c>(
    db: impl Executor<'c, Database = Any>,
    user_ids: &[&str],
) -> Result<HashMap<String, String>, sqlx::Error> {
    if user_ids.is_empty() {
        return Ok(HashMap::new());
    }
    #[derive(sqlx::FromRow)]
    struct Email {
        user_id: String,
        status: String,
        /// No reply kept (an email failed before any attempt): no words.
        last_result: Option<String>,
    }
    let mut sql = Sql::new(
        "SELECT i.user_id, o.status, o.last_result
         FROM outbox o JOIN invitations i ON i.id = o.invitation_id
         WHERE i.user_id IN (",
    );
    sql.push_list(user_ids.iter().copied())
        .push(") ORDER BY o.created_at");
    let rows: Vec<Email> = sql.query_as().fetch_all(db).await?;
    let mut newest: HashMap<String, Option<String>> = HashMap::new();
    for row in rows {
        let failure = (row.status == "failed").then(|| row.last_result.unwrap_or_default());
        newest.insert(row.user_id, failure);
    }
    Ok(newest
        .into_iter()
        .filter_map(|(user, failure)| failure.map(|reason| (user, reason)))
        .collect())
}

//! The email outbox (R20) and its delivery attempts (R21).

use sqlx::{Any, AnyConnection, Executor, Row};
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

pub async fn enqueue(conn: &mut AnyConnection, email: NewEmail<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO outbox (id, org_id, invitation_id, to_address, subject, body_text, body_html, status,
             attempts, next_attempt_at, claimed_until, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', 0, $8, 0, $8)",
    )
    .bind(email.id)
    .bind(email.org_id)
    .bind(email.invitation_id)
    .bind(email.to)
    .bind(email.subject)
    .bind(email.text)
    .bind(email.html)
    .bind(email.now)
    .execute(conn)
    .await?;
    Ok(())
}

pub struct QueuedEmail {
    pub id: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub attempts: i64,
    pub created_at: i64,
}

/// Leases up to `limit` due emails to this worker until `lease_until`. The
/// lease is re-checked in the UPDATE's own WHERE, so two workers (or two
/// instances) never lease the same email at once.
pub async fn claim_due<'c>(
    db: impl Executor<'c, Database = Any>,
    now: i64,
    lease_until: i64,
    limit: i64,
) -> Result<Vec<QueuedEmail>, sqlx::Error> {
    let rows = sqlx::query(
        "UPDATE outbox SET claimed_until = $2
         WHERE status = 'queued' AND claimed_until <= $1 AND next_attempt_at <= $1
           AND id IN (SELECT id FROM outbox
                      WHERE status = 'queued' AND claimed_until <= $1 AND next_attempt_at <= $1
                      ORDER BY next_attempt_at LIMIT $3)
         RETURNING id, to_address, subject, body_text, body_html, attempts, created_at",
    )
    .bind(now)
    .bind(lease_until)
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(QueuedEmail {
                id: r.try_get("id")?,
                to: r.try_get("to_address")?,
                subject: r.try_get("subject")?,
                text: r.try_get("body_text")?,
                html: r.try_get("body_html")?,
                attempts: r.try_get("attempts")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}

/// Records one attempt and moves the email on: sent, retried at
/// `retry_at`, or failed for good when `retry_at` is `None`.
pub async fn record_attempt(
    conn: &mut AnyConnection,
    outbox_id: &str,
    attempt_id: &str,
    now: i64,
    succeeded: bool,
    reply: &str,
    retry_at: Option<i64>,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO delivery_attempts (id, outbox_id, attempted_at, succeeded, reply) VALUES ($1, $2, $3, $4, $5)")
        .bind(attempt_id)
        .bind(outbox_id)
        .bind(now)
        .bind(succeeded as i64)
        .bind(reply)
        .execute(&mut *conn)
        .await?;
    let (status, next_attempt_at) = match (succeeded, retry_at) {
        (true, _) => ("sent", now),
        (false, Some(at)) => ("queued", at),
        (false, None) => ("failed", now),
    };
    sqlx::query(
        "UPDATE outbox SET status = $2, attempts = attempts + 1, next_attempt_at = $3, claimed_until = 0,
             last_result = $4, sent_at = CASE WHEN $2 = 'sent' THEN $5 ELSE sent_at END
         WHERE id = $1",
    )
    .bind(outbox_id)
    .bind(status)
    .bind(next_attempt_at)
    .bind(reply)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Why an invitation email should no longer go out, if it should not: its
/// invitation was revoked or accepted meanwhile, or its user deactivated
/// (a link in it would be dead on arrival).
pub async fn reason_not_to_send<'c>(
    db: impl Executor<'c, Database = Any>,
    outbox_id: &str,
) -> Result<Option<&'static str>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT o.invitation_id, i.status AS invitation_status, u.status AS user_status
         FROM outbox o
         LEFT JOIN invitations i ON i.id = o.invitation_id
         LEFT JOIN users u ON u.id = i.user_id
         WHERE o.id = $1",
    )
    .bind(outbox_id)
    .fetch_optional(db)
    .await?;
    let Some(row) = row else { return Ok(None) };
    if row.try_get::<Option<String>, _>("invitation_id")?.is_none() {
        return Ok(None);
    }
    let invitation: Option<String> = row.try_get("invitation_status")?;
    let user: Option<String> = row.try_get("user_status")?;
    Ok(match (invitation.as_deref(), user.as_deref()) {
        (Some("revoked"), _) | (None, _) => {
            Some("Not sent: the invitation was revoked before delivery.")
        }
        (Some("accepted"), _) => Some("Not sent: the invitation was accepted before delivery."),
        (_, Some("deactivated")) => Some("Not sent: the user was deactivated before delivery."),
        (_, None) => Some("Not sent: the user no longer exists."),
        _ => None,
    })
}

pub async fn count_by_status<'c>(
    db: impl Executor<'c, Database = Any>,
    status: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT COUNT(*) FROM outbox WHERE status = $1")
        .bind(status)
        .fetch_one(db)
        .await?
        .try_get(0)
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
    let placeholders: Vec<String> = (1..=user_ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT i.user_id, o.status, o.last_result
         FROM outbox o JOIN invitations i ON i.id = o.invitation_id
         WHERE i.user_id IN ({})
         ORDER BY o.created_at",
        placeholders.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for id in user_ids {
        query = query.bind(*id);
    }
    let mut newest: HashMap<String, Option<String>> = HashMap::new();
    for r in query.fetch_all(db).await? {
        let failure = match r.try_get::<String, _>("status")?.as_str() {
            "failed" => Some(
                r.try_get::<Option<String>, _>("last_result")?
                    .unwrap_or_default(),
            ),
            _ => None,
        };
        newest.insert(r.try_get("user_id")?, failure);
    }
    Ok(newest
        .into_iter()
        .filter_map(|(user, failure)| failure.map(|reason| (user, reason)))
        .collect())
}

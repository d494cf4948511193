//! Webhook endpoints, their deliveries (an outbox, as for email) and the
//! mark up to which link expiries were announced.

use super::{
    batch::{insert_many, insert_one, table_row},
    RepoError, Step,
};
use sqlx::{Any, AnyConnection, Executor};

table_row!(
    /// A whole `webhook_endpoints` row.
    EndpointRow in "webhook_endpoints" {
    id: String,
    org_id: String,
    url: String,
    events: String,
    secret: String,
    created_by_name: String,
    created_at: i64,
});

pub async fn insert_endpoint(conn: &mut AnyConnection, row: EndpointRow) -> Result<(), RepoError> {
    insert_one(conn, row).await.step("insert webhook endpoint")
}

/// No `Debug`: it holds the secret.
#[derive(sqlx::FromRow)]
pub struct EndpointRecord {
    pub id: String,
    pub url: String,
    pub events: String,
    pub secret: String,
    pub created_by_name: String,
    pub created_at: i64,
}

/// The organisation's endpoints, oldest first.
pub async fn find_endpoints_of_org<'c>(
    db: impl Executor<'c, Database = Any>,
    org_id: &str,
) -> Result<Vec<EndpointRecord>, RepoError> {
    sqlx::query_as(
        "SELECT id, url, events, secret, created_by_name, created_at
         FROM webhook_endpoints WHERE org_id = $1 ORDER BY created_at, id",
    )
    .bind(org_id)
    .fetch_all(db)
    .await
    .step("find webhook endpoints of organisation")
}

/// Deletes an endpoint of this organisation, and with it its deliveries;
/// its URL, or `None` if it has none by that id.
pub async fn delete_endpoint<'c>(
    db: impl Executor<'c, Database = Any>,
    org_id: &str,
    id: &str,
) -> Result<Option<String>, RepoError> {
    let url: Option<(String,)> =
        sqlx::query_as("DELETE FROM webhook_endpoints WHERE org_id = $1 AND id = $2 RETURNING url")
            .bind(org_id)
            .bind(id)
            .fetch_optional(db)
            .await
            .step("delete webhook endpoint")?;
    Ok(url.map(|(url,)| url))
}

table_row!(
    /// A whole `webhook_deliveries` row, queued.
    DeliveryRow in "webhook_deliveries" {
    id: String,
    endpoint_id: String,
    org_id: String,
    event_type: String,
    payload: String,
    status: &'static str,
    attempts: i64,
    next_attempt_at: i64,
    claimed_until: i64,
    created_at: i64,
    delivered_at: Option<i64>,
    last_status_code: Option<i64>,
    last_error: Option<String>,
});

/// Queues deliveries in the caller's transaction: the change and its
/// webhooks commit together or not at all.
pub async fn queue_deliveries(
    conn: &mut AnyConnection,
    rows: Vec<DeliveryRow>,
) -> Result<(), RepoError> {
    insert_many(conn, rows)
        .await
        .step("queue webhook deliveries")
}

/// A due delivery, with what sending it needs (no `Debug`: the secret).
#[derive(sqlx::FromRow)]
pub struct DueDelivery {
    pub id: String,
    pub endpoint_id: String,
    pub url: String,
    pub secret: String,
    pub payload: String,
    pub attempts: i64,
    pub created_at: i64,
}

/// Leases up to `limit` due deliveries until `lease_until`, as the email
/// outbox does (`outbox::claim_due`): the lease is re-checked in the
/// UPDATE, and Postgres skips rows another instance is claiming.
pub async fn claim_due(
    conn: &mut AnyConnection,
    now: i64,
    lease_until: i64,
    limit: i64,
) -> Result<Vec<DueDelivery>, RepoError> {
    let claim = if conn.backend_name() == <sqlx::Postgres as sqlx::Database>::NAME {
        "WITH due AS MATERIALIZED (
             SELECT id FROM webhook_deliveries
             WHERE status = 'queued' AND claimed_until <= $1 AND next_attempt_at <= $1
             ORDER BY next_attempt_at LIMIT $3
             FOR UPDATE SKIP LOCKED)
         UPDATE webhook_deliveries d SET claimed_until = $2
         FROM due
         WHERE d.id = due.id AND d.status = 'queued' AND d.claimed_until <= $1
         RETURNING d.id"
    } else {
        "UPDATE webhook_deliveries SET claimed_until = $2
         WHERE status = 'queued' AND claimed_until <= $1 AND next_attempt_at <= $1
           AND id IN (SELECT id FROM webhook_deliveries
                      WHERE status = 'queued' AND claimed_until <= $1 AND next_attempt_at <= $1
                      ORDER BY next_attempt_at LIMIT $3)
         RETURNING id"
    };
    let claimed: Vec<(String,)> = sqlx::query_as(claim)
        .bind(now)
        .bind(lease_until)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await
        .step("claim due webhook deliveries")?;
    if claimed.is_empty() {
        return Ok(vec![]);
    }
    let mut sql = super::sql::Sql::new(
        "SELECT d.id, d.endpoint_id, e.url, e.secret, d.payload, d.attempts, d.created_at
         FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
         WHERE d.id IN (",
    );
    sql.push_list(claimed.into_iter().map(|(id,)| id))
        .push(") ORDER BY d.created_at, d.id");
    sql.query_as()
        .fetch_all(&mut *conn)
        .await
        .step("read claimed webhook deliveries")
}

/// How one attempt went.
#[derive(Debug)]
pub struct Attempt {
    pub delivery_id: String,
    /// The lease it was sent under: a worker whose lease ran out (and
    /// whose delivery another worker may have sent since) records nothing.
    pub lease_until: i64,
    pub at: i64,
    pub delivered: bool,
    pub status_code: Option<i64>,
    pub error: Option<String>,
    /// When to try again; `None` after a success, or to fail it for good.
    pub retry_at: Option<i64>,
}

/// Records an attempt and releases the lease; false if the lease was lost.
pub async fn record_attempt<'c>(
    db: impl Executor<'c, Database = Any>,
    attempt: &Attempt,
) -> Result<bool, RepoError> {
    let (status, next_attempt_at) = match (attempt.delivered, attempt.retry_at) {
        (true, _) => ("delivered", attempt.at),
        (false, Some(at)) => ("queued", at),
        (false, None) => ("failed", attempt.at),
    };
    let done = sqlx::query(
        "UPDATE webhook_deliveries
         SET status = $2, attempts = attempts + 1, next_attempt_at = $3, claimed_until = 0,
             last_status_code = $4, last_error = $5, delivered_at = $6
         WHERE id = $1 AND status = 'queued' AND claimed_until = $7",
    )
    .bind(attempt.delivery_id.as_str())
    .bind(status)
    .bind(next_attempt_at)
    .bind(attempt.status_code)
    .bind(attempt.error.as_deref())
    .bind(attempt.delivered.then_some(attempt.at))
    .bind(attempt.lease_until)
    .execute(db)
    .await
    .step("record webhook delivery attempt")?;
    Ok(done.rows_affected() == 1)
}

/// An endpoint that did not answer at all: its other queued deliveries wait
/// until `until` too, rather than each taking a worker for the timeout.
pub async fn postpone_deliveries_to<'c>(
    db: impl Executor<'c, Database = Any>,
    endpoint_id: &str,
    now: i64,
    until: i64,
) -> Result<u64, RepoError> {
    let done = sqlx::query(
        "UPDATE webhook_deliveries SET next_attempt_at = $3
         WHERE endpoint_id = $1 AND status = 'queued' AND claimed_until <= $2
           AND next_attempt_at < $3",
    )
    .bind(endpoint_id)
    .bind(now)
    .bind(until)
    .execute(db)
    .await
    .step("postpone deliveries to an unreachable endpoint")?;
    Ok(done.rows_affected())
}

#[derive(Debug, sqlx::FromRow)]
pub struct DeliveryRecord {
    pub id: String,
    pub endpoint_url: String,
    pub event_type: String,
    pub status: String,
    pub attempts: i64,
    pub created_at: i64,
    pub next_attempt_at: i64,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
}

/// The organisation's newest deliveries, newest first.
pub async fn find_recent_deliveries<'c>(
    db: impl Executor<'c, Database = Any>,
    org_id: &str,
    limit: i64,
) -> Result<Vec<DeliveryRecord>, RepoError> {
    sqlx::query_as(
        "SELECT d.id, e.url AS endpoint_url, d.event_type, d.status, d.attempts, d.created_at,
                d.next_attempt_at, d.last_status_code, d.last_error
         FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
         WHERE d.org_id = $1 ORDER BY d.created_at DESC, d.id DESC LIMIT $2",
    )
    .bind(org_id)
    .bind(limit)
    .fetch_all(db)
    .await
    .step("find recent webhook deliveries")
}

/// Makes the deliveries waiting out a back-off due at `now`; how many.
/// For tests, which would otherwise sleep through it.
pub async fn skip_back_off<'c>(
    db: impl Executor<'c, Database = Any>,
    now: i64,
) -> Result<u64, RepoError> {
    let done = sqlx::query(
        "UPDATE webhook_deliveries SET next_attempt_at = $1
         WHERE status = 'queued' AND next_attempt_at > $1",
    )
    .bind(now)
    .execute(db)
    .await
    .step("skip webhook back-off")?;
    Ok(done.rows_affected())
}

/// An organisation with an endpoint that asked for `invitation.expired`:
/// expiries after `announced_until` (or, the first time, after the oldest
/// such endpoint was made) are still to be announced.
#[derive(Debug, sqlx::FromRow)]
pub struct ExpiryMark {
    pub org_id: String,
    pub announced_until: i64,
    pub first_subscribed_at: i64,
}

pub async fn find_expiry_marks<'c>(
    db: impl Executor<'c, Database = Any>,
    event_name: &str,
) -> Result<Vec<ExpiryMark>, RepoError> {
    sqlx::query_as(
        "SELECT o.id AS org_id, o.expiries_announced_until AS announced_until,
                MIN(e.created_at) AS first_subscribed_at
         FROM webhook_endpoints e JOIN organisations o ON o.id = e.org_id
         WHERE ' ' || e.events || ' ' LIKE $1
         GROUP BY o.id, o.expiries_announced_until",
    )
    // Whole names only (the list is separated by spaces).
    .bind(format!("% {event_name} %"))
    .fetch_all(db)
    .await
    .step("find organisations announcing link expiries")
}

/// Moves the organisation's mark from `from` to `to`; false if another
/// instance moved it first (then that one announces this stretch).
pub async fn advance_expiry_mark(
    conn: &mut AnyConnection,
    org_id: &str,
    from: i64,
    to: i64,
) -> Result<bool, RepoError> {
    let done = sqlx::query(
        "UPDATE organisations SET expiries_announced_until = $3
         WHERE id = $1 AND expiries_announced_until = $2",
    )
    .bind(org_id)
    .bind(from)
    .bind(to)
    .execute(&mut *conn)
    .await
    .step("advance link expiry mark")?;
    Ok(done.rows_affected() == 1)
}

/// An Invited user whose link expired in the stretch, with its invitation.
#[derive(Debug, sqlx::FromRow)]
pub struct ExpiredInvitation {
    pub invitation_id: String,
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub expired_at: i64,
}

/// Invited users whose current link expired after `after` and by `until`
/// (the users listing's index on organisation, status and link expiry).
pub async fn find_expired_between(
    conn: &mut AnyConnection,
    org_id: &str,
    after: i64,
    until: i64,
) -> Result<Vec<ExpiredInvitation>, RepoError> {
    sqlx::query_as(
        "SELECT i.id AS invitation_id, u.id AS user_id, u.email, u.name,
                u.link_expires_at AS expired_at
         FROM users u JOIN invitations i ON i.user_id = u.id AND i.status = 'pending'
         WHERE u.org_id = $1 AND u.status = 'invited'
           AND u.link_expires_at > $2 AND u.link_expires_at <= $3
         ORDER BY u.link_expires_at, u.id",
    )
    .bind(org_id)
    .bind(after)
    .bind(until)
    .fetch_all(&mut *conn)
    .await
    .step("find invitations whose link expired")
}

/// For email.failed: the email's organisation, invitation and invitee.
#[derive(Debug, sqlx::FromRow)]
pub struct FailedEmail {
    pub outbox_id: String,
    pub org_id: String,
    pub invitation_id: Option<String>,
    pub user_id: Option<String>,
    pub to_address: String,
    pub last_result: Option<String>,
}

pub async fn find_failed_emails(
    conn: &mut AnyConnection,
    outbox_ids: &[&str],
) -> Result<Vec<FailedEmail>, RepoError> {
    let mut sql = super::sql::Sql::new(
        "SELECT o.id AS outbox_id, o.org_id, o.invitation_id, i.user_id, o.to_address, o.last_result
         FROM outbox o LEFT JOIN invitations i ON i.id = o.invitation_id
         WHERE o.id IN (",
    );
    sql.push_list(outbox_ids.iter().copied()).push(")");
    sql.query_as()
        .fetch_all(&mut *conn)
        .await
        .step("find emails that failed for good")
}

/// Forgets deliveries finished (delivered or failed) before `before`; how
/// many. A finished delivery's `next_attempt_at` is when it finished, so
/// the due index finds them; queued ones stay whatever their age.
pub async fn delete_finished_deliveries_before<'c>(
    db: impl Executor<'c, Database = Any>,
    before: i64,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "DELETE FROM webhook_deliveries
         WHERE status IN ('delivered', 'failed') AND next_attempt_at < $1",
    )
    .bind(before)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

//! Webhooks (Step 10): Org Managers register endpoints and the events they
//! want. Each event is queued for every endpoint that asked for it in the
//! transaction of the change it reports (`announce`), so a change and its
//! webhooks commit together; `webhooks::worker` delivers them.

use super::{access, invitations::organisation_audit_entry, Engine};
use crate::domain::{
    webhooks::{
        events_from_text, events_to_text, parse_chosen_events, DeliveryState, WebhookDelivery,
        WebhookEndpoint, WebhookEvent, WebhookSettings, TEST_EVENT,
    },
    AppError, SessionUser,
};
use crate::server::{
    new_id, outbound_url,
    repos::{self, audit, is_unique_violation, webhooks as repo, RepoError},
    webhooks::signature,
};
use serde_json::{json, Value};
use sqlx::AnyConnection;
use std::collections::BTreeMap;

/// Endpoints per organisation: each event is one delivery per endpoint.
pub const MAX_ENDPOINTS: usize = 10;
/// Deliveries the settings page lists.
const RECENT_DELIVERIES: i64 = 50;

impl Engine {
    pub async fn webhook_settings(&self, actor: &SessionUser) -> Result<WebhookSettings, AppError> {
        access::require_org_manager(actor)?;
        let endpoints = repo::find_endpoints_of_org(&self.db, &actor.org_id).await?;
        let deliveries =
            repo::find_recent_deliveries(&self.db, &actor.org_id, RECENT_DELIVERIES).await?;
        Ok(WebhookSettings {
            endpoints: endpoints.into_iter().map(endpoint_of).collect(),
            deliveries: deliveries
                .into_iter()
                .map(|row| {
                    let state = DeliveryState::from_db(&row.status);
                    WebhookDelivery {
                        id: row.id,
                        endpoint_url: row.endpoint_url,
                        event: row.event_type,
                        state,
                        attempts: row.attempts,
                        created_at: row.created_at,
                        status_code: row.last_status_code,
                        error: row.last_error,
                        next_attempt_at: (state == DeliveryState::Queued && row.attempts > 0)
                            .then_some(row.next_attempt_at),
                    }
                })
                .collect(),
        })
    }

    /// Registers `url` for the chosen events, with a fresh signing secret.
    pub async fn add_webhook_endpoint(
        &self,
        actor: &SessionUser,
        url: &str,
        events: &[String],
        now: i64,
    ) -> Result<WebhookEndpoint, AppError> {
        access::require_org_manager(actor)?;
        let (url, _) = outbound_url::check(
            url,
            &outbound_url::UrlField {
                label: "Endpoint URL",
                example: "https://hr.example.com/roster-events",
                local: "a receiver",
                query_allowed: true,
            },
        )
        .map_err(AppError::Invalid)?;
        let events = parse_chosen_events(events).map_err(AppError::Invalid)?;
        let mut tx = repos::begin(&self.db, "begin adding a webhook endpoint").await?;
        let existing = repo::find_endpoints_of_org(&mut *tx, &actor.org_id).await?;
        if existing.len() >= MAX_ENDPOINTS {
            return Err(AppError::invalid(format!(
                "An organisation can have at most {MAX_ENDPOINTS} webhook endpoints. Delete one first."
            )));
        }
        let already = || {
            AppError::invalid(format!(
                "{url} is already an endpoint. Delete it first to change its events."
            ))
        };
        if existing.iter().any(|e| e.url == url) {
            return Err(already());
        }
        let row = repo::EndpointRow {
            id: new_id(),
            org_id: actor.org_id.clone(),
            url: url.clone(),
            events: events_to_text(&events),
            secret: signature::new_secret(),
            created_by_name: actor.name.clone(),
            created_at: now,
        };
        let endpoint = WebhookEndpoint {
            id: row.id.clone(),
            url: row.url.clone(),
            events,
            secret: row.secret.clone(),
            created_by: row.created_by_name.clone(),
            created_at: now,
        };
        // The same address added twice at once: the unique index refuses one.
        repo::insert_endpoint(&mut tx, row).await.map_err(|e| {
            if is_unique_violation(&e.source) {
                already()
            } else {
                e.into()
            }
        })?;
        audit::record(
            &mut tx,
            organisation_audit_entry(actor, "add_webhook", &url, now),
        )
        .await?;
        repos::commit(tx, "commit the webhook endpoint").await?;
        Ok(endpoint)
    }

    /// Deletes an endpoint; its queued deliveries go with it.
    pub async fn delete_webhook_endpoint(
        &self,
        actor: &SessionUser,
        id: &str,
        now: i64,
    ) -> Result<(), AppError> {
        access::require_org_manager(actor)?;
        let mut tx = repos::begin(&self.db, "begin deleting a webhook endpoint").await?;
        let url = repo::delete_endpoint(&mut *tx, &actor.org_id, id)
            .await?
            .ok_or(AppError::NotFound)?;
        audit::record(
            &mut tx,
            organisation_audit_entry(actor, "delete_webhook", &url, now),
        )
        .await?;
        repos::commit(tx, "commit deleting the webhook endpoint").await?;
        Ok(())
    }

    /// Queues a `webhook.test` delivery to one endpoint, whatever its events:
    /// the manager checks the receiver's address and secret without
    /// inviting anyone.
    pub async fn send_test_webhook(
        &self,
        actor: &SessionUser,
        endpoint_id: &str,
        now: i64,
    ) -> Result<String, AppError> {
        access::require_org_manager(actor)?;
        let endpoint = repo::find_endpoints_of_org(&self.db, &actor.org_id)
            .await?
            .into_iter()
            .find(|e| e.id == endpoint_id)
            .ok_or(AppError::NotFound)?;
        let payload = body(
            TEST_EVENT,
            now,
            json!({ "endpoint_id": endpoint.id, "sent_by": actor.name }),
        );
        let mut tx = repos::begin(&self.db, "begin queueing a test webhook").await?;
        let row = queued(&endpoint.id, &actor.org_id, TEST_EVENT, &payload, now);
        repo::queue_deliveries(&mut tx, vec![row]).await?;
        repos::commit(tx, "commit the test webhook").await?;
        self.webhook_wake.notify_one();
        Ok(endpoint.url)
    }

    /// `invitation.expired` for each Invited user whose link expired since
    /// the organisation's mark, which moves in the same transaction. An
    /// invitation resent before the scan is no longer expired, and is not
    /// announced. Returns how many were announced.
    pub async fn announce_expiries(&self, now: i64) -> Result<usize, AppError> {
        let event = WebhookEvent::InvitationExpired;
        let marks = repo::find_expiry_marks(&self.db, event.name()).await?;
        let mut announced = 0;
        for mark in marks {
            let from = mark.announced_until.max(mark.first_subscribed_at);
            if from >= now {
                continue;
            }
            let mut tx = repos::begin(&self.db, "begin announcing link expiries").await?;
            if !repo::advance_expiry_mark(&mut tx, &mark.org_id, mark.announced_until, now).await? {
                continue;
            }
            let expired = repo::find_expired_between(&mut tx, &mark.org_id, from, now).await?;
            announced += expired.len();
            announce_each(&mut tx, &mark.org_id, event, now, || {
                expired
                    .iter()
                    .map(|e| {
                        invitation_data(
                            &e.invitation_id,
                            &e.user_id,
                            &e.email,
                            json!({ "name": e.name, "expired_at": timestamp(e.expired_at) }),
                        )
                    })
                    .collect()
            })
            .await?;
            repos::commit(tx, "commit announcing link expiries").await?;
        }
        Ok(announced)
    }
}

fn endpoint_of(row: repo::EndpointRecord) -> WebhookEndpoint {
    WebhookEndpoint {
        id: row.id,
        url: row.url,
        events: events_from_text(&row.events),
        secret: row.secret,
        created_by: row.created_by_name,
        created_at: row.created_at,
    }
}

/// Queues `event` with `data` for each endpoint of the organisation that
/// asked for it, in the caller's transaction.
pub(crate) async fn announce(
    conn: &mut AnyConnection,
    org_id: &str,
    event: WebhookEvent,
    at: i64,
    data: Value,
) -> Result<(), RepoError> {
    announce_each(conn, org_id, event, at, || vec![data]).await
}

/// Queues one `event` per item of `data` (made only if some endpoint asked
/// for the event: a bulk invite builds no bodies nobody wants).
pub(crate) async fn announce_each(
    conn: &mut AnyConnection,
    org_id: &str,
    event: WebhookEvent,
    at: i64,
    data: impl FnOnce() -> Vec<Value>,
) -> Result<(), RepoError> {
    let endpoints: Vec<String> = repo::find_endpoints_of_org(&mut *conn, org_id)
        .await?
        .into_iter()
        .filter(|e| events_from_text(&e.events).contains(&event))
        .map(|e| e.id)
        .collect();
    if endpoints.is_empty() {
        return Ok(());
    }
    let mut rows = Vec::new();
    for data in data() {
        let payload = body(event.name(), at, data);
        rows.extend(
            endpoints
                .iter()
                .map(|endpoint_id| queued(endpoint_id, org_id, event.name(), &payload, at)),
        );
    }
    repo::queue_deliveries(conn, rows).await
}

/// What every delivery's body is: `type`, `timestamp` and the event's `data`.
fn body(event_name: &str, at: i64, data: Value) -> String {
    json!({ "type": event_name, "timestamp": timestamp(at), "data": data }).to_string()
}

/// A delivery of `payload` to one endpoint, due at once.
fn queued(
    endpoint_id: &str,
    org_id: &str,
    event_name: &str,
    payload: &str,
    at: i64,
) -> repo::DeliveryRow {
    repo::DeliveryRow {
        id: new_id(),
        endpoint_id: endpoint_id.to_string(),
        org_id: org_id.to_string(),
        event_type: event_name.to_string(),
        payload: payload.to_string(),
        status: "queued",
        attempts: 0,
        next_attempt_at: at,
        claimed_until: 0,
        created_at: at,
        delivered_at: None,
        last_status_code: None,
        last_error: None,
    }
}

/// `email.failed` for each of these emails, which just failed for good, in
/// the transaction that records it.
pub(crate) async fn announce_failed_emails(
    conn: &mut AnyConnection,
    outbox_ids: &[&str],
    now: i64,
) -> Result<(), RepoError> {
    if outbox_ids.is_empty() {
        return Ok(());
    }
    // One look at each organisation's endpoints, however many of its
    // emails failed together (an SMTP server refusing a whole batch).
    let mut by_org: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for email in repo::find_failed_emails(conn, outbox_ids).await? {
        by_org.entry(email.org_id).or_default().push(json!({
            "email_id": email.outbox_id,
            "invitation_id": email.invitation_id,
            "user_id": email.user_id,
            "email": email.to_address,
            "reason": email.last_result,
        }));
    }
    for (org_id, failed) in by_org {
        announce_each(conn, &org_id, WebhookEvent::EmailFailed, now, || failed).await?;
    }
    Ok(())
}

/// The body's facts about an invitation, and `extra` ones of its event
/// (an object).
pub(crate) fn invitation_data(
    invitation_id: &str,
    user_id: &str,
    email: &str,
    extra: Value,
) -> Value {
    let mut data = json!({
        "invitation_id": invitation_id,
        "user_id": user_id,
        "email": email,
    });
    if let (Some(data), Value::Object(extra)) = (data.as_object_mut(), extra) {
        data.extend(extra);
    }
    data
}

/// Times in bodies: RFC 3339 in UTC, to the millisecond.
pub(crate) fn timestamp(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

//! The webhook worker: leases due deliveries, POSTs each signed body to its
//! endpoint, and records the answer as soon as it has it. A 2xx delivers
//! it; anything else (an error status, a redirect, no answer within 10 s)
//! is retried with the email outbox's back-off for a day. An endpoint that
//! does not answer at all has its other deliveries wait as long, so a dead
//! receiver of a 10,000-person bulk invite does not hold every worker for
//! its timeout. Every 30 s it also announces the links that expired
//! (`Engine::announce_expiries`).
//!
//! Delivery is at least once: should recording a 2xx fail, the lease runs
//! out and the body goes again, with the same `webhook-id` for the
//! receiver to recognise.

use super::{
    destination::{refusal, GuardedResolver, PrivateAddresses, RefusedDestination},
    signature,
};
use crate::domain::AppError;
use crate::server::{
    now_ms,
    repos::{self, webhooks as repo},
    retry::next_try_at,
    services::Engine,
};
use futures::StreamExt;
use std::time::Duration;

/// Deliveries sent at once.
const CONCURRENCY: usize = 8;
const BATCH: i64 = 32;
/// Longer than a delivery can take (the timeout) and its recording.
const LEASE_MS: i64 = 5 * 60_000;
const TIMEOUT: Duration = Duration::from_secs(10);
/// How often link expiries are looked for.
pub const EXPIRY_SCAN_EVERY: Duration = Duration::from_secs(30);

#[derive(Clone)]
pub struct WebhookWorker {
    engine: Engine,
    client: reqwest::Client,
    private: PrivateAddresses,
}

impl WebhookWorker {
    pub fn new(engine: Engine, private: PrivateAddresses) -> Self {
        let client = reqwest::Client::builder()
            // Names resolve to addresses deliveries may go to, or fail.
            .dns_resolver(std::sync::Arc::new(GuardedResolver(private)))
            // A redirect is an answer to fix at the receiver, not to follow:
            // following would send the signed body somewhere not registered.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("Roster-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the webhook HTTP client's settings are valid");
        WebhookWorker {
            engine,
            client,
            private,
        }
    }

    /// Delivers for as long as the server runs; woken when a change queues
    /// a delivery, else looks every second.
    pub fn spawn(self, expiry_scan_every: Duration) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut next_scan = tokio::time::Instant::now();
            loop {
                if tokio::time::Instant::now() >= next_scan {
                    if let Err(error) = self.engine.announce_expiries(now_ms()).await {
                        tracing::error!(error = ?error, "announcing link expiries");
                    }
                    next_scan = tokio::time::Instant::now() + expiry_scan_every;
                }
                match self.run_once().await {
                    Ok(sent) if sent > 0 => continue,
                    Ok(_) => {}
                    Err(error) => tracing::error!(error = ?error, "webhook worker"),
                }
                let wake = self.engine.webhook_wake.notified();
                let _ = tokio::time::timeout(Duration::from_secs(1), wake).await;
            }
        })
    }

    /// Sends one batch of due deliveries, recording each as it is answered;
    /// how many.
    pub async fn run_once(&self) -> Result<usize, AppError> {
        let now = now_ms();
        let lease_until = now + LEASE_MS;
        let due = {
            let mut conn = repos::acquire(&self.engine.db, "connect to claim webhooks").await?;
            repo::claim_due(&mut conn, now, lease_until, BATCH).await?
        };
        let count = due.len();
        futures::stream::iter(due)
            .for_each_concurrent(CONCURRENCY, |delivery| async move {
                let endpoint_id = delivery.endpoint_id.clone();
                let attempt = self.deliver(delivery, lease_until).await;
                self.record(&endpoint_id, &attempt).await;
            })
            .await;
        Ok(count)
    }

    async fn record(&self, endpoint_id: &str, attempt: &repo::Attempt) {
        let db = &self.engine.db;
        match repo::record_attempt(db, attempt).await {
            Ok(true) => {}
            Ok(false) => tracing::warn!(delivery = %attempt.delivery_id,
                "webhook attempt not recorded: its lease ran out first"),
            // The lease runs out and it is sent again, with the same webhook-id.
            Err(error) => tracing::error!(error = ?error, delivery = %attempt.delivery_id,
                "recording a webhook attempt"),
        }
        if let (None, Some(retry_at)) = (attempt.status_code, attempt.retry_at) {
            if let Err(error) =
                repo::postpone_deliveries_to(db, endpoint_id, attempt.at, retry_at).await
            {
                tracing::error!(error = ?error, endpoint = %endpoint_id, "postponing webhook deliveries");
            }
        }
    }

    async fn deliver(&self, delivery: repo::DueDelivery, lease_until: i64) -> repo::Attempt {
        let (status_code, error) = self.post(&delivery).await;
        let at = now_ms();
        let delivered = status_code.is_some_and(|code| (200..300).contains(&code));
        let error = match (delivered, error, status_code) {
            (true, ..) => None,
            (false, Some(error), _) => Some(error),
            (false, None, Some(code)) => Some(format!("The endpoint answered HTTP {code}.")),
            (false, None, None) => Some("No answer.".to_string()),
        };
        let retry_at = if delivered {
            None
        } else {
            let next = next_try_at(delivery.created_at, at, delivery.attempts + 1);
            tracing::warn!(delivery = %delivery.id, url = %delivery.url, ?error, retry = next.is_some(), "webhook not delivered");
            next
        };
        repo::Attempt {
            delivery_id: delivery.id,
            lease_until,
            at,
            delivered,
            status_code,
            error,
            retry_at,
        }
    }

    /// The receiver's status, or why there was none.
    async fn post(&self, delivery: &repo::DueDelivery) -> (Option<i64>, Option<String>) {
        // An address typed as such is not resolved: checked here.
        let literal = reqwest::Url::parse(&delivery.url)
            .ok()
            .and_then(|url| match url.host() {
                Some(url::Host::Ipv4(ip)) => Some(std::net::IpAddr::V4(ip)),
                Some(url::Host::Ipv6(ip)) => Some(std::net::IpAddr::V6(ip)),
                _ => None,
            });
        if let Some(why) = literal.and_then(|ip| refusal(ip, self.private)) {
            return (None, Some(why));
        }
        // Signed afresh each try: receivers refuse old timestamps.
        let timestamp = now_ms() / 1000;
        let signature =
            match signature::sign(&delivery.secret, &delivery.id, timestamp, &delivery.payload) {
                Ok(signature) => signature,
                Err(error) => return (None, Some(error.to_string())),
            };
        let sent = self
            .client
            .post(&delivery.url)
            .header("content-type", "application/json")
            .header("webhook-id", &delivery.id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(delivery.payload.clone())
            .send()
            .await;
        match sent {
            Ok(response) => (Some(i64::from(response.status().as_u16())), None),
            Err(error) if refused_by_resolver(&error).is_some() => {
                (None, refused_by_resolver(&error))
            }
            Err(error) if error.is_timeout() => (
                None,
                Some(format!("No answer within {} s.", TIMEOUT.as_secs())),
            ),
            Err(error) if error.is_connect() => {
                (None, Some("Could not connect to the endpoint.".into()))
            }
            Err(error) => (None, Some(format!("The request failed: {error}."))),
        }
    }
}

/// The guard's refusal, if that is why the request failed.
fn refused_by_resolver(error: &reqwest::Error) -> Option<String> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(refused) = cause.downcast_ref::<RefusedDestination>() {
            return Some(refused.0.clone());
        }
        source = cause.source();
    }
    None
}

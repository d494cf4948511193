//! The outbox worker (R20): leases due emails, sends them concurrently,
//! records every attempt, retries with exponential back-off.

use super::transport::{Delivery, Mailer};
use crate::server::{
    db::Db,
    new_id, now_ms,
    repos::outbox::{self, QueuedEmail},
};
use std::{sync::Arc, time::Duration};
use tokio::sync::Notify;

/// Emails sent at once. One SMTP send waits ~44 ms on loopback, so one at a
/// time cannot reach 200/s; 16 in flight can (TOOLCHAIN.md measurements).
const CONCURRENCY: usize = 16;
const BATCH: i64 = 64;
const LEASE_MS: i64 = 120_000;
/// After this many failed attempts (about a day of back-off) an email is failed for good.
pub const MAX_ATTEMPTS: i64 = 12;

#[derive(Clone)]
pub struct OutboxWorker {
    pub db: Db,
    pub mailer: Mailer,
    pub from: String,
    /// Poked when an email is queued, so it leaves at once instead of at the next poll.
    pub wake: Arc<Notify>,
}

/// Back-off after the `attempt`-th failure: 5 s, 10 s, 20 s … capped at 1 h.
pub fn retry_delay_ms(attempt: i64) -> i64 {
    let exponent = attempt.clamp(1, 20) - 1;
    (5_000i64 << exponent).min(3_600_000)
}

impl OutboxWorker {
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                match self.run_once().await {
                    Ok(n) if n > 0 => continue,
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = ?e, "outbox worker"),
                }
                let _ =
                    tokio::time::timeout(Duration::from_millis(500), self.wake.notified()).await;
            }
        })
    }

    /// Sends one batch of due emails; returns how many were attempted.
    pub async fn run_once(&self) -> Result<usize, sqlx::Error> {
        let now = now_ms();
        let due = outbox::claim_due(&self.db, now, now + LEASE_MS, BATCH).await?;
        let count = due.len();
        let semaphore = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
        let mut tasks = tokio::task::JoinSet::new();
        for email in due {
            let permit = semaphore
                .clone()
                .acquire_owned()
                .await
                .expect("semaphore open");
            let worker = self.clone();
            tasks.spawn(async move {
                let result = worker.deliver(email).await;
                drop(permit);
                result
            });
        }
        while let Some(joined) = tasks.join_next().await {
            if let Ok(Err(e)) = joined {
                tracing::error!(error = ?e, "recording a delivery attempt");
            }
        }
        Ok(count)
    }

    async fn deliver(&self, email: QueuedEmail) -> Result<(), sqlx::Error> {
        let outcome = self
            .mailer
            .deliver(
                &self.from,
                &email.to,
                &email.subject,
                &email.text,
                &email.html,
                &email.id,
            )
            .await;
        let now = now_ms();
        let attempt = email.attempts + 1;
        let (succeeded, reply, retry_at) = match outcome {
            Delivery::Sent(reply) => (true, reply, None),
            Delivery::Retry(reason) if attempt < MAX_ATTEMPTS => {
                (false, reason, Some(now + retry_delay_ms(attempt)))
            }
            Delivery::Retry(reason) | Delivery::Permanent(reason) => (false, reason, None),
        };
        if !succeeded {
            tracing::warn!(to = %email.to, attempt, "email not delivered: {reply}");
        }
        let mut conn = self.db.acquire().await?;
        outbox::record_attempt(
            &mut conn,
            &email.id,
            &new_id(),
            now,
            succeeded,
            &reply,
            retry_at,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::retry_delay_ms;

    #[test]
    fn r20_back_off_doubles_and_is_capped() {
        assert_eq!(retry_delay_ms(1), 5_000);
        assert_eq!(retry_delay_ms(2), 10_000);
        assert_eq!(retry_delay_ms(5), 80_000);
        assert_eq!(retry_delay_ms(11), 3_600_000);
        assert_eq!(retry_delay_ms(50), 3_600_000);
    }
}

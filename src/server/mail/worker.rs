//! The outbox worker (R20): leases due emails, sends them concurrently,
//! records every attempt, retries with exponential back-off for a day.
//! An invitation email whose invitation closed (or whose user was
//! deactivated) while it waited is not sent: its link would be dead.

use super::transport::{Delivery, Mailer};
use crate::server::retry::next_try_at;
use crate::server::{
    db::Db,
    new_id, now_ms,
    repos::outbox::{self, QueuedEmail},
    services::webhooks,
};
use std::{sync::Arc, time::Duration};
use tokio::sync::{mpsc, Notify, Semaphore};

/// Emails sent at once, each over its own SMTP connection. One send waits
/// ~44 ms on loopback (lettre writes the message's final `.` apart from
/// it, and without TCP_NODELAY that waits for the server's delayed ACK), so
/// one at a time cannot reach 200/s; 16 in flight can (TOOLCHAIN.md).
pub const CONCURRENCY: usize = 16;
const BATCH: i64 = 64;
/// Long enough to outlast a database that refuses the attempt's record for
/// minutes: until the record lands, nobody else may send the email again.
const LEASE_MS: i64 = 15 * 60_000;
/// Waits between tries to record an attempt the database refused.
const RECORD_RETRY: Duration = Duration::from_millis(500);

#[derive(Clone)]
pub struct OutboxWorker {
    pub db: Db,
    pub mailer: Mailer,
    pub from: String,
    /// Poked when an email is queued, so it leaves at once instead of at the next poll.
    pub wake: Arc<Notify>,
}

/// Where a sending task hands its attempt: the one task that records them.
type Finished = mpsc::UnboundedSender<outbox::Attempt>;

impl OutboxWorker {
    /// Empties the outbox for as long as the server runs.
    ///
    /// SMTP connections only ever wait on SMTP. The next batch is claimed
    /// as soon as the last email of this one has a connection, so none sits
    /// idle between batches; the batch's closed invitations are looked up
    /// in one query; attempts are recorded by one task as they finish,
    /// those that finish together in one transaction. (Each email once
    /// held its connection through its own check and a four-statement
    /// transaction, and each batch waited for its slowest email.)
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let connections = Arc::new(Semaphore::new(CONCURRENCY));
            let (finished, attempts) = mpsc::unbounded_channel();
            tokio::spawn(self.clone().record_as_they_finish(attempts));
            loop {
                match self.claim().await {
                    Ok(due) if !due.is_empty() => {
                        for (email, reason) in due {
                            self.dispatch(email, reason, &connections, &finished).await;
                        }
                        continue;
                    }
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = ?e, "outbox worker"),
                }
                let _ =
                    tokio::time::timeout(Duration::from_millis(500), self.wake.notified()).await;
            }
        })
    }

    /// Sends one batch of due emails; returns how many were attempted, once
    /// every attempt is recorded. What `spawn` does, one batch at a time.
    pub async fn run_once(&self) -> Result<usize, sqlx::Error> {
        let due = self.claim().await?;
        let count = due.len();
        let connections = Arc::new(Semaphore::new(CONCURRENCY));
        let (finished, attempts) = mpsc::unbounded_channel();
        let recording = tokio::spawn(self.clone().record_as_they_finish(attempts));
        for (email, reason) in due {
            self.dispatch(email, reason, &connections, &finished).await;
        }
        drop(finished);
        // The recorder ends once every sending task has handed over its attempt.
        if let Err(error) = recording.await {
            tracing::error!(error = ?error, "recording delivery attempts");
        }
        Ok(count)
    }

    /// Leases a batch of due emails, each with the reason it must not be
    /// sent, if its invitation closed while it waited.
    async fn claim(&self) -> Result<Vec<(QueuedEmail, Option<&'static str>)>, sqlx::Error> {
        let now = now_ms();
        let due = {
            let mut conn = self.db.acquire().await?;
            outbox::claim_due(&mut conn, now, now + LEASE_MS, BATCH).await?
        };
        if due.is_empty() {
            return Ok(vec![]);
        }
        let ids: Vec<&str> = due.iter().map(|email| email.id.as_str()).collect();
        let closed = outbox::reasons_not_to_send(&self.db, &ids).await?;
        Ok(due
            .into_iter()
            .map(|email| {
                let reason = closed.get(&email.id).copied();
                (email, reason)
            })
            .collect())
    }

    /// Sends `email` once an SMTP connection is free (waiting for one), or
    /// records at once why it is not sent.
    async fn dispatch(
        &self,
        email: QueuedEmail,
        not_sent: Option<&'static str>,
        connections: &Arc<Semaphore>,
        finished: &Finished,
    ) {
        if let Some(reason) = not_sent {
            tracing::info!(to = %email.to, "{reason}");
            let _ = finished.send(outbox::Attempt {
                id: new_id(),
                outbox_id: email.id,
                at: now_ms(),
                succeeded: false,
                reply: reason.to_string(),
                retry_at: None,
                tried: false,
            });
            return;
        }
        let connection = connections
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let (worker, finished) = (self.clone(), finished.clone());
        tokio::spawn(async move {
            let attempt = worker.send(&email).await;
            drop(connection);
            let _ = finished.send(attempt);
        });
    }

    async fn send(&self, email: &QueuedEmail) -> outbox::Attempt {
        let attempt = email.attempts + 1;
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
        let (succeeded, reply, retry_at) = match outcome {
            Delivery::Sent(reply) => (true, reply, None),
            Delivery::Retry(reason) => {
                let retry_at = next_try_at(email.created_at, now, attempt);
                (false, reason, retry_at)
            }
            Delivery::Permanent(reason) => (false, reason, None),
        };
        if !succeeded {
            tracing::warn!(to = %email.to, attempt, "email not delivered: {reply}");
        }
        outbox::Attempt {
            id: new_id(),
            outbox_id: email.id.clone(),
            at: now,
            succeeded,
            reply,
            retry_at,
            tried: true,
        }
    }

    /// Records each attempt as soon as it finished, together with any that
    /// finished while the last commit was under way.
    async fn record_as_they_finish(self, mut finished: mpsc::UnboundedReceiver<outbox::Attempt>) {
        while let Some(first) = finished.recv().await {
            let mut group = vec![first];
            while let Ok(more) = finished.try_recv() {
                group.push(more);
            }
            if group.len() > 1 {
                match self.record(&group).await {
                    Ok(()) => continue,
                    // One attempt the database refuses must not hold up the others.
                    Err(error) => tracing::warn!(error = ?error, attempts = group.len(),
                        "recording delivery attempts together failed; recording them one by one"),
                }
            }
            for attempt in &group {
                if let Err(error) = self.record_until_it_lands(attempt).await {
                    tracing::error!(error = ?error, outbox_id = %attempt.outbox_id, "recording a delivery attempt");
                }
            }
        }
    }

    /// Records attempts; an email that failed for good is announced
    /// (`email.failed`) in the same transaction.
    async fn record(&self, attempts: &[outbox::Attempt]) -> Result<(), sqlx::Error> {
        let mut tx = self.db.begin().await?;
        outbox::record_attempts(&mut tx, attempts).await?;
        let failed: Vec<&str> = attempts
            .iter()
            .filter(|a| a.tried && !a.succeeded && a.retry_at.is_none())
            .map(|a| a.outbox_id.as_str())
            .collect();
        if let Err(error) = webhooks::announce_failed_emails(&mut tx, &failed, now_ms()).await {
            tracing::error!(step = error.step, error = ?error.source, "announcing failed emails");
            return Err(error.source);
        }
        tx.commit().await
    }

    /// Records an attempt, trying again while the database refuses (locked,
    /// restarting) for as long as the lease holds: an email that went out
    /// but is not recorded would be sent again once the lease ran out.
    async fn record_until_it_lands(&self, attempt: &outbox::Attempt) -> Result<(), sqlx::Error> {
        let give_up_at = attempt.at + LEASE_MS - 60_000;
        loop {
            match self.record(std::slice::from_ref(attempt)).await {
                Ok(()) => return Ok(()),
                Err(error) if now_ms() < give_up_at => {
                    tracing::warn!(error = ?error, outbox_id = %attempt.outbox_id, "recording a delivery attempt failed; trying again");
                    tokio::time::sleep(RECORD_RETRY).await;
                }
                Err(error) => return Err(error),
            }
        }
    }
}

//! Periodic clean-up: expired sessions, finished single sign-on flows and
//! webhook deliveries finished a month ago leave the database, and the rate
//! limiters forget clients that are back to a full allowance, so none grows
//! with the number of visitors (or events) over time.

use super::{
    db::Db,
    now_ms,
    rate_limit::Limiters,
    repos::{sessions, sso, webhooks},
};
use std::time::Duration;

/// How long the Webhooks page can list a finished delivery.
pub const WEBHOOK_DELIVERIES_KEPT_MS: i64 = 30 * 24 * 3600 * 1000;

pub async fn sweep(db: &Db, limiters: &Limiters, now: i64) -> Result<u64, sqlx::Error> {
    limiters.sweep();
    // A flow lives ten minutes; a day keeps recent ones for a look in the database.
    sso::delete_sso_requests_started_before(db, now - 24 * 3600 * 1000).await?;
    webhooks::delete_finished_deliveries_before(db, now - WEBHOOK_DELIVERIES_KEPT_MS).await?;
    sessions::delete_expired_sessions(db, now).await
}

/// Sweeps every `every` until the server stops.
pub fn spawn(db: Db, limiters: Limiters, every: Duration) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match sweep(&db, &limiters, now_ms()).await {
                Ok(0) => {}
                Ok(removed) => tracing::info!(removed, "expired sessions removed"),
                Err(error) => {
                    tracing::error!(error = ?error, "housekeeping: deleting expired sessions failed")
                }
            }
        }
    });
}

//! Periodic clean-up: expired sessions leave the database, and the rate
//! limiters forget clients that are back to a full allowance, so neither
//! grows with the number of visitors over time.

use super::{db::Db, now_ms, rate_limit::Limiters, repos::sessions};
use std::time::Duration;

pub async fn sweep(db: &Db, limiters: &Limiters, now: i64) -> Result<u64, sqlx::Error> {
    limiters.sweep();
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

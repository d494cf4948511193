//! `/healthz`: ready means the database answers *and* accepts writes
//! (a database that only reads cannot invite anyone).

use super::{db::Db, now_ms, repos::health};
use std::{
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::sync::Mutex;

/// A write that has not gone through in this time counts as refused.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);
/// Load balancers poll often; one probe a second answers all of them.
const FRESH_FOR: Duration = Duration::from_secs(1);

/// The last check: when, and what it found.
type LastCheck = Option<(Instant, Result<(), &'static str>)>;

#[derive(Clone)]
pub struct HealthCheck {
    db: Db,
    last: Arc<Mutex<LastCheck>>,
}

impl HealthCheck {
    pub fn new(db: Db) -> Self {
        HealthCheck {
            db,
            last: Arc::new(Mutex::new(None)),
        }
    }

    /// `Err` names what is wrong, in words fit for an operator.
    pub async fn check(&self) -> Result<(), &'static str> {
        // Held during the probe: concurrent callers wait and reuse its answer.
        let mut last = self.last.lock().await;
        if let Some((at, result)) = *last {
            if at.elapsed() < FRESH_FOR {
                return result;
            }
        }
        let result = match tokio::time::timeout(
            PROBE_TIMEOUT,
            health::probe_write(&self.db, now_ms()),
        )
        .await
        {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => {
                tracing::error!(error = ?error, "health check: the database refused a write");
                Err("database refuses writes")
            }
            Err(_) => {
                tracing::error!("health check: a write did not finish within {PROBE_TIMEOUT:?}");
                Err("database does not accept writes in time")
            }
        };
        *last = Some((Instant::now(), result));
        result
    }
}

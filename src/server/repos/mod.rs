//! SQL, one module per table group. Functions are named after their query and
//! know nothing of HTTP or of the rules; services call them.

pub mod api_tokens;
pub mod audit;
pub mod batch;
pub mod demo;
pub mod health;
pub mod history;
pub mod invitations;
pub mod listing;
pub mod orgs;
pub mod outbox;
pub mod reminders;
pub mod sessions;
pub mod sql;
pub mod sso;
pub mod teams;
pub mod users;
pub mod webhooks;

use crate::domain::AppError;

/// A database error and the step that failed ("find page of user ids"): the
/// log says where, and the client still sees only the generic failure.
#[derive(Debug, thiserror::Error)]
#[error("database error in step {step:?}")]
pub struct RepoError {
    pub step: &'static str,
    #[source]
    pub source: sqlx::Error,
}

/// `.step("...")` on a query's result names the step for the log.
pub trait Step<T> {
    fn step(self, step: &'static str) -> Result<T, RepoError>;
}

impl<T> Step<T> for Result<T, sqlx::Error> {
    fn step(self, step: &'static str) -> Result<T, RepoError> {
        self.map_err(|source| RepoError { step, source })
    }
}

/// The one place a database error becomes the client's answer: logged with
/// its step and whole chain, it reaches the client as a generic failure (SQL
/// text never leaks), or as a 503 to retry while the database is restarting
/// or unreachable.
impl From<RepoError> for AppError {
    fn from(error: RepoError) -> Self {
        tracing::error!(step = error.step, error = ?error.source, "database error");
        crate::server::db::client_error(&error.source)
    }
}

/// Begins a transaction; a failure names `step` ("begin invitation").
pub async fn begin(
    db: &crate::server::db::Db,
    step: &'static str,
) -> Result<sqlx::Transaction<'static, sqlx::Any>, RepoError> {
    db.begin().await.step(step)
}

/// Commits `tx`; a failure names `step` ("commit invitation").
pub async fn commit(
    tx: sqlx::Transaction<'_, sqlx::Any>,
    step: &'static str,
) -> Result<(), RepoError> {
    tx.commit().await.step(step)
}

/// A connection of its own from the pool, for statements that need no
/// transaction but several round trips.
pub async fn acquire(
    db: &crate::server::db::Db,
    step: &'static str,
) -> Result<sqlx::pool::PoolConnection<sqlx::Any>, RepoError> {
    db.acquire().await.step(step)
}

pub fn is_unique_violation(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(e) => {
            e.is_unique_violation()
                || e.message().contains("UNIQUE constraint failed")
                || e.code().as_deref() == Some("23505")
        }
        _ => false,
    }
}

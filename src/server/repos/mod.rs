//! SQL, one module per table group. Functions are named after their query and
//! know nothing of HTTP or of the rules; services call them.

pub mod audit;
pub mod batch;
pub mod health;
pub mod history;
pub mod invitations;
pub mod orgs;
pub mod outbox;
pub mod sessions;
pub mod sso;
pub mod teams;
pub mod users;

use crate::domain::AppError;

/// Database errors are logged with their whole chain and reach the client as
/// a generic failure: SQL text never leaks.
pub fn db_error(error: sqlx::Error) -> AppError {
    tracing::error!(error = ?error, "database error");
    // A database that is restarting or unreachable is a 503 the client may
    // retry; anything else is our fault.
    crate::server::db::client_error(&error)
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

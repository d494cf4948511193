//! The invitation engine: every rule of SPEC §3–§4 as services that take the
//! caller and the time as parameters. Server functions are thin wrappers.

pub mod access;
pub mod api_tokens;
pub mod bulk;
pub mod counts_cache;
pub mod history;
pub mod invitations;
pub mod listing;
pub mod registration;
pub mod reminders;
pub mod sign_in_settings;
pub mod teams;
pub mod webhooks;

use super::db::Db;
use std::sync::Arc;
use tokio::sync::Notify;

/// The engine's dependencies: the database, link settings and the outbox
/// worker's doorbell.
#[derive(Clone)]
pub struct Engine {
    pub db: Db,
    /// Base of links, e.g. `https://roster.example.org` (never the request's Host).
    pub public_url: String,
    pub invite_ttl_ms: i64,
    pub resend_cooldown_ms: i64,
    pub outbox_wake: Arc<Notify>,
    /// The webhook worker's doorbell: a change queued a delivery.
    pub webhook_wake: Arc<Notify>,
    pub counts_cache: counts_cache::CountsCache,
}

impl Engine {
    /// Commits a change to users, invitations or links; cached counts go.
    pub(crate) async fn commit(
        &self,
        tx: sqlx::Transaction<'_, sqlx::Any>,
    ) -> Result<(), crate::domain::AppError> {
        super::repos::commit(tx, "commit change to users, invitations or links").await?;
        self.counts_cache.invalidate();
        Ok(())
    }

    pub fn invite_url(&self, token: &str) -> String {
        format!("{}/invite/{token}", self.public_url)
    }
}

/// Last characters of a token, shown to managers to compare with the URL
/// an invitee clicked (R12). Six of 43 characters reveal nothing useful.
pub fn token_end(token: &str) -> String {
    token[token.len().saturating_sub(6)..].to_string()
}

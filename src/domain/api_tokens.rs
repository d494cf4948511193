//! API tokens as Platform Settings lists them, and the shape of a token.

use serde::{Deserialize, Serialize};

/// What every API token starts with: scanners for leaked secrets can spot
/// it, and it tells a token from a session cookie at a glance.
pub const TOKEN_PREFIX: &str = "roster_";

/// A token, without its secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiTokenSummary {
    pub id: String,
    pub name: String,
    /// The secret's last characters, to tell tokens apart.
    pub token_end: String,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl ApiTokenSummary {
    /// Works now: not revoked, not expired.
    pub fn is_usable(&self, now: i64) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|at| at > now)
    }
}

/// A token just made: its secret is shown this once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatedApiToken {
    pub secret: String,
    pub token: ApiTokenSummary,
}

//! API tokens (Step 10): Org Managers make and revoke them; a request that
//! presents one acts as an Org Manager of the token's organisation, named
//! after the token in the audit log.

use super::{access, invitations::organisation_audit_entry, Engine};
use crate::domain::{
    api_tokens::{ApiTokenSummary, CreatedApiToken, TOKEN_PREFIX},
    AppError, Role, SessionUser,
};
use crate::server::{
    auth::clean_name,
    new_id,
    repos::{self, api_tokens, audit},
    tokens,
};

/// A token's use is written at most this often: not a write per request.
const USE_RECORDED_EVERY_MS: i64 = 60_000;
/// Longest a token may be made for.
const LONGEST_DAYS: u32 = 3_650;

impl Engine {
    pub async fn api_tokens(&self, actor: &SessionUser) -> Result<Vec<ApiTokenSummary>, AppError> {
        access::require_org_manager(actor)?;
        let rows = api_tokens::find_api_tokens_of_org(&self.db, &actor.org_id).await?;
        Ok(rows
            .into_iter()
            .map(|row| ApiTokenSummary {
                id: row.id,
                name: row.name,
                token_end: row.token_end,
                created_by: row.created_by_name,
                created_at: row.created_at,
                expires_at: row.expires_at,
                last_used_at: row.last_used_at,
                revoked_at: row.revoked_at,
            })
            .collect())
    }

    /// Makes a token named `name`, valid for `days` days or until revoked.
    /// The secret is in the answer and nowhere else.
    pub async fn create_api_token(
        &self,
        actor: &SessionUser,
        name: &str,
        days: Option<u32>,
        now: i64,
    ) -> Result<CreatedApiToken, AppError> {
        access::require_org_manager(actor)?;
        let name = clean_name(name, "The token's name")?;
        if days.is_some_and(|d| d == 0 || d > LONGEST_DAYS) {
            return Err(AppError::invalid(format!(
                "A token lasts from 1 to {LONGEST_DAYS} days, or until it is revoked."
            )));
        }
        let token = tokens::new_token();
        let secret = format!("{TOKEN_PREFIX}{}", token.secret);
        let summary = ApiTokenSummary {
            id: new_id(),
            name: name.clone(),
            token_end: token.secret[token.secret.len() - 4..].to_string(),
            created_by: actor.name.clone(),
            created_at: now,
            expires_at: days.map(|d| now + i64::from(d) * 86_400_000),
            last_used_at: None,
            revoked_at: None,
        };
        let mut tx = repos::begin(&self.db, "begin making an API token").await?;
        api_tokens::insert_api_token(
            &mut *tx,
            api_tokens::NewApiToken {
                id: &summary.id,
                org_id: &actor.org_id,
                name: &summary.name,
                token_hash: &token.hash,
                token_end: &summary.token_end,
                created_by_id: &actor.id,
                created_by_name: &actor.name,
                created_at: now,
                expires_at: summary.expires_at,
            },
        )
        .await?;
        audit::record(
            &mut tx,
            organisation_audit_entry(actor, "create_api_token", &name, now),
        )
        .await?;
        repos::commit(tx, "commit the API token").await?;
        Ok(CreatedApiToken {
            secret,
            token: summary,
        })
    }

    pub async fn revoke_api_token(
        &self,
        actor: &SessionUser,
        id: &str,
        now: i64,
    ) -> Result<(), AppError> {
        access::require_org_manager(actor)?;
        let mut tx = repos::begin(&self.db, "begin revoking an API token").await?;
        let name = api_tokens::revoke_api_token(&mut *tx, &actor.org_id, id, now)
            .await?
            .ok_or(AppError::NotFound)?;
        audit::record(
            &mut tx,
            organisation_audit_entry(actor, "revoke_api_token", &name, now),
        )
        .await?;
        repos::commit(tx, "commit revoking the API token").await?;
        Ok(())
    }

    /// Who a request's `Authorization: Bearer` token acts as: an Org Manager
    /// of the token's organisation, named after the token. Unknown, revoked
    /// and expired tokens are all just `Unauthenticated`.
    pub async fn api_actor(&self, bearer: &str, now: i64) -> Result<SessionUser, AppError> {
        let secret = bearer
            .strip_prefix(TOKEN_PREFIX)
            .filter(|s| tokens::looks_like_token(s))
            .ok_or(AppError::Unauthenticated)?;
        let token = api_tokens::find_api_token_by_hash(&self.db, &tokens::hash_token(secret))
            .await?
            .filter(|t| t.revoked_at.is_none() && t.expires_at.is_none_or(|at| at > now))
            .ok_or(AppError::Unauthenticated)?;
        if token
            .last_used_at
            .is_none_or(|at| at + USE_RECORDED_EVERY_MS <= now)
        {
            api_tokens::record_api_token_use(&self.db, &token.id, now).await?;
        }
        Ok(SessionUser {
            id: token.id,
            name: format!("API token “{}”", token.name),
            email: String::new(),
            role: Role::OrgManager,
            org_id: token.org_id,
            org_name: token.org_name,
            managed_team_ids: Vec::new(),
        })
    }
}

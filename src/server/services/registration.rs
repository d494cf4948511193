//! What an invitee does with a link (R6, R10, R13, R15): open it, confirm
//! the email (copied links), set a password, ask for a fresh link.

use super::{access::Target, invitations::Sender, Engine};
use crate::domain::{
    invitations::LinkView,
    rules::{
        self, InvitationStatus, LinkKind, LinkState, LinkVerdict, MAX_EMAIL_CONFIRMATION_TRIES,
    },
    AppError, EmailAddress, SessionUser, UserStatus,
};
use crate::server::{
    auth::{self, clean_name},
    passwords,
    repos::{audit, db_error, invitations as inv, invitations::LinkRecord},
    tokens,
};

/// After the password is set, what happens next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registered {
    /// Email link (R6): the address is proven, so the invitee is signed in.
    SignedIn { session_token: String },
    /// Copied link (R10): the invitee signs in with email and password next.
    SignInNext { email: String },
}

impl Engine {
    async fn find_link(&self, token: &str) -> Result<LinkRecord, AppError> {
        // Malformed tokens never reach the database; unknown ones get the same 404.
        if !tokens::looks_like_token(token) {
            return Err(AppError::NotFound);
        }
        inv::find_link_by_token_hash(&self.db, &tokens::hash_token(token))
            .await
            .map_err(db_error)?
            .ok_or(AppError::NotFound)
    }

    fn judge(link: &LinkRecord, now: i64) -> LinkVerdict {
        rules::judge_link(
            LinkState::from_db(&link.state),
            InvitationStatus::from_db(&link.invitation_status),
            link.user_status.as_deref().and_then(UserStatus::from_db),
            link.expires_at,
            now,
        )
    }

    /// What the link page shows. Reveals only the organisation's name and a
    /// masked address.
    pub async fn inspect_link(&self, token: &str, now: i64) -> Result<LinkView, AppError> {
        let link = self.find_link(token).await?;
        Ok(LinkView {
            verdict: Self::judge(&link, now),
            kind: LinkKind::from_db(&link.kind),
            org_name: link.org_name.clone(),
            email_hint: rules::mask_email(&link.invitation_email),
            email_confirmed: link.email_confirmed_at.is_some(),
        })
    }

    /// R10: the invitee types their address; it must match (case and spaces
    /// ignored). The fifth wrong address locks the link.
    pub async fn confirm_email(&self, token: &str, typed: &str, now: i64) -> Result<(), AppError> {
        let link = self.find_link(token).await?;
        self.require_usable(&link, now)?;
        if LinkKind::from_db(&link.kind) != LinkKind::Copied {
            return Ok(()); // email links prove the address by being opened
        }
        let matches = EmailAddress::parse(typed)
            .map(|e| e.as_str() == link.invitation_email)
            .unwrap_or(false);
        let mut conn = self.db.acquire().await.map_err(db_error)?;
        if matches {
            inv::mark_email_confirmed(&mut conn, &link.link_id, now)
                .await
                .map_err(db_error)?;
            return Ok(());
        }
        let failures =
            inv::record_failed_confirmation(&mut conn, &link.link_id, MAX_EMAIL_CONFIRMATION_TRIES)
                .await
                .map_err(db_error)?;
        if failures.is_some_and(|n| n >= MAX_EMAIL_CONFIRMATION_TRIES) {
            // A locked link puts its user in the Expired view.
            self.counts_cache.invalidate();
        }
        match failures {
            Some(failures) if failures < MAX_EMAIL_CONFIRMATION_TRIES => {
                Err(AppError::EmailMismatch {
                    tries_left: MAX_EMAIL_CONFIRMATION_TRIES - failures,
                })
            }
            _ => Err(AppError::LinkLocked),
        }
    }

    fn require_usable(&self, link: &LinkRecord, now: i64) -> Result<(), AppError> {
        match Self::judge(link, now) {
            LinkVerdict::Usable => Ok(()),
            LinkVerdict::Locked => Err(AppError::LinkLocked),
            LinkVerdict::Deactivated => Err(AppError::Deactivated),
            _ => Err(AppError::LinkUnusable),
        }
    }

    /// R6, R10, R15: sets the password and activates the user; the link is
    /// used up. A copied link needs its email confirmed first.
    pub async fn set_password(
        &self,
        token: &str,
        password: &str,
        now: i64,
    ) -> Result<Registered, AppError> {
        let link = self.find_link(token).await?;
        self.require_usable(&link, now)?;
        let kind = LinkKind::from_db(&link.kind);
        if kind == LinkKind::Copied && link.email_confirmed_at.is_none() {
            return Err(AppError::invalid("Confirm your email address first."));
        }
        passwords::check_password_rules(password)?;
        let hash = passwords::hash_password(password.to_string()).await?;
        let user_id = link.user_id.clone().ok_or(AppError::LinkUnusable)?;

        let mut tx = self.db.begin().await.map_err(db_error)?;
        // Used once (R15): of two racing submissions, one wins.
        if !inv::mark_link_used(&mut tx, &link.link_id)
            .await
            .map_err(db_error)?
        {
            return Err(AppError::LinkUnusable);
        }
        inv::close_invitation(&mut tx, &link.invitation_id, "accepted", now)
            .await
            .map_err(db_error)?;
        sqlx::query("UPDATE users SET password_hash = $2, status = 'active', activated_at = $3 WHERE id = $1 AND status = 'invited'")
            .bind(&user_id)
            .bind(&hash)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        audit::record(
            &mut tx,
            audit::AuditEntry {
                org_id: &link.org_id,
                actor_id: Some(&user_id),
                actor_name: &link.invitation_email,
                action: "accept",
                target_user_id: Some(&user_id),
                target_email: Some(&link.invitation_email),
                detail: kind.as_db(),
                at: now,
            },
        )
        .await
        .map_err(db_error)?;
        self.commit(tx).await?;

        match kind {
            LinkKind::Email => {
                let session_token = auth::start_session_for(&self.db, &user_id, now).await?;
                Ok(Registered::SignedIn { session_token })
            }
            LinkKind::Copied => Ok(Registered::SignInNext {
                email: link.invitation_email,
            }),
        }
    }

    /// R13: from an expired or superseded link, a fresh link goes to the
    /// invitation's own address (never one the visitor types). R8 applies.
    pub async fn resend_from_link(&self, token: &str, now: i64) -> Result<(), AppError> {
        let link = self.find_link(token).await?;
        let verdict = Self::judge(&link, now);
        if !verdict.offers_resend() {
            return Err(match verdict {
                LinkVerdict::Deactivated => AppError::Deactivated,
                _ => AppError::LinkUnusable,
            });
        }
        let user_id = link.user_id.clone().ok_or(AppError::LinkUnusable)?;
        let target = Target {
            id: user_id,
            org_id: link.org_id.clone(),
            email: link.invitation_email.clone(),
            name: String::new(),
            status: UserStatus::Invited,
        };
        let invitation = inv::PendingInvitation {
            id: link.invitation_id.clone(),
            last_sent_at: link.last_sent_at,
        };
        let sender_name = format!("{} (self-service)", link.invitation_email);
        let sender = Sender {
            id: None,
            name: &sender_name,
        };
        self.send_fresh_link(
            &target,
            &invitation,
            sender,
            "self_service_resend",
            None,
            now,
        )
        .await?;
        Ok(())
    }

    /// The profile step after the password (R6): display name, time zone, terms.
    pub async fn complete_profile(
        &self,
        user: &SessionUser,
        display_name: &str,
        time_zone: &str,
        accept_terms: bool,
        now: i64,
    ) -> Result<(), AppError> {
        let name = clean_name(display_name, "Display name")?;
        if !accept_terms {
            return Err(AppError::invalid(
                "Please accept the terms of use to continue.",
            ));
        }
        let time_zone = time_zone.trim();
        if time_zone.is_empty()
            || time_zone.len() > 64
            || !time_zone
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/_+-".contains(c))
        {
            return Err(AppError::invalid("Choose a time zone from the list."));
        }
        sqlx::query("UPDATE users SET name = $2, time_zone = $3, terms_accepted_at = $4, onboarded_at = $4 WHERE id = $1")
            .bind(&user.id)
            .bind(&name)
            .bind(time_zone)
            .bind(now)
            .execute(&self.db)
            .await
            .map_err(db_error)?;
        Ok(())
    }
}

//! What an invitee does with a link (R6, R10, R13, R15, R17): open it,
//! confirm the email (copied links), set a password or sign in through the
//! organisation's identity provider, ask for a fresh link.

use super::{
    access::Target,
    invitations::{Occasion, Sender},
    webhooks::{self, invitation_data},
    Engine,
};
use crate::domain::{
    invitations::LinkView,
    rules::{self, InvitationStatus, LinkKind, LinkVerdict, MAX_EMAIL_CONFIRMATION_TRIES},
    sso::{check_email, SignInMethod, SsoRefusal},
    webhooks::WebhookEvent,
    AppError, EmailAddress, SessionUser, UserStatus,
};
use crate::server::{
    auth::{self, clean_name},
    passwords,
    repos::{
        self, audit,
        invitations::{self as inv, AcceptedCredential, LinkRecord},
        sso as sso_repo, users,
    },
    sso::{oidc::Identity, SsoFailure},
    tokens,
};

use serde_json::json;

const CONFIRM_EMAIL_FIRST: &str = "Confirm your email address first.";

/// A link that cannot be used for single sign-on, as the invitee is told.
/// Only the link's own refusals are answers; anything else is a failure.
fn link_failure(error: AppError) -> SsoFailure {
    match error {
        AppError::NotFound | AppError::LinkUnusable | AppError::LinkLocked => {
            SsoFailure::Refused(SsoRefusal::LinkUnusable)
        }
        AppError::Deactivated => SsoFailure::Refused(SsoRefusal::Deactivated),
        AppError::Invalid(message) if message == CONFIRM_EMAIL_FIRST => {
            SsoFailure::ConfirmEmailFirst
        }
        other => SsoFailure::Failed(other),
    }
}

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
            .await?
            .ok_or(AppError::NotFound)
    }

    fn judge(link: &LinkRecord, now: i64) -> LinkVerdict {
        rules::judge_link(
            link.state,
            link.invitation_status,
            link.user_status,
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
            kind: link.kind,
            org_name: link.org_name.clone(),
            email_hint: rules::mask_email(&link.invitation_email),
            email_confirmed: link.email_confirmed_at.is_some(),
            sso: link.sign_in_method == crate::domain::sso::SignInMethod::Sso,
        })
    }

    /// R10: the invitee types their address; it must match (case and spaces
    /// ignored). The fifth wrong address locks the link.
    pub async fn confirm_email(&self, token: &str, typed: &str, now: i64) -> Result<(), AppError> {
        let link = self.find_link(token).await?;
        self.require_usable(&link, now)?;
        if link.kind != LinkKind::Copied {
            return Ok(()); // email links prove the address by being opened
        }
        let matches = EmailAddress::parse(typed)
            .map(|e| e.as_str() == link.invitation_email)
            .unwrap_or(false);
        let mut conn = repos::acquire(&self.db, "connect to confirm an email").await?;
        if matches {
            inv::mark_email_confirmed(&mut conn, &link.link_id, now).await?;
            return Ok(());
        }
        let failures =
            inv::record_failed_confirmation(&mut conn, &link.link_id, MAX_EMAIL_CONFIRMATION_TRIES)
                .await?;
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

    /// R6, R10, R15, R17: the checks before an invitee may accept with this
    /// link, whatever the credential: usable now, and a copied link's email
    /// confirmed first.
    fn require_acceptable(&self, link: &LinkRecord, now: i64) -> Result<(), AppError> {
        self.require_usable(link, now)?;
        if link.kind == LinkKind::Copied && link.email_confirmed_at.is_none() {
            return Err(AppError::invalid(CONFIRM_EMAIL_FIRST));
        }
        Ok(())
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
        self.require_acceptable(&link, now)?;
        // R17: in an SSO organisation the provider says who someone is; a
        // password chosen here would outlive their account there.
        if link.sign_in_method == SignInMethod::Sso {
            return Err(AppError::UseSingleSignOn);
        }
        let kind = link.kind;
        passwords::check_password_rules(password)?;
        let hash = passwords::hash_password(password.to_string()).await?;
        let user_id = self
            .accept(
                &link,
                AcceptedCredential::PasswordHash(&hash),
                kind.as_db(),
                now,
            )
            .await?;
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

    /// The acceptance itself, one transaction whatever the credential: the
    /// link is used (once, R15), the invitation accepted, the user Active
    /// with their credential, and the audit log says so. Returns the user.
    async fn accept(
        &self,
        link: &LinkRecord,
        credential: AcceptedCredential<'_>,
        detail: &str,
        now: i64,
    ) -> Result<String, AppError> {
        let user_id = link.user_id.clone().ok_or(AppError::LinkUnusable)?;
        let method = match credential {
            AcceptedCredential::PasswordHash(_) => "password",
            AcceptedCredential::SsoSubject(_) => "single_sign_on",
        };
        let mut tx = repos::begin(&self.db, "begin accepting an invitation").await?;
        // Used once (R15): of two racing submissions, one wins.
        if !inv::mark_link_used(&mut tx, &link.link_id).await? {
            return Err(AppError::LinkUnusable);
        }
        inv::close_invitation(
            &mut tx,
            &link.invitation_id,
            InvitationStatus::Accepted,
            now,
        )
        .await?;
        inv::activate_invited_user(&mut tx, &user_id, credential, now).await?;
        audit::record(
            &mut tx,
            audit::AuditEntry {
                org_id: &link.org_id,
                actor_id: Some(&user_id),
                actor_name: &link.invitation_email,
                action: "accept",
                target_user_id: Some(&user_id),
                target_email: Some(&link.invitation_email),
                detail,
                at: now,
            },
        )
        .await?;
        webhooks::announce(
            &mut tx,
            &link.org_id,
            WebhookEvent::InvitationAccepted,
            now,
            invitation_data(
                &link.invitation_id,
                &user_id,
                &link.invitation_email,
                json!({ "method": method, "link": link.kind.as_db() }),
            ),
        )
        .await?;
        self.commit(tx).await?;
        self.webhook_wake.notify_one();
        Ok(user_id)
    }

    /// R17 before the invitee leaves for the identity provider: the link
    /// must pass the same checks as for a password (copied links too: R10).
    pub async fn link_for_single_sign_on(
        &self,
        token: &str,
        now: i64,
    ) -> Result<LinkRecord, SsoFailure> {
        let link = self.find_link(token).await.map_err(link_failure)?;
        self.require_acceptable(&link, now).map_err(link_failure)?;
        Ok(link)
    }

    /// R17 on the invitee's return from the identity provider: the link
    /// (the one the flow started from) must still pass every check, and
    /// the provider's verified email must be the invitation's. Then the
    /// invitation is accepted as with a password, the user keeps the
    /// provider's `sub` and no password, and is signed in: the provider
    /// proved the address. A refusal changes nothing, so the link still
    /// works afterwards. Returns the new session's token.
    pub async fn accept_with_single_sign_on(
        &self,
        token: &str,
        link_id: &str,
        identity: &Identity,
        now: i64,
    ) -> Result<String, SsoFailure> {
        let link = self.find_link(token).await.map_err(link_failure)?;
        if link.link_id != link_id {
            tracing::info!("single sign-on: the browser's link is not the flow's");
            return Err(SsoFailure::Refused(SsoRefusal::InvalidResponse));
        }
        self.require_acceptable(&link, now).map_err(link_failure)?;
        check_email(
            &link.invitation_email,
            identity.email.as_deref(),
            identity.email_verified,
        )
        .map_err(SsoFailure::Refused)?;
        // One provider identity, one account: the unique index would refuse
        // it below anyway, as a failure rather than an answer.
        if sso_repo::find_user_by_sso_subject(&self.db, &link.org_id, &identity.subject)
            .await?
            .is_some()
        {
            tracing::warn!("single sign-on: this identity already belongs to another user");
            return Err(SsoFailure::Refused(SsoRefusal::InvalidResponse));
        }
        let user_id = self
            .accept(
                &link,
                AcceptedCredential::SsoSubject(&identity.subject),
                "single sign-on",
                now,
            )
            .await
            .map_err(link_failure)?;
        auth::start_session_for(&self.db, &user_id, now)
            .await
            .map_err(SsoFailure::Failed)
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
            Occasion::SelfService,
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
        users::update_profile(&self.db, &user.id, &name, time_zone, now).await?;
        Ok(())
    }
}

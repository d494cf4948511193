//! Inviting one person, resending, copying links, revoking, deactivating
//! (R3, R5, R7–R9, R11, R12, R14, R18, R23, R24).

use super::{
    access::{self, Action, Target},
    token_end, Engine,
};
use crate::domain::{
    invitations::{BulkResendReport, CopiedLink, InviteRequest, Invited, SentInvite, UserQuery},
    rules::{self, LinkKind},
    AppError, EmailAddress, Role, SessionUser, UserStatus,
};
use crate::server::{
    auth::clean_name,
    mail::compose,
    new_id,
    repos::{audit, db_error, invitations as inv, outbox, sessions, users},
    tokens,
};
use sqlx::{AnyConnection, Row};

/// A link just made: the secret goes into an email or onto a clipboard, once.
pub(crate) struct IssuedLink {
    pub url: String,
    pub token_end: String,
    pub expires_at: i64,
}

impl Engine {
    /// R3, R5: invites one person by email, optionally named and into teams.
    pub async fn invite(
        &self,
        actor: &SessionUser,
        request: InviteRequest,
        now: i64,
    ) -> Result<Invited, AppError> {
        request.check_teams()?;
        access::authorize_teams(&self.db, actor, &request.team_ids).await?;
        let email = EmailAddress::parse(&request.email).map_err(AppError::Invalid)?;
        let name = match request.name.trim() {
            "" => String::new(),
            name => clean_name(name, "Name")?,
        };
        if let Some((user_id, status)) = self.find_user_by_email(&actor.org_id, &email).await? {
            // R2: a Team Manager learns nothing of people outside their teams,
            // not even their status.
            if access::authorize(&self.db, actor, &user_id, Action::View)
                .await
                .is_err()
            {
                return Err(outside_your_teams(&email));
            }
            return Err(existing_user_error(&email, status));
        }
        self.check_cooldown_of_address(&actor.org_id, &email, now)
            .await?;
        let user_id = new_id();
        let mut tx = self.db.begin().await.map_err(db_error)?;
        let issued = self
            .create_invitation(&mut tx, actor, &user_id, &email, &name, now)
            .await
            .map_err(|e| {
                if crate::server::repos::is_unique_violation(&e) {
                    AppError::AlreadyInvited {
                        email: email.to_string(),
                    }
                } else {
                    db_error(e)
                }
            })?;
        for team_id in &request.team_ids {
            crate::server::repos::teams::insert_member(&mut *tx, team_id, &user_id, false, now)
                .await
                .map_err(db_error)?;
        }
        self.commit(tx).await?;
        self.outbox_wake.notify_one();
        Ok(Invited {
            user_id,
            email: email.to_string(),
            token_end: issued.token_end,
            expires_at: issued.expires_at,
        })
    }

    /// R8 across revoke and re-invite: an address emailed within the
    /// cooldown by an earlier (revoked) invitation waits like a resend.
    async fn check_cooldown_of_address(
        &self,
        org_id: &str,
        email: &EmailAddress,
        now: i64,
    ) -> Result<(), AppError> {
        let last = inv::last_sent_at_by_email(&self.db, org_id, &[email.to_string()])
            .await
            .map_err(db_error)?;
        match last.get(email.as_str()) {
            Some(&last_sent_at) => {
                rules::check_cooldown(now, last_sent_at, self.resend_cooldown_ms)
                    .map_err(|until| AppError::Cooldown { until })
            }
            None => Ok(()),
        }
    }

    pub(crate) async fn find_user_by_email(
        &self,
        org_id: &str,
        email: &EmailAddress,
    ) -> Result<Option<(String, UserStatus)>, AppError> {
        let row = sqlx::query("SELECT id, status FROM users WHERE org_id = $1 AND email = $2")
            .bind(org_id)
            .bind(email.as_str())
            .fetch_optional(&self.db)
            .await
            .map_err(db_error)?;
        row.map(|r| {
            let status: String = r.try_get("status")?;
            Ok((
                r.try_get("id")?,
                UserStatus::from_db(&status).unwrap_or(UserStatus::Deactivated),
            ))
        })
        .transpose()
        .map_err(db_error)
    }

    /// The user row, the invitation, its first link, the email and the audit
    /// entry: one transaction, so nothing is half-done (R20).
    async fn create_invitation(
        &self,
        conn: &mut AnyConnection,
        actor: &SessionUser,
        user_id: &str,
        email: &EmailAddress,
        name: &str,
        now: i64,
    ) -> Result<IssuedLink, sqlx::Error> {
        users::insert_user(
            &mut *conn,
            users::NewUser {
                id: user_id,
                org_id: &actor.org_id,
                email: email.as_str(),
                name,
                role: Role::Member,
                status: UserStatus::Invited,
                password_hash: None,
                now,
            },
        )
        .await?;
        let invitation_id = new_id();
        inv::insert_invitation(
            &mut *conn,
            inv::NewInvitation {
                id: &invitation_id,
                org_id: &actor.org_id,
                user_id,
                email: email.as_str(),
                inviter_id: &actor.id,
                inviter_name: &actor.name,
                now,
            },
        )
        .await?;
        let issued = self
            .issue_link(conn, &invitation_id, LinkKind::Email, now)
            .await?;
        let email_parts = compose::invitation(&compose::InvitationEmail {
            org_name: &actor.org_name,
            inviter_name: &actor.name,
            invitee_name: name,
            link: &issued.url,
            expires_at: issued.expires_at,
        });
        queue_email(
            conn,
            &actor.org_id,
            &invitation_id,
            email.as_str(),
            &email_parts,
            now,
        )
        .await?;
        audit::record(
            conn,
            audit_entry(actor, "invite", user_id, email.as_str(), "", now),
        )
        .await?;
        Ok(issued)
    }

    /// R11, R12: a new link that replaces every older one of the invitation.
    pub(crate) async fn issue_link(
        &self,
        conn: &mut AnyConnection,
        invitation_id: &str,
        kind: LinkKind,
        now: i64,
    ) -> Result<IssuedLink, sqlx::Error> {
        let token = tokens::new_token();
        let end = token_end(&token.secret);
        let expires_at = rules::link_expires_at(now, self.invite_ttl_ms);
        inv::replace_active_link(
            conn,
            inv::NewLink {
                id: &new_id(),
                invitation_id,
                token_hash: &token.hash,
                token_end: &end,
                kind: kind.as_db(),
                now,
                expires_at,
            },
        )
        .await?;
        Ok(IssuedLink {
            url: self.invite_url(&token.secret),
            token_end: end,
            expires_at,
        })
    }

    /// R7, R8, R14: a new email with a new link, at most once per cooldown.
    pub async fn resend(
        &self,
        actor: &SessionUser,
        user_id: &str,
        now: i64,
    ) -> Result<SentInvite, AppError> {
        let target = access::authorize(&self.db, actor, user_id, Action::Resend).await?;
        let invitation = self.pending_invitation(&target).await?;
        let sender = Sender {
            id: Some(&actor.id),
            name: &actor.name,
        };
        let issued = self
            .send_fresh_link(&target, &invitation, sender, "resend", Some(actor), now)
            .await?;
        Ok(SentInvite {
            email: target.email,
            last_sent_at: now,
            token_end: issued.token_end,
            expires_at: issued.expires_at,
        })
    }

    /// R7: only Invited users have an open invitation to resend or copy.
    pub(crate) async fn pending_invitation(
        &self,
        target: &Target,
    ) -> Result<inv::PendingInvitation, AppError> {
        if target.status == UserStatus::Deactivated {
            return Err(AppError::Deactivated);
        }
        if target.status != UserStatus::Invited {
            return Err(AppError::NotInvited {
                email: target.email.clone(),
            });
        }
        inv::find_pending_invitation_of_user(&self.db, &target.id)
            .await
            .map_err(db_error)?
            .ok_or_else(|| AppError::NotInvited {
                email: target.email.clone(),
            })
    }

    /// Claims the cooldown slot in the database, then makes the link and
    /// queues the email in the same transaction. Shared by manager resends
    /// and the invitee's self-service resend (R13).
    pub(crate) async fn send_fresh_link(
        &self,
        target: &Target,
        invitation: &inv::PendingInvitation,
        sender: Sender<'_>,
        audit_action: &str,
        actor: Option<&SessionUser>,
        now: i64,
    ) -> Result<IssuedLink, AppError> {
        // Cheap early answer; the conditional UPDATE below is what enforces R8.
        rules::check_cooldown(now, invitation.last_sent_at, self.resend_cooldown_ms)
            .map_err(|until| AppError::Cooldown { until })?;
        let mut tx = self.db.begin().await.map_err(db_error)?;
        let claimed = inv::claim_send_slot(
            &mut tx,
            &invitation.id,
            sender.id,
            sender.name,
            now,
            self.resend_cooldown_ms,
        )
        .await
        .map_err(db_error)?;
        if !claimed {
            drop(tx);
            return Err(self.cooldown_error(&invitation.id, now).await);
        }
        let issued = self
            .issue_link(&mut tx, &invitation.id, LinkKind::Email, now)
            .await
            .map_err(db_error)?;
        let (org_name, inviter_name) = invitation_names(&mut tx, &invitation.id)
            .await
            .map_err(db_error)?;
        let email_parts = compose::invitation(&compose::InvitationEmail {
            org_name: &org_name,
            inviter_name: &inviter_name,
            invitee_name: &target.name,
            link: &issued.url,
            expires_at: issued.expires_at,
        });
        queue_email(
            &mut tx,
            &target.org_id,
            &invitation.id,
            &target.email,
            &email_parts,
            now,
        )
        .await
        .map_err(db_error)?;
        let entry = match actor {
            Some(actor) => audit_entry(actor, audit_action, &target.id, &target.email, "", now),
            None => audit::AuditEntry {
                org_id: &target.org_id,
                actor_id: None,
                actor_name: sender.name,
                action: audit_action,
                target_user_id: Some(&target.id),
                target_email: Some(&target.email),
                detail: "",
                at: now,
            },
        };
        audit::record(&mut tx, entry).await.map_err(db_error)?;
        self.commit(tx).await?;
        self.outbox_wake.notify_one();
        Ok(issued)
    }

    /// Why a send slot was refused: the cooldown (with its end), or the
    /// invitation closed meanwhile.
    async fn cooldown_error(&self, invitation_id: &str, now: i64) -> AppError {
        let row = sqlx::query("SELECT status, last_sent_at FROM invitations WHERE id = $1")
            .bind(invitation_id)
            .fetch_optional(&self.db)
            .await;
        match row {
            Ok(Some(row)) => {
                let status: String = row.try_get("status").unwrap_or_default();
                let last: i64 = row.try_get("last_sent_at").unwrap_or(now);
                if status == "pending" {
                    AppError::Cooldown {
                        until: rules::resend_allowed_at(last, self.resend_cooldown_ms),
                    }
                } else {
                    AppError::LinkUnusable
                }
            }
            Ok(None) => AppError::NotFound,
            Err(e) => db_error(e),
        }
    }

    /// R9: a new link for the manager to send another way. No email, so no
    /// cooldown; it supersedes the emailed link (R12).
    pub async fn copy_link(
        &self,
        actor: &SessionUser,
        user_id: &str,
        now: i64,
    ) -> Result<CopiedLink, AppError> {
        let target = access::authorize(&self.db, actor, user_id, Action::CopyLink).await?;
        let invitation = self.pending_invitation(&target).await?;
        let mut tx = self.db.begin().await.map_err(db_error)?;
        let issued = self
            .issue_link(&mut tx, &invitation.id, LinkKind::Copied, now)
            .await
            .map_err(db_error)?;
        audit::record(
            &mut tx,
            audit_entry(
                actor,
                "copy_link",
                &target.id,
                &target.email,
                &issued.token_end,
                now,
            ),
        )
        .await
        .map_err(db_error)?;
        self.commit(tx).await?;
        Ok(CopiedLink {
            url: issued.url,
            token_end: issued.token_end,
            expires_at: issued.expires_at,
        })
    }

    /// R23: cancels the invitation; its links stop working at once and the
    /// person leaves the users list (the invitation stays, for the audit).
    pub async fn revoke(
        &self,
        actor: &SessionUser,
        user_id: &str,
        now: i64,
    ) -> Result<(), AppError> {
        let target = access::authorize(&self.db, actor, user_id, Action::Revoke).await?;
        let invitation = self.pending_invitation(&target).await?;
        let mut tx = self.db.begin().await.map_err(db_error)?;
        if !inv::close_invitation(&mut tx, &invitation.id, "revoked", now)
            .await
            .map_err(db_error)?
        {
            return Err(AppError::NotInvited {
                email: target.email,
            });
        }
        audit::record(
            &mut tx,
            audit_entry(actor, "revoke", &target.id, &target.email, "", now),
        )
        .await
        .map_err(db_error)?;
        sqlx::query("DELETE FROM users WHERE id = $1 AND status = 'invited'")
            .bind(&target.id)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        self.commit(tx).await?;
        Ok(())
    }

    /// R18: a deactivated user cannot sign in; their sessions end and their
    /// invitation links stop working.
    pub async fn deactivate(
        &self,
        actor: &SessionUser,
        user_id: &str,
        now: i64,
    ) -> Result<(), AppError> {
        let target = access::authorize(&self.db, actor, user_id, Action::Deactivate).await?;
        if target.id == actor.id {
            return Err(AppError::invalid("You cannot deactivate yourself."));
        }
        if target.status == UserStatus::Deactivated {
            return Ok(());
        }
        let mut tx = self.db.begin().await.map_err(db_error)?;
        sqlx::query("UPDATE users SET status = 'deactivated' WHERE id = $1")
            .bind(&target.id)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        sessions::delete_sessions_of_user(&mut *tx, &target.id)
            .await
            .map_err(db_error)?;
        audit::record(
            &mut tx,
            audit_entry(actor, "deactivate", &target.id, &target.email, "", now),
        )
        .await
        .map_err(db_error)?;
        self.commit(tx).await?;
        Ok(())
    }

    /// R18: Org Managers only. Back to Active if they had registered, else Invited.
    pub async fn reactivate(
        &self,
        actor: &SessionUser,
        user_id: &str,
        now: i64,
    ) -> Result<UserStatus, AppError> {
        let target = access::authorize(&self.db, actor, user_id, Action::Reactivate).await?;
        if target.status != UserStatus::Deactivated {
            return Ok(target.status);
        }
        let mut tx = self.db.begin().await.map_err(db_error)?;
        let row = sqlx::query(
            "UPDATE users SET status = CASE WHEN password_hash IS NULL THEN 'invited' ELSE 'active' END
             WHERE id = $1 RETURNING status",
        )
        .bind(&target.id)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_error)?;
        let status: String = row.try_get(0).map_err(db_error)?;
        audit::record(
            &mut tx,
            audit_entry(actor, "reactivate", &target.id, &target.email, "", now),
        )
        .await
        .map_err(db_error)?;
        self.commit(tx).await?;
        Ok(UserStatus::from_db(&status).unwrap_or(UserStatus::Active))
    }

    /// R24: resends to each selected user, or to every user matching a
    /// filter; those in the cooldown are skipped and counted, never emailed twice.
    pub async fn bulk_resend(
        &self,
        actor: &SessionUser,
        target: BulkTarget,
        now: i64,
    ) -> Result<BulkResendReport, AppError> {
        if !actor.is_manager() {
            return Err(AppError::Forbidden);
        }
        let user_ids = match target {
            BulkTarget::Users(ids) => ids,
            BulkTarget::Matching(query) => self.matching_user_ids(actor, query, now).await?,
        };
        let mut report = BulkResendReport::default();
        for user_id in user_ids {
            match self.resend(actor, &user_id, now).await {
                Ok(_) => report.sent += 1,
                Err(AppError::Cooldown { .. }) => report.skipped_cooldown += 1,
                Err(
                    AppError::NotInvited { .. } | AppError::Deactivated | AppError::LinkUnusable,
                ) => report.not_invited += 1,
                Err(e) => return Err(e),
            }
        }
        Ok(report)
    }
}

/// Who an email is sent by, for the "last sent by" column (R26).
#[derive(Clone, Copy)]
pub(crate) struct Sender<'a> {
    pub id: Option<&'a str>,
    pub name: &'a str,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum BulkTarget {
    Users(Vec<String>),
    Matching(UserQuery),
}

/// What a Team Manager hears about an address that belongs to someone
/// outside their teams: the same words whatever that person's status.
pub(crate) fn outside_your_teams(email: &EmailAddress) -> AppError {
    AppError::invalid(format!(
        "{email} cannot be invited into your teams. Ask an Organisation Manager."
    ))
}

fn existing_user_error(email: &EmailAddress, status: UserStatus) -> AppError {
    match status {
        UserStatus::Invited => AppError::AlreadyInvited {
            email: email.to_string(),
        },
        UserStatus::Active => AppError::AlreadyActive {
            email: email.to_string(),
        },
        UserStatus::Deactivated => AppError::Deactivated,
    }
}

pub(crate) fn audit_entry<'a>(
    actor: &'a SessionUser,
    action: &'a str,
    target_id: &'a str,
    target_email: &'a str,
    detail: &'a str,
    at: i64,
) -> audit::AuditEntry<'a> {
    audit::AuditEntry {
        org_id: &actor.org_id,
        actor_id: Some(&actor.id),
        actor_name: &actor.name,
        action,
        target_user_id: Some(target_id),
        target_email: Some(target_email),
        detail,
        at,
    }
}

pub(crate) async fn queue_email(
    conn: &mut AnyConnection,
    org_id: &str,
    invitation_id: &str,
    to: &str,
    email: &compose::ComposedEmail,
    now: i64,
) -> Result<(), sqlx::Error> {
    outbox::enqueue(
        conn,
        outbox::NewEmail {
            id: &new_id(),
            org_id,
            invitation_id: Some(invitation_id),
            to,
            subject: &email.subject,
            text: &email.text,
            html: &email.html,
            now,
        },
    )
    .await
}

/// The organisation's name and the original inviter's (R14: never the resender).
async fn invitation_names(
    conn: &mut AnyConnection,
    invitation_id: &str,
) -> Result<(String, String), sqlx::Error> {
    let row = sqlx::query(
        "SELECT o.name, i.invited_by_name FROM invitations i JOIN organisations o ON o.id = i.org_id WHERE i.id = $1",
    )
    .bind(invitation_id)
    .fetch_one(conn)
    .await?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}

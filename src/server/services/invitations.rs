//! Inviting one person, resending, copying links, revoking, deactivating
//! (R3, R5, R7–R9, R11, R12, R14, R18, R23, R24).

use super::{
    access::{self, Action, Target},
    token_end,
    webhooks::{self, invitation_data, timestamp},
    Engine,
};
use crate::domain::{
    invitations::{BulkResendReport, CopiedLink, InviteRequest, Invited, SentInvite, UserQuery},
    reminders::ReminderSchedule,
    rules::{self, InvitationStatus, LinkKind},
    webhooks::WebhookEvent,
    AppError, EmailAddress, Role, SessionUser, UserStatus,
};
use crate::server::{
    auth::clean_name,
    mail::compose,
    new_id,
    repos::{
        self, audit,
        batch::{insert_many, TableRow},
        invitations as inv, is_unique_violation, outbox, reminders, sessions, teams, users,
        RepoError, Step,
    },
    tokens,
};
use serde_json::json;
use sqlx::AnyConnection;

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
        let mut rows = NewInvitations::default();
        let team_ids: Vec<&str> = request.team_ids.iter().map(String::as_str).collect();
        let issued = rows.add(self, actor, &user_id, &email, &name, &team_ids, "", now);
        let mut tx = repos::begin(&self.db, "begin invitation").await?;
        rows.write(&mut tx).await.map_err(|e| {
            if is_unique_violation(&e.source) {
                AppError::AlreadyInvited {
                    email: email.to_string(),
                }
            } else {
                e.into()
            }
        })?;
        self.commit(tx).await?;
        self.outbox_wake.notify_one();
        self.webhook_wake.notify_one();
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
        match inv::find_last_sent_at_of_email(&self.db, org_id, email.as_str()).await? {
            Some(last_sent_at) => rules::check_cooldown(now, last_sent_at, self.resend_cooldown_ms)
                .map_err(|until| AppError::Cooldown { until }),
            None => Ok(()),
        }
    }

    pub(crate) async fn find_user_by_email(
        &self,
        org_id: &str,
        email: &EmailAddress,
    ) -> Result<Option<(String, UserStatus)>, AppError> {
        let user = users::find_user_by_email(&self.db, org_id, email.as_str()).await?;
        Ok(user.map(|user| (user.id, user.status)))
    }

    /// R11, R12: a new link that replaces every older one of the invitation.
    pub(crate) async fn issue_link(
        &self,
        conn: &mut AnyConnection,
        invitation_id: &str,
        kind: LinkKind,
        now: i64,
    ) -> Result<IssuedLink, RepoError> {
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
                kind,
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
            .send_fresh_link(
                &target,
                &invitation,
                sender,
                Occasion::Resend,
                Some(actor),
                now,
            )
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
            .await?
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
        occasion: Occasion,
        actor: Option<&SessionUser>,
        now: i64,
    ) -> Result<IssuedLink, AppError> {
        // Cheap early answer; the conditional UPDATE below is what enforces R8.
        rules::check_cooldown(now, invitation.last_sent_at, self.resend_cooldown_ms)
            .map_err(|until| AppError::Cooldown { until })?;
        let mut tx = repos::begin(&self.db, "begin sending a fresh link").await?;
        let claimed = inv::claim_send_slot(
            &mut tx,
            &invitation.id,
            sender.id,
            sender.name,
            now,
            self.resend_cooldown_ms,
        )
        .await?;
        if !claimed {
            drop(tx);
            return Err(self.cooldown_error(&invitation.id).await);
        }
        if let Occasion::Reminder { step, .. } = occasion {
            if !reminders::claim_reminder(&mut tx, &invitation.id, step.into(), now).await? {
                // Sent by another instance a moment ago: that one stands.
                drop(tx);
                return Err(self.cooldown_error(&invitation.id).await);
            }
        }
        let issued = self
            .issue_link(&mut tx, &invitation.id, LinkKind::Email, now)
            .await?;
        // R27: when the reminder scheduler looks at this invitation next. The
        // schedule is read here, in the transaction: one saved meanwhile
        // reschedules the invitation after this commits, or is seen here.
        let next_look = match occasion {
            Occasion::Reminder {
                step,
                first_sent_at,
                day_ms,
            } => {
                let days = reminders::find_reminder_days(&mut *tx, &target.org_id).await?;
                ReminderSchedule::from_db(&days).step_at(first_sent_at, day_ms, step + 1)
            }
            // A live link again, by email: the scheduler decides afresh.
            _ => Some(now),
        };
        reminders::set_next_reminder(&mut tx, &invitation.id, next_look).await?;
        // R14: signed by the original inviter, never the resender.
        let names = inv::find_invitation_names(&mut *tx, &invitation.id).await?;
        let email_parts = compose::invitation(&compose::InvitationEmail {
            org_name: &names.org_name,
            inviter_name: &names.invited_by_name,
            invitee_name: &target.name,
            link: &issued.url,
            expires_at: issued.expires_at,
            reminder: matches!(occasion, Occasion::Reminder { .. }),
        });
        queue_email(
            &mut tx,
            &target.org_id,
            &invitation.id,
            &target.email,
            &email_parts,
            now,
        )
        .await?;
        let audit_action = occasion.audit_action();
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
        audit::record(&mut tx, entry).await?;
        webhooks::announce(
            &mut tx,
            &target.org_id,
            WebhookEvent::InvitationResent,
            now,
            invitation_data(
                &invitation.id,
                &target.id,
                &target.email,
                json!({
                    "name": target.name,
                    "reason": occasion.webhook_reason(),
                    "sent_by": sender.name,
                    "link_expires_at": timestamp(issued.expires_at),
                }),
            ),
        )
        .await?;
        self.commit(tx).await?;
        self.outbox_wake.notify_one();
        self.webhook_wake.notify_one();
        Ok(issued)
    }

    /// Why a send slot was refused: the cooldown (with its end), or the
    /// invitation closed meanwhile.
    async fn cooldown_error(&self, invitation_id: &str) -> AppError {
        match inv::find_send_state(&self.db, invitation_id).await {
            Ok(Some(state)) if state.status == InvitationStatus::Pending => AppError::Cooldown {
                until: rules::resend_allowed_at(state.last_sent_at, self.resend_cooldown_ms),
            },
            Ok(Some(_)) => AppError::LinkUnusable,
            Ok(None) => AppError::NotFound,
            Err(e) => e.into(),
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
        let mut tx = repos::begin(&self.db, "begin copying a link").await?;
        let issued = self
            .issue_link(&mut tx, &invitation.id, LinkKind::Copied, now)
            .await?;
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
        .await?;
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
        let mut tx = repos::begin(&self.db, "begin revoking").await?;
        if !inv::close_invitation(&mut tx, &invitation.id, InvitationStatus::Revoked, now).await? {
            return Err(AppError::NotInvited {
                email: target.email,
            });
        }
        audit::record(
            &mut tx,
            audit_entry(actor, "revoke", &target.id, &target.email, "", now),
        )
        .await?;
        webhooks::announce(
            &mut tx,
            &target.org_id,
            WebhookEvent::InvitationRevoked,
            now,
            invitation_data(
                &invitation.id,
                &target.id,
                &target.email,
                json!({ "name": target.name, "revoked_by": actor.name }),
            ),
        )
        .await?;
        users::delete_invited_user(&mut *tx, &target.id).await?;
        self.commit(tx).await?;
        self.webhook_wake.notify_one();
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
        let mut tx = repos::begin(&self.db, "begin deactivating").await?;
        users::deactivate_user(&mut *tx, &target.id).await?;
        sessions::delete_sessions_of_user(&mut *tx, &target.id)
            .await
            .step("delete sessions of deactivated user")?;
        audit::record(
            &mut tx,
            audit_entry(actor, "deactivate", &target.id, &target.email, "", now),
        )
        .await?;
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
        let mut tx = repos::begin(&self.db, "begin reactivating").await?;
        let status = users::reactivate_user(&mut *tx, &target.id).await?;
        // R27: Invited again, reminders may resume.
        reminders::look_again_at_user(&mut *tx, &target.id, now).await?;
        audit::record(
            &mut tx,
            audit_entry(actor, "reactivate", &target.id, &target.email, "", now),
        )
        .await?;
        self.commit(tx).await?;
        Ok(status)
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

/// Why a fresh link is emailed: names the audit entry, and a reminder says
/// so in its subject (R27).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Occasion {
    Resend,
    SelfService,
    /// Step `step` of the organisation's schedule: recorded in the same
    /// transaction, so it is sent once across instances. The next look is
    /// the next day's time, after `first_sent_at` in days of `day_ms`.
    Reminder {
        step: u32,
        first_sent_at: i64,
        day_ms: i64,
    },
}

impl Occasion {
    fn audit_action(self) -> &'static str {
        match self {
            Occasion::Resend => "resend",
            Occasion::SelfService => "self_service_resend",
            Occasion::Reminder { .. } => "remind",
        }
    }

    /// `reason` in an `invitation.resent` body.
    fn webhook_reason(self) -> &'static str {
        match self {
            Occasion::Resend => "resend",
            Occasion::SelfService => "invitee_asked",
            Occasion::Reminder { .. } => "reminder",
        }
    }
}

/// Who an email is sent by, for the "last sent by" column (R26).
#[derive(Clone, Copy)]
pub(crate) struct Sender<'a> {
    pub id: Option<&'a str>,
    pub name: &'a str,
}

/// The rows of new invitations, each a person's user row, invitation, first
/// link, email, audit entry and team memberships, written together. A
/// single invite writes one, a bulk invite thousands: the same row records,
/// the same writers, a statement per table either way.
#[derive(Default)]
pub(crate) struct NewInvitations {
    users: Vec<users::UserRow>,
    invitations: Vec<inv::InvitationRow>,
    links: Vec<inv::LinkRow>,
    emails: Vec<outbox::EmailRow>,
    members: Vec<teams::MemberRow>,
    audit: Vec<audit::AuditRow>,
    /// For `invitation.created`, should an endpoint ask for it.
    created: Vec<CreatedInvitation>,
}

struct CreatedInvitation {
    invitation_id: String,
    user_id: String,
    email: String,
    name: String,
    team_ids: Vec<String>,
    invited_by: String,
    link_expires_at: i64,
}

impl NewInvitations {
    pub(crate) const TABLES: &'static [&'static str] = &[
        users::UserRow::TABLE,
        inv::InvitationRow::TABLE,
        inv::LinkRow::TABLE,
        outbox::EmailRow::TABLE,
        teams::MemberRow::TABLE,
        audit::AuditRow::TABLE,
    ];

    /// Invites `email` as the new user `user_id` into `team_ids`; `detail`
    /// goes into the audit entry ("bulk" for a bulk invite).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn add(
        &mut self,
        engine: &Engine,
        actor: &SessionUser,
        user_id: &str,
        email: &EmailAddress,
        name: &str,
        team_ids: &[&str],
        detail: &str,
        now: i64,
    ) -> IssuedLink {
        let invitation_id = new_id();
        let token = tokens::new_token();
        let expires_at = rules::link_expires_at(now, engine.invite_ttl_ms);
        let issued = IssuedLink {
            url: engine.invite_url(&token.secret),
            token_end: token_end(&token.secret),
            expires_at,
        };
        let message = compose::invitation(&compose::InvitationEmail {
            org_name: &actor.org_name,
            inviter_name: &actor.name,
            invitee_name: name,
            link: &issued.url,
            expires_at,
            reminder: false,
        });
        self.users.push(users::UserRow {
            id: user_id.to_string(),
            org_id: actor.org_id.clone(),
            email: email.as_str().to_string(),
            name: name.to_string(),
            role: Role::Member.as_db(),
            status: UserStatus::Invited.as_db(),
            created_at: now,
            link_expires_at: Some(expires_at),
            // Written with the user, so the invitation's trigger has nothing to change.
            last_sent_at: now,
            ..Default::default()
        });
        self.invitations.push(inv::InvitationRow {
            id: invitation_id.clone(),
            org_id: actor.org_id.clone(),
            user_id: Some(user_id.to_string()),
            email: email.as_str().to_string(),
            status: InvitationStatus::Pending.as_db(),
            invited_by_id: actor.id.clone(),
            invited_by_name: actor.name.clone(),
            first_sent_at: now,
            last_sent_at: now,
            last_sent_by_id: actor.id.clone(),
            last_sent_by_name: actor.name.clone(),
            created_at: now,
            closed_at: None,
            // R27: the scheduler looks at it once, and sets when next.
            next_reminder_at: Some(now),
        });
        self.links.push(
            inv::NewLink {
                id: &new_id(),
                invitation_id: &invitation_id,
                token_hash: &token.hash,
                token_end: &issued.token_end,
                kind: LinkKind::Email,
                now,
                expires_at,
            }
            .into(),
        );
        self.emails.push(
            outbox::NewEmail {
                id: &new_id(),
                org_id: &actor.org_id,
                invitation_id: Some(&invitation_id),
                to: email.as_str(),
                subject: &message.subject,
                text: &message.text,
                html: &message.html,
                now,
            }
            .into(),
        );
        self.members
            .extend(team_ids.iter().map(|team_id| teams::MemberRow {
                team_id: team_id.to_string(),
                user_id: user_id.to_string(),
                is_manager: false,
                added_at: now,
            }));
        self.audit
            .push(audit_entry(actor, "invite", user_id, email.as_str(), detail, now).into_row());
        self.created.push(CreatedInvitation {
            invitation_id,
            user_id: user_id.to_string(),
            email: email.as_str().to_string(),
            name: name.to_string(),
            team_ids: team_ids.iter().map(|id| id.to_string()).collect(),
            invited_by: actor.name.clone(),
            link_expires_at: expires_at,
        });
        issued
    }

    /// How many people are invited.
    pub(crate) fn len(&self) -> usize {
        self.users.len()
    }

    /// Parents before children, for the foreign keys.
    pub(crate) async fn write(self, conn: &mut AnyConnection) -> Result<(), RepoError> {
        // One organisation and one moment per batch: one actor made them.
        let origin = (self.users.first().map(|u| u.org_id.clone()))
            .zip(self.invitations.first().map(|i| i.created_at));
        insert_many(&mut *conn, self.users)
            .await
            .step("insert invited users")?;
        insert_many(&mut *conn, self.invitations)
            .await
            .step("insert invitations")?;
        insert_many(&mut *conn, self.links)
            .await
            .step("insert invite links")?;
        insert_many(&mut *conn, self.emails)
            .await
            .step("queue invitation emails")?;
        insert_many(&mut *conn, self.members)
            .await
            .step("insert team members of invited users")?;
        insert_many(&mut *conn, self.audit)
            .await
            .step("record invite audit entries")?;
        let Some((org_id, at)) = origin else {
            return Ok(());
        };
        webhooks::announce_each(conn, &org_id, WebhookEvent::InvitationCreated, at, || {
            self.created
                .iter()
                .map(|created| {
                    invitation_data(
                        &created.invitation_id,
                        &created.user_id,
                        &created.email,
                        json!({
                            "name": created.name,
                            "team_ids": created.team_ids,
                            "invited_by": created.invited_by,
                            "link_expires_at": timestamp(created.link_expires_at),
                        }),
                    )
                })
                .collect()
        })
        .await
    }
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

/// An entry about the organisation itself (its settings, its API tokens):
/// no user is its target.
pub(crate) fn organisation_audit_entry<'a>(
    actor: &'a SessionUser,
    action: &'a str,
    detail: &'a str,
    at: i64,
) -> audit::AuditEntry<'a> {
    audit::AuditEntry {
        org_id: &actor.org_id,
        actor_id: Some(&actor.id),
        actor_name: &actor.name,
        action,
        target_user_id: None,
        target_email: None,
        detail,
        at,
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
) -> Result<(), RepoError> {
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

//! R27: automatic reminders. Org Managers set a schedule (days after the
//! invitation); a task in each server sends what is due. A reminder is a
//! resend (a fresh link, the old one superseded) and obeys what a resend
//! obeys: the cooldown, never after acceptance, revocation or deactivation,
//! and never for an invitation whose link has expired.

use super::{
    access::{self, Target},
    invitations::{organisation_audit_entry, Occasion, Sender},
    Engine,
};
use crate::domain::{
    reminders::{ReminderPlan, ReminderSchedule},
    AppError, SessionUser, UserStatus,
};
use crate::server::repos::{
    self, audit,
    invitations::PendingInvitation,
    reminders::{self, ReminderCandidate},
};
use std::{collections::BTreeMap, time::Duration};

/// Who the audit log and the table's "last sent by" name for a reminder.
pub const REMINDER_SENDER: &str = "Roster (reminder)";

/// Candidates read at a time.
const PAGE: i64 = 1_000;
/// Invitations whose next look one statement moves.
const MOVES_PER_STATEMENT: usize = 500;
/// A reminder that failed to send is tried again this much later.
const TRY_AGAIN_AFTER_MS: i64 = 10 * 60_000;

impl Engine {
    pub async fn reminder_schedule(
        &self,
        actor: &SessionUser,
    ) -> Result<ReminderSchedule, AppError> {
        access::require_org_manager(actor)?;
        let days = reminders::find_reminder_days(&self.db, &actor.org_id).await?;
        Ok(ReminderSchedule::from_db(&days))
    }

    /// Sets the organisation's schedule from what the manager typed ("2, 5";
    /// empty turns reminders off), in the audit log.
    pub async fn save_reminder_schedule(
        &self,
        actor: &SessionUser,
        typed: &str,
        now: i64,
    ) -> Result<ReminderSchedule, AppError> {
        access::require_org_manager(actor)?;
        let schedule = ReminderSchedule::parse(typed)?;
        let detail = if schedule.is_off() {
            "off".to_string()
        } else {
            format!("days {}", schedule.to_text())
        };
        let mut tx = repos::begin(&self.db, "begin saving the reminder schedule").await?;
        reminders::update_reminder_days(&mut *tx, &actor.org_id, &schedule.to_db()).await?;
        reminders::reschedule_organisation(&mut *tx, &actor.org_id, !schedule.is_off()).await?;
        audit::record(
            &mut tx,
            organisation_audit_entry(actor, "set_reminders", &detail, now),
        )
        .await?;
        repos::commit(tx, "commit the reminder schedule").await?;
        Ok(schedule)
    }

    /// Sends every reminder due at `now` (a schedule's day lasts `day_ms`);
    /// returns how many were sent. Reads only the open invitations whose
    /// time to be looked at has come, and sets each one's next time. Safe
    /// with several instances on one database: the send slot and the
    /// reminder's row are claimed in the transaction that sends, so one
    /// instance sends and the others skip.
    pub async fn send_due_reminders(&self, day_ms: i64, now: i64) -> Result<usize, AppError> {
        let mut sent = 0;
        let mut after: Option<(i64, String)> = None;
        loop {
            let page = {
                let mut conn = repos::acquire(&self.db, "acquire for reminders").await?;
                reminders::find_reminder_candidates(
                    &mut conn,
                    now,
                    after.as_ref().map(|(at, id)| (*at, id.as_str())),
                    PAGE,
                )
                .await?
            };
            let last_page = (page.len() as i64) < PAGE;
            after = page
                .last()
                .map(|c| (c.next_reminder_at, c.invitation_id.clone()));
            // Looks moved without sending, grouped: a bulk invite's thousands
            // share their times, so they take a statement or two.
            let mut moves: BTreeMap<(i64, Option<i64>, String), Vec<String>> = BTreeMap::new();
            for candidate in page {
                let (was, days) = (candidate.next_reminder_at, candidate.reminder_days.clone());
                let id = candidate.invitation_id.clone();
                let look_again = match self.plan_for(&candidate, day_ms, now) {
                    ReminderPlan::Send { step } => {
                        match self.remind(candidate, step, day_ms, now).await {
                            Ok(true) => {
                                sent += 1;
                                continue;
                            }
                            Ok(false) => continue,
                            // One invitation that cannot be sent holds up no
                            // other: it is tried again a while later.
                            Err(error) => {
                                tracing::error!(error = ?error, invitation = %id, "sending a reminder");
                                Some(now + TRY_AGAIN_AFTER_MS)
                            }
                        }
                    }
                    ReminderPlan::LookAgain(at) => at,
                };
                moves.entry((was, look_again, days)).or_default().push(id);
            }
            for ((from, to, days), ids) in moves {
                for chunk in ids.chunks(MOVES_PER_STATEMENT) {
                    let chunk: Vec<&str> = chunk.iter().map(String::as_str).collect();
                    reminders::reschedule(&self.db, &chunk, from, to, &days).await?;
                }
            }
            if last_page {
                return Ok(sent);
            }
        }
    }

    /// What to do with an invitation: nothing (until an email with a fresh
    /// link, a reactivation or a schedule save asks for a look again) once
    /// reminders are off, the user is no longer Invited, or the working
    /// link expired (a reminder never revives an expired invitation).
    fn plan_for(&self, candidate: &ReminderCandidate, day_ms: i64, now: i64) -> ReminderPlan {
        let schedule = ReminderSchedule::from_db(&candidate.reminder_days);
        let live = candidate.link_expires_at.is_some_and(|at| at > now);
        if schedule.is_off() || candidate.user_status != UserStatus::Invited || !live {
            return ReminderPlan::LookAgain(None);
        }
        let last_step = candidate.last_step.and_then(|s| u32::try_from(s).ok());
        schedule.plan(
            candidate.first_sent_at,
            candidate.last_sent_at,
            last_step,
            day_ms,
            self.resend_cooldown_ms,
            now,
        )
    }

    /// Sends reminder `step`, and sets the next look, in one transaction;
    /// false if it was not for sending after all.
    async fn remind(
        &self,
        candidate: ReminderCandidate,
        step: u32,
        day_ms: i64,
        now: i64,
    ) -> Result<bool, AppError> {
        let first_sent_at = candidate.first_sent_at;
        let target = Target {
            id: candidate.user_id,
            org_id: candidate.org_id,
            email: candidate.email,
            name: candidate.name,
            status: UserStatus::Invited,
        };
        let invitation = PendingInvitation {
            id: candidate.invitation_id,
            last_sent_at: candidate.last_sent_at,
        };
        let sender = Sender {
            id: None,
            name: REMINDER_SENDER,
        };
        match self
            .send_fresh_link(
                &target,
                &invitation,
                sender,
                Occasion::Reminder {
                    step,
                    first_sent_at,
                    day_ms,
                },
                None,
                now,
            )
            .await
        {
            Ok(_) => Ok(true),
            // Resent since it was read (which set its next look), sent by
            // another instance (likewise), or accepted or revoked (it left
            // the open invitations, and the scheduler's index).
            Err(AppError::Cooldown { .. } | AppError::LinkUnusable | AppError::NotFound) => {
                Ok(false)
            }
            Err(error) => Err(error),
        }
    }
}

/// Sends due reminders every `every` until the server stops.
pub fn spawn(engine: Engine, day: Duration, every: Duration) {
    let day_ms = day.as_millis() as i64;
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match engine
                .send_due_reminders(day_ms, crate::server::now_ms())
                .await
            {
                Ok(0) => {}
                Ok(sent) => tracing::info!(sent, "reminders sent"),
                Err(error) => {
                    tracing::error!(%error, "reminders: a round failed; the next one retries")
                }
            }
        }
    });
}

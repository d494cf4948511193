//! The invitation rules of SPEC §3 as pure functions of time and state, so
//! they are tested with a fixed clock. Times are UTC milliseconds.

use super::UserStatus;
use serde::{Deserialize, Serialize};

/// R10: wrong typed emails before a copied link locks.
pub const MAX_EMAIL_CONFIRMATION_TRIES: i64 = 5;
/// R25: an Invited user's link is "expiring soon" in its last two days.
pub const EXPIRING_SOON_MS: i64 = 2 * 24 * 3600 * 1000;

/// R8: when the next invitation email to a user may go out.
pub fn resend_allowed_at(last_sent_at: i64, cooldown_ms: i64) -> i64 {
    last_sent_at + cooldown_ms
}

/// R8: `Err(until)` while the cooldown runs.
pub fn check_cooldown(now: i64, last_sent_at: i64, cooldown_ms: i64) -> Result<(), i64> {
    let allowed_at = resend_allowed_at(last_sent_at, cooldown_ms);
    if now >= allowed_at {
        Ok(())
    } else {
        Err(allowed_at)
    }
}

/// R11: every link expires a fixed time after it was made.
pub fn link_expires_at(made_at: i64, ttl_ms: i64) -> i64 {
    made_at + ttl_ms
}

pub fn is_expired(now: i64, expires_at: i64) -> bool {
    now >= expires_at
}

/// R25: valid, but with less than two days left.
pub fn is_expiring_soon(now: i64, expires_at: i64) -> bool {
    !is_expired(now, expires_at) && expires_at - now <= EXPIRING_SOON_MS
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LinkKind {
    /// Sent in an invitation email: opening it proves the address (R6).
    Email,
    /// Copied by a manager to send elsewhere: the invitee types the address (R10).
    Copied,
}

impl LinkKind {
    pub fn label(self) -> &'static str {
        match self {
            LinkKind::Email => "Email",
            LinkKind::Copied => "Copied",
        }
    }

    pub fn as_db(self) -> &'static str {
        match self {
            LinkKind::Email => "email",
            LinkKind::Copied => "copied",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    Active,
    Superseded,
    Used,
    Locked,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationStatus {
    Pending,
    Accepted,
    Revoked,
}

impl InvitationStatus {
    pub fn as_db(self) -> &'static str {
        match self {
            InvitationStatus::Pending => "pending",
            InvitationStatus::Accepted => "accepted",
            InvitationStatus::Revoked => "revoked",
        }
    }
}

/// What opening a link leads to (R6, R10–R15, R18, R23).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LinkVerdict {
    Usable,
    /// R11/R13: older than its lifetime; the invitee may ask for a fresh one.
    Expired,
    /// R12/R13: a newer link was made; the invitee may ask for a fresh one.
    Superseded,
    /// R15: registration is done; offer sign-in.
    AlreadyAccepted,
    /// R10: five wrong emails; a manager must make a new link.
    Locked,
    /// R23: the invitation was cancelled.
    Revoked,
    /// R18 (and R5's message).
    Deactivated,
}

impl LinkVerdict {
    /// The invitee may ask for a fresh link from this page (R13).
    pub fn offers_resend(self) -> bool {
        matches!(self, LinkVerdict::Expired | LinkVerdict::Superseded)
    }
}

/// Judges a link. The order matters: a cancelled invitation or a deactivated
/// user trumps everything; a used link says "accepted" even when expired.
pub fn judge_link(
    link: LinkState,
    invitation: InvitationStatus,
    user: Option<UserStatus>,
    expires_at: i64,
    now: i64,
) -> LinkVerdict {
    match (invitation, user) {
        (InvitationStatus::Revoked, _) | (_, None) => return LinkVerdict::Revoked,
        (_, Some(UserStatus::Deactivated)) => return LinkVerdict::Deactivated,
        (InvitationStatus::Accepted, _) | (_, Some(UserStatus::Active)) => {
            return LinkVerdict::AlreadyAccepted
        }
        _ => {}
    }
    match link {
        LinkState::Used => LinkVerdict::AlreadyAccepted,
        LinkState::Locked => LinkVerdict::Locked,
        LinkState::Superseded => LinkVerdict::Superseded,
        LinkState::Active if is_expired(now, expires_at) => LinkVerdict::Expired,
        LinkState::Active => LinkVerdict::Usable,
    }
}

/// R10: after a wrong typed email, how many tries are left (0 = now locked).
pub fn tries_left_after_failure(failed_before: i64) -> i64 {
    (MAX_EMAIL_CONFIRMATION_TRIES - failed_before - 1).max(0)
}

/// Shows enough of an address to recognise it, not enough to harvest it:
/// `ada.lovelace@example.com` → `a•••e@example.com`.
pub fn mask_email(email: &str) -> String {
    let Some((local, domain)) = email.split_once('@') else {
        return "•••".into();
    };
    let mut chars = local.chars();
    let first = chars.next().unwrap_or('•');
    match chars.last() {
        Some(last) if local.chars().count() > 2 => format!("{first}•••{last}@{domain}"),
        _ => format!("{first}•••@{domain}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;
    const DAY: i64 = 24 * 60 * MIN;
    const T0: i64 = 1_767_603_600_000;

    #[test]
    fn r8_cooldown_refuses_at_14_59_and_allows_at_15_00() {
        let cooldown = 15 * MIN;
        assert_eq!(
            check_cooldown(T0 + 14 * MIN + 59_000, T0, cooldown),
            Err(T0 + 15 * MIN)
        );
        assert_eq!(check_cooldown(T0 + 15 * MIN, T0, cooldown), Ok(()));
        assert_eq!(check_cooldown(T0, T0, cooldown), Err(T0 + 15 * MIN));
    }

    #[test]
    fn r11_link_valid_at_6d23h_and_expired_at_7d() {
        let expires = link_expires_at(T0, 7 * DAY);
        assert!(!is_expired(T0 + 6 * DAY + 23 * 60 * MIN, expires));
        assert!(is_expired(T0 + 7 * DAY, expires));
        let verdict = |now| {
            judge_link(
                LinkState::Active,
                InvitationStatus::Pending,
                Some(UserStatus::Invited),
                expires,
                now,
            )
        };
        assert_eq!(verdict(T0 + 6 * DAY + 23 * 60 * MIN), LinkVerdict::Usable);
        assert_eq!(verdict(T0 + 7 * DAY), LinkVerdict::Expired);
    }

    #[test]
    fn r12_only_the_newest_link_works() {
        let expires = T0 + 7 * DAY;
        let pending = |state| {
            judge_link(
                state,
                InvitationStatus::Pending,
                Some(UserStatus::Invited),
                expires,
                T0,
            )
        };
        assert_eq!(pending(LinkState::Superseded), LinkVerdict::Superseded);
        assert_eq!(pending(LinkState::Active), LinkVerdict::Usable);
        assert!(LinkVerdict::Superseded.offers_resend());
        assert!(LinkVerdict::Expired.offers_resend());
        assert!(!LinkVerdict::Locked.offers_resend());
    }

    #[test]
    fn r10_five_wrong_emails_then_locked() {
        assert_eq!(tries_left_after_failure(0), 4);
        assert_eq!(tries_left_after_failure(3), 1);
        assert_eq!(tries_left_after_failure(4), 0);
        let expires = T0 + 7 * DAY;
        assert_eq!(
            judge_link(
                LinkState::Locked,
                InvitationStatus::Pending,
                Some(UserStatus::Invited),
                expires,
                T0
            ),
            LinkVerdict::Locked
        );
    }

    #[test]
    fn r15_r18_r23_accepted_deactivated_and_revoked_trump_link_state() {
        let expired = T0 - 1;
        assert_eq!(
            judge_link(
                LinkState::Used,
                InvitationStatus::Accepted,
                Some(UserStatus::Active),
                expired,
                T0
            ),
            LinkVerdict::AlreadyAccepted
        );
        assert_eq!(
            judge_link(
                LinkState::Active,
                InvitationStatus::Pending,
                Some(UserStatus::Deactivated),
                T0 + DAY,
                T0
            ),
            LinkVerdict::Deactivated
        );
        assert_eq!(
            judge_link(
                LinkState::Active,
                InvitationStatus::Revoked,
                None,
                T0 + DAY,
                T0
            ),
            LinkVerdict::Revoked
        );
    }

    #[test]
    fn r25_expiring_soon_is_the_last_two_days() {
        let expires = T0 + 7 * DAY;
        assert!(!is_expiring_soon(T0, expires));
        assert!(is_expiring_soon(T0 + 5 * DAY, expires));
        assert!(!is_expiring_soon(T0 + 7 * DAY, expires));
    }

    #[test]
    fn masks_emails() {
        assert_eq!(mask_email("ada.lovelace@example.com"), "a•••e@example.com");
        assert_eq!(mask_email("al@example.com"), "a•••@example.com");
    }
}

//! A user's history for the detail panel (R21): their invitations and links,
//! every email with each delivery attempt, and the audit entries about them.

use super::{rules::LinkKind, UserStatus};
use serde::{Deserialize, Serialize};

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserHistory {
    /// Server time of the answer: relative times render the same on both sides.
    pub generated_at: i64,
    pub name: String,
    pub email: String,
    pub status: UserStatus,
    pub created_at: i64,
    pub activated_at: Option<i64>,
    /// Newest first.
    pub invitations: Vec<InvitationHistory>,
    /// Newest first.
    pub emails: Vec<EmailHistory>,
    /// Newest first, at most `AUDIT_LIMIT`.
    pub audit: Vec<AuditLine>,
}

pub const AUDIT_LIMIT: usize = 100;

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvitationHistory {
    pub status: InvitationStatus,
    pub invited_by: String,
    pub first_sent_at: i64,
    pub last_sent_at: i64,
    pub last_sent_by: String,
    pub closed_at: Option<i64>,
    /// Newest first.
    pub links: Vec<LinkHistory>,
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InvitationStatus {
    Pending,
    Accepted,
    Revoked,
}

impl InvitationStatus {
    pub fn label(self) -> &'static str {
        match self {
            InvitationStatus::Pending => "Open",
            InvitationStatus::Accepted => "Accepted",
            InvitationStatus::Revoked => "Revoked",
        }
    }
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkHistory {
    pub kind: LinkKind,
    /// `active`, `superseded`, `used` or `locked`, as stored.
    pub state: String,
    pub token_end: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub failed_confirmations: i64,
}

impl LinkHistory {
    /// What a manager needs to know about the link, in words.
    pub fn state_label(&self, now: i64) -> &'static str {
        match self.state.as_str() {
            "superseded" => "Replaced by a newer link",
            "used" => "Used",
            "locked" => "Locked after 5 wrong email addresses",
            _ if self.expires_at <= now => "Expired",
            _ => "Valid",
        }
    }
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmailHistory {
    pub subject: String,
    pub to: String,
    /// `queued`, `sent` or `failed`, as stored.
    pub status: String,
    pub queued_at: i64,
    pub sent_at: Option<i64>,
    /// Oldest first: the order they happened in.
    pub attempts: Vec<DeliveryAttempt>,
}

impl EmailHistory {
    pub fn status_label(&self) -> &'static str {
        match self.status.as_str() {
            "sent" => "Delivered to the mail server",
            "failed" => "Not delivered: the mail server refused it, or retries ran out. Resend to try again.",
            _ if self.attempts.is_empty() => "Waiting to be sent",
            _ => "Retrying",
        }
    }
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryAttempt {
    pub at: i64,
    pub succeeded: bool,
    /// The SMTP server's reply, or the error (R21).
    pub reply: String,
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditLine {
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub detail: String,
}

impl AuditLine {
    /// The stored action code in words; unknown codes are shown as they are.
    pub fn action_label(&self) -> String {
        let label = match self.action.as_str() {
            "invite" => "Invited",
            "resend" => "Resent the invitation",
            "self_service_resend" => "Asked for a new link from an old one",
            "remind" => "Sent a reminder",
            "set_reminders" => "Set the reminder schedule",
            "create_api_token" => "Made an API token",
            "revoke_api_token" => "Revoked an API token",
            "add_webhook" => "Added a webhook endpoint",
            "delete_webhook" => "Deleted a webhook endpoint",
            "copy_link" => "Copied an invitation link",
            "revoke" => "Revoked the invitation",
            "deactivate" => "Deactivated",
            "reactivate" => "Reactivated",
            "accept" => "Accepted the invitation",
            "create_team" => "Created a team",
            "add_team_member" => "Added to a team",
            "appoint_team_manager" => "Appointed Team Manager",
            "remove_team_manager" => "No longer Team Manager",
            other => return other.replace('_', " "),
        };
        label.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(state: &str, expires_at: i64) -> LinkHistory {
        LinkHistory {
            kind: LinkKind::Email,
            state: state.into(),
            token_end: "abcdef".into(),
            created_at: 0,
            expires_at,
            failed_confirmations: 0,
        }
    }

    #[test]
    fn r11_r12_link_states_in_words() {
        assert_eq!(link("active", 100).state_label(99), "Valid");
        assert_eq!(link("active", 100).state_label(100), "Expired");
        assert_eq!(
            link("superseded", 100).state_label(0),
            "Replaced by a newer link"
        );
        assert_eq!(
            link("locked", 100).state_label(0),
            "Locked after 5 wrong email addresses"
        );
    }

    #[test]
    fn r21_email_status_in_words() {
        let mut email = EmailHistory {
            subject: String::new(),
            to: String::new(),
            status: "queued".into(),
            queued_at: 0,
            sent_at: None,
            attempts: vec![],
        };
        assert_eq!(email.status_label(), "Waiting to be sent");
        email.attempts.push(DeliveryAttempt {
            at: 1,
            succeeded: false,
            reply: "421 try later".into(),
        });
        assert_eq!(email.status_label(), "Retrying");
        email.status = "sent".into();
        assert_eq!(email.status_label(), "Delivered to the mail server");
    }

    #[test]
    fn audit_actions_in_words() {
        let line = |action: &str| AuditLine {
            at: 0,
            actor: String::new(),
            action: action.into(),
            detail: String::new(),
        };
        assert_eq!(
            line("copy_link").action_label(),
            "Copied an invitation link"
        );
        assert_eq!(line("new_thing").action_label(), "new thing");
    }
}

//! What the browser sends to, and gets back from, the invitation engine.

use super::{rules::LinkKind, rules::LinkVerdict, AppError, UserStatus};
use serde::{Deserialize, Serialize};

/// The longest search a listing accepts: longer than any email or name.
pub const MAX_SEARCH_CHARS: usize = 320;
/// Teams one invitation may name at once.
pub const MAX_TEAMS_PER_INVITE: usize = 100;

/// A manager's request to invite one person (R3).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InviteRequest {
    pub email: String,
    pub name: String,
    pub team_ids: Vec<String>,
}

impl InviteRequest {
    /// The team list must name each team once (a repeat is a mistake in
    /// the request, not a second membership).
    pub fn check_teams(&self) -> Result<(), AppError> {
        if self.team_ids.len() > MAX_TEAMS_PER_INVITE {
            return Err(AppError::invalid(format!(
                "Choose at most {MAX_TEAMS_PER_INVITE} teams."
            )));
        }
        let mut seen = std::collections::HashSet::new();
        if self.team_ids.iter().any(|id| !seen.insert(id)) {
            return Err(AppError::invalid("The same team is chosen twice."));
        }
        Ok(())
    }
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invited {
    pub user_id: String,
    pub email: String,
    pub token_end: String,
    pub expires_at: i64,
}

/// R4: each CSV row's own outcome.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BulkOutcome {
    Invited,
    AlreadyInvited,
    AlreadyActive,
    Deactivated,
    InvalidEmail,
    DuplicateRow,
    UnknownTeam,
    NotAllowed,
    /// R8: the address was sent an invitation within the cooldown (by an
    /// invitation since revoked).
    Cooldown,
}

impl BulkOutcome {
    pub fn label(self) -> &'static str {
        match self {
            BulkOutcome::Invited => "invited",
            BulkOutcome::AlreadyInvited => "already invited",
            BulkOutcome::AlreadyActive => "already active",
            BulkOutcome::Deactivated => "deactivated",
            BulkOutcome::InvalidEmail => "invalid email",
            BulkOutcome::DuplicateRow => "duplicate row",
            BulkOutcome::UnknownTeam => "unknown team",
            BulkOutcome::Cooldown => "sent within 15 minutes",
            BulkOutcome::NotAllowed => "not allowed",
        }
    }
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulkRow {
    /// 1-based line in the CSV the manager gave.
    pub line: usize,
    pub email: String,
    pub outcome: BulkOutcome,
    pub message: String,
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BulkInviteReport {
    pub rows: Vec<BulkRow>,
}

/// A resend that went out (R7).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SentInvite {
    pub email: String,
    pub last_sent_at: i64,
    pub token_end: String,
    pub expires_at: i64,
}

/// R9: the new link, for the manager's clipboard.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CopiedLink {
    pub url: String,
    pub token_end: String,
    pub expires_at: i64,
}

/// R24: what a bulk resend did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BulkResendReport {
    pub sent: usize,
    pub skipped_cooldown: usize,
    pub not_invited: usize,
}

/// R25: the views of Invited users by link state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum LinkFilter {
    #[default]
    Any,
    Expired,
    ExpiringSoon,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SortKey {
    #[default]
    Name,
    Email,
    Status,
    LastSent,
    Expires,
}

/// Keyset paging (SPEC §8): the next page is the one after the last user the
/// browser was shown, the previous the one before the first, so the server
/// seeks to it through the sort's index at any depth instead of counting
/// rows from the start. The page number shown stays the browser's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PageAnchor {
    /// The page after the one that ends with this user (an id).
    After(String),
    /// The page before the one that starts with this user.
    Before(String),
}

/// Which users a listing shows. Statuses combine with OR; none = all (SPEC §5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserQuery {
    pub statuses: Vec<UserStatus>,
    pub link: LinkFilter,
    pub search: String,
    pub sort: SortKey,
    pub descending: bool,
    /// 1-based.
    pub page: u32,
    /// Where `page` starts, when the browser came from the page beside it;
    /// without one, the page is counted from the start.
    #[serde(default)]
    pub anchor: Option<PageAnchor>,
    pub per_page: u32,
    /// A team's Members tab; `None` is the whole organisation.
    pub team_id: Option<String>,
}

impl UserQuery {
    pub fn check(&self) -> Result<(), AppError> {
        if self.search.chars().count() > MAX_SEARCH_CHARS {
            return Err(AppError::invalid(format!(
                "Search for at most {MAX_SEARCH_CHARS} characters."
            )));
        }
        Ok(())
    }
}

impl Default for UserQuery {
    fn default() -> Self {
        UserQuery {
            statuses: vec![],
            link: LinkFilter::Any,
            search: String::new(),
            sort: SortKey::Name,
            descending: false,
            page: 1,
            anchor: None,
            per_page: 50,
            team_id: None,
        }
    }
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserListRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub status: UserStatus,
    pub teams: Vec<String>,
    /// R26: kept when the inviter is gone; `inviter_is_former` then says so.
    pub invited_by: Option<String>,
    pub inviter_is_former: bool,
    pub last_sent_at: Option<i64>,
    pub last_sent_by: Option<String>,
    pub expires_at: Option<i64>,
    /// R12: the last characters of the newest link's token.
    pub token_end: Option<String>,
    pub link_kind: Option<LinkKind>,
    /// R21: why this Invited user's newest invitation email failed for good
    /// (the SMTP server's reply or the error), if it did; a resend clears it.
    pub email_failure: Option<String>,
}

/// R25: counts by state, over the same scope as the listing (ignoring filters).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StatusCounts {
    pub all: i64,
    pub invited: i64,
    pub active: i64,
    pub deactivated: i64,
    pub expired: i64,
    pub expiring_soon: i64,
}

impl StatusCounts {
    /// How many users a listing without a search matches, from the counts
    /// alone: the users table need not be counted twice (SPEC §8).
    pub fn total_for(&self, statuses: &[UserStatus], link: LinkFilter) -> i64 {
        let wanted = |status: UserStatus| statuses.is_empty() || statuses.contains(&status);
        match link {
            LinkFilter::Any => [
                (UserStatus::Invited, self.invited),
                (UserStatus::Active, self.active),
                (UserStatus::Deactivated, self.deactivated),
            ]
            .into_iter()
            .filter(|(status, _)| wanted(*status))
            .map(|(_, n)| n)
            .sum(),
            // Both views are of Invited users only.
            LinkFilter::Expired if wanted(UserStatus::Invited) => self.expired,
            LinkFilter::ExpiringSoon if wanted(UserStatus::Invited) => self.expiring_soon,
            LinkFilter::Expired | LinkFilter::ExpiringSoon => 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserPage {
    /// Server time of the answer: relative times render the same on both sides.
    pub generated_at: i64,
    pub rows: Vec<UserListRow>,
    pub total: i64,
    /// Of `total`, the Invited users: those "Resend Invite to all that
    /// match" sends to (R24); the others would be skipped.
    pub invited_matching: i64,
    pub counts: StatusCounts,
    pub page: u32,
    pub per_page: u32,
}

/// What an invitee's link page shows: nothing beyond the organisation's name
/// and a masked address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkView {
    pub verdict: LinkVerdict,
    pub kind: LinkKind,
    pub org_name: String,
    pub email_hint: String,
    /// Copied link whose email was already confirmed: go on to the password.
    pub email_confirmed: bool,
    /// The organisation signs in through single sign-on: the invitee
    /// continues at the identity provider instead of choosing a password.
    pub sso: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_team_named_twice_is_a_clear_error() {
        let request = InviteRequest {
            email: "a@b.test".into(),
            name: String::new(),
            team_ids: vec!["t1".into(), "t2".into(), "t1".into()],
        };
        assert_eq!(
            request.check_teams(),
            Err(AppError::invalid("The same team is chosen twice."))
        );
    }

    #[test]
    fn an_overlong_search_is_a_clear_error() {
        let query = UserQuery {
            search: "x".repeat(50_000),
            ..UserQuery::default()
        };
        assert!(matches!(query.check(), Err(AppError::Invalid(m)) if m.contains("at most")));
        assert_eq!(UserQuery::default().check(), Ok(()));
    }

    #[test]
    fn r25_totals_follow_from_the_counts() {
        let counts = StatusCounts {
            all: 10,
            invited: 5,
            active: 3,
            deactivated: 2,
            expired: 1,
            expiring_soon: 2,
        };
        use UserStatus::*;
        assert_eq!(counts.total_for(&[], LinkFilter::Any), 10);
        assert_eq!(
            counts.total_for(&[Invited, Deactivated], LinkFilter::Any),
            7
        );
        assert_eq!(counts.total_for(&[], LinkFilter::Expired), 1);
        assert_eq!(counts.total_for(&[Invited], LinkFilter::ExpiringSoon), 2);
        assert_eq!(counts.total_for(&[Active], LinkFilter::Expired), 0);
    }
}

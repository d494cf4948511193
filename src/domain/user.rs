//! Who a user is to Roster: role and state (SPEC §1, §2).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    OrgManager,
    Member,
}

impl Role {
    pub fn as_db(self) -> &'static str {
        match self {
            Role::OrgManager => "org_manager",
            Role::Member => "member",
        }
    }

    pub fn from_db(value: &str) -> Option<Self> {
        match value {
            "org_manager" => Some(Role::OrgManager),
            "member" => Some(Role::Member),
            _ => None,
        }
    }
}

/// Exactly one of these at any time (SPEC §2).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UserStatus {
    Invited,
    Active,
    Deactivated,
}

impl UserStatus {
    pub fn as_db(self) -> &'static str {
        match self {
            UserStatus::Invited => "invited",
            UserStatus::Active => "active",
            UserStatus::Deactivated => "deactivated",
        }
    }

    pub fn from_db(value: &str) -> Option<Self> {
        match value {
            "invited" => Some(UserStatus::Invited),
            "active" => Some(UserStatus::Active),
            "deactivated" => Some(UserStatus::Deactivated),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            UserStatus::Invited => "Invited",
            UserStatus::Active => "Active",
            UserStatus::Deactivated => "Deactivated",
        }
    }
}

/// The signed-in user as the browser sees it: nothing secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub org_id: String,
    pub org_name: String,
    /// Teams this user manages (ids); empty for most members.
    pub managed_team_ids: Vec<String>,
}

impl SessionUser {
    pub fn is_org_manager(&self) -> bool {
        self.role == Role::OrgManager
    }

    pub fn is_manager(&self) -> bool {
        self.is_org_manager() || !self.managed_team_ids.is_empty()
    }

    /// Where signing in leads: the Users page for Org Managers, the Teams
    /// page for Team Managers (they work from their teams, SPEC §1), else home.
    pub fn home_path(&self) -> &'static str {
        if self.is_org_manager() {
            "/manage/settings/users"
        } else if self.is_manager() {
            "/manage/settings/teams"
        } else {
            "/"
        }
    }
}

//! Teams and their membership rows.

use super::{
    batch::{insert_one, table_row},
    RepoError, Step,
};
use sqlx::{Any, Executor};
use std::collections::HashMap;

table_row!(
    /// A whole `teams` row.
    NewTeam in "teams" {
    id: String,
    org_id: String,
    name: String,
    created_at: i64,
});

table_row!(
    /// A whole `team_members` row, as every writer makes it.
    MemberRow in "team_members" {
    team_id: String,
    user_id: String,
    is_manager: bool,
    added_at: i64,
});

/// Adds `user_id` to `team_id`, as its manager or as a member.
pub async fn insert_member<'c>(
    db: impl Executor<'c, Database = Any>,
    team_id: &str,
    user_id: &str,
    is_manager: bool,
    now: i64,
) -> Result<(), RepoError> {
    insert_one(
        db,
        MemberRow {
            team_id: team_id.to_string(),
            user_id: user_id.to_string(),
            is_manager,
            added_at: now,
        },
    )
    .await
    .step("insert team member")
}

/// Fails with a unique violation when the organisation has a team of this name.
pub async fn insert_team<'c>(
    db: impl Executor<'c, Database = Any>,
    id: &str,
    org_id: &str,
    name: &str,
    now: i64,
) -> Result<(), RepoError> {
    insert_one(
        db,
        NewTeam {
            id: id.to_string(),
            org_id: org_id.to_string(),
            name: name.to_string(),
            created_at: now,
        },
    )
    .await
    .step("insert team")
}

#[derive(sqlx::FromRow)]
struct Name {
    name: String,
}

pub async fn find_team_name<'c>(
    db: impl Executor<'c, Database = Any>,
    team_id: &str,
) -> Result<Option<String>, RepoError> {
    let row: Option<Name> = sqlx::query_as("SELECT name FROM teams WHERE id = $1")
        .bind(team_id)
        .fetch_optional(db)
        .await
        .step("find team name")?;
    Ok(row.map(|row| row.name))
}

/// The organisation a team belongs to, if the team exists.
pub async fn find_team_org_id<'c>(
    db: impl Executor<'c, Database = Any>,
    team_id: &str,
) -> Result<Option<String>, RepoError> {
    #[derive(sqlx::FromRow)]
    struct OrgId {
        org_id: String,
    }
    let row: Option<OrgId> = sqlx::query_as("SELECT org_id FROM teams WHERE id = $1")
        .bind(team_id)
        .fetch_optional(db)
        .await
        .step("find team's organisation")?;
    Ok(row.map(|row| row.org_id))
}

#[derive(sqlx::FromRow)]
struct IsManager {
    is_manager: i64,
}

/// `Some(is_manager)` when the user is in the team.
pub async fn find_membership<'c>(
    db: impl Executor<'c, Database = Any>,
    team_id: &str,
    user_id: &str,
) -> Result<Option<bool>, RepoError> {
    let row: Option<IsManager> =
        sqlx::query_as("SELECT is_manager FROM team_members WHERE team_id = $1 AND user_id = $2")
            .bind(team_id)
            .bind(user_id)
            .fetch_optional(db)
            .await
            .step("find team membership")?;
    Ok(row.map(|row| row.is_manager != 0))
}

/// Whether `user_id` manages `team_id`.
pub async fn is_team_manager<'c>(
    db: impl Executor<'c, Database = Any>,
    team_id: &str,
    user_id: &str,
) -> Result<bool, RepoError> {
    Ok(find_membership(db, team_id, user_id)
        .await
        .map_err(|e| RepoError {
            step: "find whether user manages team",
            ..e
        })?
        .unwrap_or(false))
}

/// Whether `user_id` is a member of a team that `manager_id` manages.
pub async fn is_in_team_managed_by<'c>(
    db: impl Executor<'c, Database = Any>,
    manager_id: &str,
    user_id: &str,
) -> Result<bool, RepoError> {
    #[derive(sqlx::FromRow)]
    struct Found {
        #[allow(dead_code)]
        user_id: String,
    }
    let found: Option<Found> = sqlx::query_as(
        "SELECT m.user_id FROM team_members m
         JOIN team_members mine ON mine.team_id = m.team_id AND mine.user_id = $1 AND mine.is_manager = 1
         WHERE m.user_id = $2
         LIMIT 1",
    )
    .bind(manager_id)
    .bind(user_id)
    .fetch_optional(db)
    .await
    .step("find a team of the user managed by the manager")?;
    Ok(found.is_some())
}

pub async fn set_manager_flag<'c>(
    db: impl Executor<'c, Database = Any>,
    team_id: &str,
    user_id: &str,
    is_manager: bool,
) -> Result<(), RepoError> {
    sqlx::query("UPDATE team_members SET is_manager = $3 WHERE team_id = $1 AND user_id = $2")
        .bind(team_id)
        .bind(user_id)
        .bind(is_manager as i64)
        .execute(db)
        .await
        .step("set team manager flag")?;
    Ok(())
}

/// A team with its member count, for the Teams page.
#[derive(Debug, sqlx::FromRow)]
pub struct TeamRow {
    pub id: String,
    pub name: String,
    pub members: i64,
}

/// The organisation's teams by name: all of them, or (`manager_id`) only
/// those that user manages.
pub async fn find_teams_of_org<'c>(
    db: impl Executor<'c, Database = Any>,
    org_id: &str,
    manager_id: Option<&str>,
) -> Result<Vec<TeamRow>, RepoError> {
    sqlx::query_as(
        "SELECT t.id, t.name,
                (SELECT COUNT(*) FROM team_members m WHERE m.team_id = t.id) AS members
         FROM teams t
         WHERE t.org_id = $1
           AND ($2 = 1 OR EXISTS (SELECT 1 FROM team_members me
                                  WHERE me.team_id = t.id AND me.user_id = $3 AND me.is_manager = 1))
         ORDER BY LOWER(t.name)",
    )
    .bind(org_id)
    .bind(manager_id.is_none() as i64)
    .bind(manager_id.unwrap_or(""))
    .fetch_all(db)
    .await
    .step("find teams of organisation")
}

/// The names of a team's managers, by name.
pub async fn find_manager_names<'c>(
    db: impl Executor<'c, Database = Any>,
    team_id: &str,
) -> Result<Vec<String>, RepoError> {
    let rows: Vec<Name> = sqlx::query_as(
        "SELECT u.name FROM team_members m JOIN users u ON u.id = m.user_id
         WHERE m.team_id = $1 AND m.is_manager = 1 ORDER BY u.name",
    )
    .bind(team_id)
    .fetch_all(db)
    .await
    .step("find team manager names")?;
    Ok(rows.into_iter().map(|row| row.name).collect())
}

/// A team of the organisation, and whether a given user manages it.
#[derive(Debug, sqlx::FromRow)]
pub struct TeamManagedBy {
    pub id: String,
    pub name: String,
    managed: i64,
}

impl TeamManagedBy {
    pub fn is_managed(&self) -> bool {
        self.managed != 0
    }
}

/// The organisation's teams by lower-cased name, each with whether
/// `user_id` manages it (bulk invite's team column).
pub async fn find_teams_by_lowercase_name<'c>(
    db: impl Executor<'c, Database = Any>,
    org_id: &str,
    user_id: &str,
) -> Result<HashMap<String, TeamManagedBy>, RepoError> {
    let rows: Vec<TeamManagedBy> = sqlx::query_as(
        "SELECT t.id, t.name,
                CASE WHEN EXISTS (SELECT 1 FROM team_members m WHERE m.team_id = t.id AND m.user_id = $2 AND m.is_manager = 1)
                     THEN 1 ELSE 0 END AS managed
         FROM teams t WHERE t.org_id = $1",
    )
    .bind(org_id)
    .bind(user_id)
    .fetch_all(db)
    .await
    .step("find teams by name with the user's management")?;
    Ok(rows
        .into_iter()
        .map(|team| (team.name.to_lowercase(), team))
        .collect())
}

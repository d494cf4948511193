//! The users table (R25, R26): filters, search, sort, pages and counts, in
//! the caller's scope (the organisation, or one team's members).
//!
//! Speed at 100,000 users (SPEC §8): every filter and sort reads the users
//! table alone (the working link's expiry is kept on the user
//! row), through indexes that match the sort, so a page stops after its rows.
//! The page's 50 rows are then completed with their invitation and link.
//! Without a search, the total comes from the counts, not a second scan.

use super::{access, Engine};
use crate::domain::{
    invitations::{LinkFilter, SortKey, StatusCounts, UserListRow, UserPage, UserQuery},
    rules::{LinkKind, EXPIRING_SOON_MS},
    AppError, SessionUser, UserStatus,
};
use crate::server::repos::{db_error, outbox};
use sqlx::{any::AnyRow, Row};
use std::collections::HashMap;

pub const MAX_PER_PAGE: u32 = 200;

/// A WHERE clause with its parameters, built in step.
struct Filter {
    sql: String,
    params: Vec<Param>,
}

enum Param {
    Text(String),
    Int(i64),
}

impl Filter {
    fn push(&mut self, param: Param) -> String {
        self.params.push(param);
        format!("${}", self.params.len())
    }

    fn bind<'q>(
        &'q self,
        sql: &'q str,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        let mut query = sqlx::query(sql);
        for param in &self.params {
            query = match param {
                Param::Text(text) => query.bind(text.as_str()),
                Param::Int(int) => query.bind(*int),
            };
        }
        query
    }
}

impl Engine {
    pub async fn list_users(
        &self,
        actor: &SessionUser,
        query: UserQuery,
        now: i64,
    ) -> Result<UserPage, AppError> {
        self.authorize_listing(actor, query.team_id.as_deref())
            .await?;
        query.check()?;
        let per_page = query.per_page.clamp(1, MAX_PER_PAGE);
        let page = query.page.max(1);

        let mut scope = Filter {
            sql: String::new(),
            params: vec![],
        };
        let org = scope.push(Param::Text(actor.org_id.clone()));
        scope.sql = format!("u.org_id = {org}");
        if let Some(team_id) = &query.team_id {
            let team = scope.push(Param::Text(team_id.clone()));
            scope.sql += &format!(" AND EXISTS (SELECT 1 FROM team_members tm WHERE tm.team_id = {team} AND tm.user_id = u.id)");
        }
        let scope_key = format!(
            "{}|{}",
            actor.org_id,
            query.team_id.as_deref().unwrap_or("")
        );
        let counts = match self.counts_cache.get(&scope_key, now) {
            Some(counts) => counts,
            None => {
                let generation = self.counts_cache.generation();
                let counts = self.count_by_state(&scope, now).await?;
                self.counts_cache
                    .put(scope_key, generation, now, counts.clone());
                counts
            }
        };

        let mut filter = scope;
        if !query.statuses.is_empty() {
            let list: Vec<String> = query
                .statuses
                .iter()
                .map(|s| format!("'{}'", s.as_db()))
                .collect();
            filter.sql += &format!(" AND u.status IN ({})", list.join(", "));
        }
        match query.link {
            LinkFilter::Any => {}
            LinkFilter::Expired => {
                let now = filter.push(Param::Int(now));
                filter.sql += &format!(
                    " AND u.status = 'invited' AND (u.link_expires_at IS NULL OR u.link_expires_at <= {now})"
                );
            }
            LinkFilter::ExpiringSoon => {
                let now_p = filter.push(Param::Int(now));
                let soon = filter.push(Param::Int(now + EXPIRING_SOON_MS));
                filter.sql += &format!(" AND u.status = 'invited' AND u.link_expires_at > {now_p} AND u.link_expires_at <= {soon}");
            }
        }
        let search = query.search.trim().to_lowercase();
        if !search.is_empty() {
            let pattern = format!(
                "%{}%",
                search
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            );
            let p = filter.push(Param::Text(pattern));
            filter.sql += &format!(
                " AND (u.email LIKE {p} ESCAPE '\\' OR LOWER(u.name) LIKE {p} ESCAPE '\\')"
            );
        }

        let direction = if query.descending { "DESC" } else { "ASC" };
        let order = match query.sort {
            SortKey::Name => format!("LOWER(u.name) {direction}, u.email {direction}"),
            SortKey::Email => format!("u.email {direction}"),
            SortKey::Status => format!("u.status {direction}, LOWER(u.name) {direction}"),
            SortKey::LastSent => format!(
                "COALESCE((SELECT MAX(i.last_sent_at) FROM invitations i WHERE i.user_id = u.id), 0) {direction}"
            ),
            SortKey::Expires => format!("COALESCE(u.link_expires_at, 0) {direction}"),
        };
        let offset = i64::from(page - 1) * i64::from(per_page);
        let ids_sql = format!(
            "SELECT u.id FROM users u WHERE {} ORDER BY {order}, u.id {direction} LIMIT {per_page} OFFSET {offset}",
            filter.sql
        );
        let ids: Vec<String> = filter
            .bind(&ids_sql)
            .fetch_all(&self.db)
            .await
            .map_err(db_error)?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()
            .map_err(db_error)?;
        // Without a search the counts give the total; a short page gives it
        // too (looking up one person); only a long search result is counted.
        let total = if search.is_empty() {
            counts.total_for(&query.statuses, query.link)
        } else if ids.len() < per_page as usize && (!ids.is_empty() || page == 1) {
            offset + ids.len() as i64
        } else {
            let total_sql = format!("SELECT COUNT(*) FROM users u WHERE {}", filter.sql);
            filter
                .bind(&total_sql)
                .fetch_one(&self.db)
                .await
                .map_err(db_error)?
                .try_get(0)
                .map_err(db_error)?
        };
        let mut rows = self.rows_of(&ids).await?;
        self.attach_team_names(&mut rows).await?;
        self.attach_email_failures(&mut rows).await?;
        Ok(UserPage {
            generated_at: now,
            rows,
            total,
            counts,
            page,
            per_page,
        })
    }

    /// Every user id matching a query (for "resend to all that match", R24).
    pub async fn matching_user_ids(
        &self,
        actor: &SessionUser,
        query: UserQuery,
        now: i64,
    ) -> Result<Vec<String>, AppError> {
        let mut ids = Vec::new();
        let mut page = 1;
        loop {
            let result = self
                .list_users(
                    actor,
                    UserQuery {
                        page,
                        per_page: MAX_PER_PAGE,
                        ..query.clone()
                    },
                    now,
                )
                .await?;
            let done = result.rows.len() < MAX_PER_PAGE as usize;
            ids.extend(result.rows.into_iter().map(|r| r.id));
            if done {
                return Ok(ids);
            }
            page += 1;
        }
    }

    async fn authorize_listing(
        &self,
        actor: &SessionUser,
        team_id: Option<&str>,
    ) -> Result<(), AppError> {
        match team_id {
            None => access::require_org_manager(actor),
            Some(team_id) => access::authorize_teams(&self.db, actor, &[team_id.to_string()]).await,
        }
    }

    /// One pass over the scope's users, grouped by state.
    async fn count_by_state(&self, scope: &Filter, now: i64) -> Result<StatusCounts, AppError> {
        let sql = format!(
            "SELECT u.status, COUNT(*),
                    COUNT(CASE WHEN u.link_expires_at IS NULL OR u.link_expires_at <= {now} THEN 1 END),
                    COUNT(CASE WHEN u.link_expires_at > {now} AND u.link_expires_at <= {soon} THEN 1 END)
             FROM users u WHERE {} GROUP BY u.status",
            scope.sql,
            soon = now + EXPIRING_SOON_MS,
        );
        let mut counts = StatusCounts::default();
        for row in scope
            .bind(&sql)
            .fetch_all(&self.db)
            .await
            .map_err(db_error)?
        {
            let get = |i: usize| row.try_get::<i64, _>(i).map_err(db_error);
            let status: String = row.try_get(0).map_err(db_error)?;
            let n = get(1)?;
            counts.all += n;
            match UserStatus::from_db(&status) {
                Some(UserStatus::Invited) => {
                    counts.invited = n;
                    counts.expired = get(2)?;
                    counts.expiring_soon = get(3)?;
                }
                Some(UserStatus::Active) => counts.active = n,
                Some(UserStatus::Deactivated) | None => counts.deactivated += n,
            }
        }
        Ok(counts)
    }

    /// The page's rows with their invitation and working link, in `ids` order.
    async fn rows_of(&self, ids: &[String]) -> Result<Vec<UserListRow>, AppError> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT u.id, u.name, u.email, u.status, i.invited_by_name, i.invited_by_id,
                    CASE WHEN i.id IS NOT NULL AND (inviter.id IS NULL OR inviter.status = 'deactivated') THEN 1 ELSE 0 END AS inviter_is_former,
                    i.last_sent_at, i.last_sent_by_name, l.expires_at, l.token_end, l.kind
             FROM users u
             LEFT JOIN invitations i ON i.user_id = u.id
             LEFT JOIN invite_links l ON l.invitation_id = i.id AND l.state = 'active' AND i.status = 'pending'
             LEFT JOIN users inviter ON inviter.id = i.invited_by_id
             WHERE u.id IN ({})",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for id in ids {
            query = query.bind(id.as_str());
        }
        let mut by_id: HashMap<String, UserListRow> = HashMap::new();
        for r in query.fetch_all(&self.db).await.map_err(db_error)? {
            let row = to_row(&r).map_err(db_error)?;
            // A user's open invitation wins over closed ones.
            let keep = by_id
                .get(&row.id)
                .is_none_or(|old| old.token_end.is_none() && row.token_end.is_some());
            if keep {
                by_id.insert(row.id.clone(), row);
            }
        }
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
    }

    async fn attach_team_names(&self, rows: &mut [UserListRow]) -> Result<(), AppError> {
        if rows.is_empty() {
            return Ok(());
        }
        let placeholders: Vec<String> = (1..=rows.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT tm.user_id, t.name FROM team_members tm JOIN teams t ON t.id = tm.team_id
             WHERE tm.user_id IN ({}) ORDER BY t.name",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for row in rows.iter() {
            query = query.bind(row.id.as_str());
        }
        let mut teams: HashMap<String, Vec<String>> = HashMap::new();
        for r in query.fetch_all(&self.db).await.map_err(db_error)? {
            let user_id: String = r.try_get(0).map_err(db_error)?;
            teams
                .entry(user_id)
                .or_default()
                .push(r.try_get(1).map_err(db_error)?);
        }
        for row in rows {
            row.teams = teams.remove(&row.id).unwrap_or_default();
        }
        Ok(())
    }

    /// R21: marks the Invited users whose newest invitation email failed
    /// for good, so managers see it in the table and can resend.
    async fn attach_email_failures(&self, rows: &mut [UserListRow]) -> Result<(), AppError> {
        let invited: Vec<&str> = rows
            .iter()
            .filter(|row| row.status == UserStatus::Invited)
            .map(|row| row.id.as_str())
            .collect();
        let mut failures = outbox::failures_of_newest_emails(&self.db, &invited)
            .await
            .map_err(db_error)?;
        for row in rows {
            row.email_failure = failures.remove(&row.id);
        }
        Ok(())
    }
}
fn to_row(r: &AnyRow) -> Result<UserListRow, sqlx::Error> {
    let status: String = r.try_get("status")?;
    let status = UserStatus::from_db(&status).unwrap_or(UserStatus::Deactivated);
    let invited = status == UserStatus::Invited;
    let kind: Option<String> = r.try_get("kind")?;
    Ok(UserListRow {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        email: r.try_get("email")?,
        status,
        teams: vec![],
        invited_by: r.try_get("invited_by_name")?,
        inviter_is_former: r.try_get::<i64, _>("inviter_is_former")? == 1,
        last_sent_at: r.try_get("last_sent_at")?,
        last_sent_by: r.try_get("last_sent_by_name")?,
        expires_at: if invited {
            r.try_get("expires_at")?
        } else {
            None
        },
        token_end: if invited {
            r.try_get("token_end")?
        } else {
            None
        },
        link_kind: if invited {
            kind.map(|k| LinkKind::from_db(&k))
        } else {
            None
        },
        email_failure: None,
    })
}

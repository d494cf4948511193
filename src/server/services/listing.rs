//! The users table (R25, R26): filters, search, sort, pages and counts, in
//! the caller's scope (the organisation, or one team's members).

use super::{access, Engine};
use crate::domain::{
    invitations::{LinkFilter, SortKey, StatusCounts, UserListRow, UserPage, UserQuery},
    rules::{LinkKind, EXPIRING_SOON_MS},
    AppError, SessionUser, UserStatus,
};
use crate::server::repos::db_error;
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

const FROM: &str = "FROM users u
     LEFT JOIN invitations i ON i.user_id = u.id
     LEFT JOIN invite_links l ON l.invitation_id = i.id AND l.state = 'active' AND i.status = 'pending'
     LEFT JOIN users inviter ON inviter.id = i.invited_by_id";

impl Engine {
    pub async fn list_users(
        &self,
        actor: &SessionUser,
        query: UserQuery,
        now: i64,
    ) -> Result<UserPage, AppError> {
        self.authorize_listing(actor, query.team_id.as_deref())
            .await?;
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
        let counts = self.count_by_state(&scope, now).await?;

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
                    " AND u.status = 'invited' AND (l.expires_at IS NULL OR l.expires_at <= {now})"
                );
            }
            LinkFilter::ExpiringSoon => {
                let now_p = filter.push(Param::Int(now));
                let soon = filter.push(Param::Int(now + EXPIRING_SOON_MS));
                filter.sql += &format!(" AND u.status = 'invited' AND l.expires_at > {now_p} AND l.expires_at <= {soon}");
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

        let total_sql = format!("SELECT COUNT(*) {FROM} WHERE {}", filter.sql);
        let total: i64 = filter
            .bind(&total_sql)
            .fetch_one(&self.db)
            .await
            .map_err(db_error)?
            .try_get(0)
            .map_err(db_error)?;

        let direction = if query.descending { "DESC" } else { "ASC" };
        let order = match query.sort {
            SortKey::Name => format!("LOWER(u.name) {direction}, u.email {direction}"),
            SortKey::Email => format!("u.email {direction}"),
            SortKey::Status => format!("u.status {direction}, LOWER(u.name) {direction}"),
            SortKey::LastSent => format!("COALESCE(i.last_sent_at, 0) {direction}"),
            SortKey::Expires => format!("COALESCE(l.expires_at, 0) {direction}"),
        };
        let offset = i64::from(page - 1) * i64::from(per_page);
        let rows_sql = format!(
            "SELECT u.id, u.name, u.email, u.status, i.invited_by_name, i.invited_by_id,
                    CASE WHEN i.id IS NOT NULL AND (inviter.id IS NULL OR inviter.status = 'deactivated') THEN 1 ELSE 0 END AS inviter_is_former,
                    i.last_sent_at, i.last_sent_by_name, l.expires_at, l.token_end, l.kind
             {FROM} WHERE {} ORDER BY {order}, u.id {direction} LIMIT {per_page} OFFSET {offset}",
            filter.sql
        );
        let rows = filter
            .bind(&rows_sql)
            .fetch_all(&self.db)
            .await
            .map_err(db_error)?;
        let mut list: Vec<UserListRow> = rows
            .iter()
            .map(to_row)
            .collect::<Result<_, _>>()
            .map_err(db_error)?;
        self.attach_team_names(&mut list).await?;
        Ok(UserPage {
            generated_at: now,
            rows: list,
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

    async fn count_by_state(&self, scope: &Filter, now: i64) -> Result<StatusCounts, AppError> {
        let sql = format!(
            "SELECT COUNT(*),
                    COUNT(CASE WHEN u.status = 'invited' THEN 1 END),
                    COUNT(CASE WHEN u.status = 'active' THEN 1 END),
                    COUNT(CASE WHEN u.status = 'deactivated' THEN 1 END),
                    COUNT(CASE WHEN u.status = 'invited' AND (l.expires_at IS NULL OR l.expires_at <= {now}) THEN 1 END),
                    COUNT(CASE WHEN u.status = 'invited' AND l.expires_at > {now} AND l.expires_at <= {soon} THEN 1 END)
             {FROM} WHERE {}",
            scope.sql,
            soon = now + EXPIRING_SOON_MS,
        );
        let row = scope
            .bind(&sql)
            .fetch_one(&self.db)
            .await
            .map_err(db_error)?;
        let get = |i: usize| row.try_get::<i64, _>(i).map_err(db_error);
        Ok(StatusCounts {
            all: get(0)?,
            invited: get(1)?,
            active: get(2)?,
            deactivated: get(3)?,
            expired: get(4)?,
            expiring_soon: get(5)?,
        })
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
    })
}

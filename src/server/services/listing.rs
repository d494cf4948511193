//! The users table (R24, R25, R26): filters, search, sort, pages and counts,
//! in the caller's scope (the organisation, or one team's members). The SQL
//! is in `repos::listing`.
//!
//! Speed at 100,000 users (SPEC §8): every filter and sort reads the users
//! table alone (the working link's expiry and the last email's time are kept
//! on the user row), through indexes that match the sort, so a page stops
//! after its rows; the next or previous page seeks past the row the browser
//! last saw (keyset paging), so page 2,000 costs what page 2 does. A search
//! reads its matches through a trigram index. The page's rows are then
//! completed with their invitation and link. Without a search, the total
//! comes from the cached counts, not a second scan. A page's queries share
//! one connection (see `repos::listing`).

use super::{access, Engine};
use crate::domain::{
    invitations::{PageAnchor, StatusCounts, UserListRow, UserPage, UserQuery},
    AppError, SessionUser, UserStatus,
};
use crate::server::repos::{
    self,
    listing::{self, Filter, ListedUser, Order, Scope, Seek},
    outbox, Step,
};
use sqlx::AnyConnection;
use std::collections::HashMap;

pub const MAX_PER_PAGE: u32 = 200;

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
        let scope = Scope {
            org_id: &actor.org_id,
            team_id: query.team_id.as_deref(),
        };
        let mut conn = repos::acquire(&self.db, "acquire for the users list").await?;
        let conn = &mut *conn;
        let counts = self.counts_of(conn, &scope, now).await?;
        let search = query.search.trim().to_lowercase();
        let filter = Filter {
            statuses: &query.statuses,
            link: query.link,
            search: &search,
            now,
        };
        let order = Order {
            sort: query.sort,
            descending: query.descending,
        };
        let offset = i64::from(page - 1) * i64::from(per_page);
        let (ids, total, invited_in_search) = if search.is_empty() {
            let seek = seek(conn, &actor.org_id, page, query.anchor.as_ref(), offset).await?;
            let ids = listing::find_page_of_user_ids(conn, &scope, &filter, order, &seek, per_page)
                .await?;
            // Without a search the counts give the total: the users table
            // need not be counted twice (SPEC §8).
            (ids, counts.total_for(&query.statuses, query.link), None)
        } else {
            // A search's matches are read whole to be sorted, so the offset
            // costs nothing more and the count comes with them.
            let found =
                listing::search_page_of_user_ids(conn, &scope, &filter, order, offset, per_page)
                    .await?;
            let total = match found.total {
                Some(total) => total,
                None => listing::count_matching_users(conn, &scope, &filter).await?,
            };
            (found.ids, total, found.invited)
        };
        let invited_matching = match invited_in_search {
            Some(invited) => invited,
            None => invited_matching(conn, &scope, &filter, &query, &counts, total).await?,
        };
        let mut rows = rows_of(conn, &ids).await?;
        attach_team_names(conn, &mut rows).await?;
        attach_email_failures(conn, &mut rows).await?;
        Ok(UserPage {
            generated_at: now,
            rows,
            total,
            invited_matching,
            counts,
            page,
            per_page,
        })
    }

    /// Every user id matching a query (for "resend to all that match", R24),
    /// in the listing's order: one query for the ids alone.
    pub async fn matching_user_ids(
        &self,
        actor: &SessionUser,
        query: UserQuery,
        now: i64,
    ) -> Result<Vec<String>, AppError> {
        self.authorize_listing(actor, query.team_id.as_deref())
            .await?;
        query.check()?;
        let search = query.search.trim().to_lowercase();
        let mut conn = repos::acquire(&self.db, "acquire for matching ids").await?;
        let ids = listing::find_matching_user_ids(
            &mut conn,
            &Scope {
                org_id: &actor.org_id,
                team_id: query.team_id.as_deref(),
            },
            &Filter {
                statuses: &query.statuses,
                link: query.link,
                search: &search,
                now,
            },
            Order {
                sort: query.sort,
                descending: query.descending,
            },
        )
        .await?;
        Ok(ids)
    }

    /// R25: the counts by state, cached until a change (SPEC §8).
    async fn counts_of(
        &self,
        conn: &mut AnyConnection,
        scope: &Scope<'_>,
        now: i64,
    ) -> Result<StatusCounts, AppError> {
        let key = format!("{}|{}", scope.org_id, scope.team_id.unwrap_or(""));
        self.counts_cache
            .get_or_compute(&key, now, move || async move {
                let mut counts = StatusCounts::default();
                for state in listing::count_users_by_state(conn, scope, now).await? {
                    counts.all += state.users;
                    match state.status {
                        UserStatus::Invited => {
                            counts.invited = state.users;
                            counts.expired = state.expired;
                            counts.expiring_soon = state.expiring_soon;
                        }
                        UserStatus::Active => counts.active = state.users,
                        UserStatus::Deactivated => counts.deactivated = state.users,
                    }
                }
                Ok::<_, AppError>(counts)
            })
            .await
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
}

/// Where the page starts: right after (or before) the user the browser
/// named, found through the sort's index at any depth; by counting rows
/// on page 1, without an anchor, or when that user is gone.
/// How many of a listing's `total` users are Invited (R24's "all that
/// match" sends only to them), when the search page did not count them:
/// from the counts or the total when they say it, else one count.
async fn invited_matching(
    conn: &mut AnyConnection,
    scope: &Scope<'_>,
    filter: &Filter<'_>,
    query: &UserQuery,
    counts: &StatusCounts,
    total: i64,
) -> Result<i64, AppError> {
    let invited = [UserStatus::Invited];
    Ok(
        if !query.statuses.is_empty() && !query.statuses.contains(&UserStatus::Invited) {
            0
        } else if query.statuses == invited {
            total
        } else if filter.search.is_empty() {
            counts.total_for(&invited, query.link)
        } else {
            let only_invited = Filter {
                statuses: &invited,
                ..*filter
            };
            listing::count_matching_users(conn, scope, &only_invited).await?
        },
    )
}

async fn seek(
    conn: &mut AnyConnection,
    org_id: &str,
    page: u32,
    anchor: Option<&PageAnchor>,
    offset: i64,
) -> Result<Seek, AppError> {
    let (user_id, after) = match anchor {
        Some(_) if page == 1 => return Ok(Seek::Offset(0)),
        None => return Ok(Seek::Offset(offset)),
        Some(PageAnchor::After(id)) => (id, true),
        Some(PageAnchor::Before(id)) => (id, false),
    };
    Ok(
        match listing::find_sort_values(conn, org_id, user_id).await? {
            Some(values) if after => Seek::After(values),
            Some(values) => Seek::Before(values),
            None => Seek::Offset(offset),
        },
    )
}

/// The page's rows with their invitation and working link, in `ids` order.
async fn rows_of(conn: &mut AnyConnection, ids: &[String]) -> Result<Vec<UserListRow>, AppError> {
    let mut by_id: HashMap<String, UserListRow> = HashMap::new();
    for listed in listing::find_listed_users(conn, ids).await? {
        let row = list_row(listed);
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

async fn attach_team_names(
    conn: &mut AnyConnection,
    rows: &mut [UserListRow],
) -> Result<(), AppError> {
    let ids: Vec<String> = rows.iter().map(|row| row.id.clone()).collect();
    let mut teams: HashMap<String, Vec<String>> = HashMap::new();
    for team in listing::find_team_names_of_users(conn, &ids).await? {
        teams.entry(team.user_id).or_default().push(team.name);
    }
    for row in rows {
        row.teams = teams.remove(&row.id).unwrap_or_default();
    }
    Ok(())
}

/// R21: marks the Invited users whose newest invitation email failed
/// for good, so managers see it in the table and can resend.
async fn attach_email_failures(
    conn: &mut AnyConnection,
    rows: &mut [UserListRow],
) -> Result<(), AppError> {
    let invited: Vec<&str> = rows
        .iter()
        .filter(|row| row.status == UserStatus::Invited)
        .map(|row| row.id.as_str())
        .collect();
    let mut failures = outbox::failures_of_newest_emails(&mut *conn, &invited)
        .await
        .step("find failures of newest emails")?;
    for row in rows {
        row.email_failure = failures.remove(&row.id);
    }
    Ok(())
}

/// Only an Invited user shows a link: an Active user's used one is history.
fn list_row(user: ListedUser) -> UserListRow {
    let invited = user.status == UserStatus::Invited;
    UserListRow {
        id: user.id,
        name: user.name,
        email: user.email,
        status: user.status,
        teams: vec![],
        invited_by: user.invited_by_name,
        inviter_is_former: user.inviter_is_former == 1,
        last_sent_at: user.last_sent_at,
        last_sent_by: user.last_sent_by_name,
        expires_at: user.expires_at.filter(|_| invited),
        token_end: user.token_end.filter(|_| invited),
        link_kind: user.kind.filter(|_| invited),
        email_failure: None,
    }
}

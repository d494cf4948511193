//! The users table's queries (R24–R26): counts by state, one page of user ids
//! in any sort, the page's rows, and every id that matches.
//!
//! Pages without a search stop after their rows: each sort reads an index in
//! its order (migrations 0003, 0007), ending in a unique column so the order
//! is total. A page is found by offset (a page number alone) or, cheaper at
//! any depth, as the rows after or before a row the browser was shown
//! (keyset paging): see `Seek`.
//!
//! Search is case-insensitive "contains" on name or email. From three
//! characters a trigram index narrows the rows first (SQLite: the FTS5 table
//! `users_search`; Postgres: pg_trgm GIN indexes); an exact test decides
//! either way (LIKE with its own characters escaped; strpos on Postgres), so
//! the index changes how fast, never what. A shorter search has no trigram
//! and reads every user in scope.
//!
//! Each function takes a connection, not the pool, so that a page's queries
//! share one: sqlx pings a connection as it leaves the pool and again as it
//! comes back, a round trip each (on Postgres over the network, on SQLite to
//! the connection's thread), which cost more than the page's small queries.

use super::{batch::Value, sql::Sql, RepoError, Step};
use crate::domain::{
    invitations::{LinkFilter, SortKey},
    rules::{LinkKind, EXPIRING_SOON_MS},
    UserStatus,
};
use crate::server::db::Backend;
use sqlx::AnyConnection;

/// Whose users: the organisation's, or one team's members.
pub struct Scope<'a> {
    pub org_id: &'a str,
    pub team_id: Option<&'a str>,
}

/// Which of them (SPEC §5: statuses combine with OR; none is all).
pub struct Filter<'a> {
    pub statuses: &'a [UserStatus],
    pub link: LinkFilter,
    /// Trimmed and lower-cased; empty for no search.
    pub search: &'a str,
    pub now: i64,
}

#[derive(Debug, Clone, Copy)]
pub struct Order {
    pub sort: SortKey,
    pub descending: bool,
}

/// Where a page starts.
pub enum Seek {
    /// After this many rows: a page asked for by its number alone.
    Offset(i64),
    /// Right after this row (the next page) or right before it (the previous).
    After(SortValues),
    Before(SortValues),
}

/// A user's value of every sort key: where a keyset page starts.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SortValues {
    name_key: String,
    email: String,
    status: String,
    last_sent_at: i64,
    expires_key: i64,
    id: String,
}

/// The columns of one sort, most significant first; the last is unique in
/// scope, so no two rows tie.
#[derive(Debug, Clone, Copy)]
enum Column {
    Name,
    Email,
    Status,
    LastSent,
    Expires,
    Id,
}

impl Column {
    fn of(sort: SortKey) -> &'static [Column] {
        use Column::*;
        match sort {
            SortKey::Name => &[Name, Email, Id],
            // Unique within an organisation.
            SortKey::Email => &[Email],
            SortKey::Status => &[Status, Name, Id],
            SortKey::LastSent => &[LastSent, Id],
            SortKey::Expires => &[Expires, Id],
        }
    }

    /// As the indexes spell them.
    fn expr(self) -> &'static str {
        match self {
            Column::Name => "LOWER(u.name)",
            Column::Email => "u.email",
            Column::Status => "u.status",
            Column::LastSent => "u.last_sent_at",
            Column::Expires => "COALESCE(u.link_expires_at, 0)",
            Column::Id => "u.id",
        }
    }

    fn value(self, of: &SortValues) -> Value {
        match self {
            Column::Name => of.name_key.clone().into(),
            Column::Email => of.email.clone().into(),
            Column::Status => of.status.clone().into(),
            Column::LastSent => of.last_sent_at.into(),
            Column::Expires => of.expires_key.into(),
            Column::Id => of.id.clone().into(),
        }
    }
}

/// Rows of the Users table's page, one per user and invitation.
#[derive(Debug, sqlx::FromRow)]
pub struct ListedUser {
    pub id: String,
    pub name: String,
    pub email: String,
    pub status: UserStatus,
    pub invited_by_name: Option<String>,
    pub invited_by_id: Option<String>,
    /// 1 when the inviter was deleted or deactivated (R26).
    pub inviter_is_former: i64,
    pub last_sent_at: Option<i64>,
    pub last_sent_by_name: Option<String>,
    /// The invitation's working link, if it has one.
    pub expires_at: Option<i64>,
    pub token_end: Option<String>,
    pub kind: Option<LinkKind>,
}

#[derive(Debug, sqlx::FromRow)]
pub struct StateCount {
    pub status: UserStatus,
    pub users: i64,
    /// Of the Invited: no working link, or one past its expiry.
    pub expired: i64,
    pub expiring_soon: i64,
}

#[derive(Debug, sqlx::FromRow)]
pub struct TeamName {
    pub user_id: String,
    pub name: String,
}

/// One page of a search, and how many users match in all (unknown when the
/// page is past the last).
pub struct SearchPage {
    pub ids: Vec<String>,
    /// All matches, and the Invited ones; `None` past the last page.
    pub total: Option<i64>,
    pub invited: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct Id {
    id: String,
}

#[derive(sqlx::FromRow)]
struct IdOfTotal {
    id: String,
    total: i64,
    invited: i64,
}

/// R25: one pass over the scope's users, by state.
pub async fn count_users_by_state(
    db: &mut AnyConnection,
    scope: &Scope<'_>,
    now: i64,
) -> Result<Vec<StateCount>, RepoError> {
    let mut sql = Sql::default();
    let soon = sql.bind(now + EXPIRING_SOON_MS);
    let now = sql.bind(now);
    sql.push(&format!(
        "SELECT u.status, COUNT(*) AS users,
                COUNT(CASE WHEN u.link_expires_at IS NULL OR u.link_expires_at <= {now} THEN 1 END) AS expired,
                COUNT(CASE WHEN u.link_expires_at > {now} AND u.link_expires_at <= {soon} THEN 1 END) AS expiring_soon
         FROM users u WHERE "
    ));
    push_scope(&mut sql, scope);
    sql.push(" GROUP BY u.status");
    sql.query_as()
        .fetch_all(&mut *db)
        .await
        .step("count users by state")
}

/// One page of user ids without a search, in `order`.
pub async fn find_page_of_user_ids(
    db: &mut AnyConnection,
    scope: &Scope<'_>,
    filter: &Filter<'_>,
    order: Order,
    seek: &Seek,
    per_page: u32,
) -> Result<Vec<String>, RepoError> {
    let sql = page_sql(backend(db), scope, filter, order, seek, per_page);
    let mut ids = ids_of(db, &sql, "find page of user ids").await?;
    if let Seek::Before(_) = seek {
        ids.reverse();
    }
    Ok(ids)
}

/// The page's ids; a page before the anchor comes last row first.
fn page_sql(
    backend: Backend,
    scope: &Scope<'_>,
    filter: &Filter<'_>,
    order: Order,
    seek: &Seek,
    per_page: u32,
) -> Sql {
    let columns = Column::of(order.sort);
    let limit = i64::from(per_page);
    let mut sql = Sql::default();
    let (anchor, after) = match seek {
        Seek::Offset(offset) => {
            sql.push("SELECT u.id");
            push_from_where(&mut sql, backend, scope, filter);
            push_order_by(&mut sql, columns, order.descending, false);
            sql.push(" LIMIT ").push_bind(limit);
            sql.push(" OFFSET ").push_bind(*offset);
            return sql;
        }
        Seek::After(anchor) => (anchor, true),
        Seek::Before(anchor) => (anchor, false),
    };
    // Read away from the anchor: up the sort after it, down before it.
    let descending = order.descending == after;
    let beyond = if descending { "<" } else { ">" };
    // (a, b, c) > (x, y, z) is a = x AND b = y AND c > z, or a = x AND b > y,
    // or a > x: one branch each, every branch an equality prefix and one
    // range on the sort's index, so each reads only the rows it returns.
    // A row value would say it in one term, but SQLite cannot seek an index
    // on LOWER(name) with one.
    let selected: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{} AS k{i}", c.expr()))
        .collect();
    sql.push("SELECT * FROM (");
    for branch in 0..columns.len() {
        if branch > 0 {
            sql.push(" UNION ALL ");
        }
        sql.push(&format!(
            "SELECT * FROM (SELECT u.id AS id, {}",
            selected.join(", ")
        ));
        push_from_where(&mut sql, backend, scope, filter);
        for (i, column) in columns.iter().enumerate().take(branch + 1) {
            let op = if i == branch { beyond } else { "=" };
            let value = sql.bind(column.value(anchor));
            sql.push(&format!(" AND {} {op} {value}", column.expr()));
        }
        push_order_by(&mut sql, columns, descending, false);
        sql.push(" LIMIT ").push_bind(limit);
        sql.push(&format!(") AS branch{branch}"));
    }
    sql.push(") AS page");
    push_order_by(&mut sql, columns, descending, true);
    sql.push(" LIMIT ").push_bind(limit);
    sql
}

/// One page of a search's matches in `order`, with their number.
pub async fn search_page_of_user_ids(
    db: &mut AnyConnection,
    scope: &Scope<'_>,
    filter: &Filter<'_>,
    order: Order,
    offset: i64,
    per_page: u32,
) -> Result<SearchPage, RepoError> {
    let mut sql = matches_sql(backend(db), scope, filter, order);
    sql.push(" SELECT id, (SELECT COUNT(*) FROM matches) AS total,")
        .push(" (SELECT COUNT(*) FROM matches WHERE status = ")
        .push_bind(UserStatus::Invited.as_db())
        .push(") AS invited FROM matches");
    push_order_by(&mut sql, Column::of(order.sort), order.descending, true);
    sql.push(" LIMIT ").push_bind(i64::from(per_page));
    sql.push(" OFFSET ").push_bind(offset);
    let rows: Vec<IdOfTotal> = sql
        .query_as()
        .fetch_all(&mut *db)
        .await
        .step("search page of user ids")?;
    Ok(SearchPage {
        total: rows.first().map(|row| row.total),
        invited: rows.first().map(|row| row.invited),
        ids: rows.into_iter().map(|row| row.id).collect(),
    })
}

/// `WITH matches AS (...)`: the users who match, with their sort values as
/// `k0, k1, ...`. The matches are found first and sorted after: through the
/// trigram index a search reads only its matches, whereas reading the sort's
/// index in order (which Postgres prefers under a LIMIT) would test user
/// after user until a page of them match.
fn matches_sql(backend: Backend, scope: &Scope<'_>, filter: &Filter<'_>, order: Order) -> Sql {
    let selected: Vec<String> = Column::of(order.sort)
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{} AS k{i}", c.expr()))
        .collect();
    let mut sql = Sql::new(&format!(
        "WITH matches AS MATERIALIZED (SELECT u.id AS id, u.status AS status, {}",
        selected.join(", ")
    ));
    push_from_where(&mut sql, backend, scope, filter);
    sql.push(")");
    sql
}

/// How many users match (for a search's page past the last).
pub async fn count_matching_users(
    db: &mut AnyConnection,
    scope: &Scope<'_>,
    filter: &Filter<'_>,
) -> Result<i64, RepoError> {
    let mut sql = Sql::new("SELECT COUNT(*)");
    push_from_where(&mut sql, backend(db), scope, filter);
    let (total,): (i64,) = sql
        .query_as()
        .fetch_one(&mut *db)
        .await
        .step("count matching users")?;
    Ok(total)
}

/// R24: every matching user's id, in `order`.
pub async fn find_matching_user_ids(
    db: &mut AnyConnection,
    scope: &Scope<'_>,
    filter: &Filter<'_>,
    order: Order,
) -> Result<Vec<String>, RepoError> {
    let columns = Column::of(order.sort);
    let sql = if filter.search.is_empty() {
        let mut sql = Sql::new("SELECT u.id");
        push_from_where(&mut sql, backend(db), scope, filter);
        push_order_by(&mut sql, columns, order.descending, false);
        sql
    } else {
        let mut sql = matches_sql(backend(db), scope, filter, order);
        sql.push(" SELECT id FROM matches");
        push_order_by(&mut sql, columns, order.descending, true);
        sql
    };
    ids_of(db, &sql, "find matching user ids").await
}

/// Where a keyset page starts: the sort values of a user in the organisation.
pub async fn find_sort_values(
    db: &mut AnyConnection,
    org_id: &str,
    user_id: &str,
) -> Result<Option<SortValues>, RepoError> {
    let mut sql = Sql::new(
        "SELECT LOWER(name) AS name_key, email, status, last_sent_at,
                COALESCE(link_expires_at, 0) AS expires_key, id
         FROM users WHERE id = ",
    );
    sql.push_bind(user_id)
        .push(" AND org_id = ")
        .push_bind(org_id);
    sql.query_as()
        .fetch_optional(&mut *db)
        .await
        .step("find sort values of a user")
}

/// The page's users with each of their invitations and its working link.
pub async fn find_listed_users(
    db: &mut AnyConnection,
    ids: &[String],
) -> Result<Vec<ListedUser>, RepoError> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let mut sql = Sql::new(
        "SELECT u.id, u.name, u.email, u.status, i.invited_by_name, i.invited_by_id,
                CASE WHEN i.id IS NOT NULL AND (inviter.id IS NULL OR inviter.status = ",
    );
    sql.push_bind(UserStatus::Deactivated.as_db());
    sql.push(
        ") THEN 1 ELSE 0 END AS inviter_is_former,
                i.last_sent_at, i.last_sent_by_name, l.expires_at, l.token_end, l.kind
         FROM users u
         LEFT JOIN invitations i ON i.user_id = u.id
         LEFT JOIN invite_links l ON l.invitation_id = i.id AND l.state = 'active' AND i.status = 'pending'
         LEFT JOIN users inviter ON inviter.id = i.invited_by_id
         WHERE u.id IN (",
    );
    sql.push_list(ids.iter().map(String::as_str)).push(")");
    sql.query_as()
        .fetch_all(&mut *db)
        .await
        .step("find listed users")
}

/// The names of the teams each user is in, by team name.
pub async fn find_team_names_of_users(
    db: &mut AnyConnection,
    ids: &[String],
) -> Result<Vec<TeamName>, RepoError> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let mut sql = Sql::new(
        "SELECT tm.user_id, t.name FROM team_members tm JOIN teams t ON t.id = tm.team_id
         WHERE tm.user_id IN (",
    );
    sql.push_list(ids.iter().map(String::as_str))
        .push(") ORDER BY t.name");
    sql.query_as()
        .fetch_all(&mut *db)
        .await
        .step("find team names of users")
}

async fn ids_of(
    db: &mut AnyConnection,
    sql: &Sql,
    step: &'static str,
) -> Result<Vec<String>, RepoError> {
    let rows: Vec<Id> = sql.query_as().fetch_all(&mut *db).await.step(step)?;
    Ok(rows.into_iter().map(|row| row.id).collect())
}

fn backend(db: &AnyConnection) -> Backend {
    if db.backend_name() == "PostgreSQL" {
        Backend::Postgres
    } else {
        Backend::Sqlite
    }
}

fn push_scope(sql: &mut Sql, scope: &Scope<'_>) {
    sql.push("u.org_id = ").push_bind(scope.org_id);
    if let Some(team_id) = scope.team_id {
        sql.push(" AND EXISTS (SELECT 1 FROM team_members tm WHERE tm.team_id = ")
            .push_bind(team_id)
            .push(" AND tm.user_id = u.id)");
    }
}

/// ` FROM ... WHERE ...`: the users in scope that pass the filter.
fn push_from_where(sql: &mut Sql, backend: Backend, scope: &Scope<'_>, filter: &Filter<'_>) {
    if backend == Backend::Sqlite && filter.search.chars().count() >= TRIGRAM {
        // The search index's rows first, then each user by rowid: CROSS JOIN
        // fixes that order in SQLite. Left to choose (it has no statistics
        // unless someone runs ANALYZE), SQLite read every user in the
        // organisation through its index and looked each up in the matches.
        // A phrase: the search's trigrams in a row, in the name or the email.
        let phrase = format!("\"{}\"", filter.search.replace('"', "\"\""));
        sql.push(" FROM users_search s CROSS JOIN users u ON u.rowid = s.rowid")
            .push(" WHERE s.users_search MATCH ")
            .push_bind(phrase)
            .push(" AND ");
    } else {
        sql.push(" FROM users u WHERE ");
    }
    push_filter(sql, backend, scope, filter);
}

fn push_filter(sql: &mut Sql, backend: Backend, scope: &Scope<'_>, filter: &Filter<'_>) {
    push_scope(sql, scope);
    if !filter.statuses.is_empty() {
        sql.push(" AND u.status IN (")
            .push_list(filter.statuses.iter().map(|s| s.as_db()))
            .push(")");
    }
    match filter.link {
        LinkFilter::Any => {}
        LinkFilter::Expired => {
            sql.push(" AND u.status = ")
                .push_bind(UserStatus::Invited.as_db())
                .push(" AND (u.link_expires_at IS NULL OR u.link_expires_at <= ")
                .push_bind(filter.now)
                .push(")");
        }
        LinkFilter::ExpiringSoon => {
            sql.push(" AND u.status = ")
                .push_bind(UserStatus::Invited.as_db())
                .push(" AND u.link_expires_at > ")
                .push_bind(filter.now)
                .push(" AND u.link_expires_at <= ")
                .push_bind(filter.now + EXPIRING_SOON_MS);
        }
    }
    if !filter.search.is_empty() {
        push_search(sql, backend, filter.search);
    }
}

/// The fewest characters a trigram index can look up.
const TRIGRAM: usize = 3;

fn push_search(sql: &mut Sql, backend: Backend, search: &str) {
    let indexed = search.chars().count() >= TRIGRAM;
    match backend {
        Backend::Sqlite => {
            // From three characters the search index went first (`push_from_where`).
            let pattern = sql.bind(contains_pattern(search));
            sql.push(&format!(
                " AND (u.email LIKE {pattern} ESCAPE '\\' OR LOWER(u.name) LIKE {pattern} ESCAPE '\\')"
            ));
        }
        Backend::Postgres => {
            if indexed {
                // The trigram indexes (on LOWER(email), LOWER(name): 0010)
                // serve LIKE; the strpos test below decides.
                let pattern = sql.bind(contains_pattern(narrowed(search)));
                sql.push(&format!(
                    " AND (LOWER(u.email) LIKE {pattern} ESCAPE '\\' OR LOWER(u.name) LIKE {pattern} ESCAPE '\\')"
                ));
            }
            // "Contains" in words no index serves, so that a plan cached for
            // a long search never reads the whole trigram index for a short
            // one (it has no trigram to look up).
            let search = sql.bind(search);
            sql.push(&format!(
                " AND (strpos(LOWER(u.email), {search}) > 0 OR strpos(LOWER(u.name), {search}) > 0)"
            ));
        }
    }
}

/// A LIKE pattern for "contains `text`", its own `%`, `_` and `\` literal.
fn contains_pattern(text: &str) -> String {
    format!(
        "%{}%",
        text.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    )
}

/// What Postgres looks up in the trigram index for `search`: for an address,
/// the part before its '@'. An organisation's addresses mostly share the part
/// after it, whose trigrams every row has: reading those posting lists was
/// most of a lookup's time (20 ms of 21 at 100,000 users), and they narrow
/// nothing. Anything that contains the search contains this part of it.
fn narrowed(search: &str) -> &str {
    match search.split_once('@') {
        Some((own, _)) if own.chars().count() >= TRIGRAM => own,
        _ => search,
    }
}

/// ` ORDER BY` the sort's columns, as `k0, k1, ...` when reading them from a
/// subquery.
fn push_order_by(sql: &mut Sql, columns: &[Column], descending: bool, by_alias: bool) {
    let direction = if descending { "DESC" } else { "ASC" };
    let terms: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if by_alias {
                format!("k{i} {direction}")
            } else {
                format!("{} {direction}", c.expr())
            }
        })
        .collect();
    sql.push(" ORDER BY ").push(&terms.join(", "));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searches_are_literal_in_like_patterns() {
        assert_eq!(contains_pattern(r"10%_a\b"), r"%10\%\_a\\b%");
    }

    #[test]
    fn postgres_looks_up_an_address_by_its_own_part() {
        assert_eq!(narrowed("ada@example.com"), "ada");
        assert_eq!(narrowed("ada.l@exa"), "ada.l");
        // Too short to look up alone: the whole search.
        assert_eq!(narrowed("al@example.com"), "al@example.com");
        assert_eq!(narrowed("@example.com"), "@example.com");
        assert_eq!(narrowed("lovelace"), "lovelace");
    }

    #[test]
    fn the_page_before_a_row_is_one_seek_per_sort_column() {
        let anchor = SortValues {
            name_key: "sam same".into(),
            email: "sam@example.com".into(),
            status: "invited".into(),
            last_sent_at: 7,
            expires_key: 9,
            id: "u-1".into(),
        };
        let sql = page_sql(
            Backend::Sqlite,
            &Scope {
                org_id: "org",
                team_id: None,
            },
            &Filter {
                statuses: &[],
                link: LinkFilter::Any,
                search: "",
                now: 0,
            },
            Order {
                sort: SortKey::Name,
                descending: false,
            },
            &Seek::Before(anchor),
            50,
        );
        let text = sql.text().split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(
            text,
            "SELECT * FROM (\
             SELECT * FROM (SELECT u.id AS id, LOWER(u.name) AS k0, u.email AS k1, u.id AS k2 FROM users u \
             WHERE u.org_id = $1 AND LOWER(u.name) < $2 \
             ORDER BY LOWER(u.name) DESC, u.email DESC, u.id DESC LIMIT $3) AS branch0 \
             UNION ALL SELECT * FROM (SELECT u.id AS id, LOWER(u.name) AS k0, u.email AS k1, u.id AS k2 FROM users u \
             WHERE u.org_id = $4 AND LOWER(u.name) = $5 AND u.email < $6 \
             ORDER BY LOWER(u.name) DESC, u.email DESC, u.id DESC LIMIT $7) AS branch1 \
             UNION ALL SELECT * FROM (SELECT u.id AS id, LOWER(u.name) AS k0, u.email AS k1, u.id AS k2 FROM users u \
             WHERE u.org_id = $8 AND LOWER(u.name) = $9 AND u.email = $10 AND u.id < $11 \
             ORDER BY LOWER(u.name) DESC, u.email DESC, u.id DESC LIMIT $12) AS branch2\
             ) AS page ORDER BY k0 DESC, k1 DESC, k2 DESC LIMIT $13"
        );
    }
}

//! One pool type for both databases: `DATABASE_URL` picks SQLite or Postgres at
//! run time. Queries are written once, with `$n` parameters (both drivers
//! accept them), times as BIGINT milliseconds and ids as text.

use crate::domain::AppError;
use sqlx::{
    any::{install_default_drivers, AnyPoolOptions},
    migrate::Migrator,
    AnyPool, Executor,
};
use std::time::Duration;

pub type Db = AnyPool;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// How long a request waits for a Postgres connection before it is refused
/// as `Unavailable`. sqlx's default, 30 s, kept every request hanging through
/// a Postgres restart (it retries a refused connect until then, backing off
/// up to a fifth of the time, so recovery also lagged by seconds).
const POSTGRES_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Result<Self, String> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            Err("DATABASE_URL must start with sqlite: or postgres:".into())
        }
    }
}

/// Connects and applies the migrations of the chosen backend.
pub async fn connect(url: &str) -> Result<Db, sqlx::Error> {
    install_default_drivers();
    let backend = Backend::of_url(url).map_err(|e| sqlx::Error::Configuration(e.into()))?;
    let options = match backend {
        // SQLite has one writer at a time; a few connections serve the readers.
        Backend::Sqlite => AnyPoolOptions::new()
            .max_connections(8)
            // A file cannot drop a connection the way a server can: the ping
            // before each use was a round trip to the connection's thread
            // for every statement.
            .test_before_acquire(false)
            .after_connect(|conn, _| {
                Box::pin(async move {
                    // The file mapped into memory: a page read is a memory
                    // read, not a read() system call per page (100,000 users
                    // are 400 MB). Writes still go through SQLite's own
                    // cache: 32 MB a connection, not 2 MB, which held a
                    // sliver of the indexes a bulk invite writes into.
                    conn.execute(
                        "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; \
                         PRAGMA busy_timeout = 10000; PRAGMA mmap_size = 1073741824; \
                         PRAGMA cache_size = -32768;",
                    )
                    .await?;
                    open_search_index(conn).await
                })
            }),
        Backend::Postgres => AnyPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(POSTGRES_ACQUIRE_TIMEOUT)
            // A connection the server closed (it restarted) is found out and
            // replaced before a request gets it. sqlx's default, said aloud.
            .test_before_acquire(true)
            // Plan each statement for its values and the tables as they are
            // now. A generic plan is made once per connection and kept: one
            // made while invitations was empty scanned all of an
            // organisation's invitations for each of a bulk invite's 500
            // addresses once the table had grown (1.2 s a lookup, 20 s a
            // bulk invite, until autovacuum's ANALYZE).
            .after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute("SET plan_cache_mode = force_custom_plan")
                        .await?;
                    Ok(())
                })
            }),
    };
    let pool = options.clone().connect(url).await?;
    match backend {
        Backend::Sqlite => {
            // WAL lets readers work while a bulk invite writes; it is a property of the file.
            pool.execute("PRAGMA journal_mode = WAL").await?;
            SQLITE_MIGRATIONS.run(&pool).await?;
            // Connections opened before the migrations made the search index
            // have not opened it (see `open_search_index`): start afresh.
            pool.close().await;
            Ok(options.connect(url).await?)
        }
        Backend::Postgres => {
            POSTGRES_MIGRATIONS.run(&pool).await?;
            Ok(pool)
        }
    }
}

/// SQLite opens the users' search index (the FTS5 table of migration 0007)
/// on a connection's first statement that names it, and reads the database
/// to do so. Inside a transaction (an INSERT INTO users fires the trigger
/// that names it) that read pins the transaction to a snapshot, and its
/// first write then fails at once with "database is locked" while another
/// writer is busy, instead of waiting its turn. So each connection opens the
/// index first, outside any transaction.
async fn open_search_index(conn: &mut sqlx::AnyConnection) -> Result<(), sqlx::Error> {
    let made: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'users_search'")
            .fetch_one(&mut *conn)
            .await?;
    if made > 0 {
        conn.execute("SELECT rowid FROM users_search WHERE 0")
            .await?;
    }
    Ok(())
}

/// The client-safe error for a database error (the caller logs the whole
/// error): `Unavailable` when the database cannot be reached, so the caller
/// is told to try again shortly instead of that something broke; `Internal`
/// for everything else.
pub fn client_error(error: &sqlx::Error) -> AppError {
    if is_unavailable(error) {
        AppError::Unavailable
    } else {
        AppError::Internal
    }
}

/// The database is down, restarting or out of connections: no connection
/// within the acquire timeout, a broken socket (a restart resets them), or
/// Postgres saying so (class 08 connection exceptions, 57P01-57P03 shutting
/// down or starting up, 53300 too many connections).
pub fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
        sqlx::Error::Database(e) => e.code().is_some_and(|code| {
            code.starts_with("08") || code.starts_with("57P") || code == "53300"
        }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_database_that_refuses_connections_is_unavailable() {
        install_default_drivers();
        // A port nobody listens on.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let error = AnyPoolOptions::new()
            .acquire_timeout(Duration::from_millis(300))
            .connect(&format!("postgres://roster@127.0.0.1:{port}/roster"))
            .await
            .unwrap_err();
        assert_eq!(client_error(&error), AppError::Unavailable, "{error:?}");
    }

    #[test]
    fn only_unreachable_databases_are_unavailable() {
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        assert_eq!(client_error(&sqlx::Error::Io(reset)), AppError::Unavailable);
        assert_eq!(
            client_error(&sqlx::Error::PoolTimedOut),
            AppError::Unavailable
        );
        assert_eq!(client_error(&sqlx::Error::RowNotFound), AppError::Internal);
        assert_eq!(
            client_error(&sqlx::Error::ColumnNotFound("x".into())),
            AppError::Internal
        );
    }
}

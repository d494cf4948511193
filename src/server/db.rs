//! One pool type for both databases: `DATABASE_URL` picks SQLite or Postgres at
//! run time. Queries are written once, with `$n` parameters (both drivers
//! accept them), times as BIGINT milliseconds and ids as text.

use sqlx::{
    any::{install_default_drivers, AnyPoolOptions},
    migrate::Migrator,
    AnyPool, Executor,
};

pub type Db = AnyPool;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

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
        Backend::Sqlite => AnyPoolOptions::new().max_connections(8).after_connect(|conn, _| {
            Box::pin(async move {
                conn.execute("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000;")
                    .await?;
                Ok(())
            })
        }),
        Backend::Postgres => AnyPoolOptions::new().max_connections(16),
    };
    let pool = options.connect(url).await?;
    match backend {
        Backend::Sqlite => {
            // WAL lets readers work while a bulk invite writes; it is a property of the file.
            pool.execute("PRAGMA journal_mode = WAL").await?;
            SQLITE_MIGRATIONS.run(&pool).await?;
        }
        Backend::Postgres => POSTGRES_MIGRATIONS.run(&pool).await?,
    }
    Ok(pool)
}

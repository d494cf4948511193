//! Test harness: a fresh real database per test, on SQLite (a temporary file)
//! or Postgres (a new database on the server named by `ROSTER_TEST_PG_URL`,
//! which `scripts/test.sh` starts).
#![allow(dead_code)]

pub mod oidc;
pub mod receiver;
pub mod smtp;
pub mod world;

use roster::server::db::{self, Db};
use sqlx::{Connection, Executor};

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestDb {
    pub db: Db,
    pub url: String,
}

pub async fn fresh_db(backend: Backend) -> TestDb {
    sqlx::any::install_default_drivers();
    let name = format!("roster_test_{}", uuid::Uuid::new_v4().simple());
    let url = match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join("roster-tests");
            std::fs::create_dir_all(&dir).unwrap();
            format!(
                "sqlite://{}?mode=rwc",
                dir.join(format!("{name}.db")).display()
            )
        }
        Backend::Postgres => {
            let admin = std::env::var("ROSTER_TEST_PG_URL").expect(
                "ROSTER_TEST_PG_URL is not set: run the tests with scripts/test.sh, which starts Postgres",
            );
            let mut conn = sqlx::AnyConnection::connect(&admin)
                .await
                .expect("connect to the Postgres test server");
            conn.execute(format!("CREATE DATABASE {name}").as_str())
                .await
                .expect("create test database");
            let base = admin
                .rsplit_once('/')
                .expect("ROSTER_TEST_PG_URL has a database name")
                .0;
            format!("{base}/{name}")
        }
    };
    let db = db::connect(&url)
        .await
        .expect("connect and migrate the test database");
    TestDb { db, url }
}

/// Waits until the Roster at `address` answers `/healthz` with 200 (it
/// serves and its database is reachable); panics after 30 s naming `what`.
pub async fn wait_until_healthy(address: &str, what: &str) {
    let client = reqwest::Client::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if let Ok(answer) = client.get(format!("{address}/healthz")).send().await {
            if answer.status() == 200 {
                return;
            }
        }
        assert!(std::time::Instant::now() < deadline, "{what} did not start");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Runs `statements`, which store values the CHECK constraints refuse (an
/// enum value this build does not know), stepping around the constraints:
/// SQLite ignores them meanwhile, Postgres loses the named `(table,
/// constraint)`s for good.
pub async fn write_unchecked(db: &Db, pg_constraints: &[(&str, &str)], statements: &[&str]) {
    let mut conn = db.acquire().await.unwrap();
    let sqlite = conn.backend_name() == "SQLite";
    if sqlite {
        (&mut *conn)
            .execute("PRAGMA ignore_check_constraints = ON")
            .await
            .unwrap();
    } else {
        for (table, constraint) in pg_constraints {
            (&mut *conn)
                .execute(format!("ALTER TABLE {table} DROP CONSTRAINT {constraint}").as_str())
                .await
                .unwrap();
        }
    }
    for statement in statements {
        (&mut *conn).execute(*statement).await.unwrap();
    }
    if sqlite {
        (&mut *conn)
            .execute("PRAGMA ignore_check_constraints = OFF")
            .await
            .unwrap();
    }
}

/// Runs each listed `async fn(TestDb)` once on SQLite and once on Postgres:
/// `sqlite::name` and `postgres::name` in the test report.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { super::$name($crate::common::fresh_db($crate::common::Backend::Sqlite).await).await } )*
        }
        mod postgres {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { super::$name($crate::common::fresh_db($crate::common::Backend::Postgres).await).await } )*
        }
    };
}

/// Runs each listed `async fn(Backend)` once on SQLite and once on Postgres;
/// for tests that start the whole app (`spawn_app`), which makes its own database.
#[macro_export]
macro_rules! on_both_databases_over_http {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { super::$name($crate::common::Backend::Sqlite).await } )*
        }
        mod postgres {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { super::$name($crate::common::Backend::Postgres).await } )*
        }
    };
}

/// A fixed instant for tests: 2026-01-05 09:00:00 UTC, in milliseconds.
pub const T0: i64 = 1_767_603_600_000;
pub const MINUTE: i64 = 60_000;
pub const DAY: i64 = 24 * 60 * MINUTE;

use sqlx::{Any, Executor, Row};

pub async fn count_organisations<'c>(
    db: impl Executor<'c, Database = Any>,
) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT COUNT(*) FROM organisations")
        .fetch_one(db)
        .await?
        .try_get(0)
}

pub async fn insert_organisation<'c>(
    db: impl Executor<'c, Database = Any>,
    id: &str,
    name: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO organisations (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(name)
        .bind(now)
        .execute(db)
        .await?;
    Ok(())
}

/// Inserts the single row of `first_run`; `false` when it is already there
/// (first run happened, or a racing one holds it).
pub async fn claim_first_run(
    conn: &mut sqlx::AnyConnection,
    now: i64,
) -> Result<bool, sqlx::Error> {
    match sqlx::query("INSERT INTO first_run (id, done_at) VALUES (1, $1)")
        .bind(now)
        .execute(conn)
        .await
    {
        Ok(_) => Ok(true),
        Err(e) if super::is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

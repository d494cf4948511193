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

//! The write probe behind `/healthz`.

use sqlx::AnyPool;

/// Updates the probe row inside a transaction that is rolled back: proves
/// the database takes a write lock and accepts a write, and leaves nothing.
pub async fn probe_write(db: &AnyPool, now: i64) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE health_probe SET checked_at = $1 WHERE id = 1")
        .bind(now)
        .execute(&mut *tx)
        .await?;
    tx.rollback().await
}
